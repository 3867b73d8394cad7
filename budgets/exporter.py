"""The xlsx export: every app's sheets in the workbook format, re-importable as it is."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.module_loading import import_string
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from .export import export_scope
from .models import Division
from .xlsx import as_text

TEXT_COLUMNS = {"部门编码", "单位编码", "项目编码", "凭证号", "调整文号", "区划编码"}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


def append_sheet(workbook: Workbook, name: str, header: list[str], rows: Iterable[list]) -> None:
    """Stream one sheet of the workbook format into a write-only workbook.

    Code columns are text cells so Excel keeps their leading zeros; dates show as dates;
    every text is stored as text, never as a formula.
    """
    sheet = workbook.create_sheet(name)
    sheet.column_dimensions["A"].width = 14
    header_cells = []
    for title in header:
        cell = as_text(WriteOnlyCell(sheet, value=title))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    sheet.append(header_cells)
    text_positions = {i for i, title in enumerate(header) if title in TEXT_COLUMNS}
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cell = as_text(WriteOnlyCell(sheet, value=value))
            if i in text_positions:
                cell.number_format = "@"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)


def write_workbook(
    target: str | Path | IO[bytes],
    *,
    year: int,
    as_of: date | None = None,
    user=None,
    division: Division | None = None,
) -> None:
    """Stream the year's data (as the user may read it, of one 区划 if given) into an xlsx."""
    projects, _ = export_scope(year, user, division)
    workbook = Workbook(write_only=True)
    for path in settings.WORKBOOK_EXPORTERS:
        for name, header, rows in import_string(path)(year, projects, as_of):
            append_sheet(workbook, name, header, rows)
    workbook.save(target)
