"""The report pages: the form (monitoring and self-evaluation) with live lights and scores,
saving with optimistic locking, submitting, read-only states, printout, xlsx and history."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.urls import reverse

from budgets.choices import Role
from budgets.text import UNWRITABLE_CHARACTER
from performance.values import (
    ACTUAL_NEEDS_DATE,
    ACTUAL_NEEDS_NUMBER,
    ACTUAL_NEEDS_TIER,
    ACTUAL_SATISFACTION_OVER_100,
)
from tests.budgets.workbooks import (
    FORMULA_INDICATOR_NAME,
    FORMULA_PROJECT_NAME,
    FORMULA_SUMMARY,
    assert_cells_are_text,
    database_state,
)
from tests.factories import ProjectFactory, UserFactory
from tracking.choices import ReportStatus
from tracking.models import Report, ReportIndicator
from tracking.services import (
    RECTIFICATION_NOT_REQUIRED,
    RECTIFICATION_RESULT_NEEDS_TEXT,
    REPORT_NOT_EDITABLE,
    REPORT_STALE,
    ROUND_CLOSED,
    SUBMIT_BELOW_FULL_MARKS,
    SUBMIT_BUDGET_DEVIATION_INCOMPLETE,
    SUBMIT_DEVIATION_INCOMPLETE,
    SUBMIT_LOW_EXECUTION,
    SUBMIT_MISSING_ACTUAL,
    SUBMIT_MISSING_EXPECTED,
    SUBMIT_MISSING_SUMMARY,
    SUBMIT_MISSING_TO_DATE,
    SUBMIT_OVER_COMPLETION,
    report_require_rectification,
    report_return,
    report_save,
    report_submit,
    round_close,
)
from tracking.views.reports import (
    RECTIFICATION_RECORDED,
    REPORT_MISSING,
    REPORT_NOT_STARTED,
    REPORT_SAVED,
    REPORT_SUBMITTED,
)

from .season import (
    ALL_REACHED,
    ON_TRACK,
    form_data,
    indicator,
    indicators_of,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    self_evaluation_round,
    spend,
)

pytestmark = pytest.mark.django_db


def url(name: str, report: Report) -> str:
    return reverse(f"tracking:{name}", args=[report.pk])


@pytest.fixture
def project(unit_a):
    project = project_with_targets(unit_a)
    spend(project, "50")  # 50 % against 58.20 % of the year at 7月31日: green
    return project


@pytest.fixture
def monitoring(project):
    return report_of(monitoring_round(), project)


@pytest.fixture
def evaluation(project):
    spend(project, "45", day=date(2024, 11, 30))  # 95 % by the year's end
    return report_of(self_evaluation_round(), project)


def submitted(report: Report, user, values=ON_TRACK) -> Report:
    report = report_save(
        report=report, user=user, version=report.version, data=report_input(report.project, values)
    )
    return report_submit(report=report, user=user)


# --- no access --------------------------------------------------------------------------

PAGES = ["report_detail", "report_edit", "report_print", "report_xlsx", "report_history"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, monitoring, name):
    response = client.get(url(name, monitoring))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_staff_of_another_department_get_404_on_every_page(client_of, bob, monitoring, name):
    assert client_of(bob).get(url(name, monitoring)).status_code == 404


@pytest.mark.parametrize(
    "name", ["report_edit", "report_submit", "report_line_preview", "report_rectification"]
)
def test_staff_of_another_department_cannot_post_and_nothing_changes(
    client_of, bob, monitoring, name
):
    client = client_of(bob)
    before = database_state()
    data = form_data(monitoring, ON_TRACK, save="1", result="已整改")
    data["indicator"] = str(indicators_of(monitoring.project)["参保人员培训人数"].pk)
    assert client.post(url(name, monitoring), data).status_code == 404
    assert database_state() == before


# --- opening a project of a round -------------------------------------------------------


def open_url(round_, project) -> str:
    return reverse("tracking:report_open", args=[round_.pk, project.pk])


def test_anonymous_visitors_opening_a_project_are_sent_to_the_login_page(client, project):
    response = client.get(open_url(monitoring_round(), project))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_reviewer_opening_a_project_without_a_report_writes_nothing_and_is_told_so(
    client_of, rita, project
):
    round_ = monitoring_round()
    client = client_of(rita)
    before = database_state()
    response = client.get(open_url(round_, project))
    assert response.status_code == 200
    assert REPORT_MISSING == "该项目尚未填报"
    assert REPORT_MISSING in response.content.decode()
    assert database_state() == before


def test_a_reviewer_opening_a_project_with_a_report_is_sent_to_its_detail_page(
    client_of, rita, monitoring
):
    client = client_of(rita)
    before = database_state()
    response = client.get(open_url(monitoring.round, monitoring.project))
    assert response.url == url("report_detail", monitoring)
    assert database_state() == before


def test_staff_opening_a_project_without_a_report_write_nothing_and_are_offered_to_start(
    client_of, alice, project
):
    round_ = monitoring_round()
    client = client_of(alice)
    before = database_state()
    response = client.get(open_url(round_, project))
    html = response.content.decode()
    assert response.status_code == 200
    assert REPORT_NOT_STARTED == "该项目尚未填报。点击“开始填报”创建草稿后填写。"
    assert REPORT_NOT_STARTED in html
    assert f'<form method="post" action="{open_url(round_, project)}">' in html
    assert "开始填报</button>" in html
    assert database_state() == before
    assert Report.objects.count() == 0


def test_staff_opening_a_project_with_a_draft_are_sent_to_its_form(client_of, alice, monitoring):
    client = client_of(alice)
    before = database_state()
    response = client.get(open_url(monitoring.round, monitoring.project))
    assert response.url == url("report_edit", monitoring)
    assert database_state() == before


def test_staff_starting_a_report_create_exactly_one_draft_however_often(client_of, alice, project):
    round_ = monitoring_round()
    client = client_of(alice)
    first = client.post(open_url(round_, project))
    second = client.post(open_url(round_, project))
    report = Report.objects.get(round=round_, project=project)
    assert report.status == ReportStatus.DRAFT
    assert first.url == second.url == url("report_edit", report)
    assert Report.objects.count() == 1


def test_a_reviewer_cannot_start_a_report_and_nothing_is_written(client_of, rita, project):
    round_ = monitoring_round()
    client = client_of(rita)
    before = database_state()
    assert client.post(open_url(round_, project)).status_code == 403
    assert database_state() == before


def test_staff_cannot_start_a_report_of_a_closed_round(client_of, alice, project):
    round_ = round_close(round_=monitoring_round())
    client = client_of(alice)
    before = database_state()
    assert client.post(open_url(round_, project)).status_code == 403
    assert database_state() == before


def test_staff_of_another_department_cannot_start_a_report(client_of, bob, project):
    round_ = monitoring_round()
    client = client_of(bob)
    before = database_state()
    assert client.post(open_url(round_, project)).status_code == 404
    assert database_state() == before


def test_the_round_page_offers_reviewers_to_read_and_staff_to_fill_in(
    client_of, rita, alice, project
):
    round_ = monitoring_round()
    page = reverse("tracking:round_detail", args=[round_.pk])
    link = f'<a href="{open_url(round_, project)}">'
    reviewer_html = client_of(rita).get(page).content.decode()
    assert link + "查看</a>" in reviewer_html and link + "填报</a>" not in reviewer_html
    assert link + "填报</a>" in client_of(alice).get(page).content.decode()


def test_staff_opening_a_project_of_a_closed_round_writes_nothing(client_of, alice, project):
    round_ = round_close(round_=monitoring_round())
    client = client_of(alice)
    before = database_state()
    response = client.get(open_url(round_, project))
    html = response.content.decode()
    assert response.status_code == 200
    assert REPORT_MISSING in html and "开始填报</button>" not in html
    assert database_state() == before


# --- the monitoring form ----------------------------------------------------------------


def test_the_monitoring_form_shows_the_budget_part_from_the_system(client_of, alice, monitoring):
    response = client_of(alice).get(url("report_edit", monitoring))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "年初预算数",
        "全年预算数",
        "执行数",
        "执行率",
        "序时进度",
        "预警",
        "全年预计执行数",
    ):
        assert heading in html
    budget = response.context["table"].budget_display
    assert budget == {
        "initial": "100",
        "adjusted": "100",
        "executed": "50",
        "execution_rate": "50.00%",
        "time_progress": "58.20%",
        "warning": "green",
        "warning_label": "正常",
        "expected_executed": "—",
    }
    assert 'name="expected_executed"' in html and 'name="version"' in html
    # The amounts read as in the finance bureau's tables: two decimals at least.
    assert (
        '<td class="num">100.00</td><td class="num">100.00</td><td class="num">50.00</td>' in html
    )


def test_saving_the_monitoring_form_stores_values_and_lights(client_of, alice, monitoring):
    values = dict(ON_TRACK, 参保人员培训人数={"actual_raw": "40人", "expected_raw": "70人"})
    data = form_data(monitoring, values, expected_executed="95")
    response = client_of(alice).post(url("report_edit", monitoring), data, follow=True)
    assert REPORT_SAVED in response.content.decode()
    monitoring.refresh_from_db()
    assert monitoring.version == 2
    assert monitoring.expected_executed == Decimal("95")
    assert monitoring.target_light == "yellow"
    lights = dict(ReportIndicator.objects.values_list("indicator__name", "light"))
    assert lights == {
        "参保人员培训人数": "yellow",
        "经办服务水平": "green",
        "参保群众满意度": "green",
    }


BAD_VALUES = [
    (
        "参保人员培训人数",
        "actual_raw",
        "很多",
        ACTUAL_NEEDS_NUMBER.format(example="100人", raw="很多"),
    ),
    (
        "参保人员培训人数",
        "expected_raw",
        "2024-12-20",
        ACTUAL_NEEDS_NUMBER.format(example="100人", raw="2024-12-20"),
    ),
    ("参保群众满意度", "expected_raw", "101%", ACTUAL_SATISFACTION_OVER_100.format(raw="101%")),
    ("经办服务水平", "expected_raw", "基本达成", ACTUAL_NEEDS_TIER.format(raw="基本达成")),
]


@pytest.mark.parametrize("name,field,value,message", BAD_VALUES)
def test_a_value_that_does_not_fit_its_indicator_is_refused_with_its_message(
    client_of, alice, monitoring, name, field, value, message
):
    client = client_of(alice)
    before = database_state()
    values = {**ON_TRACK, name: {**ON_TRACK[name], field: value}}
    response = client.post(url("report_edit", monitoring), form_data(monitoring, values))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"{name}：{message}" in html
    # What was typed stays in the form.
    assert f'value="{value}"' in html
    assert database_state() == before


def test_a_date_indicator_refuses_a_number(client_of, alice, project):
    indicator(project, "产出指标", "系统上线时间", "2024年10月31日前")
    report = report_of(monitoring_round(), project)
    values = {**ON_TRACK, "系统上线时间": {"expected_raw": "95"}}
    response = client_of(alice).post(url("report_edit", report), form_data(report, values))
    assert response.status_code == 400
    assert f"系统上线时间：{ACTUAL_NEEDS_DATE.format(raw='95')}" in response.content.decode()


def test_a_stale_save_is_refused_and_keeps_what_the_user_typed(client_of, alice, monitoring):
    carol = UserFactory(username="carol", role=Role.STAFF, department=alice.department)
    first, second = client_of(alice), client_of(carol)
    # Both open the form at version 1.
    first.get(url("report_edit", monitoring))
    second.get(url("report_edit", monitoring))
    first.post(url("report_edit", monitoring), form_data(monitoring, ON_TRACK))
    mine = {**ON_TRACK, "参保人员培训人数": {"actual_raw": "77人", "expected_raw": "88人"}}
    before = database_state()
    response = second.post(url("report_edit", monitoring), form_data(monitoring, mine))
    assert response.status_code == 400
    html = response.content.decode()
    assert REPORT_STALE.format(current=2, yours=1) in html
    assert 'value="77人"' in html and 'value="88人"' in html
    assert database_state() == before
    line = ReportIndicator.objects.get(indicator__name="参保人员培训人数")
    assert line.expected_raw == "100人"


def test_the_preview_lights_the_expected_value_as_it_is_typed(client_of, alice, monitoring):
    pk = indicators_of(monitoring.project)["参保人员培训人数"].pk
    client = client_of(alice)
    preview = url("report_line_preview", monitoring)
    cases = {"130人": "蓝灯（超额）", "100人": "绿灯", "70人": "黄灯", "50人": "红灯"}
    for typed, label in cases.items():
        html = client.post(preview, {"indicator": pk, f"expected_raw_{pk}": typed}).content
        assert label in html.decode(), typed
    html = client.post(preview, {"indicator": pk, f"expected_raw_{pk}": "很多"}).content.decode()
    assert ACTUAL_NEEDS_NUMBER.format(example="100人", raw="很多") in html
    # Nothing is stored by a preview.
    assert not ReportIndicator.objects.exists()


def test_the_preview_shows_a_qualitative_tier_as_its_light(client_of, alice, monitoring):
    pk = indicators_of(monitoring.project)["经办服务水平"].pk
    response = client_of(alice).post(
        url("report_line_preview", monitoring), {"indicator": pk, f"expected_raw_{pk}": "部分达成"}
    )
    assert "黄灯" in response.content.decode()


def test_submitting_lists_every_problem(client_of, alice, project):
    spend(project, "-40")  # leaves 10 %: a red budget warning
    report = report_of(monitoring_round(), project)
    values = {
        "参保人员培训人数": {"actual_raw": "30人", "expected_raw": "50人"},
        "经办服务水平": {"actual_raw": "达成", "expected_raw": "达成"},
    }
    response = client_of(alice).post(
        url("report_submit", report), {**form_data(report, values), "save": "1"}
    )
    assert response.status_code == 400
    problems = response.context["problems"]
    assert problems == [
        SUBMIT_DEVIATION_INCOMPLETE.format(name="参保人员培训人数"),
        SUBMIT_MISSING_TO_DATE.format(name="参保群众满意度"),
        SUBMIT_MISSING_EXPECTED.format(name="参保群众满意度"),
        SUBMIT_BUDGET_DEVIATION_INCOMPLETE.format(warning="红色预警"),
    ]
    html = response.content.decode()
    assert all(p in html for p in problems)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    # The values typed were saved before the refusal: nothing is lost.
    assert ReportIndicator.objects.get(indicator__name="参保人员培训人数").expected_raw == "50人"


def test_a_complete_report_is_submitted_and_becomes_read_only(client_of, alice, monitoring):
    client = client_of(alice)
    response = client.post(
        url("report_submit", monitoring),
        {**form_data(monitoring, ON_TRACK), "save": "1"},
        follow=True,
    )
    assert REPORT_SUBMITTED in response.content.decode()
    monitoring.refresh_from_db()
    assert monitoring.status == ReportStatus.SUBMITTED
    detail = client.get(url("report_detail", monitoring)).content.decode()
    assert "已提交" in detail and "填报 / 修改" not in detail
    assert 'name="expected_raw_' not in detail


def test_staff_cannot_edit_a_submitted_report(client_of, alice, monitoring):
    submitted(monitoring, alice)
    client = client_of(alice)
    response = client.get(url("report_edit", monitoring), follow=True)
    message = REPORT_NOT_EDITABLE.format(status="已提交")
    assert message in response.content.decode()
    before = database_state()
    changed = {**ON_TRACK, "参保人员培训人数": {"actual_raw": "1人", "expected_raw": "1人"}}
    response = client.post(url("report_edit", monitoring), form_data(monitoring, changed))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert database_state() == before


def test_a_closed_round_is_read_only(client_of, alice, monitoring):
    round_close(round_=monitoring.round)
    response = client_of(alice).get(url("report_edit", monitoring), follow=True)
    assert ROUND_CLOSED in response.content.decode()


def test_the_submit_button_of_the_detail_page_submits_a_saved_report(client_of, alice, monitoring):
    report_save(
        report=monitoring, user=alice, version=1, data=report_input(monitoring.project, ON_TRACK)
    )
    client = client_of(alice)
    response = client.post(url("report_submit", monitoring), {"version": "2"})
    assert response.status_code == 302
    monitoring.refresh_from_db()
    assert monitoring.status == ReportStatus.SUBMITTED


def test_a_returned_report_shows_the_reason_and_comments_and_is_editable(
    client_of, alice, rita, monitoring
):
    report = submitted(monitoring, alice)
    pk = indicators_of(report.project)["参保人员培训人数"].pk
    report_return(report=report, user=rita, reason="培训人数口径不清", comments={pk: "请写明人次"})
    client = client_of(alice)
    for page in ("report_detail", "report_edit"):
        html = client.get(url(page, report)).content.decode()
        assert "培训人数口径不清" in html and "请写明人次" in html, page
    assert "已退回" in client.get(url("report_detail", report)).content.decode()


# --- the self-evaluation form -------------------------------------------------------------


def test_the_self_evaluation_form_scores_after_saving(client_of, alice, evaluation):
    client = client_of(alice)
    values = dict(ALL_REACHED, 参保人员培训人数={"actual_raw": "80人"})
    client.post(url("report_edit", evaluation), form_data(evaluation, values))
    evaluation.refresh_from_db()
    # 95 % executed → 9.5; output 80/100 of 50 → 40; benefit 30; satisfaction 10.
    assert evaluation.score == Decimal("89.50")
    assert evaluation.grade == "良"
    html = client.get(url("report_edit", evaluation)).content.decode()
    assert "89.50" in html and "良" in html


def test_the_self_evaluation_preview_shows_completion_and_score(client_of, alice, evaluation):
    pk = indicators_of(evaluation.project)["参保人员培训人数"].pk
    client = client_of(alice)
    preview = url("report_line_preview", evaluation)
    html = client.post(preview, {"indicator": pk, f"actual_raw_{pk}": "80人"}).content.decode()
    assert "完成 80.00%" in html
    assert "得分 <strong>40.00</strong> / 50.00" in html
    html = client.post(preview, {"indicator": pk, f"actual_raw_{pk}": "130人"}).content.decode()
    assert "超额完成较多，需说明原因" in html
    assert "得分 <strong>50.00</strong> / 50.00" in html


def test_submitting_a_self_evaluation_needs_the_explanations(client_of, alice, project):
    round_ = self_evaluation_round()
    report = report_of(round_, project)  # 50 % executed: needs the low-execution note
    values = {"参保人员培训人数": {"actual_raw": "130人"}, "经办服务水平": {"actual_raw": "达成"}}
    response = client_of(alice).post(
        url("report_submit", report), {**form_data(report, values), "save": "1"}
    )
    assert response.context["problems"] == [
        SUBMIT_OVER_COMPLETION.format(name="参保人员培训人数"),
        SUBMIT_MISSING_ACTUAL.format(name="参保群众满意度"),
        SUBMIT_LOW_EXECUTION.format(rate="50.00"),
        SUBMIT_MISSING_SUMMARY,
    ]
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_a_partly_reached_or_over_run_self_evaluation_lists_every_missing_item(
    client_of, alice, project
):
    spend(project, "50", day=date(2024, 12, 1))  # 100 % executed: no low-execution note
    report = report_of(self_evaluation_round(), project)
    values = {
        "参保人员培训人数": {"actual_raw": "130人"},
        "经办服务水平": {"actual_raw": "部分达成"},
        "参保群众满意度": {"actual_raw": "95%"},
    }
    response = client_of(alice).post(
        url("report_submit", report), {**form_data(report, values, summary=""), "save": "1"}
    )
    assert response.status_code == 400
    expected = [
        SUBMIT_OVER_COMPLETION.format(name="参保人员培训人数"),
        SUBMIT_BELOW_FULL_MARKS.format(name="经办服务水平", score="21.00", points="30.00"),
        SUBMIT_MISSING_SUMMARY,
    ]
    assert response.context["problems"] == expected
    html = response.content.decode()
    assert all(problem in html for problem in expected)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    # What was typed is saved: once explained, it goes through.
    values["参保人员培训人数"]["explanation"] = "新增线上培训"
    values["经办服务水平"]["explanation"] = "宣传覆盖面不足"
    data = {**form_data(report, values, summary="年度目标基本完成"), "save": "1"}
    assert client_of(alice).post(url("report_submit", report), data).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_a_self_evaluation_with_its_explanations_is_submitted(client_of, alice, project):
    report = report_of(self_evaluation_round(), project)
    values = {
        "参保人员培训人数": {"actual_raw": "130人", "explanation": "新增线上培训"},
        "经办服务水平": {"actual_raw": "达成"},
        "参保群众满意度": {"explanation": "问卷调查延期至次年一月"},
    }
    data = {
        **form_data(report, values, low_execution_note="部分合同次年支付", summary="目标基本完成"),
        "save": "1",
    }
    response = client_of(alice).post(url("report_submit", report), data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.project.__class__.objects.get(pk=report.project_id).targets_locked


# --- text no xlsx or database can hold (budgets.text) ---------------------------------------


REFUSED_HERE = f'<span class="field-error">{UNWRITABLE_CHARACTER}</span>'


@pytest.mark.parametrize("char", ["\x0b", "\x00"])
@pytest.mark.parametrize(
    "line_field, report_fields",
    [
        ("actual_raw", {}),
        ("cause", {}),
        ("measure", {}),
        (None, {"budget_cause": "经费{char}未到位"}),
        (None, {"budget_measure": "加快{char}支付"}),
    ],
)
def test_a_control_character_in_the_monitoring_form_is_refused_and_writes_nothing(
    client_of, alice, monitoring, line_field, report_fields, char
):
    client = client_of(alice)
    before = database_state()
    values = {**ON_TRACK}
    if line_field:
        values["参保人员培训人数"] = {**ON_TRACK["参保人员培训人数"], line_field: f"60{char}人"}
    data = form_data(
        monitoring, values, **{k: v.format(char=char) for k, v in report_fields.items()}
    )
    response = client.post(url("report_edit", monitoring), data)
    assert response.status_code == 400
    html = response.content.decode()
    # Shown right after its field, whether the line's deviation part was open or not.
    name = line_field or next(iter(report_fields))
    pk = indicators_of(monitoring.project)["参保人员培训人数"].pk
    field_id = f"id_{name}_{pk}" if line_field else f"id_{name}"
    shown = re.search(rf'id="{field_id}".*?(<span class="field-error">[^<]*</span>)', html, re.S)
    assert shown and shown.group(1) == REFUSED_HERE
    assert database_state() == before


@pytest.mark.parametrize("field", ["summary", "low_execution_note"])
def test_a_control_character_in_the_self_evaluation_form_is_refused(
    client_of, alice, evaluation, field
):
    client = client_of(alice)
    before = database_state()
    data = form_data(evaluation, ALL_REACHED, **{field: "年度目标\x0b基本完成"})
    response = client.post(url("report_edit", evaluation), data)
    assert response.status_code == 400
    assert REFUSED_HERE in response.content.decode()
    assert database_state() == before


def test_tab_and_newline_are_kept_in_the_report(client_of, alice, monitoring):
    values = {
        **ON_TRACK,
        "参保人员培训人数": {"actual_raw": "40人", "expected_raw": "70人", "cause": "一\n二\t三"},
    }
    response = client_of(alice).post(url("report_edit", monitoring), form_data(monitoring, values))
    assert response.status_code == 302
    line = ReportIndicator.objects.get(indicator__name="参保人员培训人数")
    assert line.cause == "一\n二\t三"


def test_the_xlsx_of_a_report_holding_control_characters_downloads(client_of, alice, unit_a):
    project = ProjectFactory(unit=unit_a, name="医保\x0b项目")
    indicator(project, "产出指标", "培训\x0b人数", "≥100人")
    report = report_of(self_evaluation_round(), project)
    report = report_save(
        report=report,
        user=alice,
        version=report.version,
        data=report_input(project, {"培训\x0b人数": {"actual_raw": "80人"}}),
    )
    # Stored before the forms refused them, or by other means.
    ReportIndicator.objects.filter(report=report).update(explanation="场地\x0b不足\x01")
    response = client_of(alice).get(url("report_xlsx", report))
    assert response.status_code == 200
    assert_cells_are_text(response.content, ["培训人数", "场地不足"])


# --- rectification --------------------------------------------------------------------------


def test_staff_record_the_rectification_result_once_required(client_of, alice, rita, monitoring):
    report = submitted(monitoring, alice)
    client = client_of(alice)
    response = client.post(url("report_rectification", report), {"result": "已整改"}, follow=True)
    assert RECTIFICATION_NOT_REQUIRED in response.content.decode()
    report_require_rectification(report=report, user=rita, requirements="补充培训签到表")
    html = client.get(url("report_detail", report)).content.decode()
    assert "补充培训签到表" in html and "填写整改结果" in html
    response = client.post(
        url("report_rectification", report), {"result": "已补充签到表"}, follow=True
    )
    assert RECTIFICATION_RECORDED in response.content.decode()
    report.refresh_from_db()
    assert (report.rectification_requirements, report.rectification_result) == (
        "补充培训签到表",
        "已补充签到表",
    )


@pytest.mark.parametrize(
    "result, message",
    [("已补充\x0b签到表", UNWRITABLE_CHARACTER), ("  ", RECTIFICATION_RESULT_NEEDS_TEXT)],
)
def test_a_refused_rectification_result_says_why_and_writes_nothing(
    client_of, alice, rita, monitoring, result, message
):
    report = submitted(monitoring, alice)
    report_require_rectification(report=report, user=rita, requirements="补充培训签到表")
    client = client_of(alice)
    before = database_state()
    response = client.post(url("report_rectification", report), {"result": result}, follow=True)
    assert message in response.content.decode()
    assert database_state() == before


# --- printout, xlsx, history -------------------------------------------------------------------


def _scored(evaluation, alice) -> Report:
    values = {
        "参保人员培训人数": {
            "actual_raw": "80人",
            "explanation": "培训场地不足",
            "measure": "增加场次",
        },
        "经办服务水平": {"actual_raw": "达成"},
        "参保群众满意度": {"actual_raw": "95%"},
    }
    return report_save(
        report=evaluation, user=alice, version=1, data=report_input(evaluation.project, values)
    )


def test_the_printout_has_the_official_layout(client_of, alice, rita, evaluation):
    report = _scored(evaluation, alice)
    response = client_of(rita).get(url("report_print", report))
    html = response.content.decode()
    for text in (
        "项目支出绩效自评表",
        "（2024年度）",
        "项目名称",
        "主管部门",
        "实施单位",
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "偏差原因分析及改进措施",
        "总分",
        "等级：良",
        "89.50",
        "95.00%",
        "培训场地不足；增加场次",
        "@media print",
    ):
        assert text in html, text
    assert report.project.department.name in html and report.project.unit.name in html


def test_the_monitoring_printout_shows_lights_and_deviations(client_of, alice, monitoring):
    report_save(
        report=monitoring, user=alice, version=1, data=report_input(monitoring.project, ON_TRACK)
    )
    html = client_of(alice).get(url("report_print", monitoring)).content.decode()
    for text in ("项目支出绩效运行监控表", "序时进度", "全年预计完成值", "绿灯", "58.20%"):
        assert text in html, text
    assert ">100.00</td>" in html and ">50.00</td>" in html  # amounts as finance tables print


def test_the_xlsx_has_the_same_table_with_merged_cells_and_borders(client_of, alice, evaluation):
    report = _scored(evaluation, alice)
    response = client_of(alice).get(url("report_xlsx", report))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    for text in ("项目支出绩效自评表", "年初预算数", "偏差原因分析及改进措施", "总分", "等级：良"):
        assert text in texts, text
    # Numbers are numbers, formatted as the printout shows them.
    numbers = {(float(c.value), c.number_format) for c in cells if not isinstance(c.value, str)}
    assert (100.0, "#,##0.00") in numbers  # 年初预算数 in 万元
    assert (89.5, "0.00") in numbers  # the total score
    assert not any(t.replace(".", "").replace(",", "").isdigit() for t in texts)
    assert "A1:J1" in {str(r) for r in sheet.merged_cells.ranges}
    assert len(sheet.merged_cells.ranges) > 5
    assert sheet["A3"].border.left.style == "thin"


def test_the_xlsx_writes_texts_that_look_like_formulas_as_text(client_of, alice, unit_a):
    project = ProjectFactory(unit=unit_a, name=FORMULA_PROJECT_NAME)
    indicator(project, "产出指标", FORMULA_INDICATOR_NAME, "≥100人")
    report = report_of(self_evaluation_round(), project)
    values = {FORMULA_INDICATOR_NAME: {"actual_raw": "80人", "explanation": FORMULA_SUMMARY}}
    report = report_save(
        report=report, user=alice, version=report.version, data=report_input(project, values)
    )
    response = client_of(alice).get(url("report_xlsx", report))
    assert response.status_code == 200
    assert_cells_are_text(
        response.content,
        [f"{FORMULA_PROJECT_NAME}（{project.code}）", FORMULA_INDICATOR_NAME, FORMULA_SUMMARY],
    )


def test_the_history_shows_who_changed_what(client_of, alice, rita, monitoring):
    client = client_of(alice)
    client.post(url("report_edit", monitoring), form_data(monitoring, ON_TRACK))
    changed = {**ON_TRACK, "参保人员培训人数": {"actual_raw": "65人", "expected_raw": "100人"}}
    monitoring.refresh_from_db()
    client.post(url("report_edit", monitoring), form_data(monitoring, changed))
    response = client_of(rita).get(url("report_history", monitoring))
    assert response.status_code == 200
    entries = response.context["entries"]
    change = next(
        e for e in entries if e.subject == "产出指标/参保人员培训人数" and e.action == "修改"
    )
    assert change.user == "爱丽丝"
    assert [(c.field, c.old, c.new) for c in change.changes] == [("实际完成值", "60人", "65人")]
    html = response.content.decode()
    assert "60人 → 65人" in html
    assert client.get(url("report_history", monitoring)).status_code == 200


# --- daily use: empty drafts, confirmations ----------------------------------------------------


def test_an_empty_self_evaluation_has_no_score_or_grade_yet(client_of, alice, evaluation):
    evaluation.refresh_from_db()
    assert (evaluation.score, evaluation.grade) == (None, "")
    client = client_of(alice)
    for page in (url("report_edit", evaluation), url("report_detail", evaluation)):
        html = client.get(page).content.decode()
        assert "等级 <strong>" not in html and " 分 · " not in html
    html = client.get(reverse("tracking:round_detail", args=[evaluation.round_id])).content.decode()
    assert '<td class="num">9.50</td>' not in html and "<td>差</td>" not in html
    # One actual entered: scored from then on.
    client.post(
        url("report_edit", evaluation),
        form_data(evaluation, {"参保人员培训人数": {"actual_raw": "100人"}}),
    )
    evaluation.refresh_from_db()
    assert (evaluation.score, evaluation.grade) == (Decimal("59.50"), "差")
    html = client.get(reverse("tracking:round_detail", args=[evaluation.round_id])).content.decode()
    assert '<td class="num">59.50</td>' in html and "<td>差</td>" in html


def test_submitting_asks_for_confirmation_first(client_of, alice, evaluation):
    client = client_of(alice)
    html = client.get(url("report_edit", evaluation)).content.decode()
    assert (
        'value="1" formaction="{}" data-confirm="确定保存并提交'.format(
            url("report_submit", evaluation)
        )
        in html
    )
    html = client.get(url("report_detail", evaluation)).content.decode()
    assert 'class="inline" data-confirm="确定提交该报告吗' in html
