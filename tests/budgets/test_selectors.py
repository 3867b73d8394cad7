"""Reads of the budgets app: figures as of a date in a fixed number of queries; departments
and 区划 named in commands and filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import F, Sum

from budgets.access import restrict
from budgets.models import Department, Division, Project, WarningSettings
from budgets.rates import BudgetFigures
from budgets.selectors import (
    DEPARTMENT_IN_SEVERAL_DIVISIONS,
    UNKNOWN_DIVISION,
    UNKNOWN_DIVISION_ANYWHERE,
    DepartmentBudgetTotals,
    default_as_of,
    department_budget_totals,
    department_by_ref,
    department_figures,
    division_by_code,
    procurement_budgets_by_project,
    project_figures,
    warning_thresholds,
    with_figures,
    year_figures,
)
from tests.bureaus import HONGQI, XIXIA, two_bureaus
from tests.factories import (
    AdjustmentFactory,
    DepartmentBudgetFactory,
    PaymentFactory,
    ProjectFactory,
)

D = Decimal
AS_OF = date(2024, 7, 31)


def figures(initial, adjusted, executed) -> BudgetFigures:
    return BudgetFigures(D(initial), D(adjusted), D(executed))


@pytest.fixture
def spending(unit_a, unit_b):
    """P1 with adjustments and payments around the as-of date, P2 untouched, Q1 of dept B."""
    p1 = ProjectFactory(code="P1", unit=unit_a, initial_budget=D("200.5"), carryover=D("49.5"))
    p2 = ProjectFactory(code="P2", unit=unit_a, initial_budget=D(0))
    q1 = ProjectFactory(code="Q1", unit=unit_b, initial_budget=D(80))
    AdjustmentFactory(project=p1, date=date(2024, 3, 1), amount=D("30"))
    AdjustmentFactory(project=p1, date=AS_OF, amount=D("-20.000001"))
    AdjustmentFactory(project=p1, date=date(2024, 8, 1), amount=D(100))  # after the date
    PaymentFactory(project=p1, date=date(2024, 2, 1), amount=D("100.01"))
    PaymentFactory(project=p1, date=date(2024, 5, 1), amount=D("-10"))  # a refund
    PaymentFactory(project=p1, date=date(2024, 8, 15), amount=D(50))  # after the date
    PaymentFactory(project=q1, date=date(2024, 4, 1), amount=D(8))
    # Basic expenditure of department A: no project.
    PaymentFactory(
        project=None,
        department=unit_a.department,
        date=date(2024, 4, 1),
        amount=D("1.5"),
        three_public=True,
    )
    PaymentFactory(
        project=None,
        department=unit_a.department,
        date=AS_OF,
        amount=D(40),
        procurement=True,
    )
    PaymentFactory(
        project=None,
        department=unit_a.department,
        date=date(2024, 9, 1),
        amount=D(7),
        three_public=True,
        procurement=True,
    )
    DepartmentBudgetFactory(
        department=unit_a.department,
        basic_expenditure=D(100),
        three_public_budget=D(2),
        procurement_budget=D(50),
    )
    return p1, p2, q1


# --- projects -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_project_figures_count_adjustments_and_payments_up_to_the_date(
    spending, django_assert_num_queries
):
    p1, p2, q1 = spending
    with django_assert_num_queries(3):
        result = project_figures(Project.objects.all(), AS_OF)
    assert result == {
        p1.pk: figures("250", "259.999999", "90.01"),
        p2.pk: figures(0, 0, 0),
        q1.pk: figures(80, 80, 8),
    }


@pytest.mark.django_db
def test_project_figures_at_year_end_include_everything(spending):
    p1, _, _ = spending
    assert project_figures(Project.objects.filter(pk=p1.pk), date(2024, 12, 31)) == {
        p1.pk: figures("250", "359.999999", "140.01")
    }


@pytest.mark.django_db
def test_project_figures_run_three_queries_for_5_projects_and_for_50(
    unit_a, django_assert_num_queries
):
    for n in (5, 50):
        while Project.objects.count() < n:
            project = ProjectFactory(unit=unit_a)
            PaymentFactory(project=project)
            AdjustmentFactory(project=project)
        with django_assert_num_queries(3):
            result = project_figures(Project.objects.all(), AS_OF)
        assert len(result) == n
        assert set(result.values()) == {figures(100, 110, 1)}


@pytest.mark.django_db
def test_with_figures_annotates_exact_totals_and_sorts_by_execution(spending):
    rows = with_figures(Project.objects.all(), AS_OF).order_by(
        F("execution_sort").desc(nulls_last=True)
    )
    assert [(p.code, p.adjusted_total, p.executed_total) for p in rows] == [
        ("P1", D("259.999999"), D("90.01")),  # 34.6 %
        ("Q1", D(80), D(8)),  # 10 %
        ("P2", D(0), D(0)),  # no budget: no ratio
    ]


@pytest.mark.django_db
def test_with_figures_totals_add_up_as_money(spending):
    totals = with_figures(Project.objects.all(), AS_OF).aggregate(
        adjusted=Sum("adjusted_total"), executed=Sum("executed_total")
    )
    assert totals == {"adjusted": D("339.999999"), "executed": D("98.01")}


@pytest.mark.django_db
def test_with_figures_runs_one_query_after_looking_for_rows_dated_later(
    spending, django_assert_num_queries
):
    with django_assert_num_queries(2):
        list(with_figures(Project.objects.all(), AS_OF))


# --- departments ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_departments_figures_add_its_projects_basic_expenditure_and_all_its_payments(
    spending, department_a, department_b, django_assert_num_queries
):
    with django_assert_num_queries(6):
        result = department_figures(2024, AS_OF)
    a = result[department_a.pk]
    # initial 250 + 0 + basic 100; adjusted adds 9.999999; executed 90.01 + 1.5 + 40.
    assert a.budget == figures("350", "359.999999", "131.51")
    assert (a.three_public_spent, a.three_public_budget) == (D("1.5"), D(2))
    assert (a.procurement_spent, a.procurement_budget) == (D(40), D(50))
    assert a.three_public_control_rate == D(75)
    assert a.procurement_execution_rate == D(80)
    b = result[department_b.pk]
    assert b.budget == figures(80, 80, 8)
    assert (b.three_public_budget, b.three_public_control_rate) == (None, None)


@pytest.mark.django_db
def test_department_figures_can_be_limited_to_some_departments(spending, department_a):
    result = department_figures(2024, AS_OF, Department.objects.filter(pk=department_a.pk))
    assert list(result) == [department_a.pk]


@pytest.mark.django_db
def test_a_department_with_only_a_budget_row_has_figures(db):
    budget = DepartmentBudgetFactory(basic_expenditure=D(10), three_public_budget=D(0))
    result = department_figures(2024, AS_OF)
    figures_ = result[budget.department_id]
    assert figures_.budget == figures(10, 10, 0)
    assert figures_.three_public_control_rate is None


@pytest.mark.django_db
def test_another_years_money_is_not_counted(unit_a):
    ProjectFactory(unit=unit_a, year=2023, initial_budget=D(5))
    PaymentFactory(project=None, department=unit_a.department, date=date(2023, 5, 1), amount=D(1))
    assert department_figures(2024, AS_OF) == {}


# --- dates and thresholds -------------------------------------------------------------------


def test_the_default_date_is_year_end_for_a_past_year_and_today_otherwise():
    today = date(2024, 7, 31)
    assert default_as_of(2023, today) == date(2023, 12, 31)
    assert default_as_of(2024, today) == today
    assert default_as_of(2025, today) == today


@time_machine.travel(datetime(2024, 12, 31, 17, 0, tzinfo=ZoneInfo("UTC")), tick=False)
def test_today_is_chinas_today_whatever_the_servers_clock():
    # 17:00 UTC on 31 December is already 1 January in Shanghai.
    assert default_as_of(2024) == date(2024, 12, 31)
    assert default_as_of(2025) == date(2025, 1, 1)


@pytest.mark.django_db
def test_warning_thresholds_default_to_80_and_60_percent_and_follow_the_settings():
    assert warning_thresholds().green_fraction == D("0.8")
    assert warning_thresholds().yellow_fraction == D("0.6")
    # Pages read the thresholds on a GET, which must not write: no row is created.
    assert not WarningSettings.objects.exists()
    WarningSettings.objects.create(pk=1, green_fraction=D("0.9"), yellow_fraction=D("0.5"))
    assert (warning_thresholds().green_fraction, warning_thresholds().yellow_fraction) == (
        D("0.9"),
        D("0.5"),
    )


# --- naming a department or a 区划 in commands and filters -----------------------------------


@pytest.mark.django_db
def test_a_department_is_found_by_division_and_code():
    bureaus = two_bureaus()
    assert department_by_ref(f"{XIXIA}/060") == bureaus.xixia.department
    assert department_by_ref(f" {XIXIA} / 060 ") == bureaus.xixia.department


@pytest.mark.django_db
def test_a_bare_code_is_ambiguous_only_among_the_departments_given():
    bureaus = two_bureaus()
    with pytest.raises(ValidationError) as caught:
        department_by_ref("060")
    assert caught.value.messages == [
        DEPARTMENT_IN_SEVERAL_DIVISIONS.format(
            code="060", refs=f"{HONGQI}/060、{XIXIA}/060", example=f"{HONGQI}/060"
        )
    ]
    # 西峡县's reviewer sees one 060 only: the bare code is enough.
    covered = restrict(Department.objects.all(), bureaus.xixia.reviewer, department_field="pk")
    assert department_by_ref("060", covered) == bureaus.xixia.department
    with pytest.raises(ValidationError) as caught:
        department_by_ref(f"{HONGQI}/060", covered)
    assert caught.value.messages == [f"部门编码“{HONGQI}/060”不存在"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4107/060", "区划编码“4107”无效，应为6位数字（GB/T 2260，如410702）"),
        ("999", "部门编码“999”不存在"),
    ],
)
@pytest.mark.django_db
def test_a_bad_or_unknown_department_reference_is_refused(text, message):
    with pytest.raises(ValidationError) as caught:
        department_by_ref(text)
    assert caught.value.messages == [message]


@pytest.mark.django_db
def test_a_division_is_set_up_from_gbt_2260_only_when_asked_and_known():
    with pytest.raises(ValidationError) as caught:
        division_by_code("411323")
    assert caught.value.messages == [UNKNOWN_DIVISION.format(code="411323")]
    assert not Division.objects.exists()
    xixia = division_by_code("411323", create=True)
    assert (xixia.name, xixia.parent.name) == ("西峡县", "南阳市")
    assert division_by_code("411323") == xixia
    with pytest.raises(ValidationError) as caught:
        division_by_code("419999", create=True)
    assert caught.value.messages == [UNKNOWN_DIVISION_ANYWHERE.format(code="419999")]


# --- 政策性调整 -------------------------------------------------------------------------------


@pytest.fixture
def policy(spending):
    """P1 of `spending` with a 政策性调整 of +50 before the date and one of −5 after it."""
    p1, _, _ = spending
    AdjustmentFactory(project=p1, date=date(2024, 6, 1), amount=D(50), kind="政策性调整")
    AdjustmentFactory(project=p1, date=date(2024, 9, 1), amount=D(-5), kind="政策性调整")
    return p1


@pytest.mark.django_db
def test_a_projects_policy_adjustments_count_in_its_budget_but_not_in_its_adjustment_rate(
    policy, django_assert_num_queries
):
    with django_assert_num_queries(3):
        result = project_figures(Project.objects.filter(pk=policy.pk), AS_OF)
    figures = result[policy.pk]
    # 250 + 30 − 20.000001 + 50 = 309.999999, of which 50 is policy.
    assert figures == BudgetFigures(D(250), D("309.999999"), D("90.01"), D(50))
    # (309.999999 − 250 − 50) / 250 × 100 = 3.9999996 %
    assert figures.adjustment_rate == D("3.9999996")
    year_end = project_figures(Project.objects.filter(pk=policy.pk), date(2024, 12, 31))
    assert year_end[policy.pk].policy == D(45)


@pytest.mark.django_db
def test_a_departments_policy_adjustments_add_up_in_the_same_six_queries(
    policy, department_a, django_assert_num_queries
):
    with django_assert_num_queries(6):
        result = department_figures(2024, AS_OF)
    budget = result[department_a.pk].budget
    # 350 initial (with basic 100); adjusted 350 + 9.999999 + 50.
    assert budget == BudgetFigures(D(350), D("409.999999"), D("131.51"), D(50))
    assert budget.adjustment_rate == D("2.857142571428571428571428571428571428571")


# --- 部门预算总额 -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_stated_total_is_given_beside_the_basic_expenditure_and_the_projects(
    spending, department_a, department_b, django_assert_num_queries
):
    budget = department_a.budgets.get()
    budget.stated_total = D("350.005")
    budget.save()
    with django_assert_num_queries(2):
        totals = department_budget_totals(Department.objects.all(), 2024)
    # A: basic 100 + P1 200.5 + 49.5 + P2 0 = 350 (adjustments are not counted).
    a = totals[department_a.pk]
    assert a == DepartmentBudgetTotals(department_a.pk, D("350.005"), D(100), D(250))
    assert (a.computed, a.differs) == (D(350), False)  # within 0.005
    # B: no 部门预算 row: nothing stated, nothing to compare.
    b = totals[department_b.pk]
    assert (b.stated, b.computed, b.differs) == (None, D(80), False)


@pytest.mark.django_db
def test_a_stated_total_more_than_half_a_fen_off_differs(spending, department_a):
    department_a.budgets.update(stated_total=D("349.994999"))
    totals = department_budget_totals([department_a.pk], 2024)
    assert totals[department_a.pk].differs is True


@pytest.mark.django_db
def test_the_totals_take_a_list_of_ids_and_leave_other_years_and_departments_out(
    spending, department_a, unit_a
):
    ProjectFactory(unit=unit_a, year=2023, initial_budget=D(999))
    totals = department_budget_totals([department_a.pk], 2024)
    assert list(totals) == [department_a.pk]
    assert totals[department_a.pk].computed == D(350)


@pytest.mark.django_db
def test_the_totals_run_two_queries_for_5_departments_and_for_50(db, django_assert_num_queries):
    from tests.factories import DepartmentFactory

    for n in (5, 50):
        while Department.objects.count() < n:
            department = DepartmentFactory()
            ProjectFactory(unit__department=department)
            DepartmentBudgetFactory(department=department, basic_expenditure=D(1))
        with django_assert_num_queries(2):
            totals = department_budget_totals(Department.objects.all(), 2024)
        assert {t.computed for t in totals.values()} == {D(101)}


# --- 政府采购预算 of each project's department -----------------------------------------------


@pytest.mark.django_db
def test_each_project_gets_its_departments_procurement_budget_in_one_query(
    spending, django_assert_num_queries
):
    p1, p2, q1 = spending
    with django_assert_num_queries(1):
        budgets = procurement_budgets_by_project(Project.objects.all())
    # Department B has no 部门预算 row: 0.
    assert budgets == {p1.pk: D(50), p2.pk: D(50), q1.pk: D(0)}


# --- year_figures: the nightly snapshot's one pass ---------------------------------------------


@pytest.fixture
def mixed_year(unit_a, unit_b):
    """Two departments with projects, adjustments (政策性 among them), project and basic
    payments marked 三公经费 / 政府采购, refunds, spending after the date and another year."""
    from budgets.choices import AdjustmentKind

    p1 = ProjectFactory(code="P1", unit=unit_a, initial_budget=D(250), carryover=D("3.5"))
    p2 = ProjectFactory(code="P2", unit=unit_a, initial_budget=D(0))
    q1 = ProjectFactory(code="Q1", unit=unit_b, initial_budget=D("80.123456"))
    ProjectFactory(code="R1", unit=unit_b, initial_budget=D(70), year=2023)
    AdjustmentFactory(project=p1, date=date(2024, 3, 1), amount=D(10))
    AdjustmentFactory(project=p1, date=date(2024, 4, 1), amount=D(-2), kind=AdjustmentKind.POLICY)
    AdjustmentFactory(project=q1, date=date(2024, 9, 1), amount=D(5))  # after the date
    PaymentFactory(project=p1, date=date(2024, 2, 1), amount=D(90), three_public=True)
    PaymentFactory(project=p1, date=date(2024, 2, 2), amount=D("-0.5"))
    PaymentFactory(project=p2, date=date(2024, 5, 1), amount=D(4), procurement=True)
    PaymentFactory(project=q1, date=date(2024, 8, 1), amount=D(1000))  # after the date
    PaymentFactory(project=q1, date=date(2024, 7, 1), amount=D("12.000001"))
    for department, amount in ((unit_a.department, D("1.5")), (unit_b.department, D(7))):
        PaymentFactory(
            project=None, department=department, amount=amount, three_public=True, procurement=True
        )
    PaymentFactory(project=None, department=unit_b.department, amount=D(9), date=date(2023, 5, 1))
    DepartmentBudgetFactory(
        department=unit_a.department, basic_expenditure=D(100), three_public_budget=D(2)
    )
    DepartmentBudgetFactory(department=unit_b.department, procurement_budget=D(30))


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", [date(2024, 1, 1), date(2024, 7, 31), date(2024, 12, 31)])
def test_year_figures_equal_the_project_and_department_figures(mixed_year, as_of):
    figures = year_figures(2024, as_of)
    assert figures.projects == project_figures(Project.objects.filter(year=2024), as_of)
    assert figures.departments == department_figures(2024, as_of)
    assert len(figures.projects) == 3 and len(figures.departments) == 2
    one = Department.objects.filter(pk=Project.objects.get(code="Q1").department_id)
    scoped = year_figures(2024, as_of, one)
    mine = Project.objects.filter(year=2024, department__in=one)
    assert scoped.projects == project_figures(mine, as_of)
    assert scoped.departments == department_figures(2024, as_of, one)
    assert len(scoped.departments) == 1


@pytest.mark.django_db
def test_year_figures_run_five_queries_whatever_the_size(mixed_year, django_assert_num_queries):
    with django_assert_num_queries(5):
        year_figures(2024, date(2024, 7, 31))
