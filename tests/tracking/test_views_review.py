"""The reviewer's queue and review page: approve, return with a reason and comments,
require rectification, and set a qualitative indicator's score within its band."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.text import UNWRITABLE_CHARACTER
from tests.budgets.workbooks import database_state
from tests.factories import ProjectFactory
from tracking.choices import ReportStatus, Stage
from tracking.models import Report, ReportIndicator, ReportTransition
from tracking.services import (
    RETURN_NEEDS_REASON,
    REVIEW_OWN_REPORT,
    REVIEWER_SCORE_NOT_QUALITATIVE,
    REVIEWER_SCORE_OUT_OF_BAND,
    report_save,
    report_submit,
)
from tracking.views.review import (
    RECTIFICATION_REQUIRED,
    REPORT_APPROVED,
    REPORT_RETURNED,
    SCORE_SET,
)

from .season import (
    ALL_REACHED,
    ON_TRACK,
    indicators_of,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    self_evaluation_round,
    spend,
)

pytestmark = pytest.mark.django_db

QUEUE = reverse("tracking:review_queue")


def review(report: Report) -> str:
    return reverse("tracking:report_review", args=[report.pk])


def submit(report: Report, user, values=ON_TRACK) -> Report:
    report = report_save(
        report=report,
        user=user,
        version=report.version,
        data=report_input(report.project, values, summary="年度目标基本完成"),
    )
    return report_submit(report=report, user=user)


@pytest.fixture
def project(unit_a):
    project = project_with_targets(unit_a)
    spend(project, "50")
    return project


@pytest.fixture
def waiting(project, alice):
    """A monitoring report alice submitted."""
    return submit(report_of(monitoring_round(), project), alice)


@pytest.fixture
def evaluation(project, alice):
    """A self-evaluation alice submitted; its benefit indicator is 部分达成 (band 18–24)."""
    spend(project, "50", day=date(2024, 12, 1))
    values = dict(
        ALL_REACHED, 经办服务水平={"actual_raw": "部分达成", "explanation": "宣传覆盖面不足"}
    )
    return submit(report_of(self_evaluation_round(), project), alice, values)


# --- no access ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, waiting):
    for page in (QUEUE, review(waiting)):
        response = client.get(page)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_staff_get_403_on_the_queue_and_the_review_page(client_of, alice, waiting):
    client = client_of(alice)
    assert client.get(QUEUE).status_code == 403
    assert client.get(review(waiting)).status_code == 403


@pytest.mark.parametrize("action", ["approve", "return", "rectify", "score"])
def test_staff_cannot_approve_their_own_report_or_act_on_it(client_of, alice, waiting, action):
    client = client_of(alice)
    before = database_state()
    data = {"action": action, "reason": "x", "requirements": "x", "score": "1", "line": "1"}
    assert client.post(review(waiting), data).status_code == 403
    assert database_state() == before


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_lists_submitted_reports_oldest_first(
    client_of, alice, bob, rita, unit_a, unit_b
):
    round_ = monitoring_round()
    first, second = (
        project_with_targets(unit_a, name="后提交项目"),
        project_with_targets(unit_b, name="先提交项目"),
    )
    spend(first, "50")
    spend(second, "50")
    late = submit(report_of(round_, first), alice)
    early = submit(report_of(round_, second), bob)
    Report.objects.filter(pk=early.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    report_of(round_, project_with_targets(unit_a, name="草稿项目"))
    response = client_of(rita).get(QUEUE)
    assert [r.pk for r in response.context["page"]] == [early.pk, late.pk]
    html = response.content.decode()
    assert "草稿项目" not in html
    assert "西峡县医疗保障局本级" in html and Stage.MONITORING in html


def test_the_queue_filters_by_stage_and_department(client_of, alice, rita, waiting, evaluation):
    client = client_of(rita)
    page = client.get(QUEUE, {"stage": Stage.SELF_EVALUATION}).context["page"]
    assert [r.pk for r in page] == [evaluation.pk]
    other = alice.department_id + 100
    assert list(client.get(QUEUE, {"department": other}).context["page"]) == []


def _submitted_many(unit, round_, user, count: int) -> None:
    for _ in range(count):
        project = ProjectFactory(unit=unit)
        report = report_of(round_, project)
        Report.objects.filter(pk=report.pk).update(
            status=ReportStatus.SUBMITTED, submitted_at=timezone.now(), submitted_by=user
        )


def test_the_queue_runs_the_same_queries_for_5_and_50_reports(client_of, alice, rita, unit_a):
    round_ = monitoring_round()
    client = client_of(rita)
    _submitted_many(unit_a, round_, alice, 5)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    _submitted_many(unit_a, round_, alice, 45)
    with CaptureQueriesContext(connection) as many:
        response = client.get(QUEUE)
    assert len(response.context["page"]) == 50
    assert len(few) == len(many)


# --- approve and return -------------------------------------------------------------------------


def test_the_reviewer_approves_a_report(client_of, rita, waiting):
    response = client_of(rita).post(
        review(waiting), {"action": "approve", "comment": "同意"}, follow=True
    )
    assert REPORT_APPROVED.format(project=waiting.project.name) in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == ReportStatus.APPROVED and waiting.reviewed_by == rita
    step = ReportTransition.objects.filter(report=waiting).last()
    assert (step.from_status, step.to_status, step.user, step.reason) == (
        ReportStatus.SUBMITTED,
        ReportStatus.APPROVED,
        rita,
        "同意",
    )
    assert list(client_of(rita).get(QUEUE).context["page"]) == []


def test_returning_needs_a_reason(client_of, rita, waiting):
    client = client_of(rita)
    before = database_state()
    response = client.post(review(waiting), {"action": "return", "reason": "  "})
    assert response.status_code == 400
    assert RETURN_NEEDS_REASON in response.content.decode()
    assert database_state() == before


def test_the_reviewer_returns_a_report_with_a_reason_and_a_comment(client_of, alice, rita, waiting):
    pk = indicators_of(waiting.project)["参保群众满意度"].pk
    response = client_of(rita).post(
        review(waiting),
        {"action": "return", "reason": "满意度数据来源不明", f"comment_{pk}": "请附调查问卷"},
        follow=True,
    )
    assert REPORT_RETURNED.format(project=waiting.project.name) in response.content.decode()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.return_reason) == (ReportStatus.RETURNED, "满意度数据来源不明")
    assert ReportIndicator.objects.get(indicator_id=pk).reviewer_comment == "请附调查问卷"
    html = client_of(alice).get(reverse("tracking:report_detail", args=[waiting.pk])).content
    assert "满意度数据来源不明" in html.decode() and "请附调查问卷" in html.decode()


@pytest.mark.parametrize("char", ["\x0b", "\x00"])
@pytest.mark.parametrize("field", ["reason", "comment"])
def test_a_return_with_a_control_character_is_refused_on_its_field_and_writes_nothing(
    client_of, rita, waiting, field, char
):
    pk = indicators_of(waiting.project)["参保群众满意度"].pk
    data = {"action": "return", "reason": "满意度数据来源不明", f"comment_{pk}": "请附调查问卷"}
    name = "reason" if field == "reason" else f"comment_{pk}"
    data[name] = f"请附{char}调查问卷"
    client = client_of(rita)
    before = database_state()
    response = client.post(review(waiting), data)
    assert response.status_code == 400
    html = response.content.decode()
    shown = re.search(rf'id="id_{name}".*?(<span class="field-error">[^<]*</span>)', html, re.S)
    assert shown and shown.group(1) == f'<span class="field-error">{UNWRITABLE_CHARACTER}</span>'
    assert database_state() == before
    waiting.refresh_from_db()
    assert waiting.status == ReportStatus.SUBMITTED


def test_a_return_reason_keeps_its_lines_and_tabs(client_of, rita, waiting):
    response = client_of(rita).post(
        review(waiting), {"action": "return", "reason": "一、数据\n二、\t附件"}
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.return_reason == "一、数据\n二、\t附件"


@pytest.mark.parametrize(
    "data",
    [
        {"action": "approve", "comment": "同意\x0b通过"},
        {"action": "rectify", "requirements": "补充\x00签到表"},
    ],
)
def test_approving_or_requiring_rectification_refuses_control_characters(
    client_of, rita, waiting, data
):
    client = client_of(rita)
    before = database_state()
    response = client.post(review(waiting), data)
    assert response.status_code == 400
    assert UNWRITABLE_CHARACTER in response.content.decode()
    assert database_state() == before


def test_an_admin_cannot_approve_a_report_they_submitted(client_of, adam, project):
    report = submit(report_of(monitoring_round(), project), adam)
    client = client_of(adam)
    before = database_state()
    response = client.post(review(report), {"action": "approve"})
    assert response.status_code == 400
    assert REVIEW_OWN_REPORT in response.content.decode()
    assert database_state() == before


def test_an_approved_report_can_no_longer_be_returned(client_of, rita, waiting):
    client = client_of(rita)
    client.post(review(waiting), {"action": "approve"})
    response = client.post(review(waiting), {"action": "return", "reason": "再看看"})
    assert response.status_code == 400
    assert "只有已提交的报告可以审核（当前：已审核）" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == ReportStatus.APPROVED


def test_the_reviewer_requires_rectification_and_both_texts_are_kept(
    client_of, rita, alice, waiting
):
    client = client_of(rita)
    response = client.post(
        review(waiting), {"action": "rectify", "requirements": "补充培训签到表"}, follow=True
    )
    assert RECTIFICATION_REQUIRED.format(project=waiting.project.name) in response.content.decode()
    client_of(alice).post(
        reverse("tracking:report_rectification", args=[waiting.pk]), {"result": "已补充"}
    )
    waiting.refresh_from_db()
    assert waiting.rectification_required
    assert (waiting.rectification_requirements, waiting.rectification_result) == (
        "补充培训签到表",
        "已补充",
    )
    reasons = list(ReportTransition.objects.filter(report=waiting).values_list("reason", flat=True))
    assert "需整改：补充培训签到表" in reasons and "整改结果：已补充" in reasons


# --- band scores --------------------------------------------------------------------------------


def test_the_review_page_shows_the_band_of_a_qualitative_indicator(client_of, rita, evaluation):
    html = client_of(rita).get(review(evaluation)).content.decode()
    assert "部分达成：18.00～24.00 分" in html


def test_the_reviewer_sets_a_band_score_with_a_reason(client_of, rita, evaluation):
    line = ReportIndicator.objects.get(report=evaluation, indicator__name="经办服务水平")
    response = client_of(rita).post(
        review(evaluation),
        {"action": "score", "line": line.pk, "score": "22.5", "reason": "宣传覆盖面较广"},
        follow=True,
    )
    assert SCORE_SET.format(indicator="经办服务水平") in response.content.decode()
    line.refresh_from_db()
    evaluation.refresh_from_db()
    assert line.reviewer_score == Decimal("22.5") and line.score == Decimal("22.5")
    # 10 (100 % executed) + 50 + 22.5 + 10.
    assert evaluation.score == Decimal("92.50") and evaluation.grade == "优"


def test_a_band_score_outside_its_band_is_refused(client_of, rita, evaluation):
    line = ReportIndicator.objects.get(report=evaluation, indicator__name="经办服务水平")
    client = client_of(rita)
    before = database_state()
    response = client.post(
        review(evaluation), {"action": "score", "line": line.pk, "score": "25", "reason": "很好"}
    )
    assert response.status_code == 400
    message = REVIEWER_SCORE_OUT_OF_BAND.format(
        score=Decimal("25"), tier="部分达成", low="18.00", high="24.00"
    )
    assert message in response.content.decode()
    assert database_state() == before


def test_a_quantitative_indicator_keeps_its_computed_score(client_of, rita, evaluation):
    line = ReportIndicator.objects.get(report=evaluation, indicator__name="参保人员培训人数")
    response = client_of(rita).post(
        review(evaluation), {"action": "score", "line": line.pk, "score": "40", "reason": "x"}
    )
    assert REVIEWER_SCORE_NOT_QUALITATIVE in response.content.decode()
    line.refresh_from_db()
    assert line.reviewer_score is None


# --- the queue: pages of 50 ---------------------------------------------------------------------


def test_the_queue_shows_50_reports_a_page_and_counts_them_all(client_of, alice, rita, unit_a):
    round_ = monitoring_round()
    _submitted_many(unit_a, round_, alice, 120)
    client = client_of(rita)
    seen = []
    for number, size in ((1, 50), (2, 50), (3, 20)):
        response = client.get(QUEUE, {"page": number})
        assert response.context["page"].number == number
        assert len(response.context["page"]) == size
        seen += [r.pk for r in response.context["page"]]
        html = response.content.decode()
        assert '<p id="queue-count">共 <strong>120</strong> 份报告等待审核</p>' in html
        assert f"第 {number} / 3 页，共 120 条" in html
    assert sorted(seen) == sorted(Report.objects.values_list("pk", flat=True))


def test_the_queues_page_links_keep_the_filters(client_of, alice, rita, unit_a):
    round_ = monitoring_round()
    _submitted_many(unit_a, round_, alice, 120)
    department = unit_a.department_id
    query = {"stage": Stage.MONITORING, "department": department, "round": round_.pk, "page": 2}
    response = client_of(rita).get(QUEUE, query)
    assert response.context["page"].number == 2 and len(response.context["page"]) == 50
    html = response.content.decode()
    stage = quote(Stage.MONITORING)
    kept = f"?stage={stage}&amp;department={department}&amp;round={round_.pk}&amp;page="
    for number in (1, 3):
        assert f'href="{kept}{number}"' in html


@pytest.mark.parametrize("page, shown", [("99", 3), ("abc", 1), ("0", 3), ("", 1)])
def test_a_queue_page_out_of_range_or_not_a_number_shows_the_last_or_first(
    client_of, alice, rita, unit_a, page, shown
):
    _submitted_many(unit_a, monitoring_round(), alice, 120)
    response = client_of(rita).get(QUEUE, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == shown
    assert len(response.context["page"]) == (20 if shown == 3 else 50)


def test_approving_and_returning_ask_for_confirmation_first(client_of, rita, waiting):
    html = client_of(rita).get(review(waiting)).content.decode()
    assert 'data-confirm="确定审核通过该报告吗？">' in html
    assert 'data-confirm="确定退回该报告吗？">' in html
