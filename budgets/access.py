"""Who may see and change which departments' data — the one place that decides it.

Every queryset behind a page, API endpoint, import, export or admin list goes through
`restrict()` so that a department's staff never reach another department's rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, QuerySet

from .choices import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import Department, User

M = TypeVar("M", bound=Model)

VIEW = "view"
# Editing a department's projects, payments, targets and reports: its staff and admins.
CHANGE = "change"
# Importing a workbook into a department: its staff, the finance bureau and admins.
IMPORT = "import"

NO_DEPARTMENT_ACCESS = "您无权访问部门“{department}”的数据"


def sees_all_departments(user: User | AnonymousUser) -> bool:
    """Finance reviewers and admins read every department."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in (Role.REVIEWER, Role.ADMIN)


def changes_all_departments(user: User | AnonymousUser) -> bool:
    """Admins edit every department; the finance bureau reviews but does not edit."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role == Role.ADMIN


def department_ids(user: User | AnonymousUser, action: str = VIEW) -> set[int] | None:
    """The department ids the user may act on; None means every department."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if action == VIEW and sees_all_departments(user):
        return None
    if action == CHANGE and changes_all_departments(user):
        return None
    if action == IMPORT and sees_all_departments(user):
        return None
    if user.role == Role.STAFF and user.department_id is not None:
        return {user.department_id}
    return set()


def restrict(
    queryset: QuerySet[M],
    user: User | AnonymousUser,
    action: str = VIEW,
    *,
    department_field: str = "department",
) -> QuerySet[M]:
    """Narrow any queryset to the rows of departments the user may act on."""
    allowed = department_ids(user, action)
    if allowed is None:
        return queryset
    if not allowed:
        return queryset.none()
    lookup = "pk__in" if department_field in ("", "pk") else f"{department_field}__in"
    return queryset.filter(**{lookup: allowed})


def may_access_department(
    user: User | AnonymousUser, department: Department | int, action: str = VIEW
) -> bool:
    """True when the user may act on the given department (object or id)."""
    department_id = department if isinstance(department, int) else department.pk
    allowed = department_ids(user, action)
    return allowed is None or department_id in allowed
