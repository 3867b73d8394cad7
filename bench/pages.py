"""Benchmark: the main pages at province scale, each against a one-query SQL floor.

    python bench/pages.py [--projects 10000] [--payments 100000] [--small-projects 200]
    python bench/pages.py --profile review      # cProfile of one page at the large size

Builds (once; cached in bench/out/, keyed by the sizes) a SQLite database per size: the
workbook of bench/generate.py imported with run_import, then 5 indicators per project, a
monitoring round with reports (drafts, submitted, approved, returned) and their actuals,
notifications, a reviewer and a staff user, the departments' nightly rate snapshots of the
first half-year. Then, through django.test.Client, measures each
page: median wall time of 5 GETs after a warm-up, SQL queries, response size; and the floor:
one raw SQL query fetching the least data the page needs. The small size (200 projects)
runs the same pages, to show the query counts do not grow with the data.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from bench.generate import Size, generate  # noqa: E402
from bench.run import GENERATOR_VERSION  # noqa: E402

YEAR = 2024
ROUND_AS_OF = date(YEAR, 6, 30)
# Bump when the seeding below changes, so a cached database is rebuilt.
SETUP_VERSION = 4  # 4: the running totals (budgets 0009)
REPEAT = 5
REVIEWER = "bench-reviewer"
STAFF = "bench-staff"
NOTIFICATIONS = 300
FEN = Decimal("0.000001")
RATE_PLACES = Decimal("1e-10")

# (一级, 二级, 三级, target, actual): five indicators every project gets; the actuals parse.
INDICATORS = [
    ("产出指标", "数量指标", "培训人次", "≥500人次", "520人次"),
    ("产出指标", "质量指标", "验收合格率", "≥95%", "96%"),
    ("产出指标", "时效指标", "完成时间", "12月底前", "11月20日"),
    ("效益指标", "社会效益指标", "医保政策知晓度", "明显提升", "达成"),
    ("满意度指标", "服务对象满意度指标", "参保群众满意度", "≥90%", "92%"),
]


def sizes(args: argparse.Namespace) -> dict[str, Size]:
    """The small size (to compare query counts) and the large one."""
    return {
        "small": Size(
            args.departments, args.small_projects, args.small_payments, args.small_projects // 2
        ),
        "large": Size(args.departments, args.projects, args.payments, args.projects // 2),
    }


# --- the child: build (or reuse) one database, measure its pages --------------------------------


def setup_django(db: Path) -> None:
    """Production-like settings (DEBUG off) on the given SQLite file."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["DEBUG"] = "0"  # production templates (cached loader), no query log kept
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    # The test client speaks plain HTTP: without this every page is a 301 to https.
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["VAR_DIR"] = str(OUT / "var")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def build(db: Path, workbook: Path) -> dict[str, float]:
    """Import the workbook and seed indicators, a round, reports and users (timed steps)."""
    from django.core.management import call_command
    from django.db import transaction

    from budgets.choices import Role
    from budgets.importer import run_import
    from budgets.models import Department, DepartmentRateSnapshot, Project, User
    from budgets.services import rates_snapshot_save
    from performance.models import Indicator
    from performance.values import parse_actual, parse_target
    from tracking.choices import Light, NotificationKind, ReportStatus, Stage
    from tracking.models import Notification, Report, ReportIndicator
    from tracking.services import rounds_open

    timings: dict[str, float] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate"] = time.perf_counter() - started

    started = time.perf_counter()
    imported = run_import(workbook)
    if not imported.ok:
        raise SystemExit("import failed:\n" + "\n".join(map(str, imported.problems[:20])))
    timings["import"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        reviewer = User.objects.create_user(REVIEWER, role=Role.REVIEWER, name="基准审核人")
        first = Department.objects.order_by("code").first()
        staff = User.objects.create_user(STAFF, role=Role.STAFF, department=first, name="基准经办")
        targets = [
            (level1, level2, name, parse_target(raw, YEAR), actual)
            for level1, level2, name, raw, actual in INDICATORS
        ]
        for level1, _, _, target, actual in targets:
            parse_actual(actual, target, year=YEAR, level1=level1)  # fail early, not in a page
        project_ids = list(
            Project.objects.filter(year=YEAR).order_by("pk").values_list("pk", flat=True)
        )
        indicators = []
        for pk in project_ids:
            for position, (level1, level2, name, target, _) in enumerate(targets):
                indicator = Indicator(
                    project_id=pk, level1=level1, level2=level2, name=name, position=position
                )
                indicator.set_target(target)
                indicators.append(indicator)
        Indicator.objects.bulk_create(indicators, batch_size=2000)

        # The generated projects are all of one 区划 (their codes begin with 410702).
        ((round_, _),) = rounds_open(
            year=YEAR, stage=Stage.MONITORING, as_of=ROUND_AS_OF, deadline=date(YEAR, 7, 15)
        )
        # 6 of 10 projects have a report: 4 drafts, 3 submitted, 2 approved, 1 returned of 10.
        statuses = [ReportStatus.DRAFT] * 4 + [ReportStatus.SUBMITTED] * 3
        statuses += [ReportStatus.APPROVED] * 2 + [ReportStatus.RETURNED]
        lights = [Light.GREEN, Light.GREEN, Light.YELLOW, Light.RED, Light.BLUE]
        submitted_at = datetime(YEAR, 7, 1, 9, tzinfo=UTC)
        reports = []
        for n, pk in enumerate(project_ids):
            if n % 10 >= 6:
                continue
            status = statuses[(n // 10 + n) % len(statuses)]
            sent = status != ReportStatus.DRAFT
            reports.append(
                Report(
                    round=round_,
                    project_id=pk,
                    status=status,
                    target_light=lights[n % len(lights)] if sent else "",
                    budget_warning=("green", "yellow", "red")[n % 3],
                    deviations=n % 3,
                    submitted_at=submitted_at + timedelta(minutes=n) if sent else None,
                    submitted_by=staff if sent else None,
                )
            )
        Report.objects.bulk_create(reports, batch_size=2000)
        sent_ids = dict(
            Report.objects.filter(round=round_)
            .exclude(status=ReportStatus.DRAFT)
            .values_list("project_id", "pk")
        )
        lines = [
            ReportIndicator(
                report_id=sent_ids[indicator.project_id],
                indicator_id=indicator.pk,
                actual_raw=targets[indicator.position][4],
                expected_raw=targets[indicator.position][4],
                light=Light.GREEN,
            )
            for indicator in Indicator.objects.filter(project_id__in=list(sent_ids)).only(
                "pk", "project_id", "position"
            )
        ]
        ReportIndicator.objects.bulk_create(lines, batch_size=2000)

        kinds = list(NotificationKind)
        read_at = submitted_at + timedelta(days=1)
        notifications = [
            Notification(
                recipient=user,
                kind=kinds[n % len(kinds)],
                round=round_,
                department=first,
                subject_key=f"round:{round_.pk}",
                day=date(YEAR, 1, 1) + timedelta(days=n),
                subject=f"{round_}：第{n}条提醒",
                body="请按时填报运行监控报告。",
                link="/",
                read_at=read_at if n % 2 else None,
            )
            for user in (staff, reviewer)
            for n in range(NOTIFICATIONS)
        ]
        Notification.objects.bulk_create(notifications, batch_size=2000)
    timings["seed"] = time.perf_counter() - started

    # The nightly snapshot ran every day of the first half-year: the workbench's trend reads
    # the departments' rows (each day's computed once, then copied to the other days).
    started = time.perf_counter()
    rates_snapshot_save(as_of=ROUND_AS_OF)
    computed = list(DepartmentRateSnapshot.objects.filter(as_of=ROUND_AS_OF))
    with transaction.atomic():
        days = (ROUND_AS_OF - date(YEAR, 1, 1)).days
        DepartmentRateSnapshot.objects.bulk_create(
            [
                DepartmentRateSnapshot(
                    department_id=row.department_id,
                    year=YEAR,
                    as_of=date(YEAR, 1, 1) + timedelta(days=day),
                    initial=row.initial,
                    adjusted=row.adjusted,
                    executed=(row.executed * (day + 1) / (days + 1)).quantize(FEN),
                    execution_rate=None
                    if row.execution_rate is None
                    else (row.execution_rate * (day + 1) / (days + 1)).quantize(RATE_PLACES),
                    warning=row.warning,
                )
                for row in computed
                for day in range(days)
            ],
            batch_size=2000,
        )
    timings["snapshots"] = time.perf_counter() - started
    return timings


def median_ms(run: Callable[[], Any], repeat: int = REPEAT) -> float:
    """Median wall time of `repeat` calls after one warm-up, in milliseconds."""
    run()  # warm-up: template compilation, connection, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


@dataclass
class Target:
    """A page (or function) to measure and the raw SQL that is its floor."""

    name: str
    user: str
    path: str | None  # None: `call` is measured instead of a GET
    floor_sql: str
    floor_params: list[Any]
    call: Callable[[], Any] | None = None


def targets() -> list[Target]:
    """What to measure, with each floor: the least data the page shows, in one query."""
    from django.db.models import Count

    from budgets.export import build_export
    from budgets.models import Payment, Project, User
    from budgets.rates import time_progress
    from tracking.models import Round

    as_of = date(YEAR, 12, 31)
    round_ = Round.objects.get(year=YEAR, as_of=ROUND_AS_OF)
    # The project with the most payments: the heaviest project page.
    busiest = (
        Payment.objects.filter(project__year=YEAR)
        .values("project")
        .annotate(n=Count("pk"))
        .order_by("-n", "project")
        .values_list("project", flat=True)
        .first()
    )
    assert busiest is not None and Project.objects.filter(pk=busiest).exists()
    staff_pk = User.objects.get(username=STAFF).pk

    sums = """
        WITH pay AS (SELECT project_id, SUM(amount) AS s FROM budgets_payment
                     WHERE date <= %s AND project_id IS NOT NULL GROUP BY project_id),
             adj AS (SELECT project_id, SUM(amount) AS s FROM budgets_adjustment
                     WHERE date <= %s GROUP BY project_id),
             fig AS (SELECT p.id, p.code, p.name, p.type, d.code AS dcode, d.name AS dname,
                            p.initial_budget + COALESCE(p.carryover, 0) AS initial,
                            p.initial_budget + COALESCE(p.carryover, 0)
                              + COALESCE(adj.s, 0) AS adjusted,
                            COALESCE(pay.s, 0) AS executed
                     FROM budgets_project p
                     JOIN budgets_department d ON d.id = p.department_id
                     LEFT JOIN pay ON pay.project_id = p.id
                     LEFT JOIN adj ON adj.project_id = p.id
                     WHERE p.year = %s)
        SELECT fig.*, COUNT(*) OVER (), SUM(initial) OVER (), SUM(adjusted) OVER (),
               SUM(executed) OVER ()
        FROM fig
    """
    sums_params = [as_of, as_of, YEAR]
    list_floor = sums + " ORDER BY dcode, code, id LIMIT 50"
    rate_floor = (
        sums + " ORDER BY CAST(executed AS REAL) / NULLIF(CAST(adjusted AS REAL), 0)"
        " ASC NULLS LAST, code, id LIMIT 50"
    )
    detail_floor = """
        SELECT p.id, p.code, p.name, p.initial_budget, p.carryover, d.name, u.name,
               (SELECT SUM(amount) FROM budgets_adjustment a
                WHERE a.project_id = p.id AND a.date <= %s),
               pay.voucher, pay.date, pay.amount, pay.summary,
               COUNT(pay.id) OVER (), SUM(pay.amount) OVER ()
        FROM budgets_project p
        JOIN budgets_department d ON d.id = p.department_id
        JOIN budgets_unit u ON u.id = p.unit_id
        LEFT JOIN budgets_payment pay ON pay.project_id = p.id AND pay.date <= %s
        WHERE p.id = %s
        ORDER BY pay.date, pay.voucher, pay.id LIMIT 50
    """
    review_floor = """
        SELECT i.project_id, p.department_id, i.level1, i.name, i.raw, i.kind, i.comparator,
               i.value, i.upper, i.unit, i.weight
        FROM performance_indicator i JOIN budgets_project p ON p.id = i.project_id
        WHERE p.year = %s
    """
    # The page's rows first (50, with the counts over all), then their money and report.
    round_floor = """
        SELECT page.*, r.status, r.target_light, r.budget_warning, r.deviations, r.score,
               (SELECT SUM(amount) FROM budgets_payment x
                WHERE x.project_id = page.id AND x.date <= %s),
               (SELECT SUM(amount) FROM budgets_adjustment x
                WHERE x.project_id = page.id AND x.date <= %s)
        FROM (SELECT p.id, p.code, p.name, p.initial_budget, p.carryover, d.code AS dcode,
                     u.name AS uname, COUNT(*) OVER () AS total,
                     COUNT(r.id) OVER () AS started,
                     SUM(r.status IN ('submitted', 'approved')) OVER () AS done
              FROM budgets_project p
              JOIN budgets_department d ON d.id = p.department_id
              JOIN budgets_unit u ON u.id = p.unit_id
              LEFT JOIN tracking_report r ON r.project_id = p.id AND r.round_id = %s
              WHERE p.year = %s
              ORDER BY dcode, p.code LIMIT 50) page
        LEFT JOIN tracking_report r ON r.project_id = page.id AND r.round_id = %s
        ORDER BY page.dcode, page.code
    """
    queue_floor = """
        SELECT r.id, r.status, r.target_light, r.budget_warning, r.deviations, r.score,
               r.submitted_at, p.code, p.name, d.name, u.name, rd.year, rd.stage, rd.as_of,
               COUNT(*) OVER ()
        FROM tracking_report r
        JOIN budgets_project p ON p.id = r.project_id
        JOIN budgets_department d ON d.id = p.department_id
        JOIN budgets_unit u ON u.id = p.unit_id
        JOIN tracking_round rd ON rd.id = r.round_id
        WHERE r.status = 'submitted'
        ORDER BY r.submitted_at, r.id LIMIT 50
    """
    inbox_floor = """
        SELECT n.id, n.kind, n.subject, n.link, n.created_at, n.read_at, COUNT(*) OVER ()
        FROM tracking_notification n WHERE n.recipient_id = %s
        ORDER BY n.read_at IS NOT NULL, n.created_at DESC, n.id DESC LIMIT 50
    """
    export_floor = """
        WITH pay AS (SELECT project_id, SUM(amount) AS s FROM budgets_payment
                     WHERE date <= %s AND project_id IS NOT NULL GROUP BY project_id),
             adj AS (SELECT project_id, SUM(amount) AS s FROM budgets_adjustment
                     WHERE date <= %s GROUP BY project_id)
        SELECT p.id, p.code, p.initial_budget, p.carryover, adj.s, pay.s
        FROM budgets_project p
        LEFT JOIN pay ON pay.project_id = p.id LEFT JOIN adj ON adj.project_id = p.id
        WHERE p.year = %s
    """
    # The workbench: each department's reports in the round by status and their last change,
    # its projects' money as of the round's date and how many carry each warning — one GROUP
    # BY over every project of the year (the page also reads the trend, the results and the
    # to-do, which this floor leaves out).
    progress = float(time_progress(ROUND_AS_OF)) / 100
    workbench_floor = """
        WITH pay AS (SELECT project_id, SUM(amount) AS s FROM budgets_payment
                     WHERE date <= %s AND project_id IS NOT NULL GROUP BY project_id),
             adj AS (SELECT project_id, SUM(amount) AS s FROM budgets_adjustment
                     WHERE date <= %s GROUP BY project_id),
             fig AS (SELECT p.department_id, r.status, r.updated_at,
                            p.initial_budget + COALESCE(p.carryover, 0)
                              + COALESCE(adj.s, 0) AS adjusted,
                            COALESCE(pay.s, 0) AS executed
                     FROM budgets_project p
                     LEFT JOIN pay ON pay.project_id = p.id
                     LEFT JOIN adj ON adj.project_id = p.id
                     LEFT JOIN tracking_report r ON r.project_id = p.id AND r.round_id = %s
                     WHERE p.year = %s {department}),
             rated AS (SELECT *, CAST(executed AS REAL) / NULLIF(CAST(adjusted AS REAL), 0)
                                 AS ratio FROM fig)
        SELECT d.code, d.name, COUNT(*), COUNT(status),
               SUM(status = 'draft'), SUM(status = 'submitted'), SUM(status = 'returned'),
               SUM(status = 'approved'), MAX(updated_at), SUM(adjusted), SUM(executed),
               SUM(ratio > 1), SUM(ratio <= 1 AND ratio >= %s),
               SUM(ratio < %s AND ratio >= %s), SUM(ratio < %s)
        FROM rated JOIN budgets_department d ON d.id = rated.department_id
        GROUP BY d.id ORDER BY d.code
    """
    workbench_params = [ROUND_AS_OF, ROUND_AS_OF, round_.pk, YEAR]
    thresholds = [0.8 * progress, 0.8 * progress, 0.6 * progress, 0.6 * progress]
    staff_department = User.objects.get(username=STAFF).department_id
    return [
        Target(
            "workbench (bureau)",
            REVIEWER,
            "/",
            workbench_floor.format(department=""),
            workbench_params + thresholds,
        ),
        Target(
            "workbench (staff)",
            STAFF,
            "/",
            workbench_floor.format(department="AND p.department_id = %s"),
            [*workbench_params, staff_department, *thresholds],
        ),
        Target(
            "project list", REVIEWER, f"/budgets/projects/?year={YEAR}", list_floor, sums_params
        ),
        Target(
            "project list, by rate",
            REVIEWER,
            f"/budgets/projects/?year={YEAR}&sort=rate",
            rate_floor,
            sums_params,
        ),
        Target(
            "project detail (busiest)",
            REVIEWER,
            f"/budgets/projects/{busiest}/",
            detail_floor,
            [as_of, as_of, busiest],
        ),
        Target(
            "target review list",
            REVIEWER,
            f"/performance/review/?year={YEAR}",
            review_floor,
            [YEAR],
        ),
        Target(
            "round detail",
            REVIEWER,
            f"/tracking/rounds/{round_.pk}/",
            round_floor,
            [ROUND_AS_OF, ROUND_AS_OF, round_.pk, YEAR, round_.pk],
        ),
        Target("review queue", REVIEWER, "/tracking/review/", queue_floor, []),
        Target("inbox (staff)", STAFF, "/tracking/inbox/", inbox_floor, [staff_pk]),
        Target(
            "JSON export (build_export)",
            "",
            None,
            export_floor,
            [as_of, as_of, YEAR],
            call=lambda: build_export(year=YEAR),
        ),
    ]


def measure(only: str | None = None) -> list[dict[str, Any]]:
    """Each target's queries, median time, size and its floor's median time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from budgets.models import User

    clients = {}
    for username in (REVIEWER, STAFF):
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[username] = client
    results = []
    for target in targets():
        if only and only not in target.name:
            continue
        if target.call is not None:

            def run(target: Target = target) -> int:
                return len(json.dumps(target.call(), ensure_ascii=False).encode())
        else:

            def run(target: Target = target) -> int:
                response = clients[target.user].get(target.path)
                if response.status_code != 200:
                    raise SystemExit(f"{target.path}: HTTP {response.status_code}")
                return len(response.content)

        def floor(target: Target = target) -> None:
            with connection.cursor() as cursor:
                cursor.execute(target.floor_sql, target.floor_params)
                cursor.fetchall()

        page_ms = median_ms(target.call or run)
        with CaptureQueriesContext(connection) as captured:
            size = run()
        floor_ms = median_ms(floor)
        results.append(
            {
                "name": target.name,
                "path": target.path or "build_export(year=2024)",
                "queries": len(captured.captured_queries),
                "ms": page_ms,
                "floor_ms": floor_ms,
                "bytes": size,
            }
        )
    return results


def profile(only: str) -> None:
    """Print the cProfile hotspots of one target (a warm-up first)."""
    import cProfile
    import pstats

    from django.test import Client

    from budgets.models import User

    for target in targets():
        if only not in target.name:
            continue
        if target.call is not None:
            run = target.call
        else:
            client = Client()
            client.force_login(User.objects.get(username=target.user))

            def run(target: Target = target, client: Client = client) -> None:
                client.get(target.path)

        run()
        profiler = cProfile.Profile()
        profiler.enable()
        run()
        profiler.disable()
        print(f"== cProfile: {target.name} ({target.path or 'call'}) ==", file=sys.stderr)
        stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)


def child(db: Path, workbook: Path, only: str | None, profile_target: str | None) -> dict:
    """Build the database unless cached (a `.ready` file marks a finished build), measure."""
    ready = Path(f"{db}.ready")
    if not ready.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    setup_django(db)
    from django.db import connection

    from budgets.models import Payment, Project
    from performance.models import Indicator
    from tracking.models import Report

    result: dict[str, Any] = {"sqlite": connection.Database.sqlite_version}
    if ready.exists():
        result["built"] = None
    else:
        result["built"] = build(db, workbook)
        ready.write_text(json.dumps(result["built"]))
    result["counts"] = {
        "projects": Project.objects.count(),
        "payments": Payment.objects.count(),
        "indicators": Indicator.objects.count(),
        "reports": Report.objects.count(),
    }
    if profile_target:
        profile(profile_target)
        result["pages"] = []
    else:
        result["pages"] = measure(only)
    return result


# --- the parent: workbooks, one child per size, the tables --------------------------------------


def run_child(label: str, size: Size, args: argparse.Namespace) -> dict:
    """Generate the workbook unless cached, then build and measure in a fresh interpreter."""
    OUT.mkdir(parents=True, exist_ok=True)
    workbook = OUT / f"bench-v{GENERATOR_VERSION}-{size.label}.xlsx"
    if not workbook.exists():
        started = time.perf_counter()
        generate(workbook, size)
        seconds = time.perf_counter() - started
        print(f"  {label}: workbook {workbook.name} generated in {seconds:.1f} s")
    db = OUT / f"pages-v{SETUP_VERSION}-{size.label}-{len(INDICATORS)}ind.sqlite3"
    command = [sys.executable, __file__, "--child", str(db), "--workbook", str(workbook)]
    if args.only:
        command += ["--only", args.only]
    if args.profile:
        command += ["--profile", args.profile]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"benchmark of the {label} size failed")
    sys.stderr.write(done.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    built = result["built"]
    how = "cached" if built is None else ", ".join(f"{k} {v:.1f} s" for k, v in built.items())
    counts = ", ".join(f"{v:,} {k}" for k, v in result["counts"].items())
    print(f"  {label}: {db.name} ({how}): {counts}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--departments", type=int, default=20)
    parser.add_argument("--small-projects", type=int, default=200)
    parser.add_argument("--small-payments", type=int, default=2_000)
    parser.add_argument("--only", help="measure only the targets whose name contains this")
    parser.add_argument("--profile", help="cProfile the target whose name contains this")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workbook", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(Path(args.child), Path(args.workbook), args.only, args.profile)
        print(json.dumps(result))
        return

    started = time.perf_counter()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}, {date.today()}"
    )
    chosen = sizes(args)
    if args.profile:
        run_child("large", chosen["large"], args)
        return
    results = {label: run_child(label, size, args) for label, size in chosen.items()}
    print(f"  SQLite {results['large']['sqlite']}; median of {REPEAT} after a warm-up")

    large = results["large"]
    print(f"\n== pages at {large['counts']['projects']:,} projects ==")
    print(f"  {'page':<28} {'queries':>7} {'median':>10} {'floor':>9} {'ratio':>7} {'size':>9}")
    for page in large["pages"]:
        ratio = page["ms"] / page["floor_ms"] if page["floor_ms"] else float("nan")
        print(
            f"  {page['name']:<28} {page['queries']:>7} {page['ms']:>7.0f} ms"
            f" {page['floor_ms']:>6.1f} ms {ratio:>6.1f}× {page['bytes'] / 1024:>6.0f} KB"
        )

    small = {page["name"]: page for page in results["small"]["pages"]}
    n_small = results["small"]["counts"]["projects"]
    n_large = large["counts"]["projects"]
    print(f"\n== queries per page: {n_small:,} projects vs {n_large:,} projects ==")
    print(f"  {'page':<28} {n_small:>8,} {n_large:>8,}   {'median ms':>18}")
    for page in large["pages"]:
        other = small[page["name"]]
        same = "same" if other["queries"] == page["queries"] else "DIFFERENT"
        print(
            f"  {page['name']:<28} {other['queries']:>8} {page['queries']:>8}   "
            f"{other['ms']:>7.0f} → {page['ms']:>6.0f}   {same}"
        )
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
