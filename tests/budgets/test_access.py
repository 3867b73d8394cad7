"""The one access rule: which departments each actor may read and change, across 区划.

The world: two counties that both have a department `060` — 红旗区 (410702, under 新乡市
410700) and 西峡县 (411323, under 南阳市 411300) — a sibling county 卫滨区 (410703), the city
新乡市 itself and the province 河南省 (410000), each with one department.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from budgets.access import (
    FACTS,
    STATEMENTS,
    VIEW,
    covered_division_filter,
    covers_division,
    department_ids,
    is_admin,
    is_reviewer,
    may_access_department,
    restrict,
    sees_several_departments,
)
from budgets.choices import Role
from budgets.models import Department, Division, Payment, Project
from tests.factories import (
    DepartmentFactory,
    DivisionFactory,
    PaymentFactory,
    ProjectFactory,
    UnitFactory,
    UserFactory,
)

HONGQI, XIXIA, WEIBIN, XINXIANG, NANYANG, HENAN = (
    "410702",
    "411323",
    "410703",
    "410700",
    "411300",
    "410000",
)
DIVISIONS = (HONGQI, XIXIA, WEIBIN, XINXIANG, HENAN)
# Each department is named by its 区划 (both counties have a 060).
DEPARTMENTS = {
    HONGQI: ("060", "新乡市红旗区医疗保障局"),
    XIXIA: ("060", "西峡县医疗保障局"),
    WEIBIN: ("061", "新乡市卫滨区医疗保障局"),
    XINXIANG: ("309", "新乡市医疗保障局"),
    HENAN: ("001", "河南省医疗保障局"),
}
EVERY = set(DIVISIONS)
NONE: set[str] = set()


@pytest.fixture
def world(db):
    departments = {}
    for division, (code, name) in DEPARTMENTS.items():
        department = DepartmentFactory(
            division=DivisionFactory(code=division), code=code, name=name
        )
        departments[division] = department
        unit = UnitFactory(department=department, code=f"{code}001")
        project = ProjectFactory(unit=unit, code=f"{division}24000000{code}")
        PaymentFactory(project=project)
    return departments


def reviewer(username: str, division: str | None, *, subordinates: bool = False):
    return UserFactory(
        username=username,
        role=Role.REVIEWER,
        department=None,
        division=None if division is None else DivisionFactory(code=division),
        with_subordinates=subordinates,
    )


@pytest.fixture
def actors(world):
    inactive = reviewer("inactive", HENAN, subordinates=True)
    inactive.is_active = False
    inactive.save()
    return {
        "staff of 红旗区 060": UserFactory(
            username="hq060", role=Role.STAFF, department=world[HONGQI]
        ),
        "staff of 西峡县 060": UserFactory(
            username="xx060", role=Role.STAFF, department=world[XIXIA]
        ),
        "reviewer of 红旗区": reviewer("r-hongqi", HONGQI),
        "reviewer of 红旗区 with 含下级": reviewer("r-hongqi-sub", HONGQI, subordinates=True),
        "reviewer of 西峡县": reviewer("r-xixia", XIXIA),
        "reviewer of 新乡市": reviewer("r-xinxiang", XINXIANG),
        "reviewer of 新乡市 with 含下级": reviewer("r-xinxiang-sub", XINXIANG, subordinates=True),
        "reviewer of 河南省 with 含下级": reviewer("r-henan-sub", HENAN, subordinates=True),
        "reviewer without 区划": reviewer("r-all", None),
        "admin": UserFactory(
            username="admin", role=Role.ADMIN, department=None, is_staff=True, is_superuser=True
        ),
        "admin by role": UserFactory(username="admin2", role=Role.ADMIN, department=None),
        "inactive reviewer": inactive,
        "anonymous": AnonymousUser(),
    }


# Which 区划's departments each actor reads (VIEW), writes budget facts of (FACTS) and writes
# statements of (STATEMENTS).
MATRIX = {
    "staff of 红旗区 060": ({HONGQI}, {HONGQI}, {HONGQI}),
    "staff of 西峡县 060": ({XIXIA}, {XIXIA}, {XIXIA}),
    "reviewer of 红旗区": ({HONGQI}, {HONGQI}, NONE),
    # A county has nothing below it, and 含下级 never reaches a sibling.
    "reviewer of 红旗区 with 含下级": ({HONGQI}, {HONGQI}, NONE),
    "reviewer of 西峡县": ({XIXIA}, {XIXIA}, NONE),
    "reviewer of 新乡市": ({XINXIANG}, {XINXIANG}, NONE),
    "reviewer of 新乡市 with 含下级": (
        {XINXIANG, HONGQI, WEIBIN},
        {XINXIANG, HONGQI, WEIBIN},
        NONE,
    ),
    "reviewer of 河南省 with 含下级": (EVERY, EVERY, NONE),
    "reviewer without 区划": (EVERY, EVERY, NONE),
    "admin": (EVERY, EVERY, EVERY),
    "admin by role": (EVERY, EVERY, EVERY),
    "inactive reviewer": (NONE, NONE, NONE),
    "anonymous": (NONE, NONE, NONE),
}
ACTIONS = (VIEW, FACTS, STATEMENTS)
CASES = [
    (actor, action, allowed)
    for actor, expected in MATRIX.items()
    for action, allowed in zip(ACTIONS, expected, strict=True)
]
# Actors whose answer is "every department" (None) rather than a set of ids.
UNBOUNDED = {
    ("reviewer without 区划", VIEW),
    ("reviewer without 区划", FACTS),
    ("admin", VIEW),
    ("admin", FACTS),
    ("admin", STATEMENTS),
    ("admin by role", VIEW),
    ("admin by role", FACTS),
    ("admin by role", STATEMENTS),
}


def ids_of(world, divisions: set[str]) -> set[int]:
    return {world[d].pk for d in divisions}


@pytest.mark.parametrize(("actor", "action", "allowed"), CASES)
def test_department_ids(world, actors, actor, action, allowed):
    ids = department_ids(actors[actor], action)
    if (actor, action) in UNBOUNDED:
        assert ids is None
    else:
        assert ids == ids_of(world, allowed)


@pytest.mark.parametrize(("actor", "action", "allowed"), CASES)
def test_restrict_on_departments_projects_and_payments(world, actors, actor, action, allowed):
    user = actors[actor]
    expected = ids_of(world, allowed)
    departments = restrict(Department.objects.all(), user, action, department_field="pk")
    assert set(departments.values_list("pk", flat=True)) == expected
    projects = restrict(Project.objects.all(), user, action)
    assert set(projects.values_list("department_id", flat=True)) == expected
    payments = restrict(Payment.objects.all(), user, action)
    assert set(payments.values_list("department_id", flat=True)) == expected
    # A deeper path to the department narrows the same way.
    by_project = restrict(
        Payment.objects.all(), user, action, department_field="project__department"
    )
    assert set(by_project.values_list("department_id", flat=True)) == expected


@pytest.mark.parametrize(("actor", "action", "allowed"), CASES)
def test_may_access_department_by_object_and_by_id(world, actors, actor, action, allowed):
    user = actors[actor]
    for division, department in world.items():
        expected = division in allowed
        assert may_access_department(user, department, action) is expected, division
        assert may_access_department(user, department.pk, action) is expected, division
        fresh = Department.objects.get(pk=department.pk)  # division not loaded yet
        assert may_access_department(user, fresh, action) is expected, division


# Which 区划 each actor covers; staff cover the 区划 of their department (its rounds).
COVERAGE = {
    "staff of 红旗区 060": {HONGQI},
    "staff of 西峡县 060": {XIXIA},
    "reviewer of 红旗区": {HONGQI},
    "reviewer of 红旗区 with 含下级": {HONGQI},
    "reviewer of 西峡县": {XIXIA},
    "reviewer of 新乡市": {XINXIANG},
    "reviewer of 新乡市 with 含下级": {XINXIANG, HONGQI, WEIBIN},
    "reviewer of 河南省 with 含下级": EVERY | {NANYANG},
    "reviewer without 区划": EVERY | {NANYANG},
    "admin": EVERY | {NANYANG},
    "admin by role": EVERY | {NANYANG},
    "inactive reviewer": NONE,
    "anonymous": NONE,
}


@pytest.mark.parametrize(("actor", "covered"), COVERAGE.items())
def test_covers_division_by_object_and_by_code(world, actors, actor, covered):
    user = actors[actor]
    for code in (*DIVISIONS, NANYANG):
        division = DivisionFactory(code=code)
        assert covers_division(user, division) is (code in covered), code
        assert covers_division(user, code) is (code in covered), code


@pytest.mark.parametrize(("actor", "covered"), COVERAGE.items())
def test_covered_division_filter_agrees_with_covers_division(world, actors, actor, covered):
    DivisionFactory(code=NANYANG)
    user = actors[actor]
    on_divisions = covered_division_filter(user, "")
    on_departments = covered_division_filter(user, "division")
    divisions, departments = Division.objects.all(), Department.objects.all()
    if on_divisions is not None:
        divisions = divisions.filter(on_divisions)
        departments = departments.filter(on_departments)
    assert set(divisions.values_list("code", flat=True)) == covered
    assert set(departments.values_list("division__code", flat=True)) == covered - {NANYANG}


def test_a_reviewer_without_division_and_admins_cover_every_division(actors):
    for actor in ("reviewer without 区划", "admin", "admin by role"):
        assert covered_division_filter(actors[actor]) is None, actor


def test_the_roles_are_told_apart(actors):
    assert is_admin(actors["admin"]) and is_admin(actors["admin by role"])
    assert not is_reviewer(actors["admin"])
    assert is_reviewer(actors["reviewer of 红旗区"])
    assert not is_reviewer(actors["inactive reviewer"])
    assert not is_reviewer(actors["staff of 红旗区 060"])
    assert not is_admin(actors["anonymous"]) and not is_reviewer(actors["anonymous"])
    several = {actor for actor, user in actors.items() if sees_several_departments(user)}
    assert several == {actor for actor in actors if "reviewer" in actor or "admin" in actor} - {
        "inactive reviewer"
    }


def test_the_same_department_code_in_two_divisions_stays_apart(world, actors):
    hongqi, xixia = world[HONGQI], world[XIXIA]
    assert hongqi.code == xixia.code == "060"
    assert hongqi.ref == "410702/060" and xixia.ref == "411323/060"
    for user, own, other in (
        (actors["staff of 红旗区 060"], hongqi, xixia),
        (actors["reviewer of 红旗区"], hongqi, xixia),
        (actors["staff of 西峡县 060"], xixia, hongqi),
        (actors["reviewer of 西峡县"], xixia, hongqi),
    ):
        projects = restrict(Project.objects.filter(department__code="060"), user)
        assert list(projects.values_list("department_id", flat=True)) == [own.pk]
        assert may_access_department(user, own)
        assert not may_access_department(user, other)


def test_a_department_id_that_does_not_exist_is_no_access(world, actors):
    missing = max(d.pk for d in world.values()) + 1000
    for actor in ("staff of 红旗区 060", "reviewer of 红旗区", "reviewer of 新乡市 with 含下级"):
        assert not may_access_department(actors[actor], missing), actor


def test_a_reviewer_moved_to_another_division_sees_that_one_at_once(world, actors):
    user = actors["reviewer of 红旗区"]
    user.division = Division.objects.get(code=XIXIA)
    user.save()
    assert department_ids(user) == {world[XIXIA].pk}
    assert not may_access_department(user, world[HONGQI])


def test_staff_without_a_department_see_nothing(world):
    # The database forbids staff without a department; an unsaved one still sees nothing.
    user = UserFactory.build(role=Role.STAFF, department=None)
    assert department_ids(user) == set()
    assert list(restrict(Project.objects.all(), user)) == []
    assert not may_access_department(user, world[HONGQI])
