"""The tracking app's sheet of the workbook: 实际完成 (actual values of a round, read and write)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from budgets.access import STATEMENTS
from budgets.importer import NO_PERMISSION_DEPARTMENT, Column, ImportContext, Row, Sheet
from budgets.workbook import UNKNOWN_PROJECT, ProjectRef, lookups, upsert
from budgets.xlsx import Choices, offer
from performance.models import Indicator
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
from .compute import reports_recompute
from .models import Report, ReportIndicator, Round

ACTUAL = "实际完成"
UNKNOWN_STAGE = "阶段“{value}”无效，应为“运行监控”或“绩效自评”"
ROUND_NOT_OPENED = "区划{division}尚未开启{year}年{stage}（截至{as_of}）的填报轮次"
ROUND_IS_CLOSED = "区划{division}的{year}年{stage}（截至{as_of}）填报轮次已关闭"
OUTSIDE_ROUND_DIVISION = "项目“{code}”属于区划{division}，不属于本轮次的区划{round_division}"
UNKNOWN_INDICATOR = "项目“{code}”没有{level1}“{name}”"
REPORT_LOCKED = "项目“{code}”的{stage}报告{status}，不能再修改"
BAD_CAUSE_CATEGORY = (
    "偏差原因类别“{value}”无效，应为：经费保障、制度保障、人员保障、硬件条件保障、其他"
)
DUPLICATE_ACTUAL = "与第{row}行是同一指标、阶段和截至日期"

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
class StoredReport:
    """What one report of one project holds, read once per (round, project)."""

    status: str | None
    # By the indicator's (一级指标, 三级指标), as rows name it.
    lines: dict[tuple[str, str], ReportIndicator]


class ActualSheet(Sheet):
    name = "实际完成"
    needs_formats = True
    action = STATEMENTS
    columns = (
        Column("项目编码", True),
        Column("一级指标", True),
        Column("三级指标", True),
        Column("阶段", True),
        Column("截至日期", True),
        Column("实际完成值", True),
        Column("全年预计完成值"),
        Column("偏差原因"),
        Column("改进措施"),
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

    @staticmethod
    def _unchanged(line: ReportIndicator | None, stage: str, cells: dict[str, str]) -> bool:
        """The row repeats what the report already holds (e.g. an unchanged export)."""
        if line is None:
            return False
        if cells["实际完成值"] != line.actual_raw or cells["改进措施"] != line.measure:
            return False
        if stage == Stage.MONITORING:
            expected = cells["全年预计完成值"]
            prefix = f"【{line.cause_category}】" if line.cause_category else ""
            return (not expected or expected == line.expected_raw) and cells[
                "偏差原因"
            ] == prefix + line.cause
        return cells["偏差原因"] == line.explanation

    def parse(self, row: Row) -> ActualRecord | None:
        code = row.text("项目编码", required=True, max_length=64)
        level1_text = row.text("一级指标", required=True, max_length=20)
        name = row.text("三级指标", required=True, max_length=200)
        stage = row.text("阶段", required=True, max_length=10)
        as_of = row.date("截至日期", required=True)
        cause_text = row.text("偏差原因", max_length=2000)
        measure = row.text("改进措施", max_length=2000)
        if all(
            row.raw(column) is None
            for column in ("实际完成值", "全年预计完成值", "偏差原因", "改进措施")
        ):
            # A pre-filled row nobody has filled in yet: nothing to import.
            return None
        level1 = normalize_level1(level1_text)
        if level1_text and level1 not in {
            c for c, _ in Indicator._meta.get_field("level1").choices
        }:
            row.problem("一级指标", UNKNOWN_LEVEL1.format(value=level1_text))
        if stage and stage not in Stage.values:
            row.problem("阶段", UNKNOWN_STAGE.format(value=stage))
        if not row.ok:
            return None
        year = as_of.year
        project = self.lookups.project(year, code)
        if project is None or project.id is None:
            row.problem("项目编码", UNKNOWN_PROJECT.format(code=code, year=year))
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
        round_ = self.rounds.get((year, stage, as_of, division))
        shown = dict(year=year, stage=stage, as_of=as_of.isoformat(), division=division)
        if round_ is None:
            row.problem("截至日期", ROUND_NOT_OPENED.format(**shown))
            return None
        indicator = self._indicator(project, level1, name)
        if indicator is None:
            row.problem("三级指标", UNKNOWN_INDICATOR.format(code=code, level1=level1, name=name))
            return None
        key = (project.id, level1, name, stage, as_of)
        if key in self.seen:
            row.problem("三级指标", DUPLICATE_ACTUAL.format(row=self.seen[key]))
            return None
        self.seen[key] = row.number
        stored = self._report(round_.pk, project.id)
        cells = {
            column: excel_cell_text(row.values.get(column), row.formats.get(column, ""))
            for column in ("实际完成值", "全年预计完成值")
        }
        cells.update(偏差原因=cause_text, 改进措施=measure)
        if self._unchanged(stored.lines.get((level1, name)), stage, cells):
            # Identical to what is stored: "unchanged", even in a closed round or a submitted
            # report, so that an unchanged export always re-imports.
            self.ctx.count(ACTUAL, "unchanged")
            return None
        if not cells["实际完成值"]:
            row.problem("实际完成值", "不能为空")
            return None
        if not round_.is_open:
            row.problem("截至日期", ROUND_IS_CLOSED.format(**shown))
            return None
        if stored.status is not None and stored.status not in EDITABLE_STATUSES:
            label = dict(Report._meta.get_field("status").choices)[stored.status]
            row.problem("阶段", REPORT_LOCKED.format(code=code, stage=stage, status=label))
            return None
        fields: dict = {}
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
        if stage == Stage.MONITORING:
            category, cause = split_cause(cause_text)
            if category is not None and category not in CauseCategory.values:
                row.problem("偏差原因", BAD_CAUSE_CATEGORY.format(value=category))
                return None
            fields.update(cause_category=category or "", cause=cause, measure=measure)
        else:
            fields.update(explanation=cause_text, measure=measure)
        return ActualRecord(
            round_.pk,
            (year, code),
            (level1, name),
            values["实际完成值"],
            values["全年预计完成值"],
            fields,
        )

    def write(self, records: list[ActualRecord]) -> None:
        project_ids = self.lookups.project_ids({r.project_id_key for r in records})
        indicator_ids = {
            (i["project_id"], i["level1"], i["name"]): i["pk"]
            for i in Indicator.objects.filter(project_id__in=set(project_ids.values())).values(
                "pk", "project_id", "level1", "name"
            )
        }
        pairs = {(r.round_id, project_ids[r.project_id_key]) for r in records}
        reports = {
            (rep.round_id, rep.project_id): rep
            for rep in Report.objects.filter(
                round_id__in={p[0] for p in pairs}, project_id__in={p[1] for p in pairs}
            )
        }
        missing = [Report(round_id=r, project_id=p) for r, p in pairs if (r, p) not in reports]
        if missing:
            bulk_create_with_history(missing, Report, default_user=self.ctx.user)
            for rep in Report.objects.filter(
                round_id__in={p[0] for p in pairs}, project_id__in={p[1] for p in pairs}
            ):
                reports[(rep.round_id, rep.project_id)] = rep
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
            values = {"actual_raw": r.actual_raw, **r.fields}
            if r.expected_raw:
                values["expected_raw"] = r.expected_raw
            indicator_id = indicator_ids[(report.project_id, *r.indicator_key)]
            key = (report.pk, indicator_id)
            incoming[key] = {"report_id": report.pk, "indicator_id": indicator_id, **values}
        written: set[tuple[int, int]] = set()
        # With history: imported actuals belong to the audit trail like typed ones.
        upsert(self.ctx, ReportIndicator, ACTUAL, existing, incoming, touched=written)
        self.changed.update(report_id for report_id, _ in written)

    def finish(self) -> None:
        # A form opened before the import must not silently overwrite the imported values.
        Report.objects.filter(pk__in=self.changed).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        reports_recompute(Report.objects.filter(pk__in=self.touched).select_related("project"))


# The downloaded sheet shows each indicator's target beside its name; the importer ignores
# the column (extra columns are ignored), so a filled sheet uploads back as it is.
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


def _sheet_rows(rounds: list[Round], indicators: list[Indicator], skip=None) -> Iterator[list]:
    """Rows of 实际完成 for the rounds and indicators, pre-filled with what is stored
    (in the order of SHEET_HEADER, with their drop-down lists)."""
    lines = {
        (line.report.round_id, line.indicator_id): line
        for line in ReportIndicator.objects.filter(
            report__round__in=rounds, indicator__in=[i.pk for i in indicators]
        ).select_related("report")
    }
    # A project reports in the rounds of its own 区划 only.
    by_division: dict[int, list[Indicator]] = {}
    for i in indicators:
        by_division.setdefault(i.project.department.division_id, []).append(i)
    for round_ in rounds:
        monitoring = round_.stage == Stage.MONITORING
        for i in by_division.get(round_.division_id, []):
            line = lines.get((round_.pk, i.pk))
            if line is None and not round_.is_open:
                continue
            if skip is not None and skip(round_, i):
                continue
            cause = ""
            if line is not None:
                if monitoring:
                    prefix = f"【{line.cause_category}】" if line.cause_category else ""
                    cause = prefix + line.cause
                else:
                    cause = line.explanation
            tiers = TIER_CHOICES.get(i.kind)
            # 全年预计完成值 and the cause category belong to monitoring only.
            yield [
                i.project.code,
                i.level1,
                i.name,
                i.raw,
                round_.stage,
                round_.as_of,
                offer(line.actual_raw if line else "", tiers),
                offer(line.expected_raw if line else "", tiers if monitoring else None),
                offer(cause, CAUSE_CHOICES if monitoring else None),
                line.measure if line else "",
            ]


def _indicators_of(projects) -> list[Indicator]:
    return list(
        Indicator.objects.filter(project__in=projects)
        .select_related("project__department")
        .order_by("project__department__code", "project__code", "position", "id")
    )


def export_rows(
    year: int, projects, as_of: date | None = None
) -> Iterator[tuple[str, list, Iterator[list]]]:
    """The 实际完成 sheet: every indicator of every open round of the year, pre-filled."""
    rounds = list(Round.objects.filter(year=year).order_by("as_of", "stage"))
    yield (
        ActualSheet.name,
        SHEET_HEADER,
        _sheet_rows(rounds, _indicators_of(projects)),
    )


def round_sheet_rows(round_: Round, projects) -> tuple[str, list, Iterator[list]]:
    """The 实际完成 sheet of one round for the projects whose report may still be edited
    (rows of submitted or approved reports would be refused when uploaded back)."""
    locked = set(
        Report.objects.filter(round=round_, project__in=projects)
        .exclude(status__in=EDITABLE_STATUSES)
        .values_list("project_id", flat=True)
    )
    return (
        ActualSheet.name,
        SHEET_HEADER,
        _sheet_rows([round_], _indicators_of(projects), lambda _r, i: i.project_id in locked),
    )
