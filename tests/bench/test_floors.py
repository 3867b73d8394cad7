"""The benchmark's floors compute the same figures as the system: a floor that answered
something else would make every ratio meaningless."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from bench import floors
from bench.province import Province, cost_target
from budgets.fields import from_fen
from budgets.models import Project
from budgets.selectors import year_figures
from performance.values import parse_target
from tests.factories import AdjustmentFactory, PaymentFactory, ProjectFactory

D = Decimal
AS_OF = date(2024, 6, 30)


@pytest.fixture
def year(unit_a, unit_b):
    p1 = ProjectFactory(unit=unit_a, initial_budget=D(100), carryover=D("2.5"))
    p2 = ProjectFactory(unit=unit_b, initial_budget=D("80.000001"))
    ProjectFactory(unit=unit_b, initial_budget=D(0))
    AdjustmentFactory(project=p1, date=date(2024, 3, 1), amount=D(-10))
    AdjustmentFactory(project=p2, date=date(2024, 9, 1), amount=D(5))  # after the date
    PaymentFactory(project=p1, date=date(2024, 2, 1), amount=D("40.5"))
    PaymentFactory(project=p2, date=date(2024, 5, 1), amount=D(90))  # 超支
    PaymentFactory(project=p2, date=date(2024, 8, 1), amount=D(1))  # after the date
    PaymentFactory(project=None, department=unit_a.department, amount=D(7))  # basic


def rows(sql_params: tuple[str, list]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(*sql_params)
        return cursor.fetchall()


@pytest.mark.django_db
def test_the_recompute_floor_sums_what_the_snapshot_computes(year):
    figures = year_figures(2024, AS_OF).projects
    floor = {pk: (from_fen(a), from_fen(e)) for pk, a, e in rows(floors.recompute(2024, AS_OF))}
    assert floor == {pk: (f.adjusted, f.executed) for pk, f in figures.items()}


@pytest.mark.django_db
def test_the_home_floor_sums_each_departments_projects(year):
    figures = year_figures(2024, AS_OF).projects
    by_department: dict[int, list[Decimal]] = {}
    for project in Project.objects.filter(year=2024):
        sums = by_department.setdefault(project.department.code, [D(0), D(0), 0])
        sums[0] += figures[project.pk].adjusted
        sums[1] += figures[project.pk].executed
        sums[2] += 1
    found = rows(floors.bureau_home(2024, AS_OF, 0, D(50)))
    assert {r[1]: [from_fen(r[10]), from_fen(r[11]), r[3]] for r in found} == by_department
    over = {r[1]: r[12] for r in found}
    assert sorted(over.values()) == [0, 1]  # p2 spent more than its budget


@pytest.mark.django_db
def test_the_list_floor_pages_the_projects_with_totals_over_all(year):
    found = rows(floors.project_page(2024, AS_OF, limit=2))
    assert len(found) == 2
    total = found[0][-4]
    assert total == 3  # COUNT(*) OVER () counts every project, not the page


def test_the_generated_province_repeats_department_codes_across_divisions():
    province = Province(2000)
    keys = province.department_keys()
    assert (province.departments, province.divisions) == (20, 4)
    assert len(set(keys)) == 20
    assert len({code for _, code in keys}) == 5  # 001…005 in each of the four 区划
    # The cost indicator's target parses as the grammar says.
    target = parse_target(cost_target(D("1234.5")), 2024)
    assert (target.comparator, str(target.value), target.unit) == ("<=", "1234.50", "万元")
