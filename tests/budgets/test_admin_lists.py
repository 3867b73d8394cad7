"""The budgets admin lists: amounts as the pages print them, warnings by their Chinese label,
and a project list narrow enough to read (long names cut, the whole name as the tooltip)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from budgets.choices import NO_BUDGET_LABEL, Warning
from budgets.models import DepartmentRateSnapshot, ProjectRateSnapshot
from budgets.templatetags.money import money_text
from tests.factories import (
    AdjustmentFactory,
    DepartmentBudgetFactory,
    PaymentFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

LONG_NAME = "医疗保障政策宣传与参保群众满意度调查项目及信息化系统运行维护"


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_project_list_cuts_long_names_and_shows_the_full_year_initial_budget(
    client_of, adam, unit_a
):
    ProjectFactory(
        unit=unit_a,
        name=LONG_NAME,
        initial_budget=Decimal("1234567.5"),
        carryover=Decimal("12.34"),
    )
    html = html_of(client_of(adam).get("/admin/budgets/project/"))
    assert f'title="{LONG_NAME}"' in html
    assert f">{LONG_NAME}<" not in html  # cut in the cell itself
    assert "年初预算数（万元）" in html
    assert money_text(Decimal("1234579.84")) in html  # 年初预算 + 上年结转
    assert f"年初预算（万元） {money_text(Decimal('1234567.5'))}" in html  # the tooltip
    assert "1234567.500000" not in html


def test_amount_columns_have_thousands_separators_and_two_decimals(client_of, adam, unit_a):
    project = ProjectFactory(unit=unit_a, initial_budget=Decimal("50000"))
    AdjustmentFactory(project=project, amount=Decimal("-1234.5"))
    PaymentFactory(project=project, amount=Decimal("23456.7"))
    DepartmentBudgetFactory(
        department=unit_a.department,
        basic_expenditure=Decimal("98765.4"),
        three_public_budget=Decimal("12"),
        procurement_budget=Decimal("3000"),
    )
    client = client_of(adam)
    for url, stored, shown in (
        ("/admin/budgets/adjustment/", "-1234.500000", "-1,234.50"),
        ("/admin/budgets/payment/", "23456.700000", "23,456.70"),
        ("/admin/budgets/departmentbudget/", "98765.400000", "98,765.40"),
    ):
        html = html_of(client.get(url))
        assert shown == money_text(Decimal(stored))
        assert f">{shown}<" in html, url
        assert stored not in html and stored.rstrip("0") not in html, url


@pytest.mark.parametrize("warning", Warning.values)
def test_snapshot_lists_show_warnings_by_their_chinese_label(client_of, adam, unit_a, warning):
    project = ProjectFactory(unit=unit_a)
    figures = {"initial": Decimal(100), "adjusted": Decimal(100), "executed": Decimal("12.5")}
    ProjectRateSnapshot.objects.create(
        project=project, as_of=date(2024, 6, 30), warning=warning, **figures
    )
    DepartmentRateSnapshot.objects.create(
        department=unit_a.department,
        year=2024,
        as_of=date(2024, 6, 30),
        warning=warning,
        **figures,
    )
    client = client_of(adam)
    for url in ("/admin/budgets/projectratesnapshot/", "/admin/budgets/departmentratesnapshot/"):
        html = html_of(client.get(url))
        assert f">{Warning(warning).label}<" in html, url
        assert f">{warning}<" not in html, url
        assert ">12.50<" in html, url


def test_a_snapshot_without_budget_says_so(client_of, adam, unit_a):
    zero = Decimal(0)
    ProjectRateSnapshot.objects.create(
        project=ProjectFactory(unit=unit_a),
        as_of=date(2024, 6, 30),
        initial=zero,
        adjusted=zero,
        executed=zero,
    )
    html = html_of(client_of(adam).get("/admin/budgets/projectratesnapshot/"))
    assert f">{NO_BUDGET_LABEL}<" in html
