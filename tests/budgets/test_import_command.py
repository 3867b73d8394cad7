"""python manage.py import_workbook: exit codes and output, in a real process on its own DB."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from budgets.importer import NOT_A_NUMBER, run_import
from budgets.management.commands.import_workbook import NO_FILE, UNKNOWN_USER
from budgets.models import Payment, Project
from tests.services import ROOT, service_env

from .workbooks import PAYMENT_HEADER, PROJECT_HEADER, make_workbook, payment_row, project_row

SAMPLE = Path(settings.BASE_DIR) / "demo" / "xinxiang-center-2024.xlsx"


@pytest.fixture(scope="module")
def process_db(tmp_path_factory):
    """A migrated SQLite file of its own and the environment that points the commands at it."""
    folder = tmp_path_factory.mktemp("import-command")
    db = folder / "db.sqlite3"
    env = service_env(DATABASE_URL=f"sqlite:///{db}", VAR_DIR=str(folder / "var"))
    manage("migrate", "--noinput", "-v", "0", env=env, check=True)
    return db, env


def manage(*args: str, env: dict[str, str], check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def count(db: Path, table: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_a_good_workbook_exits_0_with_a_one_line_summary(process_db):
    db, env = process_db
    done = manage("import_workbook", str(SAMPLE), env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("导入成功：")
    assert "项目 新增3 更新0 未变0" in lines[0]
    assert count(db, "budgets_project") == 3


def test_a_bad_workbook_exits_1_with_every_problem_on_stderr_and_writes_nothing(
    process_db, tmp_path
):
    db, env = process_db
    path = make_workbook(
        tmp_path / "bad.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row("P1"), project_row("P2", initial="x")],
            "支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", "y", project="P1")],
        },
    )
    before = (count(db, "budgets_project"), count(db, "budgets_historicalproject"))
    done = manage("import_workbook", str(path), env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"项目, 第3行, 年初预算: {NOT_A_NUMBER.format(value='x')}",
        f"支出, 第2行, 金额: {NOT_A_NUMBER.format(value='y')}",
        "CommandError: 导入失败：共2个问题，未写入任何数据",
    ]
    assert (count(db, "budgets_project"), count(db, "budgets_historicalproject")) == before


# --- the command's options, in process ------------------------------------------------------


@pytest.mark.django_db
def test_dry_run_prints_the_summary_and_writes_nothing():
    out = StringIO()
    call_command("import_workbook", str(SAMPLE), "--dry-run", stdout=out)
    assert out.getvalue().startswith("校验通过（未写入）：")
    assert "项目 新增3" in out.getvalue()
    assert Project.objects.count() == 0


@pytest.mark.django_db
def test_user_applies_that_users_permissions(tmp_path, alice, bob):
    path = make_workbook(
        tmp_path / "b.xlsx",
        {"支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, department="044")]},
    )
    err = StringIO()
    with pytest.raises(CommandError, match="共1个问题"):
        call_command("import_workbook", str(path), "--user", "alice", stderr=err)
    assert err.getvalue() == "支出, 第2行, 部门编码: 无权导入部门“044”的数据\n"
    call_command("import_workbook", str(path), "--user", "bob", stdout=StringIO())
    assert Payment.objects.get().department.code == "044"


@pytest.mark.django_db
def test_an_unknown_or_inactive_user_is_refused(tmp_path, alice):
    alice.is_active = False
    alice.save()
    for username in ("nobody", "alice"):
        with pytest.raises(CommandError) as caught:
            call_command("import_workbook", str(SAMPLE), "--user", username)
        assert str(caught.value) == UNKNOWN_USER.format(username=username)
    assert Project.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_file_is_refused(tmp_path):
    missing = tmp_path / "none.xlsx"
    with pytest.raises(CommandError) as caught:
        call_command("import_workbook", str(missing))
    assert str(caught.value) == NO_FILE.format(path=missing)


@pytest.mark.django_db
def test_the_command_and_the_function_agree(tmp_path):
    out = StringIO()
    call_command("import_workbook", str(SAMPLE), stdout=out)
    again = run_import(SAMPLE)
    assert out.getvalue().startswith("导入成功：")
    assert again.counts[("项目", "unchanged")] == 3


def test_validation_needs_no_lock_and_a_locked_database_gets_a_clear_message(process_db, tmp_path):
    """Another writer holds SQLite's lock: a bad file is still checked (reads only), a good one
    waits the busy timeout and is then refused with a Chinese message, nothing written."""
    from budgets.importer import DATABASE_BUSY

    db, env = process_db
    env = {**env, "SQLITE_BUSY_TIMEOUT": "1"}
    bad = make_workbook(
        tmp_path / "bad.xlsx",
        {"项目": [PROJECT_HEADER, project_row("LOCK-1", initial="很多")]},
    )
    good = make_workbook(tmp_path / "good.xlsx", {"项目": [PROJECT_HEADER, project_row("LOCK-2")]})
    projects = count(db, "budgets_project")
    holder = sqlite3.connect(db, timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        checked = manage("import_workbook", str(bad), env=env)
        assert checked.returncode == 1
        output = checked.stdout + checked.stderr
        assert "项目, 第2行, 年初预算: " + NOT_A_NUMBER.format(value="很多") in output
        busy = manage("import_workbook", str(good), env=env)
        assert busy.returncode == 1
        assert DATABASE_BUSY in busy.stdout + busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert count(db, "budgets_project") == projects
    assert manage("import_workbook", str(good), env=env).returncode == 0
    assert count(db, "budgets_project") == projects + 1
