"""The nightly rate snapshot: service, command and Celery task."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from budgets.management.commands.recompute_rates import BAD_DATE
from budgets.models import DepartmentRateSnapshot, Project, ProjectRateSnapshot
from budgets.services import rates_snapshot_save
from budgets.tasks import RECOMPUTE_SOFT_TIME_LIMIT, RECOMPUTE_TIME_LIMIT, recompute_rates_task
from tests.factories import (
    AdjustmentFactory,
    DepartmentBudgetFactory,
    DepartmentFactory,
    PaymentFactory,
    ProjectFactory,
)

D = Decimal
AS_OF = date(2024, 7, 31)


def snapshot_rows() -> list[tuple]:
    """Every snapshot row with every column, computed_at and primary key included."""
    return [
        *ProjectRateSnapshot.objects.order_by("pk").values_list(),
        *DepartmentRateSnapshot.objects.order_by("pk").values_list(),
    ]


@pytest.fixture
def year_2024(unit_a, unit_b):
    p1 = ProjectFactory(code="P1", unit=unit_a, initial_budget=D(250))
    ProjectFactory(code="P2", unit=unit_a, initial_budget=D(0))
    ProjectFactory(code="Q1", unit=unit_b, initial_budget=D(80), year=2023)
    AdjustmentFactory(project=p1, date=date(2024, 3, 1), amount=D(10))
    PaymentFactory(project=p1, date=date(2024, 2, 1), amount=D(90))
    PaymentFactory(project=p1, date=date(2024, 8, 1), amount=D(1000))  # after the date
    PaymentFactory(project=None, department=unit_a.department, amount=D("1.5"), three_public=True)
    DepartmentBudgetFactory(
        department=unit_a.department, basic_expenditure=D(100), three_public_budget=D(2)
    )
    return p1


@pytest.mark.django_db
def test_it_snapshots_every_project_and_department_of_the_year(year_2024, department_a):
    result = rates_snapshot_save(as_of=AS_OF)
    assert (result.projects, result.departments) == (2, 1)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    p1 = ProjectRateSnapshot.objects.get(project__code="P1")
    assert (p1.as_of, p1.initial, p1.adjusted, p1.executed) == (AS_OF, D(250), D(260), D(90))
    assert p1.execution_rate == D("34.6153846154")
    assert p1.adjustment_rate == D(4)
    assert p1.carryover_rate == D("65.3846153846")
    assert p1.warning == "red"
    p2 = ProjectRateSnapshot.objects.get(project__code="P2")
    assert (p2.execution_rate, p2.adjustment_rate, p2.carryover_rate, p2.warning) == (
        None,
        None,
        None,
        "",
    )
    dept = DepartmentRateSnapshot.objects.get()
    assert (dept.department, dept.year, dept.as_of) == (department_a, 2024, AS_OF)
    assert (dept.initial, dept.adjusted, dept.executed) == (D(350), D(360), D("91.5"))
    assert dept.three_public_control_rate == D(75)
    assert dept.procurement_execution_rate is None
    assert dept.warning == "red"


@pytest.mark.django_db
def test_a_second_run_changes_nothing(year_2024):
    rates_snapshot_save(as_of=AS_OF)
    before = snapshot_rows()
    result = rates_snapshot_save(as_of=AS_OF)
    assert (result.created, result.updated, result.unchanged, result.deleted) == (0, 0, 3, 0)
    assert snapshot_rows() == before


@pytest.mark.django_db
def test_a_run_after_new_spending_updates_the_same_rows(year_2024):
    rates_snapshot_save(as_of=AS_OF)
    ids = set(ProjectRateSnapshot.objects.values_list("pk", flat=True))
    PaymentFactory(project=year_2024, date=date(2024, 7, 1), amount=D(40))
    result = rates_snapshot_save(as_of=AS_OF)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert set(ProjectRateSnapshot.objects.values_list("pk", flat=True)) == ids
    p1 = ProjectRateSnapshot.objects.get(project=year_2024)
    assert (p1.executed, p1.execution_rate, p1.warning) == (D(130), D(50), "green")


@pytest.mark.django_db
def test_another_day_is_another_snapshot_and_the_first_is_kept(year_2024):
    rates_snapshot_save(as_of=AS_OF)
    rates_snapshot_save(as_of=date(2024, 8, 31))
    executed = dict(
        ProjectRateSnapshot.objects.filter(project=year_2024).values_list("as_of", "executed")
    )
    assert executed == {AS_OF: D(90), date(2024, 8, 31): D(1090)}


@pytest.mark.django_db
def test_a_department_left_without_figures_loses_its_snapshot_of_that_day(year_2024, department_b):
    only_budget = DepartmentBudgetFactory(department=department_b, basic_expenditure=D(5))
    rates_snapshot_save(as_of=AS_OF)
    assert DepartmentRateSnapshot.objects.filter(department=department_b).exists()
    only_budget.delete()
    result = rates_snapshot_save(as_of=AS_OF)
    assert (result.departments, result.deleted) == (1, 1)
    assert not DepartmentRateSnapshot.objects.filter(department=department_b).exists()


@pytest.mark.django_db
def test_a_rate_too_large_for_the_column_is_stored_as_null(unit_a):
    project = ProjectFactory(unit=unit_a, initial_budget=D("0.000001"))
    PaymentFactory(project=project, date=date(2024, 2, 1), amount=D(200_000_000))
    rates_snapshot_save(as_of=AS_OF)
    snapshot = ProjectRateSnapshot.objects.get()
    assert snapshot.execution_rate is None
    assert snapshot.warning == "over"  # spent far more than the budget: 超支


@pytest.mark.django_db
def test_it_runs_as_many_queries_for_5_projects_as_for_50(db):
    counts = []
    for n in (5, 50):
        while Project.objects.count() < n:
            department = DepartmentFactory()
            project = ProjectFactory(unit__department=department)
            PaymentFactory(project=project)
            AdjustmentFactory(project=project)
        ProjectRateSnapshot.objects.all().delete()
        DepartmentRateSnapshot.objects.all().delete()
        rates_snapshot_save(as_of=date(2024, 1, 1))  # settles get-or-create rows
        with CaptureQueriesContext(connection) as first:
            rates_snapshot_save(as_of=AS_OF)
        with CaptureQueriesContext(connection) as again:
            rates_snapshot_save(as_of=AS_OF)
        counts.append((len(first.captured_queries), len(again.captured_queries)))
    assert counts[0] == counts[1]


# --- the command ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_prints_what_it_computed_and_how_long_it_took(year_2024):
    out = StringIO()
    call_command("recompute_rates", "--as-of", "2024-07-31", stdout=out)
    assert re.fullmatch(
        r"computed 2 projects and 1 departments as of 2024-07-31 in \d+\.\d\ds\n", out.getvalue()
    )
    assert ProjectRateSnapshot.objects.count() == 2


@pytest.mark.django_db
@time_machine.travel(datetime(2024, 7, 31, 18, 0, tzinfo=ZoneInfo("UTC")), tick=False)
def test_the_command_defaults_to_chinas_today(year_2024):
    out = StringIO()
    call_command("recompute_rates", stdout=out)
    # 18:00 UTC is already 1 August in Shanghai.
    assert "as of 2024-08-01" in out.getvalue()
    assert set(ProjectRateSnapshot.objects.values_list("as_of", flat=True)) == {date(2024, 8, 1)}


@pytest.mark.django_db
def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError) as caught:
        call_command("recompute_rates", "--as-of", "2024-13-01")
    assert str(caught.value) == BAD_DATE.format(value="2024-13-01")
    assert not ProjectRateSnapshot.objects.exists()


# --- the task -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_takes_a_json_date_and_calls_the_service(year_2024):
    outcome = recompute_rates_task.apply(kwargs={"as_of": "2024-07-31"}).get()
    assert outcome["as_of"] == "2024-07-31"
    assert (outcome["projects"], outcome["departments"], outcome["created"]) == (2, 1, 3)
    again = recompute_rates_task.apply(kwargs={"as_of": "2024-07-31"}).get()
    assert (again["created"], again["updated"]) == (0, 0)


@pytest.mark.django_db
@time_machine.travel(datetime(2024, 7, 31, 4, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_the_task_without_a_date_snapshots_today(year_2024):
    assert recompute_rates_task.apply().get()["as_of"] == "2024-07-31"


def test_the_task_is_late_acknowledged_time_limited_and_retries_only_database_errors():
    task = recompute_rates_task
    assert task.name == "budgets.tasks.recompute_rates_task"
    assert task.acks_late is True
    assert (task.soft_time_limit, task.time_limit) == (
        RECOMPUTE_SOFT_TIME_LIMIT,
        RECOMPUTE_TIME_LIMIT,
    )
    assert task.soft_time_limit < task.time_limit
    assert task.autoretry_for == (OperationalError,)
    assert task.max_retries == 3
