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
    department_of = {pk: e["department_code"] for pk, e in ctx.project_entries.items()}
    total, passed = Counter(), Counter()
    for project_id, review in reviews.items():
        code = department_of.get(project_id)
        total[code] += 1
        passed[code] += review.passed
    for entry in ctx.department_entries.values():
        entry["target_completion_rate"] = format_rate(
            completion_rate(passed[entry["code"]], total[entry["code"]])
        )
