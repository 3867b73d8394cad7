"""The tracking part of the JSON export: monitoring, self-evaluation, actuals, completion rates
— of the projects and of the departments' own reports (部门整体绩效, department-targets.md).

A report shows the figures its pages show: what it was judged on once submitted or approved,
live (computed now, nothing written) while a draft or returned (compute.reports_evaluate).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from budgets.export import ExportContext
from budgets.rates import completion_rate, figures_to_contract, format_rate, round_half_up
from performance.department import computed_actual
from performance.models import target_from_fields
from performance.scoring import indicator_completion
from performance.values import ActualValue, ValueError_, format_decimal, parse_actual

from .choices import FROZEN_STATUSES, SUBMITTED_STATUSES, Stage
from .compute import BudgetPart, Evaluation, is_computed, reports_evaluate
from .models import Report, ReportIndicator, Round


def _score(value: Decimal | None) -> str | None:
    return None if value is None else f"{round_half_up(value):.2f}"


def actual_value_text(actual: ActualValue) -> str:
    """The actual as the export shows it: a number, an ISO date, or a tier."""
    if actual.number is not None:
        return format_decimal(actual.number)
    if actual.day is not None:
        return actual.day.isoformat()
    if actual.tier:
        return actual.tier
    return "未完成" if actual.unfinished else actual.raw


def _budget(ctx: ExportContext, part: BudgetPart) -> dict[str, str | None]:
    """The report's budget part as of its round's date, in the export's `budget` shape."""
    thresholds = ctx.thresholds
    return {
        **figures_to_contract(
            part.figures,
            part.time_progress,
            thresholds.green_fraction,
            thresholds.yellow_fraction,
        ),
        "warning": part.warning,
        "time_progress": format_rate(part.time_progress),
    }


def contribute(ctx: ExportContext) -> None:
    """Fill `monitoring`, `self_evaluation`, each indicator's `actual` and completion rates;
    a project's come from the rounds of its department's 区划."""
    # What was known on the export's date: the rounds whose 截至日期 is on or before it
    # (export-json.md: the latest actual with 截至日期 ≤ as_of), for projects and departments.
    rounds = list(Round.objects.filter(year=ctx.year, as_of__lte=ctx.as_of))
    # Each 区划's latest monitoring round: its reports are the projects' `monitoring`.
    latest: dict[int, Round] = {}
    for r in rounds:
        if r.stage == Stage.MONITORING and (
            r.division_id not in latest or r.as_of > latest[r.division_id].as_of
        ):
            latest[r.division_id] = r
    latest_ids = {r.pk for r in latest.values()}
    self_eval_ids = {r.pk for r in rounds if r.stage == Stage.SELF_EVALUATION}
    round_by_id = {r.pk: r for r in rounds}
    reports = Report.objects.filter(
        project__in=ctx.projects.order_by().values("pk"), round__in=[r.pk for r in rounds]
    )
    monitoring_reports: dict[int, Report] = {}
    self_evaluations: dict[int, Report] = {}
    for report in reports.order_by("round__as_of", "pk"):
        if report.round_id in latest_ids:
            monitoring_reports[report.project_id] = report
        elif report.round_id in self_eval_ids:
            self_evaluations[report.project_id] = report
    evaluations = reports_evaluate(
        [*monitoring_reports.values(), *self_evaluations.values()],
        thresholds=ctx.thresholds,
        frozen_lines=False,
    )
    for project_id, entry in ctx.project_entries.items():
        report = monitoring_reports.get(project_id)
        if report is not None:
            entry["monitoring"] = _monitoring_entry(
                ctx, report, round_by_id[report.round_id].as_of, evaluations[report.pk].budget
            )
        report = self_evaluations.get(project_id)
        if report is not None:
            entry["self_evaluation"] = _self_evaluation_entry(
                ctx, report, evaluations[report.pk].budget
            )
    # A draft's lines as computed now (their stored completion and score may be stale).
    live_lines = {
        (line.report_id, line.indicator_id): line
        for evaluation in evaluations.values()
        if not evaluation.report.is_frozen
        for _, line in evaluation.lines
        if line is not None
    }
    _contribute_actuals(ctx, round_by_id, live_lines)
    # Department codes repeat across 区划: count by department id.
    department_of = dict(ctx.projects.order_by().values_list("pk", "department_id"))
    total, monitored, evaluated = Counter(), Counter(), Counter()
    for project_id in ctx.project_entries:
        department_id = department_of[project_id]
        total[department_id] += 1
        report = monitoring_reports.get(project_id)
        monitored[department_id] += bool(report and report.status in SUBMITTED_STATUSES)
        report = self_evaluations.get(project_id)
        evaluated[department_id] += bool(report and report.status in SUBMITTED_STATUSES)
    for department_id, entry in ctx.department_entries.items():
        entry["monitoring_completion_rate"] = format_rate(
            completion_rate(monitored[department_id], total[department_id])
        )
        entry["self_evaluation_completion_rate"] = format_rate(
            completion_rate(evaluated[department_id], total[department_id])
        )
    _contribute_departments(ctx, rounds)


def _monitoring_entry(ctx: ExportContext, report: Report, as_of, part: BudgetPart) -> dict:
    return {
        "status": report.status,
        "as_of": as_of.isoformat(),
        "deviations": report.deviations,
        "target_light": report.target_light or None,
        "budget_warning": report.budget_warning or None,
        "budget": _budget(ctx, part),
    }


def _self_evaluation_entry(ctx: ExportContext, report: Report, part: BudgetPart) -> dict:
    return {
        "status": report.status,
        "score": _score(report.score),
        "grade": report.grade or None,
        "execution_score": _score(report.execution_score),
        "budget": _budget(ctx, part),
    }


def _contribute_departments(ctx: ExportContext, rounds: list[Round]) -> None:
    """Fill each department's `monitoring`, `self_evaluation` and its targets' `actual` from
    its own reports in the rounds of its 区划 whose 截至日期 is on or before the export's date
    (department-targets.md): `monitoring` from the 区划's latest such monitoring round, each
    target's actual the latest (self-evaluation before monitoring). A constant number of
    queries per round (compute.reports_evaluate), whatever the departments."""
    targets = ctx.shared.get("department_targets")
    if not ctx.department_entries or targets is None:
        return
    rounds = [r for r in rounds if r.as_of <= ctx.as_of]
    latest: dict[int, Round] = {}
    for r in rounds:
        if r.stage == Stage.MONITORING and (
            r.division_id not in latest or r.as_of > latest[r.division_id].as_of
        ):
            latest[r.division_id] = r
    latest_ids = {r.pk for r in latest.values()}
    round_by_id = {r.pk: r for r in rounds}
    reports = Report.objects.filter(
        department__in=ctx.departments.order_by().values("pk"),
        round__in=list(round_by_id),
    ).order_by("round__as_of", "pk")
    # Every line is read, a submitted report's as frozen: the targets' actuals come from them.
    evaluations = reports_evaluate(reports, thresholds=ctx.thresholds)
    best: dict[int, tuple] = {}
    for evaluation in evaluations.values():
        report = evaluation.report
        round_ = round_by_id[report.round_id]
        entry = ctx.department_entries.get(report.department_id)
        if entry is None:
            continue
        if report.round_id in latest_ids:
            entry["monitoring"] = _monitoring_entry(ctx, report, round_.as_of, evaluation.budget)
        elif round_.is_self_evaluation:
            entry["self_evaluation"] = _self_evaluation_entry(ctx, report, evaluation.budget)
        _latest_actuals(evaluation, round_, best)
    for indicator_id, (_, round_, indicator, line) in best.items():
        target = targets.get(indicator_id)
        if target is not None:
            target["actual"] = _department_actual(ctx, round_, indicator, line)


def _latest_actuals(evaluation: Evaluation, round_: Round, best: dict[int, tuple]) -> None:
    """Keep, per department indicator, the line of the latest round that has an actual:
    typed, or computed (a computed indicator always has one, its figure)."""
    rank = (round_.is_self_evaluation, round_.as_of)
    for indicator, line in evaluation.lines:
        if line is None or line.department_indicator_id is None:
            continue
        if not (is_computed(indicator) or line.actual_raw):
            continue
        current = best.get(line.department_indicator_id)
        if current is None or rank > current[0]:
            best[line.department_indicator_id] = (rank, round_, indicator, line)


def _department_actual(ctx: ExportContext, round_: Round, indicator, line) -> dict | None:
    """A department target's `actual`, as a project indicator's: read against the indicator
    its report is judged on (frozen once submitted). A computed one is its figure rounded
    half-up to the hundredth without its unit, or null (无预算，不适用, counted as 达成)."""
    if is_computed(indicator):
        actual = computed_actual(line.computed_value)
        value, raw = format_rate(line.computed_value), actual.raw
    else:
        try:
            actual = parse_actual(
                line.actual_raw, indicator.target, year=ctx.year, level1=indicator.level1
            )
        except ValueError_:
            return None
        value, raw = actual_value_text(actual), line.actual_raw
    if round_.is_self_evaluation:
        completion, score = line.completion, _score(line.score)
    else:
        completion = indicator_completion(
            indicator.target, actual, fiscal_year=ctx.year, level1=indicator.level1
        )
        score = None
    return {
        "stage": round_.stage,
        "as_of": round_.as_of.isoformat(),
        "value": value,
        "raw": raw,
        "completion": format_rate(None if completion is None else completion * 100),
        "score": score,
    }


# A line's frozen target, for the lines of submitted and approved reports.
_FROZEN_TARGET = (
    "frozen_raw",
    "frozen_kind",
    "frozen_comparator",
    "frozen_value",
    "frozen_upper",
    "frozen_unit",
)


def _contribute_actuals(
    ctx: ExportContext,
    round_by_id: dict[int, Round],
    live_lines: dict[tuple[int, int], ReportIndicator],
) -> None:
    """Each indicator's latest actual: self-evaluation first, then the latest monitoring; read
    against the target the report was submitted with, or the indicator's own while live."""
    # Read by performance.export.contribute, which settings.EXPORT_CONTRIBUTORS runs first.
    indicators = ctx.shared["indicators"]
    # Plain values: a year's actual lines are tens of thousands at province scale.
    lines = (
        ReportIndicator.objects.filter(
            report__round__in=list(round_by_id),
            indicator__project__in=ctx.projects.order_by().values("pk"),
        )
        .exclude(actual_raw="")
        .values_list(
            "indicator_id",
            "report__round_id",
            "actual_raw",
            "completion",
            "score",
            "report_id",
            "report__status",
            "frozen_level1",
            *_FROZEN_TARGET,
        )
    )
    best: dict[int, tuple] = {}
    for line in lines.iterator(chunk_size=5000):
        round_ = round_by_id[line[1]]
        rank = (round_.is_self_evaluation, round_.as_of)
        current = best.get(line[0])
        if current is None or rank > current[0]:
            best[line[0]] = (rank, line)
    for entry in ctx.project_entries.values():
        for indicator in entry["indicators"]:
            found = best.get(indicator.get("_id"))
            row = indicators.get(indicator.get("_id"))
            if found is None or row is None:
                continue
            _, line = found
            indicator_id, round_id, actual_raw, completion, score, report_id, status = line[:7]
            round_ = round_by_id[round_id]
            target, level1 = row.target, row.level1
            if status in FROZEN_STATUSES:
                target, level1 = target_from_fields(*line[8:]), line[7]
            live = live_lines.get((report_id, indicator_id))
            if live is not None:
                completion, score = live.completion, live.score
            try:
                actual = parse_actual(actual_raw, target, year=ctx.year, level1=level1)
            except ValueError_:
                continue
            if round_.is_self_evaluation:
                score = _score(score)
            else:
                completion = indicator_completion(
                    target, actual, fiscal_year=ctx.year, level1=level1
                )
                score = None
            indicator["actual"] = {
                "stage": round_.stage,
                "as_of": round_.as_of.isoformat(),
                "value": actual_value_text(actual),
                "raw": actual_raw,
                "completion": format_rate(None if completion is None else completion * 100),
                "score": score,
            }
