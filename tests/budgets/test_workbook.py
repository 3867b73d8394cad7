"""The budgets sheets of the workbook: 项目, 部门预算, 预算调整, 支出 — validation and upserts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets import divisions
from budgets.importer import (
    MISSING_COLUMN,
    MUST_NOT_BE_NEGATIVE,
    NO_PERMISSION_DEPARTMENT,
    NOT_A_NUMBER,
    TOO_MANY_DECIMALS,
    run_import,
)
from budgets.models import (
    Adjustment,
    Department,
    DepartmentBudget,
    Division,
    Payment,
    Project,
    Unit,
)
from budgets.workbook import (
    BAD_PROJECT_TYPE,
    DEPARTMENT_IN_SEVERAL_DIVISIONS,
    DIVISION_NEEDED,
    DUPLICATE_ROW,
    PROJECT_CODE_OTHER_DIVISION,
    PROJECT_OF_OTHER_DEPARTMENT,
    PROJECT_ROWS_SEVERAL_DIVISIONS,
    UNIT_OF_OTHER_DEPARTMENT,
    UNKNOWN_DEPARTMENT,
    UNKNOWN_PROJECT,
)
from tests.bureaus import HONGQI, XIXIA, two_bureaus
from tests.bureaus import reviewer as bureau_reviewer
from tests.factories import AdjustmentFactory, DivisionFactory, PaymentFactory, ProjectFactory

from .workbooks import (
    ADJUSTMENT_HEADER,
    BUDGET_HEADER,
    PAYMENT_HEADER,
    PROJECT_HEADER,
    database_state,
    make_workbook,
    payment_row,
    project_row,
)

DEMO = Path(settings.BASE_DIR) / "demo"


def messages(result) -> list[str]:
    return [str(problem) for problem in result.problems]


def imported(path, **kwargs):
    result = run_import(path, **kwargs)
    assert result.ok, messages(result)
    return result


def fails_and_changes_nothing(path, **kwargs) -> list[str]:
    """Import a bad workbook; assert nothing was written and return the problems."""
    before = database_state()
    result = run_import(path, **kwargs)
    assert not result.ok
    assert database_state() == before
    return messages(result)


def budget_workbook(tmp_path, name: str = "budget.xlsx", **sheets) -> Path:
    """Two projects of department 309 (P1, P2) and one of 044 (Q1), plus the given sheets."""
    base = {
        "项目": [
            PROJECT_HEADER,
            project_row("P1", initial=100),
            project_row("P2", initial=50, carryover=10),
            project_row("Q1", department="044", department_name="西峡县医疗保障局本级"),
        ]
    }
    base.update(sheets)
    return make_workbook(tmp_path / name, base)


# --- the samples and idempotence ------------------------------------------------------------


@pytest.mark.django_db
def test_the_two_sample_workbooks_import():
    first = imported(DEMO / "xinxiang-center-2024.xlsx")
    assert first.counts[("项目", "created")] == 3
    second = imported(DEMO / "xixia-2024.xlsx")
    assert second.counts[("项目", "created")] == 9
    per_department = {
        code: Project.objects.filter(department__code=code, year=2024).count()
        for code in ("309", "044")
    }
    assert per_department == {"309": 3, "044": 9}
    assert Department.objects.count() == 2
    assert list(Unit.objects.values_list("code", flat=True)) == ["044002", "309002"]
    budget = DepartmentBudget.objects.get(department__code="044", year=2024)
    assert budget.basic_expenditure == Decimal("448.09")
    assert budget.three_public_budget == Decimal(7)
    assert Project.objects.get(code="410700230000000053403").initial_budget == Decimal("50.55")


@pytest.mark.django_db
def test_importing_the_same_workbooks_twice_changes_nothing(tmp_path):
    # A third department with every sheet, so each kind of row is imported twice.
    red = {"department": "060", "department_name": "红旗区医疗保障局"}
    extra = make_workbook(
        tmp_path / "extra.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row("P1", **red), project_row("P2", **red)],
            "部门预算": [BUDGET_HEADER, [2024, "060", 700, 1.1, 20]],
            "预算调整": [
                ADJUSTMENT_HEADER,
                ["P1", "财预〔2024〕1号", date(2024, 5, 6), -10, "追减"],
            ],
            "支出": [
                PAYMENT_HEADER,
                payment_row("记-1", date(2024, 3, 1), 12.5, department="060", project="P1"),
                payment_row("记-2", "2024-03-02", -0.5, department="060", project="P1"),
                payment_row("记-3", "2024-03-03", 3, department="060", three_public="是"),
            ],
        },
    )
    paths = [DEMO / "xinxiang-center-2024.xlsx", DEMO / "xixia-2024.xlsx", extra]
    for path in paths:
        imported(path)
    once = database_state()
    for path in paths:
        result = imported(path)
        assert {action for _, action in result.counts} == {"unchanged"}, result.counts
    assert database_state() == once


# --- every problem of a bad workbook, nothing written ---------------------------------------


@pytest.mark.django_db
def test_a_bad_workbook_changes_nothing_and_names_every_bad_row(tmp_path):
    imported(budget_workbook(tmp_path, "first.xlsx"))
    path = budget_workbook(
        tmp_path,
        "bad.xlsx",
        项目=[
            PROJECT_HEADER,
            project_row("P1", initial=120),  # a valid update, undone with the rest
            project_row("P3", initial="一百"),
            project_row("P4", initial=1.1234567),
            project_row("P5", initial=-1, type="专项"),
        ],
        部门预算=[BUDGET_HEADER, [2024, "999", 1, 1, 1]],
        预算调整=[
            ADJUSTMENT_HEADER,
            ["P1", "财预〔2023〕9号", date(2023, 12, 20), 5, ""],
            ["NOPE", "财预〔2024〕9号", date(2024, 6, 1), 5, ""],
        ],
        支出=[
            PAYMENT_HEADER,
            payment_row("记-1", date(2024, 3, 1), "abc", project="P1"),
            payment_row("记-2", date(2025, 1, 3), 1, project="P1"),
            payment_row("记-3", date(2024, 3, 1), 1, department="999"),
            payment_row("记-4", date(2024, 3, 1), 1, project="Q1"),
            payment_row("记-5", date(2024, 3, 1), 1, project="P1"),
            payment_row("记-5", date(2024, 3, 1), 2, project="P1"),
        ],
    )
    assert fails_and_changes_nothing(path) == [
        f"项目, 第3行, 年初预算: {NOT_A_NUMBER.format(value='一百')}",
        f"项目, 第4行, 年初预算: {TOO_MANY_DECIMALS.format(value='1.1234567')}",
        f"项目, 第5行, 项目类型: {BAD_PROJECT_TYPE.format(value='专项')}",
        f"项目, 第5行, 年初预算: {MUST_NOT_BE_NEGATIVE.format(value=-1)}",
        f"部门预算, 第2行, 部门编码: {UNKNOWN_DEPARTMENT.format(code='999')}",
        f"预算调整, 第2行, 项目编码: {UNKNOWN_PROJECT.format(code='P1', year=2023)}",
        f"预算调整, 第3行, 项目编码: {UNKNOWN_PROJECT.format(code='NOPE', year=2024)}",
        f"支出, 第2行, 金额: {NOT_A_NUMBER.format(value='abc')}",
        f"支出, 第3行, 项目编码: {UNKNOWN_PROJECT.format(code='P1', year=2025)}",
        f"支出, 第4行, 部门编码: {UNKNOWN_DEPARTMENT.format(code='999')}",
        "支出, 第5行, 项目编码: "
        + PROJECT_OF_OTHER_DEPARTMENT.format(code="Q1", owner="044", code_given="309"),
        f"支出, 第7行, 凭证号: {DUPLICATE_ROW.format(row=6, key='凭证号')}",
    ]
    assert Project.objects.get(code="P1").initial_budget == Decimal(100)


@pytest.mark.parametrize(
    ("sheets", "expected"),
    [
        pytest.param(
            {"支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", "一万", project="P1")]},
            f"支出, 第2行, 金额: {NOT_A_NUMBER.format(value='一万')}",
            id="non-numeric amount",
        ),
        pytest.param(
            {"支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", "0.0000001")]},
            f"支出, 第2行, 金额: {TOO_MANY_DECIMALS.format(value='0.0000001')}",
            id="amount with 7 decimals",
        ),
        pytest.param(
            {"项目": [PROJECT_HEADER, project_row("P9", initial=-5)]},
            f"项目, 第2行, 年初预算: {MUST_NOT_BE_NEGATIVE.format(value=-5)}",
            id="negative 年初预算",
        ),
        pytest.param(
            {"项目": [PROJECT_HEADER, project_row("P9", carryover="-0.5")]},
            f"项目, 第2行, 上年结转: {MUST_NOT_BE_NEGATIVE.format(value='-0.5')}",
            id="negative 上年结转",
        ),
        pytest.param(
            {"支出": [PAYMENT_HEADER, payment_row("记-1", "2023-12-31", 1, project="P1")]},
            f"支出, 第2行, 项目编码: {UNKNOWN_PROJECT.format(code='P1', year=2023)}",
            id="payment dated in a year without its project",
        ),
        pytest.param(
            {"预算调整": [ADJUSTMENT_HEADER, ["P1", "文-1", "2025-01-02", 1, ""]]},
            f"预算调整, 第2行, 项目编码: {UNKNOWN_PROJECT.format(code='P1', year=2025)}",
            id="adjustment dated in a year without its project",
        ),
        pytest.param(
            {"支出": [PAYMENT_HEADER, payment_row("记-1", "0001-01-01", 1)]},
            "支出, 第2行, 日期: 日期0001-01-01无效，应在2000—2100年之间",
            id="basic expenditure dated 0001-01-01",
        ),
        pytest.param(
            {"支出": [PAYMENT_HEADER, payment_row("记-1", "9999-12-31", 1)]},
            "支出, 第2行, 日期: 日期9999-12-31无效，应在2000—2100年之间",
            id="basic expenditure dated 9999-12-31",
        ),
        pytest.param(
            {"支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, project="X")]},
            f"支出, 第2行, 项目编码: {UNKNOWN_PROJECT.format(code='X', year=2024)}",
            id="unknown project code",
        ),
        pytest.param(
            {"支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, department="7")]},
            f"支出, 第2行, 部门编码: {UNKNOWN_DEPARTMENT.format(code='7')}",
            id="unknown department code",
        ),
        pytest.param(
            {"部门预算": [BUDGET_HEADER, [2024, "7", 1, None, None]]},
            f"部门预算, 第2行, 部门编码: {UNKNOWN_DEPARTMENT.format(code='7')}",
            id="department budget of an unknown department",
        ),
        pytest.param(
            {
                "支出": [
                    PAYMENT_HEADER,
                    payment_row("记-1", "2024-03-01", 1, project="P1"),
                    payment_row("记-1", "2024-03-01", 1, project="P2"),
                ]
            },
            f"支出, 第3行, 凭证号: {DUPLICATE_ROW.format(row=2, key='凭证号')}",
            id="the same voucher twice with different data",
        ),
        pytest.param(
            {
                "预算调整": [
                    ADJUSTMENT_HEADER,
                    ["P1", "文-1", "2024-05-01", 1, ""],
                    ["P2", "文-1", "2024-05-01", 1, ""],
                ]
            },
            f"预算调整, 第3行, 调整文号: {DUPLICATE_ROW.format(row=2, key='调整文号')}",
            id="the same adjustment number twice with different data",
        ),
        pytest.param(
            {"项目": [PROJECT_HEADER, project_row("P9"), project_row("P9", initial=1)]},
            f"项目, 第3行, 项目编码: {DUPLICATE_ROW.format(row=2, key='年度与项目编码')}",
            id="the same project twice with different data",
        ),
        pytest.param(
            {"项目": [PROJECT_HEADER[:-3], project_row("P9")[:-3]]},
            f"项目, 第1行, 年初预算: {MISSING_COLUMN.format(column='年初预算')}",
            id="missing required column",
        ),
        pytest.param(
            {"项目": [PROJECT_HEADER, project_row("P9", unit="044002")]},
            "项目, 第2行, 单位编码: "
            + UNIT_OF_OTHER_DEPARTMENT.format(unit="044002", owner="044", department="309"),
            id="unit of another department",
        ),
    ],
)
@pytest.mark.django_db
def test_each_bad_input_is_refused_with_its_message(tmp_path, sheets, expected):
    imported(budget_workbook(tmp_path, "first.xlsx"))
    path = make_workbook(tmp_path / "bad.xlsx", sheets)
    assert fails_and_changes_nothing(path) == [expected]


@pytest.mark.django_db
def test_the_same_row_twice_in_one_file_is_fine_and_written_once(tmp_path, monkeypatch):
    from budgets.workbook import PaymentSheet

    # The repeat lands in another chunk: still one payment, counted once.
    monkeypatch.setattr(PaymentSheet, "chunk_size", 1)
    row = payment_row("记-1", "2024-03-01", 1, project="P1")
    result = imported(budget_workbook(tmp_path, 支出=[PAYMENT_HEADER, row, row]))
    assert Payment.objects.count() == 1
    assert result.counts[("支出", "created")] == 1
    assert result.counts[("支出", "unchanged")] == 0


@pytest.mark.django_db
def test_a_repeat_with_the_same_amount_written_differently_is_the_same_row(tmp_path):
    rows = [
        payment_row("记-1", "2024-03-01", "1.5", project="P1"),
        payment_row("记-1", date(2024, 3, 1), 1.50, project="P1"),
        payment_row("记-1", "2024-03-01", "1.500000", project="P1"),
    ]
    imported(budget_workbook(tmp_path, 支出=[PAYMENT_HEADER, *rows]))
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("1.5")]


# --- upserts --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_re_importing_an_adjustment_or_payment_updates_it_rather_than_doubling(tmp_path):
    def workbook(name, adjustment, payment):
        return budget_workbook(
            tmp_path,
            name,
            预算调整=[ADJUSTMENT_HEADER, ["P1", "财预〔2024〕1号", "2024-05-06", adjustment, ""]],
            支出=[PAYMENT_HEADER, payment_row("记-1", "2024-03-01", payment, project="P1")],
        )

    imported(workbook("a.xlsx", 10, 2))
    result = imported(workbook("b.xlsx", -4.25, 3.5))
    assert list(Adjustment.objects.values_list("amount", flat=True)) == [Decimal("-4.25")]
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("3.5")]
    assert result.counts[("预算调整", "updated")] == 1
    assert result.counts[("支出", "updated")] == 1
    # The audit trail keeps both versions.
    assert Payment.history.count() == 2
    assert Adjustment.history.count() == 2


@pytest.mark.django_db
def test_the_same_voucher_in_another_year_or_department_is_another_payment(tmp_path):
    path = make_workbook(
        tmp_path / "p.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row("P1"),
                project_row("P1", year=2025),
                project_row("Q1", department="044", department_name="西峡"),
            ],
            "支出": [
                PAYMENT_HEADER,
                payment_row("记-1", "2024-03-01", 1, project="P1"),
                payment_row("记-1", "2025-03-01", 2, project="P1"),
                payment_row("记-1", "2024-03-01", 3, department="044"),
            ],
        },
    )
    imported(path)
    assert sorted(Payment.objects.values_list("department__code", "year", "amount")) == [
        ("044", 2024, Decimal(3)),
        ("309", 2024, Decimal(1)),
        ("309", 2025, Decimal(2)),
    ]
    assert set(Payment.objects.filter(year=2025).values_list("project__year", flat=True)) == {2025}


@pytest.mark.django_db
def test_a_payment_without_project_is_basic_expenditure_of_its_department(tmp_path):
    imported(budget_workbook(tmp_path, 支出=[PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1)]))
    payment = Payment.objects.get()
    assert payment.project is None
    assert payment.department.code == "309"


@pytest.mark.django_db
def test_codes_typed_as_text_keep_their_leading_zeros(tmp_path):
    path = make_workbook(
        tmp_path / "p.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row(
                    "0012237", department="060", unit="060001", department_name="红旗区医保局"
                ),
            ],
            "部门预算": [BUDGET_HEADER, [2024, "060", 10, None, None]],
            "支出": [PAYMENT_HEADER, payment_row("0001", "2024-02-01", 1, department="060")],
            "预算调整": [ADJUSTMENT_HEADER, ["0012237", "001", "2024-02-01", 1, ""]],
        },
    )
    imported(path)
    project = Project.objects.get()
    assert (project.code, project.department.code, project.unit.code) == (
        "0012237",
        "060",
        "060001",
    )
    assert Payment.objects.get().voucher == "0001"
    assert Adjustment.objects.get().document_number == "001"
    assert DepartmentBudget.objects.get().department.code == "060"


@pytest.mark.django_db
def test_a_project_may_move_to_another_unit_of_its_department(tmp_path):
    imported(budget_workbook(tmp_path))
    imported(
        make_workbook(
            tmp_path / "move.xlsx",
            {"项目": [PROJECT_HEADER, project_row("P1", unit="309003", unit_name="中心")]},
        )
    )
    assert Project.objects.get(code="P1").unit.code == "309003"


# --- who may import what --------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_import_their_own_departments_rows(tmp_path, alice, unit_a):
    path = make_workbook(
        tmp_path / "own.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row("P1", unit="309002")],
            "支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, project="P1")],
        },
    )
    imported(path, user=alice)
    assert Payment.objects.get().project.code == "P1"


@pytest.mark.django_db
def test_staff_cannot_import_another_departments_rows(tmp_path, alice, unit_b):
    theirs = ProjectFactory(code="Q1", unit=unit_b)
    PaymentFactory(project=theirs, voucher="记-9")
    department_b = unit_b.department
    path = make_workbook(
        tmp_path / "theirs.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row("Q2", department="044", department_name="西峡", unit="044002"),
                project_row("Q1", unit="309002"),
                project_row("N1", department="777", department_name="新部门"),
            ],
            "部门预算": [BUDGET_HEADER, [2024, "044", 1, 1, 1]],
            "预算调整": [ADJUSTMENT_HEADER, ["Q1", "文-1", "2024-05-01", 1, ""]],
            "支出": [
                PAYMENT_HEADER,
                payment_row("记-1", "2024-03-01", 1, department="044"),
                payment_row("记-9", "2024-03-15", 1000, department="044", project="Q1"),
            ],
        },
    )
    no = NO_PERMISSION_DEPARTMENT.format
    assert fails_and_changes_nothing(path, user=alice) == [
        f"项目, 第2行, 部门编码: {no(code='044')}",
        f"项目, 第3行, 项目编码: {no(code='044')}",
        f"项目, 第4行, 部门编码: {no(code='777')}",
        f"部门预算, 第2行, 部门编码: {no(code='044')}",
        f"预算调整, 第2行, 项目编码: {no(code='044')}",
        f"支出, 第2行, 部门编码: {no(code='044')}",
        f"支出, 第3行, 部门编码: {no(code='044')}",
    ]
    assert department_b.projects.count() == 1


@pytest.mark.django_db
def test_a_reviewer_imports_any_department(tmp_path, rita, unit_a, unit_b):
    imported(budget_workbook(tmp_path), user=rita)
    assert Project.objects.count() == 3


@pytest.mark.django_db
def test_an_adjustment_of_an_existing_project_needs_no_project_sheet(tmp_path):
    project = ProjectFactory(code="P7")
    AdjustmentFactory(project=project, document_number="文-0", amount=Decimal(1))
    path = make_workbook(
        tmp_path / "a.xlsx", {"预算调整": [ADJUSTMENT_HEADER, ["P7", "文-1", "2024-08-01", 2, ""]]}
    )
    imported(path)
    assert sorted(project.adjustments.values_list("document_number", "amount")) == [
        ("文-0", Decimal(1)),
        ("文-1", Decimal(2)),
    ]


# --- the number of queries does not grow with the rows --------------------------------------


def project_sheet(n: int) -> dict:
    return {
        "项目": [PROJECT_HEADER, *(project_row(f"P{i:03d}") for i in range(n))],
        "支出": [
            PAYMENT_HEADER,
            *(payment_row(f"记-{i}", "2024-03-01", 1, project=f"P{i:03d}") for i in range(n)),
        ],
    }


def queries_of_import(path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        imported(path)
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_an_import_runs_as_many_queries_for_5_rows_as_for_50(tmp_path):
    # The 区划 exists before either first import (creating it is a one-time cost).
    DivisionFactory()
    small = make_workbook(tmp_path / "small.xlsx", project_sheet(5))
    large = make_workbook(tmp_path / "large.xlsx", project_sheet(50))
    first_small = queries_of_import(small)
    again_small = queries_of_import(small)
    for model in (Payment, Project, Unit, Department):
        model.objects.all().delete()
    first_large = queries_of_import(large)
    again_large = queries_of_import(large)
    assert first_small == first_large
    assert again_small == again_large


# --- who writes what (budgets/access.py: budget facts and statements) ----------------------


@pytest.mark.django_db
def test_an_adjustment_number_of_another_department_is_a_new_adjustment(tmp_path, alice):
    theirs = ProjectFactory(code="Q1", unit__department__code="044", unit__code="044002")
    their_adjustment = AdjustmentFactory(project=theirs, document_number="财预〔2024〕1号")
    ours = ProjectFactory(code="P1", unit__department=alice.department, unit__code="309002")
    path = make_workbook(
        tmp_path / "adj.xlsx",
        {"预算调整": [ADJUSTMENT_HEADER, ["P1", "财预〔2024〕1号", "2024-05-06", 99, ""]]},
    )
    dry = imported(path, user=alice, dry_run=True)
    assert "预算调整 新增1 更新0 未变0" in dry.summary()
    imported(path, user=alice)
    their_adjustment.refresh_from_db()
    assert (their_adjustment.project, their_adjustment.amount) == (theirs, Decimal("10"))
    mine = Adjustment.objects.get(project=ours)
    assert (mine.document_number, mine.department, mine.amount) == (
        "财预〔2024〕1号",
        alice.department,
        Decimal(99),
    )
    # Re-importing updates our own adjustment, never theirs.
    result = imported(path, user=alice)
    assert result.counts[("预算调整", "unchanged")] == 1
    assert Adjustment.objects.count() == 2


@pytest.mark.django_db
def test_a_reviewer_imports_budget_facts_of_any_department(tmp_path, rita):
    path = budget_workbook(
        tmp_path,
        预算调整=[ADJUSTMENT_HEADER, ["Q1", "文-1", "2024-05-01", 1, ""]],
        支出=[PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, department="044")],
    )
    imported(path, user=rita)
    assert Payment.objects.get().department.code == "044"
    assert Adjustment.objects.get().department.code == "044"


@pytest.mark.django_db
def test_validation_writes_nothing_and_holds_no_transaction(tmp_path):
    """A file is validated with reads only; the writes come after, in one transaction."""
    path = budget_workbook(
        tmp_path, 支出=[PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, project="P1")]
    )
    seen: list[tuple[int, list[str]]] = []
    # The test itself runs in a transaction: count the blocks the import opens on top of it.
    outer = len(connection.atomic_blocks)
    with CaptureQueriesContext(connection) as queries:

        def progress(sheet: str, rows: int) -> None:
            statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
            seen.append((len(connection.atomic_blocks) - outer, statements))

        imported(path, progress=progress)
    assert seen, "the progress callback was called while parsing"
    for opened, statements in seen:
        assert opened == 0
        assert set(statements) <= {"SELECT"}, statements
    assert Payment.objects.count() == 1


# --- 区划: which finance bureau a row's department belongs to (import-workbook.md) ----------

HONGQI_CODE = f"{HONGQI}240000000000061"
XIXIA_CODE = f"{XIXIA}240000000000061"


def county_workbook(tmp_path, division: str, name: str, *, amount: int = 5) -> Path:
    """A county's 060 with one project, its 部门预算 and a voucher 记-1, no 区划编码 column."""
    place = {HONGQI: "红旗区", XIXIA: "西峡县"}[division]
    dept = {"department": "060", "department_name": f"{place}医疗保障局", "division": None}
    return make_workbook(
        tmp_path / name,
        {
            "项目": [PROJECT_HEADER, project_row(f"{division}240000000000061", **dept)],
            "部门预算": [BUDGET_HEADER, [2024, "060", amount * 10, 1, 2]],
            "支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", amount, department="060")],
        },
    )


def division_of(department: Department) -> str:
    return department.division.code


@pytest.mark.django_db
def test_the_sample_workbooks_import_into_two_divisions_under_henan():
    imported(DEMO / "xinxiang-center-2024.xlsx")
    imported(DEMO / "xixia-2024.xlsx")
    assert sorted(Department.objects.values_list("division__code", "code")) == [
        ("410700", "309"),
        ("411323", "044"),
    ]
    names = dict(Division.objects.values_list("code", "name"))
    assert names == {"410000": "河南省", "410700": "新乡市", "411300": "南阳市", "411323": "西峡县"}
    xixia = Division.objects.get(code="411323")
    assert (xixia.level, xixia.parent.code, xixia.parent.parent.code) == ("县", "411300", "410000")
    assert Division.objects.get(code="410700").parent.code == "410000"


@pytest.mark.django_db
def test_two_bureaus_sharing_department_code_060_stay_apart(tmp_path):
    first = county_workbook(tmp_path, HONGQI, "hongqi.xlsx", amount=5)
    imported(first)
    imported(county_workbook(tmp_path, XIXIA, "xixia.xlsx", amount=7))
    hongqi = Department.objects.get(division__code=HONGQI, code="060")
    xixia = Department.objects.get(division__code=XIXIA, code="060")
    # The second county's workbook created its own 060 and never updated the first's.
    assert (hongqi.name, xixia.name) == ("红旗区医疗保障局", "西峡县医疗保障局")
    assert hongqi.projects.get().code == HONGQI_CODE
    assert xixia.projects.get().code == XIXIA_CODE
    assert DepartmentBudget.objects.get(department=hongqi).basic_expenditure == Decimal(50)
    assert DepartmentBudget.objects.get(department=xixia).basic_expenditure == Decimal(70)
    # Payments are keyed (年度, 区划, 部门编码, 凭证号): the same 记-1 twice.
    assert sorted(
        Payment.objects.values_list("department__division__code", "voucher", "amount")
    ) == [
        (HONGQI, "记-1", Decimal(5)),
        (XIXIA, "记-1", Decimal(7)),
    ]
    again = imported(first)
    assert {action for _, action in again.counts} == {"unchanged"}, again.counts


@pytest.mark.django_db
def test_an_explicit_division_column_comes_first(tmp_path):
    bureaus = two_bureaus()
    path = make_workbook(
        tmp_path / "explicit.xlsx",
        {
            # The workbook's 项目 rows put 060 in 红旗区; the column says 西峡县.
            "项目": [
                PROJECT_HEADER,
                project_row(
                    HONGQI_CODE, department="060", department_name="红旗区医疗保障局", division=None
                ),
            ],
            "部门预算": [BUDGET_HEADER, [2024, "060", 9, 0, 0, XIXIA]],
            "支出": [
                PAYMENT_HEADER,
                payment_row("记-2", "2024-03-01", 3, department="060", division=XIXIA),
            ],
        },
    )
    imported(path)
    assert DepartmentBudget.objects.get().department == bureaus.xixia.department
    assert Payment.objects.get(voucher="记-2").department == bureaus.xixia.department


@pytest.mark.django_db
def test_a_row_goes_to_the_division_of_its_own_project(tmp_path):
    bureaus = two_bureaus()
    path = make_workbook(
        tmp_path / "own.xlsx",
        {
            # The workbook's 项目 rows put 060 in 红旗区: a row's own project comes first.
            "项目": [
                PROJECT_HEADER,
                project_row(HONGQI_CODE, department="060", unit="060001", division=None),
            ],
            "支出": [
                PAYMENT_HEADER,
                payment_row(
                    "记-2", "2024-03-01", 3, department="060", project=bureaus.xixia.project.code
                ),
                payment_row(
                    "记-3", "2024-03-01", 4, department="060", project=bureaus.hongqi.project.code
                ),
            ],
        },
    )
    imported(path)
    assert Payment.objects.get(voucher="记-2").department == bureaus.xixia.department
    assert Payment.objects.get(voucher="记-3").department == bureaus.hongqi.department


@pytest.mark.django_db
def test_a_project_code_naming_one_bureau_with_a_column_naming_another_is_refused(tmp_path):
    bureaus = two_bureaus()
    path = make_workbook(
        tmp_path / "other.xlsx",
        {
            "支出": [
                PAYMENT_HEADER,
                payment_row(
                    "记-2",
                    "2024-03-01",
                    3,
                    department="060",
                    project=bureaus.xixia.project.code,
                    division=HONGQI,
                ),
            ]
        },
    )
    assert fails_and_changes_nothing(path) == [
        "支出, 第2行, 项目编码: "
        + PROJECT_OF_OTHER_DEPARTMENT.format(
            code=bureaus.xixia.project.code, owner=f"{XIXIA}/060", code_given=f"{HONGQI}/060"
        )
    ]


@pytest.mark.django_db
def test_a_row_follows_the_workbooks_project_rows_of_its_department(tmp_path):
    bureaus = two_bureaus()
    path = make_workbook(
        tmp_path / "declared.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row(
                    XIXIA_CODE,
                    department="060",
                    department_name="西峡县医疗保障局",
                    unit="060001",
                    division=None,
                ),
            ],
            "部门预算": [BUDGET_HEADER, [2024, "060", 9, 0, 0]],
        },
    )
    imported(path)
    assert DepartmentBudget.objects.get().department == bureaus.xixia.department
    assert Project.objects.get(code=XIXIA_CODE).department == bureaus.xixia.department


@pytest.mark.django_db
def test_the_workbooks_project_rows_come_before_the_departments_the_user_covers(tmp_path):
    bureaus = two_bureaus()
    weibin = "410703240000000000001"  # 卫滨区, under 新乡市, has no 060 yet
    path = make_workbook(
        tmp_path / "weibin.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row(weibin, department="060", division=None)],
            "部门预算": [BUDGET_HEADER, [2024, "060", 9, 0, 0]],
        },
    )
    imported(path, user=bureaus.city)
    budget = DepartmentBudget.objects.get()
    assert (division_of(budget.department), budget.department.code) == ("410703", "060")


@pytest.mark.django_db
def test_a_department_code_declared_in_two_divisions_needs_the_column(tmp_path):
    two_bureaus()
    path = make_workbook(
        tmp_path / "ambiguous.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row("P1", department="060", unit="060001", division=HONGQI),
                project_row("P2", department="060", unit="060001", division=XIXIA),
            ],
            "部门预算": [BUDGET_HEADER, [2024, "060", 9, 0, 0]],
        },
    )
    several = DEPARTMENT_IN_SEVERAL_DIVISIONS.format(code="060", divisions=f"{HONGQI}、{XIXIA}")
    assert fails_and_changes_nothing(path) == [f"部门预算, 第2行, 区划编码: {several}"]


@pytest.mark.django_db
def test_a_row_goes_to_the_only_covered_division_that_has_its_code(tmp_path):
    bureaus = two_bureaus()
    path = make_workbook(
        tmp_path / "covered.xlsx",
        {
            "部门预算": [BUDGET_HEADER, [2024, "060", 9, 0, 0]],
            "支出": [PAYMENT_HEADER, payment_row("记-2", "2024-03-01", 3, department="060")],
        },
    )
    imported(path, user=bureaus.xixia.reviewer)
    assert DepartmentBudget.objects.get().department == bureaus.xixia.department
    imported(path, user=bureaus.hongqi.staff)
    assert sorted(
        DepartmentBudget.objects.values_list("department__division__code", flat=True)
    ) == [
        HONGQI,
        XIXIA,
    ]
    # Before the user's own 区划: 新乡市's bureau (含下级) has no 060, 红旗区 has.
    imported(path, user=bureaus.city)
    assert Payment.objects.filter(voucher="记-2", department=bureaus.hongqi.department).exists()
    # The operator writes both: the row cannot tell which it means.
    assert fails_and_changes_nothing(path) == [
        f"部门预算, 第2行, 区划编码: {DIVISION_NEEDED.format(code='060')}",
        f"支出, 第2行, 区划编码: {DIVISION_NEEDED.format(code='060')}",
    ]


@pytest.mark.django_db
def test_a_new_department_goes_to_the_importing_users_division(tmp_path):
    bureaus = two_bureaus()
    path = make_workbook(
        tmp_path / "new.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row("P1", department="070", division=None)],
            "部门预算": [BUDGET_HEADER, [2024, "070", 9, 0, 0]],
        },
    )
    imported(path, user=bureaus.xixia.reviewer)
    department = Department.objects.get(code="070")
    assert division_of(department) == XIXIA
    assert DepartmentBudget.objects.get().department == department


@pytest.mark.django_db
def test_a_row_goes_to_the_systems_only_division(tmp_path, department_a):
    path = make_workbook(
        tmp_path / "only.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row("P1", department="070", division=None)],
            "支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, department="070")],
        },
    )
    imported(path)
    assert division_of(Department.objects.get(code="070")) == "410700"


@pytest.mark.django_db
def test_a_division_set_up_before_any_department_is_the_systems_only_one(tmp_path):
    DivisionFactory(code=HONGQI)  # with 新乡市 and 河南省 above it, which are no bureau here
    path = make_workbook(
        tmp_path / "first.xlsx", {"项目": [PROJECT_HEADER, project_row("P1", division=None)]}
    )
    imported(path)
    assert division_of(Department.objects.get()) == HONGQI


@pytest.mark.django_db
def test_a_row_whose_division_nothing_tells_asks_for_the_column(tmp_path):
    two_bureaus()
    path = make_workbook(
        tmp_path / "unknown.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row("P1", department="070", division=None)],
            "支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, department="070")],
        },
    )
    assert fails_and_changes_nothing(path) == [
        f"项目, 第2行, 区划编码: {DIVISION_NEEDED.format(code='070')}",
        f"支出, 第2行, 区划编码: {DIVISION_NEEDED.format(code='070')}",
    ]


@pytest.mark.django_db
def test_an_empty_system_asks_for_the_column_of_a_code_without_division(tmp_path):
    path = make_workbook(
        tmp_path / "empty.xlsx", {"项目": [PROJECT_HEADER, project_row("P1", division=None)]}
    )
    assert fails_and_changes_nothing(path) == [
        f"项目, 第2行, 区划编码: {DIVISION_NEEDED.format(code='309')}"
    ]


@pytest.mark.parametrize("code", ["4107", "4107020", "41070A", "000000", "新乡市"])
@pytest.mark.django_db
def test_a_bad_division_code_is_refused(tmp_path, code):
    path = make_workbook(
        tmp_path / "bad.xlsx", {"项目": [PROJECT_HEADER, project_row("P1", division=code)]}
    )
    assert fails_and_changes_nothing(path) == [
        f"项目, 第2行, 区划编码: {divisions.BAD_CODE.format(code=code)}"
    ]


@pytest.mark.django_db
def test_a_project_code_of_another_division_than_its_departments_is_refused(tmp_path):
    path = make_workbook(
        tmp_path / "contradicts.xlsx",
        {"项目": [PROJECT_HEADER, project_row(XIXIA_CODE, department="060", division=HONGQI)]},
    )
    assert fails_and_changes_nothing(path) == [
        "项目, 第2行, 项目编码: "
        + PROJECT_CODE_OTHER_DIVISION.format(code=XIXIA_CODE, prefix=XIXIA, division=HONGQI)
    ]


@pytest.mark.django_db
def test_project_rows_of_one_department_with_different_prefixes_are_refused(tmp_path):
    path = make_workbook(
        tmp_path / "mixed.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row(HONGQI_CODE, department="060", division=None),
                project_row(XIXIA_CODE, department="060", division=None),
            ]
        },
    )
    assert fails_and_changes_nothing(path) == [
        "项目, 第3行, 项目编码: "
        + PROJECT_ROWS_SEVERAL_DIVISIONS.format(code="060", row=2, other=HONGQI)
    ]


@pytest.mark.django_db
def test_a_division_unknown_to_gbt_2260_is_accepted_with_a_placeholder_name(tmp_path):
    path = make_workbook(
        tmp_path / "unknown.xlsx", {"项目": [PROJECT_HEADER, project_row("P1", division="410799")]}
    )
    imported(path)
    division = Division.objects.get(code="410799")
    assert (division.name, division.level, division.parent.name) == ("区划410799", "县", "新乡市")
    assert division_of(Department.objects.get()) == "410799"


@pytest.mark.django_db
def test_a_county_reviewer_cannot_import_into_another_countys_departments(tmp_path):
    bureaus = two_bureaus()
    path = make_workbook(
        tmp_path / "theirs.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row(XIXIA_CODE, department="080", division=None),
                project_row(
                    bureaus.xixia.project.code, department="060", unit="060001", division=None
                ),
            ],
            "部门预算": [BUDGET_HEADER, [2024, "060", 9, 0, 0, XIXIA]],
            "支出": [
                PAYMENT_HEADER,
                payment_row(
                    "记-2", "2024-03-01", 3, department="060", project=bureaus.xixia.project.code
                ),
            ],
        },
    )
    no = NO_PERMISSION_DEPARTMENT.format
    assert fails_and_changes_nothing(path, user=bureaus.hongqi.reviewer) == [
        f"项目, 第2行, 部门编码: {no(code='080')}",
        f"项目, 第3行, 部门编码: {no(code='060')}",
        f"部门预算, 第2行, 部门编码: {no(code='060')}",
        f"支出, 第2行, 部门编码: {no(code='060')}",
    ]
    # Nor can the city's bureau with 含下级: 西峡县 is under 南阳市.
    assert fails_and_changes_nothing(path, user=bureaus.city)


@pytest.mark.django_db
def test_a_province_reviewer_with_subordinates_imports_into_every_county(tmp_path):
    bureaus = two_bureaus()
    path = make_workbook(
        tmp_path / "province.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row(XIXIA_CODE, department="080", division=None),
                project_row(HONGQI_CODE, department="060", unit="060001", division=None),
            ],
            "部门预算": [BUDGET_HEADER, [2024, "080", 9, 0, 0], [2024, "060", 9, 0, 0, HONGQI]],
        },
    )
    imported(path, user=bureaus.province)
    assert division_of(Department.objects.get(code="080")) == XIXIA
    assert Project.objects.get(code=HONGQI_CODE).department == bureaus.hongqi.department
    assert DepartmentBudget.objects.count() == 2


@pytest.mark.django_db
def test_a_bureau_without_departments_yet_imports_its_first_ones(tmp_path):
    newcomer = bureau_reviewer("neixiang", "411325")
    code = "411325240000000000001"
    path = make_workbook(
        tmp_path / "first.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row(code, department="060", division=None)],
            "部门预算": [BUDGET_HEADER, [2024, "060", 9, 0, 0]],
            "预算调整": [ADJUSTMENT_HEADER, [code, "文-1", "2024-05-01", 1, ""]],
            "支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, department="060")],
        },
    )
    imported(path, user=newcomer)
    department = Department.objects.get()
    assert division_of(department) == "411325"
    assert (department.budgets.count(), department.payments.count()) == (1, 1)
    assert Adjustment.objects.get().department == department


# --- 项目.财政专户管理资金 / 单位资金, 部门预算.部门预算总额, 预算调整.调整类型 ------------

FUNDS_HEADER = [*PROJECT_HEADER, "财政专户管理资金", "单位资金"]


def funds_row(code: str, special, unit, **kwargs) -> list:
    return [*project_row(code, **kwargs), special, unit]


def funds_of(code: str) -> tuple[Decimal, Decimal]:
    project = Project.objects.get(code=code)
    return project.special_account_funds, project.unit_funds


@pytest.mark.django_db
def test_a_projects_special_account_and_unit_funds_are_imported(tmp_path):
    path = make_workbook(
        tmp_path / "funds.xlsx",
        {
            "项目": [
                FUNDS_HEADER,
                funds_row("P1", "20.5", 9.5, initial=100),
                funds_row("P2", None, None, initial=100),  # blank: 0
            ]
        },
    )
    imported(path)
    assert funds_of("P1") == (Decimal("20.5"), Decimal("9.5"))
    assert funds_of("P2") == (Decimal(0), Decimal(0))
    assert Project.objects.get(code="P1").government_funds == Decimal(70)


@pytest.mark.django_db
def test_funds_may_use_up_the_whole_total_with_the_carryover(tmp_path):
    # 资金总额 = 年初预算 100 + 上年结转 10 = 110 = 60 + 50.
    path = make_workbook(
        tmp_path / "funds.xlsx",
        {"项目": [FUNDS_HEADER, funds_row("P1", 60, 50, initial=100, carryover=10)]},
    )
    imported(path)
    assert Project.objects.get(code="P1").government_funds == 0


@pytest.mark.django_db
def test_funds_above_the_total_are_refused_naming_the_row(tmp_path):
    path = make_workbook(
        tmp_path / "funds.xlsx",
        {
            "项目": [
                FUNDS_HEADER,
                funds_row("P1", 60, 50, initial=100),
                funds_row("P2", None, "100.000001", initial=100),
            ]
        },
    )
    assert fails_and_changes_nothing(path) == [
        "项目, 第2行, 财政专户管理资金: 财政专户管理资金60.00万元与单位资金50.00万元之和"
        "超过资金总额（年初预算+上年结转）100.00万元",
        "项目, 第3行, 单位资金: 财政专户管理资金0.00万元与单位资金100.000001万元之和"
        "超过资金总额（年初预算+上年结转）100.00万元",
    ]


@pytest.mark.django_db
def test_negative_funds_are_refused(tmp_path):
    path = make_workbook(
        tmp_path / "funds.xlsx", {"项目": [FUNDS_HEADER, funds_row("P1", 1, -1, initial=100)]}
    )
    assert fails_and_changes_nothing(path) == [
        f"项目, 第2行, 单位资金: {MUST_NOT_BE_NEGATIVE.format(value=-1)}"
    ]


@pytest.mark.django_db
def test_a_project_sheet_without_the_funds_columns_keeps_the_stored_funds(tmp_path):
    imported(
        make_workbook(
            tmp_path / "funds.xlsx", {"项目": [FUNDS_HEADER, funds_row("P1", 20, 10, initial=100)]}
        )
    )
    old_format = make_workbook(
        tmp_path / "old.xlsx", {"项目": [PROJECT_HEADER, project_row("P1", initial=90)]}
    )
    result = imported(old_format)
    assert result.counts[("项目", "updated")] == 1
    assert funds_of("P1") == (Decimal(20), Decimal(10))
    # Lowering the total below the kept funds is refused, naming 年初预算.
    too_low = make_workbook(
        tmp_path / "low.xlsx", {"项目": [PROJECT_HEADER, project_row("P1", initial=29)]}
    )
    assert fails_and_changes_nothing(too_low) == [
        "项目, 第2行, 年初预算: 财政专户管理资金20.00万元与单位资金10.00万元之和"
        "超过资金总额（年初预算+上年结转）29.00万元"
    ]


@pytest.mark.django_db
def test_the_database_refuses_funds_above_the_total_too(unit_a):
    from django.db import IntegrityError, transaction

    project = ProjectFactory(unit=unit_a, initial_budget=Decimal(10), carryover=Decimal(1))
    project.special_account_funds, project.unit_funds = Decimal(6), Decimal(5)
    project.save()
    project.unit_funds = Decimal("5.000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


@pytest.mark.django_db
def test_a_departments_stated_total_is_imported_and_kept_when_the_column_is_left_out(tmp_path):
    header = [*BUDGET_HEADER, "部门预算总额"]
    imported(
        budget_workbook(
            tmp_path, "stated.xlsx", 部门预算=[header, [2024, "309", 100, None, None, None, "260"]]
        )
    )
    budget = DepartmentBudget.objects.get()
    assert (budget.basic_expenditure, budget.stated_total) == (Decimal(100), Decimal(260))
    old_format = budget_workbook(
        tmp_path, "old.xlsx", 部门预算=[BUDGET_HEADER, [2024, "309", 120, None, None, None]]
    )
    imported(old_format)
    budget.refresh_from_db()
    assert (budget.basic_expenditure, budget.stated_total) == (Decimal(120), Decimal(260))
    blank = budget_workbook(
        tmp_path, "blank.xlsx", 部门预算=[header, [2024, "309", 120, None, None, None, None]]
    )
    imported(blank)
    budget.refresh_from_db()
    assert budget.stated_total is None


@pytest.mark.django_db
def test_a_negative_stated_total_is_refused(tmp_path):
    header = [*BUDGET_HEADER, "部门预算总额"]
    path = budget_workbook(
        tmp_path, "stated.xlsx", 部门预算=[header, [2024, "309", None, None, None, None, -1]]
    )
    assert fails_and_changes_nothing(path) == [
        f"部门预算, 第2行, 部门预算总额: {MUST_NOT_BE_NEGATIVE.format(value=-1)}"
    ]


KIND_HEADER = ["项目编码", "调整文号", "日期", "调整金额", "调整类型", "说明"]


@pytest.mark.django_db
def test_an_adjustments_kind_is_imported_and_defaults_to_a_general_one(tmp_path):
    path = budget_workbook(
        tmp_path,
        "kinds.xlsx",
        预算调整=[
            KIND_HEADER,
            ["P1", "文-1", "2024-05-01", 50, "政策性调整", "落实国家政策"],
            ["P1", "文-2", "2024-05-02", 30, "一般调整", ""],
            ["P1", "文-3", "2024-05-03", -20, None, ""],
        ],
    )
    imported(path)
    kinds = dict(Adjustment.objects.values_list("document_number", "kind"))
    assert kinds == {"文-1": "政策性调整", "文-2": "一般调整", "文-3": "一般调整"}


@pytest.mark.django_db
def test_a_bad_adjustment_kind_is_an_error_naming_the_row(tmp_path):
    imported(budget_workbook(tmp_path, "first.xlsx"))
    path = make_workbook(
        tmp_path / "bad.xlsx",
        {
            "预算调整": [
                KIND_HEADER,
                ["P1", "文-1", "2024-05-01", 50, "政策性调整", ""],
                ["P1", "文-2", "2024-05-02", 30, "临时调整", ""],
            ]
        },
    )
    assert fails_and_changes_nothing(path) == [
        "预算调整, 第3行, 调整类型: 调整类型“临时调整”无效，应为“一般调整”或“政策性调整”"
    ]


@pytest.mark.django_db
def test_an_adjustment_sheet_without_the_kind_column_keeps_the_stored_kind(tmp_path):
    imported(
        budget_workbook(
            tmp_path,
            "kinds.xlsx",
            预算调整=[KIND_HEADER, ["P1", "文-1", "2024-05-01", 50, "政策性调整", ""]],
        )
    )
    again = make_workbook(
        tmp_path / "old.xlsx",
        {"预算调整": [ADJUSTMENT_HEADER, ["P1", "文-1", "2024-05-01", 60, ""]]},
    )
    imported(again)
    adjustment = Adjustment.objects.get()
    assert (adjustment.amount, adjustment.kind) == (Decimal(60), "政策性调整")


@pytest.mark.django_db
def test_a_workbook_without_the_new_columns_imports_exactly_as_before(tmp_path):
    imported(budget_workbook(tmp_path, "first.xlsx"))
    project = Project.objects.get(code="P2")
    assert (project.special_account_funds, project.unit_funds) == (Decimal(0), Decimal(0))
    assert {action for _, action in run_import(tmp_path / "first.xlsx").counts} == {"unchanged"}


# --- what an import changes, row by row (the preview's samples) ---------------------------


def samples_of(result, entity: str, action: str) -> list[dict]:
    return [
        {"label": s["label"], "changes": s["changes"]}
        for s in result.samples
        if s["entity"] == entity and s["action"] == action
    ]


@pytest.mark.django_db
def test_a_dry_run_describes_the_rows_it_would_create_and_update(tmp_path):
    imported(budget_workbook(tmp_path))
    before = database_state()
    changed = budget_workbook(
        tmp_path,
        "changed.xlsx",
        项目=[
            PROJECT_HEADER,
            project_row("P1", initial="120.5", unit="309003", unit_name="新乡市医疗救助中心"),
            project_row("P2", initial=50, carryover=10),
            project_row("P3", name="门诊慢特病保障", initial=8),
        ],
    )
    result = run_import(changed, dry_run=True)
    assert result.ok, messages(result)
    assert database_state() == before
    assert samples_of(result, "项目", "updated") == [
        {
            "label": "项目P1（P1）",
            "changes": [
                ["单位", "309002 新乡市医疗保障局本级", "309003 新乡市医疗救助中心"],
                ["年初预算（万元）", "100.00", "120.50"],
            ],
        }
    ]
    assert samples_of(result, "项目", "created") == [
        {
            "label": "门诊慢特病保障（P3）",
            "changes": [
                ["年度", "", "2024"],
                ["项目编码", "", "P3"],
                ["项目名称", "", "门诊慢特病保障"],
                ["项目类型", "", "特定目标类"],
                ["年初预算（万元）", "", "8.00"],
                ["上年结转（万元）", "", "0.00"],
                ["财政专户管理资金（万元）", "", "0.00"],
                ["单位资金（万元）", "", "0.00"],
            ],
        }
    ]
    assert [s["label"] for s in result.samples if s["entity"] == "单位"] == [
        "309003 新乡市医疗救助中心"
    ]
    # An unchanged row is counted, never sampled.
    assert result.counts[("项目", "unchanged")] == 1


@pytest.mark.django_db
def test_an_unchanged_re_import_has_no_samples(tmp_path):
    path = budget_workbook(
        tmp_path, 支出=[PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 5, project="P1")]
    )
    first = imported(path)
    assert {s["entity"] for s in first.samples} == {"部门", "单位", "项目", "支出"}
    assert imported(path).samples == []


@pytest.mark.django_db
def test_samples_stop_at_the_limit_while_the_counts_go_on(tmp_path):
    from budgets.importer import SAMPLE_LIMIT

    path = make_workbook(tmp_path / "many.xlsx", project_sheet(SAMPLE_LIMIT + 15))
    result = imported(path)
    assert result.counts[("项目", "created")] == SAMPLE_LIMIT + 15
    assert len(samples_of(result, "项目", "created")) == SAMPLE_LIMIT
    assert [s["label"] for s in samples_of(result, "支出", "created")][:2] == ["记-0", "记-1"]


@pytest.mark.django_db
def test_updates_run_as_many_queries_for_5_rows_as_for_50(tmp_path):
    DivisionFactory()

    def moved(n: int) -> dict:
        # Every project moves to another unit and every payment changes its amount.
        sheets = project_sheet(n)
        sheets["项目"] = [
            PROJECT_HEADER,
            *(project_row(f"P{i:03d}", unit="309003") for i in range(n)),
        ]
        sheets["支出"] = [
            PAYMENT_HEADER,
            *(payment_row(f"记-{i}", "2024-03-01", 2, project=f"P{i:03d}") for i in range(n)),
        ]
        return sheets

    counts = []
    for n in (5, 50):
        for model in (Payment, Project, Unit, Department):
            model.objects.all().delete()
        imported(make_workbook(tmp_path / f"first{n}.xlsx", project_sheet(n)))
        counts.append(queries_of_import(make_workbook(tmp_path / f"moved{n}.xlsx", moved(n))))
    assert counts[0] == counts[1]


# --- 下载导入模板 -------------------------------------------------------------------------------


def template_book(tmp_path):
    import openpyxl

    from budgets.import_template import template_workbook

    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook())
    return path, openpyxl.load_workbook(path)


@pytest.mark.django_db
def test_the_template_has_every_sheet_with_every_column_and_an_example(tmp_path):
    from budgets.import_template import EXAMPLES, NOTES_SHEET
    from budgets.importer import sheet_classes

    _, book = template_book(tmp_path)
    classes = sheet_classes()
    assert book.sheetnames == [NOTES_SHEET, *(cls.name for cls in classes)]
    for cls in classes:
        sheet = book[cls.name]
        header = [cell.value for cell in sheet[1]]
        assert header == [c.name for c in cls.columns]
        assert sheet.freeze_panes == "A2"
        if cls.name == "实际完成":
            # Its rows need a round that is open: headers only, explained on 填写说明.
            assert sheet.max_row == 1
            continue
        example = EXAMPLES[cls.name]
        assert set(example) <= set(header), cls.name
        assert all(example.get(c.name) not in (None, "") for c in cls.columns if c.required)
        row = {title: cell for title, cell in zip(header, sheet[2], strict=True)}
        for title in ("部门编码", "单位编码", "项目编码", "区划编码", "凭证号", "调整文号"):
            if title in row:
                assert row[title].data_type == "s" and row[title].number_format == "@"
                assert sheet.column_dimensions[row[title].column_letter].number_format == "@"
                assert sheet.column_dimensions[row[title].column_letter].width >= 10
    assert book["项目"]["B2"].value == "060"
    assert "实际完成" in "".join(str(c.value) for c in book[NOTES_SHEET]["A"])


@pytest.mark.django_db
def test_the_template_imports_into_an_empty_system_without_a_problem(tmp_path):
    path, _ = template_book(tmp_path)
    before = database_state()
    result = run_import(path, dry_run=True)
    assert result.ok, messages(result)
    assert database_state() == before
    for entity in (
        "项目",
        "部门预算",
        "预算调整",
        "支出",
        "绩效指标",
        "部门整体目标",
        "部门年度目标",
    ):
        assert result.counts[(entity, "created")] == 1, entity
    imported(path)
    project = Project.objects.get()
    assert (project.code, project.department.code, project.department.division.code) == (
        "410702240000000000101",
        "060",
        "410702",
    )
    assert project.payments.get().amount == Decimal("35.2")
