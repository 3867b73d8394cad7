"""python manage.py official_table 11|12 --year YYYY [--department CODE|区划/CODE] --output F:
every department a sheet, or one; bad input exits 1 with a Chinese message and writes nothing."""

from __future__ import annotations

import io
import subprocess
import sys
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from budgets.management.base import OUTPUT_NO_DIRECTORY
from tests.bureaus import two_bureaus
from tests.factories import DepartmentBudgetFactory
from tests.performance.conftest import complete_targets
from tests.services import ROOT, service_env

from .conftest import department_indicator

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("official_table", *args, stdout=out)
    return out.getvalue()


def refusal(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return str(caught.value)


def sheets(path: Path) -> list[str]:
    return openpyxl.load_workbook(io.BytesIO(path.read_bytes())).sheetnames


@pytest.mark.parametrize("table", ["11", "12"])
def test_it_writes_every_department_with_data_a_sheet_each(tmp_path, project_a, project_b, table):
    complete_targets(project_a)
    output = tmp_path / f"t{table}.xlsx"
    said = run(table, "--year", "2024", "--output", str(output))
    assert said.strip() == f"已写入 {output}（2个部门）"
    assert sheets(output) == ["044 西峡县医疗保障局本级", "309 新乡市医疗保障局"]
    assert [p.name for p in tmp_path.iterdir()] == [output.name]


def test_a_department_with_only_its_targets_or_budget_has_a_sheet(
    tmp_path, department_a, department_b
):
    department_indicator(department_a, "产出指标", "任务完成", "完成")
    DepartmentBudgetFactory(department=department_b)
    output = tmp_path / "t.xlsx"
    run("11", "--year", "2024", "--output", str(output))
    assert sheets(output) == ["044 西峡县医疗保障局本级", "309 新乡市医疗保障局"]


@pytest.mark.parametrize("table", ["11", "12"])
def test_it_writes_one_department_named_by_code_or_by_division_and_code(
    tmp_path, project_a, project_b, table
):
    output = tmp_path / "one.xlsx"
    run(table, "--year", "2024", "--department", "309", "--output", str(output))
    assert sheets(output) == ["309 新乡市医疗保障局"]
    ref = project_b.department.ref
    run(table, "--year", "2024", "--department", ref, "--output", str(output))
    assert sheets(output) == ["044 西峡县医疗保障局本级"]


def test_an_unknown_year_is_refused(tmp_path, project_a):
    output = tmp_path / "t.xlsx"
    assert refusal("11", "--year", "2023", "--output", str(output)) == (
        "2023年度没有任何部门的项目、部门预算或部门整体目标"
    )
    assert refusal("12", "--year", "1999", "--output", str(output)) == (
        "年度“1999”无效，应为2000—2100年之间的年份"
    )
    assert not output.exists()


def test_an_unknown_department_is_refused(tmp_path, project_a):
    output = tmp_path / "t.xlsx"
    message = refusal("11", "--year", "2024", "--department", "999", "--output", str(output))
    assert message == "部门编码“999”不存在"
    message = refusal("12", "--year", "2024", "--department", "411323/309", "--output", str(output))
    assert message == "部门编码“411323/309”不存在"
    assert not output.exists()


def test_a_bare_code_of_several_divisions_is_refused_naming_them(tmp_path):
    two_bureaus()
    message = refusal(
        "11", "--year", "2024", "--department", "060", "--output", str(tmp_path / "t.xlsx")
    )
    assert message.startswith("部门编码“060”在多个区划中都有：410702/060、411323/060")


def test_a_table_other_than_11_or_12_and_a_missing_output_are_refused(tmp_path, project_a):
    assert "invalid choice: '13'" in refusal("13", "--year", "2024", "--output", str(tmp_path))
    assert "--output" in refusal("11", "--year", "2024")


def test_an_output_that_cannot_be_written_is_named_before_anything_is_written(tmp_path, project_a):
    output = tmp_path / "no" / "t.xlsx"
    assert refusal("11", "--year", "2024", "--output", str(output)) == OUTPUT_NO_DIRECTORY.format(
        path=output, directory=output.parent
    )


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
    output = tmp_path / "t.xlsx"
    for args, message in (
        (("11", "--year", "2024"), "2024年度没有任何部门的项目、部门预算或部门整体目标"),
        (("13", "--year", "2024"), "invalid choice: '13'"),
    ):
        result = subprocess.run(
            [sys.executable, "manage.py", "official_table", *args, "--output", str(output)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1, args
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    assert not output.exists()
