"""The performance part of the JSON export: indicators, the target completion rate, and each
department's own targets (部门整体目标, 年度履职目标, 年度主要任务)."""

from __future__ import annotations

from collections import Counter

from budgets.export import ExportContext
from budgets.rates import completion_rate, format_rate

from .choices import TASK
from .models import DepartmentGoal, DepartmentIndicator, Indicator
from .selectors import (
    IndicatorRow,
    department_goals_by_department,
    department_indicators_by_department,
    indicators_by_project,
    project_reviews,
)
from .values import format_decimal, target_to_contract


def _weight(indicator: Indicator | DepartmentIndicator | IndicatorRow) -> str | None:
    return None if indicator.weight is None else format_decimal(indicator.weight.normalize())


def department_target_entry(indicator: DepartmentIndicator) -> dict:
    """A 部门整体目标 indicator as the export shows it: a project indicator's shape, plus
    whether the system computes it. `actual` comes from the department's reports, which
    tracking's contributor reads (null until then)."""
    return {
        "level1": indicator.level1,
        "level2": indicator.level2,
        "name": indicator.name,
        **target_to_contract(indicator.target),
        "weight": _weight(indicator),
        "note": indicator.note,
        "computed": indicator.computed,
        "metric": indicator.metric or None,
        "actual": None,
    }


def _goal_entries(goals: list[DepartmentGoal]) -> tuple[list[dict], list[dict]]:
    """(goals, tasks) of one department in the export's shape, each by 序号."""
    texts = [{"order": g.order, "text": g.name} for g in goals if g.category != TASK]
    tasks = [
        {
            "order": g.order,
            "name": g.name,
            "content": g.content,
            "projects": list(g.project_codes),
        }
        for g in goals
        if g.category == TASK
    ]
    return texts, tasks


def contribute_departments(ctx: ExportContext) -> None:
    """Fill `targets`, `goals` and `tasks` of every department (two queries); `monitoring`
    and `self_evaluation` stay null unless a later contributor (tracking's, from the
    department reports) fills them, which finds each target in ctx.shared["department_targets"]
    by the indicator's id."""
    ids = list(ctx.department_entries)
    indicators = department_indicators_by_department(ctx.year, ids)
    goals = department_goals_by_department(ctx.year, ids)
    targets = ctx.shared.setdefault("department_targets", {})
    for department_id, entry in ctx.department_entries.items():
        entry["targets"] = []
        for indicator in indicators.get(department_id, []):
            targets[indicator.pk] = department_target_entry(indicator)
            entry["targets"].append(targets[indicator.pk])
        entry["goals"], entry["tasks"] = _goal_entries(goals.get(department_id, []))
        entry.setdefault("monitoring", None)
        entry.setdefault("self_evaluation", None)


def contribute(ctx: ExportContext) -> None:
    """Fill `indicators` of every project, `target_completion_rate` of every department and
    each department's own targets."""
    indicators = indicators_by_project(ctx.projects)
    ctx.shared["indicators"] = {row.pk: row for rows in indicators.values() for row in rows}
    for project_id, entry in ctx.project_entries.items():
        entry["indicators"] = [
            {
                "level1": i.level1,
                "level2": i.level2,
                "name": i.name,
                **target_to_contract(i.target),
                "weight": _weight(i),
                "note": i.note,
                "actual": None,
                "_id": i.pk,
            }
            for i in indicators.get(project_id, [])
        ]
    reviews = project_reviews(
        ctx.projects, ctx.as_of, figures=ctx.project_figures, indicators=indicators
    )
    # By department id: department codes repeat across 区划.
    department_of = dict(ctx.projects.order_by().values_list("pk", "department_id"))
    total, passed = Counter(), Counter()
    for project_id, review in reviews.items():
        department_id = department_of.get(project_id)
        total[department_id] += 1
        passed[department_id] += review.passed
    for department_id, entry in ctx.department_entries.items():
        entry["target_completion_rate"] = format_rate(
            completion_rate(passed[department_id], total[department_id])
        )
    contribute_departments(ctx)
