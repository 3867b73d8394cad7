"""The JSON export's budget figures, to the cent, and the xlsx export that re-imports as is."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl.utils import get_column_letter

from budgets.divisions import BAD_CODE
from budgets.export import build_export
from budgets.exporter import AMOUNT_FORMAT, column_width, write_workbook
from budgets.importer import run_import
from budgets.models import (
    Adjustment,
    Department,
    DepartmentBudget,
    Payment,
    Project,
    Unit,
    WarningSettings,
)
from budgets.selectors import UNKNOWN_DIVISION
from tests.bureaus import HONGQI, XIXIA, two_bureaus
from tests.factories import (
    AdjustmentFactory,
    DepartmentBudgetFactory,
    DepartmentFactory,
    PaymentFactory,
    ProjectFactory,
)

from .workbooks import (
    ADJUSTMENT_HEADER,
    ERROR_TEXT,
    FORMULA_CAUSE,
    FORMULA_INDICATOR_NAME,
    FORMULA_MEASURE,
    FORMULA_NOTE,
    FORMULA_PROJECT_NAME,
    FORMULA_SUMMARY,
    PAYMENT_HEADER,
    PROJECT_HEADER,
    assert_cells_are_text,
    make_workbook,
    payment_row,
    project_row,
)

D = Decimal
AS_OF = date(2024, 7, 31)
DEMO = Path(settings.BASE_DIR) / "demo"


def budget(initial, adjusted, executed, execution, adjustment, carryover, warning) -> dict:
    return {
        "initial": initial,
        "adjusted": adjusted,
        "executed": executed,
        "execution_rate": execution,
        "adjustment_rate": adjustment,
        "carryover_rate": carryover,
        "warning": warning,
    }


def by_code(entries: list[dict]) -> dict[str, dict]:
    return {entry["code"]: entry for entry in entries}


@pytest.fixture
def year_2024(unit_a, unit_b):
    """Department A: P1 with 追加/追减 and a refund, P2 with no budget, basic expenditure.

    Department B: only a 部门预算 row with a zero 三公经费预算.
    """
    p1 = ProjectFactory(code="P1", unit=unit_a, initial_budget=D("200.5"), carryover=D("49.5"))
    ProjectFactory(code="P2", unit=unit_a, initial_budget=D(0))
    AdjustmentFactory(project=p1, date=date(2024, 3, 1), amount=D(30))  # 追加
    AdjustmentFactory(project=p1, date=date(2024, 6, 30), amount=D(-20))  # 追减
    AdjustmentFactory(project=p1, date=date(2024, 8, 1), amount=D(100))  # after the date
    PaymentFactory(project=p1, date=date(2024, 2, 1), amount=D(100))
    PaymentFactory(project=p1, date=date(2024, 5, 1), amount=D(-10))  # refund
    PaymentFactory(project=p1, date=date(2024, 8, 15), amount=D(50))  # after the date
    dept = unit_a.department
    PaymentFactory(
        project=None, department=dept, date=date(2024, 4, 1), amount=D("1.5"), three_public=True
    )
    PaymentFactory(project=None, department=dept, date=AS_OF, amount=D(40), procurement=True)
    DepartmentBudgetFactory(
        department=dept,
        basic_expenditure=D(100),
        three_public_budget=D(2),
        procurement_budget=D(50),
    )
    DepartmentBudgetFactory(department=unit_b.department, three_public_budget=D(0))


# --- figures, to the cent -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_time_progress_of_31_july_2024_is_58_20(year_2024):
    document = build_export(year=2024, as_of=AS_OF)
    assert (document["year"], document["as_of"], document["time_progress"]) == (
        2024,
        "2024-07-31",
        "58.20",
    )


@pytest.mark.django_db
def test_a_projects_budget_counts_adjustments_and_refunds_up_to_the_date(year_2024):
    projects = by_code(build_export(year=2024, as_of=AS_OF)["projects"])
    # initial 200.5 + 49.5 = 250; adjusted 250 + 30 − 20 = 260; executed 100 − 10 = 90.
    # 90/260 = 34.615…% is under 60% of 58.197 (34.918): red.
    assert projects["P1"]["budget"] == budget("250", "260", "90", "34.62", "4.00", "65.38", "red")
    assert projects["P1"]["department_code"] == "309"
    assert projects["P1"]["unit_code"] == "309002"
    assert projects["P1"]["type"] == "特定目标类"


@pytest.mark.django_db
def test_a_project_without_budget_has_null_rates_and_no_warning(year_2024):
    projects = by_code(build_export(year=2024, as_of=AS_OF)["projects"])
    assert projects["P2"]["budget"] == budget("0", "0", "0", None, None, None, None)


@pytest.mark.django_db
def test_a_departments_budget_joins_basic_expenditure_and_payments_without_project(year_2024):
    departments = by_code(build_export(year=2024, as_of=AS_OF)["departments"])
    a = departments["309"]
    # initial 250 + 0 + basic 100 = 350; adjusted 360; executed 90 + 1.5 + 40 = 131.5.
    # 131.5/360 = 36.53%: between 60% (34.918) and 80% (46.557) of the time progress.
    assert a["budget"] == budget("350", "360", "131.5", "36.53", "2.86", "63.47", "yellow")
    assert a["name"] == "新乡市医疗保障局"
    assert a["three_public_control_rate"] == "75.00"
    assert a["procurement_execution_rate"] == "80.00"


@pytest.mark.django_db
def test_a_department_with_zero_budgets_has_null_rates(year_2024):
    b = by_code(build_export(year=2024, as_of=AS_OF)["departments"])["044"]
    assert b["budget"] == budget("0", "0", "0", None, None, None, None)
    assert b["three_public_control_rate"] is None
    assert b["procurement_execution_rate"] is None


@pytest.mark.django_db
def test_at_year_end_the_later_adjustment_and_payment_count(year_2024):
    projects = by_code(build_export(year=2024, as_of=date(2024, 12, 31))["projects"])
    # 90 + 50 = 140 of 360: 38.89% at a time progress of 100 → red.
    assert projects["P1"]["budget"] == budget("250", "360", "140", "38.89", "44.00", "61.11", "red")


@pytest.mark.django_db
def test_carryover_joins_the_initial_budget(unit_a):
    ProjectFactory(code="C1", unit=unit_a, initial_budget=D(0), carryover=D("12.345678"))
    projects = by_code(build_export(year=2024, as_of=AS_OF)["projects"])
    assert projects["C1"]["budget"]["initial"] == "12.345678"
    assert projects["C1"]["budget"]["adjusted"] == "12.345678"
    assert projects["C1"]["budget"]["adjustment_rate"] == "0.00"


@pytest.mark.django_db
def test_the_example_of_the_export_spec_comes_out_as_printed(db):
    red_flag = DepartmentFactory(code="060", name="新乡市红旗区医疗保障局")
    project = ProjectFactory(
        code="410702220000000012237",
        name="信息网络费",
        unit__department=red_flag,
        unit__code="060001",
        initial_budget=D("0.3"),
    )
    PaymentFactory(project=project, date=date(2024, 6, 3), amount=D("0.1"))
    PaymentFactory(project=None, department=red_flag, date=date(2024, 6, 3), amount=D("1200.4"))
    DepartmentBudgetFactory(department=red_flag, basic_expenditure=D("2751.31"))
    document = build_export(year=2024, as_of=AS_OF)
    assert document["departments"][0]["budget"] == budget(
        "2751.61", "2751.61", "1200.5", "43.63", "0.00", "56.37", "yellow"
    )
    assert document["projects"][0]["budget"] == budget(
        "0.3", "0.3", "0.1", "33.33", "0.00", "66.67", "red"
    )


# 1 July 2024 is day 183 of 366: a time progress of exactly 50, so green needs 40 and yellow 30.
@pytest.mark.parametrize(
    ("executed", "warning"),
    [
        ("40", "green"),
        ("39.999999", "yellow"),
        ("30", "yellow"),
        ("29.999999", "red"),
        ("0", "red"),
        ("-1", "red"),
        # Over the budget is 超支 whatever the date; exactly the budget is still green.
        ("100", "green"),
        ("100.000001", "over"),
        ("150", "over"),
    ],
)
@pytest.mark.django_db
def test_the_warning_at_its_boundaries(unit_a, executed, warning):
    project = ProjectFactory(code="W", unit=unit_a, initial_budget=D(100))
    PaymentFactory(project=project, date=date(2024, 7, 1), amount=D(executed))
    document = build_export(year=2024, as_of=date(2024, 7, 1))
    assert document["time_progress"] == "50.00"
    assert document["projects"][0]["budget"]["warning"] == warning


@pytest.mark.django_db
def test_the_warning_follows_the_finance_bureaus_fractions(unit_a):
    WarningSettings.objects.update_or_create(
        pk=1, defaults={"green_fraction": D("0.9"), "yellow_fraction": D("0.5")}
    )
    project = ProjectFactory(code="W", unit=unit_a, initial_budget=D(100))
    PaymentFactory(project=project, date=date(2024, 7, 1), amount=D(44))
    document = build_export(year=2024, as_of=date(2024, 7, 1))
    assert document["projects"][0]["budget"]["warning"] == "yellow"  # 44 < 45, ≥ 25


@pytest.mark.django_db
def test_a_past_year_defaults_to_31_december(unit_a):
    ProjectFactory(unit=unit_a, year=2023)
    document = build_export(year=2023)
    assert (document["as_of"], document["time_progress"]) == ("2023-12-31", "100.00")


# --- scope and queries ----------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_export_only_their_own_department(year_2024, alice):
    document = build_export(year=2024, as_of=AS_OF, user=alice)
    assert [d["code"] for d in document["departments"]] == ["309"]
    assert {p["department_code"] for p in document["projects"]} == {"309"}


@pytest.mark.django_db
def test_a_reviewer_exports_every_department(year_2024, rita):
    document = build_export(year=2024, as_of=AS_OF, user=rita)
    assert [d["code"] for d in document["departments"]] == ["044", "309"]


@pytest.mark.django_db
def test_the_export_runs_as_many_queries_for_5_projects_as_for_50(db):
    counts = []
    for n in (5, 50):
        while Project.objects.count() < n:
            department = DepartmentFactory()
            project = ProjectFactory(unit__department=department)
            PaymentFactory(project=project)
            AdjustmentFactory(project=project)
            DepartmentBudgetFactory(department=department, basic_expenditure=D(1))
        build_export(year=2024, as_of=AS_OF)  # settles get-or-create rows
        with CaptureQueriesContext(connection) as ctx:
            document = build_export(year=2024, as_of=AS_OF)
        assert len(document["projects"]) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_command_prints_the_same_document(year_2024, capsys):
    call_command("export_workbook", "--year", "2024", "--as-of", "2024-07-31", "--format", "json")
    assert json.loads(capsys.readouterr().out) == build_export(year=2024, as_of=AS_OF)


# --- the xlsx export re-imports to the same data --------------------------------------------


def new_budget_facts() -> dict:
    """The columns the JSON export does not carry: funds, stated totals, adjustment kinds."""
    return {
        **{
            code: (special, unit)
            for code, special, unit in Project.objects.values_list(
                "code", "special_account_funds", "unit_funds"
            )
        },
        **dict(DepartmentBudget.objects.values_list("department__code", "stated_total")),
        **dict(Adjustment.objects.values_list("document_number", "kind")),
    }


def wipe() -> None:
    for model in (Payment, Adjustment, DepartmentBudget, Project, Unit, Department):
        model.objects.all().delete()


@pytest.mark.django_db
def test_the_xlsx_export_re_imports_to_the_same_data(tmp_path):
    for sample in sorted(DEMO.glob("*.xlsx")):
        assert run_import(sample).ok
    extra = make_workbook(
        tmp_path / "money.xlsx",
        {
            "项目": [
                [*PROJECT_HEADER, "财政专户管理资金", "单位资金"],
                [
                    *project_row(
                        "0012237",
                        department="060",
                        unit="060001",
                        department_name="红旗区医保局",
                        initial="2751.61",
                        carryover=0.3,
                    ),
                    "100.000001",
                    "0.5",
                ],
            ],
            "部门预算": [
                ["年度", "部门编码", "基本支出", "部门预算总额", "区划编码"],
                [2024, "060", "10.5", "2762.41", "410700"],
            ],
            "预算调整": [
                [*ADJUSTMENT_HEADER, "调整类型"],
                ["0012237", "财预〔2024〕1号", date(2024, 3, 1), "12.345678", "追加", None],
                ["0012237", "财预〔2024〕2号", date(2024, 9, 1), "-0.000001", "追减", "一般调整"],
                ["0012237", "财预〔2024〕3号", date(2024, 6, 1), "50", "落实政策", "政策性调整"],
            ],
            "支出": [
                PAYMENT_HEADER,
                payment_row(
                    "001",
                    date(2024, 2, 1),
                    "1200.5",
                    department="060",
                    project="0012237",
                    three_public="是",
                    summary="网络费",
                ),
                payment_row("002", date(2024, 2, 2), "-0.01", department="060", project="0012237"),
                payment_row("003", date(2024, 2, 3), 7, department="060", procurement="是"),
                payment_row("记-1", date(2024, 5, 3), "0.000001", department="309"),
            ],
        },
    )
    assert run_import(extra).ok, [str(p) for p in run_import(extra).problems]
    before = build_export(year=2024, as_of=date(2024, 12, 31))
    facts = new_budget_facts()
    # The policy adjustment counts in the budget, not in the adjustment rate:
    # (2751.91 + 12.345678 − 0.000001 + 50 − 2751.91 − 50) / 2751.91 × 100 = 0.45 %.
    project = by_code(before["projects"])["0012237"]["budget"]
    assert (project["adjusted"], project["adjustment_rate"]) == ("2814.255677", "0.45")
    exported = tmp_path / "export.xlsx"
    write_workbook(exported, year=2024)
    wipe()
    assert Project.objects.count() == 0
    result = run_import(exported)
    assert result.ok, [str(p) for p in result.problems]
    after = build_export(year=2024, as_of=date(2024, 12, 31))
    assert after == before
    assert new_budget_facts() == facts
    assert facts["0012237"] == (D("100.000001"), D("0.5"))
    assert facts["060"] == D("2762.41")
    assert facts["财预〔2024〕3号"] == "政策性调整"
    # Exporting again gives the same rows (a second round trip changes nothing either).
    again = run_import(exported)
    assert {action for _, action in again.counts} == {"unchanged"}


@pytest.mark.django_db
def test_every_exported_sheet_keeps_its_header_in_view_and_shows_amounts_exactly(
    year_2024, tmp_path
):
    PaymentFactory(
        project=None, department=Department.objects.get(code="309"), amount=D("0.000001")
    )
    exported = tmp_path / "export.xlsx"
    write_workbook(exported, year=2024)
    book = openpyxl.load_workbook(exported)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        header = next(sheet.iter_rows(max_row=1, values_only=True))
        for index, title in enumerate(header, start=1):
            width = sheet.column_dimensions[get_column_letter(index)].width
            assert width == column_width(title), (sheet.title, title)
    assert column_width("项目名称") == 36
    assert column_width("三公经费预算") == 16  # six Chinese characters, two units each, + 4
    amounts = [row[3] for row in book["支出"].iter_rows(min_row=2)]
    assert {cell.number_format for cell in amounts} == {AMOUNT_FORMAT} == {"#,##0.00####"}
    assert D("0.000001") in {D(str(cell.value)) for cell in amounts}
    assert book["项目"]["I2"].number_format == AMOUNT_FORMAT
    # Years and codes keep their formats: only amounts are shown with decimals.
    assert book["项目"]["A2"].number_format == "General"
    assert book["项目"]["F2"].number_format == "@"
    result = run_import(exported, dry_run=True)
    assert result.ok, [str(p) for p in result.problems]
    assert {action for _, action in result.counts} == {"unchanged"}


@pytest.mark.django_db
def test_texts_that_look_like_formulas_are_exported_as_text_and_re_import_unchanged(
    tmp_path, unit_a
):
    from tests.tracking.season import indicator, line_inputs, report_of, self_evaluation_round
    from tracking.services import ReportInput, report_save

    project = ProjectFactory(unit=unit_a, name=FORMULA_PROJECT_NAME)
    PaymentFactory(project=project, summary=FORMULA_SUMMARY)
    AdjustmentFactory(project=project, note=FORMULA_MEASURE)
    target = indicator(project, "产出指标", FORMULA_INDICATOR_NAME, "≥100人")
    target.note = FORMULA_NOTE
    target.save()
    report = report_of(self_evaluation_round(), project)
    values = {
        FORMULA_INDICATOR_NAME: {
            "actual_raw": "80人",
            "explanation": FORMULA_CAUSE,
            "measure": ERROR_TEXT,
        }
    }
    report_save(
        report=report,
        user=None,
        version=report.version,
        data=ReportInput(lines=line_inputs(project, values)),
    )
    exported = tmp_path / "export.xlsx"
    write_workbook(exported, year=2024)

    assert_cells_are_text(
        exported,
        [
            FORMULA_PROJECT_NAME,
            FORMULA_SUMMARY,
            FORMULA_MEASURE,
            FORMULA_INDICATOR_NAME,
            FORMULA_NOTE,
            FORMULA_CAUSE,
            ERROR_TEXT,
        ],
    )
    # Read back by the importer, every row is what is stored: nothing would change.
    result = run_import(exported, dry_run=True)
    assert result.ok, [str(p) for p in result.problems]
    assert {action for _, action in result.counts} == {"unchanged"}


def test_text_holding_control_characters_is_exported_without_them(client_of, alice, unit_a):
    """Rows stored before the forms refused such text (or written another way) still export:
    the characters openpyxl refuses are left out of the cells, the rest is kept (no NUL:
    PostgreSQL stores none)."""
    Department.objects.filter(pk=unit_a.department_id).update(name="新乡市\x0b医疗保障局")
    project = ProjectFactory(unit=unit_a, code="P1", name="医保\x0b基金\x01监管")
    PaymentFactory(project=project, voucher="记\x0b-1", summary="差旅\x1f会议\t费")
    AdjustmentFactory(project=project, note="第一行\n第二\x0c行")
    response = client_of(alice).get("/api/export/", {"year": "2024", "format": "xlsx"})
    assert response.status_code == 200
    assert_cells_are_text(
        response.content,
        ["新乡市医疗保障局", "医保基金监管", "记-1", "差旅会议\t费", "第一行\n第二行"],
    )


# --- 区划: each department names its bureau; --division exports one ------------------------


@pytest.mark.django_db
def test_departments_carry_their_division_and_projects_its_code(db):
    bureaus = two_bureaus()
    document = build_export(year=2024, as_of=AS_OF)
    assert [(d["division"], d["code"]) for d in document["departments"]] == [
        ({"code": HONGQI, "name": "红旗区"}, "060"),
        ({"code": XIXIA, "name": "西峡县"}, "060"),
    ]
    assert [
        (p["division_code"], p["department_code"], p["code"]) for p in document["projects"]
    ] == [
        (HONGQI, "060", bureaus.hongqi.project.code),
        (XIXIA, "060", bureaus.xixia.project.code),
    ]


def export_command(*args: str) -> str:
    out = StringIO()
    call_command("export_workbook", "--year", "2024", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_division_option_limits_the_json_to_that_divisions_departments(db):
    bureaus = two_bureaus()
    document = json.loads(
        export_command("--format", "json", "--as-of", "2024-07-31", "--division", XIXIA)
    )
    assert [d["division"]["code"] for d in document["departments"]] == [XIXIA]
    assert [p["code"] for p in document["projects"]] == [bureaus.xixia.project.code]
    assert document == build_export(
        year=2024, as_of=AS_OF, division=bureaus.xixia.department.division
    )


@pytest.mark.django_db
def test_the_division_option_takes_exactly_that_division_not_the_ones_below(db, department_a):
    two_bureaus()
    DepartmentBudgetFactory(department=department_a, basic_expenditure=D(1))
    # 新乡市 (410700): its own 309, not 红旗区 (410702) below it.
    document = json.loads(export_command("--format", "json", "--division", "410700"))
    assert [(d["division"]["code"], d["code"]) for d in document["departments"]] == [
        ("410700", "309")
    ]
    assert document["projects"] == []
    # 河南省 has no department of its own.
    assert (
        json.loads(export_command("--format", "json", "--division", "410000"))["departments"] == []
    )


@pytest.mark.django_db
def test_the_division_option_limits_the_workbook_too(db, tmp_path):
    bureaus = two_bureaus()
    DepartmentBudgetFactory(department=bureaus.hongqi.department, basic_expenditure=D(3))
    DepartmentBudgetFactory(department=bureaus.xixia.department, basic_expenditure=D(4))
    output = tmp_path / "hongqi.xlsx"
    export_command("--format", "xlsx", "--division", HONGQI, "--output", str(output))
    workbook = openpyxl.load_workbook(output, read_only=True)
    rows = {
        sheet.title: list(sheet.iter_rows(min_row=2, values_only=True))
        for sheet in workbook.worksheets
    }
    assert [row[5] for row in rows["项目"]] == [bureaus.hongqi.project.code]
    assert {row[-1] for row in rows["项目"] + rows["部门预算"] + rows["支出"]} == {HONGQI}
    assert [row[2] for row in rows["部门预算"]] == [3]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("411325", UNKNOWN_DIVISION.format(code="411325")),
        ("4113", BAD_CODE.format(code="4113")),
    ],
)
@pytest.mark.django_db
def test_an_unknown_or_bad_division_is_refused(db, code, message):
    two_bureaus()
    with pytest.raises(CommandError) as caught:
        export_command("--format", "json", "--division", code)
    assert str(caught.value) == message
