"""The site's layout on a phone (390 px wide) in Chromium: no page is wider than the screen —
a wide table scrolls inside its own box — and the menu folds behind a button that opens it."""

from __future__ import annotations

import os
from datetime import date

import pytest

from budgets.choices import Role
from tests.factories import PASSWORD, UserFactory
from tests.tracking.season import (
    ON_TRACK,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    spend,
)
from tracking.services import report_save, report_submit

# Playwright's sync API runs an event loop in this thread; the test's own database reads are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def season(transactional_db, unit_a):
    """Alice's two projects in an open monitoring round, one report submitted for Rita."""
    alice = UserFactory(
        username="alice", name="爱丽丝", role=Role.STAFF, department=unit_a.department
    )
    rita = UserFactory(username="rita", name="丽塔", role=Role.REVIEWER, department=None)
    round_ = monitoring_round()
    submitted = project_with_targets(unit_a, name="城乡居民基本医疗保险经办服务能力提升项目")
    draft = project_with_targets(unit_a, name="医疗保障政策宣传与参保群众满意度调查项目")
    for project in (submitted, draft):
        spend(project, "50", day=date(2024, 6, 30))
    report = report_of(round_, submitted)
    report = report_save(
        report=report, user=alice, version=report.version, data=report_input(submitted, ON_TRACK)
    )
    report = report_submit(report=report, user=alice)
    return {
        "alice": alice,
        "rita": rita,
        "pages of alice": [
            "/budgets/projects/",
            f"/budgets/projects/{draft.pk}/",
            f"/tracking/rounds/{round_.pk}/",
            f"/tracking/reports/{report_of(round_, draft).pk}/edit/",
        ],
        "pages of rita": ["/tracking/review/", f"/tracking/review/{report.pk}/"],
    }


def signed_in(browser, live_server, user, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', user.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def test_no_page_is_wider_than_a_phone_and_wide_tables_scroll_in_their_own_box(
    browser, live_server, season
):
    for user, paths in (
        (season["alice"], season["pages of alice"]),
        (season["rita"], season["pages of rita"]),
    ):
        context, page = signed_in(browser, live_server, user, PHONE)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width} px wide"
        context.close()

    # The project list's table is wider than the phone: it scrolls, the page does not.
    context, page = signed_in(browser, live_server, season["alice"], PHONE)
    page.goto(f"{live_server.url}/budgets/projects/")
    table = page.locator("table.grid").first
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"
    # Printed, even on paper narrower than the breakpoint, a table is a table: a scroll box
    # would cut it off.
    page.emulate_media(media="print")
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    context.close()


def test_on_a_phone_the_menu_button_opens_and_closes_the_menu(browser, live_server, season):
    from playwright.sync_api import expect

    context, page = signed_in(browser, live_server, season["alice"], PHONE)
    toggle = page.locator("[data-nav-toggle]")
    nav = page.locator(".mainnav")
    expect(toggle).to_be_visible()
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    toggle.click()
    expect(nav).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".who button[type=submit]")).to_be_visible()  # 退出
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    nav.get_by_role("link", name="项目").click()
    page.wait_for_url(f"{live_server.url}/budgets/projects/")

    # A new page starts with the menu folded; the button folds it again too.
    expect(nav).to_be_hidden()
    toggle.click()
    expect(nav).to_be_visible()
    toggle.click()
    expect(nav).to_be_hidden()
    context.close()


def test_on_a_desktop_the_menu_is_always_open_and_the_button_is_hidden(
    browser, live_server, season
):
    from playwright.sync_api import expect

    context, page = signed_in(browser, live_server, season["alice"], DESKTOP)
    expect(page.locator(".mainnav")).to_be_visible()
    expect(page.locator("[data-nav-toggle]")).to_be_hidden()
    context.close()
