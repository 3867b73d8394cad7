"""Reads of the performance app: indicators of many projects and their target review, a
department's own targets (部门整体目标, 年度履职目标 and 主要任务)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from budgets.models import Department, DepartmentBudget, Project
from budgets.rates import BudgetFigures
from budgets.selectors import (
    department_budget_totals,
    procurement_budgets_by_project,
    project_figures,
)

from .choices import DEPARTMENT_LEVEL1_NAMES, TASK
from .department_review import DepartmentIndicatorInput, TaskInput, review_department
from .models import (
    DepartmentGoal,
    DepartmentIndicator,
    DepartmentScoringSettings,
    DepartmentTargetLock,
    Indicator,
    target_from_fields,
)
from .review import ReviewInput, ReviewResult, review_targets
from .scoring import ScoringScheme, department_scheme
from .values import TargetValue, ValueError_, parse_target


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """An indicator as read for lists and exports: plain values, no model instance.

    Building 50,000 model instances costs several times the query itself; the review list
    and the export read every indicator of a year, so they take these rows instead.
    """

    pk: int
    project_id: int
    level1: str
    level2: str
    name: str
    raw: str
    kind: str
    comparator: str
    value: str
    upper: str
    unit: str | None
    weight: Decimal | None
    note: str

    @property
    def target(self) -> TargetValue:
        return target_from_fields(
            self.raw, self.kind, self.comparator, self.value, self.upper, self.unit
        )


_ROW_FIELDS = tuple(f.name for f in IndicatorRow.__dataclass_fields__.values())


def indicators_by_project(projects: QuerySet[Project]) -> dict[int, list[IndicatorRow]]:
    """Every indicator of the projects, in table order (one query)."""
    result: dict[int, list[IndicatorRow]] = defaultdict(list)
    rows = (
        Indicator.objects.filter(project__in=projects.order_by().values("pk"))
        .order_by("project_id", "position", "id")
        .values_list(*_ROW_FIELDS)
    )
    for values in rows.iterator(chunk_size=5000):
        row = IndicatorRow(*values)
        result[row.project_id].append(row)
    return result


def review_inputs(indicators: list[Indicator] | list[IndicatorRow]) -> list[ReviewInput]:
    # The column keeps 3 places; without normalising, messages would say "权重合计为60.000".
    return [
        ReviewInput(
            level1=i.level1,
            name=i.name,
            raw=i.raw,
            target=i.target,
            weight=None if i.weight is None else i.weight.normalize(),
        )
        for i in indicators
    ]


def project_reviews(
    projects: QuerySet[Project],
    as_of: date,
    *,
    figures: dict[int, BudgetFigures] | None = None,
    indicators: dict[int, list[IndicatorRow]] | None = None,
) -> dict[int, ReviewResult]:
    """The target review of every project, against its adjusted budget as of the date and
    its department's 政府采购预算 (a fixed number of queries)."""
    figures = figures if figures is not None else project_figures(projects, as_of)
    indicators = indicators if indicators is not None else indicators_by_project(projects)
    procurement = procurement_budgets_by_project(projects)
    return {
        pk: review_targets(
            indicators=review_inputs(indicators.get(pk, [])),
            adjusted_budget=fig.adjusted,
            procurement_budget=procurement.get(pk, Decimal(0)),
        )
        for pk, fig in figures.items()
    }


def department_indicators_by_department(
    year: int, department_ids: Iterable[int]
) -> dict[int, list[DepartmentIndicator]]:
    """{department_id: its 部门整体目标 indicators} of the year, in table order: by 一级指标
    (投入管理, 产出, 效益, 满意度), then as imported (one query)."""
    rank = {name: n for n, name in enumerate(DEPARTMENT_LEVEL1_NAMES)}
    result: dict[int, list[DepartmentIndicator]] = defaultdict(list)
    rows = DepartmentIndicator.objects.filter(year=year, department__in=list(department_ids))
    for indicator in sorted(rows, key=lambda i: (rank[i.level1], i.position, i.pk)):
        result[indicator.department_id].append(indicator)
    return result


def department_goals_by_department(
    year: int, department_ids: Iterable[int]
) -> dict[int, list[DepartmentGoal]]:
    """{department_id: its 年度履职目标 and 年度主要任务} of the year, by 类别 and 序号
    (one query)."""
    result: dict[int, list[DepartmentGoal]] = defaultdict(list)
    rows = DepartmentGoal.objects.filter(year=year, department__in=list(department_ids))
    for goal in rows.order_by("department_id", "category", "order"):
        result[goal.department_id].append(goal)
    return result


def departments_with_data(year: int, departments: QuerySet[Department]) -> list[Department]:
    """The given departments that have projects, a 部门预算 or department targets in the year,
    by 区划 and code (one query)."""
    facts = (
        Q(pk__in=Project.objects.filter(year=year).values("department"))
        | Q(pk__in=DepartmentBudget.objects.filter(year=year).values("department"))
        | Q(pk__in=DepartmentIndicator.objects.filter(year=year).values("department"))
        | Q(pk__in=DepartmentGoal.objects.filter(year=year).values("department"))
    )
    return list(
        departments.filter(facts).select_related("division").order_by("division__code", "code")
    )


# --- department target review ----------------------------------------------------------------


def _review_target(raw: str, year: int) -> TargetValue | None:
    try:
        return parse_target(raw, year)
    except ValueError_:
        return None


def department_reviews(
    year: int,
    departments: QuerySet[Department],
    *,
    indicators: dict[int, list[DepartmentIndicator]] | None = None,
    goals: dict[int, list[DepartmentGoal]] | None = None,
) -> dict[int, ReviewResult]:
    """The department target review of every given department (a fixed number of queries);
    `indicators` and `goals` as the two selectors above give them, when already read."""
    department_ids = list(departments.order_by().values_list("pk", flat=True))
    if indicators is None:
        indicators = department_indicators_by_department(year, department_ids)
    if goals is None:
        goals = department_goals_by_department(year, department_ids)
    codes: dict[int, set[str]] = defaultdict(set)
    projects = Project.objects.filter(year=year, department__in=department_ids)
    for department_id, code in projects.values_list("department_id", "code"):
        codes[department_id].add(code)
    totals = department_budget_totals(department_ids, year)
    result = {}
    for department_id in department_ids:
        tasks = [g for g in goals.get(department_id, []) if g.category == TASK]
        total = totals.get(department_id)
        result[department_id] = review_department(
            indicators=[
                DepartmentIndicatorInput(
                    level1=i.level1,
                    level2=i.level2,
                    name=i.name,
                    raw=i.raw,
                    target=_review_target(i.raw, year),
                    metric=i.metric,
                )
                for i in indicators.get(department_id, [])
            ],
            tasks=[TaskInput(t.order, t.name, tuple(t.project_codes)) for t in tasks],
            project_codes=codes[department_id],
            stated_total=total.stated if total else None,
            budget_total=total.computed if total else Decimal(0),
        )
    return result


def department_scoring_scheme() -> ScoringScheme:
    """The department self-evaluation's scheme with the bureau's group points (one query;
    read, never created: until the admin site saves the row, 30/40/30 apply)."""
    row = DepartmentScoringSettings.objects.filter(pk=1).first() or DepartmentScoringSettings()
    return department_scheme(row.group_points())


def department_targets_locked(department_id: int, year: int) -> bool:
    """The department's self-evaluation of the year is submitted: its targets are locked."""
    return DepartmentTargetLock.objects.filter(department_id=department_id, year=year).exists()
