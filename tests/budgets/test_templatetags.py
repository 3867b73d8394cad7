"""The `money` template filter: amounts in 万元 as the finance bureau's tables print them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from budgets.templatetags.money import NO_AMOUNT, money

D = Decimal


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("7.5"), "7.50"),
        (D("4515.264"), "4,515.26"),
        (D("10452.73"), "10,452.73"),
        (D("10348.700000"), "10,348.70"),
        (D("-2"), "-2.00"),
        (D("-1234.5"), "-1,234.50"),
        (D("0"), "0.00"),
        (D("1234567.000001"), "1,234,567.00"),
        (D("0.000001"), "0.00"),
        (D("49.0335"), "49.03"),
        (D("49.035"), "49.04"),
        (D("1E+3"), "1,000.00"),
    ],
)
def test_an_amount_gets_thousands_separators_and_two_decimals_half_up(value, shown):
    assert money(value) == shown


def test_no_amount_is_a_dash():
    assert money(None) == NO_AMOUNT == "—"


def test_zero_never_shows_a_minus_sign():
    assert money(D("-0.000000")) == "0.00"


def test_the_largest_stored_amount_rounds_half_up_to_two_places():
    # Lists and tables show two places (the exact value only where a user edits it).
    assert money(D("999999999999.994999")) == "999,999,999,999.99"
    assert money(D("999999999999.995")) == "1,000,000,000,000.00"


def test_an_int_is_an_amount_in_whole_wan_yuan():
    assert money(0) == "0.00"
    assert money(1200) == "1,200.00"


def test_an_amount_already_written_as_text_is_reformatted():
    # Some views hand amounts over as rates.format_amount() text.
    assert money("2751.61") == "2,751.61"
    assert money("1200") == "1,200.00"
    assert money("-0.3") == "-0.30"


def test_text_that_is_not_an_amount_is_shown_as_it_is():
    assert money("—") == "—"
    assert money("") == ""


def test_the_filter_is_loaded_by_name_in_templates():
    template = Template("{% load money %}{{ a|money }} / {{ b|money }}")
    assert template.render(Context({"a": D("10348.7"), "b": None})) == "10,348.70 / —"


@pytest.mark.parametrize(
    ("warning", "shown"),
    [
        ("over", '<span class="light over"></span>超支'),
        ("red", '<span class="light red"></span>红色预警'),
        ("green", '<span class="light green"></span>正常'),
        ("", '<span class="muted">—</span>'),
        (None, '<span class="muted">—</span>'),
    ],
)
def test_the_reports_warning_include_names_each_warning_from_the_one_definition(warning, shown):
    from django.template.loader import render_to_string

    assert render_to_string("tracking/_warning.html", {"warning": warning}).strip() == shown
