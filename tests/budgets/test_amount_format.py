"""One format for amounts and percentages on every list, table and history page: thousands
separators and two decimals rounded half-up ("1,234.50", "49.03"); the exact value only in
the form input where a user edits it."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from budgets.templatetags.money import money, money_text, percent, percent_text
from tests.factories import AdjustmentFactory, PaymentFactory, ProjectFactory
from tests.tracking.season import (
    ON_TRACK,
    form_data,
    monitoring_round,
    project_with_targets,
    report_of,
    spend,
)

D = Decimal

# --- the filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("49.0335"), "49.03"),
        (D("49.035"), "49.04"),  # half-up, never to even
        (D("2.675"), "2.68"),
        (D("0.005"), "0.01"),
        (D("-0.005"), "-0.01"),
        (D("-0.004"), "0.00"),  # never "-0.00"
        (D("1234.5"), "1,234.50"),
        (D("0.500000"), "0.50"),
        (D("1234567.000001"), "1,234,567.00"),
        (D("999999999999.999999"), "1,000,000,000,000.00"),
        (D("1E+3"), "1,000.00"),
        (1200, "1,200.00"),
        ("2751.615", "2,751.62"),  # text a view wrote with rates.format_amount
        (None, "—"),
        ("—", "—"),
    ],
)
def test_an_amount_has_separators_and_two_decimals_half_up(value, shown):
    assert money(value) == money_text(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("58.196721"), "58.20%"),
        (D("1234.5"), "1,234.50%"),
        (D("0"), "0.00%"),
        ("58.33%", "58.33%"),  # a rate a view already wrote as text
        ("1234.50%", "1,234.50%"),
        ("58.33", "58.33%"),
        (None, "—"),
        ("—", "—"),
    ],
)
def test_a_percentage_has_separators_and_two_decimals(value, shown):
    assert percent(value) == percent_text(value) == shown


def test_both_filters_load_from_the_money_library():
    template = Template("{% load money %}{{ a|money }} · {{ r|percent }}")
    assert template.render(Context({"a": D("1234.5"), "r": D("49.0335")})) == "1,234.50 · 49.03%"


# --- pages ------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(unit_a):
    """50.55 万元 budget, 49.0335 spent: the two used to stand side by side as typed."""
    project = project_with_targets(unit_a, budget="50.55")
    spend(project, "49.0335")
    return project


def test_the_project_list_and_page_show_two_decimals(client_of, alice, project):
    client = client_of(alice)
    listed = client.get(reverse("budgets:project_list") + "?as_of=2024-07-31").content.decode()
    row = re.search(rf'<tr data-project="{project.code}".*?</tr>', listed, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["50.55", "50.55", "49.03"]
    assert '<span class="rate">97.00%</span>' in row  # 49.0335 / 50.55 = 96.999 %
    page = client.get(reverse("budgets:project_detail", args=[project.pk])).content.decode()
    facts = re.search(r'<dl class="facts">.*?</dl>', page, re.S).group(0)
    assert "执行数</dt><dd>49.03 万元" in facts and "全年预算数</dt><dd>50.55 万元" in facts
    assert "49.0335" not in listed and "49.0335" not in facts
    payments = re.search(r'<table class="grid payments">.*?</table>', page, re.S).group(0)
    assert '<td class="num">49.03</td>' in payments


def test_thousands_get_separators_on_the_page(client_of, alice, unit_a):
    project = ProjectFactory(unit=unit_a, initial_budget=D("1234.5"))
    AdjustmentFactory(project=project, amount=D("-0.005"), date=date(2024, 3, 1))
    page = client_of(alice).get(reverse("budgets:project_detail", args=[project.pk]))
    html = page.content.decode()
    assert "1,234.50 万元" in html  # 年初预算
    assert '<td class="num">-0.01</td>' in html  # the adjustment, half-up


def test_the_exact_amount_stays_in_the_edit_form(client_of, alice, project):
    payment = project.payments.get()
    html = client_of(alice).get(reverse("budgets:payment_edit", args=[payment.pk])).content
    assert re.search(r'name="amount"[^>]*value="49\.0335"', html.decode())


def test_the_report_pages_show_two_decimals(client_of, alice, project):
    report = report_of(monitoring_round(), project)
    client = client_of(alice)
    client.post(
        reverse("tracking:report_edit", args=[report.pk]),
        form_data(report, ON_TRACK, expected_executed="49.0335"),
    )
    detail = client.get(reverse("tracking:report_detail", args=[report.pk])).content.decode()
    budget = re.search(r'id="budget-part".*?</table>', detail, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', budget)
    assert cells[:3] == ["50.55", "50.55", "49.03"] and "49.03" in cells[-1]
    assert "97.00%" in cells
    # The form keeps the exact value where it is edited.
    edit = client.get(reverse("tracking:report_edit", args=[report.pk])).content.decode()
    assert re.search(r'name="expected_executed"[^>]*value="49\.0335(00)?"', edit)


def test_the_round_page_shows_rates_with_two_decimals(client_of, alice, project):
    round_ = monitoring_round()
    report_of(round_, project)
    html = client_of(alice).get(reverse("tracking:round_detail", args=[round_.pk])).content
    assert '<td class="num">97.00%</td>' in html.decode()


def test_the_report_history_shows_amounts_as_the_pages_do(client_of, alice, project):
    report = report_of(monitoring_round(), project)
    client = client_of(alice)
    client.post(
        reverse("tracking:report_edit", args=[report.pk]),
        form_data(report, ON_TRACK, expected_executed="0.5"),
    )
    PaymentFactory(project=project, amount=D("1234.5"), date=date(2024, 4, 1))
    html = client.get(reverse("tracking:report_history", args=[report.pk])).content.decode()
    assert "0.500000" not in html and "1234.500000" not in html
    assert "<strong>全年预计执行数（万元）</strong>：— → 0.50" in html
    assert "<strong>金额（万元）</strong>：— → 1,234.50" in html
    assert "<strong>年初预算（万元）</strong>：— → 50.55" in html
