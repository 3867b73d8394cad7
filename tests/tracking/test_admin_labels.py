"""Reports in the admin show lights and the budget warning by their Chinese labels."""

from __future__ import annotations

import pytest

from budgets.choices import Warning
from tracking.choices import Light
from tracking.models import Report, ReportIndicator

from .season import monitoring_round, project_with_targets, report_of

pytestmark = pytest.mark.django_db

REPORTS = "/admin/tracking/report/"


@pytest.fixture
def report(unit_a):
    report = report_of(monitoring_round(), project_with_targets(unit_a, name="甲部门项目"))
    # Set as compute.py would store them: values, not labels.
    Report.objects.filter(pk=report.pk).update(
        budget_warning=Warning.YELLOW, target_light=Light.GREEN
    )
    first = report.project.indicators.order_by("position").first()
    ReportIndicator.objects.create(
        report=report, indicator=first, actual_raw="10人", light=Light.RED
    )
    return Report.objects.get(pk=report.pk)


def test_the_report_list_shows_the_light_and_the_warning_in_chinese(client_of, adam, report):
    html = client_of(adam).get(REPORTS).content.decode()
    assert ">黄色预警<" in html and ">绿灯<" in html
    assert ">yellow<" not in html and ">green<" not in html


def test_the_report_page_shows_the_warning_and_the_lines_lights_in_chinese(client_of, adam, report):
    html = client_of(adam).get(f"{REPORTS}{report.pk}/change/").content.decode()
    assert "预算预警" in html and "黄色预警" in html and "红灯" in html
    assert ">yellow<" not in html and ">red<" not in html
    # Still computed, never typed: no input for it.
    assert 'name="budget_warning"' not in html


def test_a_report_without_a_budget_warning_shows_a_dash(client_of, adam, report):
    Report.objects.filter(pk=report.pk).update(budget_warning="")
    html = client_of(adam).get(REPORTS).content.decode()
    assert 'class="field-budget_warning_label">—<' in html
