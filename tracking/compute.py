"""Lights, deviations and scores of reports, computed from their inputs by the pure rules.

A report is judged on its budget part and its indicators. While it is a draft or returned
these are live (the system's data as of the round's date, the project's indicators now) and
its results are computed when read (`reports_evaluate`, which writes nothing). Once submitted
or approved it keeps what it was judged on (report_submit fills the snapshot columns) and
shows the results stored then. `reports_recompute` stores results; it works on any number of
reports in a constant number of queries per round, so an import of a whole department's
实际完成 sheet stays fast.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from budgets.models import Project
from budgets.rates import ZERO_FIGURES, BudgetFigures, time_progress
from budgets.selectors import WarningThresholds, project_figures, warning_thresholds
from performance.models import Indicator
from performance.scoring import (
    LEVEL1_NAMES,
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
# The official table groups indicators by 一级指标 in this order.
LEVEL1_ORDER = {name: n for n, name in enumerate(LEVEL1_NAMES)}


@dataclass(frozen=True)
class BudgetPart:
    """The budget block of a report: as of the round's date, frozen once submitted."""

    figures: BudgetFigures
    time_progress: Decimal
    warning: str | None
    # 年初预算数 split into 当年财政拨款 and 上年结转资金 (the self-evaluation table shows both).
    initial_budget: Decimal | None = None
    carryover: Decimal | None = None


@dataclass
class Evaluation:
    """What one report is judged on and its lines, in the official table's order. Each pair is
    (indicator, line or None); the indicator is the frozen one on a submitted report."""

    report: Report
    budget: BudgetPart
    lines: list[tuple[Indicator, ReportIndicator | None]] = field(default_factory=list)


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


def budget_part(
    figures: BudgetFigures, round_: Round, thresholds, project: Project | None = None
) -> BudgetPart:
    """The live budget part of figures as of the round's date."""
    progress = time_progress(round_.as_of)
    return BudgetPart(
        figures=figures,
        time_progress=progress,
        warning=figures.warning(
            progress,
            green_fraction=thresholds.green_fraction,
            yellow_fraction=thresholds.yellow_fraction,
        ),
        initial_budget=None if project is None else project.initial_budget,
        carryover=None if project is None else project.carryover,
    )


def frozen_budget_part(report: Report) -> BudgetPart:
    """The budget part a submitted report keeps (its warning as computed at submission)."""
    initial_budget = report.frozen_initial_budget or Decimal(0)
    carryover = report.frozen_carryover or Decimal(0)
    return BudgetPart(
        figures=BudgetFigures(
            initial=initial_budget + carryover,
            adjusted=report.frozen_adjusted or Decimal(0),
            executed=report.frozen_executed or Decimal(0),
        ),
        time_progress=time_progress(report.round.as_of),
        warning=report.budget_warning or None,
        initial_budget=report.frozen_initial_budget,
        carryover=report.frozen_carryover,
    )


def _table_order(pair: tuple[Indicator, ReportIndicator | None]) -> tuple:
    indicator, line = pair
    return (
        LEVEL1_ORDER.get(indicator.level1, 9),
        indicator.position or 0,
        indicator.pk or 0,
        line.pk if line else 0,
    )


def _evaluations(
    reports: list[Report],
    thresholds: WarningThresholds | None = None,
    *,
    frozen_lines: bool = True,
) -> list[Evaluation]:
    """Load what each report is judged on (a constant number of queries per round)."""
    rounds = Round.objects.in_bulk({r.round_id for r in reports})
    live = [r for r in reports if not r.is_frozen]
    # The reports whose lines are read, and their projects (the rules need the year).
    read = reports if frozen_lines else live
    projects = Project.objects.in_bulk({r.project_id for r in read}) if read else {}
    lines: dict[int, list[ReportIndicator]] = defaultdict(list)
    if read:
        for line in ReportIndicator.objects.filter(report__in=[r.pk for r in read]):
            lines[line.report_id].append(line)
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    parts: dict[int, BudgetPart] = {}
    if live:
        thresholds = thresholds or warning_thresholds()
        for indicator in Indicator.objects.filter(project_id__in={r.project_id for r in live}):
            indicator.project = projects[indicator.project_id]
            indicators[indicator.project_id].append(indicator)
        by_round: dict[int, list[Report]] = defaultdict(list)
        for report in live:
            by_round[report.round_id].append(report)
        for round_id, round_reports in by_round.items():
            figures = project_figures(
                Project.objects.filter(pk__in={r.project_id for r in round_reports}),
                rounds[round_id].as_of,
            )
            for report in round_reports:
                project = projects[report.project_id]
                parts[report.pk] = budget_part(
                    figures.get(report.project_id, ZERO_FIGURES),
                    rounds[round_id],
                    thresholds,
                    project,
                )
    evaluations = []
    for report in reports:
        report.round = rounds[report.round_id]
        if report.is_frozen:
            project = projects.get(report.project_id)
            pairs = [(line.frozen_indicator(project), line) for line in lines[report.pk]]
            part = frozen_budget_part(report)
        else:
            by_indicator = {line.indicator_id: line for line in lines[report.pk]}
            pairs = [(i, by_indicator.get(i.pk)) for i in indicators[report.project_id]]
            part = parts[report.pk]
        pairs.sort(key=_table_order)
        evaluations.append(Evaluation(report=report, budget=part, lines=pairs))
    return evaluations


def _apply_monitoring(evaluation: Evaluation) -> None:
    report, part = evaluation.report, evaluation.budget
    lights = []
    deviations = 0
    for indicator, line in evaluation.lines:
        expected = read_value(line, line.expected_raw if line else "", indicator)
        light = indicator_light(
            indicator.target,
            expected,
            fiscal_year=indicator.project.year,
            level1=indicator.level1,
        )
        lights.append(light)
        if light is not None and indicator_deviates(light):
            deviations += 1
        if line is not None:
            line.light = light or ""
    report.target_light = worst_light(lights) or ""
    report.budget_warning = part.warning or ""
    report.execution_rate = part.figures.execution_rate
    report.deviations = deviations + (1 if budget_deviates(part.warning) else 0)


def _apply_self_evaluation(evaluation: Evaluation) -> None:
    report, part = evaluation.report, evaluation.budget
    inputs = [
        ScoringInput(
            key=index,
            level1=indicator.level1,
            target=indicator.target,
            actual=read_value(line, line.actual_raw if line else "", indicator),
            weight=indicator.weight,
            override_score=line.reviewer_score if line else None,
        )
        for index, (indicator, line) in enumerate(evaluation.lines)
    ]
    result = score_self_evaluation(
        indicators=inputs,
        execution_rate=part.figures.execution_rate,
        fiscal_year=report.round.year,  # the fiscal year of the round's projects
    )
    for scored in result.indicators:
        line = evaluation.lines[scored.key][1]
        if line is None:
            continue
        line.points = scored.points.quantize(Decimal("0.0001"))
        line.score = scored.score.quantize(Decimal("0.0001"))
        line.completion = (
            None if scored.completion is None else scored.completion.quantize(Decimal("1e-10"))
        )
    report.execution_rate = part.figures.execution_rate
    report.budget_warning = part.warning or ""
    report.execution_score = (
        None
        if result.execution_score is None
        else result.execution_score.quantize(Decimal("0.0001"))
    )
    # No actual entered at all: no score and no grade yet, not the execution points alone.
    entered = any(line is not None and line.actual_raw.strip() for _, line in evaluation.lines)
    report.score = result.total if entered else None
    report.grade = result.grade if entered else ""


def _apply(evaluation: Evaluation) -> None:
    """Set the computed fields of the report and its lines in memory."""
    if evaluation.report.round.is_self_evaluation:
        _apply_self_evaluation(evaluation)
    else:
        _apply_monitoring(evaluation)


def reports_evaluate(
    reports: Iterable[Report],
    *,
    thresholds: WarningThresholds | None = None,
    frozen_lines: bool = True,
) -> dict[int, Evaluation]:
    """Every report with what it is judged on, by report id: the figures to show. A draft's
    or returned report's lights and scores are computed now, on the instances only (nothing
    is written); a submitted or approved one keeps the results stored at submission.
    `frozen_lines=False` skips reading the lines of those (lists need their figures only)."""
    reports = list(reports)
    if not reports:
        return {}
    evaluations = _evaluations(reports, thresholds, frozen_lines=frozen_lines)
    for evaluation in evaluations:
        if not evaluation.report.is_frozen:
            _apply(evaluation)
    return {e.report.pk: e for e in evaluations}


def report_evaluation(report: Report) -> Evaluation:
    """What one report is judged on and shows (see reports_evaluate)."""
    return reports_evaluate([report])[report.pk]


def reports_recompute(reports: Iterable[Report]) -> None:
    """Recompute and store lights/deviations (monitoring) or scores (self-evaluation): of a
    draft or returned report from live figures, of a submitted one from its frozen inputs."""
    reports = list(reports)
    if not reports:
        return
    evaluations = _evaluations(reports)
    for evaluation in evaluations:
        _apply(evaluation)
    lines = [line for e in evaluations for _, line in e.lines if line is not None]
    ReportIndicator.objects.bulk_update(lines, LINE_COMPUTED_FIELDS, batch_size=500)
    Report.objects.bulk_update(reports, REPORT_COMPUTED_FIELDS, batch_size=500)


def report_budget_part(report: Report) -> BudgetPart:
    """The budget block of one report: frozen once submitted, else live."""
    if report.is_frozen:
        return frozen_budget_part(report)
    figures = project_figures(Project.objects.filter(pk=report.project_id), report.round.as_of)
    return budget_part(
        figures[report.project_id], report.round, warning_thresholds(), report.project
    )
