"""python manage.py add_user — create or update users with a role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from budgets.models import User


def add_user(*args: str) -> str:
    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


def test_it_creates_staff_of_a_department_with_a_generated_password(department_a):
    output = add_user("zhang", "--role", "单位经办人", "--department", "309")
    user = User.objects.get(username="zhang")
    assert user.role == "staff" and user.department == department_a
    password = output.split("password: ")[1].strip()
    assert len(password) >= 12 and user.check_password(password)


def test_it_creates_an_admin_with_the_admin_site_and_a_given_password(db):
    output = add_user("root2", "--role", "管理员", "--password", "pa55-word-x", "--email", "a@b.cn")
    user = User.objects.get(username="root2")
    assert user.is_staff and user.is_superuser and user.email == "a@b.cn"
    assert user.check_password("pa55-word-x")
    assert "password:" not in output


def test_it_updates_an_existing_user_instead_of_doubling_it(alice, department_b):
    add_user("alice", "--role", "单位经办人", "--department", "044", "--password", "new-pass-123")
    alice.refresh_from_db()
    assert alice.department == department_b
    assert User.objects.filter(username="alice").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "会计"], "未知角色“会计”，可选：单位经办人、财政局审核人、管理员"),
        (["--role", "单位经办人"], "单位经办人必须指定所属部门（--department 部门编码）"),
        (["--role", "单位经办人", "--department", "999"], "部门编码“999”不存在"),
    ],
)
def test_it_refuses_bad_input_with_a_message_and_creates_nobody(department_a, args, message):
    with pytest.raises(CommandError) as excinfo:
        add_user("wang", *args)
    assert str(excinfo.value) == message
    assert not User.objects.filter(username="wang").exists()


def test_the_command_exits_1_on_bad_input(db, tmp_path):
    import subprocess
    import sys

    from tests.services import ROOT, service_env

    result = subprocess.run(
        [sys.executable, "manage.py", "add_user", "li", "--role", "unknown"],
        cwd=ROOT,
        env=service_env(VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "未知角色“unknown”" in result.stderr
