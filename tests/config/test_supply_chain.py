"""Supply chain: .ci/audit runs pip-audit on the pinned requirements (skipping, with one line,
when the vulnerability database cannot be reached), and the production image installs
packages only from requirements.txt and package-lock.json."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.services import ROOT, free_port

AUDIT = ROOT / ".ci" / "audit"
SKIP_LINE = "pip-audit: skipped — the vulnerability database (pypi.org) cannot be reached"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def load_audit():
    loader = importlib.machinery.SourceFileLoader("ci_audit", str(AUDIT))
    spec = importlib.util.spec_from_loader("ci_audit", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def run_audit(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """.ci/audit as `make audit` runs it, with its cache in tmp_path and `env` on top."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the audit does not touch the database: the PostgreSQL pass adds nothing")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AUDIT_", "VAR_DIR"))}
    base["VAR_DIR"] = str(tmp_path / "var")
    return subprocess.run(
        [sys.executable, str(AUDIT), *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


def without_proxies() -> dict[str, str]:
    return {k: "" for name in PROXY_VARIABLES for k in (name, name.lower())}


# --- the ignore list --------------------------------------------------------------------------
def test_the_ignore_list_refuses_an_entry_without_a_reason(tmp_path):
    audit = load_audit()
    reviewed = "# comment lines and blank lines are fine\n\nPYSEC-2024-1  # unused code path\n"
    assert audit.parse_ignore_list(reviewed) == {"PYSEC-2024-1": "unused code path"}
    for bad in ("GHSA-abcd-efgh-ijkl\n", "CVE-2024-12345   #   \n", "two ids # reason\n"):
        with pytest.raises(audit.ConfigError, match=r"ignore list:1:"):
            audit.parse_ignore_list(bad)

    # The script refuses it before anything else, online or not.
    ignore = tmp_path / "ignore.txt"
    ignore.write_text(reviewed + "GHSA-abcd-efgh-ijkl\n")
    result = run_audit(tmp_path, AUDIT_IGNORE_FILE=str(ignore))
    assert result.returncode == 2
    assert "ignore.txt:4: 'GHSA-abcd-efgh-ijkl': no reason" in result.stderr


def test_the_committed_ignore_list_gives_a_reason_for_each_entry():
    audit = load_audit()
    for vuln_id, reason in audit.read_ignore_list(ROOT / ".ci" / "pip-audit-ignore.txt").items():
        assert len(reason.split()) >= 3, f"{vuln_id}: say why it is safe to ignore"


# --- offline ----------------------------------------------------------------------------------
def test_an_unreachable_database_skips_with_one_line(tmp_path):
    # Nothing listens on the port: the real probe meets a refused connection.
    result = run_audit(tmp_path, AUDIT_PROBE_URL=f"http://127.0.0.1:{free_port()}/pypi/x/1/json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(SKIP_LINE)
    assert "Connection refused" in lines[0]


class Advisories(BaseHTTPRequestHandler):
    """Answers the probe as PyPI does for a release with published advisories."""

    def do_GET(self):
        body = json.dumps({"vulnerabilities": [{"id": "PYSEC-2023-0", "aliases": []}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_pip_audit_losing_the_connection_skips_too(tmp_path):
    # The probe gets its answer; pip-audit's own queries to pypi.org then go through a proxy
    # that is not there, and fail as they do behind a firewall.
    server = ThreadingHTTPServer(("127.0.0.1", 0), Advisories)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("django==4.2.0\n")
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    try:
        result = run_audit(
            tmp_path,
            str(requirements),
            AUDIT_PROBE_URL=f"http://127.0.0.1:{server.server_port}/pypi/django/4.2.0/json",
            **{
                **without_proxies(),
                "HTTPS_PROXY": dead_proxy,
                "https_proxy": dead_proxy,
                "NO_PROXY": "127.0.0.1",
                "no_proxy": "127.0.0.1",
            },
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"{SKIP_LINE} (pip-audit: ")
    assert len(result.stdout.splitlines()) == 1


# --- online -----------------------------------------------------------------------------------
def test_a_known_vulnerable_pin_is_reported(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("django==4.2.0  # CVE-2023-31047 and many more, fixed since\n")
    result = run_audit(tmp_path, str(requirements))
    if result.stdout.startswith(SKIP_LINE):
        pytest.skip(f"no vulnerability database from this machine: {result.stdout.strip()}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "known vulnerabilities" in result.stdout
    assert "django 4.2.0: " in result.stdout
    ids = set(re.findall(r"\b(?:PYSEC|GHSA|CVE)-[\w-]+", result.stdout))
    assert any(vuln_id.startswith(("PYSEC-", "GHSA-")) for vuln_id in ids), ids

    # Listed with a reason, each of them is ignored, and the audit passes.
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("".join(f"{vuln_id}  # test of the ignore list\n" for vuln_id in ids))
    result = run_audit(tmp_path, str(requirements), AUDIT_IGNORE_FILE=str(ignore))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pip-audit: ignored " in result.stdout
    assert "pip-audit: no known vulnerabilities in 1 package " in result.stdout


def test_the_report_is_judged_by_id_or_alias():
    """pip-audit's JSON report (the shape `--format json --aliases on` writes) is judged: an
    ignored alias silences its advisory, any other advisory or unaudited package fails."""
    audit = load_audit()
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "4.2.0",
                "vulns": [
                    {
                        "id": "PYSEC-2023-61",
                        "aliases": ["CVE-2023-31047", "GHSA-r3xc-prgr-mg9p"],
                        "fix_versions": ["3.2.19", "4.1.9", "4.2.1"],
                        "description": "Bypass of validation of all fields of a multi-upload.",
                    }
                ],
            },
            {"name": "sqlparse", "version": "0.6.1", "vulns": []},
        ],
        "fixes": [],
    }
    status, lines = audit.judge(report, {}, {"django", "sqlparse"})
    assert status == 1
    assert any("django 4.2.0 [runtime image]: PYSEC-2023-61 (CVE-2023-31047" in x for x in lines)
    assert any("fixed in 3.2.19, 4.1.9, 4.2.1" in x for x in lines)

    status, lines = audit.judge(report, {"CVE-2023-31047": "reviewed"}, {"django"})
    assert status == 0
    assert lines == ["pip-audit: ignored CVE-2023-31047 in django 4.2.0 — reviewed"]

    status, lines = audit.judge(report, {"CVE-2099-1": "gone"}, {"django"})
    assert "pip-audit: note: CVE-2099-1 in the ignore list is no longer found" in lines

    unaudited = {"dependencies": [{"name": "x", "skip_reason": "Dependency not found on PyPI"}]}
    status, lines = audit.judge(unaudited, {}, None)
    assert status == 1
    assert lines[0] == "pip-audit: 1 package could not be audited:"


def test_the_audit_covers_the_pins_and_what_they_pull_in():
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the audit does not touch the database: the PostgreSQL pass adds nothing")
    audit = load_audit()
    pins = {}
    for name in audit.DEFAULT_FILES:
        pins.update(audit.read_pins(ROOT / name))
    assert {"django", "pip-audit", "pytest"} <= set(pins)
    closure = audit.installed_closure(pins)
    # Transitive dependencies: of Django, of psycopg[binary] (an extra), of pip-audit.
    assert {"sqlparse", "asgiref", "psycopg-binary", "requests", "urllib3"} <= set(closure)
    assert closure["django"] == pins["django"][0]


# --- the production image ---------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def commands(run: str) -> list[list[str]]:
    """The simple commands of a RUN line, split on && ; and |."""
    return [shlex.split(part) for part in re.split(r"&&|;|\|\|?", run) if part.strip()]


def test_the_image_installs_python_packages_only_from_requirements_txt():
    installs, copied = [], []
    for keyword, rest in dockerfile_instructions():
        if keyword == "COPY":
            copied.extend(rest.split())
        if keyword != "RUN":
            continue
        for words in commands(rest):
            if "pip" in " ".join(words) and "install" in words:
                assert words[:2] == ["pip", "install"], f"only `pip install -r`: {words}"
                args = words[2:]
                assert "requirements.txt" in copied, "COPY requirements.txt before installing"
                assert args.count("-r") == 1 and args[args.index("-r") + 1] == "requirements.txt"
                del args[args.index("-r") : args.index("-r") + 2]
                for arg in args:
                    assert arg.startswith("-"), f"a package named outside requirements.txt: {arg}"
                    assert not re.match(
                        r"-(i|c|e|f)$|--(index-url|extra-index-url|constraint|editable|find-links)",
                        arg,
                    ), f"packages from elsewhere: {arg}"
                installs.append(words)
            assert words[:1] not in (["pip3"], ["easy_install"]), words
            assert words[:3] != ["python", "-m", "pip"], words
    assert len(installs) == 1


def test_the_image_installs_node_packages_only_with_npm_ci():
    stage_copies, npm = [], []
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            stage_copies = []
        elif keyword == "COPY":
            stage_copies.extend(rest.split())
        elif keyword == "RUN":
            for words in commands(rest):
                tools = {"npm", "npx", "yarn", "pnpm"}
                if words and words[0] in tools:
                    assert words[:2] == ["npm", "ci"], f"only `npm ci` from the lock file: {words}"
                    assert {"package.json", "package-lock.json"} <= set(stage_copies)
                    npm.append(words)
    assert len(npm) == 1


def test_the_build_context_leaves_out_local_environments():
    entries = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "node_modules", "var", ".git"} <= entries


def test_requirements_txt_pins_every_package_the_image_installs():
    """The image installs the whole runtime closure at the versions CI tested and audited:
    every package the pins pull in is pinned too, at the version .venv/ holds."""
    audit = load_audit()
    pins = audit.read_pins(ROOT / "requirements.txt")
    closure = audit.installed_closure(pins)
    pinned = {name: version for name, (version, _) in pins.items()}
    missing = {name: v for name, v in closure.items() if name not in pinned}
    assert not missing, f"pin these in requirements.txt: {missing}"
    assert all(pinned[name] == version for name, version in closure.items())
