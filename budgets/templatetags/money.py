"""Template filters for amounts in 万元, printed the way the finance bureau's tables print them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from budgets.rates import format_money

register = template.Library()

NO_AMOUNT = "—"


def _as_decimal(value: object) -> Decimal | None:
    """The amount behind a Decimal, an int or a plain amount string; None for anything else."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


@register.filter
def money(value: object) -> str:
    """An amount with thousands separators and 2 to 6 decimals: "10,348.70", "4,515.264"."""
    if value is None:
        return NO_AMOUNT
    amount = _as_decimal(value)
    if amount is None or not amount.is_finite():
        # Views hand some amounts over already as text ("—" for none): show it as it is.
        return str(value)
    return format_money(amount)
