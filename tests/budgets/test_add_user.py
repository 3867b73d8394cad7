"""python manage.py add_user — create or update users with a role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from budgets.management.commands.add_user import WEAK_PASSWORD
from budgets.models import User
from tests.factories import PASSWORD

from .workbooks import database_state


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


def validators_say(password: str, username: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_password(password, User(username=username))
    return caught.value.messages


@pytest.mark.parametrize("password", ["1", "12345678", "password", "abc"])
def test_it_refuses_a_password_the_validators_refuse_and_creates_nobody(db, password):
    before = database_state()
    with pytest.raises(CommandError) as excinfo:
        add_user("x", "--role", "管理员", "--password", password)
    problems = "；".join(validators_say(password, "x"))
    assert str(excinfo.value) == WEAK_PASSWORD.format(problems=problems)
    assert str(excinfo.value).startswith("密码不符合要求：")
    assert database_state() == before


def test_it_keeps_an_existing_users_password_when_the_new_one_is_refused(alice):
    with pytest.raises(CommandError):
        add_user("alice", "--role", "单位经办人", "--department", "309", "--password", "1")
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


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


def test_the_command_exits_1_with_the_validators_messages_on_a_weak_password(tmp_path):
    import subprocess
    import sys

    from tests.services import ROOT, service_env

    env = service_env(VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "add_user", "x", "--role", "管理员", "--password", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "密码不符合要求：" in result.stderr and "Traceback" not in result.stderr
