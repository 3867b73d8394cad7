"""Load run: 20 concurrent users on the bureau's home, the project list and the projects API,
served by gunicorn over PostgreSQL, each against a one-query floor view in the same server.

    DATABASE_URL=postgres://… python bench/load.py [--duration 15] [--connections 20]
                                                    [--workers 1,2,4] [--json]

The database must already hold the data (the scale benchmark fills it; for a try-out, the demo:
`manage.py migrate && manage.py load_demo`). The run

1. picks the latest project year and that year's round the bureau's home shows by default (the
   latest open one, else the latest; none: the floor uses round 0), and a reviewer who sees every
   区划 (`bench-reviewer`, created if no such reviewer exists), with a session and an API token;
2. for each gunicorn worker count: starts `gunicorn config.wsgi` with bench.settings (the site
   plus the floor views of bench/urls.py) on a free loopback port, warms every URL up, checks
   that each answers 200 with a real body (a 302 to the login page or a 500 must not pass as a
   fast answer), then runs wrk (`-c 20 -t 2 -d <duration>s --latency`, bench/load.lua) on each;
3. prints, per worker count, requests per second, p50 / p95 / p99 latency, errors (connect,
   read, write, timeout and every non-2xx answer) and each page's throughput as a fraction of its
   floor's, with the CPU used meanwhile by gunicorn, PostgreSQL and wrk.

Each worker count costs about (5 targets × duration) plus a few seconds of start-up and warm-up.
`run_load()` is the same run for another script (bench/scale.py); it returns the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LUA = ROOT / "bench" / "load.lua"
BENCH_USER = "bench-reviewer"
# wrk's default (2 s) would turn queueing behind one busy sync worker into timeouts, whose
# latency wrk then leaves out of the percentiles; gunicorn's own limit is what a user waits.
WRK_TIMEOUT_S = 60
GUNICORN_TIMEOUT_S = 60
STARTUP_TIMEOUT_S = 60
# Seconds per worker count besides the wrk runs (boot, warm-up, checks), for the estimate.
OVERHEAD_S = 10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class LoadError(RuntimeError):
    """The run cannot give figures: the server did not start or a URL does not answer right."""


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    url: str
    # "session": the page's session cookie; "token": the API's Authorization header.
    auth: str
    # What the body must be: "html" (a whole page), "rows" (a floor), "results" (an API list).
    body: str
    # The key of the floor target this one is compared with (None: it is a floor).
    floor: str | None = None


# --- the database: year, round, user, credentials (in a child process) ----------------------


def _prepare_here() -> dict:
    """Run in a child process with the server's environment: reads what the URLs need and
    creates the session and token (a few queries, one-off)."""
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection
    from django.db.models import Count, Max
    from rest_framework.authtoken.models import Token

    from budgets.access import is_reviewer
    from budgets.choices import Role
    from budgets.models import Payment, Project, User
    from budgets.selectors import default_as_of
    from budgets.services import user_save
    from reporting.workbench import RoundKey
    from tracking.models import Report, Round

    year = Project.objects.aggregate(year=Max("year"))["year"]
    if year is None:
        raise LoadError("the database holds no projects: fill it first")

    # The round the bureau's home shows for ?year= alone (reporting.workbench._default): the
    # latest open one, else the latest. Several 区划 share one round (a Round row each); the
    # floor takes one id, so it takes the row with the most reports.
    rounds = list(Round.objects.filter(year=year))
    pool = [r for r in rounds if r.is_open] or rounds
    round_id, round_slug, as_of = 0, "", default_as_of(year)
    if pool:
        key = max(RoundKey(r.year, r.as_of, r.stage) for r in pool)
        same = [r for r in rounds if RoundKey(r.year, r.as_of, r.stage) == key]
        counts = dict(
            Report.objects.filter(round__in=same)
            .order_by()
            .values_list("round")
            .annotate(n=Count("pk"))
        )
        round_id = max(same, key=lambda r: (counts.get(r.pk, 0), -r.pk)).pk
        round_slug, as_of = key.slug, key.as_of

    def sees_all(user: User | None) -> bool:
        return user is not None and is_reviewer(user) and user.division_id is None

    user = User.objects.filter(username=BENCH_USER).first()
    if not sees_all(user):
        user = (
            User.objects.filter(role=Role.REVIEWER, division__isnull=True, is_active=True)
            .order_by("pk")
            .first()
        )
    if not sees_all(user):
        user, _ = user_save(username=BENCH_USER, role_text=Role.REVIEWER.label)

    # A logged-in session as django.contrib.auth.login leaves it, without a password.
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    token, _ = Token.objects.get_or_create(user=user)

    return {
        "database": f"{connection.vendor} {connection.Database.__name__}",
        "server_version": getattr(connection, "pg_version", None),
        "year": year,
        "projects": Project.objects.filter(year=year).count(),
        "payments": Payment.objects.filter(year=year).count(),
        "round": round_id,
        "round_slug": round_slug,
        "as_of": as_of.isoformat(),
        "project_as_of": default_as_of(year).isoformat(),
        "user": user.username,
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        "token": token.key,
    }


def _prepare(env: dict[str, str]) -> dict:
    """The setup of `_prepare_here`, in a child process: the caller may have set Django up for
    another database or settings module (bench/scale.py does)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--prepare"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise LoadError(f"preparing the database failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the server -----------------------------------------------------------------------------


def _server_env(database_url: str, secret_key: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        # One key for the session made in _prepare and the server that reads it.
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        # The run's scratch files (celery's folders, static root) stay out of the site's var/.
        VAR_DIR=str(ROOT / "bench" / "out" / "var"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def _gunicorn() -> str:
    """The gunicorn of this interpreter's environment (the project's .venv)."""
    for candidate in (Path(sys.executable).parent / "gunicorn", ROOT / ".venv/bin/gunicorn"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("gunicorn")
    if not found:
        raise LoadError("gunicorn is not installed (pip install -r requirements.txt)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`gunicorn config.wsgi --workers N` on a free loopback port, in a process group of its
    own so that stopping it leaves no worker behind."""

    def __init__(self, workers: int, env: dict[str, str]):
        self.workers = workers
        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix=f"load-gunicorn-{workers}w-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [
                _gunicorn(),
                "config.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                str(GUNICORN_TIMEOUT_S),
                "--graceful-timeout",
                "10",
                "--chdir",
                str(ROOT),
                "--error-logfile",
                "-",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, size: int = 3000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-size:]

    def wait_ready(self) -> float:
        started = time.monotonic()
        while time.monotonic() - started < STARTUP_TIMEOUT_S:
            if self.process.poll() is not None:
                raise LoadError(f"gunicorn exited at start-up:\n{self.log_tail()}")
            try:
                status, _, _ = fetch(self.port, "/healthz", {}, timeout=2)
                if status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        raise LoadError(f"gunicorn did not answer in {STARTUP_TIMEOUT_S} s:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        """The master and its workers."""
        return [self.process.pid, *_children(self.process.pid)]

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                # TERM: gunicorn stops its workers gracefully, then exits.
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
            # A worker that outlived its master is still in the group this run created.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        finally:
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)


def fetch(
    port: int, url: str, headers: dict[str, str], timeout: float = 120
) -> tuple[int, str, bytes]:
    """One GET without following redirects: status, content type, body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def check(port: int, target: Target, headers: dict[str, str]) -> int:
    """Raise LoadError unless the URL answers 200 with the body it should; the body's size."""
    status, content_type, body = fetch(port, target.url, headers)
    problem = ""
    if status != 200:
        problem = f"status {status}"
    elif target.body == "html":
        if "text/html" not in content_type or len(body) < 2000 or b"</html>" not in body:
            problem = f"not a whole page ({content_type}, {len(body)} bytes)"
    else:
        try:
            rows = json.loads(body).get(target.body)
        except ValueError:
            rows = None
        if not rows:
            problem = f"no {target.body} in the JSON ({len(body)} bytes)"
    if problem:
        preview = body[:300].decode(errors="replace")
        raise LoadError(f"{target.label} {target.url}: {problem}\n{preview}")
    return len(body)


# --- CPU accounting from /proc ----------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces: the fields start after the last ")".
    return [text[text.index("(") + 1 : text.rindex(")")], *text[text.rindex(")") + 2 :].split()]


def _all_stats() -> dict[int, list[str]]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            stats[int(entry)] = stat
    return stats


def _children(parent: int) -> list[int]:
    # Field 4 of /proc/PID/stat (index 2 here, after the name and the state) is the parent.
    return [pid for pid, stat in _all_stats().items() if stat[2] == str(parent)]


def _ticks(stat: list[str]) -> int:
    # utime and stime: fields 14 and 15 of /proc/PID/stat.
    return int(stat[12]) + int(stat[13])


def _postgres_ticks() -> dict[int, int]:
    """CPU ticks of every PostgreSQL process on the machine (the server runs here, on
    loopback): the backends serving gunicorn, and whatever else the server does meanwhile."""
    return {pid: _ticks(stat) for pid, stat in _all_stats().items() if stat[0] == "postgres"}


def _machine() -> tuple[int, int]:
    """Busy and total ticks of all CPUs (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


@dataclass
class CpuSnapshot:
    gunicorn: int
    postgres: dict[int, int]
    machine: tuple[int, int]
    children: float

    @classmethod
    def take(cls, server: Server) -> CpuSnapshot:
        gunicorn = sum(_ticks(stat) for pid in server.pids() if (stat := _stat(pid)))
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(gunicorn, _postgres_ticks(), _machine(), usage.ru_utime + usage.ru_stime)

    def since(self, before: CpuSnapshot, wall: float, requests: int) -> dict:
        postgres = sum(t - before.postgres.get(pid, 0) for pid, t in self.postgres.items())
        busy = self.machine[0] - before.machine[0]
        total = self.machine[1] - before.machine[1]
        gunicorn_s = (self.gunicorn - before.gunicorn) / CLOCK_TICKS
        postgres_s = postgres / CLOCK_TICKS
        # wrk has exited by now: RUSAGE_CHILDREN holds its CPU (gunicorn is not yet reaped).
        wrk_s = self.children - before.children
        # What the rest of the machine took meanwhile: a shared machine makes the figures noisy.
        busy_s = (os.cpu_count() or 1) * wall * busy / total if total else 0.0
        return {
            "gunicorn_cores": round(gunicorn_s / wall, 2),
            "gunicorn_ms_per_request": round(1000 * gunicorn_s / requests, 2) if requests else None,
            "postgres_cores": round(postgres_s / wall, 2),
            "wrk_cores": round(wrk_s / wall, 2),
            "other_cores": round(max(0.0, busy_s - gunicorn_s - postgres_s - wrk_s) / wall, 2),
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        }


# --- wrk ------------------------------------------------------------------------------------


def _wrk() -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if not found:
        raise LoadError("wrk is not installed (apt-get install wrk)")
    return found


def run_wrk(port: int, url: str, header: str, *, duration: int, connections: int) -> dict:
    command = [
        _wrk(),
        "-c",
        str(connections),
        "-t",
        str(min(2, connections)),
        "-d",
        f"{duration}s",
        "--timeout",
        f"{WRK_TIMEOUT_S}s",
        "--latency",
        "-s",
        str(LUA),
        "-H",
        header,
        f"http://127.0.0.1:{port}{url}",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + WRK_TIMEOUT_S + 30
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"requests"')]
    if done.returncode != 0 or not lines:
        raise LoadError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[-1])


# --- the run --------------------------------------------------------------------------------


def targets(setup: dict) -> list[Target]:
    """Each floor before the pages compared with it, in the same server."""
    year = setup["year"]
    home = f"/?year={year}" + (f"&round={setup['round_slug']}" if setup["round_slug"] else "")
    return [
        Target(
            "floor_bureau_home",
            "floor: bureau_home",
            f"/bench/floor/bureau_home/?year={year}&as_of={setup['as_of']}&round={setup['round']}",
            "session",
            "rows",
        ),
        Target("bureau_home", "bureau home /", home, "session", "html", "floor_bureau_home"),
        Target(
            "floor_project_page",
            "floor: project_page",
            f"/bench/floor/project_page/?year={year}&as_of={setup['project_as_of']}",
            "session",
            "rows",
        ),
        Target(
            "project_list",
            "project list",
            f"/budgets/projects/?year={year}",
            "session",
            "html",
            "floor_project_page",
        ),
        Target(
            "api_projects",
            "projects API",
            f"/api/projects/?year={year}",
            "token",
            "results",
            "floor_project_page",
        ),
    ]


def _headers(target: Target, setup: dict) -> dict[str, str]:
    if target.auth == "token":
        return {"Authorization": f"Token {setup['token']}"}
    return {"Cookie": setup["cookie"]}


def _warm_up(port: int, plan: list[Target], setup: dict, workers: int) -> None:
    """A few concurrent GETs of every URL, so each worker has imported, connected and loaded
    its templates before anything is timed."""
    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        for target in plan:
            headers = _headers(target, setup)
            calls = [pool.submit(fetch, port, target.url, headers) for _ in range(3 * workers)]
            for call in calls:
                call.result()


def run_workers(
    workers: int,
    env: dict[str, str],
    setup: dict,
    *,
    duration: int,
    connections: int,
) -> dict:
    """Every target under wrk against one gunicorn with this many workers."""
    server = Server(workers, env)
    results: dict[str, dict] = {}
    try:
        boot = server.wait_ready()
        plan = targets(setup)
        _warm_up(server.port, plan, setup, workers)
        for target in plan:
            headers = _headers(target, setup)
            size = check(server.port, target, headers)
            ((name, value),) = headers.items()
            before = CpuSnapshot.take(server)
            figures = run_wrk(
                server.port,
                target.url,
                f"{name}: {value}",
                duration=duration,
                connections=connections,
            )
            wall = figures["duration_us"] / 1e6
            cpu = CpuSnapshot.take(server).since(before, wall, figures["requests"])
            detail = {k: figures[k] for k in ("connect", "read", "write", "timeout", "non2xx")}
            results[target.key] = {
                "label": target.label,
                "url": target.url,
                "body_bytes": size,
                "requests": figures["requests"],
                "duration_s": round(wall, 2),
                "rps": round(figures["requests"] / wall, 1),
                "p50_ms": round(figures["p50_us"] / 1000, 1),
                "p95_ms": round(figures["p95_us"] / 1000, 1),
                "p99_ms": round(figures["p99_us"] / 1000, 1),
                "mean_ms": round(figures["mean_us"] / 1000, 1),
                "max_ms": round(figures["max_us"] / 1000, 1),
                "errors": sum(detail.values()),
                "error_detail": detail,
                "floor": target.floor,
                "cpu": cpu,
            }
        if server.process.poll() is not None:
            raise LoadError(f"gunicorn died during the run:\n{server.log_tail()}")
        log = server.log_tail(size=10_000_000)
    finally:
        server.stop()
    for result in results.values():
        floor = results.get(result["floor"]) if result["floor"] else None
        result["vs_floor"] = (
            round(result["rps"] / floor["rps"], 3) if floor and floor["rps"] else None
        )
    # Tracebacks or worker timeouts in gunicorn's log are findings too.
    warnings = [line for line in log.splitlines() if "ERROR" in line or "CRITICAL" in line]
    return {"boot_s": round(boot, 1), "targets": results, "server_errors": warnings[-20:]}


def table(workers: int, run: dict, *, duration: int, connections: int) -> str:
    lines = [
        f"== gunicorn --workers {workers}: {connections} connections, {duration} s per target "
        f"(boot {run['boot_s']} s) ==",
        f"  {'target':<22}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'vs floor':>10}{'web cpu':>9}{'pg cpu':>8}{'wrk cpu':>9}{'others':>8}",
    ]
    for result in run["targets"].values():
        ratio = f"{result['vs_floor']:.2f}×" if result["vs_floor"] is not None else "—"
        cpu = result["cpu"]
        lines.append(
            f"  {result['label']:<22}{result['rps']:>8.1f}{result['p50_ms']:>9.1f}"
            f"{result['p95_ms']:>9.1f}{result['p99_ms']:>9.1f}{result['errors']:>8}{ratio:>10}"
            f"{cpu['gunicorn_cores']:>9.2f}{cpu['postgres_cores']:>8.2f}{cpu['wrk_cores']:>9.2f}"
            f"{cpu['other_cores']:>8.2f}"
        )
    for line in run["server_errors"]:
        lines.append(f"  gunicorn: {line}")
    return "\n".join(lines)


def run_load(
    database_url: str,
    *,
    duration: int,
    connections: int,
    workers: list[int],
    log: Callable[[str], None] = print,
) -> dict:
    """The load run on an already filled database; returns what `--json` prints:
    `{"load": {"setup": {...}, "workers": {"1": {"bureau_home": {...}, …}, …}, …}}`, one key
    so that a caller can merge it into its own figures. `log` receives the progress lines
    and the tables."""
    if duration < 1 or connections < 1 or not workers or min(workers) < 1:
        raise ValueError("duration, connections and worker counts must be positive")
    started = time.monotonic()
    env = _server_env(database_url, secrets.token_urlsafe(50))
    setup = _prepare(env)
    plan = targets(setup)
    estimate = len(workers) * (len(plan) * duration + OVERHEAD_S)
    log(
        f"load run: {setup['database']}, year {setup['year']} ({setup['projects']} projects, "
        f"{setup['payments']} payments), round {setup['round_slug'] or 'none'} "
        f"(id {setup['round']}, as of {setup['as_of']}), user {setup['user']}"
    )
    log(
        f"  {len(plan)} targets × {len(workers)} worker counts × {duration} s ≈ "
        f"{estimate // 60} min {estimate % 60} s; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    log(
        "  cpu columns: cores used while the target ran, by gunicorn (master and workers), "
        "PostgreSQL, wrk, and the rest of the machine"
    )
    runs: dict[str, dict] = {}
    for count in workers:
        run = run_workers(count, env, setup, duration=duration, connections=connections)
        runs[str(count)] = run
        log(table(count, run, duration=duration, connections=connections))
    elapsed = time.monotonic() - started
    log(f"whole load run: {elapsed:.0f} s")
    load = {
        "setup": {k: v for k, v in setup.items() if k not in ("cookie", "token")},
        "duration": duration,
        "connections": connections,
        "cpus": os.cpu_count(),
        "workers": {count: run["targets"] for count, run in runs.items()},
        "servers": {
            count: {"boot_s": run["boot_s"], "server_errors": run["server_errors"]}
            for count, run in runs.items()
        },
        "elapsed_s": round(elapsed, 1),
    }
    return {"load": load}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per target")
    parser.add_argument("--connections", type=int, default=20, help="concurrent users")
    parser.add_argument(
        "--workers", default="1,2,4", help="gunicorn worker counts, comma-separated"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        print(json.dumps(_prepare_here()))
        return 0
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        parser.error("set DATABASE_URL to the filled database")
    try:
        workers = [int(part) for part in args.workers.split(",") if part.strip()]
    except ValueError:
        parser.error(f"--workers: not a list of numbers: {args.workers}")
    try:
        result = run_load(
            database_url,
            duration=args.duration,
            connections=args.connections,
            workers=workers,
        )
    except (LoadError, ValueError) as exc:
        print(f"load run failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
