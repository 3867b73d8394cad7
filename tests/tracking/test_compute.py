"""Lights, deviations and scores stored on reports by reports_recompute."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.models import WarningSettings
from tests.factories import ProjectFactory
from tracking.compute import report_budget_part, reports_recompute
from tracking.models import Report, ReportIndicator

from .season import (
    indicator,
    indicators_of,
    monitoring_round,
    project_with_targets,
    self_evaluation_round,
    spend,
)

pytestmark = pytest.mark.django_db
D = Decimal


def put(report: Report, values: dict[str, dict]) -> None:
    """Store lines directly (as an import would), then recompute."""
    by_name = indicators_of(report.project)
    for name, fields in values.items():
        ReportIndicator.objects.update_or_create(
            report=report, indicator=by_name[name], defaults=fields
        )
    reports_recompute([report])
    report.refresh_from_db()


def lights(report: Report) -> dict[str, str]:
    return dict(report.lines.values_list("indicator__name", "light"))


@pytest.fixture
def project(unit_a):
    project = project_with_targets(unit_a)
    indicator(project, "成本指标", "培训成本", "≤20万元")
    indicator(project, "产出指标", "系统上线", "2024年10月31日前")
    spend(project, "50", day=date(2024, 6, 30))
    spend(project, "30", day=date(2024, 8, 15))  # after the monitoring cut-off
    return project


@pytest.mark.parametrize(
    "expected,light",
    [
        ("130人", "blue"),
        ("120人", "blue"),
        ("100人", "green"),
        ("80人", "green"),
        ("79人", "yellow"),
        ("60人", "yellow"),
        ("59人", "red"),
    ],
)
def test_a_higher_is_better_light_follows_the_expected_completion(project, expected, light):
    report = Report.objects.create(round=monitoring_round(), project=project)
    put(report, {"参保人员培训人数": {"expected_raw": expected}})
    assert lights(report)["参保人员培训人数"] == light


def test_lower_is_better_deadline_and_tiers_light_as_the_spec_says(project):
    report = Report.objects.create(round=monitoring_round(), project=project)
    put(
        report,
        {
            "培训成本": {"expected_raw": "25万元"},
            "系统上线": {"expected_raw": "2024-10-31"},
            "经办服务水平": {"expected_raw": "部分达成"},
            "参保群众满意度": {"expected_raw": "50%"},
        },
    )
    assert lights(report) == {
        "培训成本": "red",
        "系统上线": "green",
        "经办服务水平": "yellow",
        "参保群众满意度": "red",
    }
    # The worst light of the project; no expected value yet is not a deviation.
    assert report.target_light == "red"
    assert report.deviations == 3


def test_the_budget_part_counts_only_payments_up_to_the_cut_off(project):
    report = Report.objects.create(round=monitoring_round(), project=project)
    part = report_budget_part(report)
    assert (part.figures.adjusted, part.figures.executed) == (D("100"), D("50"))
    assert f"{part.time_progress:.2f}" == "58.20"
    assert part.warning == "green"


def test_a_budget_warning_counts_as_a_deviation(unit_a):
    project = project_with_targets(unit_a)
    spend(project, "30")  # 30 % < 60 % × 58.20 %: red
    report = Report.objects.create(round=monitoring_round(), project=project)
    put(report, {"参保人员培训人数": {"expected_raw": "100人"}})
    assert (report.budget_warning, report.target_light, report.deviations) == ("red", "green", 1)


def test_self_evaluation_lines_keep_points_completion_and_score(project):
    report = Report.objects.create(round=self_evaluation_round(), project=project)
    put(
        report,
        {
            "参保人员培训人数": {"actual_raw": "90人"},
            "培训成本": {"actual_raw": "20万元"},
            "系统上线": {"actual_raw": "2024-10-20"},
            "经办服务水平": {"actual_raw": "达成"},
            "参保群众满意度": {"actual_raw": "90%"},
        },
    )
    line = report.lines.get(indicator__name="参保人员培训人数")
    # Output group: three indicators share 50 points.
    assert (line.points, line.completion, line.score) == (D("16.6667"), D("0.9"), D("15"))
    # 80 % executed by 12-31 → 8; 50 − 16.6667 × 0.1 + 30 + 10.
    assert (report.execution_score, report.score, report.grade) == (D("8"), D("96.33"), "优")


def test_a_reviewer_score_replaces_the_computed_one(project):
    report = Report.objects.create(round=self_evaluation_round(), project=project)
    put(report, {"经办服务水平": {"actual_raw": "部分达成"}})
    assert report.lines.get().score == D("21")
    ReportIndicator.objects.update(reviewer_score=D("23"))
    reports_recompute([report])
    assert report.lines.get().score == D("23")


def _reports(unit, round_, count: int) -> list[Report]:
    reports = []
    for _ in range(count):
        project = ProjectFactory(unit=unit)
        indicator(project, "产出指标", "人数", "≥10人")
        report = Report.objects.create(round=round_, project=project)
        ReportIndicator.objects.create(
            report=report, indicator=project.indicators.get(), expected_raw="9人"
        )
        reports.append(report)
    return reports


def test_recomputing_runs_the_same_queries_for_5_and_50_reports(unit_a):
    round_ = monitoring_round()
    few_reports = _reports(unit_a, round_, 5)
    reports_recompute([])  # nothing to do, no query
    WarningSettings.current()  # created on first use, not part of the count
    with CaptureQueriesContext(connection) as few:
        reports_recompute(few_reports)
    many_reports = few_reports + _reports(unit_a, round_, 45)
    with CaptureQueriesContext(connection) as many:
        reports_recompute(many_reports)
    assert len(few) == len(many)
    assert set(ReportIndicator.objects.values_list("light", flat=True)) == {"green"}
