"""MoneyField: 万元 as an exact Decimal in Python, stored as an integer count of 0.000001 万元.

0.000001 万元 is one fen (分, 0.01 yuan). Storing whole fen makes every SUM exact on every
database — SQLite would otherwise add decimals as binary floats and drift at province
scale — while code only ever sees `Decimal` 万元 with up to six decimal places.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

PLACES = 6
QUANTUM = Decimal(1).scaleb(-PLACES)
MAX_DIGITS = 18  # 12 integer digits of 万元: far beyond any budget, inside a BIGINT
# The first amount (万元) a MoneyField cannot hold: every form, sheet and API refuses it.
MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - PLACES)


def to_fen(value: Decimal) -> int:
    """Exact integer count of 0.000001 万元; refuses more than six decimal places."""
    scaled = value.scaleb(PLACES)
    whole = int(scaled)  # truncates; equal only when nothing was cut (exact comparison)
    if whole != scaled:
        raise ValidationError("金额最多保留6位小数（万元）")
    return whole


def from_fen(value: int) -> Decimal:
    return Decimal(value).scaleb(-PLACES).quantize(QUANTUM)


class MoneyField(models.BigIntegerField):
    description = "Amount in 万元 with six decimal places, stored as an integer"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return from_fen(int(value))

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError("请输入有效的金额", code="invalid") from exc

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, models.expressions.Combinable | models.Expression):
            return value
        return to_fen(self.to_python(value))

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.DecimalField,
            "max_digits": MAX_DIGITS,
            "decimal_places": PLACES,
        }
        defaults.update(kwargs)
        # BigIntegerField.formfield would add integer bounds; skip to Field.formfield.
        return models.Field.formfield(self, **defaults)

    def get_internal_type(self):
        return "BigIntegerField"
