"""Reads of the performance app: indicators of many projects and their target review."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from budgets.models import Department, Project
from budgets.rates import BudgetFigures, completion_rate
from budgets.selectors import DepartmentFigures, department_figures, project_figures
from tracking.choices import SUBMITTED_STATUSES, Stage
from tracking.models import Report, Round

from .choices import (
    METRIC_ADJUSTMENT,
    METRIC_CARRYOVER,
    METRIC_EXECUTION,
    METRIC_MONITORING_COMPLETION,
    METRIC_PROCUREMENT,
    METRIC_SELF_EVALUATION_COMPLETION,
    METRIC_TARGET_COMPLETION,
    METRIC_THREE_PUBLIC,
)
from .models import Indicator, target_from_fields
from .review import ReviewInput, ReviewResult, review_targets
from .values import TargetValue


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
    """The target review of every project, against its adjusted budget as of the date."""
    figures = figures if figures is not None else project_figures(projects, as_of)
    indicators = indicators if indicators is not None else indicators_by_project(projects)
    return {
        pk: review_targets(
            indicators=review_inputs(indicators.get(pk, [])), adjusted_budget=fig.adjusted
        )
        for pk, fig in figures.items()
    }


@dataclass(frozen=True)
class DepartmentRates:
    """The eight 投入管理 rates of one department and year, in percent at full precision."""

    department_id: int
    projects: int
    figures: DepartmentFigures | None
    rates: dict[str, Decimal | None]


def department_rates(
    year: int, as_of: date, departments: QuerySet[Department]
) -> dict[int, DepartmentRates]:
    """The 预算11表 rates of every given department from the system's own data (fixed queries);
    completion rates count projects as rates-and-scoring.md defines them."""
    ids = departments.order_by().values("pk")
    projects = Project.objects.filter(year=year, department__in=ids)
    department_of = dict(projects.order_by().values_list("pk", "department_id"))
    figures = department_figures(year, as_of, departments)
    reviews = project_reviews(projects, as_of)
    # The latest monitoring round of each 区划 (a project reports in its own 区划's rounds).
    latest: dict[int, int] = {}
    for division_id, round_id in (
        Round.objects.filter(year=year, stage=Stage.MONITORING)
        .values_list("division_id", "pk")
        .order_by("as_of", "pk")
    ):
        latest[division_id] = round_id
    submitted = Report.objects.filter(
        project__in=projects.values("pk"), status__in=SUBMITTED_STATUSES
    )
    monitored = set(
        submitted.filter(round__in=list(latest.values())).values_list("project_id", flat=True)
    )
    evaluated = set(
        submitted.filter(round__year=year, round__stage=Stage.SELF_EVALUATION).values_list(
            "project_id", flat=True
        )
    )
    total: Counter = Counter(department_of.values())
    passed: Counter = Counter(department_of[pk] for pk, review in reviews.items() if review.passed)
    monitoring: Counter = Counter(department_of[pk] for pk in monitored)
    evaluation: Counter = Counter(department_of[pk] for pk in evaluated)
    result = {}
    for department_id in departments.order_by().values_list("pk", flat=True):
        fig = figures.get(department_id)
        count = total[department_id]
        result[department_id] = DepartmentRates(
            department_id=department_id,
            projects=count,
            figures=fig,
            rates={
                METRIC_EXECUTION: fig.budget.execution_rate if fig else None,
                METRIC_ADJUSTMENT: fig.budget.adjustment_rate if fig else None,
                METRIC_CARRYOVER: fig.budget.carryover_rate if fig else None,
                METRIC_THREE_PUBLIC: fig.three_public_control_rate if fig else None,
                METRIC_PROCUREMENT: fig.procurement_execution_rate if fig else None,
                METRIC_TARGET_COMPLETION: completion_rate(passed[department_id], count),
                METRIC_MONITORING_COMPLETION: completion_rate(monitoring[department_id], count),
                METRIC_SELF_EVALUATION_COMPLETION: completion_rate(
                    evaluation[department_id], count
                ),
            },
        )
    return result
