"""Serializer fields of the API's request bodies: exactly what the schema says, nothing more;
amounts are decimal strings checked as on the pages (budgets.services.validate_amount)."""

# DRF's fields are lenient (a CharField takes 5, a BooleanField "yes", an IntegerField "5"): a
# client that sends the wrong type learns it here, in Chinese, instead of finding its value
# quietly converted — and the schema's fuzzers find no request it declares invalid accepted.
# Amounts are never JSON numbers: a float would lose fen.

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from budgets.fields import MAX_DIGITS, PLACES
from budgets.forms import AMOUNT_INVALID
from budgets.params import MAX_ID
from budgets.rates import format_rate
from budgets.services import AMOUNT_TOO_LARGE, AMOUNT_TOO_PRECISE, validate_amount
from budgets.text import UNWRITABLE, UNWRITABLE_CHARACTER

UNKNOWN_FIELD = "未知字段，可用字段：{allowed}"
READ_ONLY_FIELD = "该字段只读，不能在请求中提供"
NOT_AN_OBJECT = "请求内容应为 JSON 对象（字段名: 值）"
NOT_A_STRING = "应为字符串"
NOT_A_BOOLEAN = "应为 true 或 false"
NOT_A_DATE = "日期“{value}”无效，应为 YYYY-MM-DD 格式的有效日期"
AMOUNT_NOT_A_STRING = '金额应以字符串填写（如 "12.50"），单位万元：数字会按浮点数丢失精度'
NOT_AN_ID = "应为正整数 id"
DOES_NOT_EXIST = "{label}“{value}”不存在，或您无权访问"

INTEGER_DIGITS = MAX_DIGITS - PLACES
AMOUNT_PATTERN = rf"^-?[0-9]{{1,{INTEGER_DIGITS}}}(\.[0-9]{{1,{PLACES}}})?$"
_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?", re.ASCII)
# The pages' and the admin's rule too (budgets.text): control characters other than tab, line
# feed and carriage return, DEL and lone surrogates no xlsx export and no database can hold.
_UNWRITABLE = UNWRITABLE
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# A value quoted in a message is cut to this many characters.
SHOWN = 20


def shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}…"


def _is_form_data(field: serializers.Field) -> bool:
    """The request came as form fields (multipart), where every value is text."""
    request = field.context.get("request")
    return request is not None and isinstance(getattr(request, "data", None), QueryDict)


# A request serializer that refuses fields it does not have, and read-only ones. (No docstring:
# the schema would publish it as every request body's description.)
class StrictSerializerMixin:
    refuses_unknown_fields = True
    # The fields the resource shows but a write may not set (its id, its project…).
    read_only_names: tuple[str, ...] = ()

    def run_validation(self, data: Any = empty) -> Any:
        # JSON null is no body DRF would word in Chinese.
        if data is not empty and not isinstance(data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [NOT_AN_OBJECT]})
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [NOT_AN_OBJECT]})
        writable = [name for name, field in self.fields.items() if not field.read_only]
        errors = {}
        for key in data:
            if key in writable:
                continue
            if key in self.fields or key in self.read_only_names:
                errors[key] = [READ_ONLY_FIELD]
            else:
                errors[shown(key)] = [UNKNOWN_FIELD.format(allowed="、".join(writable))]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A text: a JSON string (a number is refused, not turned into text) without control
    characters or unpaired surrogates, which no xlsx export and no database can hold."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(NOT_A_STRING, code="invalid")
        if _UNWRITABLE.search(data):
            raise serializers.ValidationError(UNWRITABLE_CHARACTER, code="invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "boolean"})
class StrictBooleanField(serializers.Field):
    """true or false (in form data, the text "true" or "false")."""

    # Left out of form data: the default, not DRF's False for an unticked box.
    default_empty_html = empty

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and _is_form_data(self) and data.lower() in ("true", "false"):
            return data.lower() == "true"
        raise serializers.ValidationError(NOT_A_BOOLEAN, code="invalid")

    def to_representation(self, value: Any) -> bool:
        return bool(value)


@extend_schema_field({"type": "string", "format": "date"})
class StrictDateField(serializers.Field):
    """A date as YYYY-MM-DD; whether it lies in a year the system keeps is the service's."""

    def to_internal_value(self, data: Any) -> date:
        if not isinstance(data, str):
            raise serializers.ValidationError(NOT_A_DATE.format(value=shown(data)), code="invalid")
        day = None
        if _ISO_DATE.fullmatch(data):
            try:
                day = date.fromisoformat(data)
            except ValueError:
                day = None
        if day is None:
            raise serializers.ValidationError(NOT_A_DATE.format(value=shown(data)), code="invalid")
        return day

    def to_representation(self, value: date) -> str:
        return value.isoformat()


@extend_schema_field({"type": "string", "format": "decimal", "pattern": AMOUNT_PATTERN})
class AmountField(serializers.Field):
    """An amount in 万元 as a decimal string: up to 12 integer digits and 6 decimals; no
    exponent, separators or spaces (the pages' rules, budgets.services.validate_amount)."""

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            raise serializers.ValidationError(AMOUNT_NOT_A_STRING, code="invalid")
        match = _DECIMAL.fullmatch(data)
        if match is None:
            raise serializers.ValidationError(AMOUNT_INVALID, code="invalid")
        if len(match.group(3) or "") > PLACES:
            raise serializers.ValidationError(AMOUNT_TOO_PRECISE, code="too_precise")
        if len(match.group(2)) > INTEGER_DIGITS:
            raise serializers.ValidationError(AMOUNT_TOO_LARGE, code="too_large")
        value = Decimal(data)
        try:
            validate_amount(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value

    def to_representation(self, value: Decimal) -> str:
        return f"{value:.{PLACES}f}"


@extend_schema_field({"type": "string", "format": "decimal"})
class TotalField(serializers.Field):
    """A computed amount in 万元 (a sum may exceed what one entry may hold): 6 decimals."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return f"{value:.{PLACES}f}"


@extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
class RateField(serializers.Field):
    """A rate in percent rounded half-up to 2 decimals ("58.33"); null when it has no value
    (zero budget), as the export writes it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal | None) -> str | None:
        return format_rate(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class ScopedIdField(serializers.Field):
    """A related row by id, among the rows `scope(request)` gives (those the user may see):
    any other id, existing or not, is the same “does not exist” answer."""

    def __init__(
        self,
        *,
        scope: Callable[[Any], QuerySet[Model]],
        noun: str,
        **kwargs: Any,
    ) -> None:
        self.scope = scope
        self.noun = noun
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        if isinstance(data, str) and _is_form_data(self) and data.isascii() and data.isdigit():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= MAX_ID:
            raise serializers.ValidationError(NOT_AN_ID, code="invalid")
        found = self.scope(self.context["request"]).filter(pk=data).first()
        if found is None:
            raise serializers.ValidationError(
                DOES_NOT_EXIST.format(label=self.noun, value=data), code="does_not_exist"
            )
        return found

    def to_representation(self, value: Model) -> int:
        return value.pk
