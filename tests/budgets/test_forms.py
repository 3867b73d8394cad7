"""Forms of the budgets pages: amounts, the project-list filters, the upload form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets.forms import (
    AMOUNT_INVALID,
    AS_OF_OUTSIDE_YEAR,
    AdjustmentForm,
    ImportUploadForm,
    PaymentForm,
    ProjectFilterForm,
)
from budgets.importer import FILE_EMPTY, FILE_NOT_XLSX, FILE_TOO_LARGE
from budgets.models import Department
from budgets.services import AMOUNT_TOO_LARGE, AMOUNT_TOO_PRECISE


def payment_form(**values) -> PaymentForm:
    return PaymentForm({"voucher": "记-1", "date": "2024-05-01", "amount": "1", **values})


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", AMOUNT_INVALID),
        ("1.2.3", AMOUNT_INVALID),
        ("NaN", AMOUNT_INVALID),
        ("1e5", AMOUNT_INVALID),
        ("1E-3", AMOUNT_INVALID),
        ("Infinity", AMOUNT_INVALID),
        ("1.1234567", AMOUNT_TOO_PRECISE),
        ("0.0000001", AMOUNT_TOO_PRECISE),
        ("1000000000000", AMOUNT_TOO_LARGE),
    ],
)
def test_a_bad_amount_gets_its_chinese_message(typed, message):
    form = payment_form(amount=typed)
    assert not form.is_valid()
    assert form.errors["amount"] == [message]


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1,200.5", Decimal("1200.5")),
        ("1，200.5", Decimal("1200.5")),
        (" -0.000001 ", Decimal("-0.000001")),
        ("2.500000000", Decimal("2.5")),
    ],
)
def test_amounts_are_read_exactly(typed, value):
    form = payment_form(amount=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == value


def test_the_adjustment_form_uses_the_same_amount_rules():
    form = AdjustmentForm({"document_number": "文-1", "date": "2024-01-01", "amount": "1.1234567"})
    assert not form.is_valid() and form.errors["amount"] == [AMOUNT_TOO_PRECISE]


def filters(data: dict, departments=None) -> ProjectFilterForm:
    return ProjectFilterForm(data, years=[2024, 2023], departments=departments, default_year=2024)


def test_staff_filters_have_no_department_choice(db):
    assert "department" not in filters({}).fields
    assert "department" in filters({}, Department.objects.all()).fields


def test_an_as_of_date_must_fall_in_the_chosen_year(db):
    form = filters({"year": "2023", "as_of": "2024-03-01"})
    assert not form.is_valid()
    assert form.errors["as_of"] == [AS_OF_OUTSIDE_YEAR.format(year=2023)]
    assert filters({"year": "2023", "as_of": "2023-03-01"}).is_valid()


def test_a_year_without_projects_is_not_a_choice(db):
    form = filters({"year": "1999"})
    assert not form.is_valid() and "year" in form.errors
    leap = filters({"as_of": "2024-02-29"})
    assert leap.is_valid() and leap.cleaned_data["as_of"] == date(2024, 2, 29)


def upload_form(content: bytes) -> ImportUploadForm:
    return ImportUploadForm({}, {"file": SimpleUploadedFile("a.xlsx", content)})


@pytest.mark.parametrize(("content", "message"), [(b"", FILE_EMPTY), (b"hello", FILE_NOT_XLSX)])
def test_the_upload_form_names_the_file_when_it_refuses_it(content, message):
    form = upload_form(content)
    assert not form.is_valid()
    assert form.errors["file"] == [f"文件: {message}"]


def test_the_upload_limit_comes_from_the_settings(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 4
    form = upload_form(b"hello")
    assert form.errors["file"] == [f"文件: {FILE_TOO_LARGE.format(limit='4 字节')}"]
