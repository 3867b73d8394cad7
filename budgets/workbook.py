"""The budgets app's sheets of the workbook: 项目, 部门预算, 预算调整, 支出 (read and write)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, is_dataclass
from dataclasses import fields as dataclass_fields
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from django.db.models import Q
from simple_history.utils import bulk_update_with_history

from . import divisions
from .access import covers_division, is_admin, is_reviewer
from .bulk import insert_rows_with_history, insert_with_history
from .choices import AdjustmentKind, ProjectType
from .importer import (
    CREATED,
    NO_PERMISSION_DEPARTMENT,
    SAMPLE_LIMIT,
    UPDATED,
    Column,
    ImportContext,
    Problem,
    Row,
    Sheet,
)
from .models import Adjustment, Department, DepartmentBudget, Division, Payment, Project, Unit
from .rates import format_money

UNKNOWN_DEPARTMENT = "部门编码“{code}”不存在（请先在“项目”表中导入该部门的项目）"
DIVISION_NEEDED = "无法确定部门“{code}”所属的区划，请填写“区划编码”列（6位，如410702）"
DEPARTMENT_IN_SEVERAL_DIVISIONS = (
    "部门编码“{code}”在“项目”表中属于多个区划（{divisions}），请填写“区划编码”列"
)
PROJECT_CODE_OTHER_DIVISION = "项目编码“{code}”以{prefix}开头，与部门所属区划{division}不符"
PROJECT_ROWS_SEVERAL_DIVISIONS = "部门“{code}”的项目编码前六位不一致（第{row}行为{other}）"
DIVISION_COLUMN = "区划编码"
SPECIAL_FUNDS_COLUMN = "财政专户管理资金"
UNIT_FUNDS_COLUMN = "单位资金"
STATED_TOTAL_COLUMN = "部门预算总额"
ADJUSTMENT_KIND_COLUMN = "调整类型"
UNKNOWN_PROJECT = "项目编码“{code}”在{year}年度不存在"
UNKNOWN_PROJECT_ANY_YEAR = "项目编码“{code}”不存在"
PROJECT_OF_OTHER_DEPARTMENT = "项目“{code}”属于部门“{owner}”，不属于部门“{code_given}”"
UNIT_OF_OTHER_DEPARTMENT = "单位编码“{unit}”已属于部门“{owner}”，不能再归入部门“{department}”"
BAD_PROJECT_TYPE = "项目类型“{value}”无效，应为“特定目标类”或“其他运转类”"
OTHER_FUNDS_OVER_TOTAL = (
    "财政专户管理资金{special}万元与单位资金{unit}万元之和超过资金总额"
    "（年初预算+上年结转）{total}万元"
)
BAD_ADJUSTMENT_KIND = "调整类型“{value}”无效，应为“一般调整”或“政策性调整”"
# The page's rule (budgets.services.BUDGET_WOULD_BE_NEGATIVE) over the whole sheet: the
# project's adjustments after the import are the stored ones this sheet leaves as they are
# (已有调整) and this sheet's rows (本表调整).
BUDGET_WOULD_BE_NEGATIVE = (
    "导入后项目“{code}”{year}年度全年预算数为{adjusted}万元，不能为负数"
    "（年初预算数{initial}万元，已有调整{existing}万元，本表调整{amount}万元）"
)
DUPLICATE_ROW = "与第{row}行的{key}相同但内容不同"
DATE_OUTSIDE_YEAR = "日期{day}不在{year}年度内"

DEPARTMENT = "部门"
UNIT = "单位"
PROJECT = "项目"
DEPARTMENT_BUDGET = "部门预算"
ADJUSTMENT = "预算调整"
PAYMENT = "支出"


class DeptKey(NamedTuple):
    """A department as rows name it: (区划编码, 部门编码)."""

    division: str
    code: str


@dataclass
class ProjectRef:
    """What an import knows of a project: in the database (id) or declared in this file."""

    id: int | None
    year: int
    code: str
    department: DeptKey
    # Targets locked by a submitted self-evaluation (budgets.Project.targets_locked).
    locked: bool = False
    # Stored 财政专户管理资金 and 单位资金: kept when a 项目 sheet leaves their columns out.
    other_funds: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))

    @property
    def department_code(self) -> str:
        return self.department.code


class BudgetLookups:
    """Divisions, departments, units and projects known to one import, loaded once."""

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.departments: dict[DeptKey, tuple[int | None, str]] = {
            DeptKey(division, code): (pk, name)
            for pk, division, code, name in Department.objects.values_list(
                "pk", "division__code", "code", "name"
            )
        }
        # Unit codes repeat across 区划: (区划编码, 单位编码) -> (id, its 部门编码).
        self.units: dict[tuple[str, str], tuple[int | None, str]] = {
            (division, code): (pk, dept_code)
            for pk, division, code, dept_code in Unit.objects.values_list(
                "pk", "department__division__code", "code", "department__code"
            )
        }
        self.projects: dict[tuple[int, str], ProjectRef] = {}
        # 项目编码 -> the projects of that code the 项目 sheet adds (no id yet): a sheet without
        # 年度 (绩效指标) names projects by code alone, once per row.
        self.declared_by_code: dict[str, list[ProjectRef]] = {}
        self._loaded_years: set[int] = set()
        # The 区划 each 部门编码 of the 项目 sheet was declared under, for the other sheets.
        self.declared_divisions: dict[str, set[str]] = {}
        # 部门编码 -> the 区划 that have it (stored or declared), for the resolution rules.
        self.code_divisions: dict[str, set[str]] = {}
        for key in self.departments:
            self.code_divisions.setdefault(key.code, set()).add(key.division)

    def add_department(self, key: DeptKey, name: str) -> None:
        """A department declared by this file's 项目 sheet."""
        if key not in self.departments:
            self.departments[key] = (None, name)
            self.code_divisions.setdefault(key.code, set()).add(key.division)

    def department_id(self, key: DeptKey) -> int | None:
        entry = self.departments.get(key)
        return entry[0] if entry else None

    def may_change(self, key: DeptKey) -> bool:
        """The user may write this department's budget facts.

        A department this file's 项目 sheet declares is not in the access rule's ids yet; only
        those allowed to create it in its 区划 (may_create_in) got to declare it.
        """
        pk = self.department_id(key)
        if pk is None and key in self.departments:
            return True
        return self.ctx.may_change(pk)

    def check_department(self, row: Row, column: str, key: DeptKey) -> bool:
        """The department exists (or is declared in this file) and the user may change it."""
        if key not in self.departments:
            row.problem(column, UNKNOWN_DEPARTMENT.format(code=key.code))
            return False
        if not self.may_change(key):
            row.problem(column, NO_PERMISSION_DEPARTMENT.format(code=key.code))
            return False
        return True

    # --- which 区划 a row's department belongs to (import-workbook.md, 区划) ----------------

    def division_of(
        self, row: Row, dept_code: str, *, project: ProjectRef | None = None, own_code: str = ""
    ) -> str | None:
        """The row's 区划, by the contract's order; records a problem and returns None when
        none applies. `project` is the row's own project; `own_code` the 项目 row's code."""
        given = row.text(DIVISION_COLUMN, max_length=20)
        if given:
            if not divisions.is_code(given):
                row.problem(DIVISION_COLUMN, divisions.BAD_CODE.format(code=given))
                return None
            return given
        if project is not None:
            return project.department.division
        if own_code:
            prefix = divisions.project_code_division(own_code)
            if prefix:
                return prefix
        declared = self.declared_divisions.get(dept_code, set())
        if len(declared) == 1:
            return next(iter(declared))
        if len(declared) > 1:
            row.problem(
                DIVISION_COLUMN,
                DEPARTMENT_IN_SEVERAL_DIVISIONS.format(
                    code=dept_code, divisions="、".join(sorted(declared))
                ),
            )
            return None
        writable = {
            division
            for division in self.code_divisions.get(dept_code, ())
            if self.may_change(DeptKey(division, dept_code))
        }
        if len(writable) == 1:
            return next(iter(writable))
        own = self._user_division()
        if own is not None:
            return own
        bureaus = self._bureaus | set().union(*self.code_divisions.values())
        if len(bureaus) == 1:
            return next(iter(bureaus))
        row.problem(DIVISION_COLUMN, DIVISION_NEEDED.format(code=dept_code))
        return None

    @cached_property
    def _bureaus(self) -> set[str]:
        """The system's 区划 besides those with departments: the ones nothing hangs below (an
        admin may set up a bureau before its first import; the divisions above do not count)."""
        return set(Division.objects.filter(children__isnull=True).values_list("code", flat=True))

    def _user_division(self) -> str | None:
        user = self.ctx.user
        if user is None:
            return None
        if user.division_id is not None:
            return user.division.code
        if user.department_id is not None:
            return user.department.division.code
        return None

    def may_create_in(self, division: str) -> bool:
        """A new department may be created by the operator, admins and the bureau covering it."""
        user = self.ctx.user
        if user is None or is_admin(user):
            return True
        return is_reviewer(user) and covers_division(user, division)

    # --- projects -------------------------------------------------------------------------

    def _load_year(self, year: int) -> None:
        if year in self._loaded_years:
            return
        self._loaded_years.add(year)
        rows = Project.objects.filter(year=year).values_list(
            "pk",
            "code",
            "department__division__code",
            "department__code",
            "targets_locked",
            "special_account_funds",
            "unit_funds",
        )
        for pk, code, division, dept_code, locked, special, unit in rows:
            self.projects.setdefault(
                (year, code),
                ProjectRef(pk, year, code, DeptKey(division, dept_code), locked, (special, unit)),
            )

    def project(self, year: int, code: str) -> ProjectRef | None:
        self._load_year(year)
        return self.projects.get((year, code))

    def project_any_year(self, code: str) -> ProjectRef | None:
        """A project named by code alone: declared in this file first, else the latest year."""
        declared = [ref for ref in self.declared_by_code.get(code, ()) if ref.id is None]
        if declared:
            return max(declared, key=lambda ref: ref.year)
        year = Project.objects.filter(code=code).order_by("-year").values_list("year", flat=True)
        year = year.first()
        if year is None:
            return None
        self._load_year(year)
        return self.projects.get((year, code))

    def declare_project(self, year: int, code: str, department: DeptKey) -> None:
        self._load_year(year)
        self.declared_divisions.setdefault(department.code, set()).add(department.division)
        ref = self.projects.get((year, code))
        if ref is None:
            ref = self.projects[(year, code)] = ProjectRef(None, year, code, department)
            self.declared_by_code.setdefault(code, []).append(ref)
        else:
            ref.department = department

    def project_ids(self, keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """Database ids of the given projects (those written earlier in this import too)."""
        missing = {key for key in keys if (ref := self.project(*key)) and ref.id is None}
        if missing:
            query = Q()
            for year, code in missing:
                query |= Q(year=year, code=code)
            for pk, year, code in Project.objects.filter(query).values_list("pk", "year", "code"):
                self.projects[(year, code)].id = pk
        return {key: self.projects[key].id for key in keys if key in self.projects}


def lookups(ctx: ImportContext) -> BudgetLookups:
    if "budgets" not in ctx.cache:
        ctx.cache["budgets"] = BudgetLookups(ctx)
    return ctx.cache["budgets"]


FINGERPRINT_MASK = (1 << 64) - 1


def fingerprint(content: Any) -> int:
    """A hash of a parsed row that is equal for equal rows (Decimal 1.5 and 1.50 alike)."""
    if isinstance(content, dict):
        content = tuple(content.items())
    elif is_dataclass(content):
        content = tuple(getattr(content, f.name) for f in dataclass_fields(content))
    return hash(content)


class DuplicateGuard:
    """Finds rows of one file that repeat a key with different content."""

    def __init__(self) -> None:
        # 16-byte digest of the key -> row number << 64 | a 64-bit fingerprint of the content.
        # Neither the key nor the row is kept: at 2,000,000 payments the tuples of strings
        # held about 1 GB until the end; this is about 150 bytes a row.
        self.seen: dict[bytes, int] = {}

    def check(self, row: Row, key: Any, content: Any, label: str, column: str) -> bool:
        """True for the first row of a key; a repeat is a problem unless it is identical."""
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
        mark = fingerprint(content) & FINGERPRINT_MASK
        previous = self.seen.get(digest)
        if previous is None:
            self.seen[digest] = row.number << 64 | mark
            return True
        if previous & FINGERPRINT_MASK != mark:
            row.problem(column, DUPLICATE_ROW.format(row=previous >> 64, key=label))
        # An identical repeat is harmless but is not written again: in another chunk it
        # would be counted as "unchanged" on a first import.
        return False


def upsert(
    ctx: ImportContext,
    model,
    entity: str,
    existing: dict[Any, Any],
    incoming: dict[Any, dict[str, Any]],
    *,
    create_only: dict[Any, dict[str, Any]] | None = None,
    touched: set[Any] | None = None,
    hidden: Collection[str] = (),
    instances: bool = True,
) -> dict[Any, Any]:
    """Create the missing rows, update the changed ones; returns every instance by key.

    `create_only` holds values used only when a row is new (e.g. an indicator's position);
    `touched` collects the keys that were created or updated. Every write goes into the
    audit trail with the importing user. The first rows created and updated are kept as the
    preview's samples (ImportContext.add_sample): a new row with its values (relations and
    empty cells left out: its label names it), a changed row with each changed field's old
    and new value; `hidden` fields (derived from another, such as a parsed target's parts)
    are not shown. With `instances` False the new rows are written from their values without
    building model instances (the big sheets: 支出) and are left out of the result.
    """
    to_create, to_update, fields = [], [], set()
    created_values = []
    result = {}
    for key, values in incoming.items():
        instance = existing.get(key)
        if instance is None:
            row = {**values, **(create_only or {}).get(key, {})}
            to_create.append(model(**row) if instances else row)
            created_values.append(values)
            if touched is not None:
                touched.add(key)
            if instances:
                result[key] = to_create[-1]
            continue
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        if changed:
            if ctx.wants_sample(entity, UPDATED):
                ctx.add_sample(
                    entity,
                    UPDATED,
                    instance,
                    [
                        (name, getattr(instance, name), values[name])
                        for name in changed
                        if name not in hidden
                    ],
                )
            for name in changed:
                setattr(instance, name, values[name])
            fields.update(changed)
            to_update.append(instance)
        else:
            ctx.count(entity, "unchanged")
            result[key] = instance
            continue
        if touched is not None:
            touched.add(key)
        result[key] = instance
    if to_create:
        if instances:
            insert_with_history(to_create, model, user=ctx.user)
        else:
            keys = insert_rows_with_history(model, to_create, user=ctx.user)
            # Instances only for the few rows the preview shows.
            sampled = min(len(keys), SAMPLE_LIMIT)
            to_create = [
                model(pk=k, **row) for k, row in zip(keys[:sampled], to_create, strict=False)
            ]
        ctx.count(entity, "created", len(created_values))
        for instance, values in zip(to_create, created_values, strict=False):
            if not ctx.wants_sample(entity, CREATED):
                break
            shown = [
                (name, None, value)
                for name, value in values.items()
                if name not in hidden
                and value not in (None, "", [])
                and not model._meta.get_field(name).is_relation
            ]
            ctx.add_sample(entity, CREATED, instance, shown)
    if to_update:
        bulk_update_with_history(
            to_update, model, sorted(fields), batch_size=500, default_user=ctx.user
        )
        ctx.count(entity, "updated", len(to_update))
    return result


# --- 项目 ------------------------------------------------------------------------------------


@dataclass
class ProjectRecord:
    year: int
    department: DeptKey
    department_name: str
    unit_code: str
    unit_name: str
    code: str
    name: str
    type: str
    initial_budget: Decimal
    carryover: Decimal
    special_account_funds: Decimal = Decimal(0)
    unit_funds: Decimal = Decimal(0)


class ProjectSheet(Sheet):
    name = "项目"
    columns = (
        Column("年度", True),
        Column("部门编码", True),
        Column("部门名称", True),
        Column("单位编码", True),
        Column("单位名称", True),
        Column("项目编码", True),
        Column("项目名称", True),
        Column("项目类型"),
        Column("年初预算", True),
        Column("上年结转"),
        Column(SPECIAL_FUNDS_COLUMN),
        Column(UNIT_FUNDS_COLUMN),
        Column(DIVISION_COLUMN),
    )

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.lookups = lookups(ctx)
        self.guard = DuplicateGuard()
        # (区划, 单位编码) -> (部门编码, row) as this file declares it.
        self.unit_owner: dict[tuple[str, str], tuple[str, int]] = {}
        # 部门编码 -> the prefix of its first 项目 row without 区划编码, and that row: rows that
        # leave the 区划 to their codes must agree (two bureaus' 060 need the column).
        self.prefixes: dict[str, tuple[str, int]] = {}

    def parse(self, row: Row) -> ProjectRecord | None:
        year = row.year("年度", required=True)
        dept_code = row.text("部门编码", required=True, max_length=32)
        dept_name = row.text("部门名称", required=True, max_length=200)
        unit_code = row.text("单位编码", required=True, max_length=32)
        unit_name = row.text("单位名称", required=True, max_length=200)
        code = row.text("项目编码", required=True, max_length=64)
        name = row.text("项目名称", required=True, max_length=300)
        type_ = row.text("项目类型", max_length=16)
        if type_ and type_ not in ProjectType.values:
            row.problem("项目类型", BAD_PROJECT_TYPE.format(value=type_))
        initial = row.decimal("年初预算", required=True, non_negative=True)
        carryover = row.decimal("上年结转", non_negative=True)
        special = row.decimal(SPECIAL_FUNDS_COLUMN, non_negative=True)
        unit_funds = row.decimal(UNIT_FUNDS_COLUMN, non_negative=True)
        if not row.ok:
            return None
        lk = self.lookups
        stored = lk.project(year, code)
        division = lk.division_of(
            row, dept_code, project=stored if stored and stored.id else None, own_code=code
        )
        if division is None:
            return None
        prefix = divisions.project_code_division(code)
        if prefix is not None and prefix != division:
            row.problem(
                "项目编码",
                PROJECT_CODE_OTHER_DIVISION.format(code=code, prefix=prefix, division=division),
            )
            return None
        dept = DeptKey(division, dept_code)
        if prefix is not None and row.raw(DIVISION_COLUMN) is None:
            first = self.prefixes.setdefault(dept_code, (prefix, row.number))
            if first[0] != prefix:
                row.problem(
                    "项目编码",
                    PROJECT_ROWS_SEVERAL_DIVISIONS.format(
                        code=dept_code, row=first[1], other=first[0]
                    ),
                )
                return None
        if dept in lk.departments:
            if not lk.may_change(dept):
                row.problem("部门编码", NO_PERMISSION_DEPARTMENT.format(code=dept_code))
                return None
        elif not lk.may_create_in(division):
            # Staff cannot bring a new department into the system, nor a bureau another's.
            row.problem("部门编码", NO_PERMISSION_DEPARTMENT.format(code=dept_code))
            return None
        unit_entry = lk.units.get((division, unit_code))
        owner = unit_entry[1] if unit_entry else None
        in_file = self.unit_owner.get((division, unit_code))
        if in_file and in_file[0] != dept_code:
            owner = in_file[0]
        if owner is not None and owner != dept_code:
            row.problem(
                "单位编码",
                UNIT_OF_OTHER_DEPARTMENT.format(unit=unit_code, owner=owner, department=dept_code),
            )
            return None
        self.unit_owner.setdefault((division, unit_code), (dept_code, row.number))
        if stored is not None and stored.id is not None and stored.department != dept:
            owner_id = lk.department_id(stored.department)
            if not self.ctx.may_change(owner_id):
                row.problem(
                    "项目编码", NO_PERMISSION_DEPARTMENT.format(code=stored.department_code)
                )
                return None
        # After the permission checks: the stored amounts are only named to those who may see them.
        special, unit_funds = self._other_funds(row, stored, special, unit_funds)
        total = initial + (carryover or Decimal(0))
        if special + unit_funds > total:
            # The column of an amount given in this row, else the total that became too low.
            given = ((SPECIAL_FUNDS_COLUMN, special), (UNIT_FUNDS_COLUMN, unit_funds))
            column = next((c for c, amount in given if row.has(c) and amount), "年初预算")
            row.problem(
                column,
                OTHER_FUNDS_OVER_TOTAL.format(
                    special=format_money(special),
                    unit=format_money(unit_funds),
                    total=format_money(total),
                ),
            )
            return None
        record = ProjectRecord(
            year,
            dept,
            dept_name,
            unit_code,
            unit_name,
            code,
            name,
            type_,
            initial,
            carryover or Decimal(0),
            special,
            unit_funds,
        )
        if not self.guard.check(row, (year, code), record, "年度与项目编码", "项目编码"):
            return None
        lk.add_department(dept, dept_name)
        lk.units.setdefault((division, unit_code), (None, dept_code))
        lk.declare_project(year, code, dept)
        return record

    @staticmethod
    def _other_funds(
        row: Row, stored: ProjectRef | None, special: Decimal | None, unit_funds: Decimal | None
    ) -> tuple[Decimal, Decimal]:
        """财政专户管理资金 and 单位资金 of the row: a blank cell is 0, a column the sheet
        leaves out keeps the stored amount (a workbook without them imports as before)."""
        kept = stored.other_funds if stored is not None and stored.id is not None else None
        zero = Decimal(0)
        return (
            (special or zero) if row.has(SPECIAL_FUNDS_COLUMN) or kept is None else kept[0],
            (unit_funds or zero) if row.has(UNIT_FUNDS_COLUMN) or kept is None else kept[1],
        )

    def write(self, records: list[ProjectRecord]) -> None:
        lk = self.lookups
        division_ids = {
            code: Division.ensure(code).pk for code in {r.department.division for r in records}
        }
        departments = upsert(
            self.ctx,
            Department,
            DEPARTMENT,
            {
                DeptKey(d.division.code, d.code): d
                for d in Department.objects.filter(
                    division_id__in=set(division_ids.values()),
                    code__in={r.department.code for r in records},
                ).select_related("division")
            },
            {
                r.department: {
                    "division_id": division_ids[r.department.division],
                    "code": r.department.code,
                    "name": r.department_name,
                }
                for r in records
            },
        )
        for key, dept in departments.items():
            lk.departments[key] = (dept.pk, dept.name)
        units = upsert(
            self.ctx,
            Unit,
            UNIT,
            {
                (u.department.division.code, u.code): u
                for u in Unit.objects.filter(
                    department__division_id__in=set(division_ids.values()),
                    code__in={r.unit_code for r in records},
                ).select_related("department__division")
            },
            {
                (r.department.division, r.unit_code): {
                    "code": r.unit_code,
                    "name": r.unit_name,
                    # Ids, not instances: comparing `unit.department` would fetch it per row.
                    "department_id": departments[r.department].pk,
                }
                for r in records
            },
        )
        for key, unit in units.items():
            lk.units[key] = (unit.pk, lk.units[key][1])
        existing = {
            (p.year, p.code): p
            for p in Project.objects.filter(
                year__in={r.year for r in records}, code__in={r.code for r in records}
            )
        }
        # A project moved to another department takes its adjustments along (their key
        # includes the department).
        moved = {
            project.pk: departments[r.department].pk
            for r in records
            if (project := existing.get((r.year, r.code))) is not None
            and project.department_id != departments[r.department].pk
        }
        projects = upsert(
            self.ctx,
            Project,
            PROJECT,
            existing,
            {
                (r.year, r.code): {
                    "year": r.year,
                    "code": r.code,
                    "name": r.name,
                    "type": r.type,
                    "department_id": departments[r.department].pk,
                    "unit_id": units[(r.department.division, r.unit_code)].pk,
                    "initial_budget": r.initial_budget,
                    "carryover": r.carryover,
                    "special_account_funds": r.special_account_funds,
                    "unit_funds": r.unit_funds,
                }
                for r in records
            },
        )
        for key, project in projects.items():
            ref = lk.project(*key)
            if ref is not None and project.pk:
                ref.id = project.pk
        for project_id, department_id in moved.items():
            Adjustment.objects.filter(project_id=project_id).update(department_id=department_id)


# --- 部门预算 --------------------------------------------------------------------------------


class DepartmentBudgetSheet(Sheet):
    name = "部门预算"
    columns = (
        Column("年度", True),
        Column("部门编码", True),
        Column("基本支出"),
        Column("三公经费预算"),
        Column("政府采购预算"),
        Column(STATED_TOTAL_COLUMN),
        Column(DIVISION_COLUMN),
    )

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.lookups = lookups(ctx)
        self.guard = DuplicateGuard()

    def parse(self, row: Row) -> dict | None:
        year = row.year("年度", required=True)
        code = row.text("部门编码", required=True, max_length=32)
        basic = row.decimal("基本支出", non_negative=True)
        three_public = row.decimal("三公经费预算", non_negative=True)
        procurement = row.decimal("政府采购预算", non_negative=True)
        stated = row.decimal(STATED_TOTAL_COLUMN, non_negative=True)
        if not row.ok:
            return None
        division = self.lookups.division_of(row, code)
        if division is None:
            return None
        code = DeptKey(division, code)
        if not self.lookups.check_department(row, "部门编码", code):
            return None
        record = {
            "year": year,
            "code": code,
            "basic_expenditure": basic,
            "three_public_budget": three_public,
            "procurement_budget": procurement,
        }
        # Left out of the sheet, the stored 部门预算总额 is kept (blank: none stated).
        if row.has(STATED_TOTAL_COLUMN):
            record["stated_total"] = stated
        if not self.guard.check(row, (year, code), record, "年度与部门编码", "部门编码"):
            return None
        return record

    def write(self, records: list[dict]) -> None:
        ids = {r["code"]: self.lookups.department_id(r["code"]) for r in records}
        existing = {
            (b.year, b.department_id): b
            for b in DepartmentBudget.objects.filter(
                department_id__in=set(ids.values()), year__in={r["year"] for r in records}
            )
        }
        upsert(
            self.ctx,
            DepartmentBudget,
            DEPARTMENT_BUDGET,
            existing,
            {
                (r["year"], ids[r["code"]]): {
                    "year": r["year"],
                    "department_id": ids[r["code"]],
                    "basic_expenditure": r["basic_expenditure"],
                    "three_public_budget": r["three_public_budget"],
                    "procurement_budget": r["procurement_budget"],
                    **({"stated_total": r["stated_total"]} if "stated_total" in r else {}),
                }
                for r in records
            },
        )


# --- 预算调整 --------------------------------------------------------------------------------


class AdjustmentRow(NamedTuple):
    """What the 全年预算数 check needs of one parsed row of the 预算调整 sheet."""

    number: int
    year: int
    code: str
    department: DeptKey
    document_number: str
    amount: Decimal


class AdjustmentSheet(Sheet):
    """预算调整. No project's 全年预算数 may end up negative: the rows are checked together,
    since a 追减 may be covered by a 追加 further down, before the first row is written."""

    name = "预算调整"
    columns = (
        Column("项目编码", True),
        Column("调整文号", True),
        Column("日期", True),
        Column("调整金额", True),
        Column(ADJUSTMENT_KIND_COLUMN),
        Column("说明"),
    )

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.lookups = lookups(ctx)
        self.guard = DuplicateGuard()
        self.rows: list[AdjustmentRow] = []
        self.checked = False

    def parse(self, row: Row) -> dict | None:
        code = row.text("项目编码", required=True, max_length=64)
        number = row.text("调整文号", required=True, max_length=100)
        day = row.date("日期", required=True)
        amount = row.decimal("调整金额", required=True)
        kind = row.text(ADJUSTMENT_KIND_COLUMN, max_length=20) or AdjustmentKind.GENERAL
        if kind not in AdjustmentKind.values:
            row.problem(ADJUSTMENT_KIND_COLUMN, BAD_ADJUSTMENT_KIND.format(value=kind))
        note = row.text("说明", max_length=2000)
        if not row.ok:
            return None
        year = day.year
        project = self.lookups.project(year, code)
        if project is None:
            row.problem("项目编码", UNKNOWN_PROJECT.format(code=code, year=year))
            return None
        if not self.lookups.may_change(project.department):
            row.problem("项目编码", NO_PERMISSION_DEPARTMENT.format(code=project.department_code))
            return None
        record = {
            "year": year,
            "code": code,
            "number": number,
            "date": day,
            "amount": amount,
            "note": note,
        }
        # Left out of the sheet, the stored 调整类型 is kept (a new adjustment: 一般调整).
        if row.has(ADJUSTMENT_KIND_COLUMN):
            record["kind"] = str(kind)
        record["department"] = project.department
        # The key is (年度, the project's department, 调整文号): another department's number is
        # another adjustment, never matched, never named.
        key = (year, project.department, number)
        if not self.guard.check(row, key, record, "调整文号", "调整文号"):
            return None
        self.rows.append(AdjustmentRow(row.number, year, code, project.department, number, amount))
        return record

    def write(self, records: list[dict]) -> None:
        if not self.checked:
            # Here, not while parsing: only the whole sheet tells a project's total, and the
            # 项目 sheet's new 年初预算 is in the database by now. A problem rolls back the
            # import, so nothing of this sheet is written.
            self.checked = True
            self.check_full_year_budgets()
        if self.ctx.problems:
            return
        lk = self.lookups
        project_ids = lk.project_ids({(r["year"], r["code"]) for r in records})
        dept_ids = {r["department"]: lk.department_id(r["department"]) for r in records}
        existing = {
            (a.year, a.department_id, a.document_number): a
            for a in Adjustment.objects.filter(
                year__in={r["year"] for r in records},
                department_id__in=set(dept_ids.values()),
                document_number__in={r["number"] for r in records},
            )
        }
        upsert(
            self.ctx,
            Adjustment,
            ADJUSTMENT,
            existing,
            {
                (r["year"], dept_ids[r["department"]], r["number"]): {
                    "year": r["year"],
                    "department_id": dept_ids[r["department"]],
                    "document_number": r["number"],
                    "project_id": project_ids[(r["year"], r["code"])],
                    "date": r["date"],
                    "amount": r["amount"],
                    "note": r["note"],
                    **({"kind": r["kind"]} if "kind" in r else {}),
                }
                for r in records
            },
        )

    def check_full_year_budgets(self) -> None:
        """A problem on the rows of each project whose 全年预算数 (年初预算数 plus its
        adjustments up to year end) would be negative after the import; reads only."""
        lk = self.lookups
        project_ids = lk.project_ids({(r.year, r.code) for r in self.rows})
        dept_ids = {r.department: lk.department_id(r.department) for r in self.rows}
        # 调整文号 key -> (project id, amount, row number); a row replaces the stored one.
        incoming = {
            (r.year, dept_ids[r.department], r.document_number): (
                project_ids[(r.year, r.code)],
                r.amount,
                r.number,
            )
            for r in self.rows
        }
        columns = ("year", "department_id", "document_number", "project_id", "amount", "date")
        # The stored rows this sheet replaces, then every adjustment of the projects concerned:
        # those of the rows, and those a row moves a stored adjustment away from.
        stored: dict[tuple, tuple[int, Decimal, date]] = {}
        for keys in self._batches(incoming):
            by_key = Adjustment.objects.filter(
                year__in={key[0] for key in keys},
                department_id__in={key[1] for key in keys},
                document_number__in={key[2] for key in keys},
            )
            for y, d, n, p, amount, day in by_key.values_list(*columns):
                if (y, d, n) in incoming:
                    stored[(y, d, n)] = (p, amount, day)
        concerned = {project_id for project_id, _, _ in incoming.values()}
        concerned |= {project_id for project_id, _, _ in stored.values()}
        projects: dict[int, tuple[str, int, Decimal]] = {}
        for ids in self._batches(concerned):
            rows = Adjustment.objects.filter(project_id__in=ids).values_list(*columns)
            stored.update(((y, d, n), (p, amount, day)) for y, d, n, p, amount, day in rows)
            for pk, code, year, initial, carryover in Project.objects.filter(
                pk__in=ids
            ).values_list("pk", "code", "year", "initial_budget", "carryover"):
                projects[pk] = (code, year, initial + carryover)

        def counted(project_id: int, day: date) -> bool:
            # 全年预算数 counts the adjustments up to the end of the project's year.
            return day <= date(projects[project_id][1], 12, 31)

        existing: dict[int, Decimal] = dict.fromkeys(projects, Decimal(0))
        for key, (project_id, amount, day) in stored.items():
            if key not in incoming and project_id in projects and counted(project_id, day):
                existing[project_id] += amount
        in_sheet: dict[int, Decimal] = dict.fromkeys(projects, Decimal(0))
        for project_id, amount, _ in incoming.values():
            in_sheet[project_id] += amount
        for project_id, (code, year, initial) in projects.items():
            adjusted = initial + existing[project_id] + in_sheet[project_id]
            if adjusted >= 0:
                continue
            message = BUDGET_WOULD_BE_NEGATIVE.format(
                code=code,
                year=year,
                adjusted=format_money(adjusted),
                initial=format_money(initial),
                existing=format_money(existing[project_id]),
                amount=format_money(in_sheet[project_id]),
            )
            for number in self._lowering_rows(project_id, incoming, stored, counted):
                self.ctx.add_problem(Problem(self.name, number, "调整金额", message))

    def _batches(self, items: Collection[Any]) -> Iterator[list[Any]]:
        # Bounded IN lists: SQLite caps the parameters of one query.
        items = list(items)
        for start in range(0, len(items), self.chunk_size):
            yield items[start : start + self.chunk_size]

    @staticmethod
    def _lowering_rows(project_id, incoming, stored, counted) -> list[int]:
        """The rows that lower the project's 全年预算数 against what is stored (a new 追减, a
        smaller amount, an adjustment moved away); else every row of the project."""
        lowering, own = [], []
        for key, (new_project, amount, number) in incoming.items():
            old = stored.get(key)
            before = old[1] if old and old[0] == project_id and counted(project_id, old[2]) else 0
            after = amount if new_project == project_id else 0
            if after < before:
                lowering.append(number)
            if new_project == project_id:
                own.append(number)
        return sorted(lowering or own)


# --- 支出 ------------------------------------------------------------------------------------


class PaymentSheet(Sheet):
    name = "支出"
    chunk_size = 5000
    columns = (
        Column("部门编码", True),
        Column("凭证号", True),
        Column("日期", True),
        Column("金额", True),
        Column("项目编码"),
        Column("三公经费"),
        Column("政府采购"),
        Column("摘要"),
        Column(DIVISION_COLUMN),
    )

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.lookups = lookups(ctx)
        self.guard = DuplicateGuard()

    def parse(self, row: Row) -> tuple | None:
        dept_code = row.text("部门编码", required=True, max_length=32)
        voucher = row.text("凭证号", required=True, max_length=100)
        day = row.date("日期", required=True)
        amount = row.decimal("金额", required=True)
        project_code = row.text("项目编码", max_length=64)
        three_public = row.yes_no("三公经费")
        procurement = row.yes_no("政府采购")
        summary = row.text("摘要", max_length=500)
        if not row.ok:
            return None
        year = day.year
        project = self.lookups.project(year, project_code) if project_code else None
        if project_code and project is None:
            row.problem("项目编码", UNKNOWN_PROJECT.format(code=project_code, year=year))
            return None
        division = self.lookups.division_of(row, dept_code, project=project)
        if division is None:
            return None
        dept_code = DeptKey(division, dept_code)
        if not self.lookups.check_department(row, "部门编码", dept_code):
            return None
        if project is not None and project.department != dept_code:
            owner, given = project.department.code, dept_code.code
            if owner == given:
                # The same code in two 区划: name both as 区划/部门编码.
                owner, given = "/".join(project.department), "/".join(dept_code)
            row.problem(
                "项目编码",
                PROJECT_OF_OTHER_DEPARTMENT.format(
                    code=project_code, owner=owner, code_given=given
                ),
            )
            return None
        record = (
            dept_code,
            year,
            voucher,
            day,
            amount,
            project_code,
            three_public,
            procurement,
            summary,
        )
        if not self.guard.check(row, (dept_code, year, voucher), record, "凭证号", "凭证号"):
            return None
        return record

    def write(self, records: list[tuple]) -> None:
        lk = self.lookups
        project_ids = lk.project_ids({(r[1], r[5]) for r in records if r[5]})
        dept_ids = {r[0]: lk.department_id(r[0]) for r in records}
        existing = {
            (p.department_id, p.year, p.voucher): p
            for p in Payment.objects.filter(
                department_id__in=set(dept_ids.values()),
                year__in={r[1] for r in records},
                voucher__in={r[2] for r in records},
            )
        }
        upsert(
            self.ctx,
            Payment,
            PAYMENT,
            existing,
            {
                (dept_ids[r[0]], r[1], r[2]): {
                    "department_id": dept_ids[r[0]],
                    "year": r[1],
                    "voucher": r[2],
                    "date": r[3],
                    "amount": r[4],
                    "project_id": project_ids[(r[1], r[5])] if r[5] else None,
                    "three_public": r[6],
                    "procurement": r[7],
                    "summary": r[8],
                }
                for r in records
            },
            instances=False,
        )


# --- export ----------------------------------------------------------------------------------


def export_rows(
    year: int, projects, as_of: date | None = None
) -> Iterator[tuple[str, list, Iterator[list]]]:
    """(sheet name, header, rows) of the budgets sheets for the given projects' year."""
    project_list = projects.select_related("department__division", "unit").order_by(
        "department__division__code", "department__code", "code"
    )
    department_ids = set(project_list.values_list("department_id", flat=True))
    yield (
        ProjectSheet.name,
        [c.name for c in ProjectSheet.columns],
        (
            [
                p.year,
                p.department.code,
                p.department.name,
                p.unit.code,
                p.unit.name,
                p.code,
                p.name,
                p.type,
                p.initial_budget,
                p.carryover,
                p.special_account_funds,
                p.unit_funds,
                p.department.division.code,
            ]
            for p in project_list.iterator(chunk_size=2000)
        ),
    )
    budgets = DepartmentBudget.objects.filter(year=year, department_id__in=department_ids)
    yield (
        DepartmentBudgetSheet.name,
        [c.name for c in DepartmentBudgetSheet.columns],
        (
            [
                b.year,
                b.department.code,
                b.basic_expenditure,
                b.three_public_budget,
                b.procurement_budget,
                b.stated_total,
                b.department.division.code,
            ]
            for b in budgets.select_related("department__division").order_by(
                "department__division__code", "department__code"
            )
        ),
    )
    adjustments = Adjustment.objects.filter(year=year, project__in=projects)
    if as_of:
        adjustments = adjustments.filter(date__lte=as_of)
    yield (
        AdjustmentSheet.name,
        [c.name for c in AdjustmentSheet.columns],
        (
            [a.project.code, a.document_number, a.date, a.amount, a.kind, a.note]
            for a in adjustments.select_related("project").order_by("date", "document_number")
        ),
    )
    payments = Payment.objects.filter(year=year, department_id__in=department_ids)
    if as_of:
        payments = payments.filter(date__lte=as_of)
    yield (
        PaymentSheet.name,
        [c.name for c in PaymentSheet.columns],
        (
            [
                p.department.code,
                p.voucher,
                p.date,
                p.amount,
                p.project.code if p.project else "",
                "是" if p.three_public else "否",
                "是" if p.procurement else "否",
                p.summary,
                p.department.division.code,
            ]
            for p in payments.select_related("department__division", "project")
            .order_by("date", "voucher")
            .iterator(chunk_size=5000)
        ),
    )
