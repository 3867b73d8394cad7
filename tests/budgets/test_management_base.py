"""Operator commands exit 1 on any bad input, bad arguments included (spec/commands.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.services import ROOT, service_env


@pytest.mark.parametrize(
    "args",
    [
        ["export_workbook", "--year", "abc", "--format", "json"],
        ["export_workbook", "--year", "2024", "--format", "csv"],
        ["open_round", "--year", "2024"],
        ["remind", "--today"],
        ["import_workbook"],
    ],
)
def test_a_bad_argument_exits_1_with_the_usage(tmp_path, args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=service_env(VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "error:" in result.stderr and "usage:" in result.stderr
