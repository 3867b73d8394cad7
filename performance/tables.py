"""The official tables as xlsx, laid out like the published documents: 预算12表
(部门预算项目绩效目标汇总表) and 预算11表 (部门（单位）整体绩效目标表), one sheet per department."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from budgets.models import Department, DepartmentBudget, Project
from budgets.rates import round_half_up
from budgets.selectors import DepartmentFigures
from budgets.xlsx import as_text

from .choices import (
    DEFAULT_DEPARTMENT_TARGETS,
    DEPARTMENT_METRIC_FORMULAS,
    DEPARTMENT_METRIC_GROUPS,
    DEPARTMENT_METRICS,
    LEVEL1_NAMES,
)
from .department import meets_target, met_label, parse_department_target
from .models import DepartmentTarget, Indicator
from .selectors import department_rates, indicators_by_project
from .values import ValueError_

TABLE_12_TITLE = "{year}年部门预算项目绩效目标汇总表"
TABLE_11_TITLE = "部门（单位）整体绩效目标表"
TABLE_12_FILENAME = "{year}年部门预算项目绩效目标汇总表（预算12表）.xlsx"
TABLE_11_FILENAME = "{year}年部门（单位）整体绩效目标表（预算11表）.xlsx"
NO_DATA = "本年度暂无项目"
NO_RATE = "—"

MONEY_FORMAT = "#,##0.00"
# The computed rate is stored as a number in percent (95.5), shown as 95.50%.
RATE_FORMAT = '0.00"%"'

_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
RIGHT = Alignment(vertical="center", horizontal="right")
TITLE_FONT = Font(bold=True, size=16)
HEADER_FONT = Font(bold=True)

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(department: Department, taken: set[str]) -> str:
    # Excel limits sheet names to 31 characters without []:*?/\ and unique in the book.
    base = _SHEET_NAME_BAD.sub("", f"{department.code} {department.name}")[:31].strip()
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
    cell = as_text(ws.cell(row=row, column=col, value=value))
    cell.alignment = align
    if fmt:
        cell.number_format = fmt
    return cell


def _print_setup(ws: Worksheet, title_rows: str) -> None:
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_title_rows = title_rows


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _money(amount: Decimal) -> Decimal:
    return round_half_up(amount) or Decimal(0)


# --- 预算12表 ---------------------------------------------------------------------------------

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


def _amount_cells(ws: Worksheet, row: int, total: Decimal) -> None:
    # The system keeps no split by source of funds: every amount is 政府预算资金.
    _put(ws, row, 3, _money(total), align=RIGHT, fmt=MONEY_FORMAT)
    _put(ws, row, 4, _money(total), align=RIGHT, fmt=MONEY_FORMAT)


def _table_12_sheet(
    ws: Worksheet,
    year: int,
    department: Department,
    projects: Sequence[Project],
    indicators: dict[int, list[Indicator]],
) -> None:
    _table_12_header(ws, year, department)
    row = T12_FIRST_DATA_ROW
    if not projects:
        _put(ws, row, 1, NO_DATA)
        _merge(ws, row, 1, row, T12_COLUMNS)
        _box(ws, row, row, 1, T12_COLUMNS)
        _print_setup(ws, "3:5")
        return
    by_unit: dict[int, list[Project]] = defaultdict(list)
    for project in projects:
        by_unit[project.unit_id].append(project)
    # 年初预算数 (年初预算 + 上年结转): the table is the budget as adopted, before adjustments.
    _put(ws, row, 1, department.code)
    _put(ws, row, 2, department.name)
    _amount_cells(ws, row, sum((p.initial_total for p in projects), Decimal(0)))
    for cell in ws[row]:
        cell.font = HEADER_FONT
    row += 1
    for unit_projects in sorted(by_unit.values(), key=lambda ps: ps[0].unit.code):
        unit = unit_projects[0].unit
        _put(ws, row, 1, unit.code)
        _put(ws, row, 2, unit.name)
        _amount_cells(ws, row, sum((p.initial_total for p in unit_projects), Decimal(0)))
        row += 1
        for project in unit_projects:
            groups = {level1: [] for level1 in LEVEL1_NAMES}
            for indicator in indicators.get(project.pk, []):
                groups[indicator.level1].append(indicator)
            height = max(1, *(len(items) for items in groups.values()))
            _put(ws, row, 1, project.code)
            _put(ws, row, 2, project.name)
            _amount_cells(ws, row, project.initial_total)
            for col in range(1, 7):
                _merge(ws, row, col, row + height - 1, col)
            for n, level1 in enumerate(LEVEL1_NAMES):
                for offset, indicator in enumerate(groups[level1]):
                    _put(ws, row + offset, 7 + 2 * n, indicator.name)
                    _put(ws, row + offset, 8 + 2 * n, indicator.raw)
            row += height
    _box(ws, T12_FIRST_DATA_ROW, row - 1, 1, T12_COLUMNS)
    ws.freeze_panes = ws.cell(row=T12_FIRST_DATA_ROW, column=3)
    _print_setup(ws, "3:5")


def _projects_of(year: int, departments: Sequence[Department]) -> dict[int, list[Project]]:
    projects = (
        Project.objects.filter(year=year, department__in=[d.pk for d in departments])
        .select_related("unit")
        .order_by("unit__code", "code")
    )
    result: dict[int, list[Project]] = defaultdict(list)
    for project in projects:
        result[project.department_id].append(project)
    return result


def table_12(*, year: int, departments: Sequence[Department]) -> bytes:
    """预算12表 of the departments (one sheet each) as xlsx bytes."""
    projects = _projects_of(year, departments)
    indicators = indicators_by_project(
        Project.objects.filter(year=year, department__in=[d.pk for d in departments])
    )
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for department in departments:
        ws = workbook.create_sheet(_sheet_title(department, taken))
        _table_12_sheet(ws, year, department, projects.get(department.pk, []), indicators)
    if not departments:
        workbook.create_sheet(NO_DATA)
    return _to_bytes(workbook)


# --- 预算11表 ---------------------------------------------------------------------------------

T11_WIDTHS = [14, 16, 22, 14, 14, 12, 52]
T11_COLUMNS = len(T11_WIDTHS)
T11_INDICATOR_HEADER = (
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值（目标）",
    "系统计算值",
    "达成情况",
    "指标值说明",
)
T11_LEVEL1 = "投入管理指标"
DEFAULT_TARGET_NOTE = "（部门未设置，采用常用目标值）"


@dataclass(frozen=True)
class MetricRow:
    """One 投入管理 row: the department's target and the value the system computed."""

    metric: str
    label: str
    group: str
    target: str
    is_default: bool
    rate: Decimal | None
    met: bool | None
    note: str
    formula: str


def metric_rows(
    *, year: int, rates: dict[str, Decimal | None], targets: dict[str, DepartmentTarget]
) -> list[MetricRow]:
    """The eight rows of a department in table order (shared by the xlsx and the page)."""
    rows = []
    for metric, label in DEPARTMENT_METRICS:
        own = targets.get(metric)
        text = own.target if own else DEFAULT_DEPARTMENT_TARGETS[metric]
        try:
            target = parse_department_target(text, year=year, metric_label=label)
        except ValueError_:
            target = None  # a row edited in the database by hand; shown, not judged
        rate = rates.get(metric)
        rows.append(
            MetricRow(
                metric=metric,
                label=label,
                group=DEPARTMENT_METRIC_GROUPS[metric],
                target=text,
                is_default=own is None,
                rate=rate,
                met=meets_target(rate, target),
                note=own.note if own else "",
                formula=DEPARTMENT_METRIC_FORMULAS[metric],
            )
        )
    return rows


def department_targets_of(
    year: int, department_ids: Sequence[int]
) -> dict[int, dict[str, DepartmentTarget]]:
    """{department_id: {metric: DepartmentTarget}} in one query."""
    result: dict[int, dict[str, DepartmentTarget]] = defaultdict(dict)
    for target in DepartmentTarget.objects.filter(year=year, department__in=department_ids):
        result[target.department_id][target.metric] = target
    return result


def _table_11_sheet(
    ws: Worksheet,
    *,
    year: int,
    as_of: date,
    department: Department,
    projects: Sequence[Project],
    basic: Decimal,
    department_figures: DepartmentFigures | None,
    rows: Sequence[MetricRow],
) -> None:
    last = T11_COLUMNS
    for n, width in enumerate(T11_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    _put(ws, 1, 1, TABLE_11_TITLE, align=CENTER).font = TITLE_FONT
    _merge(ws, 1, 1, 1, last)
    ws.row_dimensions[1].height = 30
    _put(ws, 2, 1, f"（{year}年度）", align=CENTER)
    _merge(ws, 2, 1, 2, last)

    row = 3
    _put(ws, row, 1, "单位名称", align=CENTER).font = HEADER_FONT
    _put(ws, row, 2, f"{department.code} {department.name}")
    _merge(ws, row, 2, row, last)
    _box(ws, row, row, 1, last)
    row += 1

    # 年度主要任务: the department's projects.
    tasks_start = row
    _put(ws, row, 1, "年度主要任务", align=CENTER).font = HEADER_FONT
    for col, end, label in ((2, 4, "任务名称"), (5, 6, "预算金额（万元）"), (7, 7, "实施单位")):
        _put(ws, row, col, label, align=CENTER).font = HEADER_FONT
        _merge(ws, row, col, row, end)
    row += 1
    for project in projects or [None]:
        if project is None:
            _put(ws, row, 2, NO_DATA)
        else:
            _put(ws, row, 2, project.name)
            _put(ws, row, 5, _money(project.initial_total), align=RIGHT, fmt=MONEY_FORMAT)
            _put(ws, row, 7, project.unit.name)
        _merge(ws, row, 2, row, 4)
        _merge(ws, row, 5, row, 6)
        row += 1
    _merge(ws, tasks_start, 1, row - 1, 1)
    _box(ws, tasks_start, row - 1, 1, last)

    # 预算情况: amounts of the budget as adopted, then where it stands on the as-of date.
    project_total = sum((p.initial_total for p in projects), Decimal(0))
    budget_rows = [
        ("部门预算总额（万元）", project_total + basic),
        ("其中：基本支出", basic),
        ("　　　项目支出", project_total),
    ]
    if department_figures is not None:
        budget_rows += [
            (f"全年预算数（截至{as_of:%Y-%m-%d}）", department_figures.budget.adjusted),
            (f"执行数（截至{as_of:%Y-%m-%d}）", department_figures.budget.executed),
        ]
    budget_start = row
    _put(ws, row, 1, "预算情况", align=CENTER).font = HEADER_FONT
    for label, amount in budget_rows:
        _put(ws, row, 2, label)
        _merge(ws, row, 2, row, 4)
        _put(ws, row, 5, _money(amount), align=RIGHT, fmt=MONEY_FORMAT)
        _merge(ws, row, 5, row, 6)
        row += 1
    _merge(ws, budget_start, 1, row - 1, 1)
    _box(ws, budget_start, row - 1, 1, last)

    # 投入管理: target and computed value of each rate.
    header_row = row
    for col, label in enumerate(T11_INDICATOR_HEADER, start=1):
        _put(ws, row, col, label, align=CENTER).font = HEADER_FONT
    row += 1
    first = row
    group_start = row
    for n, item in enumerate(rows):
        _put(ws, row, 1, T11_LEVEL1 if n == 0 else None, align=CENTER)
        if n == 0 or item.group != rows[n - 1].group:
            if row > group_start:
                _merge(ws, group_start, 2, row - 1, 2)
            group_start = row
            _put(ws, row, 2, item.group, align=CENTER)
        _put(ws, row, 3, item.label)
        _put(ws, row, 4, item.target, align=CENTER)
        rate = round_half_up(item.rate)
        if rate is None:
            _put(ws, row, 5, NO_RATE, align=CENTER)
        else:
            _put(ws, row, 5, rate, align=RIGHT, fmt=RATE_FORMAT)
        _put(ws, row, 6, met_label(item.met), align=CENTER)
        explanation = item.formula
        if item.is_default:
            explanation += DEFAULT_TARGET_NOTE
        if item.note:
            explanation += f"\n说明：{item.note}"
        _put(ws, row, 7, explanation)
        # Spreadsheet programs do not grow a row for wrapped text on their own when opening
        # a generated file; size it from the text (about two CJK characters per width unit).
        width = ws.column_dimensions[get_column_letter(7)].width or 40
        lines = sum(max(1, -(-len(part) * 2 // int(width))) for part in explanation.split("\n"))
        ws.row_dimensions[row].height = max(18, 15 * lines)
        row += 1
    _merge(ws, group_start, 2, row - 1, 2)
    _merge(ws, first, 1, row - 1, 1)
    _box(ws, header_row, row - 1, 1, last)

    note = (
        f"注：系统计算值截至{as_of:%Y年%m月%d日}，依据本系统记录的预算、调整、支出、"
        "绩效目标审核和监控自评数据计算；“—”表示分母为零或无相关预算，无法计算。"
    )
    _put(ws, row + 1, 1, note)
    _merge(ws, row + 1, 1, row + 1, last)
    ws.row_dimensions[row + 1].height = 32
    _print_setup(ws, "1:2")


def table_11(*, year: int, as_of: date, departments: Sequence[Department]) -> bytes:
    """预算11表 of the departments (one sheet each) as xlsx bytes."""
    ids = [d.pk for d in departments]
    projects = _projects_of(year, departments)
    rates = department_rates(year, as_of, Department.objects.filter(pk__in=ids))
    targets = department_targets_of(year, ids)
    basics = {
        b.department_id: b.basic_expenditure or Decimal(0)
        for b in DepartmentBudget.objects.filter(year=year, department__in=ids)
    }
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for department in departments:
        ws = workbook.create_sheet(_sheet_title(department, taken))
        entry = rates[department.pk]
        _table_11_sheet(
            ws,
            year=year,
            as_of=as_of,
            department=department,
            projects=projects.get(department.pk, []),
            basic=basics.get(department.pk, Decimal(0)),
            department_figures=entry.figures,
            rows=metric_rows(year=year, rates=entry.rates, targets=targets.get(department.pk, {})),
        )
    if not departments:
        workbook.create_sheet(NO_DATA)
    return _to_bytes(workbook)
