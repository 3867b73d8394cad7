"""The 实际完成 sheet of a round: download it pre-filled, fill it offline, upload it back
(all or nothing; refused for a submitted report or an unopened round)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl.utils import get_column_letter

from budgets.importer import NO_PERMISSION_DEPARTMENT, run_import
from budgets.models import WarningSettings
from performance.values import QUALITATIVE, RELATIVE
from tests.budgets.workbooks import (
    FORMULA_INDICATOR_NAME,
    FORMULA_MEASURE,
    assert_cells_are_text,
    database_state,
    make_workbook,
)
from tracking.choices import ReportStatus, Stage
from tracking.models import Report, ReportIndicator, Round
from tracking.services import report_save, report_submit, round_close
from tracking.views.rounds import SHEET_IMPORTED, SHEET_ONLY_ACTUAL
from tracking.workbook import (
    CAUSE_CHOICES,
    REPORT_LOCKED,
    ROUND_IS_CLOSED,
    ROUND_NOT_OPENED,
    TIER_CHOICES,
)

from .season import (
    ON_TRACK,
    indicator,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    self_evaluation_round,
    spend,
)

pytestmark = pytest.mark.django_db

HEADER = [
    "项目编码",
    "一级指标",
    "三级指标",
    "指标值",
    "阶段",
    "截至日期",
    "实际完成值",
    "全年预计完成值",
    "偏差原因",
    "改进措施",
    "部门编码",
    "区划编码",
]


def download_file(client, round_: Round, **params) -> bytes:
    response = client.get(reverse("tracking:round_sheet_download", args=[round_.pk]), params)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return response.content


def download(client, round_: Round, **params) -> list[list]:
    sheet = openpyxl.load_workbook(BytesIO(download_file(client, round_, **params)))["实际完成"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def drop_downs(sheet) -> dict[str, tuple[list[str], str]]:
    """{cells: (listed words, hint)} of the sheet's drop-down lists; none may refuse a value."""
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list"
        assert not validation.showErrorMessage
        words = validation.formula1.strip('"').split(",")
        lists[str(validation.sqref)] = (words, validation.prompt)
    return lists


def upload(client, round_: Round, rows: list[list], tmp_path, sheets: dict | None = None):
    path = make_workbook(tmp_path / "filled.xlsx", {"实际完成": rows, **(sheets or {})})
    file = SimpleUploadedFile("filled.xlsx", path.read_bytes())
    return client.post(
        reverse("tracking:round_sheet_upload", args=[round_.pk]), {"file": file}, follow=True
    )


def fill(rows: list[list], values: dict[str, tuple]) -> list[list]:
    """Type actual (and expected, cause, measure) values into the rows of named indicators."""
    filled = [rows[0]]
    first = rows[0].index("实际完成值")
    for row in rows[1:]:
        row = list(row)
        if row[2] in values:
            for offset, value in enumerate(values[row[2]]):
                row[first + offset] = value
        filled.append(row)
    return filled


@pytest.fixture
def project(unit_a):
    project = project_with_targets(unit_a)
    spend(project, "50")
    # Created on first use by any page; made here so "nothing changed" compares like with like.
    WarningSettings.current()
    return project


def test_the_download_is_pre_filled_with_every_indicator_of_the_department(
    client_of, alice, project, unit_b
):
    round_ = monitoring_round()
    project_with_targets(unit_b, name="乙部门项目")
    report = report_of(round_, project)
    report_save(
        report=report,
        user=alice,
        version=1,
        data=report_input(
            project,
            {
                "参保人员培训人数": {
                    "actual_raw": "40人",
                    "expected_raw": "70人",
                    "cause_category": "人员保障",
                    "cause": "讲师不足",
                    "measure": "增聘讲师",
                }
            },
        ),
    )
    rows = download(client_of(alice), round_)
    assert rows[0] == HEADER
    assert [r[2] for r in rows[1:]] == ["参保人员培训人数", "经办服务水平", "参保群众满意度"]
    first = rows[1]
    assert first[0] == project.code and first[4] == Stage.MONITORING
    assert first[3] == "≥100人"
    assert first[5] == datetime(2024, 7, 31)
    assert first[6:10] == ["40人", "70人", "【人员保障】讲师不足", "增聘讲师"]
    # 部门编码 and 区划编码 are a department indicator's: empty on a project's row.
    assert first[10:] == [None, None]


def test_the_download_shows_each_target_with_a_frozen_header_and_readable_columns(
    client_of, alice, project
):
    round_ = monitoring_round()
    sheet = openpyxl.load_workbook(BytesIO(download_file(client_of(alice), round_)))["实际完成"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [(r[2], r[3]) for r in rows[1:]] == [
        ("参保人员培训人数", "≥100人"),
        ("经办服务水平", "明显提升"),
        ("参保群众满意度", "≥90%"),
    ]
    assert sheet.freeze_panes == "A2"
    widths = {
        title: sheet.column_dimensions[get_column_letter(i)].width
        for i, title in enumerate(HEADER, start=1)
    }
    assert widths == {
        "项目编码": 24,
        "一级指标": 12,
        "三级指标": 30,
        "指标值": 20,
        "阶段": 10,
        "截至日期": 12,
        "实际完成值": 16,
        "全年预计完成值": 16,
        "偏差原因": 40,
        "改进措施": 40,
        "部门编码": 12,
        "区划编码": 12,
    }


def test_tier_and_cause_cells_offer_drop_down_lists_in_a_monitoring_sheet(
    client_of, alice, project
):
    indicator(project, "效益指标", "投诉按时办结率", "不低于上年水平", position=4)
    round_ = monitoring_round()
    sheet = openpyxl.load_workbook(BytesIO(download_file(client_of(alice), round_)))["实际完成"]
    # G 实际完成值, H 全年预计完成值, I 偏差原因; row 3 qualitative, row 5 relative.
    assert drop_downs(sheet) == {
        "G3 H3": (["达成", "部分达成", "未达成"], TIER_CHOICES[QUALITATIVE].hint),
        "G5 H5": (["达成", "部分达成", "未达成"], TIER_CHOICES[RELATIVE].hint),
        "I2:I5": (
            ["【经费保障】", "【制度保障】", "【人员保障】", "【硬件条件保障】", "【其他】"],
            CAUSE_CHOICES.hint,
        ),
    }


def test_a_self_evaluation_sheet_offers_the_tiers_on_the_actual_cells_only(
    client_of, alice, project
):
    round_ = self_evaluation_round()
    sheet = openpyxl.load_workbook(BytesIO(download_file(client_of(alice), round_)))["实际完成"]
    # 偏差原因 of a self-evaluation is a free explanation, and there is no expected value.
    assert drop_downs(sheet) == {
        "G3": (["达成", "部分达成", "未达成"], TIER_CHOICES[QUALITATIVE].hint)
    }


def test_the_downloaded_file_filled_in_place_uploads_back(client_of, alice, project, tmp_path):
    round_ = monitoring_round()
    client = client_of(alice)
    book = openpyxl.load_workbook(BytesIO(download_file(client, round_)))
    sheet = book["实际完成"]
    for cells, values in {
        "G2:J2": ("40人", "70人", "【人员保障】讲师不足", "增聘讲师"),
        "G3:H3": ("部分达成", "达成"),
        "G4:H4": ("92%", "95%"),
    }.items():
        for cell, value in zip(sheet[cells][0], values, strict=True):
            cell.value = value
    path = tmp_path / "filled.xlsx"
    book.save(path)
    response = client.post(
        reverse("tracking:round_sheet_upload", args=[round_.pk]),
        {"file": SimpleUploadedFile("filled.xlsx", path.read_bytes())},
        follow=True,
    )
    html = response.content.decode()
    assert SHEET_IMPORTED.format(summary="导入成功：实际完成 新增3 更新0 未变0") in html
    line = ReportIndicator.objects.get(indicator__name="参保人员培训人数")
    assert (line.actual_raw, line.cause_category, line.cause) == ("40人", "人员保障", "讲师不足")
    assert ReportIndicator.objects.get(indicator__name="经办服务水平").actual_raw == "部分达成"
    # Downloaded again, the sheet holds what was uploaded: uploading it changes nothing.
    again = download(client, round_)
    upload(client, round_, again, tmp_path)
    assert ReportIndicator.history.count() == 3


def test_the_download_writes_texts_that_look_like_formulas_as_text(client_of, alice, project):
    round_ = self_evaluation_round()
    indicator(project, "产出指标", FORMULA_INDICATOR_NAME, "≥100人")
    report = report_of(round_, project)
    values = {FORMULA_INDICATOR_NAME: {"actual_raw": "80人", "measure": FORMULA_MEASURE}}
    report_save(report=report, user=alice, version=1, data=report_input(project, values))
    response = client_of(alice).get(reverse("tracking:round_sheet_download", args=[round_.pk]))
    assert_cells_are_text(response.content, [FORMULA_INDICATOR_NAME, FORMULA_MEASURE])


def test_staff_cannot_download_another_departments_sheet(client_of, bob, project):
    round_ = monitoring_round()
    # bob asks for department A: staff always get their own department (here: nothing).
    rows = download(client_of(bob), round_, department=project.department_id)
    assert rows == [HEADER]


def test_a_submitted_report_is_left_out_of_the_download(client_of, alice, project):
    round_ = monitoring_round()
    report = report_save(
        report=report_of(round_, project),
        user=alice,
        version=1,
        data=report_input(project, ON_TRACK),
    )
    report_submit(report=report, user=alice)
    assert download(client_of(alice), round_) == [HEADER]


def test_a_filled_sheet_goes_back_into_the_reports(client_of, alice, project, tmp_path):
    round_ = monitoring_round()
    client = client_of(alice)
    rows = fill(
        download(client, round_),
        {
            "参保人员培训人数": ("40人", "70人", "【人员保障】讲师不足", "增聘讲师"),
            "经办服务水平": ("部分达成", "达成"),
            "参保群众满意度": ("92%", "95%"),
        },
    )
    response = upload(client, round_, rows, tmp_path)
    html = response.content.decode()
    assert SHEET_IMPORTED.format(summary="导入成功：实际完成 新增3 更新0 未变0") in html
    report = Report.objects.get()
    assert (report.status, report.target_light, report.deviations) == (
        ReportStatus.DRAFT,
        "yellow",
        1,
    )
    line = report.lines.get(indicator__name="参保人员培训人数")
    assert (line.actual_raw, line.expected_raw, line.cause_category, line.cause, line.measure) == (
        "40人",
        "70人",
        "人员保障",
        "讲师不足",
        "增聘讲师",
    )
    # Imported values are part of the audit trail, with who imported them.
    assert {h.history_user for h in ReportIndicator.history.all()} == {alice}


def test_an_import_outdates_a_form_opened_before_it(client_of, alice, project, tmp_path):
    round_ = monitoring_round()
    report = report_save(
        report=report_of(round_, project),
        user=alice,
        version=1,
        data=report_input(project, ON_TRACK),
    )
    client = client_of(alice)
    rows = fill(download(client, round_), {"参保人员培训人数": ("70人", "120人")})
    upload(client, round_, rows, tmp_path)
    stale = report.version
    report.refresh_from_db()
    assert report.version == stale + 1


def test_a_self_evaluation_sheet_puts_the_cause_into_the_explanation(
    client_of, alice, project, tmp_path
):
    round_ = self_evaluation_round()
    client = client_of(alice)
    rows = fill(
        download(client, round_),
        {"参保人员培训人数": ("130人", None, "新增线上培训", "")},
    )
    upload(client, round_, rows, tmp_path)
    line = ReportIndicator.objects.get()
    assert (line.actual_raw, line.explanation, line.completion) == (
        "130人",
        "新增线上培训",
        Decimal("1.3"),
    )


def test_a_bad_value_refuses_the_whole_sheet(client_of, alice, project, tmp_path):
    round_ = monitoring_round()
    client = client_of(alice)
    rows = fill(
        download(client, round_),
        {"参保人员培训人数": ("40人", "70人"), "参保群众满意度": ("很满意", "95%")},
    )
    before = database_state()
    response = upload(client, round_, rows, tmp_path)
    assert response.status_code == 400
    problems = response.context["problems"]
    assert problems == [
        "实际完成, 第4行, 实际完成值: 定量指标的实际完成值应为数字（如“90%”），不能是“很满意”"
    ]
    assert problems[0] in response.content.decode()
    assert database_state() == before


def test_a_submitted_report_refuses_its_rows(client_of, alice, project, tmp_path):
    round_ = monitoring_round()
    client = client_of(alice)
    rows = fill(download(client, round_), {"参保人员培训人数": ("40人", "100人")})
    report = report_save(
        report=report_of(round_, project),
        user=alice,
        version=1,
        data=report_input(project, ON_TRACK),
    )
    report_submit(report=report, user=alice)
    before = database_state()
    response = upload(client, round_, rows, tmp_path)
    message = REPORT_LOCKED.format(code=project.code, stage=Stage.MONITORING, status="已提交")
    assert response.context["problems"] == [f"实际完成, 第2行, 阶段: {message}"]
    assert database_state() == before


def test_rows_of_an_unopened_or_closed_round_are_refused(client_of, alice, project, tmp_path):
    round_ = monitoring_round()
    client = client_of(alice)
    rows = fill(download(client, round_), {"参保人员培训人数": ("40人", "100人")})
    unopened = [rows[0], [*rows[1][:5], date(2024, 6, 30), *rows[1][6:]]]
    response = upload(client, round_, unopened, tmp_path)
    message = ROUND_NOT_OPENED.format(
        year=2024, stage=Stage.MONITORING, as_of="2024-06-30", division="410700"
    )
    assert response.context["problems"] == [f"实际完成, 第2行, 截至日期: {message}"]
    round_close(round_=round_)
    response = upload(client, round_, rows[:2], tmp_path)
    message = ROUND_IS_CLOSED.format(
        year=2024, stage=Stage.MONITORING, as_of="2024-07-31", division="410700"
    )
    assert response.context["problems"] == [f"实际完成, 第2行, 截至日期: {message}"]
    assert not ReportIndicator.objects.exists()


def test_staff_cannot_upload_another_departments_rows(client_of, alice, bob, project, tmp_path):
    round_ = monitoring_round()
    rows = fill(download(client_of(alice), round_), {"参保人员培训人数": ("40人", "100人")})
    client = client_of(bob)
    before = database_state()
    response = upload(client, round_, rows[:2], tmp_path)
    message = NO_PERMISSION_DEPARTMENT.format(code=project.department.code)
    assert response.context["problems"] == [f"实际完成, 第2行, 项目编码: {message}"]
    assert database_state() == before


def test_the_round_upload_takes_only_the_actual_sheet(client_of, alice, project, tmp_path):
    round_ = monitoring_round()
    client = client_of(alice)
    before = database_state()
    response = upload(client, round_, [HEADER], tmp_path, {"支出": [["部门编码"]]})
    assert response.context["problems"] == [SHEET_ONLY_ACTUAL.format(names="支出")]
    assert database_state() == before


def test_the_whole_year_export_still_round_trips(alice, project, tmp_path):
    from budgets.exporter import write_workbook

    round_ = monitoring_round()
    report_save(
        report=report_of(round_, project),
        user=alice,
        version=1,
        data=report_input(project, ON_TRACK),
    )
    path = tmp_path / "year.xlsx"
    write_workbook(path, year=2024)
    before = database_state()
    sheet = openpyxl.load_workbook(path)["实际完成"]
    assert next(sheet.iter_rows(values_only=True)) == tuple(HEADER)
    assert sheet.freeze_panes == "A2"
    result = run_import(path)
    assert result.ok, result.problems
    assert result.counts[("实际完成", "unchanged")] == 3
    assert {action for _, action in result.counts} == {"unchanged"}
    # Nothing changed: no new history, no new version.
    after = database_state()
    assert after["tracking.ReportIndicator"] == before["tracking.ReportIndicator"]
    assert after["tracking.Report"] == before["tracking.Report"]


def test_an_unchanged_export_re_imports_with_submitted_reports_and_draft_causes(
    alice, project, tmp_path
):
    from budgets.exporter import write_workbook

    monitoring = monitoring_round()
    report = report_save(
        report=report_of(monitoring, project),
        user=alice,
        version=1,
        data=report_input(project, ON_TRACK),
    )
    report_submit(report=report, user=alice)
    evaluation = self_evaluation_round()
    # A draft line with an explanation typed but no value yet.
    report_save(
        report=report_of(evaluation, project),
        user=alice,
        version=1,
        data=report_input(project, {"经办服务水平": {"explanation": "年底前完成评估"}}),
    )
    path = tmp_path / "year.xlsx"
    write_workbook(path, year=2024)
    before = database_state()
    result = run_import(path, dry_run=True)
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts[("实际完成", "unchanged")] == 4
    assert database_state() == before
    result = run_import(path, user=alice)
    assert result.ok, [str(p) for p in result.problems]
    assert database_state() == before


def test_a_reviewer_cannot_upload_a_departments_actuals(client_of, alice, rita, project, tmp_path):
    from budgets.importer import SHEET_NOT_PERMITTED

    round_ = monitoring_round()
    rows = fill(download(client_of(alice), round_), {"参保人员培训人数": ("40人", "100人")})
    client = client_of(rita)
    before = database_state()
    response = upload(client, round_, rows, tmp_path)
    assert response.context["problems"] == [
        f"实际完成: {SHEET_NOT_PERMITTED.format(sheet='“实际完成”')}"
    ]
    assert database_state() == before
