"""The department target review as the pages read it (performance.selectors.department_reviews):
the department's own projects and its stated 部门预算总额 from the database."""

from __future__ import annotations

from decimal import Decimal

from budgets.models import Department
from performance.department_review import (
    BUDGET_TOTAL_MISMATCH,
    REVIEW_BUDGET_TOTAL_MISMATCH,
    REVIEW_NO_TARGETS,
    REVIEW_TASK_NO_PROJECT,
    TASK_WITHOUT_PROJECT,
)
from performance.selectors import department_reviews
from tests.factories import DepartmentBudgetFactory, ProjectFactory

from .conftest import complete_department_targets, make_department_indicator, make_task


def reviews(*departments):
    ids = [d.pk for d in departments]
    return department_reviews(2024, Department.objects.filter(pk__in=ids))


def test_a_task_naming_another_departments_project_is_warned_about(
    department_a, department_b, project_a, project_b
):
    complete_department_targets(department_a)
    make_task(department_a, 1, "医保信息化", project_a.code)
    make_task(department_a, 2, "IC卡制作", project_b.code)
    result = reviews(department_a)[department_a.pk]
    assert result.passed
    assert [(p.code, p.message) for p in result.problems] == [
        (
            TASK_WITHOUT_PROJECT,
            REVIEW_TASK_NO_PROJECT.format(order=2, name="IC卡制作", codes=project_b.code),
        )
    ]


def test_a_project_of_another_year_does_not_count_for_a_task(department_a, unit_a, project_a):
    complete_department_targets(department_a)
    old = ProjectFactory(unit=unit_a, year=2023, code="410700230000000053403")
    make_task(department_a, 1, "城乡居民医保管理", old.code)
    assert [p.code for p in reviews(department_a)[department_a.pk].problems] == [
        TASK_WITHOUT_PROJECT
    ]


def test_the_stated_total_is_compared_with_basic_expenditure_and_the_projects(department_a, unit_a):
    complete_department_targets(department_a)
    ProjectFactory(unit=unit_a, initial_budget=Decimal("50.55"), carryover=Decimal("1"))
    ProjectFactory(unit=unit_a, initial_budget=Decimal("50"))
    budget = DepartmentBudgetFactory(
        department=department_a,
        basic_expenditure=Decimal("762.99"),
        stated_total=Decimal("867.02"),
    )
    result = reviews(department_a)[department_a.pk]
    assert [(p.code, p.blocking, p.message) for p in result.problems] == [
        (
            BUDGET_TOTAL_MISMATCH,
            False,
            REVIEW_BUDGET_TOTAL_MISMATCH.format(stated="867.02", total="864.54"),
        )
    ]
    budget.stated_total = Decimal("864.54")
    budget.save()
    assert reviews(department_a)[department_a.pk].problems == []


def test_each_department_is_reviewed_on_its_own_targets(department_a, department_b):
    complete_department_targets(department_a)
    make_department_indicator(department_b, "产出指标", "医保基金监管完成率", "100%", year=2025)
    result = reviews(department_a, department_b)
    assert result[department_a.pk].passed
    assert [p.message for p in result[department_b.pk].problems] == [REVIEW_NO_TARGETS]
