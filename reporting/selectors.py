"""Reads of the reporting app: department-level figures and the data of the official tables,
each from the selectors of budgets, performance and tracking in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from budgets.models import Department, DepartmentBudget, Project
from budgets.selectors import department_budgets, projects_in_sheet_order
from performance.models import DepartmentGoal, DepartmentIndicator
from performance.selectors import (
    IndicatorRow,
    department_goals_by_department,
    department_indicators_by_department,
    indicators_by_project,
)
from tracking.department_figures import DepartmentRates, department_rates

__all__ = ["DepartmentRates", "department_rates"]

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
