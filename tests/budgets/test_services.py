"""Writes of payments and adjustments: permission, year of the date, uniqueness, history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from budgets.models import Adjustment, Payment
from budgets.services import (
    AMOUNT_TOO_LARGE,
    AMOUNT_TOO_PRECISE,
    DATE_OUTSIDE_FISCAL_YEARS,
    DATE_OUTSIDE_YEAR,
    DOCUMENT_NUMBER_TAKEN,
    NO_CHANGE_PERMISSION,
    OVER_BUDGET,
    PROJECT_NOT_IN_YEAR,
    PROJECT_OF_OTHER_DEPARTMENT,
    VALUE_REQUIRED,
    VOUCHER_TAKEN,
    adjustment_delete,
    adjustment_save,
    payment_delete,
    payment_save,
    validate_amount,
)
from tests.factories import AdjustmentFactory, PaymentFactory, ProjectFactory

from .workbooks import database_state


@pytest.fixture
def project_a(unit_a):
    return ProjectFactory(unit=unit_a, code="309-A1")


@pytest.fixture
def project_b(unit_b):
    return ProjectFactory(unit=unit_b, code="044-B1")


def a_payment(user, department, **values) -> Payment:
    data = {"voucher": "记-0001", "date": date(2024, 5, 1), "amount": Decimal("12.5")}
    data.update(values)
    return payment_save(user=user, department=department, **data)


def messages_of(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict


# --- payments -------------------------------------------------------------------------------


def test_a_payment_takes_the_year_of_its_date_and_records_who(alice, project_a):
    payment = a_payment(alice, project_a.department, project=project_a, summary=" 差旅 ")
    assert (payment.year, payment.project, payment.summary) == (2024, project_a, "差旅")
    assert payment.history.get().history_user == alice


def test_a_basic_expenditure_payment_has_no_project(alice, department_a):
    payment = a_payment(alice, department_a, three_public=True)
    assert payment.project is None and payment.three_public


def test_staff_cannot_pay_from_another_department(bob, project_a):
    before = database_state()
    with pytest.raises(PermissionDenied) as caught:
        a_payment(bob, project_a.department, project=project_a)
    assert str(caught.value) == NO_CHANGE_PERMISSION.format(department="新乡市医疗保障局")
    assert database_state() == before


def test_the_admin_may_record_any_departments_payment(adam, project_b):
    assert a_payment(adam, project_b.department, project=project_b).department_id == (
        project_b.department_id
    )


def test_the_finance_bureau_records_payments_as_budget_facts(rita, project_b):
    payment = a_payment(rita, project_b.department, project=project_b)
    assert (payment.department, payment.history.get().history_user) == (
        project_b.department,
        rita,
    )


def test_a_payment_in_a_year_without_the_project_is_refused(alice, project_a):
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        a_payment(alice, project_a.department, project=project_a, date=date(2025, 1, 2))
    assert messages_of(caught.value) == {
        "date": [PROJECT_NOT_IN_YEAR.format(code="309-A1", year=2025)]
    }
    assert database_state() == before


def test_a_payment_goes_to_the_project_of_the_same_code_in_its_year(alice, project_a):
    next_year = ProjectFactory(unit=project_a.unit, code="309-A1", year=2025)
    payment = a_payment(alice, project_a.department, project=project_a, date=date(2025, 1, 2))
    assert (payment.project, payment.year) == (next_year, 2025)


def test_a_project_code_of_another_department_in_that_year_is_refused(alice, project_a, unit_b):
    ProjectFactory(unit=unit_b, code="309-A1", year=2025)
    with pytest.raises(ValidationError) as caught:
        a_payment(alice, project_a.department, project=project_a, date=date(2025, 1, 2))
    assert caught.value.messages == [
        PROJECT_OF_OTHER_DEPARTMENT.format(
            code="309-A1", year=2025, owner="西峡县医疗保障局本级", department="新乡市医疗保障局"
        )
    ]
    assert not Payment.objects.exists()


def test_a_voucher_is_unique_within_department_and_year(alice, bob, project_a, project_b):
    a_payment(alice, project_a.department, project=project_a)
    with pytest.raises(ValidationError) as caught:
        a_payment(alice, project_a.department, date=date(2024, 12, 1))
    assert messages_of(caught.value) == {
        "voucher": [
            VOUCHER_TAKEN.format(voucher="记-0001", department="新乡市医疗保障局", year=2024)
        ]
    }
    # The same voucher in another year or another department is another payment.
    a_payment(bob, project_b.department, project=project_b)
    ProjectFactory(unit=project_a.unit, code="309-A1", year=2025)
    a_payment(alice, project_a.department, project=project_a, date=date(2025, 2, 1))
    assert Payment.objects.count() == 3


def test_editing_a_payment_keeps_its_own_voucher_and_records_the_change(alice, project_a):
    payment = PaymentFactory(project=project_a, voucher="记-0001", amount=Decimal("1"))
    saved = a_payment(
        alice, project_a.department, project=project_a, payment=payment, amount=Decimal("2")
    )
    assert saved.pk == payment.pk and Payment.objects.get().amount == Decimal("2")
    latest = payment.history.latest()
    assert latest.history_type == "~" and latest.history_user == alice


def test_a_payment_cannot_move_to_another_department(alice, rita, project_a, department_b):
    payment = PaymentFactory(project=project_a)
    with pytest.raises(ValueError):
        a_payment(rita, department_b, payment=payment)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("1.1234567"), AMOUNT_TOO_PRECISE),
        (Decimal("1e12"), AMOUNT_TOO_LARGE),
        (Decimal("-1e999999999"), AMOUNT_TOO_LARGE),
    ],
)
def test_an_amount_money_cannot_hold_is_refused(alice, department_a, amount, message):
    with pytest.raises(ValidationError) as caught:
        a_payment(alice, department_a, amount=amount)
    assert messages_of(caught.value) == {"amount": [message]}
    assert not Payment.objects.exists()


def test_trailing_zeros_beyond_six_places_are_not_over_precise():
    validate_amount(Decimal("1.100000000"))
    validate_amount(Decimal("-999999999999.999999"))


@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31), date(1999, 12, 31)])
@pytest.mark.parametrize("with_project", [False, True])
def test_a_payment_dated_outside_the_fiscal_years_is_refused_naming_the_date(
    alice, project_a, day, with_project
):
    before = database_state()
    project = project_a if with_project else None
    with pytest.raises(ValidationError) as caught:
        a_payment(alice, project_a.department, project=project, date=day)
    message = DATE_OUTSIDE_FISCAL_YEARS.format(day=day.isoformat(), first=2000, last=2100)
    assert messages_of(caught.value) == {"date": [message]}
    assert DATE_OUTSIDE_FISCAL_YEARS.format(day="0001-01-01", first=2000, last=2100) == (
        "日期0001-01-01不在可录入的年度范围（2000—2100年）内，请检查日期"
    )
    assert database_state() == before


def test_a_basic_payment_must_be_dated_in_the_year_being_entered(alice, department_a):
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        a_payment(alice, department_a, date=date(2025, 1, 2), year=2024)
    assert messages_of(caught.value) == {
        "date": [DATE_OUTSIDE_YEAR.format(day="2025-01-02", year=2024)]
    }
    assert DATE_OUTSIDE_YEAR.format(day="2025-01-02", year=2024) == (
        "日期2025-01-02不在2024年度内，请检查日期"
    )
    assert database_state() == before
    assert a_payment(alice, department_a, date=date(2024, 12, 31), year=2024).year == 2024


def test_a_blank_voucher_is_refused(alice, department_a):
    with pytest.raises(ValidationError) as caught:
        a_payment(alice, department_a, voucher="  ")
    assert messages_of(caught.value) == {"voucher": [VALUE_REQUIRED]}


def test_deleting_a_payment_keeps_its_history_with_who(alice, bob, project_a):
    payment = PaymentFactory(project=project_a)
    with pytest.raises(PermissionDenied):
        payment_delete(user=bob, payment=payment)
    assert Payment.objects.exists()
    payment_delete(user=alice, payment=Payment.objects.get())
    assert not Payment.objects.exists()
    assert Payment.history.get(history_type="-").history_user == alice


# --- adjustments ----------------------------------------------------------------------------


def an_adjustment(user, project, **values) -> Adjustment:
    data = {"document_number": "新财预〔2024〕1号", "date": date(2024, 6, 1), "amount": Decimal(5)}
    data.update(values)
    return adjustment_save(user=user, project=project, **data)


def test_an_adjustment_takes_the_year_of_its_date(alice, project_a):
    adjustment = an_adjustment(alice, project_a, amount=Decimal("-3.25"), note="追减")
    assert (adjustment.year, adjustment.amount, adjustment.note) == (2024, Decimal("-3.25"), "追减")
    assert adjustment.history.get().history_user == alice


def test_an_adjustment_is_general_unless_it_is_a_policy_one(alice, project_a):
    assert an_adjustment(alice, project_a).kind == "一般调整"
    policy = an_adjustment(alice, project_a, document_number="文-2", kind="政策性调整")
    assert Adjustment.objects.get(pk=policy.pk).kind == "政策性调整"


def test_an_adjustment_of_an_unknown_kind_is_refused(alice, project_a):
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        an_adjustment(alice, project_a, kind="临时调整")
    assert list(messages_of(caught.value)) == ["kind"]
    assert database_state() == before


def test_staff_cannot_adjust_another_departments_project(bob, project_a):
    with pytest.raises(PermissionDenied):
        an_adjustment(bob, project_a)
    assert not Adjustment.objects.exists()


def test_an_adjustment_in_a_year_without_the_project_is_refused(alice, project_a):
    with pytest.raises(ValidationError) as caught:
        an_adjustment(alice, project_a, date=date(2023, 12, 31))
    assert messages_of(caught.value) == {
        "date": [PROJECT_NOT_IN_YEAR.format(code="309-A1", year=2023)]
    }
    assert not Adjustment.objects.exists()


@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31)])
def test_an_adjustment_dated_outside_the_fiscal_years_is_refused_naming_the_date(
    alice, project_a, day
):
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        an_adjustment(alice, project_a, date=day)
    message = DATE_OUTSIDE_FISCAL_YEARS.format(day=day.isoformat(), first=2000, last=2100)
    assert messages_of(caught.value) == {"date": [message]}
    assert database_state() == before


def test_a_document_number_is_unique_within_the_department_and_year(alice, unit_a, project_a):
    sibling = ProjectFactory(unit=unit_a, code="309-A2")
    AdjustmentFactory(project=sibling, document_number="新财预〔2024〕1号")
    with pytest.raises(ValidationError) as caught:
        an_adjustment(alice, project_a)
    taken = DOCUMENT_NUMBER_TAKEN.format(
        number="新财预〔2024〕1号", department=project_a.department.name, year=2024
    )
    assert messages_of(caught.value) == {"document_number": [taken]}
    assert Adjustment.objects.count() == 1


def test_another_departments_document_number_is_simply_a_new_adjustment(
    alice, project_a, project_b
):
    theirs = AdjustmentFactory(project=project_b, document_number="新财预〔2024〕1号")
    ours = an_adjustment(alice, project_a)
    theirs.refresh_from_db()
    assert (ours.document_number, ours.project, ours.department) == (
        "新财预〔2024〕1号",
        project_a,
        project_a.department,
    )
    assert (theirs.project, theirs.amount) == (project_b, Decimal("10"))


def test_editing_an_adjustment_keeps_its_own_number(alice, project_a):
    adjustment = an_adjustment(alice, project_a)
    an_adjustment(alice, project_a, adjustment=adjustment, amount=Decimal(7))
    assert Adjustment.objects.get().amount == Decimal(7)


# --- the full-year budget cannot go negative ----------------------------------------------


@pytest.fixture
def project_50(unit_a):
    return ProjectFactory(unit=unit_a, code="309-A5", initial_budget=Decimal(50), carryover=0)


def test_an_adjustment_leaving_a_negative_budget_is_refused_with_the_figures(alice, project_50):
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        an_adjustment(alice, project_50, amount=Decimal(-80))
    assert messages_of(caught.value) == {
        "amount": [
            "调整后全年预算数为-30.00万元，不能为负数"
            "（年初预算数50.00万元，已有调整0.00万元，本次调整-80.00万元）"
        ]
    }
    assert database_state() == before


def test_the_check_counts_every_adjustment_of_the_year_and_allows_exactly_zero(alice, project_50):
    # A later 追加 still counts: the full-year budget is the one at year end.
    AdjustmentFactory(project=project_50, document_number="文-12", date=date(2024, 12, 31))
    assert an_adjustment(alice, project_50, amount=Decimal(-60)).amount == Decimal(-60)
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        an_adjustment(alice, project_50, document_number="文-3", amount=Decimal("-0.01"))
    assert "已有调整-50.00万元" in messages_of(caught.value)["amount"][0]
    assert database_state() == before


def test_editing_an_adjustment_counts_its_new_amount_not_its_old_one(alice, project_50):
    adjustment = an_adjustment(alice, project_50, amount=Decimal(-40))
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        an_adjustment(alice, project_50, adjustment=adjustment, amount=Decimal(-51))
    assert messages_of(caught.value)["amount"] == [
        "调整后全年预算数为-1.00万元，不能为负数"
        "（年初预算数50.00万元，已有调整0.00万元，本次调整-51.00万元）"
    ]
    assert database_state() == before
    an_adjustment(alice, project_50, adjustment=adjustment, amount=Decimal(-50))
    assert Adjustment.objects.get().amount == Decimal(-50)


def test_deleting_an_adjustment_keeps_history_unless_the_budget_would_go_negative(
    alice, rita, bob, project_50
):
    plus = an_adjustment(alice, project_50, amount=Decimal(100))
    an_adjustment(alice, project_50, document_number="文-2", amount=Decimal(-120))
    before = database_state()
    with pytest.raises(ValidationError):
        adjustment_delete(user=alice, adjustment=plus)
    with pytest.raises(PermissionDenied):
        adjustment_delete(user=bob, adjustment=Adjustment.objects.get(document_number="文-2"))
    assert database_state() == before
    # Adjustments are budget facts: the finance bureau may delete them too.
    adjustment_delete(user=rita, adjustment=Adjustment.objects.get(document_number="文-2"))
    deleted = Adjustment.history.get(history_type="-")
    assert (deleted.history_user, deleted.amount) == (rita, Decimal(-120))


# --- payments above the full-year budget --------------------------------------------------


def test_a_payment_above_the_full_year_budget_needs_confirmation(alice, project_50):
    AdjustmentFactory(project=project_50, document_number="文-1", amount=Decimal(10))
    a_payment(alice, project_50.department, project=project_50, amount=Decimal(55))
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        a_payment(
            alice, project_50.department, voucher="记-2", project=project_50, amount=Decimal(6)
        )
    assert messages_of(caught.value) == {
        "confirm_over_budget": [
            OVER_BUDGET.format(executed="61.00", adjusted="60.00", remaining="5.00", amount="6.00")
        ]
    }
    assert database_state() == before
    confirmed = a_payment(
        alice,
        project_50.department,
        voucher="记-2",
        project=project_50,
        amount=Decimal(6),
        confirm_over_budget=True,
    )
    assert Payment.objects.get(pk=confirmed.pk).amount == Decimal(6)


def test_editing_a_payment_counts_its_new_amount_and_refunds_pass(alice, project_50):
    payment = a_payment(alice, project_50.department, project=project_50, amount=Decimal(50))
    # Exactly the budget passes; a refund of an overspent project is never asked about.
    a_payment(alice, project_50.department, project=project_50, payment=payment, amount=Decimal(50))
    with pytest.raises(ValidationError):
        a_payment(
            alice, project_50.department, project=project_50, payment=payment, amount=Decimal(51)
        )
    a_payment(
        alice,
        project_50.department,
        voucher="记-9",
        project=project_50,
        amount=Decimal(5),
        confirm_over_budget=True,
    )
    a_payment(alice, project_50.department, voucher="记-10", project=project_50, amount=Decimal(-1))
    assert Payment.objects.count() == 3


def test_basic_expenditure_is_not_checked_against_a_budget(alice, department_a):
    assert a_payment(alice, department_a, amount=Decimal(10**6)).amount == Decimal(10**6)
