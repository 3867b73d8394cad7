"""The one access rule: which departments each actor may read and change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from budgets.access import CHANGE, IMPORT, VIEW, department_ids, may_access_department, restrict
from budgets.models import Department, Project
from tests.factories import ProjectFactory


@pytest.fixture
def projects(unit_a, unit_b):
    return ProjectFactory(unit=unit_a), ProjectFactory(unit=unit_b)


def test_staff_see_and_change_only_their_own_department(alice, department_a, department_b):
    assert department_ids(alice, VIEW) == {department_a.pk}
    assert department_ids(alice, CHANGE) == {department_a.pk}
    assert may_access_department(alice, department_a, CHANGE)
    assert not may_access_department(alice, department_b, VIEW)


def test_reviewers_and_admins_see_every_department(rita, adam, department_a, department_b):
    assert department_ids(rita) is None
    assert department_ids(adam, CHANGE) is None
    assert may_access_department(rita, department_b.pk)


def test_reviewers_import_into_any_department_but_edit_none(rita, department_a):
    assert department_ids(rita, IMPORT) is None
    assert department_ids(rita, CHANGE) == set()
    assert not may_access_department(rita, department_a, CHANGE)


def test_staff_import_only_into_their_own_department(alice, department_a, department_b):
    assert department_ids(alice, IMPORT) == {department_a.pk}


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
