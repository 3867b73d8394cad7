"""The department-level figures (department-targets.md, “Computed indicators”): the eight
rates a department report's computed indicators take as their actual values.

They live in tracking because they read tracking's reports (the completion rates) and the
department reports are judged on them; reporting shows them through this module."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from budgets.models import Department, Project
from budgets.rates import completion_rate
from budgets.selectors import DepartmentFigures, department_figures
from performance.choices import (
    METRIC_ADJUSTMENT,
    METRIC_CARRYOVER,
    METRIC_EXECUTION,
    METRIC_MONITORING_COMPLETION,
    METRIC_PROCUREMENT,
    METRIC_SELF_EVALUATION_COMPLETION,
    METRIC_TARGET_COMPLETION,
    METRIC_THREE_PUBLIC,
)
from performance.selectors import project_reviews

from .selectors import reported_projects


@dataclass(frozen=True)
class DepartmentRates:
    """The eight computed department figures of one year, in percent at full precision."""

    department_id: int
    projects: int
    figures: DepartmentFigures | None
    rates: dict[str, Decimal | None]


def department_rates(
    year: int, as_of: date, departments: QuerySet[Department]
) -> dict[int, DepartmentRates]:
    """The computed figures (department-targets.md, “Computed indicators”) of every given
    department from the system's own data (fixed queries); completion rates count projects as
    rates-and-scoring.md defines them."""
    ids = departments.order_by().values("pk")
    projects = Project.objects.filter(year=year, department__in=ids)
    department_of = dict(projects.order_by().values_list("pk", "department_id"))
    figures = department_figures(year, as_of, departments)
    reviews = project_reviews(projects, as_of)
    monitored, evaluated = reported_projects(year, projects)
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
