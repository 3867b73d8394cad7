"""The budgets pages: project list and detail, payment and adjustment forms, payment list."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.forms import AMOUNT_INVALID, AS_OF_OUTSIDE_YEAR
from budgets.models import Adjustment, Payment, Project, WarningSettings
from budgets.rates import time_progress
from budgets.services import (
    AMOUNT_TOO_PRECISE,
    DATE_OUTSIDE_FISCAL_YEARS,
    DATE_OUTSIDE_YEAR,
    PROJECT_NOT_IN_YEAR,
    VOUCHER_TAKEN,
)
from budgets.text import UNWRITABLE_CHARACTER
from tests.bureaus import two_bureaus
from tests.factories import AdjustmentFactory, PaymentFactory, ProjectFactory

from .workbooks import database_state

AS_OF = "2024-07-31"  # 序时进度 213/366 = 58.20 %


@pytest.fixture(autouse=True)
def warning_settings(db):
    # Created up front so that no page pays for get_or_create inside a counted block.
    return WarningSettings.current()


@pytest.fixture
def project_a(unit_a):
    return ProjectFactory(
        unit=unit_a, code="309-A1", name="医保基金监管", initial_budget=Decimal("100")
    )


@pytest.fixture
def project_b(unit_b):
    return ProjectFactory(
        unit=unit_b, code="044-B1", name="西峡医保信息化", initial_budget=Decimal("50")
    )


@pytest.fixture
def payment_a(project_a):
    return PaymentFactory(project=project_a, voucher="记-0001", amount=Decimal("10"))


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def list_url(**params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("budgets:project_list") + (f"?{query}" if query else "")


def row_of(html: str, code: str) -> str:
    match = re.search(rf'<tr data-project="{re.escape(code)}".*?</tr>', html, re.S)
    assert match, f"no row for {code}"
    return match.group(0)


def listed_codes(html: str) -> list[str]:
    return re.findall(r'<tr data-project="([^"]+)"', html)


# --- no access ---------------------------------------------------------------------------


def protected_urls(project_a, payment_a) -> list[str]:
    return [
        reverse("budgets:project_list"),
        reverse("budgets:project_detail", args=[project_a.pk]),
        reverse("budgets:payment_create", args=[project_a.pk]),
        reverse("budgets:adjustment_create", args=[project_a.pk]),
        reverse("budgets:payment_create") + f"?department={project_a.department_id}",
        reverse("budgets:payment_list"),
        reverse("budgets:payment_edit", args=[payment_a.pk]),
        reverse("budgets:payment_delete", args=[payment_a.pk]),
        reverse("budgets:import_upload"),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, project_a, payment_a):
    for url in protected_urls(project_a, payment_a):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"], url


def test_bob_cannot_see_alices_project(client_of, bob, project_a):
    response = client_of(bob).get(reverse("budgets:project_detail", args=[project_a.pk]))
    assert response.status_code == 404


def test_bob_cannot_reach_or_post_any_form_of_alices_project(client_of, bob, project_a, payment_a):
    client = client_of(bob)
    before = database_state()
    payment = {"voucher": "记-9999", "date": "2024-05-01", "amount": "5"}
    adjustment = {"document_number": "豫财预〔2024〕9号", "date": "2024-05-01", "amount": "5"}
    posts = [
        (reverse("budgets:payment_create", args=[project_a.pk]), payment),
        (reverse("budgets:adjustment_create", args=[project_a.pk]), adjustment),
        (
            reverse("budgets:payment_create") + f"?department={project_a.department_id}",
            payment,
        ),
        (reverse("budgets:payment_edit", args=[payment_a.pk]), payment),
        (reverse("budgets:payment_delete", args=[payment_a.pk]), {}),
    ]
    for url, data in posts:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    assert database_state() == before


def test_staff_list_only_their_own_department_even_when_asking_for_another(
    client_of, alice, project_a, project_b
):
    html = html_of(
        client_of(alice).get(list_url(department=str(project_b.department_id), as_of=AS_OF))
    )
    assert listed_codes(html) == ["309-A1"]
    assert "西峡医保信息化" not in html


def test_the_reviewer_sees_every_department_and_may_narrow_to_one(
    client_of, rita, project_a, project_b
):
    client = client_of(rita)
    assert listed_codes(html_of(client.get(list_url(as_of=AS_OF)))) == ["044-B1", "309-A1"]
    one = html_of(client.get(list_url(department=str(project_b.department_id), as_of=AS_OF)))
    assert listed_codes(one) == ["044-B1"]


def test_the_reviewer_sees_any_project_page(client_of, rita, project_b):
    html = html_of(client_of(rita).get(reverse("budgets:project_detail", args=[project_b.pk])))
    assert "西峡医保信息化" in html


# --- project list --------------------------------------------------------------------------


def test_the_list_shows_figures_to_two_places_rate_bar_mark_and_light(client_of, alice, unit_a):
    project = ProjectFactory(
        unit=unit_a, code="P1", initial_budget=Decimal("100"), carryover=Decimal("20.5")
    )
    AdjustmentFactory(project=project, amount=Decimal("-0.5"), date=date(2024, 3, 1))
    AdjustmentFactory(project=project, amount=Decimal("30"), date=date(2024, 9, 1))  # after
    PaymentFactory(project=project, amount=Decimal("60.000001"), date=date(2024, 7, 31))
    PaymentFactory(project=project, amount=Decimal("5"), date=date(2024, 8, 1))  # after
    row = row_of(html_of(client_of(alice).get(list_url(as_of=AS_OF))), "P1")
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    # Lists show two places; the rate is computed from the exact amounts.
    assert cells == ["120.50", "120.00", "60.00"]
    # 60.000001 / 120 = 50.0000008 % ≥ 0.8 × 58.196… = 46.56 %: green.
    assert '<span class="rate">50.00%</span>' in row
    assert 'class="fill green" style="width: 50.00%"' in row
    assert 'class="mark" style="left: 58.20%"' in row
    assert 'data-warning="green"' in row and "正常" in row


def test_the_totals_row_adds_the_whole_filtered_set_exactly(client_of, alice, unit_a):
    for i, (budget, spent) in enumerate([("0.1", "0.05"), ("0.2", "0.05"), ("100", "0")]):
        project = ProjectFactory(unit=unit_a, code=f"T{i}", initial_budget=Decimal(budget))
        PaymentFactory(project=project, amount=Decimal(spent), date=date(2024, 1, 2))
    html = html_of(client_of(alice).get(list_url(as_of=AS_OF, q="T")))
    totals = re.search(r'<tr class="totals">.*?</tr>', html, re.S).group(0)
    assert "合计（3个项目）" in totals
    assert re.findall(r'<th class="num">([^<]*)</th>', totals) == ["100.30", "100.30", "0.10"]
    assert '<span class="rate">0.10%</span>' in totals and "红色预警" in totals


def test_the_year_defaults_to_the_latest_with_projects_and_can_be_chosen(client_of, alice, unit_a):
    ProjectFactory(unit=unit_a, year=2023, code="OLD")
    ProjectFactory(unit=unit_a, year=2024, code="NEW")
    client = client_of(alice)
    assert listed_codes(html_of(client.get(list_url()))) == ["NEW"]
    old = html_of(client.get(list_url(year="2023")))
    assert listed_codes(old) == ["OLD"]
    # A past year is shown as of its 31 December: the time progress is 100 %.
    assert "序时进度 100.00%" in old


def test_an_as_of_date_outside_the_year_is_refused_and_the_default_used(
    client_of, alice, project_a
):
    html = html_of(client_of(alice).get(list_url(year="2024", as_of="2025-01-01")))
    assert AS_OF_OUTSIDE_YEAR.format(year=2024) in html
    assert "截至 2024年12月31日" in html


def test_search_and_type_filters_narrow_the_list(client_of, alice, unit_a):
    ProjectFactory(unit=unit_a, code="S-1", name="医疗救助", type="特定目标类")
    ProjectFactory(unit=unit_a, code="S-2", name="办公运转", type="其他运转类")
    client = client_of(alice)
    assert listed_codes(html_of(client.get(list_url(q="救助")))) == ["S-1"]
    assert listed_codes(html_of(client.get(list_url(q="s-2")))) == ["S-2"]
    assert listed_codes(html_of(client.get(list_url(type="其他运转类")))) == ["S-2"]


@pytest.fixture
def lights(unit_a):
    """Projects whose exact light as of 2024-07-31 is known (green ≥ 46.56 %, yellow ≥ 34.92 %)."""
    spent = {
        "G-high": "90",
        "G-edge": "46.6",
        "Y-high": "46.5",
        "Y-low": "35",
        "R-high": "34.9",
        "R-zero": "0",
    }
    for code, amount in spent.items():
        project = ProjectFactory(unit=unit_a, code=code, initial_budget=Decimal("100"))
        PaymentFactory(project=project, amount=Decimal(amount), date=date(2024, 2, 1))
    ProjectFactory(unit=unit_a, code="N-none", initial_budget=Decimal("0"))


@pytest.mark.parametrize(
    ("light", "codes"),
    [
        ("green", ["G-edge", "G-high"]),
        ("yellow", ["Y-high", "Y-low"]),
        ("red", ["R-high", "R-zero"]),
    ],
)
def test_the_warning_filter_agrees_with_the_light_shown(client_of, alice, lights, light, codes):
    html = html_of(client_of(alice).get(list_url(as_of=AS_OF, warning=light, sort="code")))
    assert listed_codes(html) == codes
    assert set(re.findall(r'data-warning="([^"]*)"', html)) == {light}


def test_at_exactly_a_bound_the_filter_and_the_light_agree(client_of, alice, unit_a):
    # 2024-07-01 is day 183 of 366: time progress 50 %, bounds 40 % and 30 % exactly.
    for code, spent in (("AT-GREEN", "40"), ("AT-YELLOW", "30"), ("BELOW", "29.999999")):
        project = ProjectFactory(unit=unit_a, code=code, initial_budget=Decimal("100"))
        PaymentFactory(project=project, amount=Decimal(spent), date=date(2024, 2, 1))
    client = client_of(alice)
    for light, code in (("green", "AT-GREEN"), ("yellow", "AT-YELLOW"), ("red", "BELOW")):
        html = html_of(client.get(list_url(as_of="2024-07-01", warning=light)))
        assert listed_codes(html) == [code]
        assert f'data-warning="{light}"' in row_of(html, code)


def test_a_project_without_budget_has_no_rate_and_no_light(client_of, alice, lights):
    row = row_of(html_of(client_of(alice).get(list_url(as_of=AS_OF))), "N-none")
    assert 'data-warning=""' in row and "—" in row and "无预算" in row


def test_the_list_sorts_by_rate_both_ways_with_no_budget_last(client_of, alice, lights):
    client = client_of(alice)
    ascending = listed_codes(html_of(client.get(list_url(as_of=AS_OF, sort="rate"))))
    assert ascending == ["R-zero", "R-high", "Y-low", "Y-high", "G-edge", "G-high", "N-none"]
    descending = listed_codes(html_of(client.get(list_url(as_of=AS_OF, sort="-rate"))))
    assert descending == ["G-high", "G-edge", "Y-high", "Y-low", "R-high", "R-zero", "N-none"]


def test_the_list_sorts_by_name_adjusted_and_executed(client_of, alice, unit_a):
    a = ProjectFactory(unit=unit_a, code="C1", name="乙", initial_budget=Decimal("5"))
    b = ProjectFactory(unit=unit_a, code="C2", name="甲", initial_budget=Decimal("9"))
    PaymentFactory(project=a, amount=Decimal("3"))
    PaymentFactory(project=b, amount=Decimal("1"))
    client = client_of(alice)
    assert listed_codes(html_of(client.get(list_url(sort="-adjusted")))) == ["C2", "C1"]
    assert listed_codes(html_of(client.get(list_url(sort="-executed")))) == ["C1", "C2"]
    assert listed_codes(html_of(client.get(list_url(sort="-code")))) == ["C2", "C1"]


def _many_projects(unit, n: int, prefix: str = "Q") -> None:
    for i in range(n):
        project = ProjectFactory(unit=unit, code=f"{prefix}{i:03d}")
        PaymentFactory(project=project, date=date(2024, 2, 1))
        AdjustmentFactory(project=project, date=date(2024, 2, 1))


def _count_queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client.get(url))
    return len(queries), len(listed_codes(html))


@pytest.mark.parametrize("actor", ["alice", "rita"])
def test_the_list_runs_the_same_queries_for_5_and_50_projects(request, client_of, unit_a, actor):
    client = client_of(request.getfixturevalue(actor))
    url = list_url(as_of=AS_OF, sort="-rate")
    _many_projects(unit_a, 5, "F")
    five, rows = _count_queries(client, url)
    assert rows == 5
    _many_projects(unit_a, 45, "M")
    fifty, rows = _count_queries(client, url)
    assert rows == 50
    assert five == fifty


def test_the_list_pages_by_50(client_of, rita, unit_a):
    _many_projects(unit_a, 51)
    client = client_of(rita)
    first = html_of(client.get(list_url(sort="code")))
    assert len(listed_codes(first)) == 50 and "第 1 / 2 页，共 51 条" in first
    second = html_of(client.get(list_url(sort="code", page="2")))
    assert listed_codes(second) == ["Q050"]
    assert "合计（51个项目）" in second


# --- project detail ------------------------------------------------------------------------


def test_the_project_page_shows_facts_rates_adjustments_and_payments(
    client_of, alice, project_a, payment_a
):
    AdjustmentFactory(project=project_a, document_number="新财预〔2024〕7号", amount=Decimal("25"))
    url = reverse("budgets:project_detail", args=[project_a.pk]) + f"?as_of={AS_OF}"
    html = html_of(client_of(alice).get(url))
    for text in (
        "309-A1",
        "新乡市医疗保障局",
        "新乡市医疗保险中心",
        "<dt>年初预算数</dt><dd>100.00 万元</dd>",
        "<dt>全年预算数</dt><dd>125.00 万元</dd>",
        "<dt>执行数</dt><dd>10.00 万元",
        '<span class="rate">8.00%</span>',
        "<dt>预算调整率</dt><dd>25.00%</dd>",
        "<dt>结转结余率</dt><dd>92.00%</dd>",
        "红色预警",
        "新财预〔2024〕7号",
        "记-0001",
        "录入支出",
        "录入预算调整",
    ):
        assert text in html, text
    assert f"{time_progress(date(2024, 7, 31)):.2f}%" in html


def test_the_project_page_shows_who_changed_what(client_of, alice, project_a):
    client = client_of(alice)
    client.post(
        reverse("budgets:payment_create", args=[project_a.pk]),
        {"voucher": "记-0100", "date": "2024-04-01", "amount": "3"},
    )
    payment = Payment.objects.get(voucher="记-0100")
    client.post(
        reverse("budgets:payment_edit", args=[payment.pk]),
        {"voucher": "记-0100", "date": "2024-04-01", "amount": "4.5"},
    )
    html = html_of(client.get(reverse("budgets:project_detail", args=[project_a.pk])))
    history = re.search(r'<table class="grid history">.*?</table>', html, re.S).group(0)
    assert "爱丽丝" in history and "支出 记-0100" in history
    assert "金额：3.00 → 4.50" in history and "新增" in history and "修改" in history


def test_the_project_page_lists_many_payments_by_page(client_of, alice, project_a):
    for i in range(51):
        PaymentFactory(project=project_a, voucher=f"V{i:03d}")
    url = reverse("budgets:project_detail", args=[project_a.pk])

    def payments_table(html: str) -> str:
        return re.search(r'<table class="grid payments">.*?</table>', html, re.S).group(0)

    first = html_of(client_of(alice).get(url))
    assert "V049" in payments_table(first) and "V050" not in payments_table(first)
    assert "第 1 / 2 页" in first
    assert "V050" in payments_table(html_of(client_of(alice).get(url + "?page=2")))


# --- payments -------------------------------------------------------------------------------


def post_payment(client, project, **data):
    values = {"voucher": "记-0200", "date": "2024-05-20", "amount": "12.5", **data}
    return client.post(reverse("budgets:payment_create", args=[project.pk]), values)


def form_errors(response) -> list[str]:
    assert response.status_code == 200
    lists = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', response.content.decode(), re.S)
    return [item for block in lists for item in re.findall(r"<li>([^<]*)</li>", block)]


def test_staff_record_a_payment_of_their_project(client_of, alice, project_a):
    response = post_payment(
        client_of(alice),
        project_a,
        amount="1,200.123456",
        three_public="on",
        summary="差旅",
        confirm_over_budget="on",  # 1,200 of a 100万元 budget
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("budgets:project_detail", args=[project_a.pk])
    payment = Payment.objects.get()
    assert (payment.year, payment.amount, payment.project, payment.department) == (
        2024,
        Decimal("1200.123456"),
        project_a,
        project_a.department,
    )
    assert payment.three_public and not payment.procurement and payment.summary == "差旅"
    assert payment.history.get().history_user == alice


@pytest.mark.parametrize(
    ("amount", "message"), [("abc", AMOUNT_INVALID), ("1.1234567", AMOUNT_TOO_PRECISE)]
)
def test_a_bad_amount_gets_its_message_and_writes_nothing(
    client_of, alice, project_a, amount, message
):
    client = client_of(alice)
    before = database_state()
    response = post_payment(client, project_a, amount=amount)
    assert message in form_errors(response)
    assert database_state() == before


def test_a_payment_dated_in_a_year_without_the_project_is_refused(client_of, alice, project_a):
    client = client_of(alice)
    before = database_state()
    response = post_payment(client, project_a, date="2025-01-10")
    assert PROJECT_NOT_IN_YEAR.format(code="309-A1", year=2025) in form_errors(response)
    assert database_state() == before


def test_a_payment_dated_next_year_goes_to_that_years_project(client_of, alice, project_a):
    next_year = ProjectFactory(unit=project_a.unit, year=2025, code=project_a.code)
    response = post_payment(client_of(alice), project_a, date="2025-01-10")
    assert response["Location"] == reverse("budgets:project_detail", args=[next_year.pk])
    assert Payment.objects.get().project == next_year


def test_a_voucher_already_used_in_the_year_is_refused(client_of, alice, project_a, payment_a):
    client = client_of(alice)
    before = database_state()
    response = post_payment(client, project_a, voucher="记-0001", date="2024-11-11")
    message = VOUCHER_TAKEN.format(voucher="记-0001", department="新乡市医疗保障局", year=2024)
    assert message in form_errors(response)
    assert database_state() == before


def test_staff_record_a_basic_expenditure_payment_of_their_department(
    client_of, alice, department_a
):
    url = reverse("budgets:payment_create") + f"?department={department_a.pk}"
    response = client_of(alice).post(
        url, {"voucher": "基-001", "date": "2024-02-02", "amount": "0.35"}
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.project is None and payment.department == department_a
    listing = html_of(client_of(alice).get(response["Location"]))
    assert "基-001" in listing and "基本支出" in listing


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_implausible_payment_date_gets_a_field_error_and_writes_nothing(
    client_of, alice, project_a, department_a, day
):
    client = client_of(alice)
    before = database_state()
    message = DATE_OUTSIDE_FISCAL_YEARS.format(day=day, first=2000, last=2100)
    assert message in form_errors(post_payment(client, project_a, date=day))
    url = reverse("budgets:payment_create") + f"?department={department_a.pk}"
    response = client.post(url, {"voucher": "基-001", "date": day, "amount": "1"})
    assert message in form_errors(response)
    assert database_state() == before


def test_basic_expenditure_is_entered_for_the_year_the_list_shows(client_of, alice, department_a):
    PaymentFactory(project=None, department=department_a, voucher="基-000")
    client = client_of(alice)
    listing = html_of(client.get(reverse("budgets:payment_list") + "?year=2024"))
    url = reverse("budgets:payment_create") + f"?department={department_a.pk}&year=2024"
    assert url in listing
    assert "2024年度（日期须在该年度内）" in html_of(client.get(url))
    before = database_state()
    response = client.post(url, {"voucher": "基-001", "date": "2025-01-02", "amount": "1"})
    assert DATE_OUTSIDE_YEAR.format(day="2025-01-02", year=2024) in form_errors(response)
    assert database_state() == before
    response = client.post(url, {"voucher": "基-001", "date": "2024-12-31", "amount": "1"})
    assert response.status_code == 302
    assert Payment.objects.get(voucher="基-001").year == 2024


def test_a_basic_payment_stays_in_the_year_it_was_entered_for(client_of, alice, department_a):
    payment = PaymentFactory(project=None, department=department_a, voucher="基-001")
    client = client_of(alice)
    before = database_state()
    response = client.post(
        reverse("budgets:payment_edit", args=[payment.pk]),
        {"voucher": "基-001", "date": "2025-03-01", "amount": "1"},
    )
    assert DATE_OUTSIDE_YEAR.format(day="2025-03-01", year=2024) in form_errors(response)
    assert database_state() == before


@pytest.mark.parametrize(
    "query", ["year=-1", "year=abc", "department=abc", f"department={'9' * 25}"]
)
def test_a_bad_year_or_department_of_basic_expenditure_is_a_400(
    client_of, alice, department_a, query
):
    client = client_of(alice)
    before = database_state()
    url = reverse("budgets:payment_create") + f"?{query}"
    if "department" not in query:
        url += f"&department={department_a.pk}"
    response = client.post(url, {"voucher": "基-001", "date": "2024-05-01", "amount": "1"})
    assert response.status_code == 400
    assert database_state() == before


def test_staff_default_to_their_own_department_for_basic_expenditure(client_of, alice):
    html = html_of(client_of(alice).get(reverse("budgets:payment_create")))
    assert "新乡市医疗保障局" in html


def test_the_admin_must_name_the_department_of_basic_expenditure(client_of, adam, department_b):
    client = client_of(adam)
    assert client.get(reverse("budgets:payment_create")).status_code == 404
    url = reverse("budgets:payment_create") + f"?department={department_b.pk}"
    assert client.get(url).status_code == 200


def test_staff_edit_a_payment(client_of, alice, payment_a):
    response = client_of(alice).post(
        reverse("budgets:payment_edit", args=[payment_a.pk]),
        {"voucher": "记-0001", "date": "2024-06-30", "amount": "-2", "procurement": "on"},
    )
    assert response.status_code == 302
    payment_a.refresh_from_db()
    assert (payment_a.amount, payment_a.date, payment_a.procurement) == (
        Decimal("-2"),
        date(2024, 6, 30),
        True,
    )


def test_the_edit_form_shows_the_amount_as_written(client_of, alice, payment_a):
    html = html_of(client_of(alice).get(reverse("budgets:payment_edit", args=[payment_a.pk])))
    assert 'value="10"' in html and 'value="记-0001"' in html


def test_pages_print_amounts_with_separators_while_the_form_keeps_them_raw(
    client_of, alice, project_a
):
    payment = PaymentFactory(project=project_a, voucher="记-0002", amount=Decimal("1234.5"))
    client = client_of(alice)
    listed = html_of(client.get(reverse("budgets:payment_list") + "?year=2024"))
    assert '<td class="num">1,234.50</td>' in listed
    form = html_of(client.get(reverse("budgets:payment_edit", args=[payment.pk])))
    # The input keeps the amount raw (the remaining budget above it is printed as pages do).
    assert 'value="1234.5"' in form and 'value="1,234' not in form


def test_staff_delete_a_payment_after_confirming(client_of, alice, payment_a):
    client = client_of(alice)
    url = reverse("budgets:payment_delete", args=[payment_a.pk])
    assert "确定删除" in html_of(client.get(url))
    assert Payment.objects.exists()
    assert client.post(url).status_code == 302
    assert not Payment.objects.exists()
    assert Payment.history.filter(history_type="-").get().history_user == alice


def test_the_payment_list_shows_only_the_users_departments(client_of, alice, payment_a, project_b):
    PaymentFactory(project=project_b, voucher="西-0001")
    html = html_of(client_of(alice).get(reverse("budgets:payment_list") + "?year=2024"))
    assert "记-0001" in html and "西-0001" not in html


# --- adjustments ----------------------------------------------------------------------------


def post_adjustment(client, project, **data):
    values = {"document_number": "新财预〔2024〕1号", "date": "2024-06-01", "amount": "-20"}
    values.update(data)
    return client.post(reverse("budgets:adjustment_create", args=[project.pk]), values)


def test_staff_record_an_adjustment(client_of, alice, project_a):
    response = post_adjustment(client_of(alice), project_a, note="追减")
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert (adjustment.year, adjustment.amount, adjustment.project, adjustment.note) == (
        2024,
        Decimal("-20"),
        project_a,
        "追减",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "abc"}, AMOUNT_INVALID),
        ({"amount": "0.0000001"}, AMOUNT_TOO_PRECISE),
        ({"date": "2023-12-31"}, PROJECT_NOT_IN_YEAR.format(code="309-A1", year=2023)),
    ],
)
def test_a_bad_adjustment_gets_its_message_and_writes_nothing(
    client_of, alice, project_a, data, message
):
    client = client_of(alice)
    before = database_state()
    assert message in form_errors(post_adjustment(client, project_a, **data))
    assert database_state() == before


# --- text no xlsx or database can hold (budgets.text) ----------------------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x00"])
@pytest.mark.parametrize(
    ("field", "post"),
    [
        ("voucher", post_payment),
        ("summary", post_payment),
        ("document_number", post_adjustment),
        ("note", post_adjustment),
    ],
)
def test_a_control_character_is_refused_on_its_field_and_writes_nothing(
    client_of, alice, project_a, payment_a, field, post, char
):
    client = client_of(alice)
    before = database_state()
    response = post(client, project_a, **{field: f"差旅{char}会议"})
    html = html_of(response)
    # Shown on the field itself, and nowhere else.
    shown = re.search(rf'<div class="field field-{field}">(.*?)</div>', html, re.S)
    assert shown and f"<li>{UNWRITABLE_CHARACTER}</li>" in shown.group(1)
    assert form_errors(response) == [UNWRITABLE_CHARACTER]
    assert database_state() == before


def test_an_edit_with_a_control_character_leaves_the_payment_as_it_was(
    client_of, alice, project_a, payment_a
):
    client = client_of(alice)
    before = database_state()
    response = client.post(
        reverse("budgets:payment_edit", args=[payment_a.pk]),
        {"voucher": "记-0001", "date": "2024-05-01", "amount": "10", "summary": "差旅\x0b费"},
    )
    assert UNWRITABLE_CHARACTER in form_errors(response)
    assert database_state() == before


def test_tab_and_newline_are_text(client_of, alice, project_a):
    client = client_of(alice)
    assert post_payment(client, project_a, summary="差旅\t会议").status_code == 302
    assert post_adjustment(client, project_a, note="第一行\n第二行\t备注").status_code == 302
    assert Payment.objects.get().summary == "差旅\t会议"
    assert Adjustment.objects.get().note == "第一行\n第二行\t备注"


def test_a_search_with_a_control_character_is_dropped_not_failed(client_of, alice, payment_a):
    client = client_of(alice)
    assert client.get(list_url(q="医保%0B")).status_code == 200
    html = html_of(client.get(reverse("budgets:payment_list"), {"q": "记\x0b"}))
    # The refused search is dropped, as any bad filter value: the whole year is listed.
    assert "记-0001" in html
    # A NUL is refused before any view (config/query_text.py): a 400 naming the parameter.
    response = client.get(reverse("budgets:payment_list"), {"q": "记\x00"})
    assert response.status_code == 400
    assert "查询参数“q”包含无法处理的空字符" in response.content.decode()


def test_projects_are_unchanged_by_failed_posts(client_of, alice, project_a):
    post_payment(client_of(alice), project_a, amount="abc")
    assert Project.objects.get() == project_a


def test_the_list_offers_basic_expenditure_for_the_staffs_or_the_chosen_department(
    client_of, alice, adam, rita, project_a, department_b
):
    link = reverse("budgets:payment_create") + "?department="
    assert link + str(project_a.department_id) in html_of(client_of(alice).get(list_url()))
    # Payments are budget facts: the finance bureau records them too.
    reviewed = html_of(client_of(rita).get(list_url(department=str(department_b.pk))))
    assert link + str(department_b.pk) in reviewed
    client = client_of(adam)
    assert link not in html_of(client.get(list_url()))
    chosen = html_of(client.get(list_url(department=str(department_b.pk))))
    assert link + str(department_b.pk) in chosen


def test_the_finance_bureau_records_payments_and_adjustments_in_the_pages(
    client_of, rita, project_b
):
    client = client_of(rita)
    assert post_payment(client, project_b).status_code == 302
    assert post_adjustment(client, project_b).status_code == 302
    assert Payment.objects.get().history.get().history_user == rita
    assert project_b.adjustments.get().amount == Decimal(-20)


# --- two finance bureaus (区划) whose departments share the code 060 -------------------------


@pytest.fixture
def bureaus(db):
    return two_bureaus()


def bureau_urls(bureau) -> list[tuple[str, dict]]:
    """Every page and form of one bureau's project and payments, with what a POST would send."""
    payment = {"voucher": "记-9999", "date": "2024-05-01", "amount": "5"}
    adjustment = {"document_number": "豫财预〔2024〕9号", "date": "2024-05-01", "amount": "5"}
    project = bureau.project
    return [
        (reverse("budgets:project_detail", args=[project.pk]), {}),
        (reverse("budgets:payment_create", args=[project.pk]), payment),
        (reverse("budgets:adjustment_create", args=[project.pk]), adjustment),
        (
            reverse("budgets:payment_create") + f"?department={project.department_id}&year=2024",
            payment,
        ),
        (reverse("budgets:payment_edit", args=[bureau.payment.pk]), payment),
        (reverse("budgets:payment_delete", args=[bureau.payment.pk]), {}),
    ]


@pytest.mark.parametrize("actor", ["reviewer", "staff"])
def test_a_bureau_cannot_reach_or_post_any_page_of_another_bureaus_department(
    client_of, bureaus, actor
):
    pairs = [
        (client_of(getattr(own, actor)), own, other)
        for own, other in ((bureaus.hongqi, bureaus.xixia), (bureaus.xixia, bureaus.hongqi))
    ]
    before = database_state()
    for client, own, other in pairs:
        for url, data in bureau_urls(other):
            assert client.get(url).status_code == 404, url
            assert client.post(url, data).status_code == 404, url
        # The same pages of its own 060 open.
        for url, _ in bureau_urls(own):
            assert client.get(url).status_code == 200, url
    assert database_state() == before


def test_a_city_bureau_with_subordinates_reaches_its_counties_but_not_another_citys(
    client_of, bureaus
):
    client = client_of(bureaus.city)
    for url, _ in bureau_urls(bureaus.hongqi):
        assert client.get(url).status_code == 200, url
    for url, _ in bureau_urls(bureaus.xixia):
        assert client.get(url).status_code == 404, url


def test_a_bureau_lists_only_its_own_060_even_when_asking_for_the_other(client_of, bureaus):
    client = client_of(bureaus.hongqi.reviewer)
    other = bureaus.xixia.department.pk
    html = html_of(client.get(list_url(department=str(other), as_of=AS_OF)))
    assert listed_codes(html) == [bureaus.hongqi.project.code]
    assert "西峡县" not in html.split("<table")[1]
    payments = html_of(client.get(reverse("budgets:payment_list") + f"?department={other}"))
    assert "红旗区医疗保障局" in payments and "西峡县医疗保障局" not in payments


def test_one_bureau_is_offered_its_departments_without_a_division_filter(client_of, bureaus):
    html = html_of(client_of(bureaus.hongqi.reviewer).get(list_url(as_of=AS_OF)))
    assert 'name="division"' not in html
    assert ">060 红旗区医疗保障局</option>" in html
    assert "西峡县医疗保障局" not in html


def test_a_bureau_of_several_divisions_labels_departments_with_their_division(client_of, bureaus):
    client = client_of(bureaus.province)
    for url in (list_url(as_of=AS_OF), reverse("budgets:payment_list")):
        html = html_of(client.get(url))
        assert ">红旗区 · 060 红旗区医疗保障局</option>" in html, url
        assert ">西峡县 · 060 西峡县医疗保障局</option>" in html, url
        assert '<option value="410702">410702 红旗区</option>' in html, url
        assert '<option value="411323">411323 西峡县</option>' in html, url
    rows = html_of(client.get(list_url(as_of=AS_OF)))
    assert listed_codes(rows) == [bureaus.hongqi.project.code, bureaus.xixia.project.code]
    assert "<td>西峡县 · 西峡县医疗保障局</td>" in rows


def test_the_division_filter_narrows_the_lists_and_their_department_choices(client_of, bureaus):
    client = client_of(bureaus.province)
    html = html_of(client.get(list_url(division="411323", as_of=AS_OF)))
    assert listed_codes(html) == [bureaus.xixia.project.code]
    assert '<option value="411323" selected>' in html
    assert "红旗区 · 060" not in html
    payments = html_of(client.get(reverse("budgets:payment_list") + "?division=411323"))
    assert "记-0060" in payments and "红旗区医疗保障局</td>" not in payments


@pytest.mark.parametrize(
    ("division", "message"),
    [
        ("411323", "区划“411323”不在您的查看范围内，已忽略"),
        ("4107", "区划“4107”无效，应为6位数字的区划编码（GB/T 2260，如410702），已忽略"),
    ],
)
def test_a_division_outside_the_users_coverage_is_ignored_with_a_message(
    client_of, bureaus, division, message
):
    client = client_of(bureaus.city)
    html = html_of(client.get(list_url(division=division, as_of=AS_OF)))
    assert message in html
    assert listed_codes(html) == [bureaus.hongqi.project.code]
    payments = html_of(client.get(reverse("budgets:payment_list") + f"?division={division}"))
    assert message in payments


def test_staff_asking_for_another_division_get_their_own_department_and_a_message(
    client_of, bureaus
):
    html = html_of(client_of(bureaus.hongqi.staff).get(list_url(division="411323", as_of=AS_OF)))
    assert "区划“411323”不在您的查看范围内，已忽略" in html
    assert listed_codes(html) == [bureaus.hongqi.project.code]


def test_the_project_page_names_the_division(client_of, bureaus):
    url = reverse("budgets:project_detail", args=[bureaus.xixia.project.pk])
    html = html_of(client_of(bureaus.province).get(url))
    assert "<dt>区划</dt><dd>411323 西峡县</dd>" in html


def test_a_list_of_several_divisions_runs_the_same_queries_for_5_and_50_projects(
    client_of, bureaus
):
    client = client_of(bureaus.province)
    unit = bureaus.xixia.project.unit
    url = list_url(as_of=AS_OF, sort="-rate")
    _many_projects(unit, 4, "F")
    five, rows = _count_queries(client, url)
    assert rows == 6
    _many_projects(unit, 45, "M")
    fifty, rows = _count_queries(client, url)
    assert rows == 50
    assert five == fifty


# --- 超支, warning counts, 政策性调整 and the other funds on the pages --------------------------


@pytest.fixture
def overspent(unit_a):
    """As of 2024-07-31: OVER spent 100.01 of 100 (超支), FULL exactly 100, LOW nothing."""
    for code, spent in (("OVER", "100.01"), ("FULL", "100"), ("LOW", "0")):
        project = ProjectFactory(unit=unit_a, code=code, initial_budget=Decimal("100"))
        PaymentFactory(project=project, amount=Decimal(spent), date=date(2024, 2, 1))
    ProjectFactory(unit=unit_a, code="NONE", initial_budget=Decimal("0"))


def warning_counts(html: str) -> dict[str, tuple[str, int]]:
    found = re.findall(
        r'<a class="warning-count" data-count-of="(\w+)"[^>]*><span class="light \w+"></span>'
        r"([^<]+) (\d+)</a>",
        html,
    )
    return {value: (label, int(n)) for value, label, n in found}


def test_a_project_spending_more_than_its_budget_shows_over(client_of, alice, overspent):
    html = html_of(client_of(alice).get(list_url(as_of=AS_OF)))
    row = row_of(html, "OVER")
    assert 'data-warning="over"' in row and "超支" in row
    assert '<span class="rate">100.01%</span>' in row
    # The bar stops at 100 % and takes the 超支 colour.
    assert 'class="fill over" style="width: 100.00%"' in row
    assert 'data-warning="green"' in row_of(html, "FULL")


@pytest.mark.parametrize(
    ("light", "codes"), [("over", ["OVER"]), ("green", ["FULL"]), ("red", ["LOW"])]
)
def test_the_over_filter_lists_only_overspent_projects(client_of, alice, overspent, light, codes):
    html = html_of(client_of(alice).get(list_url(as_of=AS_OF, warning=light, sort="code")))
    assert listed_codes(html) == codes
    assert set(re.findall(r'data-warning="([^"]*)"', html)) == {light}


def test_the_list_counts_each_light_whichever_is_shown(client_of, alice, overspent, lights):
    client = client_of(alice)
    expected = {
        "over": ("超支", 1),
        "red": ("红色预警", 3),  # LOW, R-high, R-zero
        "yellow": ("黄色预警", 2),
        "green": ("正常", 3),  # FULL, G-edge, G-high
    }
    html = html_of(client.get(list_url(as_of=AS_OF)))
    assert warning_counts(html) == expected
    assert list(warning_counts(html)) == ["over", "red", "yellow", "green"]
    filtered = html_of(client.get(list_url(as_of=AS_OF, warning="over")))
    assert warning_counts(filtered) == expected
    totals = re.search(r'<tr class="totals">.*?</tr>', filtered, re.S).group(0)
    assert "合计（1个项目）" in totals and "超支" in totals
    assert re.findall(r'<th class="num">([^<]*)</th>', totals) == ["100.00", "100.00", "100.01"]


def test_the_project_page_shows_the_kind_of_each_adjustment_and_the_rate_without_policy(
    client_of, alice, project_a
):
    AdjustmentFactory(project=project_a, document_number="文-1", amount=Decimal("25"))
    AdjustmentFactory(
        project=project_a, document_number="文-2", amount=Decimal("50"), kind="政策性调整"
    )
    url = reverse("budgets:project_detail", args=[project_a.pk]) + f"?as_of={AS_OF}"
    html = html_of(client_of(alice).get(url))
    assert "<dt>全年预算数</dt><dd>175.00 万元</dd>" in html
    # (175 − 100 − 50) / 100 = 25 %.
    assert "<dt>预算调整率</dt><dd>25.00% " in html
    assert "（不含政策性调整 50.00 万元）" in html
    kinds = re.findall(r'<td class="adjustment-kind">([^<]*)</td>', html)
    assert kinds == ["一般调整", "政策性调整"]


def test_the_project_page_shows_the_special_account_and_unit_funds(client_of, alice, project_a):
    project_a.special_account_funds = Decimal("20.5")
    project_a.unit_funds = Decimal("1234.5")
    project_a.initial_budget = Decimal("2000")
    project_a.save()
    url = reverse("budgets:project_detail", args=[project_a.pk])
    html = html_of(client_of(alice).get(url))
    assert "<dt>财政专户管理资金</dt><dd>20.50 万元</dd>" in html
    assert "<dt>单位资金</dt><dd>1,234.50 万元</dd>" in html


def test_staff_record_a_policy_adjustment(client_of, alice, project_a):
    client = client_of(alice)
    response = post_adjustment(client, project_a, kind="政策性调整")
    assert response.status_code == 302
    assert Adjustment.objects.get().kind == "政策性调整"
    page = html_of(client.get(response["Location"]))
    assert "已保存预算调整“新财预〔2024〕1号”（政策性调整）" in page


def test_an_adjustment_posted_without_a_kind_is_a_general_one(client_of, alice, project_a):
    assert post_adjustment(client_of(alice), project_a).status_code == 302
    assert Adjustment.objects.get().kind == "一般调整"


def test_the_adjustment_form_offers_both_kinds_general_first(client_of, alice, project_a):
    html = html_of(client_of(alice).get(reverse("budgets:adjustment_create", args=[project_a.pk])))
    options = re.findall(r'<option value="([^"]+)"( selected)?>', html)
    assert options == [("一般调整", " selected"), ("政策性调整", "")]


def test_an_unknown_adjustment_kind_is_refused_and_writes_nothing(client_of, alice, project_a):
    client = client_of(alice)
    before = database_state()
    response = post_adjustment(client, project_a, kind="临时调整")
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert database_state() == before


def test_a_negative_full_year_budget_is_refused_on_the_page(client_of, alice, project_b, bob):
    client = client_of(bob)
    before = database_state()
    errors = form_errors(post_adjustment(client, project_b, amount="-80"))
    assert (
        "调整后全年预算数为-30.00万元，不能为负数"
        "（年初预算数50.00万元，已有调整0.00万元，本次调整-80.00万元）" in errors
    )
    assert database_state() == before


def test_staff_edit_an_adjustment_and_the_history_keeps_the_old_amount(client_of, alice, project_a):
    adjustment = AdjustmentFactory(project=project_a, document_number="文-1", amount=Decimal(5))
    client = client_of(alice)
    url = reverse("budgets:adjustment_edit", args=[adjustment.pk])
    assert reverse("budgets:adjustment_edit", args=[adjustment.pk]) in html_of(
        client.get(reverse("budgets:project_detail", args=[project_a.pk]))
    )
    assert 'value="5"' in html_of(client.get(url))
    data = {"document_number": "文-1", "date": "2024-07-01", "amount": "-3", "note": "改"}
    response = client.post(url, data)
    assert response.status_code == 302
    adjustment.refresh_from_db()
    assert (adjustment.amount, adjustment.date, adjustment.note) == (
        Decimal(-3),
        date(2024, 7, 1),
        "改",
    )
    latest = adjustment.history.latest()
    assert latest.history_user == alice and latest.prev_record.amount == Decimal(5)


def test_an_edit_leaving_a_negative_budget_writes_nothing(client_of, alice, project_a):
    adjustment = AdjustmentFactory(project=project_a, document_number="文-1", amount=Decimal(5))
    client = client_of(alice)
    before = database_state()
    response = client.post(
        reverse("budgets:adjustment_edit", args=[adjustment.pk]),
        {"document_number": "文-1", "date": "2024-06-01", "amount": "-101"},
    )
    assert any("调整后全年预算数为-1.00万元" in e for e in form_errors(response))
    assert database_state() == before


def test_staff_delete_an_adjustment_after_confirming(client_of, alice, project_a):
    adjustment = AdjustmentFactory(project=project_a, document_number="文-1", amount=Decimal(5))
    client = client_of(alice)
    url = reverse("budgets:adjustment_delete", args=[adjustment.pk])
    assert "确定删除" in html_of(client.get(url))
    assert client.post(url).status_code == 302
    assert not Adjustment.objects.exists()
    deleted = Adjustment.history.get(history_type="-")
    assert (deleted.history_user, deleted.amount) == (alice, Decimal(5))


def test_a_delete_leaving_a_negative_budget_is_refused_on_the_page(client_of, alice, project_a):
    plus = AdjustmentFactory(project=project_a, document_number="文-1", amount=Decimal(50))
    AdjustmentFactory(project=project_a, document_number="文-2", amount=Decimal(-120))
    client = client_of(alice)
    before = database_state()
    response = client.post(reverse("budgets:adjustment_delete", args=[plus.pk]))
    assert "删除后全年预算数为-20.00万元" in html_of(response)
    assert database_state() == before


def test_another_departments_adjustment_is_a_404_while_the_bureau_may_edit_it(
    client_of, bob, rita, project_a
):
    adjustment = AdjustmentFactory(project=project_a, document_number="文-1", amount=Decimal(5))
    client = client_of(bob)
    before = database_state()
    data = {"document_number": "文-1", "date": "2024-06-01", "amount": "1"}
    for name in ("adjustment_edit", "adjustment_delete"):
        url = reverse(f"budgets:{name}", args=[adjustment.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    assert database_state() == before
    # Adjustments are budget facts (budgets/access.py FACTS): the finance bureau writes them.
    url = reverse("budgets:adjustment_edit", args=[adjustment.pk])
    assert client_of(rita).post(url, data).status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.amount == Decimal(1)


# --- payments above the full-year budget --------------------------------------------------


def test_the_payment_form_shows_the_remaining_budget(client_of, alice, project_a, payment_a):
    html = html_of(client_of(alice).get(reverse("budgets:payment_create", args=[project_a.pk])))
    assert "剩余预算" in html and "90.00 万元" in html
    assert "确认超预算支出" not in html


def test_a_payment_above_the_budget_asks_for_confirmation(client_of, alice, project_a, payment_a):
    client = client_of(alice)
    before = database_state()
    response = post_payment(client, project_a, amount="90.01")
    html = html_of(response)
    assert "确认超预算支出" in html and 'name="confirm_over_budget"' in html
    assert any("超过全年预算数100.00万元" in e for e in form_errors(response))
    assert database_state() == before
    response = post_payment(client, project_a, amount="90.01", confirm_over_budget="on")
    assert response.status_code == 302
    assert Payment.objects.get(voucher="记-0200").amount == Decimal("90.01")


def test_a_payment_within_the_budget_is_not_asked_about(client_of, alice, project_a, payment_a):
    assert post_payment(client_of(alice), project_a, amount="90").status_code == 302


def test_basic_expenditure_has_no_budget_check(client_of, alice, department_a):
    url = reverse("budgets:payment_create") + f"?department={department_a.pk}&year=2024"
    client = client_of(alice)
    html = html_of(client.get(url))
    assert "剩余预算" not in html and "确认超预算支出" not in html
    data = {"voucher": "基-1", "date": "2024-05-01", "amount": "1000000", "department": "x"}
    data["department"] = str(department_a.pk)
    assert client.post(url, data).status_code == 302


def test_scientific_notation_is_refused_and_writes_nothing(client_of, alice, project_a):
    client = client_of(alice)
    before = database_state()
    assert AMOUNT_INVALID in form_errors(post_payment(client, project_a, amount="1e5"))
    assert database_state() == before
