"""What every xlsx the system writes shares: text cells stay text."""

from __future__ import annotations

from openpyxl.cell.cell import Cell


def as_text(cell: Cell) -> Cell:
    """Store the cell's text as text whatever its first character, and return the cell.

    openpyxl turns a string starting with `=` into a live formula (and `#N/A` into an error
    value): a payment 摘要 `=cmd|' /C calc'!A0` would run in the reader's Excel and re-import
    as empty. No apostrophe is added, so the text reads back exactly as stored.
    """
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell
