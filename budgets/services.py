"""Writes of the budgets app: users now; projects, adjustments and payments join later."""

from __future__ import annotations

import secrets
import string

from django.core.exceptions import ValidationError
from django.db import transaction

from .choices import Role, role_from_text
from .models import Department, User

UNKNOWN_ROLE = "未知角色“{role}”，可选：单位经办人、财政局审核人、管理员"
STAFF_NEEDS_DEPARTMENT = "单位经办人必须指定所属部门（--department 部门编码）"
UNKNOWN_DEPARTMENT = "部门编码“{code}”不存在"
INVALID_USERNAME = "用户名不能为空，且只能包含字母、数字和 @/./+/-/_"


def generate_password(length: int = 14) -> str:
    """A random password of letters and digits, easy to read out and to type."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


@transaction.atomic
def user_save(
    *,
    username: str,
    role_text: str,
    department_code: str | None = None,
    email: str | None = None,
    password: str | None = None,
    name: str | None = None,
) -> tuple[User, bool]:
    """Create or update a user with a role; admins get the Django admin site too."""
    role = role_from_text(role_text)
    if role is None:
        raise ValidationError(UNKNOWN_ROLE.format(role=role_text))
    department = None
    if department_code:
        department = Department.objects.filter(code=department_code.strip()).first()
        if department is None:
            raise ValidationError(UNKNOWN_DEPARTMENT.format(code=department_code))
    if role == Role.STAFF and department is None:
        raise ValidationError(STAFF_NEEDS_DEPARTMENT)
    username = username.strip()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    user.role = role
    user.department = department
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    if email is not None:
        user.email = email.strip()
    if name is not None:
        user.name = name.strip()
    if password:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        if "username" in exc.message_dict:
            raise ValidationError(INVALID_USERNAME) from exc
        raise
    user.save()
    return user, created
