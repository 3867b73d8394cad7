"""Who may see and change which departments' data — the one place that decides it.

Every queryset behind a page, API endpoint, import, export or admin list goes through
`restrict()` so that a department's staff never reach another department's rows. The one
write rule for every channel (pages, workbook import, a round's sheet, admin, API):

- budget facts (项目, 部门预算, 预算调整, 支出): the department's staff, the finance bureau, admins;
- a department's statements (绩效指标, 实际完成, reports, department targets): the
  department's staff and admins only.
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
# A department's statements — performance targets, actuals, monitoring reports and
# self-evaluations, department targets: only its own staff and admins write them.
STATEMENTS = "statements"
# Budget facts — projects, department budgets, adjustments, payments: the department's staff,
# the finance bureau (which receives them from its treasury system) and admins write them.
FACTS = "facts"

NO_DEPARTMENT_ACCESS = "您无权访问部门“{department}”的数据"


def sees_all_departments(user: User | AnonymousUser) -> bool:
    """Finance reviewers and admins read every department."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in (Role.REVIEWER, Role.ADMIN)


def changes_all_departments(user: User | AnonymousUser) -> bool:
    """Admins write every department's statements; the finance bureau reviews them."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role == Role.ADMIN


def department_ids(user: User | AnonymousUser, action: str = VIEW) -> set[int] | None:
    """The department ids the user may act on; None means every department."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if action == VIEW and sees_all_departments(user):
        return None
    if action == STATEMENTS and changes_all_departments(user):
        return None
    if action == FACTS and sees_all_departments(user):
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
