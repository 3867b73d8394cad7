"""Benchmark: import, rate snapshot and export of a province-size year, each against a floor.

    python bench/run.py [--projects 2000] [--payments 200000] [--departments 20]

Generates (once, cached in bench/out/) a workbook of 2,000 projects and 200,000 payments,
then, on a fresh SQLite database in bench/out/ — and on PostgreSQL as well when
BENCH_DATABASE_URL is set (a throwaway database: its tables are emptied) — measures:

1. the floor of reading: a bare openpyxl read-only pass over every row of the file;
2. run_import of the file (and a second, idempotent import) against that floor, split into
   its validation (reads only) and its write phase (the one transaction holding the lock);
3. rates_snapshot_save for the year against the floor of one raw SQL aggregate
   (payments and adjustments summed per project);
4. build_export (JSON) for the year against the same SQL floor.

Each database runs in a child process of its own, so its peak memory (ru_maxrss) is the
import's, not the generator's. See bench/README.md for the figures of a reference machine.
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
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from bench.generate import Size, generate  # noqa: E402

YEAR = 2024
AS_OF = date(YEAR, 12, 31)
# Bump when generate.py changes what it writes, so a cached workbook is not reused.
GENERATOR_VERSION = 2


def read_floor(path: Path) -> tuple[float, int]:
    """Seconds for openpyxl to stream every row of every sheet (values only), and rows."""
    import openpyxl

    started = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = 0
    for sheet in workbook.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            rows += 1
    workbook.close()
    return time.perf_counter() - started, rows


def max_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the child: one database ----------------------------------------------------------------


def child(database_url: str, workbook: Path) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "0"  # no query log kept in memory
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ["VAR_DIR"] = str(OUT / "var")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from budgets.export import build_export
    from budgets.importer import run_import
    from budgets.models import Adjustment, Payment, Project
    from budgets.services import rates_snapshot_save

    call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor != "sqlite":
        call_command("flush", verbosity=0, interactive=False)
    result: dict = {"vendor": connection.vendor, "rss_before_import_mb": max_rss_mb()}

    started = time.perf_counter()
    imported = run_import(workbook)
    result["import_s"] = time.perf_counter() - started
    result["rss_peak_mb"] = max_rss_mb()
    if not imported.ok:
        raise SystemExit("import failed:\n" + "\n".join(map(str, imported.problems[:20])))
    result["summary"] = imported.summary()
    result["rows"] = imported.rows
    result["validate_s"] = imported.validate_seconds
    result["write_s"] = imported.write_seconds
    result["counts"] = {
        "projects": Project.objects.count(),
        "payments": Payment.objects.count(),
        "adjustments": Adjustment.objects.count(),
    }

    started = time.perf_counter()
    again = run_import(workbook)
    result["reimport_s"] = time.perf_counter() - started
    assert again.ok and {a for _, a in again.counts} == {"unchanged"}, again.summary()

    floor_sql = (
        "SELECT project_id, SUM(amount) FROM budgets_payment"
        " WHERE date <= %s AND project_id IS NOT NULL GROUP BY project_id",
        "SELECT project_id, SUM(amount) FROM budgets_adjustment"
        " WHERE date <= %s GROUP BY project_id",
    )
    best = float("inf")
    for _ in range(3):  # the best of three: the floor is small and noisy
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in floor_sql:
                cursor.execute(sql, [AS_OF])
                cursor.fetchall()
        best = min(best, time.perf_counter() - started)
    result["sql_floor_s"] = best

    snapshot = rates_snapshot_save(as_of=AS_OF)
    result["snapshot_s"] = snapshot.seconds
    result["snapshot_created"] = snapshot.created
    snapshot = rates_snapshot_save(as_of=AS_OF)
    result["snapshot_again_s"] = snapshot.seconds
    result["snapshot_line"] = snapshot.summary()

    started = time.perf_counter()
    document = build_export(year=YEAR, as_of=AS_OF)
    text = json.dumps(document, ensure_ascii=False)
    result["export_s"] = time.perf_counter() - started
    result["export_bytes"] = len(text.encode())
    return result


# --- the parent: workbook, floor, one child per database, report ----------------------------


def run_child(database_url: str, workbook: Path) -> dict:
    """Run one measurement in a fresh interpreter; "floor" reads the file and nothing else."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", database_url, "--workbook", str(workbook)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"benchmark on {database_url.split('@')[-1]} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(label: str, seconds: float, floor: float, floor_label: str) -> str:
    ratio = seconds / floor if floor else float("nan")
    return f"  {label:<34} {seconds:8.2f} s   floor {floor:7.3f} s ({floor_label})   ×{ratio:,.1f}"


def report(label: str, r: dict, read_s: float) -> None:
    print(f"\n== {label} ({r['vendor']}) ==")
    print(f"  imported: {r['summary']}")
    print(line("import (run_import)", r["import_s"], read_s, "openpyxl read"))
    print(
        f"    of which validation (reads only, no lock) {r['validate_s']:.2f} s,"
        f" write phase (one transaction, write lock held) {r['write_s']:.2f} s"
    )
    print(line("re-import, all unchanged", r["reimport_s"], read_s, "openpyxl read"))
    print(
        f"  import peak memory (ru_maxrss)     {r['rss_peak_mb']:8.0f} MB"
        f"   (before import {r['rss_before_import_mb']:.0f} MB)"
    )
    sql = r["sql_floor_s"]
    print(line("rate snapshot, first run", r["snapshot_s"], sql, "raw SQL sums"))
    print(line("rate snapshot, second run", r["snapshot_again_s"], sql, "raw SQL sums"))
    print(f"    {r['snapshot_line']}")
    print(line("JSON export (build_export + dumps)", r["export_s"], sql, "raw SQL sums"))
    print(f"    {r['export_bytes'] / 1024 / 1024:.1f} MB of JSON")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=Size.projects)
    parser.add_argument("--payments", type=int, default=Size.payments)
    parser.add_argument("--departments", type=int, default=Size.departments)
    parser.add_argument("--adjustments", type=int, default=Size.adjustments)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workbook", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "floor":
        seconds, rows = read_floor(Path(args.workbook))
        print(json.dumps({"read_s": seconds, "rows": rows, "rss_peak_mb": max_rss_mb()}))
        return
    if args.child:
        print(json.dumps(child(args.child, Path(args.workbook))))
        return

    size = Size(args.departments, args.projects, args.payments, args.adjustments, YEAR)
    OUT.mkdir(parents=True, exist_ok=True)
    workbook = OUT / f"bench-v{GENERATOR_VERSION}-{size.label}.xlsx"
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}, {date.today()}"
    )
    if workbook.exists():
        print(f"workbook: {workbook.relative_to(ROOT)} (cached)")
    else:
        started = time.perf_counter()
        generate(workbook, size)
        print(
            f"workbook: {workbook.relative_to(ROOT)} generated in "
            f"{time.perf_counter() - started:.1f} s"
        )
    floor = run_child("floor", workbook)
    read_s = floor["read_s"]
    print(
        f"  {workbook.stat().st_size / 1024 / 1024:.1f} MB, {floor['rows']:,} rows incl. headers;"
        f" bare openpyxl read-only pass: {read_s:.2f} s, peak memory {floor['rss_peak_mb']:.0f} MB"
    )

    targets = []
    sqlite_db = OUT / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_db}{suffix}").unlink(missing_ok=True)
    targets.append(("SQLite (fresh file)", f"sqlite:///{sqlite_db}"))
    if os.environ.get("BENCH_DATABASE_URL"):
        targets.append(("PostgreSQL (BENCH_DATABASE_URL)", os.environ["BENCH_DATABASE_URL"]))
    for label, url in targets:
        report(label, run_child(url, workbook), read_s)


if __name__ == "__main__":
    main()
