"""PostgreSQL restarting or out of reach: pages and the API answer 503 in Chinese with one
warning line in the log, never a 500 with a traceback, and the web process recovers by itself
once the database is back (config/database_down.py, CONN_HEALTH_CHECKS in the settings)."""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connections
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from config.csp import HEADER as CSP_HEADER
from config.database_down import DATABASE_DOWN, is_database_unavailable
from config.dbbusy import DATABASE_BUSY_PAGE
from tests.services import (
    ROOT,
    free_port,
    gunicorn_server,
    http_get,
    postgres_cluster,
    service_env,
    signed_in_user,
)

API_PROJECTS = "/api/projects/"
LOGGER = "config.database_down"


def wrapped(driver_error: Exception, cls: type = OperationalError) -> Exception:
    """The driver's error as Django raises it: its own class, the driver's error as cause."""
    try:
        raise cls(*driver_error.args) from driver_error
    except cls as exc:
        return exc


def refused() -> Exception:
    """What Django raises when nothing listens where the database should be."""
    try:
        psycopg.connect(host="127.0.0.1", port=free_port(), user="x", dbname="x")
    except psycopg.OperationalError as exc:
        return wrapped(exc)
    raise AssertionError("a closed port accepted a connection")


def sqlite_error(*sql: str, path: str = ":memory:") -> Exception:
    try:
        conn = sqlite3.connect(path, timeout=0)
        for statement in sql:
            conn.execute(statement)
    except sqlite3.OperationalError as exc:
        return wrapped(exc)
    raise AssertionError("no error")


# --- which errors mean "the database cannot be reached" ------------------------------------


def test_a_refused_connection_or_a_server_shutting_down_is_unavailable():
    assert is_database_unavailable(refused())
    assert is_database_unavailable(wrapped(psycopg.errors.AdminShutdown("terminating")))
    assert is_database_unavailable(wrapped(psycopg.errors.CannotConnectNow("starting up")))
    assert is_database_unavailable(wrapped(psycopg.errors.ConnectionFailure("lost")))
    assert is_database_unavailable(InterfaceError("connection already closed"))
    assert is_database_unavailable(sqlite_error(path="/no/such/folder/db.sqlite3"))


def test_errors_of_the_request_itself_are_not_unavailable():
    assert not is_database_unavailable(wrapped(psycopg.errors.DeadlockDetected("deadlock")))
    assert not is_database_unavailable(wrapped(psycopg.errors.QueryCanceled("timeout")))
    assert not is_database_unavailable(wrapped(psycopg.errors.UndefinedTable("no table")))
    assert not is_database_unavailable(sqlite_error("SELECT * FROM missing"))
    # SQLite's lock timeout has its own answer (config/dbbusy.py).
    assert not is_database_unavailable(OperationalError("database is locked"))
    assert not is_database_unavailable(RuntimeError("connection refused"))


# --- in the process: the middleware's answers ----------------------------------------------


@pytest.fixture
def cut(db):
    """`cut()`: from then on, every connection attempt of the test's database is refused as
    when PostgreSQL is down. Undone here, before the db fixture rolls back (monkeypatch may
    have been set up before db by an autouse fixture, and would be undone after it)."""
    error = refused()

    def refuse() -> None:
        raise wrapped(error.__cause__)

    wrapper = connections["default"]  # not the `connection` proxy: its own vars are not these

    def go() -> None:
        wrapper.ensure_connection = refuse

    yield go
    vars(wrapper).pop("ensure_connection", None)


def warnings_and_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_page_answers_503_in_chinese_with_one_warning_line(client_of, alice, cut, caplog):
    client = client_of(alice)
    cut()
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("budgets:project_list"))
    html = response.content.decode()
    assert response.status_code == 503
    assert f"<p>{DATABASE_DOWN}</p>" in html and "<h1>暂时无法访问</h1>" in html
    assert '<a class="button primary" href="/">返回首页</a>' in html
    assert "<script" not in html and "Traceback" not in html and "refused" not in html
    assert response["Retry-After"] == "5"
    assert CSP_HEADER in response
    logged = warnings_and_errors(caplog)
    assert [(r.name, r.levelname) for r in logged] == [(LOGGER, "WARNING")]
    assert "/budgets/projects/" in logged[0].getMessage() and not logged[0].exc_info


def test_the_session_and_user_read_before_the_view_fail_as_503_not_500(
    client_of, alice, monkeypatch
):
    """The connection opens, then reading the session fails (the server went down between):
    LoginRequiredMiddleware's read would be a 500; the middleware reads it first."""
    client = client_of(alice)
    client.raise_request_exception = False

    def load(self):
        raise refused()

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", load)
    response = client.get(reverse("budgets:project_list"))
    assert response.status_code == 503
    assert DATABASE_DOWN in response.content.decode()


def test_a_failure_inside_the_view_is_503(client_of, alice, monkeypatch):
    def broken(*args, **kwargs):
        raise refused()

    monkeypatch.setattr("reporting.workbench.restrict", broken)  # the home page's first read
    client = client_of(alice)
    client.raise_request_exception = False
    response = client.get(reverse("home"))
    assert response.status_code == 503
    assert DATABASE_DOWN in response.content.decode()


def test_a_failure_inside_an_api_view_is_503_json_not_a_client_error(client_of, alice, monkeypatch):
    def broken(*args, **kwargs):
        raise refused()

    monkeypatch.setattr("budgets.api.base.restrict", broken)  # every API list's first read
    client = client_of(alice)
    client.raise_request_exception = False
    response = client.get(API_PROJECTS)
    assert response.status_code == 503
    assert response.json()["detail"] == DATABASE_DOWN


def test_the_api_answers_503_json_in_its_error_shape(client_of, alice, cut):
    token = Token.objects.create(user=alice).key
    by_session = client_of(alice)
    by_token = Client(HTTP_AUTHORIZATION=f"Token {token}")
    cut()
    for client in (by_session, by_token):
        response = client.get(API_PROJECTS)
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": DATABASE_DOWN, "errors": {}}
        assert response["Retry-After"] == "5"


def test_the_login_page_answers_503_too(client, cut):
    cut()
    response = client.get(reverse("login"))
    assert response.status_code == 503
    assert DATABASE_DOWN in response.content.decode()


def test_the_liveness_probe_does_not_need_the_database(client, cut):
    cut()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("error", "status", "text"),
    [
        (OperationalError("no such table: budgets_project"), 500, "服务器错误"),
        (OperationalError("database is locked"), 503, DATABASE_BUSY_PAGE),
    ],
)
def test_other_database_errors_keep_their_own_pages(
    client_of, alice, monkeypatch, error, status, text
):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("reporting.workbench.restrict", broken)
    client = client_of(alice)
    client.raise_request_exception = False
    response = client.get(reverse("home"))
    assert response.status_code == status
    assert text in response.content.decode()


# --- settings ---------------------------------------------------------------------------------

SHOW_DATABASE = (
    "import json, django; django.setup(); from django.conf import settings;"
    "d = settings.DATABASES['default'];"
    "print(json.dumps({k: d.get(k) for k in"
    " ('ENGINE', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS', 'OPTIONS')}))"
)


def database_settings(tmp_path, url: str, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SHOW_DATABASE],
        cwd=ROOT,
        env=service_env(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DATABASE_URL=url,
            VAR_DIR=str(tmp_path),
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_postgresql_connections_are_health_checked_and_give_up_connecting(tmp_path):
    d = database_settings(tmp_path, "postgres://u:p@db:5432/x")
    assert d["CONN_MAX_AGE"] == 60 and d["CONN_HEALTH_CHECKS"] is True
    assert d["OPTIONS"] == {"connect_timeout": 5}
    d = database_settings(tmp_path, "postgres://u:p@db:5432/x", DATABASE_CONNECT_TIMEOUT="3")
    assert d["OPTIONS"] == {"connect_timeout": 3}
    # One given in the URL wins, and other options are kept.
    d = database_settings(tmp_path, "postgres://u:p@db:5432/x?connect_timeout=9&sslmode=require")
    assert d["OPTIONS"] == {"connect_timeout": 9, "sslmode": "require"}


def test_sqlite_settings_are_unchanged(tmp_path):
    d = database_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert d["CONN_MAX_AGE"] == 0 and d["CONN_HEALTH_CHECKS"] is False
    assert d["OPTIONS"]["timeout"] == 30 and "connect_timeout" not in d["OPTIONS"]


CONNECT = (
    "import time, django; django.setup(); from django.db import connection;"
    "from config.database_down import is_database_unavailable;"
    "start = time.monotonic()\n"
    "try:\n"
    "    connection.ensure_connection()\n"
    "except Exception as exc:\n"
    "    print(type(exc).__name__, is_database_unavailable(exc), time.monotonic() - start)\n"
)


def test_connecting_to_a_server_that_never_answers_gives_up_after_the_timeout(tmp_path):
    """A database host that takes the connection but never answers (overloaded, half
    partitioned): the request fails after connect_timeout, it does not hang."""
    with socket.socket() as silent:
        # The kernel completes the handshake of a listening socket; nobody ever answers.
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgres://u:p@127.0.0.1:{silent.getsockname()[1]}/x"
        done = subprocess.run(
            [sys.executable, "-c", CONNECT],
            cwd=ROOT,
            env=service_env(
                DJANGO_SETTINGS_MODULE="config.settings.base",
                DATABASE_URL=url,
                DATABASE_CONNECT_TIMEOUT="2",
                VAR_DIR=str(tmp_path),
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    name, unavailable, seconds = done.stdout.split()
    assert (name, unavailable) == ("OperationalError", "True")
    assert 1.5 < float(seconds) < 8


# --- the real thing: gunicorn on a private PostgreSQL server that is stopped and restarted ---


@dataclass
class Answer:
    started: float
    seconds: float
    status: int
    body: str


class Load(threading.Thread):
    """Request one URL over and over until stopped, recording every answer."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.answers: list[Answer] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            started = time.monotonic()
            try:
                status, _, body = http_get(self.url, headers=self.headers, timeout=15)
            except OSError as exc:  # a refused or timed-out request counts as an answer too
                status, body = 0, repr(exc)
            self.answers.append(Answer(started, time.monotonic() - started, status, body))

    def wait_for(self, status: int, since: float, count: int = 2, timeout: float = 15) -> None:
        """Until `count` answers of `status` to requests begun after `since` are recorded."""
        deadline = time.monotonic() + timeout
        while sum(a.status == status and a.started > since for a in list(self.answers)) < count:
            assert time.monotonic() < deadline, f"no {count} answers {status} in {timeout}s"
            time.sleep(0.05)

    def stop(self) -> list[Answer]:
        self.halt.set()
        self.join(timeout=30)
        return self.answers


def in_pairs(url: str, headers: dict[str, str], rounds: int) -> list[int]:
    """Statuses of `rounds` pairs of simultaneous requests: with two sync workers, each
    request of a pair is served by a different worker."""
    with ThreadPoolExecutor(2) as pool:
        return [
            status
            for _ in range(rounds)
            for status, _, _ in pool.map(lambda _: http_get(url, headers=headers), range(2))
        ]


def wait_for_200(url: str, headers: dict[str, str], timeout: float = 10) -> float:
    """Seconds until `url` answers 200."""
    start = time.monotonic()
    while http_get(url, headers=headers, timeout=15)[0] != 200:
        assert time.monotonic() - start < timeout, f"{url} not back after {timeout}s"
        time.sleep(0.05)
    return time.monotonic() - start


def assert_down_answers(server, session: dict[str, str], token: dict[str, str]) -> None:
    """What every kind of request gets while nothing listens where PostgreSQL was."""
    for path, headers in [
        ("/budgets/projects/", session),
        ("/", session),
        ("/accounts/login/", {}),
    ]:
        started = time.monotonic()
        status, response_headers, body = http_get(server.url + path, headers=headers)
        assert time.monotonic() - started < 5, path
        assert status == 503, (path, status, body[:500])
        assert DATABASE_DOWN in body and "Traceback" not in body
        assert response_headers["Retry-After"] == "5"
    for headers in (session, token):
        status, response_headers, body = http_get(server.url + API_PROJECTS, headers=headers)
        assert status == 503, body[:500]
        assert response_headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"detail": DATABASE_DOWN, "errors": {}}
    assert http_get(server.url + "/healthz")[0] == 200


def test_postgresql_stopped_and_restarted_under_load_pages_fail_cleanly_and_recover(tmp_path):
    with postgres_cluster() as cluster:
        env = service_env(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DATABASE_URL=cluster.create_database("tracker"),
            SECRET_KEY="fault-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            DEBUG="0",
            SECURE_SSL_REDIRECT="0",
            SECURE_HSTS_SECONDS="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            VAR_DIR=str(tmp_path / "var"),
            LOG_LEVEL="INFO",
        )
        session_key, token_key = signed_in_user(env)  # migrates, imports the demo workbook
        session = {"Cookie": f"sessionid={session_key}"}
        token = {"Authorization": f"Token {token_key}"}

        with gunicorn_server(env, tmp_path / "gunicorn.log", workers=2) as server:
            page = server.url + "/budgets/projects/"
            status, _, body = http_get(page, headers=session)
            assert status == 200 and "城乡居民医保管理费" in body
            status, _, body = http_get(server.url + API_PROJECTS, headers=token)
            assert status == 200 and json.loads(body)["count"] == 3
            workers = server.worker_pids()
            assert len(workers) == 2

            load = Load(page, session)
            load.start()
            try:
                load.wait_for(200, since=0)
                stopping = time.monotonic()
                cluster.stop("fast")
                try:
                    assert_down_answers(server, session, token)
                    load.wait_for(503, since=stopping, count=1)
                finally:
                    cluster.start()
                back = time.monotonic()
                assert wait_for_200(page, session) < 5
                load.wait_for(200, since=back)
                # Now with requests in flight: `fast` ends every session mid-request.
                restarting = time.monotonic()
                cluster.restart("fast")
                restarted = time.monotonic()
                assert wait_for_200(page, session) < 5
                assert http_get(server.url + API_PROJECTS, headers=token)[0] == 200
                load.wait_for(200, since=restarted)
            finally:
                answers = load.stop()

            # A restart while nobody asks: both workers keep a connection that died with it.
            assert set(in_pairs(page, session, rounds=1)) == {200}
            cluster.restart("fast")
            # CONN_HEALTH_CHECKS: the first request of each worker replaces its dead connection
            # and succeeds (without it, each worker's first request would fail).
            first = in_pairs(page, session, rounds=3)
            assert set(first) == {200}, first

            # The same processes answered throughout: nothing was restarted.
            assert server.proc.poll() is None
            assert server.worker_pids() == workers
            log = server.log_text()

    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[503] >= 1 and statuses[200] >= 3, statuses
    assert max(a.seconds for a in answers) < 5
    assert all(DATABASE_DOWN in a.body for a in answers if a.status == 503)
    # Every request begun after the server was back succeeded: no worker stayed broken.
    between = [a.status for a in answers if a.started > back and a.started + a.seconds < restarting]
    after = [a.status for a in answers if a.started > restarted]
    assert between and set(between) == {200}, between
    assert after and set(after) == {200}, after
    assert "Traceback" not in log and "Internal Server Error" not in log, log[-3000:]
    assert "database unavailable, answered 503" in log
