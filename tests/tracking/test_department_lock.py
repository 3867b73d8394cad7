"""Department targets lock when the department's self-evaluation is submitted, in every
channel (the workbook, the admin site); a 部门整体目标 import into a year with an open round
creates the department's report there; the bureau sets the group points in the admin."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.importer import run_import
from performance.department_workbook import DEPARTMENT_INDICATOR, DEPARTMENT_TARGETS_LOCKED
from performance.models import DepartmentIndicator, DepartmentScoringSettings, DepartmentTargetLock
from tests.budgets.workbooks import make_workbook
from tests.factories import PaymentFactory, ProjectFactory
from tracking.models import Report
from tracking.services import report_return, report_save, report_submit

from .season import monitoring_round, self_evaluation_round
from .test_department_reports import department_indicator, typed

pytestmark = pytest.mark.django_db

MONITORED = "医保基金监管完成率"
HEADER = ["年度", "部门编码", "一级指标", "二级指标", "三级指标", "指标值", "指标值说明", "权重"]


def target_sheet(tmp_path, *rows):
    return make_workbook(tmp_path / "targets.xlsx", {DEPARTMENT_INDICATOR: [HEADER, *rows]})


@pytest.fixture
def submitted(department_a, unit_a, alice):
    """Department A's self-evaluation, submitted: its targets are locked."""
    project = ProjectFactory(unit=unit_a, initial_budget=Decimal("100"))
    PaymentFactory(project=project, amount=Decimal("95"), date=date(2024, 11, 1))
    department_indicator(department_a, "投入管理指标", "预算执行率", "≥90%")
    department_indicator(department_a, "产出指标", "医保基金监管完成率", "100%")
    round_ = self_evaluation_round()
    report = Report.objects.get(round=round_, department=department_a)
    report = report_save(
        report=report,
        user=alice,
        version=report.version,
        data=typed(report, {"医保基金监管完成率": {"actual_raw": "100%"}}, summary="完成"),
    )
    return report_submit(report=report, user=alice, version=report.version)


def test_the_workbook_may_not_change_or_add_a_locked_department_target(tmp_path, submitted, alice):
    before = list(DepartmentIndicator.objects.values_list("name", "raw"))
    result = run_import(
        target_sheet(
            tmp_path,
            [2024, "309", "产出指标", "", MONITORED, "95%", None, None],
            [2024, "309", "效益指标", "", "群众满意度", "≥90%", None, None],
        ),
        user=alice,
    )
    messages = [p.message for p in result.problems]
    assert messages == [
        DEPARTMENT_TARGETS_LOCKED.format(code="309", year=2024, what="修改"),
        DEPARTMENT_TARGETS_LOCKED.format(code="309", year=2024, what="新增"),
    ]
    assert list(DepartmentIndicator.objects.values_list("name", "raw")) == before


def test_an_unchanged_row_of_a_locked_department_is_accepted(tmp_path, submitted, alice):
    result = run_import(
        target_sheet(tmp_path, [2024, "309", "产出指标", "", MONITORED, "100%", None, None]),
        user=alice,
    )
    assert result.ok


def test_a_return_unlocks_the_targets(tmp_path, submitted, alice, rita, department_a):
    report_return(report=submitted, user=rita, reason="请修改目标")
    assert not DepartmentTargetLock.objects.exists()
    result = run_import(
        target_sheet(tmp_path, [2024, "309", "产出指标", "", MONITORED, "95%", None, None]),
        user=alice,
    )
    assert result.ok
    assert DepartmentIndicator.objects.get(name="医保基金监管完成率").raw == "95%"


def test_the_admin_may_not_change_or_delete_a_locked_target(submitted, adam, client_of):
    indicator = DepartmentIndicator.objects.get(name="医保基金监管完成率")
    admin = client_of(adam)
    url = reverse("admin:performance_departmentindicator_change", args=[indicator.pk])
    response = admin.post(
        url,
        {
            "department": indicator.department_id,
            "year": 2024,
            "level1": "产出指标",
            "level2": "",
            "name": "医保基金监管完成率",
            "raw": "95%",
            "note": "",
            "weight": "",
            "position": 0,
        },
    )
    assert response.status_code == 200
    assert "部门整体目标已锁定" in response.content.decode()
    indicator.refresh_from_db()
    assert indicator.raw == "100%"
    delete = reverse("admin:performance_departmentindicator_delete", args=[indicator.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    assert DepartmentIndicator.objects.filter(pk=indicator.pk).exists()


def test_an_import_of_targets_creates_the_reports_of_the_open_rounds(
    tmp_path, department_a, unit_a, alice
):
    ProjectFactory(unit=unit_a)
    round_ = monitoring_round()
    assert not Report.objects.filter(round=round_, department=department_a).exists()
    result = run_import(
        target_sheet(tmp_path, [2024, "309", "产出指标", "", "监管完成率", "100%", None, None]),
        user=alice,
    )
    assert result.ok
    assert Report.objects.filter(round=round_, department=department_a, status="draft").exists()
    # A dry run creates nothing.
    round_.reports.filter(department=department_a).delete()
    run_import(
        target_sheet(tmp_path, [2024, "309", "产出指标", "", "监管完成率", "99%", None, None]),
        user=alice,
        dry_run=True,
    )
    assert not Report.objects.filter(round=round_, department=department_a).exists()


def test_the_bureau_sets_the_group_points_in_the_admin(adam, client_of):
    admin = client_of(adam)
    add = reverse("admin:performance_departmentscoringsettings_add")
    refused = admin.post(add, {"input_points": "30", "output_points": "40", "benefit_points": "40"})
    assert "合计须为100" in refused.content.decode()
    assert not DepartmentScoringSettings.objects.exists()
    admin.post(add, {"input_points": "20", "output_points": "50", "benefit_points": "30"})
    row = DepartmentScoringSettings.objects.get()
    assert (row.input_points, row.output_points) == (Decimal(20), Decimal(50))
