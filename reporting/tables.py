"""The official tables laid out like the published documents: 预算12表
(部门预算项目绩效目标汇总表) and 预算11表 (部门（单位）整体绩效目标表).

Both are target tables: they print what the department stated and budgeted, never a figure
the system computes from payments nor an actual. Values (指标值) are printed with their
whitespace removed; the stored text stays as written. 预算11表 is laid out once as rows of
cells (`table_11_rows`), which the printable page and the xlsx both render.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from budgets.models import Department, DepartmentBudget, Project
from budgets.rates import round_half_up
from budgets.xlsx import as_text, cell_value
from performance.choices import (
    DEPARTMENT_METRIC_FORMULAS,
    DEPARTMENT_METRIC_GROUPS,
    DEPARTMENT_METRICS,
    GOAL,
    LEVEL1_INPUT,
    LEVEL1_NAMES,
    TASK,
)
from performance.models import DepartmentGoal, DepartmentIndicator
from performance.values import without_spaces

from .selectors import Table11Data, Table12Data, table_11_data, table_12_data

TABLE_12_TITLE = "{year}年部门预算项目绩效目标汇总表"
TABLE_11_TITLE = "部门（单位）整体绩效目标表"
TABLE_11_YEAR = "（{year}年度）"
TABLE_11_DEPARTMENT = "部门名称：{name}"
TABLE_12_FILENAME = "{year}年部门预算项目绩效目标汇总表（预算12表）.xlsx"
TABLE_11_FILENAME = "{year}年部门（单位）整体绩效目标表（预算11表）.xlsx"
NO_DATA = "本年度暂无项目"
GOAL_TEXT = "目标{order}：{name}"

MONEY_FORMAT = "#,##0.00"
ZERO = Decimal(0)

_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
RIGHT = Alignment(vertical="center", horizontal="right")
TITLE_FONT = Font(bold=True, size=16)
HEADER_FONT = Font(bold=True)

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


# --- money ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Funds:
    """资金总额 and its sources: 政府预算资金 + 财政专户管理资金 + 单位资金 = 资金总额."""

    total: Decimal = ZERO
    government: Decimal = ZERO
    special_account: Decimal = ZERO
    unit: Decimal = ZERO

    def __add__(self, other: Funds) -> Funds:
        return Funds(
            self.total + other.total,
            self.government + other.government,
            self.special_account + other.special_account,
            self.unit + other.unit,
        )

    @property
    def columns(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        return (self.total, self.government, self.special_account, self.unit)


def funds_of(total: Decimal, special_account: Decimal | None, unit: Decimal | None) -> Funds:
    """The sources of `total`: what is not 财政专户管理资金 or 单位资金 is 政府预算资金."""
    special_account, unit = special_account or ZERO, unit or ZERO
    return Funds(total, total - special_account - unit, special_account, unit)


def project_funds(project: Project) -> Funds:
    """资金总额 = 年初预算 + 上年结转 (the budget as adopted, before adjustments)."""
    return funds_of(project.initial_total, project.special_account_funds, project.unit_funds)


def total_funds(projects: Sequence[Project]) -> Funds:
    return sum((project_funds(p) for p in projects), Funds())


@dataclass(frozen=True)
class BudgetLines:
    """预算情况 of 预算11表."""

    total: Decimal
    sources: Funds
    basic: Decimal
    projects: Decimal


def budget_lines(budget: DepartmentBudget | None, projects: Sequence[Project]) -> BudgetLines:
    """部门预算总额 is the total the department states (部门预算总额), else 基本支出 + the
    projects' 资金总额. Basic expenditure has no split by source: it counts as 政府预算资金."""
    funds = total_funds(projects)
    basic = (budget.basic_expenditure if budget else None) or ZERO
    stated = budget.stated_total if budget else None
    total = stated if stated is not None else basic + funds.total
    return BudgetLines(
        total=total,
        sources=funds_of(total, funds.special_account, funds.unit),
        basic=basic,
        projects=funds.total,
    )


def _money(amount: Decimal) -> Decimal:
    return round_half_up(amount) or ZERO


# --- 预算11表 as rows of cells ----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell of a table laid out once for the page and the xlsx (columns from 0)."""

    value: str | Decimal
    col: int
    colspan: int = 1
    rowspan: int = 1
    head: bool = False
    money: bool = False
    # Long text, left-aligned (the page and the xlsx centre the rest).
    wide: bool = False


@dataclass(frozen=True)
class TargetRow:
    """One indicator line of 预算11表: the target as the department stated it."""

    level1: str
    level2: str
    name: str
    value: str
    note: str


def target_rows(indicators: Sequence[DepartmentIndicator]) -> list[TargetRow]:
    """The department's own indicators, values printed without whitespace."""
    return [
        TargetRow(i.level1, i.level2, i.name, without_spaces(i.raw), i.note) for i in indicators
    ]


def computed_placeholder_rows() -> list[TargetRow]:
    """A department without 部门整体目标: the indicators the system computes, each with an
    empty 指标值 for the department to set; no other department's targets are filled in."""
    return [
        TargetRow(
            LEVEL1_INPUT,
            DEPARTMENT_METRIC_GROUPS[metric],
            label,
            "",
            DEPARTMENT_METRIC_FORMULAS[metric],
        )
        for metric, label in DEPARTMENT_METRICS
    ]


T11_COLUMNS = 5
T11_WIDTHS = (14, 18, 26, 16, 60)
T11_INDICATOR_HEADER = ("一级指标", "二级指标", "三级指标", "指标值", "指标值说明")
T11_GOALS = "年度履职目标"
T11_TASKS = "年度主要任务"
T11_TASK_HEADER = ("任务名称", "主要内容")
T11_BUDGET = "预算情况"
T11_BUDGET_LABELS = (
    "部门预算总额（万元）",
    "1、资金来源：（1）政府预算资金",
    "（2）财政专户管理资金",
    "（3）单位资金",
    "2、资金结构：（1）基本支出",
    "（2）项目支出",
)


def _spans(keys: Sequence[object]) -> list[int]:
    """For each position, the length of the run of equal keys it starts (0 inside a run)."""
    spans = [0] * len(keys)
    start = 0
    for n in range(1, len(keys) + 1):
        if n == len(keys) or keys[n] != keys[start]:
            spans[start] = n - start
            start = n
    return spans


def _goal_rows(goals: Sequence[DepartmentGoal]) -> list[list[Cell]]:
    texts = [GOAL_TEXT.format(order=g.order, name=g.name) for g in goals] or [""]
    rows = [[Cell(text, 1, colspan=4, wide=True)] for text in texts]
    rows[0].insert(0, Cell(T11_GOALS, 0, rowspan=len(texts), head=True))
    return rows


def _task_rows(tasks: Sequence[DepartmentGoal]) -> list[list[Cell]]:
    lines = [(t.name, t.content) for t in tasks] or [("", "")]
    header = [
        Cell(T11_TASKS, 0, rowspan=len(lines) + 1, head=True),
        Cell(T11_TASK_HEADER[0], 1, colspan=2, head=True),
        Cell(T11_TASK_HEADER[1], 3, colspan=2, head=True),
    ]
    return [header] + [
        [Cell(name, 1, colspan=2, wide=True), Cell(content, 3, colspan=2, wide=True)]
        for name, content in lines
    ]


def _budget_rows(lines: BudgetLines) -> list[list[Cell]]:
    amounts = (
        lines.total,
        lines.sources.government,
        lines.sources.special_account,
        lines.sources.unit,
        lines.basic,
        lines.projects,
    )
    rows = [
        [Cell(label, 1, colspan=2, wide=True), Cell(_money(amount), 3, colspan=2, money=True)]
        for label, amount in zip(T11_BUDGET_LABELS, amounts, strict=True)
    ]
    rows[0].insert(0, Cell(T11_BUDGET, 0, rowspan=len(rows), head=True))
    return rows


def _indicator_rows(targets: Sequence[TargetRow]) -> list[list[Cell]]:
    rows = [[Cell(label, n, head=True) for n, label in enumerate(T11_INDICATOR_HEADER)]]
    level1_spans = _spans([t.level1 for t in targets])
    # 二级指标 merge within their 一级指标; an empty one is never merged with the next.
    level2_spans = _spans([(t.level1, t.level2 or object()) for t in targets])
    for target, level1_span, level2_span in zip(targets, level1_spans, level2_spans, strict=True):
        cells = []
        if level1_span:
            cells.append(Cell(target.level1, 0, rowspan=level1_span))
        if level2_span:
            cells.append(Cell(target.level2, 1, rowspan=level2_span))
        cells += [
            Cell(target.name, 2),
            Cell(target.value, 3),
            Cell(target.note, 4, wide=True),
        ]
        rows.append(cells)
    return rows


def table_11_rows(data: Table11Data) -> list[list[Cell]]:
    """The body of 预算11表 below its title lines, in the documents' layout."""
    goals = [g for g in data.goals if g.category == GOAL]
    tasks = [g for g in data.goals if g.category == TASK]
    targets = target_rows(data.indicators) or computed_placeholder_rows()
    return [
        *_goal_rows(goals),
        *_task_rows(tasks),
        *_budget_rows(budget_lines(data.budget, data.projects)),
        *_indicator_rows(targets),
    ]


def table_11_heading(year: int, department: Department) -> tuple[str, str, str]:
    """(title, year line, department line) above the table."""
    return (
        TABLE_11_TITLE,
        TABLE_11_YEAR.format(year=year),
        TABLE_11_DEPARTMENT.format(name=department.name),
    )


# --- xlsx helpers -------------------------------------------------------------------------------


def _sheet_title(department: Department, taken: set[str]) -> str:
    # Excel limits sheet names to 31 characters without []:*?/\ and unique in the book.
    # A control character in a name would write a sheet name no reader can open.
    name = cell_value(f"{department.code} {department.name}")
    base = _SHEET_NAME_BAD.sub("", name)[:31].strip()
    title, n = base, 2
    while title in taken:
        suffix = f"({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def _box(ws: Worksheet, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    """Border every cell of the range (merged cells included, or Excel draws gaps)."""
    for row in ws.iter_rows(
        min_row=first_row, max_row=last_row, min_col=first_col, max_col=last_col
    ):
        for cell in row:
            cell.border = BORDER


def _merge(ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
    if first_row != last_row or first_col != last_col:
        ws.merge_cells(
            start_row=first_row, start_column=first_col, end_row=last_row, end_column=last_col
        )


def _put(ws: Worksheet, row: int, col: int, value, *, align: Alignment = WRAP, fmt: str = ""):
    cell = as_text(ws.cell(row=row, column=col, value=cell_value(value)))
    cell.alignment = align
    if fmt:
        cell.number_format = fmt
    return cell


def _print_setup(ws: Worksheet, *, landscape: bool, title_rows: str = "") -> None:
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column `width` wide (about two CJK characters a unit)."""
    return sum(max(1, -(-len(part) * 2 // max(1, int(width)))) for part in text.split("\n"))


def _new_book() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


# --- 预算12表 -----------------------------------------------------------------------------------

# Columns: A code, B name, C-F amounts, then (三级指标, 指标值) for each 一级指标.
T12_COLUMNS = 6 + 2 * len(LEVEL1_NAMES)
T12_WIDTHS = [24, 30, 12, 12, 12, 10] + [22, 14] * len(LEVEL1_NAMES)
T12_AMOUNTS = ("资金总额", "政府预算资金", "财政专户管理资金", "单位资金")
T12_FIRST_DATA_ROW = 6


def _table_12_header(ws: Worksheet, year: int, department: Department) -> None:
    last = T12_COLUMNS
    _put(ws, 1, 1, TABLE_12_TITLE.format(year=year), align=CENTER).font = TITLE_FONT
    _merge(ws, 1, 1, 1, last)
    ws.row_dimensions[1].height = 30
    _put(ws, 2, 1, f"单位名称：{department.name}", align=Alignment(vertical="center"))
    _merge(ws, 2, 1, 2, 6)
    _put(ws, 2, last - 1, "单位：万元", align=RIGHT)
    _merge(ws, 2, last - 1, 2, last)
    headers = [
        (3, 1, 5, 1, "单位编码（项目编码）"),
        (3, 2, 5, 2, "项目单位（项目名称）"),
        (3, 3, 4, 6, "项目金额（万元）"),
        (3, 7, 3, last, "绩效目标"),
    ]
    for n, label in enumerate(T12_AMOUNTS):
        headers.append((5, 3 + n, 5, 3 + n, label))
    for n, level1 in enumerate(LEVEL1_NAMES):
        col = 7 + 2 * n
        headers.append((4, col, 4, col + 1, level1))
        headers.append((5, col, 5, col, "三级指标"))
        headers.append((5, col + 1, 5, col + 1, "指标值"))
    for first_row, first_col, last_row, last_col, label in headers:
        _put(ws, first_row, first_col, label, align=CENTER).font = HEADER_FONT
        _merge(ws, first_row, first_col, last_row, last_col)
    _box(ws, 3, 5, 1, last)
    for n, width in enumerate(T12_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width


def _amount_cells(ws: Worksheet, row: int, funds: Funds) -> None:
    # Every column prints a number, 0 where there is none, as the documents do.
    for n, amount in enumerate(funds.columns):
        _put(ws, row, 3 + n, _money(amount), align=RIGHT, fmt=MONEY_FORMAT)


def _table_12_sheet(ws: Worksheet, year: int, data: Table12Data) -> None:
    _table_12_header(ws, year, data.department)
    row = T12_FIRST_DATA_ROW
    projects = data.projects
    if not projects:
        _put(ws, row, 1, NO_DATA)
        _merge(ws, row, 1, row, T12_COLUMNS)
        _box(ws, row, row, 1, T12_COLUMNS)
        _print_setup(ws, landscape=True, title_rows="3:5")
        return
    # Units in the order their first project comes in the 项目 sheet, projects in sheet order.
    by_unit: dict[int, list[Project]] = {}
    for project in projects:
        by_unit.setdefault(project.unit_id, []).append(project)
    _put(ws, row, 1, data.department.code)
    _put(ws, row, 2, data.department.name)
    _amount_cells(ws, row, total_funds(projects))
    for cell in ws[row]:
        cell.font = HEADER_FONT
    row += 1
    for unit_projects in by_unit.values():
        unit = unit_projects[0].unit
        _put(ws, row, 1, unit.code)
        _put(ws, row, 2, unit.name)
        _amount_cells(ws, row, total_funds(unit_projects))
        row += 1
        for project in unit_projects:
            groups: dict[str, list] = {level1: [] for level1 in LEVEL1_NAMES}
            for indicator in data.indicators.get(project.pk, []):
                groups[indicator.level1].append(indicator)
            height = max(1, *(len(items) for items in groups.values()))
            _put(ws, row, 1, project.code)
            _put(ws, row, 2, project.name)
            _amount_cells(ws, row, project_funds(project))
            for col in range(1, 7):
                _merge(ws, row, col, row + height - 1, col)
            for n, level1 in enumerate(LEVEL1_NAMES):
                for offset, indicator in enumerate(groups[level1]):
                    _put(ws, row + offset, 7 + 2 * n, indicator.name)
                    _put(ws, row + offset, 8 + 2 * n, without_spaces(indicator.raw))
            row += height
    _box(ws, T12_FIRST_DATA_ROW, row - 1, 1, T12_COLUMNS)
    ws.freeze_panes = ws.cell(row=T12_FIRST_DATA_ROW, column=3)
    _print_setup(ws, landscape=True, title_rows="3:5")


def table_12_workbook(year: int, tables: Sequence[Table12Data]) -> bytes:
    """预算12表 of the departments, one sheet each, as xlsx bytes."""
    workbook = _new_book()
    taken: set[str] = set()
    for data in tables:
        _table_12_sheet(workbook.create_sheet(_sheet_title(data.department, taken)), year, data)
    if not tables:
        workbook.create_sheet(NO_DATA)
    return _to_bytes(workbook)


def table_12(*, year: int, departments: Sequence[Department]) -> bytes:
    """预算12表 of the departments (one sheet each) as xlsx bytes, in fixed queries."""
    return table_12_workbook(year, table_12_data(year, departments))


# --- 预算11表 -----------------------------------------------------------------------------------

T11_FIRST_ROW = 4


def _table_11_sheet(ws: Worksheet, year: int, data: Table11Data) -> None:
    last = T11_COLUMNS
    for n, width in enumerate(T11_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    title, year_line, department_line = table_11_heading(year, data.department)
    _put(ws, 1, 1, title, align=CENTER).font = TITLE_FONT
    _merge(ws, 1, 1, 1, last)
    ws.row_dimensions[1].height = 30
    _put(ws, 2, 1, year_line, align=CENTER)
    _merge(ws, 2, 1, 2, last)
    _put(ws, 3, 1, department_line, align=Alignment(vertical="center"))
    _merge(ws, 3, 1, 3, last)

    row = T11_FIRST_ROW
    for cells in table_11_rows(data):
        lines = 1
        for cell in cells:
            col = cell.col + 1
            if cell.money:
                _put(ws, row, col, cell.value, align=RIGHT, fmt=MONEY_FORMAT)
            else:
                xl = _put(ws, row, col, cell.value, align=WRAP if cell.wide else CENTER)
                if cell.head:
                    xl.font = HEADER_FONT
            _merge(ws, row, col, row + cell.rowspan - 1, col + cell.colspan - 1)
            if cell.rowspan == 1 and isinstance(cell.value, str) and cell.value:
                width = sum(T11_WIDTHS[cell.col : cell.col + cell.colspan])
                lines = max(lines, _lines(cell.value, width))
        # Spreadsheet programs do not grow a row for wrapped text on their own when opening
        # a generated file: size it from the text.
        ws.row_dimensions[row].height = max(18, 15 * lines)
        row += 1
    _box(ws, T11_FIRST_ROW, row - 1, 1, last)
    _print_setup(ws, landscape=False)


def table_11_workbook(year: int, tables: Sequence[Table11Data]) -> bytes:
    """预算11表 of the departments, one sheet each, as xlsx bytes."""
    workbook = _new_book()
    taken: set[str] = set()
    for data in tables:
        _table_11_sheet(workbook.create_sheet(_sheet_title(data.department, taken)), year, data)
    if not tables:
        workbook.create_sheet(NO_DATA)
    return _to_bytes(workbook)


def table_11(*, year: int, departments: Sequence[Department]) -> bytes:
    """预算11表 of the departments (one sheet each) as xlsx bytes, in fixed queries."""
    return table_11_workbook(year, table_11_data(year, departments))
