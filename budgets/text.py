"""Text that every xlsx and the database can hold: one rule for the pages, the admin and the API.

Word puts a vertical tab (\\x0b) in pasted text; openpyxl refuses it (IllegalCharacterError)
and PostgreSQL refuses NUL. Such text is refused where it is typed, with one Chinese message:
the pages' forms (TextField), the admin's forms (budgets.admin.WritableTextMixin) and the API
(budgets.api.fields.StrictCharField). Text that came in another way is cleaned where an xlsx
cell gets its value (budgets.xlsx.cell_value).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

UNWRITABLE_CHARACTER = "不能包含控制字符（换行和制表符除外）或无效的 Unicode 字符"
# Tab, line feed and carriage return are text; the other C0 controls, DEL and lone surrogates
# are refused by openpyxl (IllegalCharacterError) or by the database's UTF-8.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def refuse_unwritable_characters(value: Any) -> None:
    """A Django validator: text holding an unwritable character is refused (non-text passes)."""
    if isinstance(value, str) and UNWRITABLE.search(value):
        raise ValidationError(UNWRITABLE_CHARACTER, code="unwritable")


def refuse_unwritable(field: forms.Field) -> forms.Field:
    """The form field, its text checked by refuse_unwritable_characters; returned for chaining.

    Django's own NUL check goes (this one covers NUL), so a NUL gets one message, not two.
    As for spaces, a CharField strips whitespace-like controls (\\x0b, \\x0c, \\x1c—\\x1f) at
    either end before the check: those are dropped, never stored; inside the text, refused.
    """
    if refuse_unwritable_characters not in field.validators:
        field.validators = [
            validator
            for validator in field.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ]
        field.validators.append(refuse_unwritable_characters)
    return field


class TextField(forms.CharField):
    """The pages' text field: a CharField that refuses text no xlsx or database can hold."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        refuse_unwritable(self)
