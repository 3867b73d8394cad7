"""Settings come from the environment and refuse an unsafe production start."""

from __future__ import annotations

import subprocess
import sys

from tests.services import ROOT

CHECK = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.base';"
    "django.setup(); from django.conf import settings;"
    "print(settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.DATABASES['default']['ENGINE'])"
)


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_a_production_start_without_secret_key(tmp_path):
    result = run_settings({"DEBUG": "0", "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_it_starts_in_production_with_a_secret_key_and_chinese_defaults(tmp_path):
    result = run_settings({"DEBUG": "0", "SECRET_KEY": "s3cret", "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["zh-hans", "Asia/Shanghai", "django.db.backends.sqlite3"]


def test_it_reads_the_database_from_database_url(tmp_path):
    result = run_settings(
        {"DEBUG": "1", "VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u:p@db:5432/x"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[2] == "django.db.backends.postgresql"


def test_it_rejects_a_boolean_it_cannot_read(tmp_path):
    result = run_settings({"DEBUG": "maybe", "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
