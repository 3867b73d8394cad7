"""Department-level figures: the eight computed figures of a department from budgets,
performance and tracking, in a fixed number of queries; the data of the official tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.models import Department
from budgets.rates import round_half_up
from performance.choices import (
    METRIC_ADJUSTMENT,
    METRIC_CARRYOVER,
    METRIC_EXECUTION,
    METRIC_MONITORING_COMPLETION,
    METRIC_PROCUREMENT,
    METRIC_SELF_EVALUATION_COMPLETION,
    METRIC_TARGET_COMPLETION,
    METRIC_THREE_PUBLIC,
)
from reporting.selectors import department_rates, departments_with_data, table_11_data
from tests.factories import (
    AdjustmentFactory,
    DepartmentBudgetFactory,
    DepartmentFactory,
    PaymentFactory,
    ProjectFactory,
    UnitFactory,
)
from tests.performance.conftest import complete_targets
from tracking.choices import ReportStatus, Stage
from tracking.models import Report, Round

from .conftest import department_goal, department_indicator

YEAR_END = date(2024, 12, 31)


@pytest.fixture
def department_data(project_a, department_a, unit_a):
    """Department 309 in 2024: budget 50 + 10 adjusted + 100 basic, 145 spent, two projects."""
    complete_targets(project_a)
    other = ProjectFactory(
        unit=unit_a,
        code="410700240000000012811",
        name="医保中心聘用人员经费",
        initial_budget=Decimal("0"),
    )
    DepartmentBudgetFactory(
        department=department_a,
        basic_expenditure=Decimal("100"),
        three_public_budget=Decimal("2"),
        procurement_budget=None,
    )
    AdjustmentFactory(project=project_a, amount=Decimal("10"))
    PaymentFactory(project=project_a, amount=Decimal("44"))
    PaymentFactory(project=None, department=department_a, amount=Decimal("100"))
    PaymentFactory(project=None, department=department_a, amount=Decimal("1"), three_public=True)
    rounds = [
        Round.objects.create(
            division=department_a.division,
            year=2024,
            stage=stage,
            as_of=as_of,
            deadline=date(2025, 2, 28),
        )
        for stage, as_of in (
            (Stage.MONITORING, date(2024, 3, 31)),
            (Stage.MONITORING, date(2024, 7, 31)),
            (Stage.SELF_EVALUATION, YEAR_END),
        )
    ]
    monitoring_old, monitoring, evaluation = rounds
    # Submitted in an older round only: does not count for monitoring completion.
    Report.objects.create(round=monitoring_old, project=other, status=ReportStatus.SUBMITTED)
    Report.objects.create(round=monitoring, project=project_a, status=ReportStatus.APPROVED)
    Report.objects.create(round=monitoring, project=other, status=ReportStatus.DRAFT)
    Report.objects.create(round=evaluation, project=project_a, status=ReportStatus.SUBMITTED)
    return department_a


def rounded(rates: dict) -> dict:
    return {metric: round_half_up(rate) for metric, rate in rates.items()}


def test_the_department_figures_come_from_budgets_performance_and_tracking(department_data):
    entry = department_rates(2024, YEAR_END, Department.objects.filter(pk=department_data.pk))[
        department_data.pk
    ]
    assert entry.projects == 2
    assert entry.figures.budget.adjusted == Decimal("160")
    assert rounded(entry.rates) == {
        METRIC_EXECUTION: Decimal("90.63"),
        METRIC_ADJUSTMENT: Decimal("6.67"),
        METRIC_CARRYOVER: Decimal("9.38"),
        METRIC_THREE_PUBLIC: Decimal("50.00"),
        METRIC_PROCUREMENT: None,
        METRIC_TARGET_COMPLETION: Decimal("50.00"),
        METRIC_MONITORING_COMPLETION: Decimal("50.00"),
        METRIC_SELF_EVALUATION_COMPLETION: Decimal("50.00"),
    }


def test_a_department_without_projects_or_budget_has_no_figure(department_a):
    entry = department_rates(2024, YEAR_END, Department.objects.filter(pk=department_a.pk))[
        department_a.pk
    ]
    assert entry.projects == 0 and entry.figures is None
    assert set(entry.rates.values()) == {None}


def test_department_figures_read_the_same_queries_for_one_department_and_for_many(
    department_data,
):
    def run() -> int:
        with CaptureQueriesContext(connection) as queries:
            department_rates(2024, YEAR_END, Department.objects.all())
        return len(queries)

    one = run()
    for _ in range(5):
        unit = UnitFactory()
        complete_targets(ProjectFactory(unit=unit))
        PaymentFactory(project=ProjectFactory(unit=unit))
    assert run() == one


def test_the_departments_with_data_are_those_with_projects_budgets_or_own_targets(db):
    with_project, with_budget, with_targets, with_goals, empty, other_year = (
        DepartmentFactory(code=code) for code in ("001", "002", "003", "004", "005", "006")
    )
    ProjectFactory(unit=UnitFactory(department=with_project))
    DepartmentBudgetFactory(department=with_budget)
    department_indicator(with_targets, "产出指标", "任务完成", "完成")
    department_goal(with_goals, "履职目标", 1, "目标")
    ProjectFactory(unit=UnitFactory(department=other_year), year=2023)
    found = departments_with_data(2024, Department.objects.all())
    assert found == [with_project, with_budget, with_targets, with_goals]
    assert empty not in found


def test_the_11_table_data_of_a_department_holds_only_its_own_statements(
    department_a, department_b, stated_targets
):
    department_goal(department_b, "履职目标", 1, "西峡的目标")
    a, b = table_11_data(2024, [department_a, department_b])
    assert a.department == department_a and len(a.indicators) == len(stated_targets)
    assert a.goals == []
    assert b.indicators == [] and [g.name for g in b.goals] == ["西峡的目标"]
