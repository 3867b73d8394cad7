"""`make run` serves the demo as production does, over plain HTTP on loopback: an unknown
address is the site's Chinese 404 page, not Django's debug page listing every URL pattern."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import urllib.error
import urllib.request

import pytest

from .services import ROOT, free_port, require_binary, wait_for_port

pytestmark = pytest.mark.services


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def test_make_run_shows_the_real_404_page_and_serves_static_files(tmp_path):
    make = require_binary("make")
    if os.environ.get("DATABASE_URL"):
        pytest.skip("make run uses its own SQLite database: the PostgreSQL pass adds nothing")
    # Installing is make install's job; here it would reach the package registries.
    installed = subprocess.run(
        [make, "-q", ".venv/.runtime-installed", "node_modules/.installed"], cwd=ROOT
    )
    if installed.returncode != 0:
        pytest.skip("dependencies are not installed or out of date: run make install")

    port = free_port()
    var = tmp_path / "var"
    # Only what a developer's shell has: no DEBUG, SECRET_KEY or settings module of the tests.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env.update(VAR_DIR=str(var), PORT=str(port))
    log = (tmp_path / "make-run.log").open("w")
    proc = subprocess.Popen(
        [make, "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=240)
        status, _, html = fetch(f"{base}/no-such-page/")
        assert status == 404, (tmp_path / "make-run.log").read_text()
        assert "<h1>页面不存在</h1>" in html
        assert "URLconf" not in html

        status, headers, _ = fetch(f"{base}/accounts/login/")
        assert status == 200  # plain HTTP: no redirect to HTTPS
        assert "Strict-Transport-Security" not in headers
        assert "secure" not in headers.get("Set-Cookie", "").lower()

        # DEBUG is off: whitenoise serves what collectstatic gathered.
        assert fetch(f"{base}/static/css/app.css")[0] == 200
        assert fetch(f"{base}/favicon.ico")[0] == 200

        key = var / "secret_key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert len(key.read_text().strip()) >= 50
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen) -> None:
    """Ctrl-C, as in the terminal: the web server stops and the Makefile's trap stops the
    worker and beat. Then TERM and KILL, in case SIGINT was ignored where the tests run."""
    for sig, wait in ((signal.SIGINT, 60), (signal.SIGTERM, 15), (signal.SIGKILL, 15)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
