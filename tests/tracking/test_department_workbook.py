"""实际完成 rows of a department's own indicators (部门整体目标, department-targets.md): a row
with 部门编码 and an empty 项目编码 goes into the department report of the round of the
department's 区划; a computed indicator's values are the system's (blank or equal to the figure
is unchanged, anything else an error naming it); all or nothing; the department's statements
(its staff and admins only); an unchanged export re-imports with no change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from budgets.importer import NO_PERMISSION_DEPARTMENT, SHEET_NOT_PERMITTED, run_import
from budgets.models import WarningSettings
from budgets.workbook import PROJECT_OF_OTHER_DEPARTMENT, UNKNOWN_DEPARTMENT
from tests.budgets.workbooks import database_state, make_workbook
from tests.factories import PaymentFactory, ProjectFactory
from tracking.choices import ReportStatus, Stage
from tracking.models import Report, ReportIndicator
from tracking.services import report_save, report_submit
from tracking.workbook import (
    CODE_REQUIRED,
    COMPUTED_VALUE_GIVEN,
    DEPARTMENT_REPORT_LOCKED,
    ROUND_NOT_OPENED,
    UNKNOWN_DEPARTMENT_INDICATOR,
)

from .season import monitoring_round, self_evaluation_round
from .test_department_reports import department_indicator, typed

pytestmark = pytest.mark.django_db

HEADER = [
    "项目编码",
    "一级指标",
    "三级指标",
    "阶段",
    "截至日期",
    "实际完成值",
    "全年预计完成值",
    "偏差原因",
    "改进措施",
    "部门编码",
]
MONITORING = (Stage.MONITORING, date(2024, 7, 31))
SELF_EVALUATION = (Stage.SELF_EVALUATION, date(2024, 12, 31))


def row(level1, name, actual="", expected="", cause="", measure="", *, when=MONITORING, code="309"):
    """A department indicator's row: 部门编码 filled, 项目编码 empty."""
    return ["", level1, name, *when, actual, expected, cause, measure, code]


def book(tmp_path, *rows, header=HEADER):
    return make_workbook(tmp_path / "actuals.xlsx", {"实际完成": [header, *rows]})


def problems(result) -> list[str]:
    return [str(p) for p in result.problems]


@pytest.fixture
def department(department_a, unit_a):
    """Department A: one project of 100 万元 with 45 paid by 7月31日 (预算执行率 45 %), and its
    three indicators: the computed 预算执行率 and two typed ones."""
    project = ProjectFactory(unit=unit_a, initial_budget=Decimal("100"))
    PaymentFactory(project=project, amount=Decimal("45"), date=date(2024, 5, 1))
    department_indicator(department_a, "投入管理指标", "预算执行率", "≥90%", position=1)
    department_indicator(department_a, "产出指标", "医保基金监管完成率", "100%", position=2)
    department_indicator(department_a, "效益指标", "群众满意度", "≥90%", position=3)
    # Created on first use by any page; made here so "nothing changed" compares like with like.
    WarningSettings.current()
    return department_a


def report_of(round_, department) -> Report:
    return Report.objects.get(round=round_, department=department)


def line_of(report, name) -> ReportIndicator:
    return report.lines.get(department_indicator__name=name)


# --- import ----------------------------------------------------------------------------------


def test_typed_values_go_into_the_draft_department_report(department, alice, tmp_path):
    round_ = monitoring_round()
    path = book(
        tmp_path,
        row("产出指标", "医保基金监管完成率", "40%", "70%", "【人员保障】人手不足", "增派人员"),
        row("效益指标", "群众满意度", "92%", "95%"),
    )
    result = run_import(path, user=alice)
    assert result.ok, problems(result)
    assert result.counts[("实际完成", "created")] == 2
    report = report_of(round_, department)
    line = line_of(report, "医保基金监管完成率")
    assert (line.actual_raw, line.expected_raw, line.cause_category, line.cause) == (
        "40%",
        "70%",
        "人员保障",
        "人手不足",
    )
    assert (line.measure, line.indicator_id) == ("增派人员", None)
    # Recomputed at once: 70 % expected of 100 % (0.7, under 0.8) is yellow, 预算执行率 45 %
    # of ≥90 % (0.5) red, 满意度 95 % green; two deviations and the yellow budget (45 / 58.20
    # = 0.77 of the time progress).
    assert line.light == "yellow"
    assert (report.status, report.target_light, report.deviations) == (
        ReportStatus.DRAFT,
        "red",
        3,
    )
    assert report.version == 2
    assert {h.history_user for h in ReportIndicator.history.all()} == {alice}


def test_a_computed_indicator_blank_or_equal_to_its_figure_is_unchanged(
    department, alice, tmp_path
):
    round_ = monitoring_round()
    before = database_state()
    for values in (
        ("45.00%",),  # as the export writes it
        ("45%", "45.00%"),  # the same percentage typed otherwise
        ("", "", "", ""),  # blank: a pre-filled row nobody filled in, not even counted
    ):
        result = run_import(book(tmp_path, row("投入管理指标", "预算执行率", *values)), user=alice)
        assert result.ok, problems(result)
        assert dict(result.counts) == ({} if values[0] == "" else {("实际完成", "unchanged"): 1})
    assert database_state() == before
    assert not report_of(round_, department).lines.exists()


def test_a_computed_indicators_other_value_is_an_error_naming_it(department, alice, tmp_path):
    monitoring_round()
    before = database_state()
    path = book(tmp_path, row("投入管理指标", "预算执行率", "95%", "95%"))
    result = run_import(path, user=alice)
    message = COMPUTED_VALUE_GIVEN.format(name="预算执行率", as_of="2024-07-31", figure="45.00%")
    assert problems(result) == [f"实际完成, 第2行, 实际完成值: {message}"]
    assert "指标“预算执行率”由系统计算" in message
    assert database_state() == before


def test_a_computed_indicators_cause_is_kept_without_a_value(department, alice, tmp_path):
    round_ = monitoring_round()
    path = book(
        tmp_path, row("投入管理指标", "预算执行率", "", "", "【经费保障】资金未到位", "加快支付")
    )
    result = run_import(path, user=alice)
    assert result.ok, problems(result)
    line = line_of(report_of(round_, department), "预算执行率")
    assert (line.actual_raw, line.expected_raw) == ("", "")
    assert (line.cause_category, line.cause, line.measure) == ("经费保障", "资金未到位", "加快支付")
    # Lit from its figure, as the report page shows it: 45 % of ≥90 % is red.
    assert line.light == "red"


def test_unknown_department_indicators_and_departments_are_errors(department, alice, tmp_path):
    monitoring_round()
    path = book(
        tmp_path,
        row("产出指标", "不存在的指标", "90%"),
        row("产出指标", "医保基金监管完成率", "90%", code="999"),
        row("成本指标", "医保基金监管完成率", "90%"),
        ["", "产出指标", "医保基金监管完成率", *MONITORING, "90%", "", "", "", ""],
    )
    result = run_import(path)
    unknown = UNKNOWN_DEPARTMENT_INDICATOR.format(
        code="309", year=2024, level1="产出指标", name="不存在的指标"
    )
    assert problems(result) == [
        f"实际完成, 第2行, 三级指标: {unknown}",
        f"实际完成, 第3行, 部门编码: {UNKNOWN_DEPARTMENT.format(code='999')}",
        "实际完成, 第4行, 一级指标: "
        "一级指标“成本指标”无效，应为投入管理指标、产出指标、效益指标或满意度指标",
        f"实际完成, 第5行, 项目编码: {CODE_REQUIRED}",
    ]


def test_a_round_must_be_open_for_the_departments_division(department, alice, tmp_path):
    path = book(tmp_path, row("产出指标", "医保基金监管完成率", "90%"))
    message = ROUND_NOT_OPENED.format(
        year=2024, stage=Stage.MONITORING, as_of="2024-07-31", division="410700"
    )
    assert problems(run_import(path, user=alice)) == [f"实际完成, 第2行, 截至日期: {message}"]


def test_another_departments_staff_and_a_reviewer_are_refused(department, bob, rita, tmp_path):
    monitoring_round()
    path = book(tmp_path, row("产出指标", "医保基金监管完成率", "90%"))
    before = database_state()
    message = NO_PERMISSION_DEPARTMENT.format(code="309")
    assert problems(run_import(path, user=bob)) == [f"实际完成, 第2行, 部门编码: {message}"]
    # A reviewer may not import a department's statements at all.
    refused = SHEET_NOT_PERMITTED.format(sheet="“实际完成”")
    assert problems(run_import(path, user=rita)) == [f"实际完成: {refused}"]
    assert database_state() == before


def test_a_submitted_department_report_refuses_changes_but_not_identical_rows(
    department, alice, tmp_path
):
    round_ = self_evaluation_round()
    report = report_of(round_, department)
    report = report_save(
        report=report,
        user=alice,
        version=report.version,
        data=typed(
            report,
            {
                "预算执行率": {"explanation": "年底集中支付"},
                "医保基金监管完成率": {"actual_raw": "100%"},
                "群众满意度": {"actual_raw": "95%"},
            },
            summary="完成",
            low_execution_note="年底集中支付",
        ),
    )
    report_submit(report=report, user=alice, version=report.version)
    before = database_state()
    identical = book(
        tmp_path,
        row("投入管理指标", "预算执行率", "45.00%", "", "年底集中支付", when=SELF_EVALUATION),
        row("产出指标", "医保基金监管完成率", "100%", when=SELF_EVALUATION),
    )
    result = run_import(identical, user=alice)
    assert result.ok, problems(result)
    assert dict(result.counts) == {("实际完成", "unchanged"): 2}
    assert database_state() == before
    changed = book(
        tmp_path,
        row("产出指标", "医保基金监管完成率", "100%", when=SELF_EVALUATION),
        row("效益指标", "群众满意度", "96%", when=SELF_EVALUATION),
    )
    message = DEPARTMENT_REPORT_LOCKED.format(
        code="309", stage=Stage.SELF_EVALUATION, status="已提交"
    )
    assert problems(run_import(changed, user=alice)) == [f"实际完成, 第3行, 阶段: {message}"]
    assert database_state() == before


def test_one_bad_row_writes_nothing(department, alice, tmp_path):
    monitoring_round()
    before = database_state()
    path = book(
        tmp_path,
        row("产出指标", "医保基金监管完成率", "90%", "100%"),
        row("效益指标", "群众满意度", "很满意"),
    )
    result = run_import(path, user=alice)
    assert problems(result) == [
        "实际完成, 第3行, 实际完成值: 定量指标的实际完成值应为数字（如“90%”），不能是“很满意”"
    ]
    assert database_state() == before


def test_a_projects_row_with_another_departments_code_is_an_error(
    department, department_b, alice, tmp_path
):
    monitoring_round()
    project = department.projects.get()
    path = book(
        tmp_path,
        [project.code, "产出指标", "数量", *MONITORING, "1个", "", "", "", "044"],
    )
    message = PROJECT_OF_OTHER_DEPARTMENT.format(code=project.code, owner="309", code_given="044")
    assert problems(run_import(path)) == [f"实际完成, 第2行, 项目编码: {message}"]


def test_the_department_report_is_created_when_missing(department, alice, tmp_path):
    round_ = monitoring_round()
    Report.objects.filter(department=department).delete()
    path = book(tmp_path, row("产出指标", "医保基金监管完成率", "90%", "100%"))
    result = run_import(path, user=alice)
    assert result.ok, problems(result)
    assert line_of(report_of(round_, department), "医保基金监管完成率").actual_raw == "90%"
    # Its computed indicator, without a report when read, compared with the live figure.
    Report.objects.filter(department=department).delete()
    path = book(tmp_path, row("投入管理指标", "预算执行率", "50%"))
    message = COMPUTED_VALUE_GIVEN.format(name="预算执行率", as_of="2024-07-31", figure="45.00%")
    assert problems(run_import(path, user=alice)) == [f"实际完成, 第2行, 实际完成值: {message}"]


# --- export and re-import --------------------------------------------------------------------


def sheet_rows(path_or_bytes) -> list[list]:
    source = BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    sheet = openpyxl.load_workbook(source)["实际完成"]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_year_export_holds_the_department_rows_and_re_imports_unchanged(
    department, alice, tmp_path
):
    from budgets.exporter import write_workbook

    monitoring = monitoring_round()
    report = report_of(monitoring, department)
    report_save(
        report=report,
        user=alice,
        version=report.version,
        data=typed(
            report,
            {
                "预算执行率": {"cause_category": "经费保障", "cause": "资金未到位"},
                "医保基金监管完成率": {"actual_raw": "60%", "expected_raw": "100%"},
            },
        ),
    )
    evaluation = self_evaluation_round()
    report = report_of(evaluation, department)
    report = report_save(
        report=report,
        user=alice,
        version=report.version,
        data=typed(
            report,
            {
                "预算执行率": {"explanation": "年底集中支付"},
                "医保基金监管完成率": {"actual_raw": "100%"},
                "群众满意度": {"actual_raw": "95%"},
            },
            summary="完成",
            low_execution_note="年底集中支付",
        ),
    )
    report_submit(report=report, user=alice, version=report.version)
    path = tmp_path / "year.xlsx"
    write_workbook(path, year=2024)
    rows = sheet_rows(path)
    header = rows[0]
    department_rows = [
        dict(zip(header, r, strict=True)) for r in rows[1:] if r[header.index("部门编码")]
    ]
    shown = [
        (r["项目编码"], r["三级指标"], r["阶段"], r["实际完成值"], r["偏差原因"], r["区划编码"])
        for r in department_rows
    ]
    # Department rows carry 部门编码 and 区划编码, never a 项目编码; a computed indicator shows
    # its figure (live for the monitoring draft, as submitted for the self-evaluation).
    assert shown == [
        (None, "预算执行率", "运行监控", "45.00%", "【经费保障】资金未到位", "410700"),
        (None, "医保基金监管完成率", "运行监控", "60%", None, "410700"),
        (None, "群众满意度", "运行监控", None, None, "410700"),
        (None, "预算执行率", "绩效自评", "45.00%", "年底集中支付", "410700"),
        (None, "医保基金监管完成率", "绩效自评", "100%", None, "410700"),
        (None, "群众满意度", "绩效自评", "95%", None, "410700"),
    ]
    # 5 unchanged: the monitoring 满意度 row is blank (nothing to import, not counted).
    before = database_state()
    result = run_import(path, user=alice)
    assert result.ok, problems(result)
    assert result.counts[("实际完成", "unchanged")] == 5
    assert {action for entity, action in result.counts if entity == "实际完成"} == {"unchanged"}
    assert database_state() == before


def test_the_round_download_lists_the_department_rows_first_and_uploads_back(
    department, alice, client_of, tmp_path
):
    round_ = monitoring_round()
    client = client_of(alice)
    response = client.get(reverse("tracking:round_sheet_download", args=[round_.pk]))
    rows = sheet_rows(response.content)
    header = rows[0]
    names = [(r[header.index("部门编码")], r[2]) for r in rows[1:]]
    # The project has no indicators: only the department's three rows.
    assert names == [("309", "预算执行率"), ("309", "医保基金监管完成率"), ("309", "群众满意度")]
    filled = [header]
    for r in rows[1:]:
        r = list(r)
        if r[2] == "医保基金监管完成率":
            r[header.index("实际完成值")] = "60%"
            r[header.index("全年预计完成值")] = "100%"
        filled.append(r)
    path = make_workbook(tmp_path / "filled.xlsx", {"实际完成": filled})
    response = client.post(
        reverse("tracking:round_sheet_upload", args=[round_.pk]),
        {"file": SimpleUploadedFile("filled.xlsx", path.read_bytes())},
        follow=True,
    )
    assert "实际完成 新增1 更新0 未变1" in response.content.decode()
    assert line_of(report_of(round_, department), "医保基金监管完成率").expected_raw == "100%"


def test_a_submitted_department_report_is_left_out_of_the_round_download(
    department, alice, client_of
):
    round_ = self_evaluation_round()
    report = report_of(round_, department)
    report = report_save(
        report=report,
        user=alice,
        version=report.version,
        data=typed(
            report,
            {
                "预算执行率": {"explanation": "年底集中支付"},
                "医保基金监管完成率": {"actual_raw": "100%"},
                "群众满意度": {"actual_raw": "95%"},
            },
            summary="完成",
            low_execution_note="年底集中支付",
        ),
    )
    report_submit(report=report, user=alice, version=report.version)
    response = client_of(alice).get(reverse("tracking:round_sheet_download", args=[round_.pk]))
    assert len(sheet_rows(response.content)) == 1


def test_the_sheet_costs_as_many_queries_for_2_departments_as_for_8(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from budgets.models import Project
    from tests.factories import DepartmentFactory, UnitFactory
    from tracking.workbook import export_rows

    counts = []
    for n in (2, 8):
        while Report.objects.filter(department__isnull=False).count() < 2 * n:
            department = DepartmentFactory()
            project = ProjectFactory(unit=UnitFactory(department=department))
            PaymentFactory(project=project, amount=Decimal("30"), date=date(2024, 6, 1))
            department_indicator(department, "投入管理指标", "预算执行率", "≥90%")
            department_indicator(department, "产出指标", "完成率", "100%")
            monitoring_round()
            self_evaluation_round()
        with CaptureQueriesContext(connection) as ctx:
            ((_, _, rows),) = export_rows(2024, Project.objects.filter(year=2024))
            rows = list(rows)
        assert len(rows) == 2 * 2 * n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
