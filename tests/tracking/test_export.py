"""The tracking part of the JSON export: monitoring, self-evaluation, actuals, rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from budgets.export import build_export
from performance.models import Indicator
from performance.values import parse_target
from tests.factories import PaymentFactory, ProjectFactory
from tests.tracking.season import bureau
from tracking.choices import Stage
from tracking.services import (
    LineInput,
    ReportInput,
    report_approve,
    report_get_or_create,
    report_save,
    report_submit,
    round_open,
)


def indicator(project, level1, name, raw, weight=None):
    item = Indicator(project=project, level1=level1, name=name, weight=weight)
    item.set_target(parse_target(raw, project.year))
    item.save()
    return item


@pytest.fixture
def season(unit_a, rita):
    project = ProjectFactory(unit=unit_a, code="P1", initial_budget=Decimal("0.3"))
    other = ProjectFactory(unit=unit_a, code="P2", initial_budget=Decimal("10"))
    PaymentFactory(project=project, amount=Decimal("0.3"), date=date(2024, 6, 30))
    cost = indicator(project, "成本指标", "信息网络费总额", "≤0.3万元")
    output = indicator(project, "产出指标", "网络正常运行率", "≥95%")
    benefit = indicator(project, "效益指标", "工作效率", "明显提升")
    satisfaction = indicator(project, "满意度指标", "满意度", "≥90%")
    monitoring, _ = round_open(
        division=bureau(),
        year=2024,
        stage=Stage.MONITORING,
        as_of=date(2024, 7, 31),
        deadline=date(2024, 8, 15),
    )
    report = report_get_or_create(round_=monitoring, project=project)
    report = report_save(
        report=report,
        user=None,
        version=report.version,
        data=ReportInput(
            lines={
                cost.pk: LineInput(actual_raw="0.3万元", expected_raw="0.3万元"),
                output.pk: LineInput(actual_raw="96%", expected_raw="96%"),
                benefit.pk: LineInput(actual_raw="达成", expected_raw="达成"),
                satisfaction.pk: LineInput(actual_raw="92%", expected_raw="92%"),
            }
        ),
    )
    report_submit(report=report, user=None, version=report.version)
    evaluation, _ = round_open(
        division=bureau(),
        year=2024,
        stage=Stage.SELF_EVALUATION,
        as_of=date(2024, 12, 31),
        deadline=date(2025, 1, 31),
    )
    final = report_get_or_create(round_=evaluation, project=project)
    final = report_save(
        report=final,
        user=None,
        version=final.version,
        data=ReportInput(
            lines={
                cost.pk: LineInput(actual_raw="0.3万元"),
                output.pk: LineInput(actual_raw="95%", explanation="个别单位未完成"),
                benefit.pk: LineInput(actual_raw="部分达成", explanation="效率提升不及预期"),
                satisfaction.pk: LineInput(actual_raw="90%", explanation="部分群众不满意"),
            },
            summary="年度目标基本完成",
        ),
    )
    final = report_submit(report=final, user=None, version=final.version)
    report_approve(report=final, user=rita)
    return project, other


def project_entry(document, code):
    return next(p for p in document["projects"] if p["code"] == code)


def report_budget(time_progress: str) -> dict[str, str]:
    """P1's budget part in its reports: 0.3 万元 spent of 0.3 by 6月30日."""
    return {
        "initial": "0.3",
        "adjusted": "0.3",
        "executed": "0.3",
        "execution_rate": "100.00",
        "adjustment_rate": "0.00",
        "carryover_rate": "0.00",
        "warning": "green",
        "time_progress": time_progress,
    }


def test_the_export_carries_monitoring_self_evaluation_and_latest_actuals(season):
    document = build_export(year=2024, as_of=date(2024, 12, 31))
    entry = project_entry(document, "P1")
    assert entry["monitoring"] == {
        "status": "submitted",
        "as_of": "2024-07-31",
        "deviations": 0,
        "target_light": "green",
        "budget_warning": "green",
        "budget": report_budget("58.20"),
    }
    # 10 (execution 100 %) + 25 + 25 (产出 group) + 30 × 70 % (部分达成) + 10 = 91.00
    assert entry["self_evaluation"] == {
        "status": "approved",
        "score": "91.00",
        "grade": "优",
        "execution_score": "10.00",
        "budget": report_budget("100.00"),
    }
    cost = entry["indicators"][0]
    assert cost["actual"] == {
        "stage": "绩效自评",
        "as_of": "2024-12-31",
        "value": "0.3",
        "raw": "0.3万元",
        "completion": "100.00",
        "score": "25.00",
    }
    assert "_id" not in cost
    benefit = entry["indicators"][2]
    assert benefit["actual"]["value"] == "部分达成"
    assert benefit["actual"]["completion"] == "70.00"


def test_department_completion_rates_count_submitted_reports(season):
    document = build_export(year=2024, as_of=date(2024, 12, 31))
    (department,) = document["departments"]
    assert department["monitoring_completion_rate"] == "50.00"
    assert department["self_evaluation_completion_rate"] == "50.00"
    # P2 has no indicators: its targets fail review.
    assert department["target_completion_rate"] == "50.00"


def test_a_project_without_reports_has_null_monitoring_and_self_evaluation(season):
    entry = project_entry(build_export(year=2024, as_of=date(2024, 12, 31)), "P2")
    assert entry["monitoring"] is None and entry["self_evaluation"] is None
    assert entry["indicators"] == []


def test_the_export_runs_a_constant_number_of_queries(season, unit_a, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        build_export(year=2024, as_of=date(2024, 12, 31))
    for n in range(10):
        project = ProjectFactory(unit=unit_a, code=f"X{n}")
        indicator(project, "产出指标", "数量", "≥10个")
        PaymentFactory(project=project)
    with CaptureQueriesContext(connection) as large:
        build_export(year=2024, as_of=date(2024, 12, 31))
    assert len(large) == len(small)
