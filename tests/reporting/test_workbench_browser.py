"""The workbenches in Chromium: the reviewer finds the late department on the board, opens it,
returns a submitted report; the staff member then finds it first on their home and in the
inbox. Both homes draw every chart, at 1440 px and at 390 px without scrolling sideways.
Screenshots of both homes are saved in var/screenshots/ for a person to look at."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets.choices import Role
from budgets.models import DepartmentRateSnapshot
from tests.factories import PASSWORD, UnitFactory, UserFactory
from tests.services import ROOT
from tests.tracking.season import (
    ON_TRACK,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    self_evaluation_round,
    spend,
)
from tracking.models import Report
from tracking.services import report_save, report_submit

# Playwright's sync API runs an event loop in this thread; the test's own database reads are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
SCREENSHOTS = ROOT / "var" / "screenshots"
MONITORING = "monitoring-2024-07-31"
REASON = "满意度调查样本量不足，请补充调查方法和样本数"
SENT = "城乡居民基本医疗保险经办服务能力提升项目"


@pytest.fixture
def season(transactional_db, unit_a, unit_b):
    """Alice's department: one report submitted, one draft, both in the monitoring round
    past its deadline; Bob's department has not started. The self-evaluation round closes
    in three days; the nightly snapshots of three months feed the trend."""
    alice = UserFactory(
        username="alice", name="爱丽丝", role=Role.STAFF, department=unit_a.department
    )
    rita = UserFactory(username="rita", name="丽塔", role=Role.REVIEWER, department=None)
    round_ = monitoring_round()
    self_evaluation_round(deadline=timezone.localdate() + timedelta(days=3))
    sent = project_with_targets(unit_a, name=SENT)
    draft = project_with_targets(unit_a, name="医疗保障政策宣传与参保群众满意度调查项目")
    other = project_with_targets(
        UnitFactory(department=unit_b.department), name="西峡县医保信息化建设项目"
    )
    for project in (sent, draft, other):
        spend(project, "50", day=date(2024, 6, 30))
    report = report_of(round_, sent)
    report = report_save(
        report=report, user=alice, version=report.version, data=report_input(sent, ON_TRACK)
    )
    report_submit(report=report, user=alice)
    report_of(round_, draft)
    for department in (unit_a.department, unit_b.department):
        for month, rate in ((5, 30), (6, 45), (7, 50)):
            DepartmentRateSnapshot.objects.create(
                department=department,
                year=2024,
                as_of=date(2024, month, 28),
                initial=Decimal(100),
                adjusted=Decimal(100),
                executed=Decimal(rate),
                execution_rate=Decimal(rate),
                warning="green",
            )
    return {"alice": alice, "rita": rita, "round": round_, "report": report}


def signed_in(browser, live_server, user, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Returning asks “确定…吗？” first: this user answers yes.
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', user.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until it is true. Not page.wait_for_function: its
    predicate is compiled with eval, which the site's CSP (script-src 'self') forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for: {expression}"
        page.wait_for_timeout(100)


def charts_drawn(page) -> dict[str, bool]:
    """Each chart box and whether ECharts drew into it (a canvas or an svg)."""
    wait_until(page, "document.querySelectorAll('[data-chart][data-drawn]').length > 0")
    return page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-chart]')].map("
        "b => [b.dataset.chart, !!b.querySelector('canvas, svg')]))"
    )


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_the_reviewer_returns_a_late_departments_report_and_the_staff_finds_it_first(
    browser, live_server, season
):
    from playwright.sync_api import expect

    context, page = signed_in(browser, live_server, season["rita"], DESKTOP)
    expect(page.locator("h1")).to_have_text("财政局工作台")
    expect(page.locator("#status-board")).to_be_visible()
    assert all(charts_drawn(page).values())
    screenshot(page, "workbench-bureau-1440.png")

    # The monitoring round, past its deadline: both departments are late.
    with page.expect_navigation():
        page.select_option("#round-selector select[name=round]", MONITORING)
    late = page.locator("#status-board tr.late")
    expect(late).to_have_count(2)
    expect(late.filter(has_text="新乡市医疗保障局")).to_contain_text("逾期")
    screenshot(page, "workbench-bureau-monitoring-1440.png")

    late.filter(has_text="新乡市医疗保障局").locator("a.department-link").click()
    page.wait_for_url(f"**/reporting/workbench/departments/**round={MONITORING}**")
    expect(page.locator("#overdue-flag")).to_be_visible()
    expect(page.locator("nav.breadcrumbs")).to_contain_text("财政局工作台")
    row = page.locator("#project-table tr", has_text=SENT)
    expect(row).to_contain_text("已提交")
    row.locator("a.review-link").click()
    page.wait_for_selector("#return")
    page.fill("#return textarea[name=reason]", REASON)
    page.click("#return button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tracking/review/")
    expect(page.locator(".messages")).to_contain_text("已退回")
    context.close()
    assert Report.objects.get(pk=season["report"].pk).status == "returned"

    context, page = signed_in(browser, live_server, season["alice"], DESKTOP)
    first = page.locator("#report-tasks li").first
    expect(first).to_have_attribute("data-status", "returned")
    expect(first).to_contain_text(SENT)
    expect(first).to_contain_text(REASON)
    assert all(charts_drawn(page).values())
    screenshot(page, "workbench-department-1440.png")
    page.goto(f"{live_server.url}/tracking/inbox/")
    expect(page.locator("main")).to_contain_text(f"【报告被退回】{SENT}")
    context.close()


def test_on_a_phone_both_homes_fit_the_screen_and_draw_every_chart(browser, live_server, season):
    for user, name in ((season["rita"], "bureau"), (season["alice"], "department")):
        context, page = signed_in(browser, live_server, user, PHONE)
        for path in ("/", f"/?year=2024&round={MONITORING}"):
            page.goto(f"{live_server.url}{path}")
            drawn = charts_drawn(page)
            assert drawn and all(drawn.values()), drawn
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} {path} is {width} px wide"
        # A chart follows its box: as wide as the phone's content, never wider.
        widths = page.evaluate(
            "[...document.querySelectorAll('[data-chart] canvas')].map(c => c.clientWidth)"
        )
        assert widths and max(widths) <= PHONE["width"]
        screenshot(page, f"workbench-{name}-390.png")
        # The drill-down's pages fit too.
        page.click("#status-board a.department-link" if name == "bureau" else "#project-table a")
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
        if name == "bureau":
            assert all(charts_drawn(page).values())
            page.click("#project-table a")
            page.wait_for_load_state()
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        context.close()


def test_a_chart_resizes_with_the_window(browser, live_server, season):
    context, page = signed_in(browser, live_server, season["rita"], DESKTOP)
    charts_drawn(page)
    wide = page.evaluate("document.querySelector('[data-chart=execution] canvas').clientWidth")
    assert wide > PHONE["width"]
    page.set_viewport_size(PHONE)
    # Every chart follows its box on the next frame, and then nothing is wider than the phone.
    wait_until(
        page,
        "[...document.querySelectorAll('[data-chart] canvas')].every(c => c.clientWidth <= 390)"
        " && document.documentElement.scrollWidth <= 390",
    )
    context.close()
