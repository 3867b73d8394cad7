"""A whole season in the browser: monitoring, then self-evaluation, each submitted, returned
with a reason, fixed, resubmitted and approved; lights and scores update as values are typed."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest

from budgets.choices import Role
from tests.factories import PASSWORD, UserFactory
from tests.services import require_binary
from tracking.choices import ReportStatus, Stage
from tracking.models import Report
from tracking.services import SUBMIT_MISSING_SUMMARY

from .season import indicators_of, project_with_targets, spend

# Playwright's sync API runs an event loop in this thread; the test's own database reads are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("SEASON_SCREENSHOTS", "/tmp")


@pytest.fixture
def browser():
    executable = require_binary("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def season(transactional_db, unit_a):
    """Alice's project with three indicators, half spent by the monitoring cut-off."""
    alice = UserFactory(
        username="alice", name="爱丽丝", role=Role.STAFF, department=unit_a.department
    )
    rita = UserFactory(username="rita", name="丽塔", role=Role.REVIEWER, department=None)
    project = project_with_targets(unit_a, name="医保经办服务项目")
    spend(project, "50", day=date(2024, 6, 30))
    spend(project, "45", day=date(2024, 11, 30))
    return alice, rita, project


def signed_in(browser, live_server, user):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Submit, approve and return ask “确定…吗？” first: this user answers yes, and the test
    # records each question to check that it was asked.
    page.questions = []

    def answer(dialog):
        page.questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', user.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live_server.url}/")
    return page


def open_round(page, live_server, stage: str, as_of: str, deadline: str) -> None:
    page.goto(f"{live_server.url}/tracking/rounds/")
    page.fill('#open-round input[name="year"]', "2024")
    page.select_option('#open-round select[name="stage"]', stage)
    page.fill('#open-round input[name="as_of"]', as_of)
    page.fill('#open-round input[name="deadline"]', deadline)
    page.click('#open-round button[type="submit"]')
    page.wait_for_selector("text=已开启")


def open_report_form(page, live_server, stage: str) -> None:
    page.goto(f"{live_server.url}/tracking/rounds/")
    page.click(f"#open-rounds a:has-text('{stage}')")
    page.click("#round-projects a:has-text('填报')")
    page.click("#report-start")  # opening reads only; the draft is started by a POST
    page.wait_for_selector("#report-form")


def review(page, live_server, project_name: str) -> None:
    page.goto(f"{live_server.url}/tracking/review/")
    page.click(f"#review-queue tr:has-text('{project_name}') a:has-text('审核')")
    page.wait_for_selector("#approve")


def test_a_whole_season_runs_in_the_browser(browser, live_server, season):
    from playwright.sync_api import expect

    alice, rita, project = season
    ids = {name: i.pk for name, i in indicators_of(project).items()}
    output, benefit, satisfaction = (
        ids["参保人员培训人数"],
        ids["经办服务水平"],
        ids["参保群众满意度"],
    )
    reviewer = signed_in(browser, live_server, rita)
    staff = signed_in(browser, live_server, alice)

    # --- monitoring -------------------------------------------------------------------------
    open_round(reviewer, live_server, Stage.MONITORING, "2024-07-31", "2024-08-20")
    open_report_form(staff, live_server, Stage.MONITORING)
    expect(staff.locator("#budget-part")).to_contain_text("58.20%")
    staff.fill(f'input[name="actual_raw_{output}"]', "40人")
    staff.fill(f'input[name="expected_raw_{output}"]', "70人")
    # The light follows the expected value as it is typed.
    expect(staff.locator(f"#preview-{output}")).to_contain_text("黄灯")
    staff.fill(f'input[name="expected_raw_{output}"]', "很多")
    expect(staff.locator(f"#preview-{output}")).to_contain_text("定量指标的实际完成值应为数字")
    staff.fill(f'input[name="expected_raw_{output}"]', "70人")
    expect(staff.locator(f"#preview-{output}")).to_contain_text("黄灯")
    staff.fill(f'input[name="actual_raw_{benefit}"]', "部分达成")
    staff.fill(f'input[name="expected_raw_{benefit}"]', "达成")
    expect(staff.locator(f"#preview-{benefit}")).to_contain_text("绿灯")
    staff.fill(f'input[name="actual_raw_{satisfaction}"]', "92%")
    staff.fill(f'input[name="expected_raw_{satisfaction}"]', "95%")
    expect(staff.locator(f"#preview-{satisfaction}")).to_contain_text("绿灯")
    staff.fill('input[name="expected_executed"]', "98")
    staff.screenshot(path=f"{SCREENSHOTS}/season-monitoring-form.png", full_page=True)

    # A yellow light without its deviation explanation cannot be submitted.
    staff.click("button:has-text('保存并提交')")
    expect(staff.locator("#submit-problems")).to_contain_text(
        "指标“参保人员培训人数”存在偏差，需填写偏差原因类别、原因、完成可能性和改进措施"
    )
    staff.select_option(f'select[name="cause_category_{output}"]', "人员保障")
    staff.fill(f'textarea[name="cause_{output}"]', "培训讲师不足")
    staff.select_option(f'select[name="likelihood_{output}"]', "有可能")
    staff.fill(f'textarea[name="measure_{output}"]', "增聘讲师，下半年加开培训")
    staff.click("button:has-text('保存并提交')")
    expect(staff.locator("#report-status")).to_contain_text("已提交")
    report = Report.objects.get(round__stage=Stage.MONITORING)
    assert report.status == ReportStatus.SUBMITTED and report.target_light == "yellow"

    review(reviewer, live_server, project.name)
    reviewer.fill('#return textarea[name="reason"]', "培训人数偏差较大，请核实全年预计数")
    reviewer.click("#return button[type='submit']")
    expect(reviewer.locator(".messages")).to_contain_text("已退回")

    staff.goto(f"{live_server.url}/tracking/reports/{report.pk}/")
    expect(staff.locator("#return-reason")).to_contain_text("培训人数偏差较大，请核实全年预计数")
    staff.screenshot(path=f"{SCREENSHOTS}/season-returned.png", full_page=True)
    staff.click("a:has-text('填报 / 修改')")
    staff.fill(f'input[name="expected_raw_{output}"]', "100人")
    expect(staff.locator(f"#preview-{output}")).to_contain_text("绿灯")
    staff.click("button:has-text('保存并提交')")
    expect(staff.locator("#report-status")).to_contain_text("已提交")

    review(reviewer, live_server, project.name)
    reviewer.click("#approve button[type='submit']")
    expect(reviewer.locator(".messages")).to_contain_text("已审核通过")
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    assert list(report.transitions.values_list("to_status", flat=True)) == [
        ReportStatus.SUBMITTED,
        ReportStatus.RETURNED,
        ReportStatus.SUBMITTED,
        ReportStatus.APPROVED,
    ]

    # --- self-evaluation ------------------------------------------------------------------------
    open_round(reviewer, live_server, Stage.SELF_EVALUATION, "2024-12-31", "2025-03-31")
    open_report_form(staff, live_server, Stage.SELF_EVALUATION)
    staff.fill(f'input[name="actual_raw_{output}"]', "80人")
    expect(staff.locator(f"#preview-{output}")).to_contain_text("得分 40.00 / 50.00")
    staff.fill(f'input[name="actual_raw_{benefit}"]', "达成")
    expect(staff.locator(f"#preview-{benefit}")).to_contain_text("得分 30.00 / 30.00")
    staff.fill(f'input[name="actual_raw_{satisfaction}"]', "95%")
    expect(staff.locator(f"#preview-{satisfaction}")).to_contain_text("得分 10.00 / 10.00")
    staff.click("button:has-text('保存'):not(:has-text('提交'))")
    # 95 % executed → 9.5, output 40, benefit 30, satisfaction 10.
    expect(staff.locator("#report-score")).to_contain_text("89.50")
    expect(staff.locator("#report-score")).to_contain_text("良")
    staff.screenshot(path=f"{SCREENSHOTS}/season-self-evaluation-form.png", full_page=True)
    # Submitting lists every missing item at once: the cause of the line below full marks and
    # the overall explanation.
    staff.click("button:has-text('保存并提交')")
    problems = staff.locator("#submit-problems")
    expect(problems).to_contain_text("指标“参保人员培训人数”未完全达成目标")
    expect(problems).to_contain_text(SUBMIT_MISSING_SUMMARY)
    assert any("确定" in question for question in staff.questions)
    staff.fill(f'textarea[name="explanation_{output}"]', "培训场地改造，部分课程顺延")
    staff.fill('textarea[name="summary"]', "年度目标基本完成，培训人数因场地改造未达标")
    staff.click("button:has-text('保存并提交')")
    expect(staff.locator("#report-status")).to_contain_text("已提交")
    evaluation = Report.objects.get(round__stage=Stage.SELF_EVALUATION)

    review(reviewer, live_server, project.name)
    reviewer.fill('#return textarea[name="reason"]', "培训人数未达标，请说明原因")
    reviewer.click("#return button[type='submit']")
    expect(reviewer.locator(".messages")).to_contain_text("已退回")

    staff.goto(f"{live_server.url}/tracking/reports/{evaluation.pk}/edit/")
    expect(staff.locator("#return-reason")).to_contain_text("培训人数未达标，请说明原因")
    staff.fill(f'textarea[name="explanation_{output}"]', "部分培训因场地改造推迟")
    staff.click("button:has-text('保存并提交')")
    expect(staff.locator("#report-status")).to_contain_text("已提交")

    review(reviewer, live_server, project.name)
    expect(reviewer.locator("#report-score")).to_contain_text("89.50")
    reviewer.screenshot(path=f"{SCREENSHOTS}/season-review.png", full_page=True)
    reviewer.click("#approve button[type='submit']")
    expect(reviewer.locator(".messages")).to_contain_text("已审核通过")

    staff.goto(f"{live_server.url}/tracking/reports/{evaluation.pk}/")
    expect(staff.locator("#report-status")).to_contain_text("已审核")
    expect(staff.locator("#report-score")).to_contain_text("89.50")
    expect(staff.locator("#report-score")).to_contain_text("良")
    reviewer.goto(f"{live_server.url}/tracking/rounds/")
    reviewer.screenshot(path=f"{SCREENSHOTS}/season-rounds.png", full_page=True)
    reviewer.goto(f"{live_server.url}/tracking/rounds/{report.round_id}/")
    reviewer.screenshot(path=f"{SCREENSHOTS}/season-round.png", full_page=True)
    reviewer.goto(f"{live_server.url}/tracking/reports/{evaluation.pk}/history/")
    expect(reviewer.locator("#history")).to_contain_text("部分培训因场地改造推迟")
    reviewer.screenshot(path=f"{SCREENSHOTS}/season-history.png", full_page=True)
    staff.goto(f"{live_server.url}/tracking/reports/{evaluation.pk}/print/")
    expect(staff.locator("#official-table")).to_contain_text("部分培训因场地改造推迟")
    staff.screenshot(path=f"{SCREENSHOTS}/season-printout.png", full_page=True)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.score, evaluation.grade) == (
        ReportStatus.APPROVED,
        Decimal("89.50"),
        "良",
    )
    assert evaluation.project.__class__.objects.get(pk=project.pk).targets_locked
