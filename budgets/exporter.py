"""The xlsx export: every app's sheets in the workbook format, re-importable as it is."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.module_loading import import_string
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .export import export_scope
from .models import Division
from .xlsx import Choices, Offered, as_text, cell_value

TEXT_COLUMNS = {"部门编码", "单位编码", "项目编码", "凭证号", "调整文号", "区划编码"}
# 万元 with up to 6 decimals: at least 2 shown, every stored decimal kept visible.
AMOUNT_COLUMNS = {
    "年初预算",
    "上年结转",
    "财政专户管理资金",
    "单位资金",
    "基本支出",
    "三公经费预算",
    "政府采购预算",
    "部门预算总额",
    "调整金额",
    "金额",
}
AMOUNT_FORMAT = "#,##0.00####"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
# Column widths in Excel's character units (a Chinese character takes two); a column not
# named here is as wide as its header, at least MIN_WIDTH.
COLUMN_WIDTHS = {
    "项目编码": 24,
    "项目名称": 36,
    "部门名称": 28,
    "单位名称": 28,
    "单位编码": 12,
    "调整文号": 20,
    "凭证号": 16,
    "日期": 12,
    "截至日期": 12,
    "摘要": 30,
    "说明": 30,
    "二级指标": 16,
    "三级指标": 30,
    "指标值": 20,
    "指标值说明": 30,
    "实际完成值": 16,
    "全年预计完成值": 16,
    "偏差原因": 40,
    "改进措施": 40,
    "名称": 30,
    "主要内容": 40,
}
MIN_WIDTH = 10
AMOUNT_WIDTH = 16


def column_width(title: str) -> float:
    """How wide the column of this header is written."""
    if title in COLUMN_WIDTHS:
        return COLUMN_WIDTHS[title]
    shown = sum(2 if ord(char) > 0x2E7F else 1 for char in title) + 4
    return max(shown, AMOUNT_WIDTH if title in AMOUNT_COLUMNS else MIN_WIDTH)


def _ranges(letter: str, runs: list[list[int]]) -> str:
    return " ".join(
        f"{letter}{first}" if first == last else f"{letter}{first}:{letter}{last}"
        for first, last in runs
    )


def append_sheet(workbook: Workbook, name: str, header: list[str], rows: Iterable[list]) -> None:
    """Stream one sheet of the workbook format into a write-only workbook.

    Code columns are text cells so Excel keeps their leading zeros; dates show as dates and
    amounts with their decimals; every text is stored as text, never as a formula. The header
    row stays in view while scrolling. A value given as `Offered` gets its drop-down list.
    """
    sheet = workbook.create_sheet(name)
    # Write-only mode writes the sheet view and the columns before the first row.
    for index, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width(title)
    sheet.freeze_panes = "A2"
    header_cells = []
    for title in header:
        cell = as_text(WriteOnlyCell(sheet, value=cell_value(title)))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    sheet.append(header_cells)
    text_positions = {i for i, title in enumerate(header) if title in TEXT_COLUMNS}
    amount_positions = {i for i, title in enumerate(header) if title in AMOUNT_COLUMNS}
    # Runs of consecutive rows, per list and column: one range per run keeps the validations
    # few and short however many rows the sheet has.
    offered: dict[Choices, dict[int, list[list[int]]]] = {}
    for number, row in enumerate(rows, start=2):
        cells = []
        for i, value in enumerate(row):
            if isinstance(value, Offered):
                runs = offered.setdefault(value.choices, {}).setdefault(i, [])
                if runs and runs[-1][1] == number - 1:
                    runs[-1][1] = number
                else:
                    runs.append([number, number])
                value = value.value
            cell = as_text(WriteOnlyCell(sheet, value=cell_value(value)))
            if i in text_positions:
                cell.number_format = "@"
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif i in amount_positions and isinstance(value, int | float | Decimal):
                cell.number_format = AMOUNT_FORMAT
            cells.append(cell)
        sheet.append(cells)
    # Validations follow the rows in the sheet's XML: write-only mode takes them at the end.
    for choices, columns in offered.items():
        sqref = " ".join(
            _ranges(get_column_letter(i + 1), runs) for i, runs in sorted(columns.items())
        )
        sheet.data_validations.append(choices.validation(sqref))


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
