"""Department reports (部门整体绩效, department-targets.md): created by open_round for every
department with 部门整体目标, judged on computed figures (as of the round's date, stored on
submission) and typed values, scored 30/40/30, through the same workflow as project reports.
Every figure below is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from performance.department import NOT_APPLICABLE, computed_metric
from performance.models import DepartmentIndicator, DepartmentScoringSettings, DepartmentTargetLock
from performance.values import parse_target
from tests.factories import DepartmentFactory, PaymentFactory, ProjectFactory, UnitFactory
from tracking.choices import ReportStatus
from tracking.compute import report_evaluation
from tracking.models import Report
from tracking.services import (
    LineInput,
    ReportInput,
    WorkflowError,
    report_approve,
    report_return,
    report_save,
    report_submit,
)

from .season import bureau, monitoring_round, self_evaluation_round

pytestmark = pytest.mark.django_db


def department_indicator(department, level1, name, raw, *, weight=None, position=0):
    item = DepartmentIndicator(
        department=department,
        year=2024,
        level1=level1,
        name=name,
        position=position,
        weight=None if weight is None else Decimal(weight),
        metric=computed_metric(name),
    )
    item.set_target(parse_target(raw, 2024))
    item.save()
    return item


@pytest.fixture
def targets(department_a, unit_a):
    """Department A: one project of 100万元 and three indicators, one in each group; the
    预算执行率 is computed, the other two are typed by the department."""
    project = ProjectFactory(unit=unit_a, initial_budget=Decimal("100"))
    return {
        "project": project,
        "execution": department_indicator(
            department_a, "投入管理指标", "预算执行率", "≥90%", position=1
        ),
        "output": department_indicator(
            department_a, "产出指标", "医保基金监管完成率", "100%", position=2
        ),
        "benefit": department_indicator(department_a, "效益指标", "群众满意度", "≥90%", position=3),
    }


def department_report(round_, department) -> Report:
    return Report.objects.get(round=round_, department=department)


def typed(report, values: dict, **fields) -> ReportInput:
    by_name = {
        i.name: i.pk
        for i in DepartmentIndicator.objects.filter(department=report.department_id, year=2024)
    }
    return ReportInput(
        lines={by_name[name]: LineInput(**v) for name, v in values.items()}, **fields
    )


def test_open_round_creates_one_draft_per_department_with_targets(targets, department_b):
    round_ = monitoring_round()
    reports = Report.objects.filter(round=round_, department__isnull=False)
    # Department B has no 部门整体目标: no department report.
    assert [(r.department_id, r.status) for r in reports] == [
        (targets["project"].department_id, ReportStatus.DRAFT)
    ]
    monitoring_round()  # opening again creates nothing new
    assert Report.objects.filter(round=round_, department__isnull=False).count() == 1


def test_a_department_of_another_division_gets_none(targets):
    other = DepartmentFactory(division=bureau("410100"), code="309")
    department_indicator(other, "产出指标", "监管完成率", "100%")
    round_ = monitoring_round()
    assert set(
        Report.objects.filter(round=round_, department__isnull=False).values_list(
            "department__division__code", flat=True
        )
    ) == {"410700"}


def test_computed_actual_is_the_figure_as_of_the_cut_off_and_lights_the_line(targets):
    project = targets["project"]
    PaymentFactory(project=project, amount=Decimal("45"), date=date(2024, 5, 1))
    PaymentFactory(project=project, amount=Decimal("40"), date=date(2024, 9, 1))  # after 7-31
    round_ = monitoring_round()
    evaluation = report_evaluation(department_report(round_, project.department))
    lines = {i.name: line for i, line in evaluation.lines}
    # 45 / 100 = 45 %; against ≥90 %: completion 0.5 < 0.6 → red.
    assert lines["预算执行率"].computed_value == Decimal("45")
    assert lines["预算执行率"].light == "red"
    # Typed indicators without a value have no light yet.
    assert lines["群众满意度"] is None


def test_self_evaluation_scores_thirty_forty_thirty(targets):
    project = targets["project"]
    PaymentFactory(project=project, amount=Decimal("81"), date=date(2024, 11, 1))
    round_ = self_evaluation_round()
    report = department_report(round_, project.department)
    report = report_save(
        report=report,
        user=None,
        version=report.version,
        data=typed(
            report,
            {"医保基金监管完成率": {"actual_raw": "95%"}, "群众满意度": {"actual_raw": "96%"}},
        ),
    )
    # 预算执行率 81 % of ≥90 %: 30 × 81/90 = 27; 监管完成率 95 % of 100 %: 40 × 0.95 = 38;
    # 满意度 96 % ≥ 90 %: 30. Total 95 → 优. No execution score of its own.
    points = {i.name: (line.points, line.score) for i, line in report_evaluation(report).lines}
    assert points["预算执行率"] == (Decimal("30"), Decimal("27"))
    assert points["医保基金监管完成率"] == (Decimal("40"), Decimal("38"))
    assert points["群众满意度"] == (Decimal("30"), Decimal("30"))
    assert (report.score, report.grade, report.execution_score) == (Decimal("95.00"), "优", None)


def test_the_bureau_changes_the_group_points(targets):
    DepartmentScoringSettings.objects.create(
        pk=1, input_points=Decimal(20), output_points=Decimal(50), benefit_points=Decimal(30)
    )
    round_ = self_evaluation_round()
    report = department_report(round_, targets["project"].department)
    points = {i.name: line and line.points for i, line in report_evaluation(report).lines}
    assert points["预算执行率"] == Decimal("20")


def test_satisfaction_counts_in_benefit_and_weights_are_absolute(department_a, targets):
    department_indicator(department_a, "满意度指标", "服务对象满意度", "≥95%", position=4)
    round_ = self_evaluation_round()
    report = department_report(round_, department_a)
    points = {i.name: line and line.points for i, line in report_evaluation(report).lines}
    # 效益 30 shared by 群众满意度 and 服务对象满意度: 15 each.
    assert points["预算执行率"] == Decimal("30")
    assert points["服务对象满意度"] is None  # no line until typed; the preview shows 15
    DepartmentIndicator.objects.filter(department=department_a).update(weight=Decimal(25))
    report_save(
        report=report,
        user=None,
        version=report.version,
        data=typed(report, {"服务对象满意度": {"actual_raw": "96%"}}),
    )
    lines = {i.name: line for i, line in report_evaluation(report).lines}
    assert lines["服务对象满意度"].points == Decimal("25")
    assert lines["预算执行率"].points == Decimal("25")


def test_a_null_figure_counts_as_reached_with_its_note(department_a, unit_a):
    ProjectFactory(unit=unit_a, initial_budget=Decimal("10"))
    department_indicator(department_a, "投入管理指标", "“三公经费”控制率", "≤100%")
    department_indicator(department_a, "产出指标", "监管完成率", "100%")
    round_ = self_evaluation_round()
    report = department_report(round_, department_a)
    lines = {i.name: line for i, line in report_evaluation(report).lines}
    control = lines["“三公经费”控制率"]
    # No 三公经费预算: the rate is null → 达成 (100 % of the points), with the note. No 效益
    # group: its 30 points go to 投入管理 and 产出 in proportion, 100 × 30/70 = 42.8571.
    assert control.computed_value is None
    assert control.score == control.points == Decimal("42.8571")


def test_an_empty_draft_has_no_score_until_a_typed_value(targets):
    round_ = self_evaluation_round()
    report = department_report(round_, targets["project"].department)
    assert report_evaluation(report).report.score is None


def test_the_season_freezes_computed_values_and_locks_the_targets(targets, alice, rita):
    project = targets["project"]
    PaymentFactory(project=project, amount=Decimal("90"), date=date(2024, 10, 1))
    round_ = self_evaluation_round()
    report = department_report(round_, project.department)
    values = {"医保基金监管完成率": {"actual_raw": "100%"}, "群众满意度": {"actual_raw": "95%"}}
    report = report_save(
        report=report,
        user=alice,
        version=report.version,
        data=typed(report, values, summary="全年目标完成"),
    )
    report = report_submit(report=report, user=alice, version=report.version)
    assert report.status == ReportStatus.SUBMITTED
    assert report.score == Decimal("100.00")
    assert DepartmentTargetLock.objects.filter(department=project.department, year=2024).exists()
    stored = report.lines.get(department_indicator=targets["execution"])
    assert stored.computed_value == Decimal("90")
    assert stored.frozen_metric == "execution_rate"

    # A later payment changes the live figure, not the submitted report.
    PaymentFactory(project=project, amount=Decimal("5"), date=date(2024, 12, 1))
    again = report_evaluation(Report.objects.get(pk=report.pk))
    line = {i.name: line for i, line in again.lines}["预算执行率"]
    assert line.computed_value == Decimal("90")
    assert again.budget.figures.executed == Decimal("90")

    report = report_return(report=report, user=rita, reason="请补充说明")
    assert not DepartmentTargetLock.objects.filter(department=project.department).exists()
    live = {i.name: line for i, line in report_evaluation(report).lines}["预算执行率"]
    assert live.computed_value == Decimal("95")

    report = report_submit(report=report, user=alice, version=report.version)
    report = report_approve(report=report, user=rita)
    assert report.status == ReportStatus.APPROVED


def test_submission_lists_the_missing_typed_values(targets, alice):
    round_ = self_evaluation_round()
    report = department_report(round_, targets["project"].department)
    with pytest.raises(WorkflowError) as caught:
        report_submit(report=report, user=alice, version=report.version)
    messages = "\n".join(caught.value.messages)
    assert "指标“医保基金监管完成率”缺少实际完成值" in messages
    assert "指标“群众满意度”缺少实际完成值" in messages
    # The computed indicator is never missing: the system fills it in.
    assert "预算执行率”缺少" not in messages
    assert Report.objects.get(pk=report.pk).status == ReportStatus.DRAFT


def test_a_typed_value_for_a_computed_indicator_is_not_kept(targets, alice):
    round_ = monitoring_round()
    report = department_report(round_, targets["project"].department)
    report_save(
        report=report,
        user=alice,
        version=report.version,
        data=typed(report, {"预算执行率": {"actual_raw": "99%", "expected_raw": "99%"}}),
    )
    line = report.lines.get(department_indicator=targets["execution"])
    assert (line.actual_raw, line.expected_raw) == ("", "")


def test_staff_of_another_department_cannot_see_or_change_it(targets, bob, alice, client_of):
    round_ = monitoring_round()
    report = department_report(round_, targets["project"].department)
    for name in ("report_detail", "report_edit", "report_print", "report_xlsx"):
        assert client_of(bob).get(reverse(f"tracking:{name}", args=[report.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        report_save(report=report, user=bob, version=report.version, data=ReportInput())
    assert (
        client_of(alice).get(reverse("tracking:report_edit", args=[report.pk])).status_code == 200
    )


def test_the_printout_is_the_department_table(targets, alice, client_of):
    project = targets["project"]
    PaymentFactory(project=project, amount=Decimal("45"), date=date(2024, 5, 1))
    round_ = self_evaluation_round()
    report = department_report(round_, project.department)
    page = client_of(alice).get(reverse("tracking:report_print", args=[report.pk]))
    text = page.content.decode()
    assert "部门整体绩效自评表" in text
    assert "45.00%（系统计算）" in text
    monitoring = department_report(monitoring_round(), project.department)
    text = client_of(alice).get(reverse("tracking:report_print", args=[monitoring.pk]))
    assert "部门整体运行监控表" in text.content.decode()


def test_not_applicable_note_is_shown(department_a, unit_a, alice, client_of):
    ProjectFactory(unit=unit_a, initial_budget=Decimal("10"))
    department_indicator(department_a, "投入管理指标", "政府采购执行率", "≥95%")
    round_ = self_evaluation_round()
    report = department_report(round_, department_a)
    text = client_of(alice).get(reverse("tracking:report_detail", args=[report.pk]))
    assert f"{NOT_APPLICABLE}（系统计算）" in text.content.decode()


def test_the_review_queue_holds_submitted_department_reports(targets, alice, rita, client_of):
    project = targets["project"]
    PaymentFactory(project=project, amount=Decimal("90"), date=date(2024, 10, 1))
    round_ = self_evaluation_round()
    report = department_report(round_, project.department)
    report = report_save(
        report=report,
        user=alice,
        version=report.version,
        data=typed(
            report,
            {"医保基金监管完成率": {"actual_raw": "100%"}, "群众满意度": {"actual_raw": "95%"}},
            summary="完成",
        ),
    )
    report_submit(report=report, user=alice, version=report.version)
    page = client_of(rita).get(reverse("tracking:review_queue")).content.decode()
    assert "部门整体" in page
    assert (
        client_of(rita).get(reverse("tracking:report_review", args=[report.pk])).status_code == 200
    )


def test_department_without_division_units_is_not_confused_with_projects(targets):
    # A project report and a department report of the same department live side by side.
    UnitFactory(department=targets["project"].department)
    round_ = monitoring_round()
    assert Report.objects.filter(round=round_, project__isnull=True).count() == 1


def test_reminders_name_the_department_report(targets):
    from tracking.notifications import pending_departments

    round_ = monitoring_round()
    pending = pending_departments([round_])
    assert [(p.department_id, p.owed) for p in pending] == [
        (targets["project"].department_id, "1个项目和部门整体绩效报告")
    ]
    assert "· 部门整体绩效报告" in pending[0].lines


def test_a_whole_season_in_the_pages(targets, alice, rita, client_of):
    """Fill (the computed line shown, not typed), submit, return, fix, submit, approve, print."""
    project = targets["project"]
    PaymentFactory(project=project, amount=Decimal("90"), date=date(2024, 10, 1))
    round_ = self_evaluation_round()
    report = department_report(round_, project.department)
    staff, bureau_ = client_of(alice), client_of(rita)

    round_page = staff.get(reverse("tracking:round_detail", args=[round_.pk])).content.decode()
    assert 'id="department-reports"' in round_page and "部门整体绩效自评" in round_page

    edit_url = reverse("tracking:report_edit", args=[report.pk])
    form = staff.get(edit_url).content.decode()
    assert "90.00%（系统计算）" in form
    assert f'name="actual_raw_{targets["execution"].pk}"' not in form
    data = {
        "version": str(report.version),
        f"actual_raw_{targets['output'].pk}": "100%",
        f"actual_raw_{targets['benefit'].pk}": "80%",
        "summary": "",
        "save": "1",
    }
    # 满意度 80 % of ≥90 %: below full marks, and no summary yet: both named at once.
    refused = staff.post(reverse("tracking:report_submit", args=[report.pk]), data)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "指标“群众满意度”未完全达成目标" in text and "请填写总体情况说明" in text
    report.refresh_from_db()
    data.update(
        {
            "version": str(report.version),
            f"explanation_{targets['benefit'].pk}": "宣传不足",
            "summary": "基本完成",
        }
    )
    staff.post(reverse("tracking:report_submit", args=[report.pk]), data)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    # 30 (90 % of ≥90 %) + 40 + 30 × 80/90 = 96.67.
    assert report.score == Decimal("96.67")

    review_url = reverse("tracking:report_review", args=[report.pk])
    bureau_.post(review_url, {"action": "return", "reason": "满意度说明不充分"})
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    data.update({"version": str(report.version), f"explanation_{targets['benefit'].pk}": "已整改"})
    staff.post(reverse("tracking:report_submit", args=[report.pk]), data)
    bureau_.post(review_url, {"action": "approve", "comment": ""})
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    printed = staff.get(reverse("tracking:report_print", args=[report.pk])).content.decode()
    assert "部门整体绩效自评表" in printed and "96.67" in printed and "等级：优" in printed


def test_round_progress_counts_project_reports_against_projects(targets, rita, alice):
    from tracking.selectors import rounds_for_user

    monitoring_round()
    for user in (rita, alice):
        progress = rounds_for_user(user)[0]
        # One project, not started; the department report is not one of the projects.
        assert (progress.total, progress.started) == (1, 0)
