"""The JSON export (spec/export-json.md): one document per fiscal year as of a date.

The budgets app builds the departments, projects and budget figures; the other apps add
their parts through `settings.EXPORT_CONTRIBUTORS` (indicators, monitoring, self-evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string

from .access import restrict
from .models import Department, Division, Project
from .rates import BudgetFigures, figures_to_contract, format_rate, time_progress
from .selectors import (
    WarningThresholds,
    default_as_of,
    department_figures,
    project_figures,
    warning_thresholds,
)


@dataclass
class ExportContext:
    """What contributors get: the scope of the export and the entries they may fill in."""

    year: int
    as_of: date
    projects: QuerySet[Project]
    departments: QuerySet[Department]
    thresholds: WarningThresholds
    project_figures: dict[int, BudgetFigures] = field(default_factory=dict)
    project_entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    department_entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    # What one contributor read and the next may reuse (e.g. "indicators" by id).
    shared: dict[str, Any] = field(default_factory=dict)


def export_scope(
    year: int, user=None, division: Division | None = None
) -> tuple[QuerySet[Project], QuerySet[Department]]:
    """The projects and departments of the year the user may read (all for the operator).

    With `division`, only the departments of exactly that 区划 — not of the 区划 below it,
    which are exported on their own (a department belongs to one 区划).
    """
    projects = Project.objects.filter(year=year)
    departments = Department.objects.filter(
        Q(projects__year=year) | Q(budgets__year=year)
    ).distinct()
    if division is not None:
        projects = projects.filter(department__division=division)
        departments = departments.filter(division=division)
    if user is not None:
        projects = restrict(projects, user)
        departments = restrict(departments, user, department_field="pk")
    return projects, departments


def build_export(
    *, year: int, as_of: date | None = None, user=None, division: Division | None = None
) -> dict[str, Any]:
    """The whole export document; a constant number of queries whatever the data size."""
    as_of = as_of or default_as_of(year)
    progress = time_progress(as_of)
    thresholds = warning_thresholds()
    projects, departments = export_scope(year, user, division)
    ctx = ExportContext(year, as_of, projects, departments, thresholds)

    def budget(figures):
        return figures_to_contract(
            figures, progress, thresholds.green_fraction, thresholds.yellow_fraction
        )

    dept_figures = department_figures(year, as_of, departments)
    for dept in departments.select_related("division").order_by("division__code", "code"):
        figures = dept_figures.get(dept.pk)
        ctx.department_entries[dept.pk] = {
            "code": dept.code,
            "name": dept.name,
            "division": {"code": dept.division.code, "name": dept.division.name},
            "budget": budget(figures.budget) if figures else None,
            "three_public_control_rate": format_rate(
                figures.three_public_control_rate if figures else None
            ),
            "procurement_execution_rate": format_rate(
                figures.procurement_execution_rate if figures else None
            ),
            "target_completion_rate": None,
            "monitoring_completion_rate": None,
            "self_evaluation_completion_rate": None,
        }
    proj_figures = ctx.project_figures = project_figures(projects, as_of)
    for project in projects.select_related("department__division", "unit").order_by(
        "department__division__code", "department__code", "code"
    ):
        ctx.project_entries[project.pk] = {
            "code": project.code,
            "name": project.name,
            "department_code": project.department.code,
            "division_code": project.department.division.code,
            "unit_code": project.unit.code,
            "type": project.type or None,
            "budget": budget(proj_figures[project.pk]),
            "indicators": [],
            "monitoring": None,
            "self_evaluation": None,
        }
    for path in settings.EXPORT_CONTRIBUTORS:
        import_string(path)(ctx)
    # Contributors may keep private keys (prefixed "_") on entries to join their parts.
    for entry in ctx.project_entries.values():
        for indicator in entry["indicators"]:
            for key in [k for k in indicator if k.startswith("_")]:
                del indicator[key]
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "time_progress": format_rate(progress),
        "departments": list(ctx.department_entries.values()),
        "projects": list(ctx.project_entries.values()),
    }
