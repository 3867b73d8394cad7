"""The one rule for text no xlsx or database can hold (budgets.text), shared by the pages'
forms, the admin and the API."""

from __future__ import annotations

import inspect

import pytest
from django import forms
from django.core.exceptions import ValidationError
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

import budgets.forms
import performance.forms
import tracking.forms
from budgets.api import fields as api_fields
from budgets.text import (
    UNWRITABLE,
    UNWRITABLE_CHARACTER,
    TextField,
    refuse_unwritable_characters,
)

REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f", "\ud800", "\udfff"]
ACCEPTED = ["\t", "\n", "\r", " ", "\u3000", "\u200b", "中文", "😀", "\x80"]


@pytest.mark.parametrize("char", REFUSED)
def test_control_characters_and_lone_surrogates_are_refused(char):
    with pytest.raises(ValidationError) as caught:
        refuse_unwritable_characters(f"差旅{char}费")
    assert caught.value.messages == [UNWRITABLE_CHARACTER]
    assert caught.value.error_list[0].code == "unwritable"


@pytest.mark.parametrize("char", ACCEPTED)
def test_tab_newline_and_other_text_pass(char):
    refuse_unwritable_characters(f"差旅{char}费")


def test_values_that_are_not_text_pass():
    for value in (None, 5, ["\x0b"], {"a": "\x00"}):
        refuse_unwritable_characters(value)


def test_the_api_uses_the_same_rule_and_message():
    assert api_fields._UNWRITABLE is UNWRITABLE
    assert api_fields.UNWRITABLE_CHARACTER == UNWRITABLE_CHARACTER
    assert UNWRITABLE_CHARACTER == "不能包含控制字符（换行和制表符除外）或无效的 Unicode 字符"


def test_every_character_openpyxl_refuses_is_refused():
    assert all(
        UNWRITABLE.match(chr(c)) for c in range(0x110000) if ILLEGAL_CHARACTERS_RE.match(chr(c))
    )


# --- the pages' text field ------------------------------------------------------------------


def clean(field: forms.Field, value: str):
    return field.clean(value)


@pytest.mark.parametrize("value", ["记\x0b1", "记\x001", "\x00"])
def test_a_text_field_refuses_with_the_one_message(value):
    with pytest.raises(ValidationError) as caught:
        clean(TextField(), value)
    # Not Django's own NUL message beside it.
    assert caught.value.messages == [UNWRITABLE_CHARACTER]


def test_a_text_field_keeps_tab_and_newline_and_its_other_rules():
    assert clean(TextField(), "第一行\n第二行\t备注") == "第一行\n第二行\t备注"
    with pytest.raises(ValidationError) as caught:
        clean(TextField(max_length=2), "三个字")
    assert len(caught.value.messages) == 1 and UNWRITABLE_CHARACTER not in caught.value.messages
    # Stripped at the ends like spaces (never stored); unstripped fields refuse them there too.
    assert clean(TextField(), "差旅\x0b") == "差旅"
    with pytest.raises(ValidationError):
        clean(TextField(strip=False), "差旅\x0b")


def _page_forms():
    for module in (budgets.forms, performance.forms, tracking.forms):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_every_text_field_of_the_pages_forms_is_a_text_field():
    checked = 0
    for cls in _page_forms():
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.CharField):
                assert isinstance(field, TextField), f"{cls.__name__}.{name}"
                checked += 1
    # The per-indicator fields of the report and return forms come from one helper.
    assert isinstance(tracking.forms._text("x"), TextField)
    assert checked >= 15


def test_the_search_boxes_refuse_too(db):
    searches = [
        budgets.forms.PaymentFilterForm({"q": "记\x0b1"}, years=[2024], departments=None),
        budgets.forms.ProjectFilterForm(
            {"q": "医保\x00"}, years=[2024], departments=None, default_year=2024
        ),
    ]
    for form in searches:
        assert not form.is_valid()
        assert form.errors["q"] == [UNWRITABLE_CHARACTER]
