"""Reads of the performance app: indicators of many projects and their target review."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import QuerySet

from budgets.models import Project
from budgets.rates import BudgetFigures
from budgets.selectors import project_figures

from .models import Indicator
from .review import ReviewInput, ReviewResult, review_targets


def indicators_by_project(projects: QuerySet[Project]) -> dict[int, list[Indicator]]:
    """Every indicator of the projects, in table order (one query)."""
    result: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in Indicator.objects.filter(project__in=projects.order_by().values("pk")):
        result[indicator.project_id].append(indicator)
    return result


def review_inputs(indicators: list[Indicator]) -> list[ReviewInput]:
    return [
        ReviewInput(level1=i.level1, name=i.name, raw=i.raw, target=i.target, weight=i.weight)
        for i in indicators
    ]


def project_reviews(
    projects: QuerySet[Project],
    as_of: date,
    *,
    figures: dict[int, BudgetFigures] | None = None,
    indicators: dict[int, list[Indicator]] | None = None,
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
