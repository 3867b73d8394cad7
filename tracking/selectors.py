"""Reads of the tracking app: rounds with their progress, a round's projects, the review
queue, a report's table (form, print, xlsx) and its audit trail.

Each function runs a fixed number of queries whatever the number of projects or lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from budgets.access import (
    NOTHING,
    VIEW,
    covered_division_filter,
    covers_division,
    department_ids,
    is_admin,
    is_reviewer,
    restrict,
)
from budgets.choices import warning_label
from budgets.fields import MoneyField
from budgets.models import Adjustment, Division, Payment, Project, User
from budgets.rates import (
    BudgetFigures,
    format_amount,
    format_rate,
    needs_low_execution_note,
    round_half_up,
    time_progress,
)
from budgets.selectors import project_figures, warning_thresholds
from budgets.templatetags.money import money_text
from performance.department import computed_actual
from performance.models import DepartmentIndicator, Indicator
from performance.scoring import (
    allocate_points,
    indicator_completion,
    indicator_light,
    indicator_score,
    needs_over_completion_note,
)
from performance.selectors import department_scoring_scheme
from performance.values import ValueError_, describe_target, parse_actual

from .choices import EDITABLE_STATUSES, SUBMITTED_STATUSES, Light, ReportStatus, Stage
from .compute import (
    LINE_COMPUTED_FIELDS,
    REPORT_COMPUTED_FIELDS,
    AnyIndicator,
    BudgetPart,
    Evaluation,
    fiscal_year,
    is_computed,
    report_budget_part,
    report_evaluation,
    reports_evaluate,
)
from .models import (
    FROZEN_LINE_FIELDS,
    FROZEN_REPORT_FIELDS,
    Report,
    ReportIndicator,
    ReportTransition,
    Round,
)

LIGHT_LABELS = dict(Light.choices)

# --- rounds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundProgress:
    """A round with the counts of the reports the user may see, against the year's projects."""

    round: Round
    total: int
    started: int
    submitted: int
    approved: int
    returned: int
    # Set by the list page for an open round past its deadline (rounds_late).
    late: Lateness | None = None

    @property
    def done(self) -> int:
        """Submitted or approved: what the completion rates count."""
        return self.submitted + self.approved

    @property
    def percent(self) -> Decimal | None:
        if not self.total:
            return None
        return round_half_up(Decimal(self.done * 100) / Decimal(self.total))


def round_filter(user) -> Q | None:
    """The rounds the user may see: those of the 区划 a reviewer covers, of a staff member's
    own department's 区划; None: every round (admins, reviewers of every 区划)."""
    if is_admin(user):
        return None
    if is_reviewer(user):
        return covered_division_filter(user)
    if user.is_authenticated and user.is_active and user.department_id is not None:
        return Q(division__departments__pk=user.department_id)
    return NOTHING


def rounds_visible(user) -> QuerySet[Round]:
    """The rounds the user may see (a round of another bureau is a 404, never a bare get)."""
    rounds = Round.objects.select_related("division")
    condition = round_filter(user)
    return rounds if condition is None else rounds.filter(condition)


def divisions_with_projects(user, year: int | None = None) -> list[Division]:
    """The 区划 with projects (that year) whose rounds the user may open; all for the operator."""
    found = Division.objects.filter(
        pk__in=Project.objects.filter(**({"year": year} if year is not None else {}))
        .order_by()
        .values("department__division")
    ).order_by("code")
    if user is None:
        return list(found)
    return [d for d in found if covers_division(user, d)]


def rounds_for_user(user, *, open_only: bool = False) -> list[RoundProgress]:
    """Every round (or the open ones) of the user's 区划 with progress over the departments
    the user may see."""
    allowed = department_ids(user, VIEW)
    # Project reports only: the counts are against the year's projects (a department's own
    # report is listed on the round's page).
    scope = (
        Q(reports__project__isnull=False)
        if allowed is None
        else Q(reports__project__department__in=allowed)
    )

    def counted(status: str | None) -> Count:
        condition = scope if status is None else scope & Q(reports__status=status)
        return Count("reports", filter=condition or None)

    rounds = (
        rounds_visible(user)
        .annotate(
            started=counted(None),
            submitted=counted(ReportStatus.SUBMITTED),
            approved=counted(ReportStatus.APPROVED),
            returned=counted(ReportStatus.RETURNED),
        )
        .order_by("-year", "-as_of", "stage", "division__code")
    )
    if open_only:
        rounds = rounds.filter(is_open=True)
    # A round counts the projects of its own 区划.
    totals = {
        (year, division): n
        for year, division, n in restrict(Project.objects.all(), user)
        .order_by()
        .values("year", "department__division")
        .annotate(n=Count("pk"))
        .values_list("year", "department__division", "n")
    }
    return [
        RoundProgress(
            round=r,
            total=totals.get((r.year, r.division_id), 0),
            started=r.started,
            submitted=r.submitted,
            approved=r.approved,
            returned=r.returned,
        )
        for r in rounds
    ]


@dataclass(frozen=True)
class ProjectRow:
    """One project of a round's page: its report (None before anyone opened it) and budget,
    the report's own (frozen once submitted) where there is one."""

    project: Project
    report: Report | None
    figures: BudgetFigures
    warning: str | None

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else "未填报"

    @property
    def status(self) -> str:
        return self.report.status if self.report else ""


def round_projects(user, round_: Round, department_id: int | None = None) -> QuerySet[Project]:
    """The round's projects (its year's, of its 区划) the user may see, optionally of one
    department."""
    projects = restrict(
        Project.objects.filter(year=round_.year, department__division_id=round_.division_id), user
    )
    if department_id is not None:
        projects = projects.filter(department_id=department_id)
    return projects


def round_rows(round_: Round, projects: Iterable[Project]) -> list[ProjectRow]:
    """The given projects (a page of the round's) with report and budget; a report shows its
    figures as report_table does (a constant number of queries)."""
    project_list = list(projects)
    ids = [p.pk for p in project_list]
    reports = {r.project_id: r for r in Report.objects.filter(round=round_, project__in=ids)}
    figures = project_figures(Project.objects.filter(pk__in=ids), round_.as_of)
    thresholds = warning_thresholds()
    progress = time_progress(round_.as_of)
    evaluations = reports_evaluate(reports.values(), thresholds=thresholds, frozen_lines=False)
    rows = []
    for p in project_list:
        report = reports.get(p.pk)
        if report is not None:
            budget = evaluations[report.pk].budget
            rows.append(ProjectRow(p, report, budget.figures, budget.warning))
            continue
        warning = figures[p.pk].warning(progress, thresholds)
        rows.append(ProjectRow(p, None, figures[p.pk], warning))
    return rows


def round_counts(round_: Round, projects: QuerySet[Project]) -> dict[str, int]:
    """How many of the projects are done, returned, in draft or not started (2 queries)."""
    by_status = dict(
        Report.objects.filter(round=round_, project__in=projects.order_by().values("pk"))
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    total = projects.count()
    done = sum(by_status.get(s, 0) for s in SUBMITTED_STATUSES)
    returned = by_status.get(ReportStatus.RETURNED, 0)
    return {
        "total": total,
        "done": done,
        "returned": returned,
        "draft": sum(by_status.values()) - done - returned,
        "none": total - sum(by_status.values()),
    }


# Names of late projects listed per department; the round's table lists them all.
LATE_PROJECTS_LISTED = 20


@dataclass(frozen=True)
class LateDepartment:
    """A department of the round's 区划 with projects not submitted (no report, a draft or a
    returned one) after the deadline."""

    department_id: int
    code: str
    name: str
    projects: tuple[tuple[str, str], ...]  # (code, name), in code order
    # The department's own report (部门整体) of the round is not submitted either.
    department_report: bool = False

    @property
    def count(self) -> int:
        return len(self.projects)

    @property
    def listed(self) -> tuple[tuple[str, str], ...]:
        return self.projects[:LATE_PROJECTS_LISTED]

    @property
    def unlisted(self) -> int:
        return max(0, len(self.projects) - LATE_PROJECTS_LISTED)


@dataclass(frozen=True)
class Lateness:
    """An open round past its deadline: how many days, and who is late (of what the user may
    see; none late: everyone submitted, nothing to chase)."""

    days: int
    departments: tuple[LateDepartment, ...]

    @property
    def projects(self) -> int:
        return sum(d.count for d in self.departments)


def rounds_late(
    user, rounds: Iterable[Round], today: date | None = None, department_id: int | None = None
) -> dict[int, Lateness]:
    """{round id: Lateness} of the given rounds that are open and past their deadline (today
    in the project's time zone, Asia/Shanghai), with the departments the user may see (or the
    one picked) that have not submitted every project or their own department report; the same
    rule as the overdue reminders and 催办. Three queries whatever the number of rounds,
    departments and projects (none without such a round)."""
    today = today or timezone.localdate()
    overdue = [r for r in rounds if r.is_open and today > r.deadline]
    if not overdue:
        return {}
    by_scope: dict[tuple[int, int], list[Round]] = {}
    for r in overdue:
        by_scope.setdefault((r.year, r.division_id), []).append(r)
    # A superset (every year × every 区划 of the rounds) read at once, sorted out below.
    projects = restrict(Project.objects.all(), user)
    if department_id is not None:
        projects = projects.filter(department_id=department_id)
    projects = (
        projects.filter(
            year__in={year for year, _ in by_scope},
            department__division_id__in={division for _, division in by_scope},
        )
        .order_by("department__code", "code", "pk")
        .values_list(
            "pk",
            "year",
            "department__division_id",
            "department_id",
            "department__code",
            "department__name",
            "code",
            "name",
        )
    )
    submitted = set(
        Report.objects.filter(round__in=[r.pk for r in overdue], status__in=SUBMITTED_STATUSES)
        .order_by()
        .values_list("round_id", "project_id")
    )
    late: dict[int, dict[int, list]] = {r.pk: {} for r in overdue}
    for pk, year, division_id, dept_id, dept_code, dept_name, code, name in projects:
        for r in by_scope.get((year, division_id), ()):
            if (r.pk, pk) in submitted:
                continue
            entry = late[r.pk].setdefault(dept_id, [dept_code, dept_name, [], False])
            entry[2].append((code, name))
    department_reports = restrict(
        Report.objects.filter(round__in=[r.pk for r in overdue], department__isnull=False),
        user,
        department_field="department",
    ).exclude(status__in=SUBMITTED_STATUSES)
    if department_id is not None:
        department_reports = department_reports.filter(department_id=department_id)
    for round_id, dept_id, dept_code, dept_name in department_reports.values_list(
        "round_id", "department_id", "department__code", "department__name"
    ):
        late[round_id].setdefault(dept_id, [dept_code, dept_name, [], False])[3] = True
    return {
        r.pk: Lateness(
            days=(today - r.deadline).days,
            departments=tuple(
                LateDepartment(dept_id, code, name, tuple(names), own)
                for dept_id, (code, name, names, own) in sorted(
                    late[r.pk].items(), key=lambda item: item[1][0]
                )
            ),
        )
        for r in overdue
    }


def round_department_reports(user, round_: Round, department_id: int | None = None) -> list[Report]:
    """The round's department reports (部门整体) the user may see, by department code, with
    their lights or scores as the report pages show them (a constant number of queries)."""
    reports = reports_for_user(user).filter(round=round_, department__isnull=False)
    if department_id is not None:
        reports = reports.filter(department_id=department_id)
    reports = list(reports.order_by("department__code"))
    reports_evaluate(reports, frozen_lines=False)
    return reports


# --- reports --------------------------------------------------------------------------------


def reports_for_user(user, action: str = VIEW) -> QuerySet[Report]:
    """Reports of the departments the user may act on, with what their pages show."""
    return restrict(
        Report.objects.select_related(
            "round__division",
            "project__department__division",
            "project__unit",
            "department__division",
            "submitted_by",
            "reviewed_by",
        ),
        user,
        action,
        department_field=("project__department", "department"),
    )


def reports_for_round(round_: Round, user) -> QuerySet[Report]:
    return reports_for_user(user).filter(round=round_)


def review_queue(
    user,
    *,
    stage: str | None = None,
    department_id: int | None = None,
    round_id: int | None = None,
) -> QuerySet[Report]:
    """Submitted reports waiting for the reviewer, oldest submission first."""
    reports = reports_for_user(user).filter(status=ReportStatus.SUBMITTED)
    if stage:
        reports = reports.filter(round__stage=stage)
    if department_id:
        reports = reports.filter(
            Q(project__department_id=department_id) | Q(department_id=department_id)
        )
    if round_id:
        reports = reports.filter(round_id=round_id)
    return reports.order_by("submitted_at", "pk")


def may_edit(report: Report) -> bool:
    """The report's own state allows edits (the user's right is checked by the queryset)."""
    return report.status in EDITABLE_STATUSES and report.round.is_open


@dataclass
class LineRow:
    """An indicator of the report's project and its line; `level1_span`/`level2_span` are the
    rowspans of the official table's merged 一级/二级 cells (0: merged into the row above)."""

    indicator: Indicator
    line: ReportIndicator | None
    level1_span: int = 1
    level2_span: int = 1
    # Set by report_lines: the stage, and (self-evaluation) the indicator's share of the points.
    self_evaluation: bool = False
    points: Decimal | None = None
    # The form's bound fields of the line ({"actual_raw": BoundField, ...}), set by ReportForm.
    fields: dict | None = None

    @property
    def value(self) -> ReportIndicator:
        """The recorded line, or an empty one to read blank values from."""
        if self.line is not None:
            return self.line
        if isinstance(self.indicator, DepartmentIndicator):
            return ReportIndicator(department_indicator=self.indicator)
        return ReportIndicator(indicator=self.indicator)

    @property
    def computed(self) -> bool:
        """A department indicator the system fills in (department-targets.md)."""
        return is_computed(self.indicator)

    @property
    def actual_text(self) -> str:
        """The actual value as tables show it: a computed one is its figure, marked 系统计算."""
        if self.computed:
            figure = self.line.computed_value if self.line is not None else None
            return f"{computed_actual(figure).raw}（系统计算）"
        return self.value.actual_raw

    @property
    def expected_text(self) -> str:
        """The expected full-year value: a computed indicator's is its figure to date."""
        return self.actual_text if self.computed else self.value.expected_raw

    @property
    def deviates(self) -> bool:
        """The stored light asks for a deviation explanation (not green, not empty)."""
        return self.line is not None and self.line.light not in ("", "green")

    @property
    def completion_percent(self) -> Decimal | None:
        if self.line is None or self.line.completion is None:
            return None
        return self.line.completion * 100

    @property
    def target_text(self) -> str:
        return describe_target(self.indicator.target)

    @property
    def form_preview(self) -> LinePreview:
        """What the form shows beside the indicator when the page loads: the value in the form
        (as typed when a refused save shows the form again, else as stored) judged by the
        rules of the live preview, so light, tier and completion are there before any typing
        (the stored line keeps no light for a self-evaluation nor a completion for monitoring).
        """
        if self.computed:
            # Filled in by the system: judged when the report was read (compute), not typed.
            line = self.line
            if line is None:
                return LinePreview(empty=True)
            completion = None if line.completion is None else line.completion * 100
            if not self.self_evaluation:
                return LinePreview(light=line.light or None, completion=completion)
            return LinePreview(
                completion=completion,
                points=line.points,
                score=line.score,
                light=line.light or None,
            )
        name = "actual_raw" if self.self_evaluation else "expected_raw"
        stored = getattr(self.line, name) if self.line is not None else ""
        bound = (self.fields or {}).get(name)
        if bound is not None and bound.errors:
            return LinePreview()  # the field shows its own message under the input
        raw = stored if bound is None else str(bound.value() or "")
        preview = value_preview(
            self.indicator, raw, self_evaluation=self.self_evaluation, points=lambda: self.points
        )
        line = self.line
        if not self.self_evaluation or line is None or raw.strip() != stored.strip():
            return preview
        # The saved value: its points and score as computed (a reviewer's score included).
        points = line.points if line.points is not None else preview.points
        if preview.empty:
            return LinePreview(empty=True, points=points)
        return replace(
            preview, points=points, score=line.score if line.score is not None else preview.score
        )


def _set_spans(rows: list[LineRow]) -> None:
    for attr, key in (
        ("level1_span", lambda r: r.indicator.level1),
        ("level2_span", lambda r: (r.indicator.level1, r.indicator.level2)),
    ):
        start = 0
        for index in range(1, len(rows) + 1):
            if index == len(rows) or key(rows[index]) != key(rows[start]):
                setattr(rows[start], attr, index - start)
                for merged in rows[start + 1 : index]:
                    setattr(merged, attr, 0)
                start = index


def report_lines(evaluation: Evaluation) -> list[LineRow]:
    """The report's indicators in table order with their lines: the project's indicators
    now, or those the report was submitted with (kept even when deleted since)."""
    rows = [LineRow(indicator=i, line=line) for i, line in evaluation.lines]
    _set_spans(rows)
    if evaluation.report.round.is_self_evaluation:
        # Each indicator's points as saving shares them out, for the form's score preview.
        allocation = allocate_points(
            [(n, r.indicator.level1, r.indicator.weight) for n, r in enumerate(rows)],
            **_scoring(evaluation.report, evaluation.budget.figures.has_budget),
        )
        for n, row in enumerate(rows):
            row.self_evaluation = True
            row.points = allocation.indicator_points.get(n, Decimal(0))
    return rows


def _scoring(report: Report, has_budget: bool) -> dict:
    """How the report's 100 points are shared: a department report by the bureau's department
    scheme (no execution score), a project's by the budget it has (one query or none)."""
    if report.is_department:
        return {"has_budget": False, "scheme": department_scoring_scheme()}
    return {"has_budget": has_budget}


def report_indicators(report: Report) -> dict[int, AnyIndicator]:
    """The indicators the report is filled in against now, by id: its project's, or for a
    department report the department's of the round's year (one query)."""
    if report.is_department:
        found = DepartmentIndicator.objects.filter(
            department_id=report.department_id, year=report.round.year
        ).select_related("department")
    else:
        found = Indicator.objects.filter(project=report.project_id).select_related("project")
    return {i.pk: i for i in found}


def indicator_points(indicators: Iterable[Indicator], *, has_budget: bool) -> dict[int, Decimal]:
    """Each indicator's share of the 100 points (depends on weights and on having a budget)."""
    allocation = allocate_points(
        [(i.pk, i.level1, i.weight) for i in indicators], has_budget=has_budget
    )
    return allocation.indicator_points


@dataclass
class ReportTable:
    """Everything the report's pages and its printout show."""

    report: Report
    budget: BudgetPart
    rows: list[LineRow]
    execution_points: Decimal | None = None
    transitions: list[ReportTransition] = field(default_factory=list)

    @property
    def is_self_evaluation(self) -> bool:
        return self.report.round.is_self_evaluation

    @property
    def comments(self) -> list[LineRow]:
        return [r for r in self.rows if r.line is not None and r.line.reviewer_comment]

    @property
    def budget_display(self) -> dict[str, str]:
        """The budget part as shown: amounts in 万元, rates half-up to 2 places, "—" for none."""
        figures = self.budget.figures

        def rate(value: Decimal | None) -> str:
            text = format_rate(value)
            return "—" if text is None else f"{text}%"

        expected = self.report.expected_executed
        return {
            "initial": format_amount(figures.initial),
            "adjusted": format_amount(figures.adjusted),
            "executed": format_amount(figures.executed),
            "execution_rate": rate(figures.execution_rate),
            "time_progress": rate(self.budget.time_progress),
            "warning": self.budget.warning or "",
            "warning_label": warning_label(self.budget.warning, none="—"),
            "expected_executed": "—" if expected is None else format_amount(expected),
        }

    @property
    def low_execution(self) -> bool:
        return needs_low_execution_note(self.budget.figures.execution_rate)


def report_table(report: Report) -> ReportTable:
    """The figures to show of the report — what it was judged on once submitted or approved,
    live (computed now, nothing written) while a draft or returned — with its workflow steps.
    Every page, printout and xlsx of a report reads it from here."""
    evaluation = report_evaluation(report)
    rows = report_lines(evaluation)
    execution_points = None
    if report.round.is_self_evaluation and not report.is_department:
        execution_points = allocate_points(
            [(n, r.indicator.level1, r.indicator.weight) for n, r in enumerate(rows)],
            has_budget=report.execution_rate is not None,
        ).execution_points
    return ReportTable(
        report=report,
        budget=evaluation.budget,
        rows=rows,
        execution_points=execution_points,
        transitions=list(report.transitions.select_related("user")),
    )


# --- audit trail ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    user: str
    kind: str
    subject: str
    action: str
    changes: tuple[Change, ...]


ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}
# Computed values follow the typed ones; the trail shows what people changed.
_NOT_SHOWN = {
    "id",
    "created_at",
    "updated_at",
    "version",
    *REPORT_COMPUTED_FIELDS,
    *LINE_COMPUTED_FIELDS,
    "report",
    "project",
    "round",
    "indicator",
    "department_indicator",
    "department",
    "unit",
    # What a submitted report keeps of its figures and indicators (not typed by anyone).
    *FROZEN_REPORT_FIELDS,
    *FROZEN_LINE_FIELDS,
    # An indicator's parsed meaning follows its 指标值.
    "kind",
    "comparator",
    "value",
    "upper",
}
EMPTY = "—"


def _shown(model_field, value, names: dict[str, dict[int, str]]) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        label = names.get(model_field.name, {}).get(value)
        return label or f"#{value}"
    if isinstance(value, Decimal):
        if isinstance(model_field, MoneyField):
            return money_text(value)  # as every page prints amounts: "0.50", not "0.500000"
        return format(value.normalize(), "f")  # a weight or score as typed: "0.5", "20"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _history_entries(
    model, records, subject, names: dict[str, dict[int, str]]
) -> list[HistoryEntry]:
    fields = [f for f in model._meta.concrete_fields if f.name not in _NOT_SHOWN]
    previous: dict[int, object] = {}
    entries = []
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        changes = []
        for f in fields:
            new = getattr(record, f.attname)
            if before is None:
                if record.history_type == "+" and new not in (None, "", False):
                    changes.append(Change(str(f.verbose_name), EMPTY, _shown(f, new, names)))
                continue
            old = getattr(before, f.attname)
            if old != new:
                changes.append(
                    Change(str(f.verbose_name), _shown(f, old, names), _shown(f, new, names))
                )
        if before is not None and record.history_type == "~" and not changes:
            continue  # a save that changed nothing anyone typed
        user = record.history_user
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=(user.display_name if user else "系统（导入或命令）"),
                kind=str(model._meta.verbose_name),
                subject=subject(record),
                action=ACTIONS.get(record.history_type, record.history_type),
                changes=tuple(changes),
            )
        )
    return entries


def report_history(report: Report, limit: int = 500) -> list[HistoryEntry]:
    """The audit trail of the report, its lines, its project's indicators and money (for a
    department report: the department's indicators of the year), newest first; each entry
    lists the fields that changed from the previous version."""
    project_id = report.project_id
    order = ("id", "history_date", "history_id")
    if report.is_department:
        indicator_model = DepartmentIndicator
        indicator_history = DepartmentIndicator.history.filter(
            department_id=report.department_id, year=report.round.year
        )
    else:
        indicator_model = Indicator
        indicator_history = Indicator.history.filter(project_id=project_id)
    indicators = list(indicator_history.select_related("history_user").order_by(*order))
    indicator_names = {r.id: f"{r.level1}/{r.name}" for r in indicators}
    reports = list(
        Report.history.filter(id=report.pk).select_related("history_user").order_by(*order)
    )
    user_ids = {r.submitted_by_id for r in reports} | {r.reviewed_by_id for r in reports}
    users = {u.pk: u.display_name for u in User.objects.filter(pk__in=user_ids - {None})}
    names = {"submitted_by": users, "reviewed_by": users}

    def line_subject(record) -> str:
        key = record.indicator_id or record.department_indicator_id
        return indicator_names.get(key, f"#{key}")

    sources = [
        (Report, reports, lambda r: str(report.round)),
        (
            ReportIndicator,
            ReportIndicator.history.filter(report_id=report.pk)
            .select_related("history_user")
            .order_by(*order),
            line_subject,
        ),
        (indicator_model, indicators, lambda r: f"{r.level1}/{r.name}"),
    ]
    if not report.is_department:
        sources += [
            (
                Project,
                Project.history.filter(id=project_id)
                .select_related("history_user")
                .order_by(*order),
                lambda r: r.name,
            ),
            (
                Payment,
                Payment.history.filter(project_id=project_id)
                .select_related("history_user")
                .order_by(*order),
                lambda r: f"凭证{r.voucher}",
            ),
            (
                Adjustment,
                Adjustment.history.filter(project_id=project_id)
                .select_related("history_user")
                .order_by(*order),
                lambda r: r.document_number,
            ),
        ]
    entries: list[HistoryEntry] = []
    for model, records, subject in sources:
        entries += _history_entries(model, records, subject, names)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


# --- the live preview of one indicator while typing -------------------------------------------


@dataclass(frozen=True)
class LinePreview:
    """What the form shows beside an indicator as its value is typed."""

    error: str | None = None
    light: str | None = None
    completion: Decimal | None = None
    points: Decimal | None = None
    score: Decimal | None = None
    over_completion: bool = False
    tier: str | None = None
    empty: bool = False

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS.get(self.light or "", "")


def line_preview(report: Report, indicator: AnyIndicator, raw: str) -> LinePreview:
    """Light (monitoring: of the expected full-year value) or score (self-evaluation) of a
    value; the score uses the indicator's share of the report's points, as saving will."""

    def points() -> Decimal:
        indicators = list(report_indicators(report).values())
        # Whether the project has a budget now decides the points (as saving will).
        has_budget = not report.is_department and report_budget_part(report).figures.has_budget
        allocation = allocate_points(
            [(i.pk, i.level1, i.weight) for i in indicators], **_scoring(report, has_budget)
        )
        return allocation.indicator_points.get(indicator.pk, Decimal(0))

    if not raw.strip():
        return LinePreview(empty=True)
    return value_preview(
        indicator, raw, self_evaluation=report.round.is_self_evaluation, points=points
    )


def value_preview(
    indicator: Indicator,
    raw: str,
    *,
    self_evaluation: bool,
    points: Callable[[], Decimal | None],
) -> LinePreview:
    """The light, tier, completion (and, self-evaluation, score out of `points()`, asked only
    for a readable value) of a value typed for the indicator; no query of its own."""
    if not raw.strip():
        return LinePreview(empty=True, points=points() if self_evaluation else None)
    year = fiscal_year(indicator)
    level1 = indicator.level1
    try:
        actual = parse_actual(raw, indicator.target, year=year, level1=level1)
    except ValueError_ as exc:
        return LinePreview(error=exc.message)
    completion = indicator_completion(indicator.target, actual, fiscal_year=year, level1=level1)
    light = indicator_light(indicator.target, actual, fiscal_year=year, level1=level1)
    percent = None if completion is None else completion * 100
    if not self_evaluation:
        return LinePreview(light=light, completion=percent, tier=actual.tier)
    share = points()
    return LinePreview(
        light=light,
        completion=percent,
        points=share,
        score=(
            None
            if share is None
            else indicator_score(indicator.target, actual, share, fiscal_year=year, level1=level1)
        ),
        over_completion=needs_over_completion_note(completion) and light == "blue",
        tier=actual.tier,
    )


# --- department-level completion (预算11表's 绩效监控完成率 and 绩效自评完成率) -----------------


def reported_projects(year: int, projects: QuerySet[Project]) -> tuple[set[int], set[int]]:
    """(ids of the projects submitted in the latest 运行监控 round of their 区划, ids of those
    whose 绩效自评 of the year is submitted) — three queries, rates-and-scoring.md."""
    latest: dict[int, int] = {}
    for division_id, round_id in (
        Round.objects.filter(year=year, stage=Stage.MONITORING)
        .values_list("division_id", "pk")
        .order_by("as_of", "pk")
    ):
        latest[division_id] = round_id
    submitted = Report.objects.filter(
        project__in=projects.order_by().values("pk"), status__in=SUBMITTED_STATUSES
    )
    monitored = set(
        submitted.filter(round__in=list(latest.values())).values_list("project_id", flat=True)
    )
    evaluated = set(
        submitted.filter(round__year=year, round__stage=Stage.SELF_EVALUATION).values_list(
            "project_id", flat=True
        )
    )
    return monitored, evaluated
