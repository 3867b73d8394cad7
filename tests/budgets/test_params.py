"""Numbers, years, dates and ids read from requests: the parsing helpers, and every page that
reads one answering bad values without a server error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from budgets.models import WarningSettings
from budgets.params import (
    DATE_IMPLAUSIBLE,
    FIRST_YEAR,
    IGNORED,
    LAST_YEAR,
    MAX_ID,
    NOT_A_DATE,
    NOT_A_DIVISION,
    NOT_A_YEAR,
    NOT_AN_ID,
    NOT_AN_INTEGER,
    BadParameter,
    bad_request,
    date_param,
    division_param,
    find_department,
    id_param,
    int_param,
    page_param,
    parse_date,
    parse_division,
    parse_id,
    parse_int,
    parse_year,
    shown,
    validate_plausible_date,
    year_param,
)
from tests.bureaus import two_bureaus
from tests.tracking.season import (
    ALL_REACHED,
    ON_TRACK,
    form_data,
    indicators_of,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    self_evaluation_round,
    spend,
)
from tracking.services import report_save, report_submit

from .workbooks import database_state

# --- the parsing functions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [("42", 42), (" 7 ", 7), ("-3", -3), ("0", 0), ("0007", 7), (str(MAX_ID), MAX_ID)],
)
def test_it_reads_an_integer(text, number):
    assert parse_int(text) == number


@pytest.mark.parametrize("text", [None, "", "   "])
def test_a_blank_parameter_is_none(text):
    assert parse_int(text) is parse_year(text) is parse_date(text) is parse_id(text) is None


@pytest.mark.parametrize(
    "text", ["abc", "1.5", "1e5", "+1", "٣", "²", "1 2", "9" * 20, "9" * 5000, "0x10"]
)
def test_it_refuses_what_is_not_a_whole_number_of_at_most_19_digits(text):
    with pytest.raises(BadParameter) as caught:
        parse_int(text, label="页码")
    assert caught.value.message == NOT_AN_INTEGER.format(label="页码", value=shown(text.strip()))


def test_it_refuses_an_integer_outside_its_bounds():
    with pytest.raises(BadParameter) as caught:
        parse_int("-1", label="版本", minimum=0)
    assert caught.value.message == "版本“-1”无效，不能小于0"
    with pytest.raises(BadParameter) as caught:
        parse_int(str(MAX_ID + 1), label="版本")
    assert caught.value.message == f"版本“{MAX_ID + 1}”无效，不能大于{MAX_ID}"
    with pytest.raises(BadParameter) as caught:
        parse_int("11", label="月份", maximum=10)
    assert caught.value.message == "月份“11”无效，不能大于10"


def test_a_long_value_is_quoted_cut_short():
    assert shown("9" * 5000) == "9" * 20 + "…"
    assert shown("2024") == "2024"


@pytest.mark.parametrize("text", ["2000", "2024", "2100"])
def test_it_reads_a_fiscal_year(text):
    assert parse_year(text) == int(text)


@pytest.mark.parametrize("text", ["-1", "0", "1999", "2101", "9999", "abc", "1" * 25, "9" * 5000])
def test_it_refuses_a_year_outside_2000_to_2100(text):
    with pytest.raises(BadParameter) as caught:
        parse_year(text)
    assert caught.value.message == NOT_A_YEAR.format(
        label="年度", value=shown(text), first=FIRST_YEAR, last=LAST_YEAR
    )
    assert NOT_A_YEAR.format(label="年度", value="-1", first=2000, last=2100) == (
        "年度“-1”无效，应为2000—2100年之间的年份"
    )


@pytest.mark.parametrize(
    ("text", "day"), [("2024-07-31", date(2024, 7, 31)), ("2000-01-01", date(2000, 1, 1))]
)
def test_it_reads_a_date(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize(
    "text",
    [
        "0000-00-00",
        "9999-99-99",
        "2024-02-30",
        "0001-01-01",
        "9999-12-31",
        "1999-12-31",
        "20240731",
        "2024-7-31",
        "abc",
        "9" * 5000,
    ],
)
def test_it_refuses_a_date_that_is_not_a_day_of_a_fiscal_year(text):
    with pytest.raises(BadParameter) as caught:
        parse_date(text, label="截至日期")
    assert caught.value.message == NOT_A_DATE.format(
        label="截至日期", value=shown(text), first=FIRST_YEAR, last=LAST_YEAR
    )


@pytest.mark.parametrize("text", ["1", "42", str(MAX_ID)])
def test_it_reads_an_id(text):
    assert parse_id(text) == int(text)


@pytest.mark.parametrize("text", ["0", "-1", "abc", str(MAX_ID + 1), "1" * 25, "9" * 5000])
def test_it_refuses_an_id_a_database_integer_cannot_hold(text):
    with pytest.raises(BadParameter) as caught:
        parse_id(text, label="部门")
    assert caught.value.message == NOT_AN_ID.format(label="部门", value=shown(text))


def test_the_plausible_date_validator_names_the_date():
    validate_plausible_date(date(2024, 1, 1))
    with pytest.raises(ValidationError) as caught:
        validate_plausible_date(date(1, 1, 1))
    assert caught.value.messages == [
        DATE_IMPLAUSIBLE.format(day="0001-01-01", first=FIRST_YEAR, last=LAST_YEAR)
    ]


@pytest.mark.parametrize("text", ["410702", " 411323 ", "110101"])
def test_it_reads_a_division_code(text):
    assert parse_division(text) == text.strip()


@pytest.mark.parametrize("text", ["4107", "41070２", "000000", "410702/060", "1" * 5000])
def test_it_refuses_what_is_not_a_division_code(text):
    with pytest.raises(BadParameter) as caught:
        parse_division(text, label="区划")
    assert caught.value.message == NOT_A_DIVISION.format(label="区划", value=shown(text.strip()))


def test_a_department_is_found_by_division_and_code_or_by_a_bare_code(db):
    bureaus = two_bureaus()
    hongqi, xixia = bureaus.hongqi.department, bureaus.xixia.department
    both = [hongqi, xixia]
    assert find_department("410702/060", both) == hongqi
    assert find_department(" 411323 / 060 ", both) == xixia
    assert find_department("060", [xixia]) == xixia
    assert find_department("410703/060", both) is None
    assert find_department("061", both) is None
    with pytest.raises(BadParameter) as caught:
        find_department("060", both)
    assert caught.value.message == (
        "部门编码“060”在多个区划中都有：410702/060、411323/060，请写成“区划编码/部门编码”"
    )
    with pytest.raises(BadParameter) as caught:
        find_department("4107/060", both)
    assert caught.value.message == NOT_A_DIVISION.format(label="区划", value="4107")


# --- the query-string helpers: a bad filter is ignored with a message --------------------------


def get(query: str):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    request = RequestFactory().get(f"/?{query}")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def said(request) -> list[str]:
    return [str(m) for m in request._messages]


def test_a_good_query_value_is_read_silently():
    request = get("year=2024&round=7&as_of=2024-07-31&page=3")
    assert year_param(request) == 2024
    assert id_param(request, "round") == 7
    assert date_param(request, "as_of") == date(2024, 7, 31)
    assert int_param(request, "page", minimum=1) == 3
    assert id_param(request, "department") is None
    assert division_param(request) is None
    assert said(request) == []
    assert division_param(get("division=410702")) == "410702"


def test_a_bad_query_value_is_ignored_with_a_message():
    request = get(f"year=-1&round={'1' * 25}&as_of=9999-99-99&page=x")
    assert year_param(request) is None
    assert id_param(request, "round", label="轮次") is None
    assert date_param(request, "as_of", label="截至日期") is None
    assert int_param(request, "page", label="页码") is None
    assert said(request) == [
        "年度“-1”无效，应为2000—2100年之间的年份，已忽略",
        f"轮次“{'1' * 20}…”无效，已忽略",
        "截至日期“9999-99-99”无效，应为2000—2100年之间的日期（YYYY-MM-DD），已忽略",
        "页码“x”无效，应为整数，已忽略",
    ]
    request = get("division=4107")
    assert division_param(request) is None
    assert said(request) == ["区划“4107”无效，应为6位数字的区划编码（GB/T 2260，如410702），已忽略"]


@pytest.mark.parametrize(
    ("query", "page", "message"),
    [
        ("", 1, None),
        ("page=3", 3, None),
        ("page=-1", -1, None),  # Paginator.get_page shows the last page
        ("page=abc", 1, "页码“abc”无效，应为整数，已忽略"),
        (f"page={'9' * 5000}", 1, f"页码“{'9' * 20}…”无效，应为整数，已忽略"),
    ],
)
def test_a_page_number_that_is_not_a_number_is_page_1(query, page, message):
    request = get(query)
    assert page_param(request) == page
    assert said(request) == ([message] if message else [])


def test_a_bad_request_answers_400_with_the_message():
    response = bad_request(BadParameter("版本“x”无效，应为整数"))
    assert response.status_code == 400
    assert response.content.decode() == "版本“x”无效，应为整数"


def test_a_page_shows_that_a_bad_year_was_ignored(client_of, rita):
    response = client_of(rita).get(reverse("performance:review_list") + "?year=-1", follow=True)
    assert response.status_code == 200
    assert IGNORED.format(
        message=NOT_A_YEAR.format(label="年度", value="-1", first=FIRST_YEAR, last=LAST_YEAR)
    ) in [str(m) for m in response.context["messages"]]


# --- every page that reads a number, a year, a date or an id -----------------------------------

BAD_VALUES = [
    "-1",
    "abc",
    "1" * 25,
    "9" * 5000,
    "0000-00-00",
    "9999-99-99",
    "0001-01-01",
    "9999-12-31",
    " ",
]


@dataclass
class World:
    """What the pages need: a project with a payment, a submitted monitoring report (for the
    review page) and a draft self-evaluation (for the form), both of department A."""

    project: Any
    payment: Any
    round: Any
    draft: Any
    submitted: Any
    line: Any


@pytest.fixture
def world(unit_a, alice):
    WarningSettings.current()
    project = project_with_targets(unit_a)
    payment = spend(project, "50")
    round_ = monitoring_round()
    submitted = report_of(round_, project)
    submitted = report_save(
        report=submitted,
        user=alice,
        version=submitted.version,
        data=report_input(project, ON_TRACK),
    )
    submitted = report_submit(report=submitted, user=alice)
    draft = report_of(self_evaluation_round(), project)
    draft = report_save(
        report=draft, user=alice, version=draft.version, data=report_input(project, ALL_REACHED)
    )
    line = submitted.lines.get(indicator=indicators_of(project)["经办服务水平"])
    return World(project, payment, round_, draft, submitted, line)


@dataclass(frozen=True)
class Case:
    """One parameter of one page: how to build the request around the bad value."""

    name: str
    url: Callable[[World], str]
    param: str
    data: Callable[[World], dict[str, str]] = lambda w: {}  # the other POST fields
    # Values that are fine for this parameter (a refund of -1 万元, a qualitative target).
    valid: tuple[str, ...] = ()
    # The parameter is in the query string of the POST (the year a form is saved for).
    in_query: bool = False

    def __str__(self) -> str:
        return self.name


def _report_form(world: World) -> dict[str, str]:
    return form_data(world.draft, ALL_REACHED)


GET_CASES = [
    Case("project list year", lambda w: reverse("budgets:project_list"), "year"),
    Case("project list as_of", lambda w: reverse("budgets:project_list"), "as_of"),
    Case("project list department", lambda w: reverse("budgets:project_list"), "department"),
    Case("project list division", lambda w: reverse("budgets:project_list"), "division"),
    Case("project list page", lambda w: reverse("budgets:project_list"), "page"),
    Case(
        "project as_of",
        lambda w: reverse("budgets:project_detail", args=[w.project.pk]),
        "as_of",
    ),
    Case(
        "project page",
        lambda w: reverse("budgets:project_detail", args=[w.project.pk]),
        "page",
    ),
    Case("payment list year", lambda w: reverse("budgets:payment_list"), "year"),
    Case("payment list department", lambda w: reverse("budgets:payment_list"), "department"),
    Case("payment list division", lambda w: reverse("budgets:payment_list"), "division"),
    Case("payment list page", lambda w: reverse("budgets:payment_list"), "page"),
    Case("basic payment department", lambda w: reverse("budgets:payment_create"), "department"),
    Case("target review year", lambda w: reverse("performance:review_list"), "year"),
    Case(
        "target review department",
        lambda w: reverse("performance:review_list"),
        "department",
    ),
    Case("target review page", lambda w: reverse("performance:review_list"), "page"),
    Case(
        "department targets year",
        lambda w: reverse("performance:department_targets"),
        "year",
    ),
    Case(
        "department targets department",
        lambda w: reverse("performance:department_targets"),
        "department",
    ),
    Case("table 11 year", lambda w: reverse("reporting:table_11_xlsx"), "year"),
    Case("table 11 department", lambda w: reverse("reporting:table_11_xlsx"), "department"),
    Case("table 12 year", lambda w: reverse("reporting:table_12_xlsx"), "year"),
    Case("table 12 department", lambda w: reverse("reporting:table_12_xlsx"), "department"),
    Case("table 11 page year", lambda w: reverse("reporting:table_11"), "year"),
    Case("table 11 page department", lambda w: reverse("reporting:table_11"), "department"),
    Case(
        "value preview year",
        lambda w: reverse("performance:value_preview") + "?value=12月31日前",
        "year",
    ),
    Case(
        "value preview value",
        lambda w: reverse("performance:value_preview") + "?year=2024",
        "value",
    ),
    Case(
        "round department",
        lambda w: reverse("tracking:round_detail", args=[w.round.pk]),
        "department",
    ),
    Case("round page", lambda w: reverse("tracking:round_detail", args=[w.round.pk]), "page"),
    Case(
        "round sheet department",
        lambda w: reverse("tracking:round_sheet_download", args=[w.round.pk]),
        "department",
    ),
    Case("review queue department", lambda w: reverse("tracking:review_queue"), "department"),
    Case("review queue round", lambda w: reverse("tracking:review_queue"), "round"),
    Case("review queue page", lambda w: reverse("tracking:review_queue"), "page"),
    Case("inbox page", lambda w: reverse("tracking:inbox"), "page"),
]

POST_CASES = [
    Case(
        "report edit version",
        lambda w: reverse("tracking:report_edit", args=[w.draft.pk]),
        "version",
        _report_form,
    ),
    Case(
        "report submit version",
        lambda w: reverse("tracking:report_submit", args=[w.draft.pk]),
        "version",
    ),
    Case(
        "report save and submit version",
        lambda w: reverse("tracking:report_submit", args=[w.draft.pk]),
        "version",
        lambda w: {**_report_form(w), "save": "1"},
    ),
    Case(
        "line preview indicator",
        lambda w: reverse("tracking:report_line_preview", args=[w.draft.pk]),
        "indicator",
    ),
    Case(
        "review score line",
        lambda w: reverse("tracking:report_review", args=[w.submitted.pk]),
        "line",
        lambda w: {"action": "score", "score": "1", "reason": "x"},
    ),
    Case(
        "review score",
        lambda w: reverse("tracking:report_review", args=[w.submitted.pk]),
        "score",
        lambda w: {"action": "score", "line": str(w.line.pk), "reason": "x"},
    ),
    Case(
        "payment date",
        lambda w: reverse("budgets:payment_create", args=[w.project.pk]),
        "date",
        lambda w: {"voucher": "记-9", "amount": "1"},
    ),
    Case(
        "payment amount",
        lambda w: reverse("budgets:payment_create", args=[w.project.pk]),
        "amount",
        lambda w: {"voucher": "记-9", "date": "2024-05-01"},
        valid=("-1",),
    ),
    Case(
        "basic payment department",
        lambda w: reverse("budgets:payment_create"),
        "department",
        lambda w: {"voucher": "记-9", "date": "2024-05-01", "amount": "1"},
        valid=(" ",),  # staff's own department
    ),
    Case(
        "payment edit date",
        lambda w: reverse("budgets:payment_edit", args=[w.payment.pk]),
        "date",
        lambda w: {"voucher": "记-9", "amount": "1"},
    ),
    Case(
        "adjustment date",
        lambda w: reverse("budgets:adjustment_create", args=[w.project.pk]),
        "date",
        lambda w: {"document_number": "财预〔2024〕9号", "amount": "1"},
    ),
    Case(
        "round year",
        lambda w: reverse("tracking:round_create"),
        "year",
        lambda w: {"stage": "运行监控", "as_of": "2024-09-30", "deadline": "2024-10-15"},
    ),
    Case(
        "round as_of",
        lambda w: reverse("tracking:round_create"),
        "as_of",
        lambda w: {"year": "2024", "stage": "运行监控", "deadline": "2024-10-15"},
    ),
    Case(
        "round deadline",
        lambda w: reverse("tracking:round_edit", args=[w.round.pk]),
        "deadline",
    ),
    Case(
        "basic payment year",
        lambda w: reverse("budgets:payment_create") + f"?department={w.project.department_id}",
        "year",
        lambda w: {"voucher": "记-9", "date": "2024-05-01", "amount": "1"},
        valid=(" ",),  # no year given: the date alone decides
        in_query=True,
    ),
    Case(
        "indicator weight",
        lambda w: reverse("performance:indicator_add", args=[w.project.pk]),
        "weight",
        lambda w: {"level1": "产出指标", "name": "新指标", "value": "≥1人"},
        valid=(" ",),
    ),
    Case(
        "indicator value",
        lambda w: reverse("performance:indicator_add", args=[w.project.pk]),
        "value",
        lambda w: {"level1": "产出指标", "name": "新指标"},
        # Anything that is not a number, a deadline or a comparison is a qualitative target.
        valid=("-1", "abc", "0000-00-00", "9999-99-99", "0001-01-01", "9999-12-31"),
    ),
]

ROLES = ["alice", "bob", "rita", "adam"]


def _client(user) -> Client:
    """A logged-in client that answers a server error as a 500 instead of re-raising it, so
    that one test lists every bad value that fails."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", GET_CASES, ids=str)
def test_it_answers_bad_query_values_without_a_server_error(request, world, case, role):
    client = _client(request.getfixturevalue(role))
    base = case.url(world)
    joiner = "&" if "?" in base else "?"
    failures = []
    for value in BAD_VALUES:
        status = client.get(f"{base}{joiner}{case.param}={value}").status_code
        if status >= 500:
            failures.append((value[:30], status))
    assert failures == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", POST_CASES, ids=str)
def test_it_refuses_bad_posted_values_without_a_server_error_or_a_write(request, world, case, role):
    client = _client(request.getfixturevalue(role))
    url = case.url(world)
    failures = []
    for value in BAD_VALUES:
        if value in case.valid:
            continue
        before = database_state()
        if case.in_query:
            joiner = "&" if "?" in url else "?"
            status = client.post(f"{url}{joiner}{case.param}={value}", case.data(world)).status_code
        else:
            status = client.post(url, {**case.data(world), case.param: value}).status_code
        if status >= 500 or database_state() != before:
            failures.append((value[:30], status))
    assert failures == []
