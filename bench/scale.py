"""Province scale: N projects in the database of DATABASE_URL, each figure against its floor.

    python bench/scale.py --projects 2000 [--json]            # SQLite file in bench/out/
    DATABASE_URL=postgres://u:p@127.0.0.1/throwaway python bench/scale.py --projects 20000 --json

Generates (once; cached in bench/out/) the workbook of a province (bench/province.py: N
projects, N/100 departments over several 区划 with repeated department codes, 8 indicators
and 100 payments per project, basic expenditure, adjustments for half the projects), then,
each step in a child process of its own (so a peak memory figure is that step's own):

1. read: a bare openpyxl read-only pass over every row of the file (the import's floor);
2. small: a 5-project province imported and seeded, to count the pages' queries;
3. import: `run_import` of the N-project workbook into an emptied database (all sheets, one
   transaction, the audit trail written), and its peak memory;
4. measure: seeds monitoring and self-evaluation rounds with reports for 4 projects in 5,
   then times the rate recompute (`rates_snapshot_save` of a new date: every snapshot
   written) against one SQL aggregate of executed and adjusted per project, the bureau's
   and a department's home, the project list page and the projects API list, each against a
   view running one SQL query (bench/floors.py, served by bench/urls.py);
5. load (PostgreSQL, or with --load): bench/load.py — gunicorn and wrk, 20 connections.

Every timed figure is the best of --runs runs (default 3). **The database is emptied**: point
DATABASE_URL at a throwaway one. With --json the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from bench.province import INDICATORS, Province, cost_target, generate  # noqa: E402

YEAR = 2024
MONITORING_AS_OF = date(YEAR, 6, 30)
SELF_EVALUATION_AS_OF = date(YEAR, 12, 31)
RECOMPUTE_AS_OF = date(YEAR, 12, 31)
SMALL = 5
REVIEWER = "bench-reviewer"
STAFF = "bench-staff"


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def best(run: Callable[[], Any], runs: int) -> float:
    """The shortest of `runs` timed calls, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


# --- the children ---------------------------------------------------------------------------


def read_floor(path: Path) -> dict:
    """A bare openpyxl read-only pass over every row of every sheet (values only)."""
    import openpyxl

    started = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for sheet in workbook.worksheets for _ in sheet.iter_rows(values_only=True))
    workbook.close()
    return {"read_s": time.perf_counter() - started, "rows": rows, "peak_mb": max_rss_mb()}


def setup_django(database_url: str) -> None:
    """Production-like settings (DEBUG off, no query log) plus the floor views."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["VAR_DIR"] = str(OUT / "var")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()


def reset_database(database_url: str) -> None:
    """An empty, migrated database: a new SQLite file, or every table of PostgreSQL emptied."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.close()
        name = Path(connection.settings_dict["NAME"])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor != "sqlite":
        call_command("flush", verbosity=0, interactive=False)


def import_child(database_url: str, workbook: Path) -> dict:
    # A whole province in one file passes the 50 MB upload limit: the operator raises it
    # (IMPORT_MAX_UPLOAD_BYTES, docs/operations.md) for such an import, as this does.
    limit = max(workbook.stat().st_size * 2, 50 * 1024 * 1024)
    os.environ["IMPORT_MAX_UPLOAD_BYTES"] = str(limit)
    setup_django(database_url)
    reset_database(database_url)
    from budgets.importer import run_import

    before = max_rss_mb()
    started = time.perf_counter()
    imported = run_import(workbook)
    seconds = time.perf_counter() - started
    if not imported.ok:
        raise SystemExit("import failed:\n" + "\n".join(map(str, imported.problems[:20])))
    return {
        "import_s": seconds,
        "validate_s": imported.validate_seconds,
        "write_s": imported.write_seconds,
        "peak_mb": max_rss_mb(),
        "rss_before_mb": before,
        "summary": imported.summary(),
    }


def seed() -> dict[str, int]:
    """Users, a monitoring and a self-evaluation round in every 区划, reports for 4 projects in
    5 (drafts, submitted, approved, returned) with an actual on each indicator line."""
    from django.db import transaction

    from budgets.choices import Role
    from budgets.models import Department, Project, User
    from performance.models import Indicator
    from tracking.choices import Light, ReportStatus, Stage
    from tracking.models import Report, ReportIndicator
    from tracking.services import rounds_open

    actuals = {(level1, name): actual for level1, _, name, _, actual in INDICATORS}
    with transaction.atomic():
        User.objects.create_user(REVIEWER, role=Role.REVIEWER, name="基准审核人")
        first = Department.objects.order_by("division__code", "code").first()
        staff = User.objects.create_user(STAFF, role=Role.STAFF, department=first, name="基准经办")
        stages = (
            (Stage.MONITORING, MONITORING_AS_OF, date(YEAR, 7, 15)),
            (Stage.SELF_EVALUATION, SELF_EVALUATION_AS_OF, date(YEAR + 1, 1, 20)),
        )
        projects = list(
            Project.objects.filter(year=YEAR)
            .order_by("pk")
            .values_list("pk", "department__division_id", "initial_budget")
        )
        statuses = [ReportStatus.DRAFT] * 2 + [ReportStatus.SUBMITTED] * 3
        statuses += [ReportStatus.APPROVED] * 4 + [ReportStatus.RETURNED]
        lights = [Light.GREEN, Light.GREEN, Light.YELLOW, Light.RED, Light.BLUE]
        counts = {"reports": 0, "lines": 0}
        for stage, as_of, deadline in stages:
            rounds = {
                round_.division_id: round_
                for round_, _ in rounds_open(year=YEAR, stage=stage, as_of=as_of, deadline=deadline)
            }
            sent_at = datetime.combine(deadline, datetime.min.time(), UTC) - timedelta(days=5)
            reports = []
            for n, (pk, division_id, _) in enumerate(projects):
                if n % 5 == 4:
                    continue
                status = statuses[(n // 10 + n) % len(statuses)]
                sent = status != ReportStatus.DRAFT
                scored = stage == Stage.SELF_EVALUATION and sent
                reports.append(
                    Report(
                        round=rounds[division_id],
                        project_id=pk,
                        status=status,
                        target_light=lights[n % len(lights)] if sent else "",
                        budget_warning=("green", "yellow", "red")[n % 3],
                        deviations=n % 3,
                        score=(60 + n % 40) if scored else None,
                        grade=("优", "良", "中", "差")[n % 4] if scored else "",
                        submitted_at=sent_at + timedelta(minutes=n % 1000) if sent else None,
                        submitted_by=staff if sent else None,
                    )
                )
            Report.objects.bulk_create(reports, batch_size=2000)
            sent_ids = dict(
                Report.objects.filter(round__in=rounds.values())
                .exclude(status=ReportStatus.DRAFT)
                .values_list("project_id", "pk")
            )
            budgets = {pk: initial for pk, _, initial in projects}
            lines = []
            indicators = Indicator.objects.filter(project_id__in=list(sent_ids)).values_list(
                "pk", "project_id", "level1", "name"
            )
            for pk, project_id, level1, name in indicators.iterator(chunk_size=5000):
                actual = actuals[(level1, name)] or cost_target(budgets[project_id])[1:]
                lines.append(
                    ReportIndicator(
                        report_id=sent_ids[project_id],
                        indicator_id=pk,
                        actual_raw=actual,
                        expected_raw=actual,
                        light=Light.GREEN,
                    )
                )
                if len(lines) >= 5000:
                    ReportIndicator.objects.bulk_create(lines)
                    counts["lines"] += len(lines)
                    lines = []
            ReportIndicator.objects.bulk_create(lines)
            counts["lines"] += len(lines)
            counts["reports"] += len(reports)
    return counts


class Pages:
    """The measured pages, each with the floor view answering from one SQL query."""

    def __init__(self) -> None:
        from django.test import Client
        from rest_framework.authtoken.models import Token

        from budgets.models import User
        from budgets.rates import time_progress
        from reporting.workbench import RoundKey
        from tracking.choices import Stage
        from tracking.models import Round

        self.reviewer = User.objects.get(username=REVIEWER)
        self.staff = User.objects.get(username=STAFF)
        round_ = Round.objects.filter(year=YEAR, stage=Stage.MONITORING).order_by("pk").first()
        token, _ = Token.objects.get_or_create(user=self.reviewer)
        self.token = token.key
        self.clients = {}
        for user in (self.reviewer, self.staff):
            client = Client()
            client.force_login(user)
            self.clients[user.username] = client
        # The homes show the monitoring round (named in the query, as its picker does) and
        # the money as of its date; the floor takes the same round and date.
        slug = RoundKey(round_.year, round_.as_of, round_.stage).slug
        home = f"year={YEAR}&as_of={MONITORING_AS_OF}&round={round_.pk}"
        page = f"/?year={YEAR}&round={slug}"
        # The list pages show the year's figures up to today: the whole (past) year here.
        listing = f"year={YEAR}&as_of={date(YEAR, 12, 31)}"
        staff_home = f"{home}&department={self.staff.department_id}"
        self.progress = time_progress(MONITORING_AS_OF)
        # (name, user, page path, floor path, API token?)
        self.targets = [
            ("bureau_home", REVIEWER, page, f"/bench/floor/bureau_home/?{home}", False),
            ("staff_home", STAFF, page, f"/bench/floor/bureau_home/?{staff_home}", False),
            (
                "project_list",
                REVIEWER,
                f"/budgets/projects/?year={YEAR}",
                f"/bench/floor/project_page/?{listing}",
                False,
            ),
            (
                "api_list",
                REVIEWER,
                f"/api/projects/?year={YEAR}",
                f"/bench/floor/project_page/?{listing}",
                True,
            ),
        ]

    def get(self, user: str, path: str, api: bool) -> int:
        client = self.clients[user]
        extra = {"HTTP_AUTHORIZATION": f"Token {self.token}"} if api else {}
        response = client.get(path, **extra)
        if response.status_code != 200 or len(response.content) < 200:
            raise SystemExit(f"{path} as {user}: {response.status_code} {response.content[:300]!r}")
        return len(response.content)

    def queries(self) -> dict[str, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = {}
        for name, user, path, _, api in self.targets:
            self.get(user, path, api)  # warm-up
            with CaptureQueriesContext(connection) as captured:
                self.get(user, path, api)
            counts[name] = len(captured)
        return counts

    def times(self, runs: int) -> dict[str, float]:
        """Best of `runs` GETs (after a warm-up) of each page and of its floor view."""
        figures = {}
        for name, user, path, floor, api in self.targets:
            for target, key, token in ((path, name, api), (floor, f"{name}_floor", False)):
                self.get(user, target, token)
                figures[f"{key}_s"] = best(partial(self.get, user, target, token), runs)
        return figures


def small_child(database_url: str, workbook: Path) -> dict:
    setup_django(database_url)
    reset_database(database_url)
    from budgets.importer import run_import

    imported = run_import(workbook)
    if not imported.ok:
        raise SystemExit("import failed:\n" + "\n".join(map(str, imported.problems[:20])))
    seed()
    # As in the large run, whose recompute comes first: the homes' trend reads snapshots.
    from budgets.services import rates_snapshot_save

    rates_snapshot_save(as_of=RECOMPUTE_AS_OF)
    return {"queries_small": Pages().queries()}


def measure_child(database_url: str, runs: int) -> dict:
    setup_django(database_url)
    from django.db import connection

    from bench import floors
    from budgets.models import DepartmentRateSnapshot, Project, ProjectRateSnapshot, User
    from budgets.services import rates_snapshot_save

    result: dict[str, Any] = {"vendor": connection.vendor}
    started = time.perf_counter()
    # Seeded already when the step is run again on the same database (`--child measure`).
    if not User.objects.filter(username=REVIEWER).exists():
        result["seeded"] = seed()
    result["seed_s"] = time.perf_counter() - started
    result["projects"] = Project.objects.count()

    def recompute() -> None:
        ProjectRateSnapshot.objects.filter(as_of=RECOMPUTE_AS_OF).delete()
        DepartmentRateSnapshot.objects.filter(as_of=RECOMPUTE_AS_OF).delete()
        started = time.perf_counter()
        rates_snapshot_save(as_of=RECOMPUTE_AS_OF)
        times.append(time.perf_counter() - started)

    times: list[float] = []
    for _ in range(runs):
        recompute()
    result["recompute_s"] = min(times)
    started = time.perf_counter()
    again = rates_snapshot_save(as_of=RECOMPUTE_AS_OF)
    result["recompute_again_s"] = time.perf_counter() - started
    result["recompute_line"] = again.summary()

    sql, params = floors.recompute(YEAR, RECOMPUTE_AS_OF)

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    floor()
    result["floor_s"] = best(floor, runs)

    pages = Pages()
    result["queries_large"] = pages.queries()
    result.update(pages.times(max(runs, 3)))
    return result


# --- the parent -----------------------------------------------------------------------------


def run_child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench/scale.py: the {args[0]} step failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def workbook_for(projects: int, say: Callable[[str], None]) -> Path:
    province = Province(projects, YEAR)
    path = OUT / f"province-{province.label}.xlsx"
    if path.exists():
        say(f"workbook: {path.relative_to(ROOT)} (cached)")
        return path
    started = time.perf_counter()
    counts = generate(path, province)
    say(
        f"workbook: {path.relative_to(ROOT)} generated in {time.perf_counter() - started:.1f} s"
        f" — {province.departments} departments in {province.divisions} 区划, "
        + ", ".join(f"{name} {n:,}" for name, n in counts.items())
    )
    return path


def ratio(value: float, floor: float) -> float:
    return round(value / floor, 2) if floor else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="best of this many (default 3)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--load", action="store_true", help="the load run on SQLite too")
    parser.add_argument("--no-load", action="store_true", help="skip the load run")
    parser.add_argument("--load-duration", type=int, default=15)
    parser.add_argument("--load-workers", default="1,2,4")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, *rest = args.child
        if step == "read":
            out = read_floor(Path(rest[0]))
        elif step == "import":
            out = import_child(rest[0], Path(rest[1]))
        elif step == "small":
            out = small_child(rest[0], Path(rest[1]))
        else:
            out = measure_child(rest[0], int(rest[1]))
        print(json.dumps(out, ensure_ascii=False, default=str))
        return

    def say(text: str) -> None:
        print(text, flush=True)

    OUT.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{OUT / 'scale.sqlite3'}"
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    whole = time.perf_counter()
    say(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()},"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; database: {database_url.split('@')[-1]}"
    )
    large = workbook_for(args.projects, say)
    small = workbook_for(SMALL, say)
    runs = max(1, args.runs)
    figures: dict[str, Any] = {"projects": args.projects, "runs": runs}

    reads = [run_child("read", str(large)) for _ in range(runs)]
    figures["read_s"] = min(r["read_s"] for r in reads)
    figures["rows"] = reads[0]["rows"]
    figures["read_peak_mb"] = min(r["peak_mb"] for r in reads)
    say(f"read (openpyxl, {figures['rows']:,} rows): {figures['read_s']:.2f} s")

    figures["queries_small"] = run_child("small", database_url, str(small))["queries_small"]
    imports = []
    for n in range(runs):
        imports.append(run_child("import", database_url, str(large)))
        say(f"import run {n + 1}: {imports[-1]['import_s']:.2f} s, {imports[-1]['peak_mb']:.0f} MB")
    chosen = min(imports, key=lambda r: r["import_s"])
    figures.update(
        import_s=chosen["import_s"],
        validate_s=chosen["validate_s"],
        write_s=chosen["write_s"],
        peak_mb=max(r["peak_mb"] for r in imports),
        rss_before_import_mb=chosen["rss_before_mb"],
        import_summary=chosen["summary"],
    )
    measured = run_child("measure", database_url, str(runs))
    figures.update({k: v for k, v in measured.items() if k != "queries_large"})
    figures["queries_large"] = measured["queries_large"]
    figures["dashboard_queries_small"] = figures["queries_small"]["bureau_home"]
    figures["dashboard_queries_large"] = figures["queries_large"]["bureau_home"]
    figures["dashboard_s"] = figures["bureau_home_s"]
    figures["floor_view_s"] = figures["bureau_home_floor_s"]

    if (postgres or args.load) and not args.no_load:
        from bench.load import run_load

        workers = [int(w) for w in args.load_workers.split(",") if w.strip()]
        figures.update(
            run_load(database_url, duration=args.load_duration, connections=20, workers=workers)
        )
    figures["total_s"] = time.perf_counter() - whole
    report(figures, say)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, default=str))


def report(f: dict, say: Callable[[str], None]) -> None:
    """The figures against their floors and goals, as a table."""
    say(f"\n== {f['projects']:,} projects on {f['vendor']} (best of {f['runs']}) ==")
    say(f"  {f['import_summary']}")
    rows = [
        ("rate recompute (new date)", f["recompute_s"], f["floor_s"], 1.5),
        ("import (run_import)", f["import_s"], f["read_s"], 2.5),
        ("bureau home", f["bureau_home_s"], f["bureau_home_floor_s"], 5),
        ("department home (staff)", f["staff_home_s"], f["staff_home_floor_s"], 5),
        ("project list page", f["project_list_s"], f["project_list_floor_s"], 5),
        ("projects API list", f["api_list_s"], f["api_list_floor_s"], 5),
    ]
    say(f"  {'figure':<28}{'seconds':>10}{'floor':>10}{'ratio':>8}{'goal':>7}")
    for label, value, floor, goal in rows:
        r = ratio(value, floor)
        mark = "ok" if r <= goal else "OVER"
        say(f"  {label:<28}{value:10.3f}{floor:10.3f}{r:7.2f}×{goal:5.1f}× {mark}")
    say(
        f"  import: validation {f['validate_s']:.2f} s, write {f['write_s']:.2f} s;"
        f" peak memory {f['peak_mb']:.0f} MB (before {f['rss_before_import_mb']:.0f} MB,"
        f" bare read {f['read_peak_mb']:.0f} MB)"
    )
    again, line = f["recompute_again_s"], f["recompute_line"]
    say(f"  recompute again (nothing changed): {again:.3f} s — {line}")
    say(f"  {'queries':<28}{SMALL:>10}{f['projects']:>10,}")
    for name, small in f["queries_small"].items():
        large = f["queries_large"][name]
        say(f"  {name:<28}{small:>10}{large:>10}  {'same' if small == large else 'DIFFERENT'}")
    say(f"  whole run {f['total_s']:.0f} s")


if __name__ == "__main__":
    main()
