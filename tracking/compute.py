"""Lights, deviations and scores of reports, computed from stored values by the pure rules.

`reports_recompute` works on any number of reports in a constant number of queries per
round, so an import of a whole department's 实际完成 sheet stays fast.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from budgets.models import Project
from budgets.rates import BudgetFigures, time_progress
from budgets.selectors import project_figures, warning_thresholds
from performance.models import Indicator
from performance.scoring import (
    ScoringInput,
    budget_deviates,
    indicator_deviates,
    indicator_light,
    score_self_evaluation,
    worst_light,
)
from performance.values import ActualValue, ValueError_, parse_actual

from .models import Report, ReportIndicator, Round

# The fields of a report this module computes; never typed by people.
REPORT_COMPUTED_FIELDS = (
    "target_light",
    "budget_warning",
    "deviations",
    "execution_rate",
    "execution_score",
    "score",
    "grade",
)
# The same for one indicator's line.
LINE_COMPUTED_FIELDS = ("light", "points", "score", "completion")


@dataclass(frozen=True)
class BudgetPart:
    """The budget block of a report, from the system's own data as of the round's date."""

    figures: BudgetFigures
    time_progress: Decimal
    warning: str | None


def read_value(line: ReportIndicator | None, raw: str, indicator: Indicator) -> ActualValue | None:
    """A stored value as the rules take it; None when empty or (legacy) unreadable."""
    if not raw:
        return None
    try:
        return parse_actual(
            raw, indicator.target, year=indicator.project.year, level1=indicator.level1
        )
    except ValueError_:
        return None


def budget_part(figures: BudgetFigures, round_: Round, thresholds) -> BudgetPart:
    progress = time_progress(round_.as_of)
    return BudgetPart(
        figures=figures,
        time_progress=progress,
        warning=figures.warning(
            progress,
            green_fraction=thresholds.green_fraction,
            yellow_fraction=thresholds.yellow_fraction,
        ),
    )


def _apply_monitoring(
    report: Report, indicators: list[Indicator], lines: dict[int, ReportIndicator], part
) -> list[ReportIndicator]:
    changed = []
    lights = []
    deviations = 0
    for indicator in indicators:
        line = lines.get(indicator.pk)
        expected = read_value(line, line.expected_raw if line else "", indicator)
        light = indicator_light(indicator.target, expected, fiscal_year=indicator.project.year)
        lights.append(light)
        if light is not None and indicator_deviates(light):
            deviations += 1
        if line is not None and line.light != (light or ""):
            line.light = light or ""
            changed.append(line)
    report.target_light = worst_light(lights) or ""
    report.budget_warning = part.warning or ""
    report.execution_rate = part.figures.execution_rate
    report.deviations = deviations + (1 if budget_deviates(part.warning) else 0)
    return changed


def _apply_self_evaluation(
    report: Report, indicators: list[Indicator], lines: dict[int, ReportIndicator], part
) -> list[ReportIndicator]:
    inputs = []
    for indicator in indicators:
        line = lines.get(indicator.pk)
        inputs.append(
            ScoringInput(
                key=indicator.pk,
                level1=indicator.level1,
                target=indicator.target,
                actual=read_value(line, line.actual_raw if line else "", indicator),
                weight=indicator.weight,
                override_score=line.reviewer_score if line else None,
            )
        )
    result = score_self_evaluation(
        indicators=inputs,
        execution_rate=part.figures.execution_rate,
        fiscal_year=report.project.year,
    )
    changed = []
    for scored in result.indicators:
        line = lines.get(scored.key)
        if line is None:
            continue
        line.points = scored.points.quantize(Decimal("0.0001"))
        line.score = scored.score.quantize(Decimal("0.0001"))
        line.completion = (
            None if scored.completion is None else scored.completion.quantize(Decimal("1e-10"))
        )
        changed.append(line)
    report.execution_rate = part.figures.execution_rate
    report.budget_warning = part.warning or ""
    report.execution_score = (
        None
        if result.execution_score is None
        else result.execution_score.quantize(Decimal("0.0001"))
    )
    report.score = result.total
    report.grade = result.grade
    return changed


def reports_recompute(reports: Iterable[Report]) -> None:
    """Recompute and store lights/deviations (monitoring) or scores (self-evaluation)."""
    reports = list(reports)
    if not reports:
        return
    thresholds = warning_thresholds()
    by_round: dict[int, list[Report]] = defaultdict(list)
    for report in reports:
        by_round[report.round_id].append(report)
    rounds = Round.objects.in_bulk(list(by_round))
    project_ids = {r.project_id for r in reports}
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in Indicator.objects.filter(project_id__in=project_ids).select_related("project"):
        indicators[indicator.project_id].append(indicator)
    lines: dict[int, dict[int, ReportIndicator]] = defaultdict(dict)
    for line in ReportIndicator.objects.filter(report__in=[r.pk for r in reports]):
        lines[line.report_id][line.indicator_id] = line
    changed_lines: list[ReportIndicator] = []
    for round_id, round_reports in by_round.items():
        round_ = rounds[round_id]
        figures = project_figures(
            Project.objects.filter(pk__in={r.project_id for r in round_reports}), round_.as_of
        )
        for report in round_reports:
            report.round = round_
            part = budget_part(figures[report.project_id], round_, thresholds)
            apply = _apply_self_evaluation if round_.is_self_evaluation else _apply_monitoring
            changed_lines += apply(
                report, indicators.get(report.project_id, []), lines[report.pk], part
            )
    ReportIndicator.objects.bulk_update(changed_lines, LINE_COMPUTED_FIELDS, batch_size=500)
    Report.objects.bulk_update(reports, REPORT_COMPUTED_FIELDS, batch_size=500)


def report_budget_part(report: Report) -> BudgetPart:
    """The budget block of one report (for its page)."""
    figures = project_figures(Project.objects.filter(pk=report.project_id), report.round.as_of)
    return budget_part(figures[report.project_id], report.round, warning_thresholds())
