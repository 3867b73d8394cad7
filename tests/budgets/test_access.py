"""The one access rule: which departments each actor may read and change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from budgets.access import (
    FACTS,
    STATEMENTS,
    VIEW,
    department_ids,
    may_access_department,
    restrict,
)
from budgets.models import Department, Project
from tests.factories import ProjectFactory


@pytest.fixture
def projects(unit_a, unit_b):
    return ProjectFactory(unit=unit_a), ProjectFactory(unit=unit_b)


def test_staff_see_and_write_only_their_own_department(alice, department_a, department_b):
    assert department_ids(alice, VIEW) == {department_a.pk}
    assert department_ids(alice, STATEMENTS) == {department_a.pk}
    assert department_ids(alice, FACTS) == {department_a.pk}
    assert may_access_department(alice, department_a, STATEMENTS)
    assert not may_access_department(alice, department_b, FACTS)
    assert not may_access_department(alice, department_b, VIEW)


def test_reviewers_and_admins_see_every_department(rita, adam, department_a, department_b):
    assert department_ids(rita) is None
    assert department_ids(adam, STATEMENTS) is None
    assert department_ids(adam, FACTS) is None
    assert may_access_department(rita, department_b.pk)


def test_reviewers_write_budget_facts_of_any_department_but_no_statements(rita, department_a):
    assert department_ids(rita, FACTS) is None
    assert may_access_department(rita, department_a, FACTS)
    assert department_ids(rita, STATEMENTS) == set()
    assert not may_access_department(rita, department_a, STATEMENTS)


def test_anonymous_and_inactive_users_see_nothing(alice, department_a):
    assert department_ids(AnonymousUser()) == set()
    alice.is_active = False
    assert department_ids(alice) == set()
    assert not may_access_department(alice, department_a)


def test_restrict_narrows_any_queryset_by_its_department_path(alice, bob, rita, projects):
    project_a, project_b = projects
    assert list(restrict(Project.objects.all(), alice)) == [project_a]
    assert list(restrict(Project.objects.all(), bob)) == [project_b]
    assert set(restrict(Project.objects.all(), rita)) == {project_a, project_b}
    assert list(restrict(Department.objects.all(), alice, department_field="pk")) == [
        project_a.department
    ]
    assert list(restrict(Project.objects.all(), AnonymousUser())) == []
