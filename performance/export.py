"""The performance part of the JSON export: indicators and the target completion rate."""

from __future__ import annotations

from collections import Counter

from budgets.export import ExportContext
from budgets.rates import completion_rate, format_rate

from .selectors import indicators_by_project, project_reviews
from .values import format_decimal, target_to_contract


def contribute(ctx: ExportContext) -> None:
    """Fill `indicators` of every project and `target_completion_rate` of every department."""
    indicators = indicators_by_project(ctx.projects)
    ctx.shared["indicators"] = {row.pk: row for rows in indicators.values() for row in rows}
    for project_id, entry in ctx.project_entries.items():
        entry["indicators"] = [
            {
                "level1": i.level1,
                "level2": i.level2,
                "name": i.name,
                **target_to_contract(i.target),
                "weight": None if i.weight is None else format_decimal(i.weight.normalize()),
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
