"""Reads of the workbenches: what a finance bureau and a department open every morning — who
is late, who is red, whose score is low, what to do next — for a chosen year and round.

A round here is a (year, stage, as-of) across the 区划 the user covers: each bureau opens its
own Round rows, and the workbench reads them together. Every function returns dataclasses
built from the selectors of budgets, performance and tracking in a fixed number of queries,
whatever the number of departments, projects and reports.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from budgets.access import covers_division, may_review, restrict
from budgets.choices import warning_label
from budgets.models import Department, DepartmentRateSnapshot, Division, Project
from budgets.rates import (
    GREEN,
    OVER,
    RED,
    YELLOW,
    BudgetFigures,
    completion_rate,
    round_half_up,
    time_progress,
)
from budgets.selectors import (
    default_as_of,
    project_figures,
    warning_thresholds,
    year_figures,
)
from performance.scoring import GRADE_EXCELLENT, GRADE_FAIR, GRADE_GOOD, GRADE_POOR
from tracking.choices import Light, ReportStatus, Stage
from tracking.models import Notification, Report, ReportIndicator, Round
from tracking.selectors import Lateness, review_queue, rounds_late, rounds_visible

# --- vocabularies ---------------------------------------------------------------------------

NOT_STARTED = "none"
STATUS_ORDER = (
    NOT_STARTED,
    ReportStatus.DRAFT,
    ReportStatus.SUBMITTED,
    ReportStatus.RETURNED,
    ReportStatus.APPROVED,
)
STATUS_LABELS = {NOT_STARTED: "未填报", **dict(ReportStatus.choices)}
UNSUBMITTED = (NOT_STARTED, ReportStatus.DRAFT, ReportStatus.RETURNED)
DONE = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)

# The warnings, worst first; a project without budget has none.
NO_WARNING = "none"
WARNING_ORDER = (OVER, RED, YELLOW, GREEN, NO_WARNING)
WARNING_LABELS = {w: warning_label(None if w == NO_WARNING else w) for w in WARNING_ORDER}
GRADES = (GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR, GRADE_POOR)
LIGHT_ORDER = (Light.RED, Light.YELLOW, Light.GREEN, Light.BLUE)
LIGHT_LABELS = dict(Light.choices)
DEVIATING_LIGHTS = (Light.RED, Light.YELLOW, Light.BLUE)
# (label, lowest score included); the last bucket holds 100 too.
SCORE_BUCKETS = (
    ("60分以下", 0),
    ("60–70分", 60),
    ("70–80分", 70),
    ("80–90分", 80),
    ("90分以上", 90),
)

STAGE_SLUGS = {Stage.MONITORING: "monitoring", Stage.SELF_EVALUATION: "self-evaluation"}

CLOSING_DAYS = 7
LOWEST_LISTED = 10
DEVIATIONS_LISTED = 10
CAUSE_EXAMPLES = 3
# Examples of causes read at most; enough for three of each of the top indicators.
CAUSE_EXAMPLES_READ = 300
# A trend with more departments than this shows the five highest and the five lowest.
TREND_EVERY_DEPARTMENT = 10
TREND_EACH_END = 5
TASKS_LISTED = 20
NOTIFICATIONS_LISTED = 5
WARNED_PROJECTS_LISTED = 20


# --- the chosen year and round --------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RoundKey:
    """What makes rounds of several 区划 one round: year, as-of and stage."""

    year: int
    as_of: date
    stage: str

    @property
    def slug(self) -> str:
        """The round as the query string names it: `monitoring-2024-07-31`."""
        return f"{STAGE_SLUGS.get(self.stage, 'round')}-{self.as_of.isoformat()}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.stage}（截至{self.as_of:%m月%d日}）"

    @property
    def is_self_evaluation(self) -> bool:
        return self.stage == Stage.SELF_EVALUATION


@dataclass(frozen=True)
class RoundChoice:
    """One round across the 区划 the user covers: its Round row in each of them."""

    key: RoundKey
    rounds: tuple[Round, ...]

    @property
    def slug(self) -> str:
        return self.key.slug

    @property
    def ids(self) -> list[int]:
        return [r.pk for r in self.rounds]

    @property
    def is_open(self) -> bool:
        return any(r.is_open for r in self.rounds)

    @property
    def label(self) -> str:
        return self.key.label + ("" if self.is_open else "（已关闭）")

    def round_of(self, division_id: int) -> Round | None:
        return next((r for r in self.rounds if r.division_id == division_id), None)


@dataclass(frozen=True)
class Selection:
    """The year and round a workbench shows, the choices offered, and today."""

    year: int
    years: tuple[int, ...]
    choices: tuple[RoundChoice, ...]
    choice: RoundChoice | None
    today: date
    # The ?round= asked for that is none of the year's rounds (the page says it was ignored).
    unknown: str = ""

    @property
    def as_of(self) -> date:
        """The date the money is read at: the round's as-of, else today (or 31 December)."""
        return self.choice.key.as_of if self.choice else default_as_of(self.year, self.today)

    @property
    def progress(self) -> Decimal:
        return time_progress(self.as_of)

    @property
    def params(self) -> dict[str, str]:
        """The query parameters that keep the year and round from page to page."""
        params = {"year": str(self.year)}
        if self.choice is not None:
            params["round"] = self.choice.slug
        return params

    def choice_of(self, stage: str) -> RoundChoice | None:
        """The chosen round if of this stage, else the year's latest of it."""
        if self.choice is not None and self.choice.key.stage == stage:
            return self.choice
        found = [c for c in self.choices if c.key.stage == stage]
        return max(found, key=lambda c: c.key) if found else None


def _choices(rounds: Iterable[Round]) -> list[RoundChoice]:
    grouped: dict[RoundKey, list[Round]] = defaultdict(list)
    for r in rounds:
        grouped[RoundKey(r.year, r.as_of, r.stage)].append(r)
    return [
        RoundChoice(key, tuple(sorted(found, key=lambda r: r.division.code)))
        for key, found in sorted(grouped.items(), reverse=True)
    ]


def _default(choices: Sequence[RoundChoice]) -> RoundChoice | None:
    """The latest open round, else the latest one."""
    open_ = [c for c in choices if c.is_open]
    pool = open_ or list(choices)
    return max(pool, key=lambda c: c.key) if pool else None


def selection(
    user,
    *,
    year: int | None = None,
    slug: str = "",
    today: date,
    division_id: int | None = None,
) -> Selection:
    """The year (default: the latest open round's, else the latest with projects) and round
    (default: the year's latest open one) the user asked for, among the rounds they may see
    (of one 区划 when given); two queries."""
    rounds = rounds_visible(user)
    if division_id is not None:
        rounds = rounds.filter(division_id=division_id)
    every = _choices(rounds)
    projects = restrict(Project.objects.all(), user)
    if division_id is not None:
        projects = projects.filter(department__division_id=division_id)
    years = set(projects.order_by().values_list("year", flat=True).distinct())
    years |= {c.key.year for c in every}
    if year is None:
        latest = _default(every)
        year = latest.key.year if latest else max(years, default=today.year)
    years.add(year)
    of_year = [c for c in every if c.key.year == year]
    chosen = next((c for c in of_year if c.slug == slug), None) if slug else None
    # Choosing another year keeps the old ?round= in the form: not worth a message.
    other_year = slug[-10:-6] != str(year) and any(c.slug == slug for c in every)
    return Selection(
        year=year,
        years=tuple(sorted(years, reverse=True)),
        choices=tuple(of_year),
        choice=chosen or _default(of_year),
        today=today,
        unknown=slug if slug and chosen is None and not other_year else "",
    )


# --- whose departments ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The departments a workbench shows (in 区划 and code order) and the same as a subquery."""

    departments: tuple[Department, ...]
    queryset: QuerySet[Department]

    @property
    def ids(self) -> list[int]:
        return [d.pk for d in self.departments]

    @property
    def several_divisions(self) -> bool:
        return len({d.division_id for d in self.departments}) > 1

    def labels(self) -> dict[int, str]:
        """The name each department goes by in charts; the 区划 is added where names repeat."""
        names = Counter(d.name for d in self.departments)
        return {
            d.pk: d.name if names[d.name] == 1 else f"{d.name}（{d.division.name}）"
            for d in self.departments
        }


def covered_scope(user) -> Scope:
    """Every department the user may see (one query)."""
    queryset = restrict(Department.objects.all(), user, department_field="pk")
    departments = queryset.select_related("division").order_by("division__code", "code")
    return Scope(tuple(departments), queryset)


def department_scope(department: Department) -> Scope:
    """One department the caller has already checked the user may see (no query)."""
    return Scope((department,), Department.objects.filter(pk=department.pk))


# --- the status board -----------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentReportState:
    """The department's own report (部门整体) in the round."""

    pk: int
    status: str
    score: Decimal | None
    grade: str

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class BoardRow:
    """One department in the round: its projects' reports by status, lateness, the queue."""

    department: Department
    round: Round | None
    projects: int
    counts: dict[str, int]
    last_activity: datetime | None
    department_report: DepartmentReportState | None
    late_days: int | None = None
    late_projects: int = 0

    @property
    def done(self) -> int:
        return sum(self.counts[s] for s in DONE)

    @property
    def percent(self) -> Decimal | None:
        return completion_rate(self.done, self.projects)

    @property
    def queue(self) -> int:
        """Reports of the department waiting for review (its own report included)."""
        own = self.department_report
        return self.counts[ReportStatus.SUBMITTED] + (
            1 if own is not None and own.status == ReportStatus.SUBMITTED else 0
        )

    @property
    def overdue(self) -> bool:
        return self.late_days is not None

    @property
    def active(self) -> bool:
        """It has something to track in the round: projects or its own report."""
        return bool(self.projects or self.department_report)


@dataclass(frozen=True)
class BoardTotals:
    projects: int
    counts: dict[str, int]
    queue: int
    late_departments: int

    @property
    def done(self) -> int:
        return sum(self.counts[s] for s in DONE)

    @property
    def percent(self) -> Decimal | None:
        return completion_rate(self.done, self.projects)


def _totals(rows: Sequence[BoardRow]) -> BoardTotals:
    return BoardTotals(
        projects=sum(r.projects for r in rows),
        counts={s: sum(r.counts[s] for r in rows) for s in STATUS_ORDER},
        queue=sum(r.queue for r in rows),
        late_departments=sum(1 for r in rows if r.overdue),
    )


@dataclass(frozen=True)
class BoardGroup:
    """The departments of one 区划 (finance bureau) with the bureau's totals."""

    division: Division
    round: Round | None
    rows: list[BoardRow]
    totals: BoardTotals


@dataclass(frozen=True)
class Board:
    """The departments by 区划; `totals` over all of them, `shown` over those listed."""

    groups: list[BoardGroup]
    totals: BoardTotals
    shown: BoardTotals
    several_divisions: bool

    @property
    def rows(self) -> list[BoardRow]:
        return [row for group in self.groups for row in group.rows]


# ?sort= of the board: the value each row is ordered by (None last in both directions).
BOARD_SORTS = {
    "department": lambda r: (r.department.code,),
    "projects": lambda r: (r.projects,),
    **{status: (lambda r, s=status: (r.counts[s],)) for status in STATUS_ORDER},
    "percent": lambda r: (r.percent,),
    "late": lambda r: (r.late_days,),
    "activity": lambda r: (r.last_activity,),
    "queue": lambda r: (r.queue,),
}
# ?show= of the board: which departments are listed.
BOARD_FILTERS = {
    "late": ("已逾期", lambda r: r.overdue),
    "incomplete": ("未完成", lambda r: r.projects > r.done),
    "returned": ("有退回", lambda r: r.counts[ReportStatus.RETURNED] > 0),
    "queue": ("待审核", lambda r: r.queue > 0),
}


def _sorted(rows: list[BoardRow], sort: str) -> list[BoardRow]:
    key = BOARD_SORTS.get(sort.removeprefix("-"))
    if key is None:
        return rows
    present = [r for r in rows if key(r)[0] is not None]
    missing = [r for r in rows if key(r)[0] is None]
    present.sort(key=key, reverse=sort.startswith("-"))
    return present + missing


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


def status_board(
    selection: Selection,
    scope: Scope,
    lateness: dict[int, Lateness],
    *,
    sort: str = "",
    show: str = "",
    search: str = "",
) -> Board:
    """The chosen round's reports of every department of the scope by status, grouped by 区划
    (three queries); `lateness` comes from rounds_late over the open rounds."""
    choice = selection.choice
    round_ids = choice.ids if choice else []
    projects = dict(
        Project.objects.filter(year=selection.year, department__in=scope.queryset)
        .order_by()
        .values("department")
        .annotate(n=Count("pk"))
        .values_list("department", "n")
    )
    counts: dict[int, Counter] = defaultdict(Counter)
    activity: dict[int, datetime] = {}
    own: dict[int, DepartmentReportState] = {}
    if round_ids:
        for department_id, status, n, last in (
            Report.objects.filter(round__in=round_ids, project__department__in=scope.queryset)
            .order_by()
            .values("project__department", "status")
            .annotate(n=Count("pk"), last=Max("updated_at"))
            .values_list("project__department", "status", "n", "last")
        ):
            counts[department_id][status] += n
            activity[department_id] = _latest(activity.get(department_id), last)
        for pk, department_id, status, updated, score, grade in Report.objects.filter(
            round__in=round_ids, department__in=scope.queryset
        ).values_list("pk", "department_id", "status", "updated_at", "score", "grade"):
            own[department_id] = DepartmentReportState(pk, status, score, grade)
            activity[department_id] = _latest(activity.get(department_id), updated)
    rows = []
    for department in scope.departments:
        round_ = choice.round_of(department.division_id) if choice else None
        total = projects.get(department.pk, 0)
        found = counts[department.pk]
        started = sum(found.values())
        late = lateness.get(round_.pk) if round_ is not None else None
        entry = (
            next((d for d in late.departments if d.department_id == department.pk), None)
            if late
            else None
        )
        rows.append(
            BoardRow(
                department=department,
                round=round_,
                projects=total,
                counts={NOT_STARTED: max(total - started, 0)}
                | {s: found.get(s, 0) for s in STATUS_ORDER[1:]},
                last_activity=activity.get(department.pk),
                department_report=own.get(department.pk),
                late_days=late.days if entry is not None else None,
                late_projects=entry.count if entry is not None else 0,
            )
        )
    overall = _totals(rows)
    if search:
        needle = search.strip().lower()
        rows = [r for r in rows if needle in f"{r.department.code} {r.department.name}".lower()]
    if show in BOARD_FILTERS:
        rows = [r for r in rows if BOARD_FILTERS[show][1](r)]
    rows = _sorted(rows, sort)
    groups: dict[int, list[BoardRow]] = defaultdict(list)
    divisions: dict[int, Division] = {}
    for row in rows:
        groups[row.department.division_id].append(row)
        divisions[row.department.division_id] = row.department.division
    ordered = sorted(groups, key=lambda pk: divisions[pk].code)
    return Board(
        groups=[
            BoardGroup(
                division=divisions[pk],
                round=choice.round_of(pk) if choice else None,
                rows=groups[pk],
                totals=_totals(groups[pk]),
            )
            for pk in ordered
        ],
        totals=overall,
        shown=_totals(rows),
        several_divisions=scope.several_divisions,
    )


# --- execution ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFigures:
    """A project of the scope with its money as of the round's date and its warning."""

    pk: int
    department_id: int
    code: str
    name: str
    figures: BudgetFigures
    warning: str | None

    @property
    def rate(self) -> Decimal | None:
        return self.figures.execution_rate

    @property
    def warning_label(self) -> str:
        return warning_label(self.warning)


@dataclass(frozen=True)
class ExecutionRow:
    """A department's 预算执行率 (all its money: projects and basic expenditure) and how
    many of its projects carry each warning."""

    department: Department
    figures: BudgetFigures | None
    warning: str | None
    warnings: dict[str, int]

    @property
    def rate(self) -> Decimal | None:
        return self.figures.execution_rate if self.figures else None

    @property
    def adjusted(self) -> Decimal | None:
        return self.figures.adjusted if self.figures else None

    @property
    def executed(self) -> Decimal | None:
        return self.figures.executed if self.figures else None

    @property
    def warning_label(self) -> str:
        return warning_label(self.warning)

    @property
    def projects(self) -> int:
        return sum(self.warnings.values())


@dataclass(frozen=True)
class TrendSeries:
    department: Department
    label: str
    points: list[Decimal | None]

    @property
    def latest(self) -> Decimal | None:
        return next((p for p in reversed(self.points) if p is not None), None)


@dataclass(frozen=True)
class Trend:
    """The monthly 预算执行率 of the departments, from the nightly snapshots (the last of
    each month); `partial` when only the five highest and five lowest are drawn."""

    days: list[date]
    series: list[TrendSeries]
    partial: bool

    @property
    def progress(self) -> list[Decimal]:
        return [time_progress(day) for day in self.days]


@dataclass(frozen=True)
class Execution:
    as_of: date
    progress: Decimal
    rows: list[ExecutionRow]
    projects: list[ProjectFigures]
    trend: Trend

    @property
    def warnings(self) -> dict[str, int]:
        return {w: sum(r.warnings[w] for r in self.rows) for w in WARNING_ORDER}

    @property
    def warned(self) -> list[ProjectFigures]:
        """Projects over budget or red, worst first (超支, then the lowest rate)."""
        found = [p for p in self.projects if p.warning in (OVER, RED)]
        return sorted(found, key=lambda p: (p.warning != OVER, p.rate or 0, p.code))

    def of_department(self, department_id: int) -> list[ProjectFigures]:
        return [p for p in self.projects if p.department_id == department_id]


def _trend(year: int, scope: Scope) -> Trend:
    """Two queries: the snapshot days of the year, then the last snapshot of each month."""
    snapshots = DepartmentRateSnapshot.objects.filter(year=year, department__in=scope.queryset)
    last_of_month: dict[tuple[int, int], date] = {}
    for day in snapshots.order_by().values_list("as_of", flat=True).distinct():
        key = (day.year, day.month)
        last_of_month[key] = max(day, last_of_month.get(key, day))
    days = sorted(last_of_month.values())
    if not days:
        return Trend([], [], False)
    rates: dict[int, dict[date, Decimal | None]] = defaultdict(dict)
    for department_id, day, rate in snapshots.filter(as_of__in=days).values_list(
        "department_id", "as_of", "execution_rate"
    ):
        rates[department_id][day] = rate
    labels = scope.labels()
    series = [
        TrendSeries(d, labels[d.pk], [rates[d.pk].get(day) for day in days])
        for d in scope.departments
        if d.pk in rates
    ]
    partial = len(series) > TREND_EVERY_DEPARTMENT
    if partial:
        ranked = sorted(
            (s for s in series if s.latest is not None), key=lambda s: s.latest, reverse=True
        )
        series = ranked[:TREND_EACH_END] + ranked[-TREND_EACH_END:]
    return Trend(days, series, partial)


def execution(selection: Selection, scope: Scope) -> Execution:
    """The departments' and their projects' money as of the round's date, and the trend
    (eleven queries)."""
    as_of = selection.as_of
    progress = time_progress(as_of)
    thresholds = warning_thresholds()
    # One pass over the payments for both the departments' and the projects' figures.
    every = year_figures(selection.year, as_of, scope.queryset)
    departments, figures = every.departments, every.projects
    projects = Project.objects.filter(year=selection.year, department__in=scope.queryset)
    rows = list(
        projects.order_by("department__code", "code", "pk").values_list(
            "pk", "department_id", "code", "name"
        )
    )
    listed = [
        ProjectFigures(
            pk, department_id, code, name, figures[pk], figures[pk].warning(progress, thresholds)
        )
        for pk, department_id, code, name in rows
    ]
    warnings: dict[int, Counter] = defaultdict(Counter)
    for p in listed:
        warnings[p.department_id][p.warning or NO_WARNING] += 1
    result = []
    for department in scope.departments:
        found = departments.get(department.pk)
        budget = found.budget if found else None
        result.append(
            ExecutionRow(
                department=department,
                figures=budget,
                warning=budget.warning(progress, thresholds) if budget else None,
                warnings={w: warnings[department.pk].get(w, 0) for w in WARNING_ORDER},
            )
        )
    return Execution(as_of, progress, result, listed, _trend(selection.year, scope))


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredProject:
    report_id: int
    project_id: int
    code: str
    name: str
    department_id: int
    score: Decimal
    grade: str
    status: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class ResultsRow:
    """A department's self-evaluation scores (every project report with a score) and its
    monitoring lights."""

    department: Department
    grades: dict[str, int]
    buckets: list[int]
    average: Decimal | None
    lowest: Decimal | None
    lights: dict[str, int]

    @property
    def scored(self) -> int:
        return sum(self.grades.values())

    @property
    def lit(self) -> int:
        return sum(self.lights.values())


@dataclass(frozen=True)
class Deviation:
    """An indicator (by name) that deviates in many reports of the round, with the causes
    given: (category, count) most frequent first, and a few causes as written."""

    name: str
    level1: str
    count: int
    causes: list[tuple[str, int]]
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Results:
    evaluation: RoundChoice | None
    monitoring: RoundChoice | None
    deviation_round: RoundChoice | None
    rows: list[ResultsRow]
    lowest: list[ScoredProject]
    deviations: list[Deviation]

    @property
    def grades(self) -> dict[str, int]:
        return {g: sum(r.grades[g] for r in self.rows) for g in GRADES}

    @property
    def buckets(self) -> list[int]:
        return [sum(r.buckets[i] for r in self.rows) for i in range(len(SCORE_BUCKETS))]

    @property
    def lights(self) -> dict[str, int]:
        return {light: sum(r.lights[light] for r in self.rows) for light in LIGHT_ORDER}

    @property
    def scored(self) -> int:
        return sum(r.scored for r in self.rows)

    @property
    def lit(self) -> int:
        return sum(r.lit for r in self.rows)


def _bucket(score: Decimal) -> int:
    found = 0
    for index, (_, lowest) in enumerate(SCORE_BUCKETS):
        if score >= lowest:
            found = index
    return found


def _deviations(choice: RoundChoice | None, scope: Scope) -> list[Deviation]:
    """The indicators deviating most often in the round's reports, with causes (two queries).
    Monitoring: a light other than green; self-evaluation: a score below its points."""
    if choice is None:
        return []
    condition = (
        Q(score__lt=F("points")) if choice.key.is_self_evaluation else Q(light__in=DEVIATING_LIGHTS)
    )
    lines = (
        ReportIndicator.objects.filter(condition, report__round__in=choice.ids)
        .filter(
            Q(report__project__department__in=scope.queryset)
            | Q(report__department__in=scope.queryset)
        )
        .annotate(
            shown_name=Coalesce(
                NullIf("frozen_name", Value("")), "indicator__name", "department_indicator__name"
            ),
            shown_level1=Coalesce(
                NullIf("frozen_level1", Value("")),
                "indicator__level1",
                "department_indicator__level1",
            ),
        )
        .order_by()
    )
    counted: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for name, level1, category, n in (
        lines.values("shown_name", "shown_level1", "cause_category")
        .annotate(n=Count("pk"))
        .values_list("shown_name", "shown_level1", "cause_category", "n")
    ):
        counted[(name or "", level1 or "")][category or "未填写"] += n
    top = sorted(counted.items(), key=lambda item: (-item[1].total(), item[0]))[:DEVIATIONS_LISTED]
    if not top:
        return []
    names = {name for (name, _), _ in top}
    examples: dict[str, list[str]] = defaultdict(list)
    for name, cause in (
        lines.filter(shown_name__in=names)
        .exclude(cause="")
        .order_by("-report__updated_at", "-pk")
        .values_list("shown_name", "cause")[:CAUSE_EXAMPLES_READ]
    ):
        text = " ".join(cause.split())
        if len(examples[name]) < CAUSE_EXAMPLES and text not in examples[name]:
            examples[name].append(text)
    return [
        Deviation(name, level1, causes.total(), causes.most_common(), examples.get(name, []))
        for (name, level1), causes in top
    ]


def results(selection: Selection, scope: Scope) -> Results:
    """Scores of the year's self-evaluation round (the chosen one, else its latest), lights of
    its monitoring round likewise, and the deviations of the chosen round (four queries)."""
    evaluation = selection.choice_of(Stage.SELF_EVALUATION)
    monitoring = selection.choice_of(Stage.MONITORING)
    scored: list[ScoredProject] = []
    if evaluation is not None:
        scored = [
            ScoredProject(*row)
            for row in Report.objects.filter(
                round__in=evaluation.ids,
                project__department__in=scope.queryset,
                score__isnull=False,
            ).values_list(
                "pk",
                "project_id",
                "project__code",
                "project__name",
                "project__department_id",
                "score",
                "grade",
                "status",
            )
        ]
    lights: dict[int, Counter] = defaultdict(Counter)
    if monitoring is not None:
        for department_id, light, n in (
            Report.objects.filter(round__in=monitoring.ids, project__department__in=scope.queryset)
            .exclude(target_light="")
            .order_by()
            .values("project__department", "target_light")
            .annotate(n=Count("pk"))
            .values_list("project__department", "target_light", "n")
        ):
            lights[department_id][light] += n
    by_department: dict[int, list[ScoredProject]] = defaultdict(list)
    for project in scored:
        by_department[project.department_id].append(project)
    rows = []
    for department in scope.departments:
        mine = by_department.get(department.pk, [])
        scores = [p.score for p in mine]
        buckets = [0] * len(SCORE_BUCKETS)
        for score in scores:
            buckets[_bucket(score)] += 1
        grades = Counter(p.grade for p in mine)
        rows.append(
            ResultsRow(
                department=department,
                grades={g: grades.get(g, 0) for g in GRADES},
                buckets=buckets,
                average=round_half_up(sum(scores) / len(scores)) if scores else None,
                lowest=min(scores) if scores else None,
                lights={light: lights[department.pk].get(light, 0) for light in LIGHT_ORDER},
            )
        )
    lowest = sorted(scored, key=lambda p: (p.score, p.code))[:LOWEST_LISTED]
    return Results(
        evaluation=evaluation,
        monitoring=monitoring,
        deviation_round=selection.choice,
        rows=rows,
        lowest=lowest,
        deviations=_deviations(selection.choice, scope),
    )


# --- to do ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosingRound:
    round: Round
    days_left: int


@dataclass(frozen=True)
class OverdueRound:
    """An open round past its deadline, who is late in it, and whether the user may chase."""

    round: Round
    lateness: Lateness
    may_chase: bool


@dataclass(frozen=True)
class ToDo:
    """What the finance bureau (or anyone looking at a department) should act on."""

    queue_size: int
    queue_oldest: Report | None
    closing: list[ClosingRound]
    overdue: list[OverdueRound]
    today: date

    @property
    def queue_days(self) -> int | None:
        """How many days the oldest submission has waited."""
        oldest = self.queue_oldest
        if oldest is None or oldest.submitted_at is None:
            return None
        return (self.today - timezone.localtime(oldest.submitted_at).date()).days


def open_rounds(user, division_id: int | None = None) -> list[Round]:
    """The open rounds the user may see (of one 区划 when given), by deadline (one query)."""
    rounds = rounds_visible(user).filter(is_open=True)
    if division_id is not None:
        rounds = rounds.filter(division_id=division_id)
    return list(rounds.order_by("deadline", "division__code", "pk"))


def lateness(
    user, rounds: list[Round], today: date, department_id: int | None = None
) -> dict[int, Lateness]:
    """Who is late in each of the open rounds past their deadline, by the rule of the
    reminders and 催办 (three queries when one is late, none otherwise)."""
    return rounds_late(user, rounds, today, department_id=department_id)


def to_do(
    user,
    rounds: list[Round],
    lateness: dict[int, Lateness],
    today: date,
    department_id: int | None = None,
) -> ToDo:
    """The review queue's size and oldest item, rounds closing within a week, open rounds past
    their deadline with who is late (two queries; `lateness` from rounds_late)."""
    queue = review_queue(user, department_id=department_id) if may_review(user) else None
    closing = [
        ClosingRound(r, (r.deadline - today).days)
        for r in rounds
        if today <= r.deadline <= today + timedelta(days=CLOSING_DAYS)
    ]
    overdue = [
        OverdueRound(
            r,
            lateness[r.pk],
            may_review(user)
            and covers_division(user, r.division)
            and bool(lateness[r.pk].departments),
        )
        for r in rounds
        if r.pk in lateness
    ]
    return ToDo(
        queue_size=queue.count() if queue is not None else 0,
        queue_oldest=queue.first() if queue is not None else None,
        closing=closing,
        overdue=sorted(overdue, key=lambda o: (-o.lateness.days, o.round.division.code)),
        today=today,
    )


# --- a department's own to-do list (单位工作台) ------------------------------------------------


@dataclass(frozen=True)
class OpenRound:
    """An open round of the department's 区划 with the department's progress in it."""

    round: Round
    projects: int
    counts: dict[str, int]
    today: date

    @property
    def days_left(self) -> int:
        return (self.round.deadline - self.today).days

    @property
    def days_late(self) -> int:
        return max(-self.days_left, 0)

    @property
    def done(self) -> int:
        return sum(self.counts[s] for s in DONE)

    @property
    def percent(self) -> Decimal | None:
        return completion_rate(self.done, self.projects)

    @property
    def key(self) -> RoundKey:
        return RoundKey(self.round.year, self.round.as_of, self.round.stage)


@dataclass(frozen=True)
class DepartmentTasks:
    """What the department has to do next: open rounds with deadlines, reports to fix or
    finish (returned first, with the reason), and the user's unread reminders."""

    rounds: list[OpenRound]
    reports: list[Report]
    returned: int
    drafts: int
    unread: int
    notifications: list[Notification]

    @property
    def not_started(self) -> int:
        return sum(r.counts[NOT_STARTED] for r in self.rounds)

    @property
    def more_reports(self) -> int:
        return max(self.returned + self.drafts - len(self.reports), 0)


def department_tasks(
    user, department: Department, rounds: list[Round], today: date, *, own_inbox: bool
) -> DepartmentTasks:
    """The department's open rounds and reports to work on (four queries) and, on the user's
    own home, their unread reminders (two more)."""
    ids = [r.pk for r in rounds]
    projects = dict(
        Project.objects.filter(department=department)
        .order_by()
        .values("year")
        .annotate(n=Count("pk"))
        .values_list("year", "n")
    )
    mine = Q(project__department=department) | Q(department=department)
    counts: dict[int, Counter] = defaultdict(Counter)
    for round_id, status, n in (
        Report.objects.filter(round__in=ids, project__department=department)
        .order_by()
        .values("round", "status")
        .annotate(n=Count("pk"))
        .values_list("round", "status", "n")
    ):
        counts[round_id][status] += n
    listed = []
    for r in rounds:
        total = projects.get(r.year, 0)
        found = counts[r.pk]
        listed.append(
            OpenRound(
                r,
                total,
                {NOT_STARTED: max(total - sum(found.values()), 0)}
                | {s: found.get(s, 0) for s in STATUS_ORDER[1:]},
                today,
            )
        )
    editable = Report.objects.filter(
        mine,
        round__in=ids,
        status__in=(ReportStatus.RETURNED, ReportStatus.DRAFT),
    )
    reports = list(
        editable.select_related("round", "project", "department")
        .annotate(
            returned_first=Case(
                When(status=ReportStatus.RETURNED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("returned_first", "round__deadline", "-updated_at", "pk")[:TASKS_LISTED]
    )
    by_status = Counter(
        dict(
            editable.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
        )
    )
    unread = 0
    notifications: list[Notification] = []
    if own_inbox:
        inbox = Notification.objects.filter(recipient=user, read_at__isnull=True)
        unread = inbox.count()
        notifications = list(inbox.order_by("-created_at", "-pk")[:NOTIFICATIONS_LISTED])
    return DepartmentTasks(
        rounds=listed,
        reports=reports,
        returned=by_status.get(ReportStatus.RETURNED, 0),
        drafts=by_status.get(ReportStatus.DRAFT, 0),
        unread=unread,
        notifications=notifications,
    )


# --- a department's projects in the round ------------------------------------------------------


@dataclass(frozen=True)
class ProjectRow:
    """A project of the department with its report in the round and its money."""

    project: ProjectFigures
    report_id: int | None
    status: str
    light: str
    score: Decimal | None
    grade: str
    deviations: int
    updated_at: datetime | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS.get(self.light, "")

    @property
    def editable(self) -> bool:
        return self.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)


PROJECT_FILTERS = ("status", "warning", "grade", "light")


def department_projects(
    round_: Round | None, execution_: Execution, department: Department, **filters: str
) -> list[ProjectRow]:
    """The department's projects (figures from `execution_`) with their report in the round,
    narrowed by status, warning, grade or light (one query)."""
    reports = {}
    if round_ is not None:
        reports = {
            row[0]: row[1:]
            for row in Report.objects.filter(
                round=round_, project__department=department
            ).values_list(
                "project_id",
                "pk",
                "status",
                "target_light",
                "score",
                "grade",
                "deviations",
                "updated_at",
            )
        }
    rows = []
    for project in execution_.of_department(department.pk):
        found = reports.get(project.pk)
        if found is None:
            rows.append(ProjectRow(project, None, NOT_STARTED, "", None, "", 0, None))
        else:
            rows.append(ProjectRow(project, *found))
    wanted = {
        "status": lambda r, v: r.status == v,
        "warning": lambda r, v: (r.project.warning or NO_WARNING) == v,
        "grade": lambda r, v: r.grade == v,
        "light": lambda r, v: r.light == v,
    }
    for name, value in filters.items():
        if value and name in wanted:
            rows = [r for r in rows if wanted[name](r, value)]
    return rows


@dataclass(frozen=True)
class ProjectReport:
    """The project's report in one round of the year (None before anyone opened it)."""

    round: Round
    report: Report | None

    @property
    def key(self) -> RoundKey:
        return RoundKey(self.round.year, self.round.as_of, self.round.stage)

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else STATUS_LABELS[NOT_STARTED]


def project_reports(user, project: Project) -> list[ProjectReport]:
    """The rounds of the project's year and 区划 the user sees, with its report in each (two
    queries)."""
    rounds = list(
        rounds_visible(user)
        .filter(year=project.year, division_id=project.department.division_id)
        .order_by("as_of", "stage")
    )
    reports = {r.round_id: r for r in Report.objects.filter(project=project, round__in=rounds)}
    return [ProjectReport(r, reports.get(r.pk)) for r in rounds]


@dataclass(frozen=True)
class ProjectView:
    """A project as of the chosen round's date, and its reports in the rounds of its year."""

    project: Project
    figures: BudgetFigures
    progress: Decimal
    warning: str | None
    reports: list[ProjectReport]
    current: ProjectReport | None

    @property
    def warning_label(self) -> str:
        return warning_label(self.warning)


def project_view(user, project: Project, selection: Selection) -> ProjectView:
    """The project's money as of the round's date and its reports (six queries); the caller
    has checked that the user may see the project."""
    as_of = selection.as_of
    progress = time_progress(as_of)
    figures = project_figures(Project.objects.filter(pk=project.pk), as_of)[project.pk]
    reports = project_reports(user, project)
    key = selection.choice.key if selection.choice else None
    return ProjectView(
        project=project,
        figures=figures,
        progress=progress,
        warning=figures.warning(progress, warning_thresholds()),
        reports=reports,
        current=next((r for r in reports if r.key == key), None),
    )
