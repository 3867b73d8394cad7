"""The tracking app's sheet of the workbook: 实际完成 (actual values of a round, read and write).

A row names a project's indicator by 项目编码, or — with 部门编码 and an empty 项目编码 — one of
the department's own indicators (部门整体目标, department-targets.md); its values go into the
project's or the department's report of the round of its 区划.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from budgets.access import STATEMENTS
from budgets.importer import (
    NO_PERMISSION_DEPARTMENT,
    VALUE_REQUIRED,
    Column,
    ImportContext,
    Row,
    Sheet,
)
from budgets.models import Department
from budgets.workbook import (
    DIVISION_COLUMN,
    PROJECT_OF_OTHER_DEPARTMENT,
    UNKNOWN_DEPARTMENT,
    UNKNOWN_PROJECT,
    DeptKey,
    ProjectRef,
    lookups,
    upsert,
)
from budgets.xlsx import Choices, offer
from performance.choices import DEPARTMENT_LEVEL1_NAMES
from performance.department import computed_actual
from performance.department_workbook import UNKNOWN_DEPARTMENT_LEVEL1
from performance.models import DepartmentIndicator, Indicator
from performance.selectors import department_indicators_by_department
from performance.values import (
    QUALITATIVE,
    RELATIVE,
    TIERS,
    ValueError_,
    excel_cell_text,
    parse_actual,
)
from performance.workbook import UNKNOWN_LEVEL1, declared_indicators, normalize_level1

from .choices import EDITABLE_STATUSES, CauseCategory, Stage
from .compute import AnyIndicator, is_computed, reports_evaluate, reports_recompute
from .models import Report, ReportIndicator, Round

ACTUAL = "实际完成"
DEPARTMENT_COLUMN = "部门编码"
UNKNOWN_STAGE = "阶段“{value}”无效，应为“运行监控”或“绩效自评”"
ROUND_NOT_OPENED = "区划{division}尚未开启{year}年{stage}（截至{as_of}）的填报轮次"
ROUND_IS_CLOSED = "区划{division}的{year}年{stage}（截至{as_of}）填报轮次已关闭"
OUTSIDE_ROUND_DIVISION = "项目“{code}”属于区划{division}，不属于本轮次的区划{round_division}"
DEPARTMENT_OUTSIDE_ROUND_DIVISION = (
    "部门“{code}”属于区划{division}，不属于本轮次的区划{round_division}"
)
UNKNOWN_INDICATOR = "项目“{code}”没有{level1}“{name}”"
UNKNOWN_DEPARTMENT_INDICATOR = "部门“{code}”{year}年度的部门整体目标中没有{level1}“{name}”"
REPORT_LOCKED = "项目“{code}”的{stage}报告{status}，不能再修改"
DEPARTMENT_REPORT_LOCKED = "部门“{code}”的部门整体{stage}报告{status}，不能再修改"
CODE_REQUIRED = f"{VALUE_REQUIRED}（部门整体指标的行请留空项目编码、填写部门编码）"
COMPUTED_VALUE_GIVEN = (
    "指标“{name}”由系统计算（截至{as_of}为“{figure}”），不能填写其他值；请留空或填写“{figure}”"
)
BAD_CAUSE_CATEGORY = (
    "偏差原因类别“{value}”无效，应为：经费保障、制度保障、人员保障、硬件条件保障、其他"
)
DUPLICATE_ACTUAL = "与第{row}行是同一指标、阶段和截至日期"

_HUNDREDTH = Decimal("0.01")

# Set while a round's page imports its sheet: rows must stay within that round's 区划.
_WITHIN_ROUND: ContextVar[Round | None] = ContextVar("tracking_within_round", default=None)


@contextmanager
def within_round(round_: Round) -> Iterator[None]:
    """Imports run inside refuse 实际完成 rows of projects outside the round's 区划."""
    token = _WITHIN_ROUND.set(round_)
    try:
        yield
    finally:
        _WITHIN_ROUND.reset(token)


_CATEGORY_RE = re.compile(r"^[【\[](?P<category>[^】\]]*)[】\]](?P<rest>.*)$", re.S)


def split_cause(text: str) -> tuple[str | None, str]:
    """`【经费保障】资金未到位` → ("经费保障", "资金未到位"); no brackets → (None, text)."""
    match = _CATEGORY_RE.match(text.strip())
    if not match:
        return None, text.strip()
    return match["category"].strip(), match["rest"].strip()


def cause_text(line: ReportIndicator | None, stage: str) -> str:
    """偏差原因 as the sheet writes it: the monitoring cause after its 【category】, or the
    self-evaluation's explanation."""
    if line is None:
        return ""
    if stage == Stage.MONITORING:
        prefix = f"【{line.cause_category}】" if line.cause_category else ""
        return prefix + line.cause
    return line.explanation


@dataclass
class ActualRecord:
    round_id: int
    project_id_key: tuple[int, str]
    # (一级指标, 三级指标): the indicator may be added by the same workbook's 绩效指标 sheet,
    # so its id is only known when the records are written.
    indicator_key: tuple[str, str]
    actual_raw: str
    expected_raw: str | None
    fields: dict


@dataclass
class DepartmentActualRecord:
    """A row of a department indicator: the department and its indicator are stored ones."""

    round_id: int
    department_id: int
    indicator_id: int
    actual_raw: str
    expected_raw: str | None
    fields: dict


@dataclass
class StoredReport:
    """What one report of one project holds, read once per (round, project)."""

    status: str | None
    # By the indicator's (一级指标, 三级指标), as rows name it.
    lines: dict[tuple[str, str], ReportIndicator]


@dataclass
class DepartmentRound:
    """What one round holds of its 区划's departments, read once per round: their indicators of
    the year as rows name them, their reports' statuses, and each indicator as its report is
    judged on it with its line (a computed one carrying its figure, see department_pairs)."""

    round: Round
    indicators: dict[tuple[int, str, str], DepartmentIndicator]
    statuses: dict[int, str]
    pairs: dict[tuple[int, int], tuple[AnyIndicator, ReportIndicator | None]]
    # The live figures of the round's departments by id, read when first needed.
    figures: dict[int, dict[str, Decimal | None]] | None = field(default=None)


def department_pairs(
    rounds: Iterable[Round], department_ids: Iterable[int] | None = None
) -> tuple[
    dict[tuple[int, int], str],
    dict[tuple[int, int, int], tuple[AnyIndicator, ReportIndicator | None]],
]:
    """The department reports of the rounds as their pages show them (compute.reports_evaluate):
    ({(round id, department id): status}, {(round id, department id, indicator id): (indicator
    as judged, line or None)}). A computed indicator's line carries its figure as of the round's
    date in `computed_value`: computed now for a draft (an unsaved line when nothing was typed),
    stored at submission otherwise. A constant number of queries per round."""
    reports = Report.objects.filter(round__in=[r.pk for r in rounds], department__isnull=False)
    if department_ids is not None:
        reports = reports.filter(department__in=department_ids)
    statuses: dict[tuple[int, int], str] = {}
    pairs: dict[tuple[int, int, int], tuple[AnyIndicator, ReportIndicator | None]] = {}
    for evaluation in reports_evaluate(reports).values():
        report = evaluation.report
        statuses[(report.round_id, report.department_id)] = report.status
        for indicator, line in evaluation.lines:
            # A submitted report keeps the line of an indicator deleted since: no row names it.
            indicator_id = line.department_indicator_id if line is not None else indicator.pk
            if indicator_id is not None:
                pairs[(report.round_id, report.department_id, indicator_id)] = (indicator, line)
    return statuses, pairs


def figure_text(figure: Decimal | None) -> str:
    """A computed indicator's 实际完成值 as the sheet writes it: "45.00%" or 无预算，不适用."""
    return computed_actual(figure).raw


def matches_figure(text: str, figure: Decimal | None, indicator: AnyIndicator, year: int) -> bool:
    """A computed indicator's cell that changes nothing: blank, or its figure (as written, or
    the same percentage to the hundredth however Excel shows it)."""
    if not text or text == figure_text(figure):
        return True
    if figure is None:
        return False
    try:
        actual = parse_actual(text, indicator.target, year=year, level1=indicator.level1)
    except ValueError_:
        return False
    if actual.number is None or (actual.unit or "%") != "%":
        return False
    return actual.number.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP) == figure.quantize(
        _HUNDREDTH, rounding=ROUND_HALF_UP
    )


class ActualSheet(Sheet):
    name = "实际完成"
    needs_formats = True
    action = STATEMENTS
    columns = (
        # Empty on a department indicator's row (部门编码 names it instead).
        Column("项目编码"),
        Column("一级指标", True),
        Column("三级指标", True),
        Column("阶段", True),
        Column("截至日期", True),
        Column("实际完成值", True),
        Column("全年预计完成值"),
        Column("偏差原因"),
        Column("改进措施"),
        Column(DEPARTMENT_COLUMN),
        Column(DIVISION_COLUMN),
    )

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.lookups = lookups(ctx)
        self.declared = declared_indicators(ctx)
        # A row goes to the round of its project's 区划 (import-workbook.md, 实际完成).
        self.rounds = {
            (r.year, r.stage, r.as_of, r.division.code): r
            for r in Round.objects.select_related("division")
        }
        self.within = _WITHIN_ROUND.get()
        self.indicators: dict[int, dict[tuple[str, str], Indicator]] = {}
        self.reports: dict[tuple[int, int], StoredReport] = {}
        self.department_rounds: dict[int, DepartmentRound] = {}
        self.seen: dict[tuple, int] = {}
        self.touched: set[int] = set()
        self.changed: set[int] = set()

    def _indicator(self, project: ProjectRef, level1: str, name: str) -> Indicator | None:
        """The indicator as this workbook declares it, else as stored."""
        declared = self.declared.get((project.year, project.code), {}).get((level1, name))
        if declared is not None:
            return declared
        if project.id not in self.indicators:
            self.indicators[project.id] = {
                (i.level1, i.name): i for i in Indicator.objects.filter(project_id=project.id)
            }
        return self.indicators[project.id].get((level1, name))

    def _report(self, round_id: int, project_id: int) -> StoredReport:
        key = (round_id, project_id)
        if key not in self.reports:
            report = Report.objects.filter(round_id=round_id, project_id=project_id).first()
            self.reports[key] = StoredReport(
                report.status if report else None,
                {
                    (line.indicator.level1, line.indicator.name): line
                    for line in report.lines.select_related("indicator")
                    if line.indicator is not None
                }
                if report
                else {},
            )
        return self.reports[key]

    def _department_round(self, round_: Round) -> DepartmentRound:
        """The departments' part of a round, read once for every department the user may
        change (a constant number of queries per round, whatever the rows)."""
        if round_.pk not in self.department_rounds:
            allowed = self.ctx.allowed(STATEMENTS)
            indicators = DepartmentIndicator.objects.filter(
                year=round_.year, department__division_id=round_.division_id
            )
            if allowed is not None:
                indicators = indicators.filter(department__in=allowed)
            statuses, pairs = department_pairs([round_], allowed)
            self.department_rounds[round_.pk] = DepartmentRound(
                round_,
                {(i.department_id, i.level1, i.name): i for i in indicators},
                {dept: status for (_, dept), status in statuses.items()},
                {(dept, ind): pair for (_, dept, ind), pair in pairs.items()},
            )
        return self.department_rounds[round_.pk]

    @staticmethod
    def _live_figure(part: DepartmentRound, department_id: int, metric: str):
        """The figure as of the round's date of an indicator its report does not judge (no
        report yet, created when the rows are written; or one added after submission): rare,
        so the figures of the round's departments are read at once when first needed."""
        if part.figures is None:
            # Imported here: the department figures read this app's selectors.
            from .department_figures import department_rates

            departments = Department.objects.filter(division_id=part.round.division_id)
            part.figures = {
                pk: entry.rates
                for pk, entry in department_rates(
                    part.round.year, part.round.as_of, departments
                ).items()
            }
        return part.figures.get(department_id, {}).get(metric)

    @staticmethod
    def _causes_unchanged(line: ReportIndicator | None, stage: str, cells: dict[str, str]) -> bool:
        measure = line.measure if line is not None else ""
        return cells["改进措施"] == measure and cells["偏差原因"] == cause_text(line, stage)

    @classmethod
    def _unchanged(cls, line: ReportIndicator | None, stage: str, cells: dict[str, str]) -> bool:
        """The row repeats what the report already holds (e.g. an unchanged export)."""
        if line is None:
            return False
        if cells["实际完成值"] != line.actual_raw:
            return False
        if stage == Stage.MONITORING:
            expected = cells["全年预计完成值"]
            if expected and expected != line.expected_raw:
                return False
        return cls._causes_unchanged(line, stage, cells)

    def parse(self, row: Row) -> ActualRecord | DepartmentActualRecord | None:
        code = row.text("项目编码", max_length=64)
        dept_code = row.text(DEPARTMENT_COLUMN, max_length=32)
        level1_text = row.text("一级指标", required=True, max_length=20)
        name = row.text("三级指标", required=True, max_length=200)
        stage = row.text("阶段", required=True, max_length=10)
        as_of = row.date("截至日期", required=True)
        cause = row.text("偏差原因", max_length=2000)
        measure = row.text("改进措施", max_length=2000)
        if all(
            row.raw(column) is None
            for column in ("实际完成值", "全年预计完成值", "偏差原因", "改进措施")
        ):
            # A pre-filled row nobody has filled in yet: nothing to import.
            return None
        if not code and not dept_code:
            row.problem("项目编码", CODE_REQUIRED)
        level1 = normalize_level1(level1_text)
        if code or not dept_code:
            if level1_text and level1 not in {
                c for c, _ in Indicator._meta.get_field("level1").choices
            }:
                row.problem("一级指标", UNKNOWN_LEVEL1.format(value=level1_text))
        elif level1_text and level1 not in DEPARTMENT_LEVEL1_NAMES:
            row.problem("一级指标", UNKNOWN_DEPARTMENT_LEVEL1.format(value=level1_text))
        if stage and stage not in Stage.values:
            row.problem("阶段", UNKNOWN_STAGE.format(value=stage))
        if not row.ok:
            return None
        cells = {
            column: excel_cell_text(row.values.get(column), row.formats.get(column, ""))
            for column in ("实际完成值", "全年预计完成值")
        }
        cells.update(偏差原因=cause, 改进措施=measure)
        if code:
            return self._parse_project(row, code, dept_code, level1, name, stage, as_of, cells)
        return self._parse_department(row, dept_code, level1, name, stage, as_of, cells)

    def _round(self, row: Row, year: int, stage: str, as_of: date, division: str):
        """The round of the row's 区划, or None with the problem recorded."""
        round_ = self.rounds.get((year, stage, as_of, division))
        if round_ is None:
            shown = dict(year=year, stage=stage, as_of=as_of.isoformat(), division=division)
            row.problem("截至日期", ROUND_NOT_OPENED.format(**shown))
        return round_

    def _first_seen(self, row: Row, key: tuple) -> bool:
        if key in self.seen:
            row.problem("三级指标", DUPLICATE_ACTUAL.format(row=self.seen[key]))
            return False
        self.seen[key] = row.number
        return True

    @staticmethod
    def _writable(row: Row, round_: Round, locked: str | None) -> bool:
        """The round is open and the report editable; `locked` is the message of a report
        that is submitted or approved."""
        if not round_.is_open:
            shown = dict(
                year=round_.year,
                stage=round_.stage,
                as_of=round_.as_of.isoformat(),
                division=round_.division.code,
            )
            row.problem("截至日期", ROUND_IS_CLOSED.format(**shown))
            return False
        if locked:
            row.problem("阶段", locked)
            return False
        return True

    @staticmethod
    def _locked(status: str | None) -> str | None:
        """The label of a status that may not be changed (已提交, 已审核), else None."""
        if status is None or status in EDITABLE_STATUSES:
            return None
        return dict(Report._meta.get_field("status").choices)[status]

    @staticmethod
    def _values(row: Row, stage: str, cells: dict[str, str], indicator, year: int):
        """(actual, expected, fields) of a typed row, or None with the problem recorded."""
        values = {}
        for column in ("实际完成值", "全年预计完成值"):
            text = cells[column]
            if column == "全年预计完成值" and (not text or stage != Stage.MONITORING):
                values[column] = ""
                continue
            try:
                parse_actual(text, indicator.target, year=year, level1=indicator.level1)
            except ValueError_ as exc:
                row.problem(column, exc.message)
                return None
            values[column] = text
        fields = ActualSheet._cause_fields(row, stage, cells)
        if fields is None:
            return None
        return values["实际完成值"], values["全年预计完成值"], fields

    @staticmethod
    def _cause_fields(row: Row, stage: str, cells: dict[str, str]) -> dict | None:
        if stage == Stage.MONITORING:
            category, cause = split_cause(cells["偏差原因"])
            if category is not None and category not in CauseCategory.values:
                row.problem("偏差原因", BAD_CAUSE_CATEGORY.format(value=category))
                return None
            return {"cause_category": category or "", "cause": cause, "measure": cells["改进措施"]}
        return {"explanation": cells["偏差原因"], "measure": cells["改进措施"]}

    def _parse_project(
        self,
        row: Row,
        code: str,
        dept_code: str,
        level1: str,
        name: str,
        stage: str,
        as_of: date,
        cells: dict[str, str],
    ) -> ActualRecord | None:
        year = as_of.year
        project = self.lookups.project(year, code)
        if project is None or project.id is None:
            row.problem("项目编码", UNKNOWN_PROJECT.format(code=code, year=year))
            return None
        if dept_code or row.raw(DIVISION_COLUMN) is not None:
            # A 部门编码 (or 区划编码) beside the 项目编码 must be the project's own.
            division = self.lookups.division_of(row, dept_code, project=project)
            if division is None:
                return None
            given = DeptKey(division, dept_code or project.department_code)
            if given != project.department:
                owner, named = project.department_code, given.code
                if owner == named:
                    owner, named = "/".join(project.department), "/".join(given)
                row.problem(
                    "项目编码",
                    PROJECT_OF_OTHER_DEPARTMENT.format(code=code, owner=owner, code_given=named),
                )
                return None
        if not self.ctx.may_change(self.lookups.department_id(project.department), STATEMENTS):
            row.problem("项目编码", NO_PERMISSION_DEPARTMENT.format(code=project.department_code))
            return None
        division = project.department.division
        if self.within is not None and division != self.within.division.code:
            row.problem(
                "项目编码",
                OUTSIDE_ROUND_DIVISION.format(
                    code=code, division=division, round_division=self.within.division.code
                ),
            )
            return None
        round_ = self._round(row, year, stage, as_of, division)
        if round_ is None:
            return None
        indicator = self._indicator(project, level1, name)
        if indicator is None:
            row.problem("三级指标", UNKNOWN_INDICATOR.format(code=code, level1=level1, name=name))
            return None
        if not self._first_seen(row, (project.id, level1, name, stage, as_of)):
            return None
        stored = self._report(round_.pk, project.id)
        if self._unchanged(stored.lines.get((level1, name)), stage, cells):
            # Identical to what is stored: "unchanged", even in a closed round or a submitted
            # report, so that an unchanged export always re-imports.
            self.ctx.count(ACTUAL, "unchanged")
            return None
        if not cells["实际完成值"]:
            row.problem("实际完成值", VALUE_REQUIRED)
            return None
        status = self._locked(stored.status)
        locked = status and REPORT_LOCKED.format(code=code, stage=stage, status=status)
        if not self._writable(row, round_, locked):
            return None
        parsed = self._values(row, stage, cells, indicator, year)
        if parsed is None:
            return None
        actual, expected, fields = parsed
        return ActualRecord(round_.pk, (year, code), (level1, name), actual, expected, fields)

    def _parse_department(
        self,
        row: Row,
        dept_code: str,
        level1: str,
        name: str,
        stage: str,
        as_of: date,
        cells: dict[str, str],
    ) -> DepartmentActualRecord | None:
        year = as_of.year
        division = self.lookups.division_of(row, dept_code)
        if division is None:
            return None
        key = DeptKey(division, dept_code)
        department_id = self.lookups.department_id(key)
        if department_id is None:
            # Unknown, or only declared by this file's 项目 sheet: it has no indicators yet.
            row.problem(DEPARTMENT_COLUMN, UNKNOWN_DEPARTMENT.format(code=dept_code))
            return None
        if not self.ctx.may_change(department_id, STATEMENTS):
            row.problem(DEPARTMENT_COLUMN, NO_PERMISSION_DEPARTMENT.format(code=dept_code))
            return None
        if self.within is not None and division != self.within.division.code:
            row.problem(
                DEPARTMENT_COLUMN,
                DEPARTMENT_OUTSIDE_ROUND_DIVISION.format(
                    code=dept_code, division=division, round_division=self.within.division.code
                ),
            )
            return None
        round_ = self._round(row, year, stage, as_of, division)
        if round_ is None:
            return None
        part = self._department_round(round_)
        indicator = part.indicators.get((department_id, level1, name))
        if indicator is None:
            row.problem(
                "三级指标",
                UNKNOWN_DEPARTMENT_INDICATOR.format(
                    code=dept_code, year=year, level1=level1, name=name
                ),
            )
            return None
        if not self._first_seen(row, ("department", department_id, level1, name, stage, as_of)):
            return None
        judged, line = part.pairs.get((department_id, indicator.pk), (indicator, None))
        status = self._locked(part.statuses.get(department_id))
        locked = status and DEPARTMENT_REPORT_LOCKED.format(
            code=dept_code, stage=stage, status=status
        )
        if is_computed(judged):
            return self._parse_computed(row, part, department_id, judged, line, locked, cells)
        if self._unchanged(line if line is not None and line.pk else None, stage, cells):
            self.ctx.count(ACTUAL, "unchanged")
            return None
        if not cells["实际完成值"]:
            row.problem("实际完成值", VALUE_REQUIRED)
            return None
        if not self._writable(row, round_, locked):
            return None
        parsed = self._values(row, stage, cells, judged, year)
        if parsed is None:
            return None
        actual, expected, fields = parsed
        return DepartmentActualRecord(
            round_.pk, department_id, indicator.pk, actual, expected, fields
        )

    def _parse_computed(
        self,
        row: Row,
        part: DepartmentRound,
        department_id: int,
        indicator: AnyIndicator,
        line: ReportIndicator | None,
        locked: str | None,
        cells: dict[str, str],
    ) -> DepartmentActualRecord | None:
        """A computed indicator's row: its values are the system's (blank or equal to the
        figure, else an error naming the indicator); only its cause and measure are kept."""
        round_ = part.round
        if line is not None:
            figure = line.computed_value
        else:
            figure = self._live_figure(part, department_id, indicator.metric)
        columns = ["实际完成值"]
        if round_.stage == Stage.MONITORING:
            columns.append("全年预计完成值")
        for column in columns:
            if not matches_figure(cells[column], figure, indicator, round_.year):
                row.problem(
                    column,
                    COMPUTED_VALUE_GIVEN.format(
                        name=indicator.name,
                        as_of=round_.as_of.isoformat(),
                        figure=figure_text(figure),
                    ),
                )
                return None
        stored = line if line is not None and line.pk else None
        if self._causes_unchanged(stored, round_.stage, cells):
            self.ctx.count(ACTUAL, "unchanged")
            return None
        if not self._writable(row, round_, locked):
            return None
        fields = self._cause_fields(row, round_.stage, cells)
        if fields is None:
            return None
        # Typed values of a computed indicator are never kept (as when saved from the form).
        return DepartmentActualRecord(round_.pk, department_id, indicator.pk, "", "", fields)

    def write(self, records: list[ActualRecord | DepartmentActualRecord]) -> None:
        projects = [r for r in records if isinstance(r, ActualRecord)]
        departments = [r for r in records if isinstance(r, DepartmentActualRecord)]
        if projects:
            self._write_projects(projects)
        if departments:
            self._write_departments(departments)

    def _reports(self, pairs: set[tuple[int, int]], owner: str) -> dict[tuple[int, int], Report]:
        """The reports of the (round id, owner id) pairs, the missing ones created as drafts;
        `owner` is "project" or "department"."""
        query = {"round_id__in": {p[0] for p in pairs}, f"{owner}_id__in": {p[1] for p in pairs}}
        reports = {
            (rep.round_id, getattr(rep, f"{owner}_id")): rep
            for rep in Report.objects.filter(**query)
        }
        missing = [
            Report(round_id=r, **{f"{owner}_id": o}) for r, o in pairs if (r, o) not in reports
        ]
        if missing:
            bulk_create_with_history(missing, Report, default_user=self.ctx.user)
            for rep in Report.objects.filter(**query):
                reports[(rep.round_id, getattr(rep, f"{owner}_id"))] = rep
        return reports

    @staticmethod
    def _line_values(record: ActualRecord | DepartmentActualRecord) -> dict:
        values = {"actual_raw": record.actual_raw, **record.fields}
        if record.expected_raw:
            values["expected_raw"] = record.expected_raw
        return values

    def _write_projects(self, records: list[ActualRecord]) -> None:
        project_ids = self.lookups.project_ids({r.project_id_key for r in records})
        indicator_ids = {
            (i["project_id"], i["level1"], i["name"]): i["pk"]
            for i in Indicator.objects.filter(project_id__in=set(project_ids.values())).values(
                "pk", "project_id", "level1", "name"
            )
        }
        pairs = {(r.round_id, project_ids[r.project_id_key]) for r in records}
        reports = self._reports(pairs, "project")
        existing = {
            (line.report_id, line.indicator_id): line
            for line in ReportIndicator.objects.filter(
                report__in=[rep.pk for rep in reports.values()]
            )
        }
        incoming = {}
        for r in records:
            report = reports[(r.round_id, project_ids[r.project_id_key])]
            self.touched.add(report.pk)
            indicator_id = indicator_ids[(report.project_id, *r.indicator_key)]
            key = (report.pk, indicator_id)
            incoming[key] = {
                "report_id": report.pk,
                "indicator_id": indicator_id,
                **self._line_values(r),
            }
        written: set[tuple[int, int]] = set()
        # With history: imported actuals belong to the audit trail like typed ones.
        upsert(self.ctx, ReportIndicator, ACTUAL, existing, incoming, touched=written)
        self.changed.update(report_id for report_id, _ in written)

    def _write_departments(self, records: list[DepartmentActualRecord]) -> None:
        reports = self._reports({(r.round_id, r.department_id) for r in records}, "department")
        existing = {
            (line.report_id, line.department_indicator_id): line
            for line in ReportIndicator.objects.filter(
                report__in=[rep.pk for rep in reports.values()],
                department_indicator__isnull=False,
            )
        }
        incoming = {}
        for r in records:
            report = reports[(r.round_id, r.department_id)]
            self.touched.add(report.pk)
            incoming[(report.pk, r.indicator_id)] = {
                "report_id": report.pk,
                "department_indicator_id": r.indicator_id,
                **self._line_values(r),
            }
        written: set[tuple[int, int]] = set()
        upsert(self.ctx, ReportIndicator, ACTUAL, existing, incoming, touched=written)
        self.changed.update(report_id for report_id, _ in written)

    def finish(self) -> None:
        # A form opened before the import must not silently overwrite the imported values.
        Report.objects.filter(pk__in=self.changed).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        reports_recompute(
            Report.objects.filter(pk__in=self.touched).select_related("project", "department")
        )


# The downloaded sheet shows each indicator's target beside its name; the importer ignores
# the column (extra columns are ignored), so a filled sheet uploads back as it is. 部门编码 and
# 区划编码 come last and are filled on the department indicators' rows only (their 项目编码 is
# empty), so the project rows read as before.
TARGET_COLUMN = "指标值"
SHEET_HEADER = [
    "项目编码",
    "一级指标",
    "三级指标",
    TARGET_COLUMN,
    "阶段",
    "截至日期",
    "实际完成值",
    "全年预计完成值",
    "偏差原因",
    "改进措施",
    DEPARTMENT_COLUMN,
    DIVISION_COLUMN,
]

# Drop-down lists of the value cells: offered, never enforced (showErrorMessage off), since
# the importer also takes a tier with its percentage and a relative indicator's two years.
TIER_CHOICES = {
    QUALITATIVE: Choices(
        TIERS,
        "定性指标",
        "选择“达成”“部分达成”或“未达成”；可附得分比例，如“达成（90%）”。",
    ),
    RELATIVE: Choices(
        TIERS,
        "与上年比较的指标",
        "选择“达成”“部分达成”或“未达成”，或写明两年的数值，如“上年95%，本年97%”。",
    ),
}
# 偏差原因 stays free text: the list only starts it with a category, typed on after it.
CAUSE_CHOICES = Choices(
    tuple(f"【{category}】" for category in CauseCategory.values),
    "偏差原因",
    "可从列表选择类别，再双击单元格（或按F2）在类别后接着填写原因，"
    "如“【经费保障】资金未到位”；也可直接填写，不带类别。",
)


def _row(
    code: str,
    indicator: AnyIndicator,
    round_: Round,
    line: ReportIndicator | None,
    *,
    actual: str | None = None,
    department: Department | None = None,
) -> list:
    """One row in the order of SHEET_HEADER, with its drop-down lists; `actual` replaces the
    line's (a computed indicator's figure), `department` fills 部门编码 and 区划编码."""
    monitoring = round_.stage == Stage.MONITORING
    # A computed value is the system's: no list invites typing another.
    tiers = None if actual is not None else TIER_CHOICES.get(indicator.kind)
    stored = line if line is not None and line.pk else None
    # 全年预计完成值 and the cause category belong to monitoring only.
    return [
        code,
        indicator.level1,
        indicator.name,
        indicator.raw,
        round_.stage,
        round_.as_of,
        offer(actual if actual is not None else (line.actual_raw if line else ""), tiers),
        offer(
            "" if actual is not None else (line.expected_raw if line else ""),
            tiers if monitoring else None,
        ),
        offer(cause_text(stored, round_.stage), CAUSE_CHOICES if monitoring else None),
        stored.measure if stored else "",
        department.code if department else None,
        department.division.code if department else None,
    ]


def _sheet_rows(
    rounds: list[Round],
    indicators: list[Indicator],
    departments: list[Department],
    skip=None,
    *,
    editable_only: bool = False,
) -> Iterator[list]:
    """Rows of 实际完成 for the rounds, the projects' indicators and the departments' own,
    pre-filled with what is stored (in the order of SHEET_HEADER, with their drop-down lists):
    each department's rows first, then its projects'. A computed department indicator shows
    its figure as the report does (as of the round's date: live for a draft, as submitted
    otherwise), which the import takes as unchanged. `editable_only` leaves out the rows of
    submitted and approved department reports (`skip` does so for projects' rows)."""
    lines = {
        (line.report.round_id, line.indicator_id): line
        for line in ReportIndicator.objects.filter(
            report__round__in=rounds, indicator__in=[i.pk for i in indicators]
        ).select_related("report")
    }
    statuses, pairs = department_pairs(rounds, [d.pk for d in departments])
    own: dict[tuple[int, int], list[DepartmentIndicator]] = {}
    for year in {r.year for r in rounds}:
        found = department_indicators_by_department(year, [d.pk for d in departments])
        own.update({(year, pk): items for pk, items in found.items()})
    # Each 区划's departments in code order (a project and a department report in the rounds
    # of their own 区划 only): a department's own rows, then its projects'.
    by_department: dict[int, list[Indicator]] = {}
    every = {d.pk: d for d in departments}
    for i in indicators:
        by_department.setdefault(i.project.department_id, []).append(i)
        every.setdefault(i.project.department_id, i.project.department)
    by_division: dict[int, list[Department]] = {}
    for d in sorted(every.values(), key=lambda d: (d.code, d.pk)):
        by_division.setdefault(d.division_id, []).append(d)
    for round_ in rounds:
        for department in by_division.get(round_.division_id, []):
            status = statuses.get((round_.pk, department.pk))
            if not (editable_only and status is not None and status not in EDITABLE_STATUSES):
                for i in own.get((round_.year, department.pk), []):
                    judged, line = pairs.get((round_.pk, department.pk, i.pk), (i, None))
                    if line is None and not round_.is_open:
                        continue
                    actual = None
                    if is_computed(judged):
                        # Without a report yet (created when rows come back) the figure is
                        # left blank, which imports as unchanged too.
                        actual = figure_text(line.computed_value) if line is not None else ""
                    yield _row("", i, round_, line, actual=actual, department=department)
            for i in by_department.get(department.pk, []):
                line = lines.get((round_.pk, i.pk))
                if line is None and not round_.is_open:
                    continue
                if skip is not None and skip(round_, i):
                    continue
                yield _row(i.project.code, i, round_, line)


def _indicators_of(projects) -> list[Indicator]:
    return list(
        Indicator.objects.filter(project__in=projects)
        .select_related("project__department")
        .order_by("project__department__code", "project__code", "position", "id")
    )


def _departments_of(projects, division_id: int | None = None) -> list[Department]:
    """The departments of the projects (as the 部门整体目标 sheet exports them)."""
    departments = Department.objects.filter(pk__in=projects.order_by().values("department_id"))
    if division_id is not None:
        departments = departments.filter(division_id=division_id)
    return list(departments.select_related("division").order_by("code", "pk"))


def export_rows(
    year: int, projects, as_of: date | None = None
) -> Iterator[tuple[str, list, Iterator[list]]]:
    """The 实际完成 sheet: every indicator of every open round of the year, pre-filled, with
    the departments' own indicators."""
    rounds = list(
        Round.objects.filter(year=year).select_related("division").order_by("as_of", "stage")
    )
    yield (
        ActualSheet.name,
        SHEET_HEADER,
        _sheet_rows(rounds, _indicators_of(projects), _departments_of(projects)),
    )


def round_sheet_rows(round_: Round, projects) -> tuple[str, list, Iterator[list]]:
    """The 实际完成 sheet of one round for the projects (and their departments) whose report
    may still be edited (rows of submitted or approved reports would be refused when uploaded
    back)."""
    locked = set(
        Report.objects.filter(round=round_, project__in=projects)
        .exclude(status__in=EDITABLE_STATUSES)
        .values_list("project_id", flat=True)
    )
    return (
        ActualSheet.name,
        SHEET_HEADER,
        _sheet_rows(
            [round_],
            _indicators_of(projects),
            _departments_of(projects, round_.division_id),
            lambda _r, i: i.project_id in locked,
            editable_only=True,
        ),
    )
