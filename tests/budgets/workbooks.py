"""Workbooks built in tests: `make_workbook(path, {"项目": [header, row, ...]})`."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl


def make_workbook(path: str | Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write an xlsx whose sheets hold the given rows (the first list is the header row).

    An empty list in the rows leaves that Excel row blank, so row numbers can have gaps.
    """
    path = Path(path)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            # append([]) still advances the row counter: a blank row as Excel shows it.
            sheet.append(list(row))
    workbook.save(path)
    return path


# --- the budgets sheets (spec/import-workbook.md) -----------------------------------------
PROJECT_HEADER = [
    "年度",
    "部门编码",
    "部门名称",
    "单位编码",
    "单位名称",
    "项目编码",
    "项目名称",
    "项目类型",
    "年初预算",
    "上年结转",
    "区划编码",
]
BUDGET_HEADER = ["年度", "部门编码", "基本支出", "三公经费预算", "政府采购预算", "区划编码"]
ADJUSTMENT_HEADER = ["项目编码", "调整文号", "日期", "调整金额", "说明"]
PAYMENT_HEADER = [
    "部门编码",
    "凭证号",
    "日期",
    "金额",
    "项目编码",
    "三公经费",
    "政府采购",
    "摘要",
    "区划编码",
]
# The 区划 of the tests' departments (tests.factories.DivisionFactory): project rows name it,
# since test project codes (P1, Q1) do not begin with one.
DIVISION = "410700"


def project_row(
    code: str,
    *,
    year: int = 2024,
    department: str = "309",
    department_name: str = "新乡市医疗保障局",
    unit: str | None = None,
    unit_name: str | None = None,
    name: str | None = None,
    type: str = "特定目标类",
    initial: Any = 100,
    carryover: Any = None,
    division: str | None = DIVISION,
) -> list[Any]:
    """A row of sheet 项目; the unit defaults to the department's 002 unit.

    `division` fills the optional 区划编码 column; None leaves it blank for the import to infer.
    """
    return [
        year,
        department,
        department_name,
        unit or f"{department}002",
        unit_name or f"{department_name}本级",
        code,
        name or f"项目{code}",
        type,
        initial,
        carryover,
        division,
    ]


def payment_row(
    voucher: str,
    day: Any,
    amount: Any,
    *,
    department: str = "309",
    project: str | None = None,
    three_public: str | None = None,
    procurement: str | None = None,
    summary: str | None = None,
    division: str | None = None,
) -> list[Any]:
    """A row of sheet 支出; `division` fills the optional 区划编码 column."""
    return [
        department,
        voucher,
        day,
        amount,
        project,
        three_public,
        procurement,
        summary,
        division,
    ]


def database_state() -> dict[str, list[tuple]]:
    """Every row of every model of the project's apps, history tables included."""
    from django.apps import apps

    state = {}
    for app_label in ("budgets", "performance", "tracking"):
        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            continue
        for model in config.get_models():
            rows = model.objects.order_by("pk").values_list()
            state[model._meta.label] = [tuple(map(repr, row)) for row in rows]
    return state


# --- formula injection ----------------------------------------------------------------------
# Texts a spreadsheet would run as a formula (or show as an error value) if written as typed.
FORMULA_PROJECT_NAME = '=HYPERLINK("http://x","项目")'
FORMULA_SUMMARY = "=cmd|' /C calc'!A0"
FORMULA_INDICATOR_NAME = '=HYPERLINK("http://x","y")'
FORMULA_NOTE = "+1+1"
FORMULA_CAUSE = "-1+2"
FORMULA_MEASURE = "@SUM(A1:A2)"
ERROR_TEXT = "#N/A"
_FORMULA_ELEMENT = re.compile(rb"<(\w+:)?f[\s>/]")


def assert_cells_are_text(xlsx: bytes | Path, texts: Iterable[str]) -> None:
    """Each text is a text cell of the workbook, and no sheet holds a formula."""
    data = xlsx.read_bytes() if isinstance(xlsx, Path) else xlsx
    workbook = openpyxl.load_workbook(BytesIO(data))
    cells = {
        cell.value: cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }
    for text in texts:
        assert text in cells, text
        assert cells[text].data_type == "s", (text, cells[text].data_type)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not _FORMULA_ELEMENT.search(archive.read(name)), name
