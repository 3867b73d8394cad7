"""The JSON export's department reports (department-targets.md, Outputs): each department's
`monitoring` and `self_evaluation` shaped like a project's, and each target's `actual` — the
latest with 截至日期 on or before the export's date, self-evaluation before monitoring; a
computed one is its figure (live while the report is a draft, as submitted otherwise). Every
figure is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.export import build_export
from tests.factories import DepartmentFactory, PaymentFactory, ProjectFactory, UnitFactory
from tracking.models import Report
from tracking.services import report_save, report_submit

from .season import monitoring_round, self_evaluation_round
from .test_department_reports import department_indicator, typed

pytestmark = pytest.mark.django_db

MONITORING_AS_OF = date(2024, 7, 31)
YEAR_END = date(2024, 12, 31)


@pytest.fixture
def department(department_a, unit_a):
    """Department A: one project of 100 万元, 45 paid by 7月31日 and 40 more on 9月1日; the
    预算执行率 ≥90% is computed, the two others are typed."""
    project = ProjectFactory(unit=unit_a, initial_budget=Decimal("100"))
    PaymentFactory(project=project, amount=Decimal("45"), date=date(2024, 5, 1))
    PaymentFactory(project=project, amount=Decimal("40"), date=date(2024, 9, 1))
    department_indicator(department_a, "投入管理指标", "预算执行率", "≥90%", position=1)
    department_indicator(department_a, "产出指标", "医保基金监管完成率", "100%", position=2)
    department_indicator(department_a, "效益指标", "群众满意度", "≥90%", position=3)
    return department_a


def entry_of(document, code: str = "309") -> dict:
    return next(d for d in document["departments"] if d["code"] == code)


def targets_of(entry) -> dict[str, dict | None]:
    return {t["name"]: t["actual"] for t in entry["targets"]}


def department_report(round_, department) -> Report:
    return Report.objects.get(round=round_, department=department)


def save(report, values: dict, **fields) -> Report:
    return report_save(
        report=report, user=None, version=report.version, data=typed(report, values, **fields)
    )


def test_a_monitoring_draft_exports_its_live_figure_and_typed_values(department):
    round_ = monitoring_round()
    save(
        department_report(round_, department),
        {"医保基金监管完成率": {"actual_raw": "60%", "expected_raw": "100%"}},
    )
    entry = entry_of(build_export(year=2024, as_of=MONITORING_AS_OF))
    # 45 of 100 paid by 7-31, time progress 58.20 %: 45 / 58.20 = 0.77 of it, under the green
    # 0.8 and over the yellow 0.6 → yellow. Lights: 预算执行率 45 % of ≥90 % (0.5 < 0.6) red,
    # 监管完成率 expected 100 % green, 满意度 nothing yet: 1 deviation + the yellow budget = 2.
    assert entry["monitoring"] == {
        "status": "draft",
        "as_of": "2024-07-31",
        "deviations": 2,
        "target_light": "red",
        "budget_warning": "yellow",
        "budget": {
            "initial": "100",
            "adjusted": "100",
            "executed": "45",
            "execution_rate": "45.00",
            "adjustment_rate": "0.00",
            "carryover_rate": "55.00",
            "warning": "yellow",
            "time_progress": "58.20",
        },
    }
    assert entry["self_evaluation"] is None
    actuals = targets_of(entry)
    # The computed figure without its unit, rounded to the hundredth; 45 / 90 = 50 %.
    assert actuals["预算执行率"] == {
        "stage": "运行监控",
        "as_of": "2024-07-31",
        "value": "45.00",
        "raw": "45.00%",
        "completion": "50.00",
        "score": None,
    }
    assert actuals["医保基金监管完成率"] == {
        "stage": "运行监控",
        "as_of": "2024-07-31",
        "value": "60",
        "raw": "60%",
        "completion": "60.00",
        "score": None,
    }
    assert actuals["群众满意度"] is None


def test_the_self_evaluation_wins_and_is_exported_as_submitted(department, alice):
    monitoring_round()
    round_ = self_evaluation_round()
    report = save(
        department_report(round_, department),
        {
            "预算执行率": {"explanation": "部分资金年底支付"},
            "医保基金监管完成率": {"actual_raw": "95%", "explanation": "个别机构未覆盖"},
            "群众满意度": {"actual_raw": "96%"},
        },
        summary="全年目标基本完成",
        low_execution_note="部分资金年底支付",
    )
    report_submit(report=report, user=alice, version=report.version)
    # Paid after submission (still before 12-31): the submitted report keeps 85.
    PaymentFactory(project=department.projects.get(), amount=Decimal("10"), date=date(2024, 12, 1))
    entry = entry_of(build_export(year=2024, as_of=YEAR_END))
    # 85 paid of ≥90 %: completion 85/90 = 94.44 %, 30 × 85/90 = 28.33; 监管完成率 95 % of
    # 100 %: 40 × 0.95 = 38; 满意度 96 % ≥ 90 %: 30 (completion 96/90 = 106.67 %).
    # 28.3333 + 38 + 30 = 96.33 → 优; a department has no execution score.
    assert entry["self_evaluation"] == {
        "status": "submitted",
        "score": "96.33",
        "grade": "优",
        "execution_score": None,
        "budget": {
            "initial": "100",
            "adjusted": "100",
            "executed": "85",
            "execution_rate": "85.00",
            "adjustment_rate": "0.00",
            "carryover_rate": "15.00",
            "warning": "green",
            "time_progress": "100.00",
        },
    }
    actuals = targets_of(entry)
    assert actuals["预算执行率"] == {
        "stage": "绩效自评",
        "as_of": "2024-12-31",
        "value": "85.00",
        "raw": "85.00%",
        "completion": "94.44",
        "score": "28.33",
    }
    assert actuals["医保基金监管完成率"]["completion"] == "95.00"
    assert actuals["医保基金监管完成率"]["score"] == "38.00"
    assert (actuals["群众满意度"]["value"], actuals["群众满意度"]["completion"]) == ("96", "106.67")
    assert actuals["群众满意度"]["score"] == "30.00"
    # The monitoring round's draft is still the department's monitoring (45 by 7-31).
    assert entry["monitoring"]["as_of"] == "2024-07-31"
    assert entry["monitoring"]["budget"]["executed"] == "45"


def test_rounds_after_the_export_date_are_left_out(department):
    monitoring_round()
    report = department_report(self_evaluation_round(), department)
    save(report, {"医保基金监管完成率": {"actual_raw": "95%"}})
    entry = entry_of(build_export(year=2024, as_of=MONITORING_AS_OF))
    # The self-evaluation is as of 12-31, after the export's 7-31: neither it nor its values.
    assert entry["self_evaluation"] is None
    actuals = targets_of(entry)
    assert actuals["预算执行率"]["stage"] == "运行监控"
    assert actuals["医保基金监管完成率"] is None
    entry = entry_of(build_export(year=2024, as_of=date(2024, 7, 30)))
    assert entry["monitoring"] is None
    assert set(targets_of(entry).values()) == {None}


def test_a_null_figure_exports_a_null_value_counted_as_reached(department_a, unit_a):
    ProjectFactory(unit=unit_a, initial_budget=Decimal("10"))
    department_indicator(department_a, "投入管理指标", "“三公经费”控制率", "≤100%")
    department_indicator(department_a, "产出指标", "监管完成率", "100%")
    self_evaluation_round()
    entry = entry_of(build_export(year=2024, as_of=YEAR_END))
    # No 三公经费预算: no rate → 达成 with its note, all its points. No 效益 indicator: its 30
    # points go to 投入管理 and 产出 in proportion, 100 × 30/70 = 42.86.
    assert targets_of(entry)["“三公经费”控制率"] == {
        "stage": "绩效自评",
        "as_of": "2024-12-31",
        "value": None,
        "raw": "无预算，不适用",
        "completion": "100.00",
        "score": "42.86",
    }
    # Nothing typed yet: no score, as for a project's empty draft.
    assert entry["self_evaluation"]["score"] is None
    assert entry["self_evaluation"]["execution_score"] is None


def test_a_department_without_reports_keeps_null_parts(department, department_b):
    entry = entry_of(build_export(year=2024, as_of=YEAR_END))
    assert (entry["monitoring"], entry["self_evaluation"]) == (None, None)
    assert set(targets_of(entry).values()) == {None}


def test_the_department_reports_cost_as_many_queries_for_3_departments_as_for_12(db):
    counts = []
    for n in (3, 12):
        while Report.objects.filter(department__isnull=False).count() < 2 * n:
            department = DepartmentFactory()
            project = ProjectFactory(unit=UnitFactory(department=department))
            PaymentFactory(project=project, amount=Decimal("30"), date=date(2024, 6, 1))
            department_indicator(department, "投入管理指标", "预算执行率", "≥90%")
            department_indicator(department, "产出指标", "完成率", "100%")
            monitoring_round()
            self_evaluation_round()
        with CaptureQueriesContext(connection) as ctx:
            document = build_export(year=2024, as_of=YEAR_END)
        assert all(d["self_evaluation"] is not None for d in document["departments"])
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
