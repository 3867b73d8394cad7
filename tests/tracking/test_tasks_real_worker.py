"""The reminder pass with the real parts: a Redis broker, Celery worker processes, two
`remind` commands at once, and a worker killed in the middle of a pass.

These tests share a database with other processes, so they do not use pytest-django's
test database: each gets its own migrated database (a SQLite file, or a PostgreSQL database
`tracker_workers_<random>` when DATABASE_URL is PostgreSQL), seeded by a subprocess, and read
back with sqlite3/psycopg directly.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery

from tests.services import ROOT, celery_worker, redis_server, service_env

pytestmark = [pytest.mark.services, pytest.mark.timeout(300)]

DEADLINE = date(2024, 8, 15)
TODAY = date(2024, 8, 16)  # deadline + 1: every department is overdue; reviewers get a digest
ROUND = "2024年运行监控（截至07月31日）"
WORKER_SETTINGS = "tests.tracking.worker_settings"
PAUSE = 0.5  # seconds the pass waits after each department in the kill tests


# --- seeding (runs inside a subprocess, against the workers' database) --------------------------


def seed(departments: int) -> None:
    """An open round due DEADLINE; per department one staff member and one draft project;
    reviewer rita (with e-mail) and rex (without)."""
    from budgets.choices import Role
    from tests.factories import DepartmentFactory, ProjectFactory, UnitFactory, UserFactory
    from tests.tracking.season import bureau
    from tracking.choices import Stage
    from tracking.models import Round

    Round.objects.create(
        division=bureau(),
        year=2024,
        stage=Stage.MONITORING,
        as_of=date(2024, 7, 31),
        deadline=DEADLINE,
    )
    for i in range(departments):
        department = DepartmentFactory(code=f"{900 + i}", name=f"测试局{i:02d}")
        UserFactory(username=f"staff{i:02d}", role=Role.STAFF, department=department)
        ProjectFactory(unit=UnitFactory(department=department))
    UserFactory(username="rita", role=Role.REVIEWER, department=None)
    UserFactory(username="rex", role=Role.REVIEWER, department=None, email="")


def expected_lines(departments: int) -> list[str]:
    overdue = f"【已逾期】{ROUND}已逾期1天，尚有1个项目未提交"
    digest = f"【逾期汇总】2024年8月16日共有{departments}个部门逾期未提交"
    return [f"staff{i:02d}\toverdue\t{overdue}" for i in range(departments)] + [
        f"rex\toverdue_digest\t{digest}",
        f"rita\toverdue_digest\t{digest}",
    ]


def expected_keys(departments: int) -> set[tuple[str, str]]:
    return {tuple(line.split("\t")[:2]) for line in expected_lines(departments)}


# --- the workers' database ------------------------------------------------------------------------


@dataclass
class Database:
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def rows(self, sql: str) -> list[tuple]:
        if self.is_sqlite:
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchall()

    def notifications(self) -> list[tuple[str, str, str, str, bool, int]]:
        """(username, kind, subject_key, day, e-mail sent, id) of every notification."""
        return [
            (username, kind, key, str(day), bool(sent), pk)
            for username, kind, key, day, sent, pk in self.rows(
                "SELECT u.username, n.kind, n.subject_key, n.day, n.email_sent_at IS NOT NULL, "
                "n.id FROM tracking_notification n JOIN budgets_user u ON u.id = n.recipient_id"
            )
        ]

    def count(self) -> int:
        return self.rows("SELECT COUNT(*) FROM tracking_notification")[0][0]


def _postgres_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _postgres(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql)


def run_python(env: dict[str, str], code: str, timeout: float = 120) -> str:
    """Run Python code with Django set up in a subprocess; returns its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def migrate(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Iterator[str]:
    """A migrated database each test copies (migrating takes seconds; copying does not)."""
    base = os.environ.get("DATABASE_URL", "")
    folder = tmp_path_factory.mktemp("workers")
    if base.startswith("postgres"):
        name = f"tracker_workers_tpl_{secrets.token_hex(4)}"
        _postgres(base, f'CREATE DATABASE "{name}"')
        try:
            migrate(service_env(DATABASE_URL=_postgres_url(base, name), VAR_DIR=str(folder)))
            yield name
        finally:
            _postgres(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = folder / "template.sqlite3"
        migrate(service_env(DATABASE_URL=f"sqlite:///{path}", VAR_DIR=str(folder)))
        yield str(path)


@pytest.fixture
def workers_db(template_db, tmp_path) -> Iterator[Database]:
    """This test's own copy of the migrated database."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        name = f"tracker_workers_{secrets.token_hex(4)}"
        _postgres(base, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        try:
            yield Database(_postgres_url(base, name))
        finally:
            _postgres(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "workers.sqlite3"
        # The backup API, not a file copy: it also takes what is still in the WAL file.
        with sqlite3.connect(template_db) as source, sqlite3.connect(path) as target:
            source.backup(target)
        yield Database(f"sqlite:///{path}")


def env_for(db: Database, tmp_path: Path, **overrides: str) -> dict[str, str]:
    (tmp_path / "emails").mkdir(exist_ok=True)
    return service_env(
        DJANGO_SETTINGS_MODULE=WORKER_SETTINGS,
        DATABASE_URL=db.url,
        VAR_DIR=str(tmp_path),
        TEST_EMAIL_DIR=str(tmp_path / "emails"),
        # Tasks go through the broker under test, whatever the suite's own settings say.
        CELERY_TASK_ALWAYS_EAGER="0",
        **overrides,
    )


def seed_db(env: dict[str, str], departments: int) -> None:
    run_python(env, f"from tests.tracking.test_tasks_real_worker import seed\nseed({departments})")


# --- processes --------------------------------------------------------------------------------


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: list[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = "".join(log[-60:])
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; worker said:\n{tail}")


@contextmanager
def running_worker(env: dict[str, str], name: str) -> Iterator[tuple[subprocess.Popen, list]]:
    """A real worker (one pool process), its output collected; returns once it is ready."""
    with celery_worker(env, name=name) as proc:
        log: list[str] = []
        reader = threading.Thread(target=lambda: log.extend(proc.stdout), daemon=True)
        reader.start()
        wait_until(lambda: any(" ready." in line for line in log), 60, f"{name} ready", log)
        yield proc, log


def pool_children(proc: subprocess.Popen) -> list[int]:
    text = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
    return [int(pid) for pid in text.split()]


def kill_hard(pids: list[int]) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def send_remind(broker: str, day: date) -> None:
    with Celery("probe", broker=broker) as probe:
        probe.send_task("tracking.tasks.remind_task", args=[day.isoformat()])


def emails_by_notification(folder: Path) -> Counter[int]:
    """How many e-mails each notification got (the file backend, header X-Notification-Id)."""
    counts: Counter[int] = Counter()
    for path in folder.glob("*.log"):
        for match in re.finditer(r"^X-Notification-Id: (\d+)$", path.read_text(), re.M):
            counts[int(match[1])] += 1
    return counts


def assert_each_due_notification_exactly_once(db: Database, departments: int, emails: Path):
    rows = db.notifications()
    keys = [(username, kind) for username, kind, *_ in rows]
    assert Counter(keys) == Counter(expected_keys(departments))  # each once, nothing else
    assert {day for *_, day, _sent, _pk in rows} == {TODAY.isoformat()}
    with_email = {pk for username, *_, pk in rows if username != "rex"}
    assert emails_by_notification(emails) == Counter(with_email)  # each e-mail exactly once


def all_done(db: Database, departments: int) -> Callable[[], bool]:
    """The pass created everything and every e-mail went out."""

    def check() -> bool:
        rows = db.notifications()
        return len(rows) >= len(expected_keys(departments)) and all(
            sent for username, _k, _s, _d, sent, _pk in rows if username != "rex"
        )

    return check


# --- the tests --------------------------------------------------------------------------------


def test_a_worker_runs_the_reminder_pass_sent_through_redis(workers_db, tmp_path):
    departments = 3
    with redis_server(tmp_path) as broker:
        env = env_for(workers_db, tmp_path, CELERY_BROKER_URL=broker)
        seed_db(env, departments)
        with running_worker(env, "remind1") as (_proc, log):
            send_remind(broker, TODAY)
            wait_until(all_done(workers_db, departments), 90, "the pass and its e-mails", log)
    assert_each_due_notification_exactly_once(workers_db, departments, tmp_path / "emails")


def test_a_worker_runs_the_reminder_pass_sent_through_the_embedded_broker(workers_db, tmp_path):
    departments = 2
    env = env_for(workers_db, tmp_path, CELERY_BROKER_URL="filesystem://")
    seed_db(env, departments)
    queue = tmp_path / "celery-broker" / "queue"
    with running_worker(env, "embedded1") as (_proc, log):
        with Celery("probe", broker="filesystem://") as probe:
            probe.conf.broker_transport_options = {
                "data_folder_in": str(queue),
                "data_folder_out": str(queue),
                "control_folder": str(tmp_path / "celery-broker" / "control"),
            }
            probe.send_task("tracking.tasks.remind_task", args=[TODAY.isoformat()])
        wait_until(all_done(workers_db, departments), 90, "the pass and its e-mails", log)
    assert_each_due_notification_exactly_once(workers_db, departments, tmp_path / "emails")


def test_two_remind_commands_at_once_create_and_print_each_notification_once(workers_db, tmp_path):
    departments = 8
    # Pause after each department so the two passes overlap for their whole length.
    env = env_for(
        workers_db,
        tmp_path,
        CELERY_BROKER_URL="filesystem://",
        TRACKING_REMIND_SLEEP_PER_DEPARTMENT="0.2",
    )
    seed_db(env, departments)
    command = [sys.executable, "manage.py", "remind", "--today", TODAY.isoformat()]
    procs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        outputs.append(out.splitlines())

    assert sorted(outputs[0] + outputs[1]) == sorted(expected_lines(departments))
    rows = workers_db.notifications()
    assert Counter((u, k) for u, k, *_ in rows) == Counter(expected_keys(departments))
    # Each e-mail was enqueued once, by the run that created its notification.
    queued = [
        json.loads(path.read_text())["headers"]
        for path in (tmp_path / "celery-broker" / "queue").glob("*.msg")
    ]
    email_args = sorted(h["argsrepr"] for h in queued if h["task"].endswith("email_task"))
    assert email_args == sorted(f"({pk},)" for u, *_, pk in rows if u != "rex")

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout == ""
    assert workers_db.count() == len(rows)


def test_a_pool_process_killed_mid_pass_is_replaced_and_the_pass_redelivered(workers_db, tmp_path):
    departments = 12
    with redis_server(tmp_path) as broker:
        env = env_for(
            workers_db,
            tmp_path,
            CELERY_BROKER_URL=broker,
            TRACKING_REMIND_SLEEP_PER_DEPARTMENT=str(PAUSE),
        )
        seed_db(env, departments)
        with running_worker(env, "kill1") as (proc, log):
            send_remind(broker, TODAY)
            wait_until(lambda: workers_db.count() >= 2, 60, "the pass to start", log)
            time.sleep(PAUSE / 2)  # kill in the pause, not between an insert and its e-mail
            kill_hard(pool_children(proc))
            assert workers_db.count() < departments  # it really was cut short
            # acks_late + reject_on_worker_lost: the task goes back to the queue at once.
            wait_until(all_done(workers_db, departments), 120, "the redelivered pass", log)
            assert any("WorkerLostError" in line for line in log)
    assert_each_due_notification_exactly_once(workers_db, departments, tmp_path / "emails")


def test_a_worker_killed_mid_pass_and_restarted_finishes_the_pass_exactly_once(
    workers_db, tmp_path
):
    departments = 12
    with redis_server(tmp_path) as broker:
        env = env_for(
            workers_db,
            tmp_path,
            CELERY_BROKER_URL=broker,
            TRACKING_REMIND_SLEEP_PER_DEPARTMENT=str(PAUSE),
        )
        seed_db(env, departments)
        with running_worker(env, "crash1") as (proc, log):
            send_remind(broker, TODAY)
            wait_until(lambda: workers_db.count() >= 2, 60, "the pass to start", log)
            time.sleep(PAUSE / 2)  # kill in the pause, not between an insert and its e-mail
            kill_hard([*pool_children(proc), proc.pid])
            proc.wait(timeout=10)
        assert workers_db.count() < departments
        # The unacknowledged task is handed out again once its visibility timeout passes
        # (10 s in the worker settings of these tests, an hour in production).
        with running_worker(env, "crash2") as (_proc, log):
            wait_until(all_done(workers_db, departments), 120, "the redelivered pass", log)
    assert_each_due_notification_exactly_once(workers_db, departments, tmp_path / "emails")
