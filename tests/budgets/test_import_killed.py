"""kill -9 of `import_workbook` half-way through its write transaction leaves nothing behind
on PostgreSQL, and the same workbook then imports in full.

The importer writes everything in one transaction (budgets/importer.py): a process killed
inside it never commits, and PostgreSQL rolls the transaction back when it notices the
connection is gone. This test kills a real `manage.py import_workbook` process while its
backend holds uncommitted payment rows.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from openpyxl import Workbook

from budgets.models import Department, Payment, Project, Unit
from tests.services import ROOT, service_env

from .workbooks import PAYMENT_HEADER, PROJECT_HEADER, database_state, payment_row, project_row

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES,
        reason="kills an import inside its PostgreSQL transaction: runs in the PostgreSQL "
        "pass of make test (DATABASE_URL=postgres://…)",
    ),
]

PROJECTS = 5
# Enough that the write phase lasts seconds (about 3 s here), so the kill lands inside it.
PAYMENTS = 20_000


def big_workbook(path: Path) -> Path:
    """A valid workbook of PROJECTS projects of department 309 and PAYMENTS payments, streamed
    with openpyxl's write-only mode (20,000 rows take a second or two to write)."""
    workbook = Workbook(write_only=True)
    projects = workbook.create_sheet("项目")
    projects.append(PROJECT_HEADER)
    codes = [f"4107002400000000{i:05d}" for i in range(PROJECTS)]
    for i, code in enumerate(codes):
        projects.append(project_row(code, initial=1000 + i, division=None))
    payments = workbook.create_sheet("支出")
    payments.append(PAYMENT_HEADER)
    start = date(2024, 1, 1)
    for i in range(PAYMENTS):
        # A fifth without a project: basic expenditure, written by another path.
        project = None if i % 5 == 0 else codes[i % PROJECTS]
        day = start + timedelta(days=i % 365)
        amount = round(0.01 + (i % 100) / 100, 2)
        payments.append(payment_row(f"记-{i:06d}", day, amount, project=project))
    workbook.save(path)
    return path


def database_url() -> str:
    """The test database (pytest-django's test_…), as a URL for the command's process."""
    d = connection.settings_dict
    credentials = quote(d["USER"], safe="")
    if d["PASSWORD"]:
        credentials += ":" + quote(d["PASSWORD"], safe="")
    return f"postgres://{credentials}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def scalar(sql: str, params: tuple = ()) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def import_command(path: Path, env: dict[str, str], output: Path) -> subprocess.Popen:
    """Start `manage.py import_workbook PATH`; its output goes to a file (a pipe nobody reads
    while we poll would fill up and stall it)."""
    with output.open("w") as handle:
        return subprocess.Popen(
            [sys.executable, "manage.py", "import_workbook", str(path)],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def wait_until_writing(proc: subprocess.Popen, app: str, timeout: float = 60) -> None:
    """Until the command's backend has a transaction id (it has written) and the payments
    table has grown: the import is half-way through its one write transaction."""
    before = scalar("SELECT pg_relation_size('budgets_payment')")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the import ended ({proc.returncode}) before it could be killed")
        writing = scalar(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = %s AND backend_xid IS NOT NULL",
            (app,),
        )
        if writing and scalar("SELECT pg_relation_size('budgets_payment')") > before:
            return
        time.sleep(0.02)
    pytest.fail(f"the import did not start writing within {timeout}s")


def wait_for_backend_gone(app: str, timeout: float = 15) -> None:
    """PostgreSQL notices the dead client at its next read or write of the socket."""
    deadline = time.monotonic() + timeout
    while scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app,)):
        if time.monotonic() > deadline:
            pytest.fail(f"the killed import's backend is still there after {timeout}s")
        time.sleep(0.05)


def test_an_import_killed_inside_its_transaction_leaves_nothing_and_can_be_run_again(
    transactional_db, tmp_path
):
    path = big_workbook(tmp_path / "big.xlsx")
    app = f"import-killed-{secrets.token_hex(4)}"
    env = service_env(DATABASE_URL=database_url(), VAR_DIR=str(tmp_path / "var"), PGAPPNAME=app)
    before = database_state()

    output = tmp_path / "import.log"
    proc = import_command(path, env, output)
    try:
        wait_until_writing(proc, app)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, output.read_text()[-3000:]

    wait_for_backend_gone(app)
    # Nothing of it: no department, unit, project or payment, and no audit-trail rows.
    assert not Department.objects.exists()
    assert not Unit.objects.exists()
    assert not Project.objects.exists()
    assert not Payment.objects.exists()
    assert not Payment.history.exists() and not Project.history.exists()
    assert database_state() == before

    again = import_command(path, env, output)
    again.wait(timeout=120)
    out = output.read_text()
    assert again.returncode == 0, out[-3000:]
    assert f"项目 新增{PROJECTS} " in out and f"支出 新增{PAYMENTS} " in out, out
    assert Project.objects.count() == PROJECTS
    assert Payment.objects.count() == PAYMENTS
    assert Payment.history.count() == PAYMENTS
