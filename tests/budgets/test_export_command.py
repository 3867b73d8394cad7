"""python manage.py export_workbook --output: a path that cannot be written is named, exit 1,
and nothing half-written is left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from budgets.management.base import (
    OUTPUT_IS_DIRECTORY,
    OUTPUT_NO_DIRECTORY,
    OUTPUT_NOT_PERMITTED,
    OUTPUT_PARENT_NOT_DIRECTORY,
)
from tests.services import ROOT, service_env

pytestmark = pytest.mark.django_db

FORMATS = ["xlsx", "json"]


def export(output: Path | str, fmt: str) -> str:
    out = StringIO()
    call_command(
        "export_workbook", "--year", "2024", "--format", fmt, "--output", str(output), stdout=out
    )
    return out.getvalue()


def refusal(output: Path | str, fmt: str) -> str:
    with pytest.raises(CommandError) as caught:
        export(output, fmt)
    return str(caught.value)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_output_in_a_directory_that_does_not_exist_is_named(tmp_path, fmt):
    output = tmp_path / "no" / "such" / f"x.{fmt}"
    assert refusal(output, fmt) == OUTPUT_NO_DIRECTORY.format(path=output, directory=output.parent)
    assert OUTPUT_NO_DIRECTORY.format(path="/a/x.xlsx", directory="/a") == (
        "无法写入输出文件 /a/x.xlsx：目录 /a 不存在"
    )
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_output_that_is_a_directory_is_named(tmp_path, fmt):
    assert refusal(tmp_path, fmt) == OUTPUT_IS_DIRECTORY.format(path=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_output_under_a_file_is_named(tmp_path, fmt):
    parent = tmp_path / "report.txt"
    parent.write_text("keep")
    output = parent / f"x.{fmt}"
    assert refusal(output, fmt) == OUTPUT_PARENT_NOT_DIRECTORY.format(path=output, directory=parent)
    assert parent.read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_output_in_a_read_only_directory_is_named(tmp_path, fmt):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        output = folder / f"x.{fmt}"
        assert refusal(output, fmt) == OUTPUT_NOT_PERMITTED.format(path=output)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_failure_while_writing_leaves_neither_the_file_nor_a_temporary_one(tmp_path, monkeypatch):
    def broken(target, **kwargs):
        Path(target).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("budgets.management.commands.export_workbook.write_workbook", broken)
    output = tmp_path / "x.xlsx"
    assert refusal(output, "xlsx") == f"无法写入输出文件 {output}：No space left on device"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_good_output_is_written_whole_and_replaces_an_older_one(tmp_path, fmt):
    output = tmp_path / f"x.{fmt}"
    output.write_text("old")
    export(output, fmt)
    assert list(tmp_path.iterdir()) == [output]
    if fmt == "json":
        assert json.loads(output.read_text(encoding="utf-8"))["year"] == 2024
    else:
        assert output.read_bytes()[:2] == b"PK"
    assert output.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_the_command_exits_1_with_the_message_and_no_traceback(tmp_path):
    env = service_env(VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    output = tmp_path / "no" / "x.xlsx"
    result = subprocess.run(
        [
            *(sys.executable, "manage.py", "export_workbook", "--year", "2024"),
            *("--format", "xlsx", "--output", str(output)),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"无法写入输出文件 {output}" in result.stderr
    assert "Traceback" not in result.stderr
