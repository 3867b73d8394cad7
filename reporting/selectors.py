"""Reads of the reporting app: department-level figures and the data of the official tables,
each from the selectors of budgets, performance and tracking in a fixed number of queries."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from budgets.models import Department, DepartmentBudget, Project
from budgets.rates import completion_rate
from budgets.selectors import (
    DepartmentFigures,
    department_budgets,
    department_figures,
    projects_in_sheet_order,
)
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
from performance.models import DepartmentGoal, DepartmentIndicator
from performance.selectors import (
    IndicatorRow,
    department_goals_by_department,
    department_indicators_by_department,
    indicators_by_project,
    project_reviews,
)
from tracking.selectors import reported_projects

# --- department-level figures ---------------------------------------------------------------


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


# --- the official tables --------------------------------------------------------------------


def departments_with_data(year: int, departments: QuerySet[Department]) -> list[Department]:
    """The departments that have projects, a 部门预算 or department targets in the year, by
    区划 and code (one query)."""
    facts = (
        Q(projects__year=year)
        | Q(pk__in=DepartmentBudget.objects.filter(year=year).values("department"))
        | Q(pk__in=DepartmentIndicator.objects.filter(year=year).values("department"))
        | Q(pk__in=DepartmentGoal.objects.filter(year=year).values("department"))
    )
    return list(
        departments.filter(facts)
        .distinct()
        .select_related("division")
        .order_by("division__code", "code")
    )


@dataclass(frozen=True)
class Table12Data:
    """What 预算12表 prints of one department: its projects in sheet order, their targets."""

    department: Department
    projects: list[Project]
    indicators: dict[int, list[IndicatorRow]]


def table_12_data(year: int, departments: Sequence[Department]) -> list[Table12Data]:
    """预算12表 of each department, in the order given (two queries whatever the count)."""
    ids = [d.pk for d in departments]
    projects = projects_in_sheet_order(year, ids)
    indicators = indicators_by_project(projects)
    by_department: dict[int, list[Project]] = defaultdict(list)
    for project in projects:
        by_department[project.department_id].append(project)
    return [Table12Data(d, by_department.get(d.pk, []), indicators) for d in departments]


@dataclass(frozen=True)
class Table11Data:
    """What 预算11表 prints of one department: its own statements and its budget, no figure
    the system computes and no actual."""

    department: Department
    goals: list[DepartmentGoal]
    indicators: list[DepartmentIndicator]
    budget: DepartmentBudget | None
    projects: list[Project]


def table_11_data(year: int, departments: Sequence[Department]) -> list[Table11Data]:
    """预算11表 of each department, in the order given (four queries whatever the count)."""
    ids = [d.pk for d in departments]
    by_department: dict[int, list[Project]] = defaultdict(list)
    for project in projects_in_sheet_order(year, ids):
        by_department[project.department_id].append(project)
    budgets = department_budgets(year, ids)
    indicators = department_indicators_by_department(year, ids)
    goals = department_goals_by_department(year, ids)
    return [
        Table11Data(
            department=d,
            goals=goals.get(d.pk, []),
            indicators=indicators.get(d.pk, []),
            budget=budgets.get(d.pk),
            projects=by_department.get(d.pk, []),
        )
        for d in departments
    ]
