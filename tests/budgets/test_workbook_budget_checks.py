"""The 预算调整 sheet keeps the pages' rule: no project's 全年预算数 may end up negative, counting
every adjustment of the project after the import (the stored ones and the sheet's rows, an
updated row replacing its stored amount). Payments above 全年预算数 still import: treasury
systems record what was paid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgets.importer import run_import
from budgets.models import Adjustment, Payment, Project
from budgets.workbook import BUDGET_WOULD_BE_NEGATIVE

from .workbooks import (
    ADJUSTMENT_HEADER,
    PAYMENT_HEADER,
    PROJECT_HEADER,
    database_state,
    make_workbook,
    payment_row,
    project_row,
)

pytestmark = pytest.mark.django_db

SHEET = "预算调整"


def workbook(tmp_path, name: str, *adjustments, projects: bool = True, **sheets):
    """P1 (年初预算数 100) and P2 (50 + 10 结转) of department 309, plus the adjustment rows."""
    book = {}
    if projects:
        book["项目"] = [
            PROJECT_HEADER,
            project_row("P1", initial=100),
            project_row("P2", initial=50, carryover=10),
        ]
    book[SHEET] = [ADJUSTMENT_HEADER, *adjustments]
    book.update(sheets)
    return make_workbook(tmp_path / name, book)


def adjustment(code: str, number: str, amount, day: str = "2024-05-06") -> list:
    return [code, number, day, amount, ""]


def imported(path) -> None:
    result = run_import(path)
    assert result.ok, [str(p) for p in result.problems]


def refused(path, **kwargs) -> list[str]:
    """Import the workbook; assert it was refused and nothing was written."""
    before = database_state()
    result = run_import(path, **kwargs)
    assert not result.ok
    assert database_state() == before
    return [str(problem) for problem in result.problems]


def negative(row: int, code: str, adjusted: str, existing: str, amount: str, initial="100.00"):
    message = BUDGET_WOULD_BE_NEGATIVE.format(
        code=code, year=2024, adjusted=adjusted, initial=initial, existing=existing, amount=amount
    )
    return f"{SHEET}, 第{row}行, 调整金额: {message}"


def test_a_cut_that_makes_the_budget_negative_refuses_the_whole_import(tmp_path):
    path = workbook(
        tmp_path,
        "a.xlsx",
        adjustment("P1", "文-1", 20),
        adjustment("P1", "文-2", -150),
        adjustment("P2", "文-3", -5),
    )
    assert refused(path) == [negative(3, "P1", "-30.00", "0.00", "-130.00")]
    # The projects of the same file are not written either.
    assert not Project.objects.exists() and not Adjustment.objects.exists()


def test_a_dry_run_reports_it_too(tmp_path):
    path = workbook(tmp_path, "a.xlsx", adjustment("P1", "文-1", -101))
    assert refused(path, dry_run=True) == [negative(2, "P1", "-1.00", "0.00", "-101.00")]


def test_a_cut_covered_by_an_increase_further_down_is_accepted(tmp_path):
    imported(
        workbook(
            tmp_path,
            "a.xlsx",
            adjustment("P1", "文-1", -150),
            adjustment("P1", "文-2", 60),
            adjustment("P2", "文-3", -60),  # exactly 0 is allowed
        )
    )
    assert Adjustment.objects.count() == 3


def test_stored_adjustments_count(tmp_path):
    imported(workbook(tmp_path, "a.xlsx", adjustment("P1", "文-1", -80)))
    path = workbook(tmp_path, "b.xlsx", adjustment("P1", "文-2", -30), projects=False)
    assert refused(path) == [negative(2, "P1", "-10.00", "-80.00", "-30.00")]
    assert list(Adjustment.objects.values_list("amount", flat=True)) == [Decimal("-80")]


def test_an_updated_row_replaces_its_stored_amount(tmp_path):
    imported(workbook(tmp_path, "a.xlsx", adjustment("P1", "文-1", -80)))
    # 100 − 60 − 30 = 10: fine, although −80 − 60 − 30 added up would not be.
    imported(
        workbook(
            tmp_path,
            "b.xlsx",
            adjustment("P1", "文-1", -60),
            adjustment("P1", "文-2", -30),
            projects=False,
        )
    )
    amounts = dict(Adjustment.objects.values_list("document_number", "amount"))
    assert amounts == {"文-1": Decimal("-60"), "文-2": Decimal("-30")}
    # Lowering the update instead is refused, naming that row only.
    path = workbook(
        tmp_path,
        "c.xlsx",
        adjustment("P1", "文-2", -30),
        adjustment("P1", "文-1", -75),
        projects=False,
    )
    assert refused(path) == [negative(3, "P1", "-5.00", "0.00", "-105.00")]


def test_moving_an_adjustment_to_another_project_checks_the_one_it_leaves(tmp_path):
    imported(
        workbook(tmp_path, "a.xlsx", adjustment("P2", "文-1", 50), adjustment("P2", "文-2", -100))
    )
    path = workbook(tmp_path, "b.xlsx", adjustment("P1", "文-1", 50), projects=False)
    assert refused(path) == [negative(2, "P2", "-40.00", "-100.00", "0.00", initial="60.00")]


def test_a_lower_initial_budget_in_the_same_file_counts(tmp_path):
    imported(workbook(tmp_path, "a.xlsx", adjustment("P1", "文-1", -80)))
    book = {
        "项目": [PROJECT_HEADER, project_row("P1", initial=70)],
        SHEET: [ADJUSTMENT_HEADER, adjustment("P1", "文-2", 5)],
    }
    path = make_workbook(tmp_path / "b.xlsx", book)
    # No row lowers the budget: the project's rows are named.
    assert refused(path) == [negative(2, "P1", "-5.00", "-80.00", "5.00", initial="70.00")]
    assert Project.objects.get(code="P1").initial_budget == Decimal("100")


def test_payments_above_the_budget_still_import(tmp_path):
    path = workbook(
        tmp_path,
        "a.xlsx",
        支出=[PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 250, project="P1")],
    )
    imported(path)
    assert Payment.objects.get().amount == Decimal("250")
