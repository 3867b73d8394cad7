"""The official tables as xlsx: 预算12表 and 预算11表 open, read and merge as the documents,
print targets only, values without whitespace, every text as text."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.importer import run_import
from budgets.models import Department
from performance.choices import DEPARTMENT_METRICS
from performance.models import DepartmentIndicator, Indicator
from performance.values import without_spaces
from reporting.tables import table_11, table_12
from tests.budgets.workbooks import (
    FORMULA_INDICATOR_NAME,
    FORMULA_NOTE,
    FORMULA_PROJECT_NAME,
    FORMULA_SUMMARY,
    assert_cells_are_text,
)
from tests.factories import (
    AdjustmentFactory,
    DepartmentBudgetFactory,
    PaymentFactory,
    ProjectFactory,
    UnitFactory,
)
from tests.performance.conftest import complete_targets, make_indicator

from .conftest import department_goal, department_indicator

SAMPLES = Path(settings.BASE_DIR) / "demo"


def book_of(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def merged(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def row_values(ws, row: int) -> list:
    return [c.value for c in ws[row]]


def all_texts(ws) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


# --- 预算12表 ---------------------------------------------------------------------------------


@pytest.fixture
def table_12_sheet(project_a, unit_a):
    """Department 309: project_a with targets in every group; then, later in the 项目 sheet, a
    project whose code sorts first, with no targets and money from other sources."""
    complete_targets(project_a)
    make_indicator(project_a, "产出指标", "印刷品质量合格率", "100 %")
    make_indicator(project_a, "产出指标", "窗口工作人员补助数量", "≥11500\n人次")
    ProjectFactory(
        unit=unit_a,
        code="410700230000000053403",
        name="城乡居民医保管理费",
        initial_budget=Decimal("40"),
        carryover=Decimal("10.55"),
        special_account_funds=Decimal("20"),
        unit_funds=Decimal("0.55"),
    )
    content = table_12(year=2024, departments=[project_a.department])
    return book_of(content).active


def test_table_12_has_the_documents_title_and_header(table_12_sheet):
    ws = table_12_sheet
    assert ws.title == "309 新乡市医疗保障局"
    assert ws["A1"].value == "2024年部门预算项目绩效目标汇总表"
    assert ws["A2"].value == "单位名称：新乡市医疗保障局" and ws["M2"].value == "单位：万元"
    assert (ws["A3"].value, ws["B3"].value, ws["C3"].value, ws["G3"].value) == (
        "单位编码（项目编码）",
        "项目单位（项目名称）",
        "项目金额（万元）",
        "绩效目标",
    )
    assert row_values(ws, 4)[6:] == [
        "成本指标",
        None,
        "产出指标",
        None,
        "效益指标",
        None,
        "满意度指标",
        None,
    ]
    assert row_values(ws, 5)[2:] == [
        "资金总额",
        "政府预算资金",
        "财政专户管理资金",
        "单位资金",
        *["三级指标", "指标值"] * 4,
    ]
    assert {"A1:N1", "A3:A5", "B3:B5", "C3:F4", "G3:N3", "G4:H4", "I4:J4", "K4:L4", "M4:N4"} <= (
        merged(ws)
    )


def test_table_12_prints_the_four_money_columns_with_0_where_there_is_none(table_12_sheet):
    ws = table_12_sheet
    # 资金总额 = 年初预算 + 上年结转; 政府预算资金 = 资金总额 − 财政专户管理资金 − 单位资金.
    assert row_values(ws, 6)[:6] == ["309", "新乡市医疗保障局", 100.55, 80, 20, 0.55]
    assert row_values(ws, 7)[:6] == ["309002", "新乡市医疗保险中心", 100.55, 80, 20, 0.55]
    assert row_values(ws, 8)[2:6] == [50, 50, 0, 0]
    assert row_values(ws, 11)[2:6] == [50.55, 30, 20, 0.55]
    assert all(ws.cell(8, col).number_format == "#,##0.00" for col in range(3, 7))
    assert all(ws.cell(8, col).alignment.horizontal == "right" for col in range(3, 7))


def test_table_12_keeps_the_projects_in_the_order_of_the_project_sheet(table_12_sheet):
    ws = table_12_sheet
    # project_a came first in the sheet; the later one's code sorts before it, and stays after.
    assert ws["A8"].value == "410700240000000012809"
    assert ws["A11"].value == "410700230000000053403"


def test_table_12_gives_each_project_a_block_with_values_without_whitespace(table_12_sheet):
    ws = table_12_sheet
    # project_a: three 产出指标 make a block of three rows (8–10).
    assert row_values(ws, 8)[:2] + row_values(ws, 8)[6:] == [
        "410700240000000012809",
        "医保中心医保工作经费",
        "项目成本",
        "≤50万元",
        "印刷告知书",
        "15万册",
        "提高工作效率",
        "有效提高",
        "市民满意度",
        "≥90%",
    ]
    assert row_values(ws, 9)[6:10] == [None, None, "印刷品质量合格率", "100%"]
    assert row_values(ws, 10)[8:10] == ["窗口工作人员补助数量", "≥11500人次"]
    assert {f"{col}8:{col}10" for col in "ABCDEF"} <= merged(ws)
    # The stored values stay as written.
    assert Indicator.objects.get(name="印刷品质量合格率").raw == "100 %"
    # A project without indicators still takes one row, unmerged.
    assert not any(r.startswith("A11") for r in merged(ws))
    assert ws.max_row == 11


def test_table_12_is_bordered_wrapped_and_printable(table_12_sheet):
    ws = table_12_sheet
    assert ws["A9"].border.left.style == "thin"  # inside a merged block too
    assert ws["N11"].border.bottom.style == "thin"
    assert ws["I8"].alignment.wrap_text
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$5"
    assert ws.column_dimensions["B"].width == 30


def test_table_12_groups_projects_under_their_units_in_sheet_order(department_a, unit_a):
    second_unit = UnitFactory(department=department_a, code="309001", name="新乡市医疗保障局本级")
    ProjectFactory(unit=unit_a, code="P-3", name="三")
    ProjectFactory(unit=second_unit, code="P-1", name="一")
    ProjectFactory(unit=unit_a, code="P-2", name="二")
    ws = book_of(table_12(year=2024, departments=[department_a])).active
    assert [ws.cell(r, 1).value for r in range(6, ws.max_row + 1)] == [
        "309",
        "309002",
        "P-3",
        "P-2",
        "309001",
        "P-1",
    ]


def test_table_12_of_the_samples_lists_every_indicator(db):
    for path in sorted(SAMPLES.glob("*.xlsx")):
        assert run_import(path).ok
    departments = list(Department.objects.order_by("code"))
    book = book_of(table_12(year=2024, departments=departments))
    assert book.sheetnames == ["044 西峡县医疗保障局本级", "309 新乡市医疗保障局"]
    cells = {
        (ws.cell(r, c).value, ws.cell(r, c + 1).value)
        for ws in book
        for r in range(6, ws.max_row + 1)
        for c in (7, 9, 11, 13)
    }
    for name, raw in Indicator.objects.values_list("name", "raw"):
        assert (name, without_spaces(raw)) in cells


def test_table_12_of_a_department_without_projects_says_so(department_a):
    ws = book_of(table_12(year=2024, departments=[department_a])).active
    assert ws["A6"].value == "本年度暂无项目"


def test_table_12_reads_the_same_queries_for_one_department_and_for_many(department_a, unit_a):
    def run(departments) -> int:
        with CaptureQueriesContext(connection) as queries:
            table_12(year=2024, departments=departments)
        return len(queries)

    complete_targets(ProjectFactory(unit=unit_a))
    one = run([department_a])
    departments = [department_a]
    for _ in range(5):
        unit = UnitFactory()
        departments.append(unit.department)
        for _ in range(3):
            complete_targets(ProjectFactory(unit=unit))
    assert run(departments) == one


# --- 预算11表 ---------------------------------------------------------------------------------


@pytest.fixture
def department_year(department_a, project_a, unit_a, stated_targets):
    """Department 309 in 2024: goals, tasks, a stated total and two projects, one of them with
    money from a 财政专户 and its own funds."""
    department_goal(department_a, "履职目标", 2, "加强资产统筹调剂管理。")
    department_goal(department_a, "履职目标", 1, "强化资产配置预算管理。")
    department_goal(department_a, "主要任务", 1, "医保系统运行维护费", "保障参保人员业务正常办理")
    ProjectFactory(
        unit=unit_a,
        initial_budget=Decimal("54.03"),
        special_account_funds=Decimal("4"),
        unit_funds=Decimal("1.03"),
    )
    DepartmentBudgetFactory(
        department=department_a,
        basic_expenditure=Decimal("762.99"),
        stated_total=Decimal("867.02"),
    )
    return department_a


@pytest.fixture
def table_11_sheet(department_year):
    return book_of(table_11(year=2024, departments=[department_year])).active


def test_table_11_has_the_documents_title_lines(table_11_sheet):
    ws = table_11_sheet
    assert ws.title == "309 新乡市医疗保障局"
    assert ws["A1"].value == "部门（单位）整体绩效目标表"
    assert ws["A2"].value == "（2024年度）"
    assert ws["A3"].value == "部门名称：新乡市医疗保障局"
    assert {"A1:E1", "A2:E2", "A3:E3"} <= merged(ws)
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.fitToWidth == 1


def test_table_11_numbers_the_goals_and_lists_the_tasks(table_11_sheet):
    ws = table_11_sheet
    assert (ws["A4"].value, ws["B4"].value) == ("年度履职目标", "目标1：强化资产配置预算管理。")
    assert ws["B5"].value == "目标2：加强资产统筹调剂管理。"
    assert {"A4:A5", "B4:E4", "B5:E5"} <= merged(ws)
    assert row_values(ws, 6) == ["年度主要任务", "任务名称", None, "主要内容", None]
    assert row_values(ws, 7) == [None, "医保系统运行维护费", None, "保障参保人员业务正常办理", None]
    assert {"A6:A7", "B6:C6", "D6:E6", "B7:C7", "D7:E7"} <= merged(ws)


def test_table_11_shows_the_budget_with_its_sources_and_structure(table_11_sheet):
    ws = table_11_sheet
    lines = [(ws.cell(r, 2).value, ws.cell(r, 4).value) for r in range(8, 14)]
    assert ws["A8"].value == "预算情况" and "A8:A13" in merged(ws)
    # The stated total; what is not 财政专户 or 单位资金 is 政府预算资金.
    assert lines == [
        ("部门预算总额（万元）", 867.02),
        ("1、资金来源：（1）政府预算资金", 861.99),
        ("（2）财政专户管理资金", 4),
        ("（3）单位资金", 1.03),
        ("2、资金结构：（1）基本支出", 762.99),
        ("（2）项目支出", 104.03),
    ]
    assert {"B8:C8", "D8:E8", "D13:E13"} <= merged(ws)
    assert ws["D8"].number_format == "#,##0.00"


def test_table_11_without_a_stated_total_adds_basic_and_project_expenditure(
    department_a, project_a
):
    DepartmentBudgetFactory(department=department_a, basic_expenditure=Decimal("100"))
    ws = book_of(table_11(year=2024, departments=[department_a])).active
    amounts = {ws.cell(r, 2).value: ws.cell(r, 4).value for r in range(1, ws.max_row + 1)}
    assert amounts["部门预算总额（万元）"] == 150
    assert amounts["1、资金来源：（1）政府预算资金"] == 150
    assert amounts["（2）财政专户管理资金"] == 0 and amounts["（3）单位资金"] == 0


def indicator_block(ws) -> tuple[int, list[list]]:
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "一级指标")
    return header, [row_values(ws, r) for r in range(header, ws.max_row + 1)]


def test_table_11_lists_the_indicators_with_merged_groups_and_values_without_whitespace(
    table_11_sheet,
):
    ws = table_11_sheet
    header, rows = indicator_block(ws)
    assert header == 14
    assert rows == [
        ["一级指标", "二级指标", "三级指标", "指标值", "指标值说明"],
        ["投入管理指标", "工作目标管理", "年度履职目标相关性", "相关", "履职目标是否符合规划"],
        [None, "预算和财务管理", "预算执行率", "≥90%", "预算执行率=（预算完成数/预算数）×100%"],
        [None, None, "结转结余率", "≤10%", "结转结余率=结转结余总额/预算数*100%"],
        [None, "绩效管理", "绩效自评完成率", "100%", None],
        ["产出指标", "重点工作任务完成", "重点工作任务完成", "完成", None],
        [None, "履职目标实现", "履职目标实现", "≥95%", None],
        ["效益指标", "履职效益", "履职效益", "≥95%", None],
        ["满意度指标", None, "群众满意度", "≥95%", None],
    ]
    assert {"A15:A18", "B16:B17", "A19:A20"} <= merged(ws)
    assert not any(r.startswith(("A21", "B21", "B15", "B18")) for r in merged(ws))
    # Stored as written.
    assert DepartmentIndicator.objects.get(name="预算执行率").raw == "≥ 90 %"
    assert DepartmentIndicator.objects.get(name="群众满意度").raw == "≥\n95%"
    assert ws["E15"].alignment.wrap_text and ws["E15"].alignment.horizontal is None
    assert ws["A15"].border.left.style == "thin" and ws["E22"].border.bottom.style == "thin"


def test_table_11_prints_targets_only(department_year, project_a):
    # Payments and adjustments exist; nothing of them reaches the target table.
    AdjustmentFactory(project=project_a, amount=Decimal("10"))
    PaymentFactory(project=project_a, amount=Decimal("44"))
    ws = book_of(table_11(year=2024, departments=[department_year])).active
    texts = " ".join(all_texts(ws))
    for word in ("系统计算", "达成情况", "达到", "执行数", "全年预算数", "截至"):
        assert word not in texts, word
    numbers = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, int | float)]
    assert 44 not in numbers and 60 not in numbers


def test_a_department_without_its_own_targets_shows_the_computed_indicators_empty(
    department_a, department_b, stated_targets
):
    book = book_of(table_11(year=2024, departments=[department_a, department_b]))
    ws = book["044 西峡县医疗保障局本级"]
    header, rows = indicator_block(ws)
    assert [r[2] for r in rows[1:]] == [label for _, label in DEPARTMENT_METRICS]
    assert all(r[3] is None for r in rows[1:])  # no value: none is taken from 309
    assert rows[1][:2] == ["投入管理指标", "预算和财务管理"]
    assert rows[6][1] == "绩效管理"
    assert f"A{header + 1}:A{header + 8}" in merged(ws)
    # 309's own targets are on its own sheet only.
    own = " ".join(all_texts(book["309 新乡市医疗保障局"]))
    assert "年度履职目标相关性" in own
    assert "年度履职目标相关性" not in " ".join(all_texts(ws))
    # Empty goals and tasks keep their rows.
    assert ws["A4"].value == "年度履职目标" and ws["B4"].value is None
    assert row_values(ws, 5)[:4] == ["年度主要任务", "任务名称", None, "主要内容"]


def test_table_11_reads_the_same_queries_for_one_department_and_for_many(department_a, unit_a):
    def run(departments) -> int:
        with CaptureQueriesContext(connection) as queries:
            table_11(year=2024, departments=departments)
        return len(queries)

    ProjectFactory(unit=unit_a)
    department_indicator(department_a, "产出指标", "任务完成", "完成")
    one = run([department_a])
    departments = [department_a]
    for n in range(5):
        unit = UnitFactory()
        departments.append(unit.department)
        ProjectFactory(unit=unit)
        DepartmentBudgetFactory(department=unit.department, basic_expenditure=Decimal(n))
        department_indicator(unit.department, "产出指标", "任务完成", "完成")
        department_goal(unit.department, "履职目标", 1, "目标")
        department_goal(unit.department, "主要任务", 1, "任务", "内容")
    assert run(departments) == one


# --- texts that look like formulas -----------------------------------------------------------


@pytest.fixture
def formula_like_project(department_a):
    """A project whose unit, name, indicator and target a spreadsheet would run as formulas."""
    unit = UnitFactory(department=department_a, code="309009", name=FORMULA_SUMMARY)
    project = ProjectFactory(unit=unit, name=FORMULA_PROJECT_NAME)
    make_indicator(project, "产出指标", FORMULA_INDICATOR_NAME, "≥100人")
    return project


def test_table_12_writes_texts_that_look_like_formulas_as_text(formula_like_project):
    content = table_12(year=2024, departments=[formula_like_project.department])
    assert_cells_are_text(content, [FORMULA_SUMMARY, FORMULA_PROJECT_NAME, FORMULA_INDICATOR_NAME])


def test_table_11_writes_texts_that_look_like_formulas_as_text(department_a):
    department_indicator(
        department_a, "产出指标", FORMULA_INDICATOR_NAME, "完成", note=FORMULA_NOTE
    )
    department_goal(department_a, "主要任务", 1, FORMULA_PROJECT_NAME, FORMULA_SUMMARY)
    content = table_11(year=2024, departments=[department_a])
    assert_cells_are_text(
        content, [FORMULA_INDICATOR_NAME, FORMULA_NOTE, FORMULA_PROJECT_NAME, FORMULA_SUMMARY]
    )
