"""Who may see and change which departments' data — the one place that decides it.

Every queryset behind a page, API endpoint, import, export, reminder or admin list goes
through `restrict()` so that nobody reaches rows they may not. The rules:

- 单位经办人 (staff) read and write their own department only;
- 财政局审核人 (reviewer) belong to one 区划 (finance bureau) and read its departments; with
  含下级 (`with_subordinates`) also every 区划 below it, at any depth, never a sibling. A
  reviewer without a 区划 covers every 区划 (a single-bureau installation);
- 管理员 (admin) read and write everything.

And one write rule for every channel (pages, workbook import, a round's sheet, admin, API):

- budget facts (项目, 部门预算, 预算调整, 支出): the department's staff, the finance bureau
  covering it, admins;
- a department's statements (绩效指标, 实际完成, reports, department targets): the
  department's staff and admins only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, Q, QuerySet

from . import divisions
from .choices import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import Department, Division, User

M = TypeVar("M", bound=Model)

VIEW = "view"
# A department's statements — performance targets, actuals, monitoring reports and
# self-evaluations, department targets: only its own staff and admins write them.
STATEMENTS = "statements"
# Budget facts — projects, department budgets, adjustments, payments: the department's staff,
# the finance bureau (which receives them from its treasury system) and admins write them.
FACTS = "facts"


# The filter that matches nothing (compared by identity).
NOTHING = Q(pk__in=[])


def _active(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.is_active


def is_admin(user: User | AnonymousUser) -> bool:
    return _active(user) and (user.is_superuser or user.role == Role.ADMIN)


def is_reviewer(user: User | AnonymousUser) -> bool:
    return _active(user) and not is_admin(user) and user.role == Role.REVIEWER


def sees_several_departments(user: User | AnonymousUser) -> bool:
    """Reviewers and admins read more than one department (pages offer a department filter)."""
    return is_admin(user) or is_reviewer(user)


def may_review(user: User | AnonymousUser) -> bool:
    """The finance bureau's role: review reports, open and chase rounds (reviewers within the
    区划 they cover, admins everywhere). Which report or round is checked on the object."""
    return is_admin(user) or is_reviewer(user)


def covered_division_filter(user: User | AnonymousUser, field: str = "division") -> Q | None:
    """A filter on a path to a Division (`""`: Division itself) for the 区划 the user covers,
    as `covers_division` decides; None: every 区划.

    Staff cover the 区划 of their department (its rounds), never its other departments:
    departments and their rows go through `restrict`.
    """
    if is_admin(user) or (is_reviewer(user) and user.division_id is None):
        return None
    prefix = f"{field}__" if field else ""
    if is_reviewer(user):
        code = user.division.code
        if user.with_subordinates:
            return Q(**{f"{prefix}code__startswith": divisions.subtree_prefix(code)})
        return Q(**{f"{prefix}code": code})
    if _active(user) and user.role == Role.STAFF and user.department_id is not None:
        return Q(**{f"{prefix}pk": user.department.division_id})
    return NOTHING


def covers_division(user: User | AnonymousUser, division: Division | str) -> bool:
    """True when the user reads the departments of this 区划 (object or code)."""
    code = division if isinstance(division, str) else division.code
    if is_admin(user) or (is_reviewer(user) and user.division_id is None):
        return True
    if is_reviewer(user):
        return divisions.covers(user.division.code, user.with_subordinates, code)
    return (
        _active(user)
        and user.role == Role.STAFF
        and user.department_id is not None
        and user.department.division.code == code
    )


def _department_filter(user: User | AnonymousUser, action: str, path: str) -> Q | None:
    """The filter on a path to a Department for the action; None: every department."""
    if not _active(user):
        return NOTHING
    if is_admin(user):
        return None
    if is_reviewer(user):
        if action == STATEMENTS:
            return NOTHING
        return covered_division_filter(user, f"{path}__division" if path else "division")
    if user.role == Role.STAFF and user.department_id is not None:
        return Q(**{path or "pk": user.department_id})
    return NOTHING


def department_ids(user: User | AnonymousUser, action: str = VIEW) -> set[int] | None:
    """The department ids the user may act on; None means every department."""
    from .models import Department

    condition = _department_filter(user, action, "")
    if condition is None:
        return None
    if condition is NOTHING:
        return set()
    return set(Department.objects.filter(condition).values_list("pk", flat=True))


def restrict(
    queryset: QuerySet[M],
    user: User | AnonymousUser,
    action: str = VIEW,
    *,
    department_field: str | tuple[str, ...] = "department",
) -> QuerySet[M]:
    """Narrow any queryset to the rows of departments the user may act on. A row owned through
    one of several paths (a report of a project or of a department) names them all: it is
    kept when the department on any of them is allowed."""
    fields = (department_field,) if isinstance(department_field, str) else department_field
    conditions = []
    for name in fields:
        path = "" if name in ("", "pk") else name
        condition = _department_filter(user, action, path)
        if condition is None:
            return queryset
        if condition is not NOTHING:
            conditions.append(condition)
    if not conditions:
        return queryset.none()
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return queryset.filter(combined)


def may_access_department(
    user: User | AnonymousUser, department: Department | int, action: str = VIEW
) -> bool:
    """True when the user may act on the given department (object or id)."""
    from .models import Department

    if not _active(user):
        return False
    if is_admin(user):
        return True
    department_id = department if isinstance(department, int) else department.pk
    if is_reviewer(user):
        if action == STATEMENTS:
            return False
        if user.division_id is None:
            return True
        if isinstance(department, int):
            department = (
                Department.objects.select_related("division").filter(pk=department_id).first()
            )
            if department is None:
                return False
        return covers_division(user, department.division)
    return user.role == Role.STAFF and user.department_id == department_id
