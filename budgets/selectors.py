"""Reads of the budgets app: budget figures of projects and departments as of any date.

Every function here runs a fixed number of queries whatever the number of projects, so
pages, the API, exports and the nightly snapshot can all use them at province scale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import (
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from . import divisions
from .choices import AdjustmentKind
from .fields import MoneyField
from .models import (
    Adjustment,
    Department,
    DepartmentBudget,
    Division,
    Payment,
    Project,
    WarningSettings,
)
from .rates import (
    AMOUNT_TOLERANCE,
    BudgetFigures,
    procurement_execution_rate,
    three_public_control_rate,
)

ZERO = Decimal(0)

UNKNOWN_DIVISION = "区划编码“{code}”不存在"
UNKNOWN_DIVISION_ANYWHERE = "区划编码“{code}”不存在，也不在 GB/T 2260 区划代码中"
DEPARTMENT_NOT_FOUND = "部门编码“{ref}”不存在"
DEPARTMENT_IN_SEVERAL_DIVISIONS = (
    "部门编码“{code}”在多个区划中都有：{refs}，请写成“区划编码/部门编码”（如{example}）"
)


# --- 区划 and departments named in commands and filters ----------------------------------------


def division_by_code(text: str, *, create: bool = False) -> Division:
    """The 区划 of a six-digit code; with `create`, one GB/T 2260 knows is set up on first use.

    Raises ValidationError with a Chinese message for a malformed or unknown code.
    """
    code = text.strip()
    # Looked up first: the migration's `000000 未指定区划` is no GB/T code but may be exported.
    division = Division.objects.filter(code=code).first()
    if division is not None:
        return division
    if not divisions.is_code(code):
        raise ValidationError(divisions.BAD_CODE.format(code=code))
    if not create:
        raise ValidationError(UNKNOWN_DIVISION.format(code=code))
    if not divisions.is_known(code):
        # A typing error would otherwise set up a bureau nobody has; the import still
        # accepts such a code (named “区划NNNNNN”) when a workbook brings it.
        raise ValidationError(UNKNOWN_DIVISION_ANYWHERE.format(code=code))
    return Division.ensure(code)


def department_by_ref(text: str, queryset: QuerySet[Department] | None = None) -> Department:
    """The department named `部门编码` or `区划编码/部门编码` among `queryset` (default: all).

    A bare code that several 区划 have is ambiguous: the ValidationError names each as
    `区划/部门编码`, so the caller can repeat the one meant.
    """
    division, code = divisions.split_department_ref(text)
    # Six digits, not is_code(): `000000/060` names a department the migration left unplaced.
    if division is not None and not divisions.CODE_PATTERN.fullmatch(division):
        raise ValidationError(divisions.BAD_CODE.format(code=division))
    queryset = Department.objects.all() if queryset is None else queryset
    found = queryset.filter(code=code)
    if division is not None:
        found = found.filter(division__code=division)
    found = list(found.select_related("division").order_by("division__code")[:20])
    if not found:
        raise ValidationError(DEPARTMENT_NOT_FOUND.format(ref=text.strip()))
    if len(found) > 1:
        refs = "、".join(department.ref for department in found)
        raise ValidationError(
            DEPARTMENT_IN_SEVERAL_DIVISIONS.format(code=code, refs=refs, example=found[0].ref)
        )
    return found[0]


def default_as_of(year: int, today: date | None = None) -> date:
    """Today for the current year (or a future one), 31 December for a past year."""
    # China's today (settings.TIME_ZONE), not the server's: containers usually run in UTC,
    # where 00:00–08:00 in Shanghai is still yesterday.
    today = today or timezone.localdate()
    return today if year >= today.year else date(year, 12, 31)


@dataclass(frozen=True)
class WarningThresholds:
    green_fraction: Decimal
    yellow_fraction: Decimal


def warning_thresholds() -> WarningThresholds:
    """The execution-warning fractions as the finance bureau set them (one query)."""
    # Read, never created here: pages call this on a GET, and a GET writes nothing. Until the
    # admin site saves the row, the model's defaults apply.
    row = WarningSettings.objects.filter(pk=1).first() or WarningSettings()
    return WarningThresholds(row.green_fraction, row.yellow_fraction)


def _sum_by(queryset: QuerySet, key: str, field: str = "amount") -> dict[int, Decimal]:
    rows = queryset.values(key).annotate(total=Sum(field)).values_list(key, "total")
    return {k: total or ZERO for k, total in rows}


def _adjustments_by(queryset: QuerySet[Adjustment], key: str) -> dict[int, tuple[Decimal, Decimal]]:
    """(every adjustment, the 政策性调整 among them) summed by `key`, in one query."""
    rows = (
        queryset.order_by()
        .values(key)
        .annotate(total=Sum("amount"), policy=Sum("amount", filter=Q(kind=AdjustmentKind.POLICY)))
        .values_list(key, "total", "policy")
    )
    return {k: (total or ZERO, policy or ZERO) for k, total, policy in rows}


def project_figures(projects: QuerySet[Project], as_of: date) -> dict[int, BudgetFigures]:
    """Figures of every project in the queryset as of the date (three queries)."""
    base = {
        pk: (initial or ZERO) + (carryover or ZERO)
        for pk, initial, carryover in projects.order_by().values_list(
            "pk", "initial_budget", "carryover"
        )
    }
    ids = projects.order_by().values("pk")
    adjustments = _adjustments_by(
        Adjustment.objects.filter(project__in=ids, date__lte=as_of), "project"
    )
    payments = _sum_by(Payment.objects.filter(project__in=ids, date__lte=as_of), "project")
    none = (ZERO, ZERO)
    return {
        pk: BudgetFigures(
            initial=initial,
            adjusted=initial + adjustments.get(pk, none)[0],
            executed=payments.get(pk, ZERO),
            policy=adjustments.get(pk, none)[1],
        )
        for pk, initial in base.items()
    }


@dataclass(frozen=True)
class DepartmentFigures:
    """A department's money of one year: all its projects plus its basic expenditure."""

    department_id: int
    budget: BudgetFigures
    three_public_spent: Decimal
    three_public_budget: Decimal | None
    procurement_spent: Decimal
    procurement_budget: Decimal | None

    @property
    def three_public_control_rate(self) -> Decimal | None:
        return three_public_control_rate(self.three_public_spent, self.three_public_budget)

    @property
    def procurement_execution_rate(self) -> Decimal | None:
        return procurement_execution_rate(self.procurement_spent, self.procurement_budget)


def department_figures(
    year: int, as_of: date, departments: QuerySet[Department] | None = None
) -> dict[int, DepartmentFigures]:
    """Figures of every department with projects or budget facts in the year (four queries)."""
    projects = Project.objects.filter(year=year)
    budgets = DepartmentBudget.objects.filter(year=year)
    payments = Payment.objects.filter(year=year, date__lte=as_of)
    adjustments = Adjustment.objects.filter(project__year=year, date__lte=as_of)
    if departments is not None:
        ids = departments.order_by().values("pk")
        projects = projects.filter(department__in=ids)
        budgets = budgets.filter(department__in=ids)
        payments = payments.filter(department__in=ids)
        adjustments = adjustments.filter(project__department__in=ids)

    initial = {
        dept: (a or ZERO) + (b or ZERO)
        for dept, a, b in projects.order_by()
        .values("department")
        .annotate(a=Sum("initial_budget"), b=Sum("carryover"))
        .values_list("department", "a", "b")
    }
    adjusted_delta = _adjustments_by(adjustments, "project__department")
    spent = {
        dept: (total or ZERO, tp or ZERO, proc or ZERO)
        for dept, total, tp, proc in payments.order_by()
        .values("department")
        .annotate(
            total=Sum("amount"),
            tp=Sum("amount", filter=Q(three_public=True)),
            proc=Sum("amount", filter=Q(procurement=True)),
        )
        .values_list("department", "total", "tp", "proc")
    }
    facts = {b.department_id: b for b in budgets}
    result = {}
    for dept in set(initial) | set(facts):
        fact = facts.get(dept)
        basic = (fact.basic_expenditure if fact else None) or ZERO
        start = initial.get(dept, ZERO) + basic
        executed, three_public, procurement = spent.get(dept, (ZERO, ZERO, ZERO))
        delta, policy = adjusted_delta.get(dept, (ZERO, ZERO))
        result[dept] = DepartmentFigures(
            department_id=dept,
            budget=BudgetFigures(
                initial=start, adjusted=start + delta, executed=executed, policy=policy
            ),
            three_public_spent=three_public,
            three_public_budget=fact.three_public_budget if fact else None,
            procurement_spent=procurement,
            procurement_budget=fact.procurement_budget if fact else None,
        )
    return result


@dataclass(frozen=True)
class YearFigures:
    """Every project's and every department's figures of one year as of one date."""

    projects: dict[int, BudgetFigures]
    departments: dict[int, DepartmentFigures]


def year_figures(
    year: int, as_of: date, departments: QuerySet[Department] | None = None
) -> YearFigures:
    """All figures of the year (of the given departments) in five queries: the nightly
    snapshot and the bureau's home.

    Gives the same figures as `project_figures` and `department_figures` (tests compare
    them), but the payments are summed once, grouped by department and project, and the
    departments' sums are added up from those rows (only the payments marked 三公经费 or
    政府采购 are read again): at province scale the payments are nearly all of the work. A
    project payment's year is its project's year (services and the import give it the year of
    its date, which must be its project's), so filtering payments on `year` takes exactly the
    projects' payments.
    """
    project_rows = Project.objects.filter(year=year)
    adjustment_rows = Adjustment.objects.filter(project__year=year, date__lte=as_of)
    payment_rows = Payment.objects.filter(year=year, date__lte=as_of)
    budget_rows = DepartmentBudget.objects.filter(year=year)
    if departments is not None:
        ids = departments.order_by().values("pk")
        project_rows = project_rows.filter(department__in=ids)
        adjustment_rows = adjustment_rows.filter(project__department__in=ids)
        payment_rows = payment_rows.filter(department__in=ids)
        budget_rows = budget_rows.filter(department__in=ids)
    projects: dict[int, tuple[int, Decimal]] = {
        pk: (dept, (initial or ZERO) + (carryover or ZERO))
        for pk, dept, initial, carryover in project_rows.order_by().values_list(
            "pk", "department_id", "initial_budget", "carryover"
        )
    }
    adjustments = _adjustments_by(adjustment_rows, "project")
    # One plain sum per department and project, then the marked payments alone: conditional
    # sums over every payment cost PostgreSQL twice the plain scan.
    spent = (
        payment_rows.order_by()
        .values("department", "project")
        .annotate(total=Sum("amount"))
        .values_list("department", "project", "total")
    )
    marked = (
        payment_rows.filter(Q(three_public=True) | Q(procurement=True))
        .order_by()
        .values("department")
        .annotate(
            tp=Sum("amount", filter=Q(three_public=True)),
            proc=Sum("amount", filter=Q(procurement=True)),
        )
        .values_list("department", "tp", "proc")
    )
    facts = {
        b.department_id: b
        for b in budget_rows.only(
            "department_id", "basic_expenditure", "three_public_budget", "procurement_budget"
        )
    }

    executed: dict[int, Decimal] = {}
    # department: [executed, 三公经费 spent, 政府采购 spent]
    department_spent: dict[int, list[Decimal]] = {}
    for dept, project, total in spent:
        department_spent.setdefault(dept, [ZERO, ZERO, ZERO])[0] += total or ZERO
        if project is not None:
            executed[project] = total or ZERO
    for dept, tp, proc in marked:
        sums = department_spent.setdefault(dept, [ZERO, ZERO, ZERO])
        sums[1] += tp or ZERO
        sums[2] += proc or ZERO

    none = (ZERO, ZERO)
    project_result: dict[int, BudgetFigures] = {}
    # department: [initial, adjustments, policy]
    department_budget: dict[int, list[Decimal]] = {}
    for pk, (dept, initial) in projects.items():
        delta, policy = adjustments.get(pk, none)
        project_result[pk] = BudgetFigures(
            initial=initial,
            adjusted=initial + delta,
            executed=executed.get(pk, ZERO),
            policy=policy,
        )
        sums = department_budget.setdefault(dept, [ZERO, ZERO, ZERO])
        sums[0] += initial
        sums[1] += delta
        sums[2] += policy

    department_result: dict[int, DepartmentFigures] = {}
    for dept in set(department_budget) | set(facts):
        fact = facts.get(dept)
        initial, delta, policy = department_budget.get(dept, (ZERO, ZERO, ZERO))
        start = initial + ((fact.basic_expenditure if fact else None) or ZERO)
        total, three_public, procurement = department_spent.get(dept, (ZERO, ZERO, ZERO))
        department_result[dept] = DepartmentFigures(
            department_id=dept,
            budget=BudgetFigures(
                initial=start, adjusted=start + delta, executed=total, policy=policy
            ),
            three_public_spent=three_public,
            three_public_budget=fact.three_public_budget if fact else None,
            procurement_spent=procurement,
            procurement_budget=fact.procurement_budget if fact else None,
        )
    return YearFigures(projects=project_result, departments=department_result)


@dataclass(frozen=True)
class DepartmentBudgetTotals:
    """A department's stated 部门预算总额 beside the total its facts add up to (万元).

    `computed` = 基本支出 + every project's 年初预算 + 上年结转 of the year (adjustments left
    out: the stated total is the year-start budget).
    """

    department_id: int
    stated: Decimal | None
    basic_expenditure: Decimal
    projects: Decimal

    @property
    def computed(self) -> Decimal:
        return self.basic_expenditure + self.projects

    @property
    def differs(self) -> bool:
        """The stated total is given and differs from the computed one by more than 0.005."""
        return (
            self.stated is not None and (self.stated - self.computed).copy_abs() > AMOUNT_TOLERANCE
        )


def department_budget_totals(
    departments: QuerySet[Department] | Iterable[int], year: int
) -> dict[int, DepartmentBudgetTotals]:
    """部门预算总额 as stated and as computed, for every given department with a 部门预算 row
    or projects in the year, by department id (two queries)."""
    if isinstance(departments, QuerySet):
        ids = departments.order_by().values("pk")
    else:
        ids = list(departments)
    projects = {
        dept: (initial or ZERO) + (carryover or ZERO)
        for dept, initial, carryover in Project.objects.filter(year=year, department__in=ids)
        .order_by()
        .values("department")
        .annotate(initial_sum=Sum("initial_budget"), carryover_sum=Sum("carryover"))
        .values_list("department", "initial_sum", "carryover_sum")
    }
    facts = {
        dept: (stated, basic)
        for dept, stated, basic in DepartmentBudget.objects.filter(
            year=year, department__in=ids
        ).values_list("department", "stated_total", "basic_expenditure")
    }
    return {
        dept: DepartmentBudgetTotals(
            department_id=dept,
            stated=facts.get(dept, (None, None))[0],
            basic_expenditure=facts.get(dept, (None, None))[1] or ZERO,
            projects=projects.get(dept, ZERO),
        )
        for dept in set(projects) | set(facts)
    }


def procurement_budgets_by_project(projects: QuerySet[Project]) -> dict[int, Decimal]:
    """Each project's department's 政府采购预算 of the project's year, by project id; 0 where
    the department has no 部门预算 row or left it blank (one query)."""
    budget = DepartmentBudget.objects.filter(
        department=OuterRef("department"), year=OuterRef("year")
    ).values("procurement_budget")[:1]
    rows = (
        projects.order_by()
        .annotate(procurement=Subquery(budget, output_field=MoneyField()))
        .values_list("pk", "procurement")
    )
    return {pk: procurement or ZERO for pk, procurement in rows}


def with_figures(projects: QuerySet[Project], as_of: date) -> QuerySet[Project]:
    """Annotate adjusted/executed totals and a sortable execution ratio in one query.

    `adjusted_total` and `executed_total` are exact (MoneyField); `execution_sort` is a float
    used only for ORDER BY — displayed rates come from budgets.rates on the exact totals.
    """
    adjustment_sum = (
        Adjustment.objects.filter(project=OuterRef("pk"), date__lte=as_of)
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    payment_sum = (
        Payment.objects.filter(project=OuterRef("pk"), date__lte=as_of)
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = MoneyField()
    zero = Value(0, output_field=money)
    return projects.annotate(
        # Declared MoneyField: F() + F() of MoneyFields otherwise resolves to a plain
        # IntegerField and comes back as raw fen (259999999 instead of 259.999999).
        adjusted_total=ExpressionWrapper(
            F("initial_budget")
            + F("carryover")
            + Coalesce(Subquery(adjustment_sum, output_field=money), zero),
            output_field=money,
        ),
        executed_total=Coalesce(Subquery(payment_sum, output_field=money), zero),
    ).annotate(
        execution_sort=Cast("executed_total", FloatField())
        / NullIf(Cast("adjusted_total", FloatField()), Value(0.0))
    )


# --- the official tables (预算11表, 预算12表) ----------------------------------------------------


def projects_in_sheet_order(year: int, department_ids: list[int]) -> QuerySet[Project]:
    """The departments' projects of the year with their units, in the order of the `项目` sheet.

    A project has no position of its own: its id follows the row of the sheet that first
    imported it (rows are created in sheet order), so a re-import keeps the order it set.
    """
    return (
        Project.objects.filter(year=year, department__in=department_ids)
        .select_related("unit")
        .order_by("pk")
    )


def department_budgets(year: int, department_ids: list[int]) -> dict[int, DepartmentBudget]:
    """{department_id: its 部门预算 row} of the year (one query)."""
    rows = DepartmentBudget.objects.filter(year=year, department__in=department_ids)
    return {row.department_id: row for row in rows}
