"""Reads of the budgets app: budget figures of projects and departments as of any date.

Every function here runs a fixed number of queries whatever the number of projects, so
pages, the API, exports and the nightly snapshot can all use them at province scale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
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
    DepartmentTotals,
    Division,
    Payment,
    Project,
    ProjectTotals,
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


def _month_of(as_of: date) -> tuple[date, date]:
    """The first and the last day of the as-of day's month.

    The running totals (budgets.totals) hold each month's payments and adjustments: figures
    as of a day are the totals of its month and the months before, less what is dated after
    the day in its month — nothing for a month's last day, and nothing for today unless
    something is dated in the future.
    """
    first = as_of.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def _totals_through(month: date) -> dict[str, Sum]:
    """Annotations of a project: its monthly totals summed up to `month`."""
    through = Q(totals__month__lte=month)
    return {
        "totals_paid": Sum("totals__paid", filter=through),
        "totals_adjustments": Sum("totals__adjustments", filter=through),
        "totals_policy": Sum("totals__policy_adjustments", filter=through),
    }


def _payment_sums(payments: QuerySet[Payment], *keys: str) -> QuerySet:
    """(*keys, all, 三公经费, 政府采购) of the payments summed by `keys`."""
    return (
        payments.order_by()
        .values(*keys)
        .annotate(
            total=Sum("amount"),
            tp=Sum("amount", filter=Q(three_public=True)),
            proc=Sum("amount", filter=Q(procurement=True)),
        )
        .values_list(*keys, "total", "tp", "proc")
    )


def _department_paid(totals: QuerySet[DepartmentTotals]) -> dict[int, list[Decimal]]:
    """department: [paid, 三公经费 paid, 政府采购 paid] of the monthly totals given."""
    rows = (
        totals.order_by()
        .values("department")
        .annotate(total=Sum("paid"), tp=Sum("three_public_paid"), proc=Sum("procurement_paid"))
        .values_list("department", "total", "tp", "proc")
    )
    return {dept: [total or ZERO, tp or ZERO, proc or ZERO] for dept, total, tp, proc in rows}


def _subtract(spent: dict[int, list[Decimal]], dept: int, *amounts: Decimal | None) -> None:
    """Take payments dated after the as-of day off a department's [paid, 三公经费, 政府采购]."""
    sums = spent.setdefault(dept, [ZERO, ZERO, ZERO])
    for i, amount in enumerate(amounts):
        sums[i] -= amount or ZERO


def _departments(
    budget: dict[int, list[Decimal]],
    spent: dict[int, list[Decimal]],
    facts: dict[int, DepartmentBudget],
) -> dict[int, DepartmentFigures]:
    """Each department's figures from its projects' [initial, adjustments, policy], its
    payments' [paid, 三公经费, 政府采购] and its 部门预算 row (basic expenditure, budgets)."""
    result = {}
    for dept in set(budget) | set(facts):
        fact = facts.get(dept)
        initial, delta, policy = budget.get(dept, (ZERO, ZERO, ZERO))
        start = initial + ((fact.basic_expenditure if fact else None) or ZERO)
        executed, three_public, procurement = spent.get(dept, (ZERO, ZERO, ZERO))
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


def project_figures(projects: QuerySet[Project], as_of: date) -> dict[int, BudgetFigures]:
    """Figures of every project in the queryset as of the date (three queries): the running
    totals (budgets.totals) through its month less what is dated after the day."""
    month, last = _month_of(as_of)
    rows = (
        projects.order_by()
        .annotate(**_totals_through(month))
        .values_list(
            "pk",
            "initial_budget",
            "carryover",
            "totals_paid",
            "totals_adjustments",
            "totals_policy",
        )
    )
    ids = projects.order_by().values("pk")
    after = {"date__gt": as_of, "date__lte": last}
    later_adjustments = _adjustments_by(
        Adjustment.objects.filter(project__in=ids, **after), "project"
    )
    later_payments = _sum_by(Payment.objects.filter(project__in=ids, **after), "project")
    none = (ZERO, ZERO)
    result = {}
    for pk, initial, carryover, paid, adjustments, policy in rows:
        start = (initial or ZERO) + (carryover or ZERO)
        later_delta, later_policy = later_adjustments.get(pk, none)
        result[pk] = BudgetFigures(
            initial=start,
            adjusted=start + (adjustments or ZERO) - later_delta,
            executed=(paid or ZERO) - later_payments.get(pk, ZERO),
            policy=(policy or ZERO) - later_policy,
        )
    return result


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
    """Figures of every department with projects or budget facts in the year (six queries):
    the running totals (budgets.totals) through the day's month less what is dated after it."""
    month, last = _month_of(as_of)
    after = {"date__gt": as_of, "date__lte": last}
    projects = Project.objects.filter(year=year)
    budgets = DepartmentBudget.objects.filter(year=year)
    project_totals = ProjectTotals.objects.filter(project__year=year, month__lte=month)
    paid = DepartmentTotals.objects.filter(year=year, month__lte=month)
    later_payments = Payment.objects.filter(year=year, **after)
    later_adjustments = Adjustment.objects.filter(project__year=year, **after)
    if departments is not None:
        ids = departments.order_by().values("pk")
        projects = projects.filter(department__in=ids)
        budgets = budgets.filter(department__in=ids)
        project_totals = project_totals.filter(project__department__in=ids)
        paid = paid.filter(department__in=ids)
        later_payments = later_payments.filter(department__in=ids)
        later_adjustments = later_adjustments.filter(project__department__in=ids)

    # department: [initial, adjustments, policy]
    budget = {
        dept: [(a or ZERO) + (b or ZERO), ZERO, ZERO]
        for dept, a, b in projects.order_by()
        .values("department")
        .annotate(a=Sum("initial_budget"), b=Sum("carryover"))
        .values_list("department", "a", "b")
    }
    for dept, adjustments, policy in (
        project_totals.order_by()
        .values("project__department")
        .annotate(adj=Sum("adjustments"), policy=Sum("policy_adjustments"))
        .values_list("project__department", "adj", "policy")
    ):
        budget[dept][1] += adjustments or ZERO
        budget[dept][2] += policy or ZERO
    for dept, (later_delta, later_policy) in _adjustments_by(
        later_adjustments, "project__department"
    ).items():
        budget[dept][1] -= later_delta
        budget[dept][2] -= later_policy
    # department: [executed, 三公经费 spent, 政府采购 spent]
    spent = _department_paid(paid)
    for dept, total, tp, proc in _payment_sums(later_payments, "department"):
        _subtract(spent, dept, total, tp, proc)
    return _departments(budget, spent, {b.department_id: b for b in budgets})


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
    them) from the running totals (budgets.totals) through the day's month, less the payments
    and adjustments dated after the day in that month — for today, or a month's end, none: no
    query here reads every payment. A project payment's year is its project's year (services
    and the import give it the year of its date, which must be its project's).
    """
    month, last = _month_of(as_of)
    after = {"date__gt": as_of, "date__lte": last}
    project_rows = Project.objects.filter(year=year)
    later_adjustment_rows = Adjustment.objects.filter(project__year=year, **after)
    later_payment_rows = Payment.objects.filter(year=year, **after)
    paid_rows = DepartmentTotals.objects.filter(year=year, month__lte=month)
    budget_rows = DepartmentBudget.objects.filter(year=year)
    if departments is not None:
        ids = departments.order_by().values("pk")
        project_rows = project_rows.filter(department__in=ids)
        later_adjustment_rows = later_adjustment_rows.filter(project__department__in=ids)
        later_payment_rows = later_payment_rows.filter(department__in=ids)
        paid_rows = paid_rows.filter(department__in=ids)
        budget_rows = budget_rows.filter(department__in=ids)
    projects = (
        project_rows.order_by()
        .annotate(**_totals_through(month))
        .values_list(
            "pk",
            "department_id",
            "initial_budget",
            "carryover",
            "totals_paid",
            "totals_adjustments",
            "totals_policy",
        )
    )
    later_adjustments = _adjustments_by(later_adjustment_rows, "project")
    later_payments = _payment_sums(later_payment_rows, "department", "project")
    # department: [executed, 三公经费 spent, 政府采购 spent]
    department_spent = _department_paid(paid_rows)
    facts = {
        b.department_id: b
        for b in budget_rows.only(
            "department_id", "basic_expenditure", "three_public_budget", "procurement_budget"
        )
    }

    later_paid: dict[int, Decimal] = {}
    for dept, project, total, tp, proc in later_payments:
        _subtract(department_spent, dept, total, tp, proc)
        if project is not None:
            later_paid[project] = total or ZERO

    none = (ZERO, ZERO)
    project_result: dict[int, BudgetFigures] = {}
    # department: [initial, adjustments, policy]
    department_budget: dict[int, list[Decimal]] = {}
    for pk, dept, initial, carryover, paid, adjustments, policy in projects:
        start = (initial or ZERO) + (carryover or ZERO)
        later_delta, later_policy = later_adjustments.get(pk, none)
        delta = (adjustments or ZERO) - later_delta
        policy = (policy or ZERO) - later_policy
        project_result[pk] = BudgetFigures(
            initial=start,
            adjusted=start + delta,
            executed=(paid or ZERO) - later_paid.get(pk, ZERO),
            policy=policy,
        )
        sums = department_budget.setdefault(dept, [ZERO, ZERO, ZERO])
        sums[0] += start
        sums[1] += delta
        sums[2] += policy

    department_result = _departments(department_budget, department_spent, facts)
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


def _anything_dated_between(after: date, last: date) -> bool:
    """Whether any payment or adjustment is dated after `after` up to `last` (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM budgets_payment WHERE date > %s AND date <= %s)"
            " OR EXISTS (SELECT 1 FROM budgets_adjustment WHERE date > %s AND date <= %s)",
            [after, last, after, last],
        )
        return bool(cursor.fetchone()[0])


def with_figures(projects: QuerySet[Project], as_of: date) -> QuerySet[Project]:
    """Annotate adjusted/executed totals and a sortable execution ratio in one query (after
    one query that looks for anything dated after the day in its month).

    `adjusted_total` and `executed_total` are exact (MoneyField): the running totals
    (budgets.totals) through the day's month, joined and summed per project, less what is
    dated after the day in its month — a subquery per project only when anything is (a past
    day in the middle of a month); `execution_sort` is a float used only for ORDER BY —
    displayed rates come from budgets.rates on the exact totals.
    """
    month, last = _month_of(as_of)
    after = {"date__gt": as_of, "date__lte": last}
    money = MoneyField()
    zero = Value(0, output_field=money)
    sums = _totals_through(month)
    # Declared MoneyField: F() + F() of MoneyFields otherwise resolves to a plain
    # IntegerField and comes back as raw fen (259999999 instead of 259.999999).
    adjusted = F("initial_budget") + F("carryover") + Coalesce(sums["totals_adjustments"], zero)
    executed = Coalesce(sums["totals_paid"], zero)
    if _anything_dated_between(as_of, last):
        later_adjustments = (
            Adjustment.objects.filter(project=OuterRef("pk"), **after)
            .order_by()
            .values("project")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        later_payments = (
            Payment.objects.filter(project=OuterRef("pk"), **after)
            .order_by()
            .values("project")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        adjusted = adjusted - Coalesce(Subquery(later_adjustments, output_field=money), zero)
        executed = executed - Coalesce(Subquery(later_payments, output_field=money), zero)
    return projects.annotate(
        adjusted_total=ExpressionWrapper(adjusted, output_field=money),
        executed_total=ExpressionWrapper(executed, output_field=money),
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
