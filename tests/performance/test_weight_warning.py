"""The target editor warns before saving that a 权重 on some indicators makes review ask for
one on every indicator, adding up to 90 (server-rendered here; static/js/weight-warning.js
redoes it as a 权重 is typed, from the data attributes checked below)."""

from __future__ import annotations

import os
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.choices import Role
from budgets.templatetags.target_weights import WEIGHT_TOTAL as EDITOR_TOTAL
from performance.review import REVIEW_WEIGHT_MISSING, WEIGHT_TOTAL
from tests.factories import PASSWORD, UserFactory

from .conftest import complete_targets, make_indicator

pytestmark = pytest.mark.django_db

PARTIAL = "已为部分指标填写权重：每个指标都要填写权重，且合计为90"


def targets_url(project) -> str:
    return reverse("performance:project_targets", args=[project.pk])


def edit_url(indicator) -> str:
    return reverse("performance:indicator_edit", args=[indicator.pk])


def warning_of(html: str, prefix: str) -> re.Match:
    match = re.search(
        rf'<span class="weight-warning" id="{prefix}-weight-warning"(?P<attrs>[^>]*)>'
        r"(?P<text>[^<]*)</span>",
        html,
    )
    assert match, f"no 权重 warning in the {prefix} form"
    return match


def attrs(match: re.Match) -> dict[str, str]:
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', match.group("attrs")))


def test_the_add_form_warns_when_the_project_has_partial_weights(client_of, alice, project_a):
    first, *others = complete_targets(project_a)
    first.weight = 30
    first.save()
    html = client_of(alice).get(targets_url(project_a)).content.decode()
    warning = warning_of(html, "new")
    assert " hidden" not in warning.group("attrs")
    assert warning.group("text").startswith(PARTIAL)
    assert f"（已填1个，未填{len(others)}个）" in warning.group("text")
    # What the script adds a typed 权重 to: every indicator, as the form adds one.
    assert attrs(warning) == {
        "weight-input": "new-weight",
        "others-filled": "1",
        "others-missing": str(len(others)),
        "others-sum": "30.000",
        "total": "90",
    }
    # The review names the indicators without one; the editor says why beforehand.
    assert REVIEW_WEIGHT_MISSING.format(level1=others[0].level1, name=others[0].name) in html


def test_the_edit_form_warns_and_leaves_out_the_indicator_it_edits(client_of, alice, project_a):
    first, second, *others = complete_targets(project_a)
    first.weight = 30
    first.save()
    html = client_of(alice).get(edit_url(second)).content.decode()
    warning = warning_of(html, "edit")
    assert warning.group("text").startswith(PARTIAL)
    assert attrs(warning)["others-filled"] == "1"
    assert attrs(warning)["others-missing"] == str(len(others))
    # Editing the weighted one: the others have none yet.
    warning = warning_of(client_of(alice).get(edit_url(first)).content.decode(), "edit")
    assert (attrs(warning)["others-filled"], attrs(warning)["others-sum"]) == ("0", "0")
    assert warning.group("text").startswith(PARTIAL)


def test_no_warning_without_weights(client_of, alice, project_a):
    indicators = complete_targets(project_a)
    client = client_of(alice)
    for html, prefix in (
        (client.get(targets_url(project_a)).content.decode(), "new"),
        (client.get(edit_url(indicators[0])).content.decode(), "edit"),
    ):
        warning = warning_of(html, prefix)
        assert " hidden" in warning.group("attrs") and warning.group("text") == ""
        assert attrs(warning)["others-filled"] == "0"
    assert "js/weight-warning.js" in client.get(targets_url(project_a)).content.decode()


def test_no_warning_when_every_weight_is_there_and_adds_up_to_90(client_of, alice, project_a):
    indicators = complete_targets(project_a)
    for indicator, weight in zip(indicators, (20, 30, 30, 10), strict=True):
        indicator.weight = weight
        indicator.save()
    html = client_of(alice).get(targets_url(project_a)).content.decode()
    warning = warning_of(html, "new")
    assert " hidden" in warning.group("attrs")
    assert attrs(warning)["others-sum"] == "90.000"


def test_weights_off_90_are_named_with_their_sum(client_of, alice, project_a):
    indicators = complete_targets(project_a)
    for indicator in indicators:
        indicator.weight = 20
        indicator.save()
    warning = warning_of(client_of(alice).get(targets_url(project_a)).content.decode(), "new")
    assert warning.group("text") == "权重合计为80，应为90（另10分属于预算执行率）"


def test_the_warning_costs_one_query_whatever_the_indicators(client_of, alice, project_a):
    client = client_of(alice)
    make_indicator(project_a, "产出指标", "场次", "≥10场", weight="30")
    client.get(targets_url(project_a))
    with CaptureQueriesContext(connection) as few:
        client.get(targets_url(project_a))
    for n in range(20):
        make_indicator(project_a, "产出指标", f"场次{n}", "≥10场")
    with CaptureQueriesContext(connection) as many:
        html = client.get(targets_url(project_a)).content.decode()
    assert "（已填1个，未填20个）" in html
    assert len(few) == len(many)


def test_the_editor_warns_by_the_rule_review_applies():
    assert EDITOR_TOTAL == WEIGHT_TOTAL


# --- as the user types (Chromium) ----------------------------------------------------------------


@pytest.fixture
def async_unsafe(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the test's own database reads
    are still plain synchronous calls (requested before `browser`)."""
    monkeypatch.setitem(os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_typing_a_weight_while_others_have_none_shows_the_warning(
    async_unsafe, browser, live_server, project_a
):
    from playwright.sync_api import expect

    staff = UserFactory(username="alice", role=Role.STAFF, department=project_a.department)
    first, *_ = complete_targets(project_a)
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', staff.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}{targets_url(project_a)}")
    warning = page.locator("#new-weight-warning")
    expect(warning).to_be_hidden()
    page.fill("#new-weight", "30")
    expect(warning).to_be_visible()
    expect(warning).to_have_text(PARTIAL + "（保存后：已填1个，未填4个）")
    page.fill("#new-weight", "")
    expect(warning).to_be_hidden()

    # Every indicator weighted but the one edited: filling it in settles it when 90 is reached.
    others = [i for i in project_a.indicators.all() if i.pk != first.pk]
    for indicator in others:
        indicator.weight = 20
        indicator.save()
    page.goto(f"{live_server.url}{edit_url(first)}")
    warning = page.locator("#edit-weight-warning")
    expect(warning).to_contain_text(PARTIAL)  # as saved: the edited one has none
    page.fill("#edit-weight", "25.5")
    expect(warning).to_have_text("保存后权重合计为85.5，应为90（另10分属于预算执行率）")
    page.fill("#edit-weight", "30")
    expect(warning).to_be_hidden()
