"""Template filters for amounts in 万元, printed the way the finance bureau's tables print them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

NO_AMOUNT = "—"
MIN_PLACES = 2


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
    if amount.is_zero():
        amount = Decimal(0)  # "-0.000000" would print as "-0.00"
    # Trailing zeros past the cents carry no information, but real fen must never be rounded.
    places = max(MIN_PLACES, -amount.normalize().as_tuple().exponent)
    return f"{amount:,.{places}f}"
