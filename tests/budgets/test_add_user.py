"""python manage.py add_user — create or update users with a role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from budgets.divisions import BAD_CODE
from budgets.management.commands.add_user import WEAK_PASSWORD
from budgets.models import User
from budgets.selectors import DEPARTMENT_IN_SEVERAL_DIVISIONS, UNKNOWN_DIVISION_ANYWHERE
from budgets.services import DIVISION_ONLY_FOR_REVIEWERS, SUBORDINATES_NEED_DIVISION
from tests.bureaus import HONGQI, XIXIA, two_bureaus
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
        (
            ["--role", "单位经办人"],
            "单位经办人必须指定所属部门（--department 部门编码 或 区划编码/部门编码）",
        ),
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


# --- 区划: a reviewer's bureau, a department named as 区划/部门编码 ---------------------------


def test_a_reviewer_belongs_to_a_division_and_may_cover_the_ones_below(db):
    output = add_user("li", "--role", "财政局审核人", "--division", "410700", "--with-subordinates")
    user = User.objects.get(username="li")
    assert (user.role, user.division.code, user.with_subordinates) == ("reviewer", "410700", True)
    # The 区划 was set up from GB/T 2260 on first use, with the 区划 above it.
    assert (user.division.name, user.division.parent.name) == ("新乡市", "河南省")
    assert "区划 410700 新乡市，含下级" in output


def test_a_reviewer_without_division_covers_every_division(db):
    add_user("li", "--role", "财政局审核人", "--division", XIXIA)
    add_user("li", "--role", "财政局审核人")
    user = User.objects.get(username="li")
    assert (user.division, user.with_subordinates) == (None, False)


def test_a_department_is_named_by_division_and_code_when_codes_repeat(db):
    bureaus = two_bureaus()
    output = add_user("zhao", "--role", "单位经办人", "--department", f"{XIXIA}/060")
    user = User.objects.get(username="zhao")
    assert (user.department, user.division) == (bureaus.xixia.department, None)
    assert f"部门 {XIXIA}/060" in output


def test_a_bare_code_of_one_division_needs_no_division(department_a, department_b):
    two_bureaus()
    add_user("zhao", "--role", "单位经办人", "--department", "309")
    assert User.objects.get(username="zhao").department == department_a


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--role", "单位经办人", "--department", "060"],
            DEPARTMENT_IN_SEVERAL_DIVISIONS.format(
                code="060", refs=f"{HONGQI}/060、{XIXIA}/060", example=f"{HONGQI}/060"
            ),
        ),
        (["--role", "单位经办人", "--department", "411325/060"], "部门编码“411325/060”不存在"),
        (["--role", "单位经办人", "--department", "4113/060"], BAD_CODE.format(code="4113")),
        (["--role", "财政局审核人", "--division", "41070"], BAD_CODE.format(code="41070")),
        (
            ["--role", "财政局审核人", "--division", "419999"],
            UNKNOWN_DIVISION_ANYWHERE.format(code="419999"),
        ),
        (["--role", "财政局审核人", "--with-subordinates"], SUBORDINATES_NEED_DIVISION),
        (
            ["--role", "单位经办人", "--department", f"{XIXIA}/060", "--division", XIXIA],
            DIVISION_ONLY_FOR_REVIEWERS,
        ),
        (["--role", "管理员", "--division", XIXIA], DIVISION_ONLY_FOR_REVIEWERS),
    ],
)
def test_it_refuses_a_bad_department_or_division_and_changes_nothing(db, args, message):
    two_bureaus()
    before = database_state()
    with pytest.raises(CommandError) as excinfo:
        add_user("wang", *args)
    assert str(excinfo.value) == message
    assert database_state() == before


def test_the_ambiguous_code_message_reads_as_written(db):
    two_bureaus()
    with pytest.raises(CommandError) as excinfo:
        add_user("wang", "--role", "单位经办人", "--department", "060")
    assert str(excinfo.value) == (
        "部门编码“060”在多个区划中都有：410702/060、411323/060，"
        "请写成“区划编码/部门编码”（如410702/060）"
    )
