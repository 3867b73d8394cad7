"""The budgets part of the demo: generated spending, departments by 区划, the demo users."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgets.access import may_access_department
from budgets.demo import DEMO_PASSWORD, DemoReport, _spending_workbook, load_budget_demo
from budgets.models import Department, User
from tests.factories import ProjectFactory

from .workbooks import FORMULA_PROJECT_NAME, assert_cells_are_text, database_state


@pytest.mark.django_db
def test_the_generated_spending_keeps_a_formula_like_project_name_as_text(unit_a):
    ProjectFactory(unit=unit_a, name=FORMULA_PROJECT_NAME)
    content = _spending_workbook(2024)
    assert_cells_are_text(content, [f"{FORMULA_PROJECT_NAME} 第1笔支付"])


SAMPLES = Path(__file__).resolve().parents[2] / "demo"


def load() -> DemoReport:
    report = DemoReport()
    load_budget_demo(SAMPLES, report)
    return report


@pytest.mark.django_db
def test_the_demo_puts_each_bureaus_departments_in_its_division():
    load()
    assert sorted(Department.objects.values_list("division__code", "division__name", "code")) == [
        ("410700", "新乡市", "309"),
        ("411323", "西峡县", "044"),
    ]


@pytest.mark.django_db
def test_the_demo_has_a_reviewer_per_bureau_and_one_for_the_province():
    report = load()
    users = {u.username: u for u in User.objects.select_related("division")}
    scopes = {
        name: (users[name].role, users[name].division.code, users[name].with_subordinates)
        for name in ("reviewer", "reviewer410700", "reviewer411323")
    }
    assert scopes == {
        "reviewer": ("reviewer", "410000", True),
        "reviewer410700": ("reviewer", "410700", False),
        "reviewer411323": ("reviewer", "411323", False),
    }
    xixia = Department.objects.get(code="044")
    assert may_access_department(users["reviewer"], xixia)
    assert may_access_department(users["reviewer411323"], xixia)
    assert not may_access_department(users["reviewer410700"], xixia)
    assert ("reviewer411323", DEMO_PASSWORD, "财政局审核人（区划 411323 西峡县）") in report.users
    assert ("reviewer", DEMO_PASSWORD, "财政局审核人（区划 410000 河南省，含下级）") in report.users
    for username, password, _ in report.users:
        assert users[username].check_password(password)


@pytest.mark.django_db
def test_loading_the_demo_again_upgrades_an_older_reviewer_and_changes_nothing_else():
    load()
    reviewer = User.objects.get(username="reviewer")
    reviewer.division, reviewer.with_subordinates = None, False  # as an earlier demo made it
    reviewer.save()
    load()
    reviewer.refresh_from_db()
    assert (reviewer.division.code, reviewer.with_subordinates) == ("410000", True)
    before = database_state()
    load()
    assert database_state() == before
