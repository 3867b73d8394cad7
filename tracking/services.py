"""Writes of the tracking app: rounds, report values and the review workflow.

Every transition is recorded (ReportTransition: who, when, why). A save carries the
report's version; a stale version is refused (optimistic locking) instead of silently
overwriting a colleague's work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from budgets.access import (
    STATEMENTS,
    VIEW,
    covers_division,
    is_reviewer,
    may_access_department,
    may_review,
)
from budgets.choices import warning_label
from budgets.errors import ServiceError
from budgets.models import Department, Division, Project
from budgets.selectors import project_figures
from performance.models import DepartmentIndicator, DepartmentTargetLock
from performance.scoring import (
    OVER_COMPLETION,
    budget_deviates,
    indicator_deviates,
    needs_over_completion_note,
)
from performance.values import QUALITATIVE, RELATIVE, TIER_BANDS, ValueError_, parse_actual

from .choices import EDITABLE_STATUSES, ReportStatus, Stage
from .compute import AnyIndicator, fiscal_year, is_computed, read_value, reports_recompute
from .models import (
    FROZEN_LINE_FIELDS,
    FROZEN_REPORT_FIELDS,
    Report,
    ReportIndicator,
    ReportTransition,
    Round,
)
from .selectors import divisions_with_projects, report_indicators

# --- messages -----------------------------------------------------------------------------------
ROUND_DEADLINE_BEFORE_AS_OF = "填报截止日期不能早于截至日期"
ROUND_AS_OF_OUTSIDE_YEAR = "截至日期必须在{year}年度内"
ROUND_CLOSED = "该填报轮次已关闭，不能再填报"
ROUND_NO_PERMISSION = "只有财政局审核人可以开启、关闭填报轮次或调整截止日期"
ROUND_OTHER_DIVISION = "您无权管理{division}的填报轮次"
ROUND_NO_DIVISION = "{year}年度没有任何区划有项目，无法开启轮次（请先导入项目，或指定区划）"
ROUND_NO_COVERED_DIVISION = (
    "{year}年度您所覆盖的区划都没有项目，无法开启轮次（请先导入项目，或指定区划）"
)
REPORT_OTHER_DIVISION = "项目“{project}”属于{project_division}，不能在{round_division}的轮次中填报"
REPORT_NOT_EDITABLE = "报告{status}，不能再修改"
REPORT_STALE = "报告已被他人修改（当前版本{current}，您编辑的是版本{yours}），请刷新页面后重新填写"
REPORT_NO_PERMISSION = "您无权修改该报告"
REVIEW_NO_PERMISSION = "只有财政局审核人可以审核报告"
REVIEW_OTHER_DIVISION = "您无权审核{division}的报告"
REVIEW_OWN_REPORT = "不能审核自己提交的报告"
REVIEW_NOT_SUBMITTED = "只有已提交的报告可以审核（当前：{status}）"
RETURN_NEEDS_REASON = "退回时必须填写退回原因"
RECTIFICATION_NEEDS_TEXT = "请填写整改要求"
RECTIFICATION_RESULT_NEEDS_TEXT = "请填写整改结果"
RECTIFICATION_NOT_REQUIRED = "该报告未被要求整改"
SUBMIT_MISSING_ACTUAL = "指标“{name}”缺少实际完成值（或未填写原因说明）"
SUBMIT_MISSING_EXPECTED = "指标“{name}”缺少全年预计完成值"
SUBMIT_MISSING_TO_DATE = "指标“{name}”缺少截至目前完成值"
SUBMIT_DEVIATION_INCOMPLETE = "指标“{name}”存在偏差，需填写偏差原因类别、原因、完成可能性和改进措施"
SUBMIT_BUDGET_DEVIATION_INCOMPLETE = (
    "预算执行进度存在偏差（{warning}），需填写偏差原因类别、原因、完成可能性和改进措施"
)
SUBMIT_OVER_COMPLETION = "指标“{name}”" + OVER_COMPLETION
SUBMIT_LOW_EXECUTION = "预算执行率{rate}%低于90%，需填写原因说明"
SUBMIT_BELOW_FULL_MARKS = "指标“{name}”未完全达成目标（得分{score}/{points}分），需填写偏差原因分析"
SUBMIT_MISSING_SUMMARY = "请填写总体情况说明（年度总体目标完成情况）"
SUBMIT_NOT_ALL_PARSE = "指标“{name}”的实际完成值无法识别：{message}"
REVIEWER_SCORE_NOT_QUALITATIVE = "只有定性或与上年比较的指标可以由审核人调整得分"
REVIEWER_SCORE_OUT_OF_BAND = "得分{score}超出“{tier}”对应的区间（{low}～{high}分）"
REVIEWER_SCORE_NEEDS_TIER = "该指标尚未选择完成档次（达成/部分达成/未达成），不能调整得分"
REVIEWER_SCORE_NEEDS_REASON = "调整得分必须填写理由"


# Reports are locked with select_for_update(of=("self",)): their project and department are
# nullable, and PostgreSQL cannot lock the nullable side of the outer joins that bring them.


class WorkflowError(ServiceError):
    """A refused step of the workflow (budgets.errors: the one error convention)."""


# --- rounds -------------------------------------------------------------------------------------


@transaction.atomic
def round_open(
    *, year: int, stage: str, as_of: date, deadline: date, division: Division, user=None
) -> tuple[Round, bool]:
    """Open (or re-open, moving the deadline) the round of year + stage + as-of of one 区划."""
    check_may_manage_rounds(user, division)
    _check_round_dates(year, as_of, deadline)
    round_, created = Round.objects.select_for_update().get_or_create(
        year=year,
        stage=stage,
        as_of=as_of,
        division=division,
        defaults={"deadline": deadline, "opened_by": user, "is_open": True},
    )
    if not created and (round_.deadline != deadline or not round_.is_open):
        round_.deadline = deadline
        round_.is_open = True
        round_.closed_at = None
        round_.save(update_fields=["deadline", "is_open", "closed_at"])
    department_reports_create(round_)
    return round_, created


def department_reports_create(round_: Round, department_ids=None) -> list[Report]:
    """The round's department reports (部门整体), created as drafts for every department of its
    区划 with 部门整体目标 of its year (or of the given ones) that has none yet; idempotent."""
    departments = Department.objects.filter(
        division_id=round_.division_id,
        pk__in=DepartmentIndicator.objects.filter(year=round_.year).values("department"),
    ).exclude(pk__in=Report.objects.filter(round=round_).values("department"))
    if department_ids is not None:
        departments = departments.filter(pk__in=list(department_ids))
    reports = [Report(round=round_, department=d) for d in departments.order_by("pk")]
    if not reports:
        return []
    Report.objects.bulk_create(reports, ignore_conflicts=True)
    created = list(
        Report.objects.filter(round=round_, department__in=[r.department_id for r in reports])
    )
    # The stored lights and scores feed list pages at once, as for a started project report.
    reports_recompute(created)
    return created


def department_reports_for_targets(year: int, department_ids) -> list[Report]:
    """After department targets were imported: the drafts of the open rounds of that year."""
    created: list[Report] = []
    division_ids = set(
        Department.objects.filter(pk__in=list(department_ids)).values_list("division", flat=True)
    )
    for round_ in Round.objects.filter(year=year, is_open=True, division__in=division_ids):
        created += department_reports_create(round_, department_ids)
    return created


@transaction.atomic
def rounds_open(
    *,
    year: int,
    stage: str,
    as_of: date,
    deadline: date,
    division: Division | None = None,
    user=None,
) -> list[tuple[Round, bool]]:
    """Open the round of one 区划, or one round for every 区划 (the user covers) that has
    projects that year; all or none. Returns each round and whether it was created."""
    if division is not None:
        return [
            round_open(
                year=year, stage=stage, as_of=as_of, deadline=deadline, division=division, user=user
            )
        ]
    check_may_manage_rounds(user)
    _check_round_dates(year, as_of, deadline)
    targets = list(divisions_with_projects(user, year))
    if not targets:
        bound = user is not None and is_reviewer(user) and user.division_id is not None
        message = ROUND_NO_COVERED_DIVISION if bound else ROUND_NO_DIVISION
        raise WorkflowError(message.format(year=year))
    return [
        round_open(year=year, stage=stage, as_of=as_of, deadline=deadline, division=d, user=user)
        for d in targets
    ]


def _check_round_dates(year: int, as_of: date, deadline: date) -> None:
    if as_of.year != year:
        message = ROUND_AS_OF_OUTSIDE_YEAR.format(year=year)
        raise WorkflowError(message, {"as_of": message})
    if deadline < as_of:
        raise WorkflowError(ROUND_DEADLINE_BEFORE_AS_OF, {"deadline": ROUND_DEADLINE_BEFORE_AS_OF})


def check_may_manage_rounds(user, division: Division | None = None) -> None:
    """Rounds belong to the finance bureau of their 区划; `user` None is the operator."""
    if user is None:
        return
    if not may_review(user):
        raise PermissionDenied(ROUND_NO_PERMISSION)
    if division is not None and not covers_division(user, division):
        raise PermissionDenied(ROUND_OTHER_DIVISION.format(division=division.name))


def round_close(*, round_: Round, user=None) -> Round:
    check_may_manage_rounds(user, round_.division)
    round_.is_open = False
    round_.closed_at = timezone.now()
    round_.save(update_fields=["is_open", "closed_at"])
    return round_


def round_reopen(*, round_: Round, user=None) -> Round:
    """Open a closed round again, keeping its deadline."""
    check_may_manage_rounds(user, round_.division)
    round_.is_open = True
    round_.closed_at = None
    round_.save(update_fields=["is_open", "closed_at"])
    return round_


def round_move_deadline(*, round_: Round, deadline: date, user=None) -> Round:
    """Move the deadline without opening or closing the round (round_open would reopen it)."""
    check_may_manage_rounds(user, round_.division)
    if deadline < round_.as_of:
        raise WorkflowError(ROUND_DEADLINE_BEFORE_AS_OF, {"deadline": ROUND_DEADLINE_BEFORE_AS_OF})
    round_.deadline = deadline
    round_.save(update_fields=["deadline"])
    return round_


def latest_monitoring_round(year: int, division: Division | int) -> Round | None:
    """The 区划's monitoring round of the year with the latest cut-off."""
    return (
        Round.objects.filter(year=year, stage=Stage.MONITORING, division=division)
        .order_by("-as_of")
        .first()
    )


# --- reports ------------------------------------------------------------------------------------


def _check_may_edit(report: Report, user) -> None:
    if user is not None and not may_access_department(user, report.owner_department_id, STATEMENTS):
        raise PermissionDenied(REPORT_NO_PERMISSION)
    if report.status not in EDITABLE_STATUSES:
        raise WorkflowError(REPORT_NOT_EDITABLE.format(status=report.get_status_display()))
    if not report.round.is_open:
        raise WorkflowError(ROUND_CLOSED)


def report_get_or_create(*, round_: Round, project: Project) -> Report:
    """The project's report of the round, created as a draft with its lights/score computed;
    only a round of the project's 区划 takes it."""
    department = project.department
    if department.division_id != round_.division_id:
        raise WorkflowError(
            REPORT_OTHER_DIVISION.format(
                project=project.name,
                project_division=department.division.name,
                round_division=round_.division.name,
            )
        )
    report, created = Report.objects.get_or_create(round=round_, project=project)
    if created:
        # A new report shows its budget warning and points at once, not after the first save.
        reports_recompute([report])
        report.refresh_from_db()
    return report


def _bump_version(report: Report, expected: int | None) -> None:
    """Take the next version, refusing when someone saved since `expected` was read."""
    query = Report.objects.filter(pk=report.pk)
    if expected is not None:
        query = query.filter(version=expected)
    if query.update(version=F("version") + 1, updated_at=timezone.now()) != 1:
        current = Report.objects.filter(pk=report.pk).values_list("version", flat=True).first()
        raise WorkflowError(REPORT_STALE.format(current=current, yours=expected))
    report.refresh_from_db(fields=["version", "updated_at"])


@dataclass
class LineInput:
    """What staff type for one indicator."""

    actual_raw: str = ""
    expected_raw: str = ""
    cause_category: str = ""
    cause: str = ""
    likelihood: str = ""
    measure: str = ""
    explanation: str = ""


@dataclass
class ReportInput:
    expected_executed: Decimal | None = None
    budget_cause_category: str = ""
    budget_cause: str = ""
    budget_likelihood: str = ""
    budget_measure: str = ""
    low_execution_note: str = ""
    summary: str = ""
    rectification_result: str | None = None
    lines: dict[int, LineInput] = field(default_factory=dict)


def validate_value(raw: str, indicator: AnyIndicator) -> str | None:
    """The Chinese message when the value does not fit its indicator, else None."""
    if not raw.strip():
        return None
    try:
        parse_actual(raw, indicator.target, year=fiscal_year(indicator), level1=indicator.level1)
    except ValueError_ as exc:
        return exc.message
    return None


def lines_by_indicator(report: Report) -> dict[int, ReportIndicator]:
    """The report's stored lines by the id of their indicator (of either kind)."""
    return {line.target_indicator_id: line for line in report.lines.all()}


def _new_line(report: Report, indicator_id: int, **values) -> ReportIndicator:
    key = "department_indicator_id" if report.is_department else "indicator_id"
    return ReportIndicator(report=report, **{key: indicator_id}, **values)


@transaction.atomic
def report_save(*, report: Report, user, version: int | None, data: ReportInput) -> Report:
    """Store what staff typed, recompute lights/score; refuses a stale version."""
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("round", "project", "department")
        .get(pk=report.pk)
    )
    _check_may_edit(report, user)
    indicators = report_indicators(report)
    errors: dict[str, str] = {}
    for indicator_id, line in data.lines.items():
        indicator = indicators.get(indicator_id)
        if indicator is None:
            continue
        if is_computed(indicator):
            # The system fills it in from its figures: whatever was typed is not kept.
            line.actual_raw = line.expected_raw = ""
            continue
        for attr in ("actual_raw", "expected_raw"):
            message = validate_value(getattr(line, attr), indicator)
            if message:
                errors[f"{attr}_{indicator_id}"] = f"{indicator.name}：{message}"
    if errors:
        raise WorkflowError(list(errors.values()), errors)
    _bump_version(report, version)
    report.expected_executed = data.expected_executed
    report.budget_cause_category = data.budget_cause_category
    report.budget_cause = data.budget_cause
    report.budget_likelihood = data.budget_likelihood
    report.budget_measure = data.budget_measure
    report.low_execution_note = data.low_execution_note
    report.summary = data.summary
    report.save()
    existing = lines_by_indicator(report)
    for indicator_id, values in data.lines.items():
        if indicator_id not in indicators:
            continue
        line = existing.get(indicator_id) or _new_line(report, indicator_id)
        for attr, value in vars(values).items():
            setattr(line, attr, value.strip() if isinstance(value, str) else value)
        line.save()
    reports_recompute([report])
    report.refresh_from_db()
    return report


def submit_problems(report: Report) -> list[str]:
    """Everything that must still be filled in before the report can be submitted."""
    problems: list[str] = []
    indicators = list(report_indicators(report).values())
    lines = lines_by_indicator(report)
    if report.round.is_self_evaluation:
        for indicator in indicators:
            line = lines.get(indicator.pk)
            if is_computed(indicator):
                # Filled in by the system; only a shortfall needs the department's analysis.
                if line is not None and not line.explanation.strip() and _below_full_marks(line):
                    problems.append(
                        SUBMIT_BELOW_FULL_MARKS.format(
                            name=indicator.name,
                            score=f"{line.score:.2f}",
                            points=f"{line.points:.2f}",
                        )
                    )
                continue
            if line is None or (not line.actual_raw and not line.explanation.strip()):
                problems.append(SUBMIT_MISSING_ACTUAL.format(name=indicator.name))
                continue
            if line.actual_raw:
                message = validate_value(line.actual_raw, indicator)
                if message:
                    problems.append(
                        SUBMIT_NOT_ALL_PARSE.format(name=indicator.name, message=message)
                    )
                    continue
            if line.explanation.strip():
                continue
            if needs_over_completion_note(line.completion):
                problems.append(SUBMIT_OVER_COMPLETION.format(name=indicator.name))
            elif _below_full_marks(line):
                problems.append(
                    SUBMIT_BELOW_FULL_MARKS.format(
                        name=indicator.name, score=f"{line.score:.2f}", points=f"{line.points:.2f}"
                    )
                )
        rate = report.execution_rate
        if rate is not None and rate < 90 and not report.low_execution_note.strip():
            problems.append(SUBMIT_LOW_EXECUTION.format(rate=f"{rate:.2f}"))
        if not report.summary.strip():
            problems.append(SUBMIT_MISSING_SUMMARY)
        return problems
    for indicator in indicators:
        line = lines.get(indicator.pk)
        # A computed indicator's values come from the system; its deviation still needs a cause.
        if not is_computed(indicator):
            if line is None or not line.actual_raw:
                problems.append(SUBMIT_MISSING_TO_DATE.format(name=indicator.name))
            if line is None or not line.expected_raw:
                problems.append(SUBMIT_MISSING_EXPECTED.format(name=indicator.name))
                continue
        if line is None:
            continue
        if line.light and indicator_deviates(line.light) and not _deviation_complete(line):
            problems.append(SUBMIT_DEVIATION_INCOMPLETE.format(name=indicator.name))
    if budget_deviates(report.budget_warning or None) and not all(
        (
            report.budget_cause_category,
            report.budget_cause.strip(),
            report.budget_likelihood,
            report.budget_measure.strip(),
        )
    ):
        problems.append(
            SUBMIT_BUDGET_DEVIATION_INCOMPLETE.format(
                warning=warning_label(report.budget_warning, none="—")
            )
        )
    return problems


def _below_full_marks(line: ReportIndicator) -> bool:
    """A scored self-evaluation line that earned less than its points (部分达成, 未达成, short of
    a quantitative target, late): its 偏差原因分析 is required, as for an over-run."""
    if line.points is None or line.score is None:
        return False
    return line.score.quantize(Decimal("0.01")) < line.points.quantize(Decimal("0.01"))


def _deviation_complete(line: ReportIndicator) -> bool:
    return all((line.cause_category, line.cause.strip(), line.likelihood, line.measure.strip()))


def _transition(report: Report, to_status: str, user, reason: str = "") -> None:
    ReportTransition.objects.create(
        report=report, from_status=report.status, to_status=to_status, user=user, reason=reason
    )
    report.status = to_status


@transaction.atomic
def report_submit(*, report: Report, user, version: int | None = None) -> Report:
    """Submit a draft or returned report once everything required is filled in."""
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("round", "project", "department")
        .get(pk=report.pk)
    )
    _check_may_edit(report, user)
    if report.is_department:
        # A computed indicator nobody typed for has no stored line yet: its light or score
        # (and so what submission requires of it) is judged on a stored one.
        _lines_for_every_indicator(report)
    reports_recompute([report])
    report.refresh_from_db()
    problems = submit_problems(report)
    if problems:
        raise WorkflowError(problems)
    _bump_version(report, version)
    _freeze(report)
    _transition(report, ReportStatus.SUBMITTED, user)
    report.submitted_at = timezone.now()
    report.submitted_by = user
    report.save()
    # Its results are now those of what was frozen (the same, unless a payment came in since
    # the check above) and stay so: later payments or target edits never move them.
    reports_recompute([report])
    if report.round.is_self_evaluation:
        _lock_targets(report, locked=True)
    return report


def _lock_targets(report: Report, *, locked: bool) -> None:
    """A submitted self-evaluation locks the targets it was judged on, in every channel; a
    return unlocks them for correction."""
    if not report.is_department:
        Project.objects.filter(pk=report.project_id).update(targets_locked=locked)
        return
    key = {"department_id": report.department_id, "year": report.round.year}
    if locked:
        DepartmentTargetLock.objects.get_or_create(**key)
    else:
        DepartmentTargetLock.objects.filter(**key).delete()


def _lines_for_every_indicator(report: Report) -> dict[int, ReportIndicator]:
    """The report's lines by indicator id, one created for each indicator nobody filled in."""
    lines = lines_by_indicator(report)
    for indicator_id in report_indicators(report):
        if indicator_id not in lines:
            line = _new_line(report, indicator_id)
            line.save()
            lines[indicator_id] = line
    return lines


def _freeze(report: Report) -> None:
    """Keep what the report is judged on: its budget part as of the round's date, and each
    indicator as written now (a line is created for one nobody filled in) — for a department
    report also each computed indicator's figure."""
    computed: dict[str, Decimal | None] = {}
    if report.is_department:
        from .department_figures import department_rates

        entry = department_rates(
            report.round.year,
            report.round.as_of,
            Department.objects.filter(pk=report.department_id),
        )[report.department_id]
        figures = entry.figures.budget if entry.figures is not None else None
        report.frozen_initial_budget = figures.initial if figures else Decimal(0)
        report.frozen_carryover = None
        computed = entry.rates
    else:
        project = report.project
        figures = project_figures(Project.objects.filter(pk=project.pk), report.round.as_of)[
            project.pk
        ]
        report.frozen_initial_budget = project.initial_budget
        report.frozen_carryover = project.carryover
    report.frozen_adjusted = figures.adjusted if figures else Decimal(0)
    report.frozen_executed = figures.executed if figures else Decimal(0)
    report.frozen_policy = figures.policy if figures else Decimal(0)
    lines = _lines_for_every_indicator(report)
    for indicator_id, indicator in report_indicators(report).items():
        line = lines[indicator_id]
        line.freeze(indicator)
        line.computed_value = computed.get(indicator.metric) if is_computed(indicator) else None
    ReportIndicator.objects.bulk_update(list(lines.values()), FROZEN_LINE_FIELDS, batch_size=500)


def _unfreeze(report: Report) -> None:
    """Back to live figures: drop the snapshot, and the lines of indicators deleted since."""
    for name in FROZEN_REPORT_FIELDS:
        setattr(report, name, None)
    report.lines.filter(indicator__isnull=True, department_indicator__isnull=True).delete()
    lines = list(report.lines.all())
    for line in lines:
        line.unfreeze()
    ReportIndicator.objects.bulk_update(lines, FROZEN_LINE_FIELDS, batch_size=500)


def _check_may_review(report: Report, user) -> None:
    if user is None:
        return
    if not may_review(user):
        raise PermissionDenied(REVIEW_NO_PERMISSION)
    # A bureau reviews the reports of the 区划 it covers only.
    if not may_access_department(user, report.owner_department_id, VIEW):
        division = report.owner_department.division
        raise PermissionDenied(REVIEW_OTHER_DIVISION.format(division=division.name))
    if report.submitted_by_id == user.pk:
        raise WorkflowError(REVIEW_OWN_REPORT)


def _locked_for_review(report: Report, user) -> Report:
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("round", "project", "department")
        .get(pk=report.pk)
    )
    _check_may_review(report, user)
    if report.status != ReportStatus.SUBMITTED:
        raise WorkflowError(REVIEW_NOT_SUBMITTED.format(status=report.get_status_display()))
    return report


@transaction.atomic
def report_return(
    *, report: Report, user, reason: str, comments: dict[int, str] | None = None
) -> Report:
    """Return a submitted report with a reason (and optional comments on single indicators)."""
    if not reason.strip():
        raise WorkflowError(RETURN_NEEDS_REASON, {"reason": RETURN_NEEDS_REASON})
    report = _locked_for_review(report, user)
    _unfreeze(report)
    comments = {k: v.strip() for k, v in (comments or {}).items() if v and v.strip()}
    # Comments of an earlier return are stale now: each line shows this return's comment only.
    lines = list(report.lines.all())
    for line in lines:
        comment = comments.get(line.target_indicator_id, "")
        if line.reviewer_comment != comment:
            line.reviewer_comment = comment
            line.save(update_fields=["reviewer_comment"])
    missing = set(comments) - {line.target_indicator_id for line in lines}
    for indicator_id in report_indicators(report).keys() & missing:
        # A comment on an indicator nobody filled in yet still has to reach the department.
        _new_line(report, indicator_id, reviewer_comment=comments[indicator_id]).save()
    _transition(report, ReportStatus.RETURNED, user, reason.strip())
    report.return_reason = reason.strip()
    if report.round.is_self_evaluation:
        # Returned for correction: the department may fix its targets again.
        _lock_targets(report, locked=False)
    report.reviewed_at = timezone.now()
    report.reviewed_by = user
    report.version += 1
    report.save()
    reports_recompute([report])  # live again: today's figures and indicators
    from .notifications import notify_returned

    transaction.on_commit(lambda: notify_returned(report_id=report.pk))
    return report


@transaction.atomic
def report_approve(*, report: Report, user, comment: str = "") -> Report:
    report = _locked_for_review(report, user)
    _transition(report, ReportStatus.APPROVED, user, comment.strip())
    report.reviewed_at = timezone.now()
    report.reviewed_by = user
    report.version += 1
    report.save()
    return report


@transaction.atomic
def report_require_rectification(*, report: Report, user, requirements: str) -> Report:
    """Mark a submitted (or approved) report 需整改 with the requirements."""
    if not requirements.strip():
        raise WorkflowError(RECTIFICATION_NEEDS_TEXT, {"requirements": RECTIFICATION_NEEDS_TEXT})
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("project", "department")
        .get(pk=report.pk)
    )
    _check_may_review(report, user)
    if report.status not in (ReportStatus.SUBMITTED, ReportStatus.APPROVED):
        raise WorkflowError(REVIEW_NOT_SUBMITTED.format(status=report.get_status_display()))
    report.rectification_required = True
    report.rectification_requirements = requirements.strip()
    report.save(update_fields=["rectification_required", "rectification_requirements"])
    ReportTransition.objects.create(
        report=report,
        from_status=report.status,
        to_status=report.status,
        user=user,
        reason=f"需整改：{requirements.strip()}",
    )
    return report


@transaction.atomic
def report_record_rectification(*, report: Report, user, result: str) -> Report:
    """The department's answer to 需整改 (allowed while the report is read-only otherwise)."""
    if not result.strip():
        raise WorkflowError(
            RECTIFICATION_RESULT_NEEDS_TEXT, {"result": RECTIFICATION_RESULT_NEEDS_TEXT}
        )
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("project", "department")
        .get(pk=report.pk)
    )
    if user is not None and not may_access_department(user, report.owner_department_id, STATEMENTS):
        raise PermissionDenied(REPORT_NO_PERMISSION)
    if not report.rectification_required:
        raise WorkflowError(RECTIFICATION_NOT_REQUIRED)
    report.rectification_result = result.strip()
    report.save(update_fields=["rectification_result"])
    ReportTransition.objects.create(
        report=report,
        from_status=report.status,
        to_status=report.status,
        user=user,
        reason=f"整改结果：{result.strip()}",
    )
    return report


@transaction.atomic
def line_set_reviewer_score(
    *, line: ReportIndicator, user, score: Decimal | None, reason: str
) -> ReportIndicator:
    """A reviewer sets a qualitative indicator's score within its tier's band, with a reason."""
    line = (
        ReportIndicator.objects.select_for_update(of=("self",))
        .select_related("report__round", "report__project", "report__department")
        .get(pk=line.pk)
    )
    report = line.report
    _check_may_review(report, user)
    if report.status != ReportStatus.SUBMITTED:
        raise WorkflowError(REVIEW_NOT_SUBMITTED.format(status=report.get_status_display()))
    # A submitted report is judged on its indicators as they were at submission.
    if report.is_department:
        indicator = line.frozen_department_indicator(report.department, report.round.year)
    else:
        indicator = line.frozen_indicator(report.project)
    if score is None:
        line.reviewer_score = None
        line.reviewer_reason = ""
    else:
        if indicator.kind not in (QUALITATIVE, RELATIVE):
            raise WorkflowError(REVIEWER_SCORE_NOT_QUALITATIVE)
        actual = read_value(line, line.actual_raw, indicator)
        if actual is None or actual.tier is None:
            raise WorkflowError(REVIEWER_SCORE_NEEDS_TIER)
        if not reason.strip():
            raise WorkflowError(
                REVIEWER_SCORE_NEEDS_REASON, {"reason": REVIEWER_SCORE_NEEDS_REASON}
            )
        low_pct, high_pct = TIER_BANDS[actual.tier]
        points = line.points or Decimal(0)
        low = (points * Decimal(low_pct) / 100).quantize(Decimal("0.01"))
        high = (points * Decimal(high_pct) / 100).quantize(Decimal("0.01"))
        if not low <= score <= high:
            raise WorkflowError(
                REVIEWER_SCORE_OUT_OF_BAND.format(
                    score=score, tier=actual.tier, low=low, high=high
                ),
                {"score": "得分超出区间"},
            )
        line.reviewer_score = score
        line.reviewer_reason = reason.strip()
    line.save(update_fields=["reviewer_score", "reviewer_reason"])
    reports_recompute([report])
    return line
