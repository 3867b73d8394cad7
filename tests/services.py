"""Start real services for tests: a throwaway Redis server, Celery worker processes, a private
PostgreSQL server and the gunicorn web server."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def require_binary(name: str) -> str:
    """Path of a system binary; in CI a missing one fails the test instead of skipping it."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path:
        return path
    message = f"{name} is not installed (apt-get install it, as .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


@contextmanager
def redis_server(tmp_path: Path) -> Iterator[str]:
    """Run redis-server on a free loopback port; yields its redis:// URL."""
    binary = require_binary("redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def service_env(**overrides: str) -> dict[str, str]:
    """The environment for a subprocess of the project (worker, command) in tests."""
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "test-only-secret-key")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["PYTHONPATH"] = str(ROOT)
    env.update(overrides)
    return env


@contextmanager
def celery_worker(
    env: dict[str, str], *, concurrency: int = 1, name: str = "w1"
) -> Iterator[subprocess.Popen]:
    """Run a real `celery worker` process; stops it (TERM, then KILL) on exit."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--hostname={name}@%h",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- a private PostgreSQL server and the real web server, for fault tests -------------------
# Reused by bench/faults.py. The shared PostgreSQL of the machine (CI's, a developer's) is
# never stopped: a test that restarts PostgreSQL runs its own cluster in a temporary folder.


def _missing(message: str) -> None:
    """In CI a missing system service fails the test; on a developer's machine it skips."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL server programs (initdb, pg_ctl), as Debian lays them out."""
    found = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if (path.parent / "pg_ctl").exists()
    ]
    if not found:
        _missing("the PostgreSQL server is not installed (apt-get install postgresql, as .ci/run)")
    return max(found, key=lambda bindir: [int(p) for p in bindir.parent.name.split(".")])


@dataclass
class PostgresCluster:
    """A PostgreSQL server of a test's own (postgres_cluster), on a free loopback port."""

    bindir: Path
    root: Path
    port: int
    user: str = "tracker"
    password: str = "tracker"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        # initdb refuses to run as root: as root, the server runs as the postgres user.
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*as_owner, str(self.bindir / program), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed: {done.stderr}\n{tail}")

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", *args)

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` ends every session as `systemctl restart postgresql` does."""
        self._ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._ctl("restart", "-m", mode)

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """initdb and start a throwaway PostgreSQL server; stopped and deleted on exit.

    Durability is off (fsync, synchronous_commit): the data is thrown away, and `migrate`
    runs several times faster without it. A clean stop still leaves a consistent cluster, so
    restarts behave as in production.
    """
    bindir = postgres_bindir()
    root = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
    cluster = PostgresCluster(bindir=bindir, root=root, port=free_port())
    try:
        (root / "pwfile").write_text(cluster.password + "\n")
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                _missing("the postgres user does not exist (apt-get install postgresql)")
            # Not under pytest's tmp_path: its parent folders are private to root.
            for path in (root, root / "pwfile"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        cluster._run(
            "initdb",
            "-D",
            str(cluster.data),
            "-U",
            cluster.user,
            f"--pwfile={root / 'pwfile'}",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        with (cluster.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\n"
                f"port = {cluster.port}\n"
                f"unix_socket_directories = '{root}'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )
        cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            with suppress(Exception):
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def http_get(
    url: str, *, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], str]:
    """GET without following redirects: (status, headers, body); an HTTP error is an answer."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def signed_in_user(
    env: dict[str, str], *, migrate: bool = True, demo_data: bool = True
) -> tuple[str, str]:
    """An administrator in the database `env` points at, signed in: (session key, API token).

    With `migrate`, the database is migrated first; with `demo_data`, the demo workbook's
    projects are imported, so the pages have rows — all in one process (Django starts once).
    The session is made as login() makes it, without the login form's CSRF dance.
    """
    code = (
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from django.core.management import call_command\n"
        "from rest_framework.authtoken.models import Token\n"
        "from budgets.models import User\n"
        f"if {migrate!r}:\n"
        "    call_command('migrate', interactive=False, verbosity=0)\n"
        f"if {demo_data!r}:\n"
        "    call_command('import_workbook', 'demo/xinxiang-center-2024.xlsx', verbosity=0)\n"
        "user = User.objects.create_user('faults', password='faults-password-1', role='admin',"
        " is_staff=True, is_superuser=True)\n"
        "session = SessionStore()\n"
        "session[SESSION_KEY] = str(user.pk)\n"
        "session[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "session[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "session.create()\n"
        "print(session.session_key, Token.objects.create(user=user).key)\n"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"creating the signed-in user failed: {done.stderr[-3000:]}")
    session_key, token = done.stdout.split()[-2:]
    return session_key, token


@dataclass
class WebServer:
    """A running gunicorn (gunicorn_server): its master process, address and log."""

    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> set[int]:
        """The master's children: gunicorn's workers, as /proc lists them."""
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with suppress(OSError):
                # pid (comm) state ppid …; comm may hold spaces, so split after its ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid:
                    pids.add(int(stat.parent.name))
        return pids

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn_server(
    env: dict[str, str], log: Path, *, workers: int = 2, timeout: int = 30
) -> Iterator[WebServer]:
    """Run the production web server (gunicorn config.wsgi) on a free loopback port, its
    output in `log`; ready once /healthz answers. Stopped (TERM, then KILL) on exit."""
    port = free_port()
    with log.open("w") as output:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                str(timeout),
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = WebServer(proc=proc, port=port, log=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{server.log_text()}")
            with suppress(OSError):
                if http_get(f"{server.url}/healthz", timeout=2)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"gunicorn did not answer in 30 s:\n{server.log_text()}")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
