"""PostgreSQL stopped (or restarted) under load: what users get, and how fast the web recovers.

    .venv/bin/python bench/faults.py                          # 30 s of load, down at 10 s for 5 s
    .venv/bin/python bench/faults.py --seconds 60 --down-at 20 --down-for 10 --connections 16
    .venv/bin/python bench/faults.py --down-for 0             # `pg_ctl restart -m fast` instead

Needs the PostgreSQL server programs (/usr/lib/postgresql/<version>/bin, as .ci/run installs)
and wrk (/usr/bin/wrk). Nothing of the machine's own PostgreSQL is touched: the script starts
a private cluster in a temporary folder on a free port (tests/services.py postgres_cluster),
migrates it, imports the demo workbook, signs a user in and runs the production web server,
gunicorn with --workers processes, against it. Then wrk requests the project list (signed in)
for --seconds; at --down-at the cluster is stopped with `pg_ctl stop -m fast` (every session
ended, as `systemctl restart postgresql` does), kept down --down-for seconds and started again.

Printed: a per-second timeline of answers by status, then requests, 200s, 503s and anything
else (other statuses, socket errors, timeouts) before, during and after the outage; the
recovery time (from `pg_ctl start` returning to the first 200 of a 20 Hz probe); whether the
same gunicorn processes served throughout; and what the web server logged (tracebacks, and
the one warning line per 503). Expected: only 200s and 503s, no traceback, the same PIDs, and
recovery within a fraction of a second (CONN_HEALTH_CHECKS; see docs/operations.md).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import (  # noqa: E402
    gunicorn_server,
    http_get,
    postgres_cluster,
    service_env,
    signed_in_user,
)

PAGE = "/budgets/projects/"

# wrk's Lua: count answers per (second, status) in each thread; the main thread sums them.
WRK_SCRIPT = """
counts = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  local key = os.time() .. ":" .. status
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      io.write("BUCKET ", key, " ", n, "\\n")
    end
  end
  local e = summary.errors
  io.write("ERRORS ", e.connect, " ", e.read, " ", e.write, " ", e.timeout, "\\n")
  io.write("LATENCY_MAX_MS ", latency.max / 1000, "\\n")
end
"""


class Probe(threading.Thread):
    """GET the page every 50 ms: the exact moment it answers 200 again."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.answers: list[tuple[float, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            started = time.time()
            try:
                status = http_get(self.url, headers=self.headers, timeout=15)[0]
            except OSError:
                status = 0
            self.answers.append((started, status))
            self.halt.wait(0.05)


def check_programs() -> str:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        sys.exit("the PostgreSQL server is not installed (apt-get install postgresql)")
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is not installed (apt-get install wrk)")
    return wrk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of the load (30)")
    parser.add_argument("--down-at", type=float, default=10, help="stop PostgreSQL at (10 s)")
    parser.add_argument(
        "--down-for", type=float, default=5, help="seconds down (5); 0: pg_ctl restart"
    )
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    args = parser.parse_args()
    wrk = check_programs()

    folder = Path(tempfile.mkdtemp(prefix="tracker-faults-"))
    try:
        with postgres_cluster() as cluster:
            env = service_env(
                DJANGO_SETTINGS_MODULE="config.settings.base",
                DATABASE_URL=cluster.create_database("tracker"),
                SECRET_KEY="bench-faults-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
                DEBUG="0",
                SECURE_SSL_REDIRECT="0",
                SECURE_HSTS_SECONDS="0",
                ALLOWED_HOSTS="127.0.0.1,localhost",
                VAR_DIR=str(folder / "var"),
                LOG_LEVEL="INFO",
            )
            print(f"PostgreSQL: private cluster on port {cluster.port} ({cluster.bindir})")
            session_key, _ = signed_in_user(env)  # migrates, imports the demo workbook
            headers = {"Cookie": f"sessionid={session_key}"}
            log = folder / "gunicorn.log"
            with gunicorn_server(env, log, workers=args.workers) as server:
                url = server.url + PAGE
                status = http_get(url, headers=headers)[0]
                if status != 200:
                    sys.exit(f"{PAGE} answered {status} before any fault")
                workers = server.worker_pids()
                script = folder / "count.lua"
                script.write_text(WRK_SCRIPT)
                print(
                    f"load: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s "
                    f"{PAGE}; gunicorn {args.workers} workers {sorted(workers)}"
                )
                probe = Probe(url, headers)
                began = time.time()
                load = subprocess.Popen(
                    [
                        wrk,
                        f"-t{args.threads}",
                        f"-c{args.connections}",
                        f"-d{args.seconds}s",
                        "--timeout",
                        "10s",
                        "-s",
                        str(script),
                        "-H",
                        f"Cookie: sessionid={session_key}",
                        url,
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                probe.start()
                time.sleep(max(0.0, began + args.down_at - time.time()))
                down = time.time()
                if args.down_for > 0:
                    cluster.stop("fast")
                    time.sleep(args.down_for)
                    cluster.start()
                else:
                    cluster.restart("fast")
                up = time.time()
                output, _ = load.communicate(timeout=args.seconds + 60)
                probe.halt.set()
                probe.join()
                same_workers = server.worker_pids() == workers and server.proc.poll() is None
            how = "pg_ctl stop … start" if args.down_for > 0 else "pg_ctl restart"
            report(output, probe.answers, began, down, up, how, same_workers, log.read_text())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(
    output: str,
    probe: list[tuple[float, int]],
    began: float,
    down: float,
    up: float,
    how: str,
    same_workers: bool,
    log: str,
) -> None:
    buckets: dict[int, Counter] = defaultdict(Counter)
    errors = "?"
    latency_max = "?"
    for line in output.splitlines():
        parts = line.split()
        if parts[:1] == ["BUCKET"]:
            second, status = parts[1].split(":")
            buckets[int(second)][int(status)] += int(parts[2])
        elif parts[:1] == ["ERRORS"]:
            errors = "connect {} read {} write {} timeout {}".format(*parts[1:])
        elif parts[:1] == ["LATENCY_MAX_MS"]:
            latency_max = f"{float(parts[1]):.0f} ms"
    back = next((t for t, status in probe if t >= up and status == 200), None)
    recovered = back if back is not None else up

    print("\n  t(s)   answers     200     503   other")
    start = int(began)
    for second in sorted(buckets):
        counts = buckets[second]
        other = sum(n for status, n in counts.items() if status not in (200, 503))
        mark = "  <- down" if int(down) <= second <= int(recovered) else ""
        print(
            f"{second - start:6d} {sum(counts.values()):9d} {counts[200]:7d} "
            f"{counts[503]:7d} {other:7d}{mark}"
        )

    phases = {"before": Counter(), "during": Counter(), "after": Counter()}
    for second, counts in buckets.items():
        # Seconds that overlap the outage (down … recovered) count as "during".
        phase = "before" if second < int(down) else "after" if second > int(recovered) else "during"
        phases[phase].update(counts)
    print("\nphase     answers     200     503   other statuses")
    for name, counts in phases.items():
        other = {s: n for s, n in counts.items() if s not in (200, 503)}
        print(
            f"{name:8s} {sum(counts.values()):8d} {counts[200]:7d} {counts[503]:7d}   "
            f"{other or '-'}"
        )
    print(f"socket errors (whole run): {errors}; slowest answer: {latency_max}")
    probe_other = Counter(status for _, status in probe if status not in (200, 503))
    print(f"probe: {len(probe)} requests, other than 200/503: {dict(probe_other) or '-'}")
    if back is None:
        print("recovery: NOT recovered before the load ended")
    else:
        print(f"recovery: first 200 {back - up:.2f} s after PostgreSQL was back up")
    print(f"outage: {up - down:.1f} s ({how}, until it returned)")
    print(f"same gunicorn processes throughout: {'yes' if same_workers else 'NO'}")
    print(
        f"web log: {log.count('Traceback')} tracebacks, "
        f"{log.count('Internal Server Error')} 500s, "
        f"{log.count('database unavailable, answered 503')} warning lines for 503s"
    )


if __name__ == "__main__":
    main()
