"""Settings come from the environment and refuse an unsafe production start."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import override_settings

from tests.services import ROOT

CHECK = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.base';"
    "django.setup(); from django.conf import settings;"
    "print(settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.DATABASES['default']['ENGINE'])"
)


def run_settings(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run CHECK (or, given arguments, that command line) with only the given environment."""
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *(args or ("-c", CHECK))],
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


# --- HTTPS ------------------------------------------------------------------------------------

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k9#Lr2!vQ7@xT4$wZ1^pN8&mB5*cF3(hJ6)dS0_gY-eU+iO=aR|tW~nE",
    "ALLOWED_HOSTS": "tracker.example.gov.cn",
}
HTTPS_SETTINGS = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.base';"
    "django.setup(); from django.conf import settings;"
    "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS,"
    " getattr(settings, 'SECURE_PROXY_SSL_HEADER', None), settings.TRUSTED_PROXY_COUNT)"
)


def test_check_deploy_has_no_hsts_or_ssl_redirect_warning_in_production(tmp_path):
    result = run_settings(
        {**PRODUCTION, "VAR_DIR": str(tmp_path)}, "manage.py", "check", "--deploy"
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "security.W004" not in output and "security.W008" not in output, output


def test_production_redirects_to_https_and_sends_hsts_for_a_year(tmp_path):
    result = run_settings({**PRODUCTION, "VAR_DIR": str(tmp_path)}, "-c", HTTPS_SETTINGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "31536000", "None", "0"]


def test_zero_turns_the_redirect_and_hsts_off_for_a_plain_http_server(tmp_path):
    env = {**PRODUCTION, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0"}
    result = run_settings({**env, "VAR_DIR": str(tmp_path)}, "-c", HTTPS_SETTINGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "0", "None", "0"]


def test_the_proxys_https_header_is_believed_only_with_a_trusted_proxy(tmp_path):
    env = {**PRODUCTION, "TRUSTED_PROXY_COUNT": "1", "VAR_DIR": str(tmp_path)}
    result = run_settings(env, "-c", HTTPS_SETTINGS)
    assert result.returncode == 0, result.stderr
    assert "('HTTP_X_FORWARDED_PROTO', 'https') 1" in result.stdout


def test_a_negative_proxy_count_is_refused(tmp_path):
    env = {**PRODUCTION, "TRUSTED_PROXY_COUNT": "-1", "VAR_DIR": str(tmp_path)}
    result = run_settings(env, "-c", HTTPS_SETTINGS)
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_the_https_redirect_spares_the_health_check_probed_over_plain_http(client):
    assert client.get("/accounts/login/").url.startswith("https://")
    assert client.get("/healthz").status_code == 200
