"""What every xlsx the system writes shares: text cells stay text and hold only what openpyxl
writes; drop-down lists on cells."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.datavalidation import DataValidation


def cell_value(value: Any) -> Any:
    """The value as a cell can hold it: text loses the control characters openpyxl refuses
    (IllegalCharacterError, e.g. a vertical tab pasted from Word).

    The forms and the API refuse such text (budgets.text), but rows stored before, imported or
    written another way may hold some: a download must not fail on them. Every writer of text
    cells passes its values through here (budgets.exporter.append_sheet, reporting.tables and
    the report's xlsx in tracking.views.reports), and so do sheet names made of stored names
    (reporting.tables), which would otherwise make a file no reader opens.
    """
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def as_text(cell: Cell) -> Cell:
    """Store the cell's text as text whatever its first character, and return the cell.

    openpyxl turns a string starting with `=` into a live formula (and `#N/A` into an error
    value): a payment 摘要 `=cmd|' /C calc'!A0` would run in the reader's Excel and re-import
    as empty. No apostrophe is added, so the text reads back exactly as stored.
    """
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


@dataclass(frozen=True)
class Choices:
    """A drop-down list Excel offers on some cells, with the hint shown when one is selected.

    The list only helps typing: any other text is still accepted (no error alert), because
    the importer takes more than the listed words (`达成（90%）`, `【经费保障】资金未到位`) and
    is the one that judges a value.
    """

    options: tuple[str, ...]
    title: str = ""  # Excel shows at most 32 characters
    hint: str = ""  # and at most 255

    def validation(self, sqref: str) -> DataValidation:
        # A literal list is one quoted, comma-separated formula of at most 255 characters.
        return DataValidation(
            type="list",
            formula1='"' + ",".join(self.options) + '"',
            allow_blank=True,
            showErrorMessage=False,
            showInputMessage=bool(self.hint),
            promptTitle=self.title or None,
            prompt=self.hint or None,
            sqref=sqref,
        )


@dataclass(frozen=True)
class Offered:
    """A cell value written with a drop-down list on its cell (budgets.exporter.append_sheet)."""

    value: Any
    choices: Choices


def offer(value: Any, choices: Choices | None) -> Any:
    """The value with its drop-down list, or the bare value when there is none."""
    return value if choices is None else Offered(value, choices)
