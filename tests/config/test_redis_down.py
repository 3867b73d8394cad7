"""Redis down: the pages still answer; a background job that cannot be handed to a worker
fails with a clear message (a form error, a 503 over the API) within about a second; jobs
started once Redis is back run; and the day's missed passes are caught up once.

The web side points at a Redis nobody listens on (settings are read at import: the Celery
app's broker and the CACHES setting are switched here, and restored). The tests with a real
worker share a database with it, as tests/tracking/test_tasks_real_worker.py does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import redis
from celery import Celery
from celery import _state as celery_state
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from budgets.models import ImportJob, Project
from budgets.services import IMPORT_QUEUE_UNAVAILABLE, import_job_create, import_job_run
from budgets.tasks import SEND_RETRY_POLICY, import_workbook_task
from config.celery import app
from config.schedule import RECOMPUTE_NIGHTLY, REMIND_DAILY
from tests.api.test_budgets_api import api, conforms, refused
from tests.budgets.test_upload import file_errors, good_workbook, upload_of
from tests.factories import PASSWORD, ProjectFactory
from tests.services import ROOT, free_port, require_binary, wait_for_port
from tests.tracking import test_tasks_real_worker as real_worker
from tests.tracking.season import bureau
from tests.tracking.test_tasks_real_worker import (
    Database,
    env_for,
    run_python,
    running_worker,
    wait_until,
)
from tracking.choices import Stage
from tracking.models import Notification, Round
from tracking.tasks import send_notification_email_task

# The real-worker tests' database: a migrated template, copied for each test.
template_db = real_worker.template_db
workers_db = real_worker.workers_db

UPLOAD = reverse("budgets:import_upload")
# A dead broker answers at once (connection refused) and the send gives up after two quick
# retries; this leaves room for a slow machine, and none for Celery's default patience.
PROMPT = 3.0


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Send this process's tasks to `url`; the pools of the old broker are dropped both ways.

    The project's app is made the current one too: shared tasks send through the current app,
    and other tests' `Celery("probe")` apps make themselves current."""
    conf = app.conf
    saved = (conf.broker_url, conf.broker_transport_options)
    previous = celery_state.get_current_app()
    app.set_current()

    def drop_pools() -> None:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    drop_pools()
    conf.broker_url, conf.broker_transport_options = url, {}
    try:
        yield
    finally:
        drop_pools()
        conf.broker_url, conf.broker_transport_options = saved
        previous.set_current()


@pytest.fixture
def redis_down(settings) -> Iterator[int]:
    """Broker (db 0) and cache (db 1) on a port nobody listens on, as in production."""
    port = free_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/1",
        }
    }
    with celery_broker(f"redis://127.0.0.1:{port}/0"):
        yield port


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- (1) the pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_main_pages_and_the_login_answer_with_redis_down(
    redis_down, client, client_of, alice, rita, unit_a
):
    # The cache really is unreachable: a page that used it would fail this test.
    with pytest.raises(redis.exceptions.ConnectionError):
        caches["default"].get("probe")
    project = ProjectFactory(unit=unit_a)
    pages = [
        "/",
        reverse("budgets:project_list"),
        reverse("budgets:project_detail", args=[project.pk]),
        reverse("tracking:inbox"),
        reverse("budgets:import_upload"),
        "/api/projects/",
    ]
    for user in (rita, alice):
        session = client_of(user)
        for url in pages:
            assert session.get(url).status_code == 200, (user.username, url)

    # Logins go through django-axes, which keeps its counts in the database, not the cache.
    login = reverse("login")
    wrong = client.post(login, {"username": "alice", "password": "wrong"})
    assert wrong.status_code == 200 and "alice" in wrong.content.decode()
    right = client.post(login, {"username": "alice", "password": PASSWORD})
    assert right.status_code == 302


# --- (2) a background job that cannot start ---------------------------------------------------


@pytest.mark.parametrize("task", [import_workbook_task, send_notification_email_task])
def test_tasks_sent_from_requests_give_up_on_a_dead_broker_quickly(task):
    with celery_broker("memory://"), mock.patch.object(app, "send_task") as send:
        task.delay(1)
        task.apply_async((2,), retry_policy={"max_retries": 5})
    assert [c.kwargs["retry_policy"] for c in send.call_args_list] == [
        SEND_RETRY_POLICY,
        {"max_retries": 5},  # a caller's own policy is kept
    ]
    assert SEND_RETRY_POLICY["max_retries"] <= 2 and SEND_RETRY_POLICY["interval_max"] <= 0.5


def job_page(client, job: ImportJob) -> str:
    response = client.get(reverse("budgets:import_job", args=[job.token]))
    assert response.status_code == 200
    return response.content.decode()


def assert_not_started(job: ImportJob) -> None:
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.problems == [IMPORT_QUEUE_UNAVAILABLE]
    assert job.finished_at is not None and job.started_at is None


@pytest.mark.django_db(transaction=True)  # on_commit runs as in production: at once
def test_a_background_upload_with_the_broker_down_says_so_on_the_form(
    redis_down, client_of, alice, unit_a, tmp_path, media
):
    client = client_of(alice)
    started = time.monotonic()
    response = client.post(UPLOAD, {"file": upload_of(good_workbook(tmp_path)), "background": "on"})
    assert time.monotonic() - started < PROMPT
    assert file_errors(response) == [IMPORT_QUEUE_UNAVAILABLE]
    job = ImportJob.objects.get()
    assert_not_started(job)
    assert job.original_name in response.content.decode()  # listed among the recent jobs

    html = job_page(client, job)
    assert "未能开始" in html and IMPORT_QUEUE_UNAVAILABLE in html
    assert "校验未通过" not in html and "hx-trigger" not in html
    assert not Project.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_small_upload_is_checked_at_once_even_with_the_broker_down(
    redis_down, client_of, alice, unit_a, tmp_path, media
):
    response = client_of(alice).post(UPLOAD, {"file": upload_of(good_workbook(tmp_path))})
    assert response.status_code == 302
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


def dry_run_done(user, tmp_path) -> ImportJob:
    """A background dry run a worker has finished (before the broker went away)."""
    job = import_job_create(user=user, upload=upload_of(good_workbook(tmp_path)), background=True)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.dry_run
    return job


@pytest.mark.django_db(transaction=True)
def test_confirming_a_background_import_with_the_broker_down_says_why_it_did_not_start(
    redis_down, client_of, alice, unit_a, tmp_path, media
):
    job = dry_run_done(alice, tmp_path)
    client = client_of(alice)
    response = client.post(reverse("budgets:import_confirm", args=[job.token]))
    assert response.status_code == 302
    assert_not_started(job)
    assert not job.dry_run
    html = job_page(client, job)
    assert "未能开始" in html and IMPORT_QUEUE_UNAVAILABLE in html
    assert not Project.objects.exists()


def assert_503(response) -> None:
    body = refused(response, 503)
    assert body == {
        "detail": IMPORT_QUEUE_UNAVAILABLE,
        "errors": {"non_field_errors": [IMPORT_QUEUE_UNAVAILABLE]},
    }
    assert response["Retry-After"] == "60"
    conforms(response, "POST")


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_when_a_background_upload_cannot_start(
    redis_down, alice, unit_a, tmp_path, media
):
    client = api(alice)
    started = time.monotonic()
    response = client.post(
        "/api/imports/",
        {"file": upload_of(good_workbook(tmp_path)), "background": "true"},
        format="multipart",
    )
    assert time.monotonic() - started < PROMPT
    assert_503(response)
    (job,) = client.get("/api/imports/").json()["results"]
    assert (job["status"], job["finished"]) == ("failed", True)
    assert job["problem_lines"] == [IMPORT_QUEUE_UNAVAILABLE]


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_when_a_confirmed_background_import_cannot_start(
    redis_down, alice, unit_a, tmp_path, media
):
    job = dry_run_done(alice, tmp_path)
    assert_503(api(alice).post(f"/api/imports/{job.pk}/confirm/"))
    assert_not_started(job)


@pytest.mark.django_db(transaction=True)
def test_a_chase_with_the_broker_down_still_notifies_and_leaves_the_emails_for_later(
    redis_down, client_of, alice, rita, unit_a
):
    # Notification e-mails are enqueued from the page; the daily pass sends what is left.
    round_ = Round.objects.create(
        division=bureau(),
        year=2024,
        stage=Stage.MONITORING,
        as_of=timezone.localdate() - timedelta(days=30),
        deadline=timezone.localdate() - timedelta(days=1),
    )
    ProjectFactory(unit=unit_a)
    started = time.monotonic()
    response = client_of(rita).post(reverse("tracking:round_chase", args=[round_.pk]))
    assert time.monotonic() - started < PROMPT
    assert response.status_code == 302
    (notification,) = Notification.objects.all()
    assert notification.recipient == alice and notification.email_sent_at is None


# --- (3) and (4) with a real Redis, stopped and started again, and a real worker ---------------


class RedisOnPort:
    """A redis-server that can be stopped and started again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.binary = require_binary("redis-server")
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@contextmanager
def restartable_redis(folder: Path) -> Iterator[RedisOnPort]:
    server = RedisOnPort(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def seed_uploader() -> None:
    """alice, staff of department 309 (whose rows good_workbook holds)."""
    from budgets.choices import Role
    from tests.factories import DepartmentFactory, UnitFactory, UserFactory

    department = DepartmentFactory(code="309", name="新乡市医疗保障局")
    UnitFactory(department=department, code="309002", name="新乡市医疗保险中心")
    UserFactory(username="alice", role=Role.STAFF, department=department)


def web_process() -> None:
    """The web side in a process of its own: for each workbook path read from stdin, alice
    posts it to the upload page as a background import; prints what came of it (JSON)."""
    from django.test import Client

    from budgets.models import ImportJob, User

    client = Client()
    client.force_login(User.objects.get(username="alice"))
    for line in sys.stdin:
        with open(line.strip(), "rb") as workbook:
            started = time.monotonic()
            response = client.post("/budgets/import/", {"file": workbook, "background": "on"})
            seconds = time.monotonic() - started
        job = ImportJob.objects.order_by("-pk").first()
        said = IMPORT_QUEUE_UNAVAILABLE in response.content.decode()
        result = {"code": response.status_code, "job": job.pk, "status": job.status}
        print(json.dumps({**result, "said": said, "seconds": seconds}), flush=True)


class Web:
    """web_process running, one upload at a time."""

    def __init__(self, env: dict[str, str]) -> None:
        code = "from tests.config.test_redis_down import web_process\nweb_process()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def upload(self, path: Path) -> dict:
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()[-3000:]
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def job_status(db: Database, job_id: int) -> str:
    return db.rows(f"SELECT status FROM budgets_importjob WHERE id = {int(job_id)}")[0][0]


@pytest.mark.services
@pytest.mark.timeout(180)
def test_a_job_started_while_redis_is_down_fails_clearly_and_one_started_after_runs(
    workers_db, tmp_path
):
    workbook = good_workbook(tmp_path)
    with restartable_redis(tmp_path) as server:
        env = env_for(workers_db, tmp_path, CELERY_BROKER_URL=server.url)
        run_python(env, "from tests.config.test_redis_down import seed_uploader\nseed_uploader()")
        with running_worker(env, "redis-down1") as (_proc, log):
            web = Web(env)
            try:
                before = web.upload(workbook)  # the web side's connection is pooled now
                assert before["code"] == 302
                wait_until(
                    lambda: job_status(workers_db, before["job"]) == "done", 60, "job 1", log
                )

                server.stop()
                down = web.upload(workbook)
                assert (down["code"], down["said"], down["status"]) == (200, True, "failed")
                assert down["seconds"] < PROMPT

                server.start()
                after = web.upload(workbook)
                assert after["code"] == 302 and after["status"] == "pending"
                # The worker reconnects on its own (after a few seconds' back-off).
                wait_until(lambda: job_status(workers_db, after["job"]) == "done", 90, "job 3", log)
            finally:
                web.close()
    assert job_status(workers_db, down["job"]) == "failed"


def seed_overdue_round() -> None:
    """A round due yesterday with one late department (alice) and a reviewer (rita); the two
    daily passes set to midnight, so that both are due whenever the test runs."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    from budgets.choices import Role
    from tests.factories import UserFactory

    seed_uploader()
    from budgets.models import Unit

    ProjectFactory(unit=Unit.objects.get(code="309002"))
    UserFactory(username="rita", role=Role.REVIEWER, department=None)
    today = timezone.localdate()
    Round.objects.create(
        division=bureau(),
        year=2024,
        stage=Stage.MONITORING,
        as_of=today - timedelta(days=30),
        deadline=today - timedelta(days=1),
    )
    midnight = CrontabSchedule.objects.create(minute="0", hour="0", timezone="Asia/Shanghai")
    PeriodicTask.objects.filter(name__in=[REMIND_DAILY, RECOMPUTE_NIGHTLY]).update(crontab=midnight)


@pytest.mark.services
@pytest.mark.timeout(180)
def test_the_catch_up_sent_through_redis_after_a_restart_runs_the_days_passes_once(
    workers_db, tmp_path
):
    from config.schedule import CATCH_UP_GRACE

    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if (
        not midnight + CATCH_UP_GRACE + timedelta(minutes=1)
        < now
        < midnight + timedelta(hours=23, minutes=58)
    ):
        pytest.skip("the passes set to midnight are not due yet, or the day ends mid-test")
    with restartable_redis(tmp_path) as server:
        env = env_for(
            workers_db, tmp_path, CELERY_BROKER_URL=server.url, CELERY_RESULT_BACKEND=server.url
        )
        run_python(
            env, "from tests.config.test_redis_down import seed_overdue_round\nseed_overdue_round()"
        )
        with running_worker(env, "catch-up1"):
            server.stop()
            server.start()
            with Celery("probe", broker=server.url, backend=server.url) as probe:
                first = probe.send_task("budgets.tasks.daily_catch_up_task")
                second = probe.send_task("budgets.tasks.daily_catch_up_task")
                assert sorted(first.get(timeout=90)) == [RECOMPUTE_NIGHTLY, REMIND_DAILY]
                assert second.get(timeout=60) == []
    today = timezone.localdate().isoformat()
    runs = workers_db.rows(
        "SELECT name, finished_at IS NOT NULL FROM budgets_scheduledrun "
        f"WHERE day = '{today}' ORDER BY name"
    )
    assert [(name, bool(done)) for name, done in runs] == [
        (RECOMPUTE_NIGHTLY, True),
        (REMIND_DAILY, True),
    ]
    assert workers_db.count() == 2  # alice's 已逾期 and rita's 逾期汇总, once each
