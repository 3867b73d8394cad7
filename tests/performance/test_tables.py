"""The official tables as xlsx: 预算12表 and 预算11表 open, read and merge as the documents."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.importer import run_import
from budgets.models import Department
from performance.choices import METRIC_EXECUTION
from performance.models import DepartmentTarget, Indicator
from performance.tables import DEFAULT_TARGET_NOTE, table_11, table_12
from tests.budgets.workbooks import (
    FORMULA_INDICATOR_NAME,
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
from tracking.choices import ReportStatus, Stage
from tracking.models import Report, Round

from .conftest import complete_targets, make_indicator

SAMPLES = Path(settings.BASE_DIR) / "demo"
YEAR_END = date(2024, 12, 31)


def book_of(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def merged(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def row_values(ws, row: int) -> list:
    return [c.value for c in ws[row]]


# --- 预算12表 ---------------------------------------------------------------------------------


@pytest.fixture
def table_12_sheet(project_a, unit_a):
    """Department 309 with two projects: one with targets in every group, one with none."""
    complete_targets(project_a)
    make_indicator(project_a, "产出指标", "印刷品质量合格率", "100%")
    make_indicator(project_a, "产出指标", "窗口工作人员补助数量", "≥11500人次")
    ProjectFactory(
        unit=unit_a,
        code="410700240000000012811",
        name="医保中心聘用人员经费",
        initial_budget=Decimal("3.48"),
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


def test_table_12_has_the_department_and_unit_rows_with_totals(table_12_sheet):
    ws = table_12_sheet
    assert row_values(ws, 6)[:4] == ["309", "新乡市医疗保障局", 53.48, 53.48]
    assert row_values(ws, 7)[:4] == ["309002", "新乡市医疗保险中心", 53.48, 53.48]
    assert ws["C6"].number_format == "#,##0.00"


def test_table_12_gives_each_project_a_block_with_the_groups_side_by_side(table_12_sheet):
    ws = table_12_sheet
    # project_a: three 产出指标 make a block of three rows (8–10).
    assert row_values(ws, 8) == [
        "410700240000000012809",
        "医保中心医保工作经费",
        50,
        50,
        None,
        None,
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
    # A project without indicators still takes one row, unmerged.
    assert row_values(ws, 11)[:4] == ["410700240000000012811", "医保中心聘用人员经费", 3.48, 3.48]
    assert not any(r.startswith("A11") for r in merged(ws))
    assert ws.max_row == 11


def test_table_12_is_bordered_wrapped_and_printable(table_12_sheet):
    ws = table_12_sheet
    assert ws["A9"].border.left.style == "thin"  # inside a merged block too
    assert ws["N11"].border.bottom.style == "thin"
    assert ws["I8"].alignment.wrap_text
    assert ws["C8"].alignment.horizontal == "right"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$5"
    assert ws.column_dimensions["B"].width == 30


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
        assert (name, raw) in cells


def test_table_12_of_a_department_without_projects_says_so(department_a):
    ws = book_of(table_12(year=2024, departments=[department_a])).active
    assert ws["A6"].value == "本年度暂无项目"


def test_table_12_reads_the_same_queries_for_one_project_and_for_many(department_a, unit_a):
    def run() -> int:
        with CaptureQueriesContext(connection) as queries:
            table_12(year=2024, departments=[department_a])
        return len(queries)

    complete_targets(ProjectFactory(unit=unit_a))
    one = run()
    for _ in range(10):
        complete_targets(ProjectFactory(unit=UnitFactory(department=department_a)))
    assert run() == one


# --- 预算11表 ---------------------------------------------------------------------------------


@pytest.fixture
def department_data(project_a, department_a, unit_a):
    """Department 309 in 2024: budget 50 + 10 adjusted + 100 basic, 144 spent, two projects."""
    complete_targets(project_a)
    other = ProjectFactory(
        unit=unit_a,
        code="410700240000000012811",
        name="医保中心聘用人员经费",
        initial_budget=Decimal("0"),
    )
    DepartmentBudgetFactory(
        department=department_a,
        basic_expenditure=Decimal("100"),
        three_public_budget=Decimal("2"),
        procurement_budget=None,
    )
    AdjustmentFactory(project=project_a, amount=Decimal("10"))
    PaymentFactory(project=project_a, amount=Decimal("44"))
    PaymentFactory(project=None, department=department_a, amount=Decimal("100"))
    PaymentFactory(project=None, department=department_a, amount=Decimal("1"), three_public=True)
    monitoring_old = Round.objects.create(
        division=department_a.division,
        year=2024,
        stage=Stage.MONITORING,
        as_of=date(2024, 3, 31),
        deadline=date(2024, 4, 10),
    )
    monitoring = Round.objects.create(
        division=department_a.division,
        year=2024,
        stage=Stage.MONITORING,
        as_of=date(2024, 7, 31),
        deadline=date(2024, 8, 10),
    )
    evaluation = Round.objects.create(
        division=department_a.division,
        year=2024,
        stage=Stage.SELF_EVALUATION,
        as_of=YEAR_END,
        deadline=date(2025, 2, 28),
    )
    # Submitted in an older round only: does not count for monitoring completion.
    Report.objects.create(round=monitoring_old, project=other, status=ReportStatus.SUBMITTED)
    Report.objects.create(round=monitoring, project=project_a, status=ReportStatus.APPROVED)
    Report.objects.create(round=monitoring, project=other, status=ReportStatus.DRAFT)
    Report.objects.create(round=evaluation, project=project_a, status=ReportStatus.SUBMITTED)
    DepartmentTarget.objects.create(
        department=department_a, year=2024, metric=METRIC_EXECUTION, target="≥95%", note="省定"
    )
    return department_a


def indicator_rows(ws) -> dict[str, list]:
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "一级指标")
    return {ws.cell(r, 3).value: row_values(ws, r) for r in range(header + 1, header + 9)}


def test_table_11_has_the_department_tasks_and_budget(department_data):
    ws = book_of(table_11(year=2024, as_of=YEAR_END, departments=[department_data])).active
    assert ws["A1"].value == "部门（单位）整体绩效目标表" and ws["A2"].value == "（2024年度）"
    assert (ws["A3"].value, ws["B3"].value) == ("单位名称", "309 新乡市医疗保障局")
    assert row_values(ws, 4)[:5] == ["年度主要任务", "任务名称", None, None, "预算金额（万元）"]
    assert row_values(ws, 5)[1] == "医保中心医保工作经费" and row_values(ws, 5)[4] == 50
    assert "A4:A6" in merged(ws) and "B5:D5" in merged(ws)
    assert (ws["A7"].value, ws["B7"].value, ws["E7"].value) == (
        "预算情况",
        "部门预算总额（万元）",
        150,
    )
    assert ws["E8"].value == 100 and ws["E9"].value == 50
    assert ws["E10"].value == 160 and ws["E11"].value == 145  # adjusted, executed


def test_table_11_gives_each_rate_its_target_and_the_computed_value(department_data):
    ws = book_of(table_11(year=2024, as_of=YEAR_END, departments=[department_data])).active
    rows = indicator_rows(ws)
    assert list(rows) == [
        "预算执行率",
        "预算调整率",
        "结转结余率",
        "“三公经费”控制率",
        "政府采购执行率",
        "绩效目标编制完成率",
        "绩效监控完成率",
        "绩效自评完成率",
    ]
    execution = rows["预算执行率"]
    assert execution[:6] == [
        "投入管理指标",
        "预算和财务管理",
        "预算执行率",
        "≥95%",
        90.63,
        "未达到",
    ]
    assert execution[6] == "预算执行率=执行数/全年预算数×100%\n说明：省定"
    assert rows["预算调整率"][3:6] == ["≤10%", 6.67, "达到"]
    assert rows["结转结余率"][3:6] == ["≤10%", 9.38, "达到"]
    assert rows["“三公经费”控制率"][3:6] == ["≤100%", 50, "达到"]
    assert rows["政府采购执行率"][3:6] == ["≥90%", "—", "—"]
    assert rows["绩效目标编制完成率"][:6] == [
        None,
        "绩效管理",
        "绩效目标编制完成率",
        "100%",
        50,
        "未达到",
    ]
    assert rows["绩效监控完成率"][4] == 50
    assert rows["绩效自评完成率"][4] == 50
    assert rows["绩效自评完成率"][6].endswith(DEFAULT_TARGET_NOTE)
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "一级指标")
    assert {f"A{header + 1}:A{header + 8}", f"B{header + 1}:B{header + 5}"} <= merged(ws)
    assert ws.cell(header + 1, 5).number_format == '0.00"%"'
    assert ws.cell(header + 1, 5).alignment.horizontal == "right"
    assert ws.page_setup.orientation == "landscape"


def test_table_11_without_rounds_or_budget_shows_no_rate_as_a_dash(department_a):
    ws = book_of(table_11(year=2024, as_of=YEAR_END, departments=[department_a])).active
    rows = indicator_rows(ws)
    assert rows["预算执行率"][4:6] == ["—", "—"]
    assert rows["绩效监控完成率"][4:6] == ["—", "—"]


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


def test_table_11_writes_texts_that_look_like_formulas_as_text(formula_like_project):
    content = table_11(year=2024, as_of=YEAR_END, departments=[formula_like_project.department])
    assert_cells_are_text(content, [FORMULA_SUMMARY, FORMULA_PROJECT_NAME])


# --- the downloads ------------------------------------------------------------------------------


def test_staff_download_their_departments_table_12(client_of, alice, project_a, project_b):
    complete_targets(project_a)
    complete_targets(project_b)
    response = client_of(alice).get(reverse("performance:table_12"), {"year": "2024"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''2024" in response["Content-Disposition"]
    book = book_of(response.content)
    assert book.sheetnames == ["309 新乡市医疗保障局"]


def test_the_reviewer_downloads_every_department_or_one(client_of, rita, project_a, project_b):
    client = client_of(rita)
    url = reverse("performance:table_11")
    assert book_of(client.get(url, {"year": "2024"}).content).sheetnames == [
        "044 西峡县医疗保障局本级",
        "309 新乡市医疗保障局",
    ]
    one = client.get(url, {"year": "2024", "department": "044"})
    assert book_of(one.content).sheetnames == ["044 西峡县医疗保障局本级"]


def test_bob_cannot_download_alices_departments_tables(client_of, bob, project_a):
    client = client_of(bob)
    for name in ("performance:table_12", "performance:table_11"):
        response = client.get(reverse(name), {"year": "2024", "department": "309"})
        assert response.status_code == 404
    content = client.get(reverse("performance:table_12"), {"year": "2024"}).content
    assert project_a.name.encode() not in content
    assert book_of(content).sheetnames == ["044 西峡县医疗保障局本级"]
