"""The admin's adjustment and payment forms keep the pages' money rules: no adjustment leaves
全年预算数 negative, and a payment above 全年预算数 needs “确认超预算支出”."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgets.models import Adjustment, Payment
from budgets.services import BUDGET_WOULD_BE_NEGATIVE, OVER_BUDGET
from tests.factories import AdjustmentFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ADJUSTMENTS = "/admin/budgets/adjustment/"
PAYMENTS = "/admin/budgets/payment/"


@pytest.fixture
def project(unit_a):
    """年初预算数 100 (80 + 20 结转), with a stored 追减 of 30: 全年预算数 70."""
    project = ProjectFactory(
        unit=unit_a, initial_budget=Decimal("80"), carryover=Decimal("20"), code="P100"
    )
    AdjustmentFactory(project=project, document_number="财预〔2024〕1号", amount=Decimal("-30"))
    return project


def adjustment_data(project, **changes) -> dict:
    data = {
        "year": project.year,
        "document_number": "财预〔2024〕9号",
        "project": project.pk,
        "date": "2024-06-10",
        "amount": "-80",
        "kind": "一般调整",
        "note": "",
    }
    data.update(changes)
    return data


def payment_data(project, **changes) -> dict:
    data = {
        "department": project.department_id,
        "year": project.year,
        "voucher": "记-0099",
        "date": "2024-06-10",
        "amount": "75",
        "project": project.pk,
        "summary": "",
    }
    data.update(changes)
    return data


def test_the_admin_refuses_an_adjustment_that_makes_the_budget_negative(client_of, adam, project):
    before = list(Adjustment.objects.values_list("pk", "amount"))
    response = client_of(adam).post(f"{ADJUSTMENTS}add/", adjustment_data(project))
    assert response.status_code == 200
    message = BUDGET_WOULD_BE_NEGATIVE.format(
        adjusted="-10.00", initial="100.00", existing="-30.00", amount="-80.00"
    )
    assert message in response.content.decode()
    assert list(Adjustment.objects.values_list("pk", "amount")) == before


def test_an_edited_adjustment_replaces_its_stored_amount_in_the_check(client_of, adam, project):
    stored = Adjustment.objects.get()
    client = client_of(adam)
    url = f"{ADJUSTMENTS}{stored.pk}/change/"
    data = adjustment_data(project, document_number=stored.document_number, amount="-120")
    response = client.post(url, data)
    assert response.status_code == 200
    message = BUDGET_WOULD_BE_NEGATIVE.format(
        adjusted="-20.00", initial="100.00", existing="0.00", amount="-120.00"
    )
    assert message in response.content.decode()
    assert Adjustment.objects.get().amount == Decimal("-30")
    # -100 leaves exactly 0: allowed, and it replaces the -30 (not -130 in all).
    assert client.post(url, {**data, "amount": "-100"}).status_code == 302
    assert Adjustment.objects.get().amount == Decimal("-100")


def test_an_adjustment_within_the_budget_is_saved(client_of, adam, project):
    response = client_of(adam).post(f"{ADJUSTMENTS}add/", adjustment_data(project, amount="-70"))
    assert response.status_code == 302
    assert Adjustment.objects.filter(document_number="财预〔2024〕9号").exists()


def test_the_payment_form_offers_the_confirmation_box(client_of, adam):
    html = client_of(adam).get(f"{PAYMENTS}add/").content.decode()
    assert 'name="confirm_over_budget"' in html and "确认超预算支出" in html


def test_a_payment_above_the_budget_needs_confirmation_in_the_admin(client_of, adam, project):
    PaymentFactory(project=project, amount=Decimal("10"))
    client = client_of(adam)
    response = client.post(f"{PAYMENTS}add/", payment_data(project))
    assert response.status_code == 200
    message = OVER_BUDGET.format(
        executed="85.00", adjusted="70.00", remaining="60.00", amount="75.00"
    )
    assert message in response.content.decode()
    assert not Payment.objects.filter(voucher="记-0099").exists()
    response = client.post(f"{PAYMENTS}add/", payment_data(project, confirm_over_budget="on"))
    assert response.status_code == 302
    assert Payment.objects.get(voucher="记-0099").amount == Decimal("75")


def test_an_edited_payment_replaces_its_stored_amount_in_the_check(client_of, adam, project):
    payment = PaymentFactory(project=project, voucher="记-0099", amount=Decimal("60"))
    url = f"{PAYMENTS}{payment.pk}/change/"
    client = client_of(adam)
    # 60 → 70 stays within 全年预算数 70; 60 → 71 does not.
    assert client.post(url, payment_data(project, amount="70")).status_code == 302
    response = client.post(url, payment_data(project, amount="71"))
    assert response.status_code == 200 and "确认超预算支出" in response.content.decode()
    assert Payment.objects.get().amount == Decimal("70")


def test_basic_expenditure_is_not_checked_against_a_project(client_of, adam, project):
    basic = {**payment_data(project, amount="5000"), "project": ""}
    response = client_of(adam).post(f"{PAYMENTS}add/", basic)
    assert response.status_code == 302
    assert Payment.objects.get().project is None


def test_the_admin_refuses_to_delete_an_adjustment_that_the_budget_needs(client_of, adam, project):
    """年初预算数 100, the stored 追减 of 30, a 追加 of 50 and a 追减 of 80: 全年预算数 40;
    deleting the 追加 would leave −10."""
    addition = AdjustmentFactory(project=project, document_number="追加", amount=Decimal("50"))
    AdjustmentFactory(project=project, document_number="追减", amount=Decimal("-80"))
    before = sorted(Adjustment.objects.values_list("pk", "amount"))
    client = client_of(adam)
    response = client.post(f"{ADJUSTMENTS}{addition.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "删除后全年预算数为-10.00万元，不能为负数" in response.content.decode()
    assert sorted(Adjustment.objects.values_list("pk", "amount")) == before

    # One that leaves 全年预算数 at or above zero goes, with who deleted it in its history.
    other = AdjustmentFactory(project=project, document_number="小额", amount=Decimal("-1"))
    response = client.post(f"{ADJUSTMENTS}{other.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Adjustment.objects.filter(pk=other.pk).exists()
    assert Adjustment.history.filter(id=other.pk, history_type="-").get().history_user == adam


def test_the_admin_offers_no_bulk_delete_of_adjustments(client_of, adam, project):
    html = client_of(adam).get(ADJUSTMENTS).content.decode()
    assert "delete_selected" not in html
