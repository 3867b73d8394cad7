"""The main pages under the Content-Security-Policy in Chromium: nothing is refused, and
htmx still updates the previews as values are typed."""

from __future__ import annotations

import os
from datetime import date

import pytest

from budgets.choices import Role
from config.csp import HEADER
from tests.factories import PASSWORD, UserFactory
from tests.tracking.season import (
    indicators_of,
    monitoring_round,
    project_with_targets,
    report_of,
    spend,
)

# Playwright's sync API runs an event loop in this thread; the test's own database reads are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium reports a blocked script or style on the console ("Refused to execute inline
# script because it violates the following Content Security Policy directive …"); the
# page's securitypolicyviolation event is logged too, in case a message changes wording.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("securitypolicyviolation " + event.violatedDirective + " " + event.blockedURI);
});
"""


def is_violation(text: str) -> bool:
    return (
        "Refused to" in text
        or "Content Security Policy" in text
        or "securitypolicyviolation" in text
    )


@pytest.fixture
def pages(transactional_db, unit_a):
    """Alice's project with targets, half spent, and her monitoring report of an open round."""
    alice = UserFactory(
        username="alice", name="爱丽丝", role=Role.STAFF, department=unit_a.department
    )
    project = project_with_targets(unit_a, budget="100")
    spend(project, "50", day=date(2024, 6, 30))
    report = report_of(monitoring_round(), project)
    return alice, project, report


def test_the_main_pages_run_under_the_policy_and_htmx_still_works(browser, live_server, pages):
    from playwright.sync_api import expect

    alice, project, report = pages
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    policies: list[str | None] = []

    def record_policy(response) -> None:
        if response.request.resource_type == "document":
            policies.append(response.headers.get(HEADER.lower()))

    page.on("response", record_policy)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', alice.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live_server.url}/")

    for path in (
        "/budgets/projects/",
        f"/budgets/projects/{project.pk}/",
        "/budgets/import/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")

    # The target editor: the value's meaning is previewed as it is typed (htmx GET).
    page.goto(f"{live_server.url}/performance/projects/{project.pk}/targets/")
    page.fill("#new-value", "≥95")
    page.press("#new-value", "%")  # the preview listens to keyup
    expect(page.locator("#new-preview [data-preview]")).to_be_visible()
    # Deleting asks first (a data-confirm form, no onsubmit attribute); declining keeps it.
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator("button.danger").first.click()
    expect(page.locator("button.danger")).to_have_count(len(indicators_of(project)))
    assert dialogs and dialogs[0].startswith("确定删除指标")

    # The report form: the light follows the expected value (htmx POST with the CSRF header).
    output = indicators_of(project)["参保人员培训人数"].pk
    page.goto(f"{live_server.url}/tracking/reports/{report.pk}/edit/")
    page.fill(f'input[name="actual_raw_{output}"]', "40人")
    page.fill(f'input[name="expected_raw_{output}"]', "70人")
    expect(page.locator(f"#preview-{output}")).to_contain_text("黄灯")
    # …and the page's own script (a static file) opens the deviation fields of a yellow light.
    expect(page.locator(f"#deviation-{output} details")).to_have_attribute("open", "")

    violations = [text for text in console if is_violation(text)]
    assert violations == []
    assert policies and all(policy and "script-src 'self'" in policy for policy in policies)
    context.close()
