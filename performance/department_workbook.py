"""The department-wide sheets of the workbook: 部门整体目标 and 部门年度目标 (read and write).

Both are a department's statements (department-targets.md): only its own staff and admins
import them. A row names its department by (区划, 部门编码), the 区划 resolved as on every
other sheet (budgets.workbook.BudgetLookups.division_of).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, When

from budgets.access import STATEMENTS
from budgets.importer import (
    NO_PERMISSION_DEPARTMENT,
    VALUE_REQUIRED,
    Column,
    ImportContext,
    Row,
    Sheet,
)
from budgets.models import Department
from budgets.workbook import DIVISION_COLUMN, UNKNOWN_DEPARTMENT, DeptKey, lookups, upsert

from .choices import DEPARTMENT_LEVEL1_NAMES, GOAL, TASK
from .department import computed_metric
from .models import DepartmentGoal, DepartmentIndicator, DepartmentTargetLock, target_columns
from .services import INDICATOR_WEIGHT_INVALID, WEIGHT_MAX
from .signals import department_targets_written
from .values import ValueError_, excel_cell_text, format_decimal, parse_target
from .workbook import TARGET_PARTS, WEIGHT_NOT_POSITIVE, normalize_level1

DEPARTMENT_INDICATOR = "部门整体目标"
DEPARTMENT_GOAL = "部门年度目标"
DEPARTMENT_TARGETS_LOCKED = (
    "部门“{code}”{year}年度的部门整体绩效自评已提交，部门整体目标已锁定：不能{what}该指标"
)
# The stored columns a row sets: a locked department's row must leave them as they are.
LOCKED_FIELDS = ("level2", "raw", "weight", "note")

UNKNOWN_DEPARTMENT_LEVEL1 = (
    "一级指标“{value}”无效，应为投入管理指标、产出指标、效益指标或满意度指标"
)
DUPLICATE_DEPARTMENT_INDICATOR = (
    "三级指标“{name}”在部门“{code}”{year}年度的{level1}中重复（第{row}行已有）"
)
UNKNOWN_CATEGORY = "类别“{value}”无效，应为履职目标或主要任务"
BAD_ORDER = "序号应为正整数（如1、2、3），不能是“{value}”"
DUPLICATE_GOAL = "部门“{code}”{year}年度的{category}序号{order}重复（第{row}行已有）"

MAX_ORDER = 32767  # PositiveSmallIntegerField
# 项目编码 of a task: separated by 、 , ， ; (and, forgivingly, ； or line breaks).
_CODE_SEPARATORS = re.compile(r"[、,，;；\s]+")
CODE_SEPARATOR = "、"


def split_project_codes(text: str) -> list[str]:
    """The codes of a 项目编码 cell, in the order written."""
    return [code for code in _CODE_SEPARATORS.split(text) if code]


def normalize_category(text: str) -> str:
    """`年度主要任务` and `主要任务` both mean 主要任务."""
    return "".join(text.split()).removeprefix("年度")


def _department(sheet: Sheet, row: Row, code: str, *, project_codes=(), year=None):
    """The row's department as DeptKey, or None with the problem recorded: its 区划 resolved,
    the department known (stored or declared by this file's 项目 sheet) and the user allowed to
    write its statements."""
    lk = lookups(sheet.ctx)
    # A task's own projects decide its 区划 when no 区划编码 is given (as a row's 项目编码
    # does on the other sheets) — only a project of this very 部门编码.
    project = None
    if year is not None:
        for project_code in project_codes:
            ref = lk.project(year, project_code)
            if ref is not None and ref.department.code == code:
                project = ref
                break
    division = lk.division_of(row, code, project=project)
    if division is None:
        return None
    key = DeptKey(division, code)
    if key not in lk.departments:
        row.problem("部门编码", UNKNOWN_DEPARTMENT.format(code=code))
        return None
    if not sheet.ctx.may_change(lk.department_id(key), STATEMENTS):
        row.problem("部门编码", NO_PERMISSION_DEPARTMENT.format(code=code))
        return None
    return key


# --- 部门整体目标 ------------------------------------------------------------------------------


@dataclass
class DepartmentIndicatorRecord:
    row: int
    year: int
    department: DeptKey
    level1: str
    name: str
    fields: dict


class DepartmentIndicatorSheet(Sheet):
    name = DEPARTMENT_INDICATOR
    needs_formats = True
    action = STATEMENTS
    columns = (
        Column("年度", True),
        Column("部门编码", True),
        Column("一级指标", True),
        Column("二级指标"),
        Column("三级指标", True),
        Column("指标值", True),
        Column("指标值说明"),
        Column("权重"),
        Column(DIVISION_COLUMN),
    )

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.lookups = lookups(ctx)
        self.seen: dict[tuple, int] = {}
        # Few departments are locked at once: read them all, their indicators when needed.
        self.locked = set(DepartmentTargetLock.objects.values_list("department_id", "year"))
        self.stored: dict[tuple[int, int], dict[tuple[str, str], dict]] = {}

    def _locked_change(self, department_id: int, year: int, level1: str, name: str, fields) -> str:
        """What a row would do to a locked department's targets: "" when nothing changes."""
        if (department_id, year) not in self.locked:
            return ""
        if (department_id, year) not in self.stored:
            self.stored[(department_id, year)] = {
                (row["level1"], row["name"]): row
                for row in DepartmentIndicator.objects.filter(
                    department_id=department_id, year=year
                ).values("level1", "name", *LOCKED_FIELDS)
            }
        stored = self.stored[(department_id, year)].get((level1, name))
        if stored is None:
            return "新增"
        if any(stored[f] != fields[f] for f in LOCKED_FIELDS):
            return "修改"
        return ""

    def parse(self, row: Row) -> DepartmentIndicatorRecord | None:
        year = row.year("年度", required=True)
        code = row.text("部门编码", required=True, max_length=32)
        level1_text = row.text("一级指标", required=True, max_length=20)
        level2 = row.text("二级指标", max_length=50)
        name = row.text("三级指标", required=True, max_length=200)
        note = row.text("指标值说明", max_length=2000)
        weight = row.decimal("权重", places=3)
        level1 = normalize_level1(level1_text)
        if level1_text and level1 not in DEPARTMENT_LEVEL1_NAMES:
            row.problem("一级指标", UNKNOWN_DEPARTMENT_LEVEL1.format(value=level1_text))
        if weight is not None and weight <= 0:
            row.problem("权重", WEIGHT_NOT_POSITIVE.format(value=row.raw("权重")))
        elif weight is not None and weight > WEIGHT_MAX:
            row.problem("权重", INDICATOR_WEIGHT_INVALID.format(value=row.raw("权重")))
        text = excel_cell_text(row.values.get("指标值"), row.formats.get("指标值", ""))
        target = None
        try:
            # Without a valid 年度 the value is still checked, so every problem is named.
            target = parse_target(text, year or date.today().year)
        except ValueError_ as exc:
            row.problem("指标值", exc.message)
        if not row.ok or year is None or target is None:
            return None
        department = _department(self, row, code)
        if department is None:
            return None
        key = (year, department, level1, name)
        if key in self.seen:
            row.problem(
                "三级指标",
                DUPLICATE_DEPARTMENT_INDICATOR.format(
                    name=name, code=code, year=year, level1=level1, row=self.seen[key]
                ),
            )
            return None
        self.seen[key] = row.number
        fields = {
            "level2": level2,
            **target_columns(target),
            "weight": weight,
            "note": note,
            "metric": computed_metric(name),
        }
        department_id = self.lookups.department_id(department)
        if department_id is not None and (
            what := self._locked_change(department_id, year, level1, name, fields)
        ):
            row.problem(
                "三级指标", DEPARTMENT_TARGETS_LOCKED.format(code=code, year=year, what=what)
            )
            return None
        return DepartmentIndicatorRecord(row.number, year, department, level1, name, fields)

    def write(self, records: list[DepartmentIndicatorRecord]) -> None:
        ids = {r.department: self.lookups.department_id(r.department) for r in records}
        existing = {
            (i.department_id, i.year, i.level1, i.name): i
            for i in DepartmentIndicator.objects.filter(
                department_id__in=set(ids.values()), year__in={r.year for r in records}
            )
        }
        incoming, positions = {}, {}
        for r in records:
            key = (ids[r.department], r.year, r.level1, r.name)
            incoming[key] = {
                "department_id": key[0],
                "year": r.year,
                "level1": r.level1,
                "name": r.name,
                **r.fields,
            }
            # An indicator that is only being corrected keeps its place in the table.
            positions[key] = {"position": r.row}
        upsert(
            self.ctx,
            DepartmentIndicator,
            DEPARTMENT_INDICATOR,
            existing,
            incoming,
            create_only=positions,
            # The metric follows from the name: the preview shows what the row says.
            hidden=(*TARGET_PARTS, "metric"),
        )
        by_year: dict[int, set[int]] = {}
        for r in records:
            by_year.setdefault(r.year, set()).add(ids[r.department])
        for year, department_ids in by_year.items():
            department_targets_written.send(
                sender=DepartmentIndicator, year=year, department_ids=department_ids
            )


# --- 部门年度目标 ------------------------------------------------------------------------------


@dataclass
class DepartmentGoalRecord:
    year: int
    department: DeptKey
    category: str
    order: int
    name: str
    content: str
    project_codes: list[str]


class DepartmentGoalSheet(Sheet):
    name = DEPARTMENT_GOAL
    action = STATEMENTS
    columns = (
        Column("年度", True),
        Column("部门编码", True),
        Column("类别", True),
        Column("序号", True),
        Column("名称", True),
        Column("主要内容"),
        Column("项目编码"),
        Column(DIVISION_COLUMN),
    )

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.lookups = lookups(ctx)
        self.seen: dict[tuple, int] = {}

    @staticmethod
    def _order(row: Row) -> int | None:
        value = row.raw("序号")
        if value is None:
            row.problem("序号", VALUE_REQUIRED)
            return None
        number = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = int(value) if float(value).is_integer() else None
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        if number is None or not 1 <= number <= MAX_ORDER:
            row.problem("序号", BAD_ORDER.format(value=value))
            return None
        return number

    def parse(self, row: Row) -> DepartmentGoalRecord | None:
        year = row.year("年度", required=True)
        code = row.text("部门编码", required=True, max_length=32)
        category_text = row.text("类别", required=True, max_length=20)
        order = self._order(row)
        name = row.text("名称", required=True, max_length=4000)
        content = row.text("主要内容", max_length=4000)
        codes = split_project_codes(row.text("项目编码", max_length=2000))
        category = normalize_category(category_text)
        if category_text and category not in (GOAL, TASK):
            row.problem("类别", UNKNOWN_CATEGORY.format(value=category_text))
        if not row.ok or year is None or order is None:
            return None
        department = _department(self, row, code, project_codes=codes, year=year)
        if department is None:
            return None
        key = (year, department, category, order)
        if key in self.seen:
            row.problem(
                "序号",
                DUPLICATE_GOAL.format(
                    code=code, year=year, category=category, order=order, row=self.seen[key]
                ),
            )
            return None
        self.seen[key] = row.number
        # Codes are kept as written: one that names no project of the department is the
        # review's warning (department-targets.md, rule 4), not an import error.
        return DepartmentGoalRecord(year, department, category, order, name, content, codes)

    def write(self, records: list[DepartmentGoalRecord]) -> None:
        ids = {r.department: self.lookups.department_id(r.department) for r in records}
        existing = {
            (g.department_id, g.year, g.category, g.order): g
            for g in DepartmentGoal.objects.filter(
                department_id__in=set(ids.values()), year__in={r.year for r in records}
            )
        }
        upsert(
            self.ctx,
            DepartmentGoal,
            DEPARTMENT_GOAL,
            existing,
            {
                (ids[r.department], r.year, r.category, r.order): {
                    "department_id": ids[r.department],
                    "year": r.year,
                    "category": r.category,
                    "order": r.order,
                    "name": r.name,
                    "content": r.content,
                    "project_codes": r.project_codes,
                }
                for r in records
            },
        )


# --- export ----------------------------------------------------------------------------------


def export_rows(
    year: int, projects, as_of: date | None = None
) -> Iterator[tuple[str, list, Iterator[list]]]:
    """The 部门整体目标 and 部门年度目标 sheets of the given projects' departments."""
    departments = Department.objects.filter(pk__in=projects.order_by().values("department_id"))

    def weight(value: Decimal | None) -> Decimal | None:
        return None if value is None else Decimal(format_decimal(value))

    indicators = (
        DepartmentIndicator.objects.filter(year=year, department__in=departments)
        .select_related("department__division")
        .order_by("department__division__code", "department__code", "position", "id")
    )
    yield (
        DepartmentIndicatorSheet.name,
        [c.name for c in DepartmentIndicatorSheet.columns],
        (
            [
                i.year,
                i.department.code,
                i.level1,
                i.level2,
                i.name,
                i.raw,
                i.note,
                weight(i.weight),
                i.department.division.code,
            ]
            for i in indicators.iterator(chunk_size=2000)
        ),
    )
    goals = (
        DepartmentGoal.objects.filter(year=year, department__in=departments)
        .select_related("department__division")
        # 履职目标 before 主要任务, as the table lists them.
        .annotate(task=Case(When(category=TASK, then=1), default=0))
        .order_by("department__division__code", "department__code", "task", "order")
    )
    yield (
        DepartmentGoalSheet.name,
        [c.name for c in DepartmentGoalSheet.columns],
        (
            [
                g.year,
                g.department.code,
                g.category,
                g.order,
                g.name,
                g.content,
                CODE_SEPARATOR.join(g.project_codes),
                g.department.division.code,
            ]
            for g in goals.iterator(chunk_size=2000)
        ),
    )
