"""Building blocks of the monitoring and self-evaluation tests: projects with indicators,
rounds, payments, and the form data of a report as a browser would post it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from budgets.models import Division
from performance.models import Indicator
from performance.values import parse_target
from tests.factories import DivisionFactory, PaymentFactory, ProjectFactory
from tracking.choices import Stage
from tracking.models import Report, Round
from tracking.services import LineInput, ReportInput, report_get_or_create, round_open

MONITORING_AS_OF = date(2024, 7, 31)
YEAR_END = date(2024, 12, 31)


def indicator(
    project,
    level1: str,
    name: str,
    raw: str,
    *,
    level2: str = "",
    weight: str | None = None,
    position: int = 0,
) -> Indicator:
    """An indicator stored as the services store it: the meaning parsed beside the raw text."""
    item = Indicator(
        project=project,
        level1=level1,
        level2=level2,
        name=name,
        position=position,
        weight=None if weight is None else Decimal(weight),
    )
    item.set_target(parse_target(raw, project.year))
    item.save()
    return item


def project_with_targets(unit, *, budget: str = "100", name: str = "医保经办服务项目", **extra):
    """A 2024 project with one output, one benefit and one satisfaction indicator."""
    project = ProjectFactory(unit=unit, name=name, initial_budget=Decimal(budget), **extra)
    indicator(project, "产出指标", "参保人员培训人数", "≥100人", level2="数量指标", position=1)
    indicator(project, "效益指标", "经办服务水平", "明显提升", level2="社会效益指标", position=2)
    indicator(project, "满意度指标", "参保群众满意度", "≥90%", level2="服务对象满意度", position=3)
    return project


def spend(project, amount: str, day: date = date(2024, 3, 15)):
    return PaymentFactory(project=project, amount=Decimal(amount), date=day)


def bureau(code: str = "410700") -> Division:
    """The 区划 of a round; the fixture departments (309, 044) are all in 410700 新乡市."""
    return DivisionFactory(code=code)


def monitoring_round(deadline: date = date(2024, 8, 20), division: Division | None = None) -> Round:
    return round_open(
        year=2024,
        stage=Stage.MONITORING,
        as_of=MONITORING_AS_OF,
        deadline=deadline,
        division=division or bureau(),
    )[0]


def self_evaluation_round(
    deadline: date = date(2025, 3, 31), division: Division | None = None
) -> Round:
    return round_open(
        year=2024,
        stage=Stage.SELF_EVALUATION,
        as_of=YEAR_END,
        deadline=deadline,
        division=division or bureau(),
    )[0]


def indicators_of(project) -> dict[str, Indicator]:
    return {i.name: i for i in Indicator.objects.filter(project=project)}


def line_inputs(project, values: dict[str, dict]) -> dict[int, LineInput]:
    """{indicator name: LineInput fields} → the services' {indicator id: LineInput}."""
    by_name = indicators_of(project)
    return {by_name[name].pk: LineInput(**fields) for name, fields in values.items()}


def report_of(round_: Round, project) -> Report:
    return report_get_or_create(round_=round_, project=project)


def report_input(project, values: dict[str, dict], **report_fields) -> ReportInput:
    return ReportInput(lines=line_inputs(project, values), **report_fields)


def form_data(report: Report, values: dict[str, dict], **report_fields) -> dict[str, str]:
    """POST data of the report form: `{name: {"actual_raw": ...}}` plus report-level fields."""
    data = {"version": str(report.version)}
    for name, fields in values.items():
        pk = indicators_of(report.project)[name].pk
        for attr, value in fields.items():
            data[f"{attr}_{pk}"] = value
    data.update({k: str(v) for k, v in report_fields.items()})
    return data


# A monitoring report that can be submitted: every expected value on target (green lights).
ON_TRACK = {
    "参保人员培训人数": {"actual_raw": "60人", "expected_raw": "100人"},
    "经办服务水平": {"actual_raw": "部分达成", "expected_raw": "达成"},
    "参保群众满意度": {"actual_raw": "92%", "expected_raw": "95%"},
}
# A self-evaluation that can be submitted: everything reached.
ALL_REACHED = {
    "参保人员培训人数": {"actual_raw": "100人"},
    "经办服务水平": {"actual_raw": "达成"},
    "参保群众满意度": {"actual_raw": "95%"},
}
