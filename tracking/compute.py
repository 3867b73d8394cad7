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

from budgets.models import Department, Project
from budgets.rates import ZERO_FIGURES, BudgetFigures, time_progress
from budgets.selectors import WarningThresholds, project_figures, warning_thresholds
from performance.choices import DEPARTMENT_LEVEL1_NAMES
from performance.department import computed_actual
from performance.models import DepartmentIndicator, Indicator
from performance.scoring import (
    LEVEL1_NAMES,
    ScoringInput,
    ScoringScheme,
    budget_deviates,
    indicator_deviates,
    indicator_light,
    score_self_evaluation,
    worst_light,
)
from performance.selectors import department_scoring_scheme
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
LEVEL1_ORDER = {name: n for n, name in enumerate((*DEPARTMENT_LEVEL1_NAMES[:1], *LEVEL1_NAMES))}


@dataclass(frozen=True)
class BudgetPart:
    """The budget block of a report: as of the round's date, frozen once submitted."""

    figures: BudgetFigures
    time_progress: Decimal
    warning: str | None
    # 年初预算数 split into 当年财政拨款 and 上年结转资金 (the self-evaluation table shows both).
    initial_budget: Decimal | None = None
    carryover: Decimal | None = None


# A report's lines name either kind of indicator (a department report's, the department's).
AnyIndicator = Indicator | DepartmentIndicator


@dataclass
class Evaluation:
    """What one report is judged on and its lines, in the official table's order. Each pair is
    (indicator, line or None); the indicator is the frozen one on a submitted report. A
    department report's computed indicators always have a line (unsaved until stored) whose
    `computed_value` is the figure as of the round's date."""

    report: Report
    budget: BudgetPart
    lines: list[tuple[AnyIndicator, ReportIndicator | None]] = field(default_factory=list)


def fiscal_year(indicator: AnyIndicator) -> int:
    """The year whose calendar deadlines and day counts the indicator is judged in."""
    if isinstance(indicator, DepartmentIndicator):
        return indicator.year
    return indicator.project.year


def is_computed(indicator: AnyIndicator) -> bool:
    """A department indicator the system fills in from its figures (department-targets.md)."""
    return bool(getattr(indicator, "metric", ""))


def read_value(
    line: ReportIndicator | None, raw: str, indicator: AnyIndicator
) -> ActualValue | None:
    """A stored value as the rules take it; None when empty or (legacy) unreadable. A computed
    indicator's value is its figure, whatever was typed."""
    if is_computed(indicator):
        return computed_actual(line.computed_value if line is not None else None)
    if not raw:
        return None
    try:
        return parse_actual(
            raw, indicator.target, year=fiscal_year(indicator), level1=indicator.level1
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
        warning=figures.warning(progress, thresholds),
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
            policy=report.frozen_policy or Decimal(0),
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
    projects = (
        Project.objects.in_bulk({r.project_id for r in read if r.project_id is not None})
        if read
        else {}
    )
    departments = (
        Department.objects.in_bulk({r.department_id for r in read if r.is_department})
        if read
        else {}
    )
    lines: dict[int, list[ReportIndicator]] = defaultdict(list)
    if read:
        for line in ReportIndicator.objects.filter(report__in=[r.pk for r in read]):
            lines[line.report_id].append(line)
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    parts: dict[int, BudgetPart] = {}
    computed: dict[int, dict[str, Decimal | None]] = {}
    live_projects = [r for r in live if not r.is_department]
    live_departments = [r for r in live if r.is_department]
    if live:
        thresholds = thresholds or warning_thresholds()
    if live_projects:
        for indicator in Indicator.objects.filter(
            project_id__in={r.project_id for r in live_projects}
        ):
            indicator.project = projects[indicator.project_id]
            indicators[indicator.project_id].append(indicator)
        by_round: dict[int, list[Report]] = defaultdict(list)
        for report in live_projects:
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
    department_indicators: dict[tuple[int, int], list[DepartmentIndicator]] = defaultdict(list)
    if live_departments:
        # Imported here: the department figures read this app's selectors, which read us.
        from .department_figures import department_rates

        keys = {(r.department_id, rounds[r.round_id].year) for r in live_departments}
        for indicator in DepartmentIndicator.objects.filter(
            department_id__in={d for d, _ in keys}, year__in={y for _, y in keys}
        ):
            indicator.department = departments[indicator.department_id]
            department_indicators[(indicator.department_id, indicator.year)].append(indicator)
        by_round = defaultdict(list)
        for report in live_departments:
            by_round[report.round_id].append(report)
        for round_id, round_reports in by_round.items():
            round_ = rounds[round_id]
            rates = department_rates(
                round_.year,
                round_.as_of,
                Department.objects.filter(pk__in={r.department_id for r in round_reports}),
            )
            for report in round_reports:
                entry = rates[report.department_id]
                figures = entry.figures.budget if entry.figures is not None else ZERO_FIGURES
                parts[report.pk] = budget_part(figures, round_, thresholds)
                computed[report.pk] = entry.rates
    evaluations = []
    for report in reports:
        report.round = rounds[report.round_id]
        if report.is_department and report.department_id in departments:
            report.department = departments[report.department_id]
        if report.is_frozen:
            if report.is_department:
                department = departments.get(report.department_id)
                pairs = [
                    (line.frozen_department_indicator(department, report.round.year), line)
                    for line in lines[report.pk]
                ]
            else:
                project = projects.get(report.project_id)
                pairs = [(line.frozen_indicator(project), line) for line in lines[report.pk]]
            part = frozen_budget_part(report)
        elif report.is_department:
            by_indicator = {line.department_indicator_id: line for line in lines[report.pk]}
            figures = computed[report.pk]
            pairs = []
            for indicator in department_indicators[(report.department_id, report.round.year)]:
                line = by_indicator.get(indicator.pk)
                if indicator.metric:
                    if line is None:
                        line = ReportIndicator(report=report, department_indicator=indicator)
                    line.computed_value = figures.get(indicator.metric)
                pairs.append((indicator, line))
            part = parts[report.pk]
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
            fiscal_year=fiscal_year(indicator),
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


def _apply_self_evaluation(evaluation: Evaluation, scheme: ScoringScheme | None = None) -> None:
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
    department = report.is_department
    result = score_self_evaluation(
        indicators=inputs,
        # A department has no execution score: 预算执行率 is one of its 投入管理 indicators.
        execution_rate=None if department else part.figures.execution_rate,
        fiscal_year=report.round.year,  # the fiscal year of the round's projects
        **({"scheme": scheme or department_scoring_scheme()} if department else {}),
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
    # No actual entered at all: no score and no grade yet, not the execution points alone. A
    # report whose indicators are all computed has nothing to enter and is scored at once.
    typed = [(i, line) for i, line in evaluation.lines if not is_computed(i)]
    entered = not typed or any(line is not None and line.actual_raw.strip() for _, line in typed)
    report.score = result.total if entered else None
    report.grade = result.grade if entered else ""


def _apply(evaluation: Evaluation, scheme: ScoringScheme | None = None) -> None:
    """Set the computed fields of the report and its lines in memory."""
    if evaluation.report.round.is_self_evaluation:
        _apply_self_evaluation(evaluation, scheme)
    else:
        _apply_monitoring(evaluation)


def _department_scheme(evaluations: list[Evaluation]) -> ScoringScheme | None:
    """The bureau's department points, read once when a department self-evaluation is scored."""
    if any(e.report.is_department and e.report.round.is_self_evaluation for e in evaluations):
        return department_scoring_scheme()
    return None


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
    live = [e for e in evaluations if not e.report.is_frozen]
    scheme = _department_scheme(live)
    for evaluation in live:
        _apply(evaluation, scheme)
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
    scheme = _department_scheme(evaluations)
    for evaluation in evaluations:
        _apply(evaluation, scheme)
    # Unsaved lines (a computed indicator nobody typed for) are stored at submission.
    lines = [line for e in evaluations for _, line in e.lines if line is not None and line.pk]
    ReportIndicator.objects.bulk_update(lines, LINE_COMPUTED_FIELDS, batch_size=500)
    Report.objects.bulk_update(reports, REPORT_COMPUTED_FIELDS, batch_size=500)


def report_budget_part(report: Report) -> BudgetPart:
    """The budget block of one report: frozen once submitted, else live."""
    if report.is_frozen:
        return frozen_budget_part(report)
    if report.is_department:
        return report_evaluation(report).budget
    figures = project_figures(Project.objects.filter(pk=report.project_id), report.round.as_of)
    return budget_part(
        figures[report.project_id], report.round, warning_thresholds(), report.project
    )
