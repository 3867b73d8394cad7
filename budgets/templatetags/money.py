"""The one way pages print amounts (万元) and percentages: thousands separators and two
decimals rounded half-up ("1,234.50", "49.03", "58.20%"). Lists, tables, facts and history
pages all go through `money_text`/`percent_text` (the `money` and `percent` filters); only a
form input where a user edits a value shows it exactly."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from budgets.rates import round_half_up

register = template.Library()

NO_AMOUNT = "—"
PLACES = 2


def _as_decimal(value: object) -> Decimal | None:
    """The number behind a Decimal, an int or a plain number string ("58.33%" too, for a
    rate a view already wrote as text); None for anything else."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().removesuffix("%").replace(",", "").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _two_places(number: Decimal) -> str:
    # round_half_up turns -0.001 into 0.00, never "-0.00".
    return f"{round_half_up(number, PLACES):,.{PLACES}f}"


def money_text(value: object) -> str:
    """An amount as every page prints it: "1,234.50", "49.03" (of 49.0335), "-2.00"; "—" for
    none; a text that is no number (a view's own "—") as it is."""
    if value is None:
        return NO_AMOUNT
    number = _as_decimal(value)
    return str(value) if number is None else _two_places(number)


def percent_text(value: object) -> str:
    """A percentage (58.2 means 58.2 %) as every page prints it: "58.20%", "1,234.50%"; "—"
    for none."""
    if value is None:
        return NO_AMOUNT
    number = _as_decimal(value)
    return str(value) if number is None else f"{_two_places(number)}%"


@register.filter
def money(value: object) -> str:
    """{{ amount|money }}: see money_text."""
    return money_text(value)


@register.filter
def percent(value: object) -> str:
    """{{ rate|percent }}: see percent_text (the "%" sign included)."""
    return percent_text(value)
