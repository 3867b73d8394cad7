"""Budget rates, time progress and the execution warning (spec/rates-and-scoring.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext

import pytest

from budgets.choices import NO_BUDGET_LABEL, Warning, warning_label
from budgets.rates import (
    OVER,
    WARNINGS,
    ZERO_FIGURES,
    BudgetFigures,
    adjustment_rate,
    carryover_rate,
    completion_rate,
    execution_rate,
    execution_warning,
    figures_to_contract,
    format_amount,
    format_money,
    format_rate,
    needs_low_execution_note,
    procurement_execution_rate,
    ratio_percent,
    round_half_up,
    three_public_control_rate,
    time_progress,
)

D = Decimal
# 2023-03-14 is day 73 of 365: a time progress of exactly 20, so 80 % is 16 and 60 % is 12.
TWENTY_PERCENT_DAY = date(2023, 3, 14)


def test_a_ratio_is_numerator_over_denominator_times_100_at_full_precision():
    assert ratio_percent(D(1), D(3)) == D("33.33333333333333333333333333333333333333")
    assert ratio_percent(D("0.1"), D("0.3")) == D("33.33333333333333333333333333333333333333")
    assert ratio_percent(D(1), D(4)) == D("25")


def test_a_ratio_with_a_zero_or_missing_denominator_is_none_not_zero():
    assert ratio_percent(D(5), D(0)) is None
    assert ratio_percent(D(5), D("0.000000")) is None
    assert ratio_percent(D(5), None) is None
    assert ratio_percent(None, D(5)) is None


def test_rates_ignore_the_callers_low_precision_context():
    with localcontext() as ctx:
        ctx.prec = 3
        assert ratio_percent(D(2), D(3)) == D("66.66666666666666666666666666666666666667")


def test_execution_rate_is_executed_over_adjusted():
    assert execution_rate(D("1200.5"), D("2751.61")) == D(
        "43.62900265662648413110869636322007842681"
    )
    assert format_rate(execution_rate(D("1200.5"), D("2751.61"))) == "43.63"


def test_execution_rate_without_budget_is_none():
    assert execution_rate(D("3"), D(0)) is None
    assert execution_rate(D(0), D(0)) is None


def test_refunds_can_bring_the_execution_rate_down_and_even_below_zero():
    # Payments of 50 and a refund of 20 leave 30 executed.
    executed = D(50) + D(-20)
    assert execution_rate(executed, D(100)) == D(30)
    assert execution_rate(D(-5), D(100)) == D(-5)
    assert format_rate(execution_rate(D(-5), D(100))) == "-5.00"


def test_adjustment_rate_is_the_change_over_the_initial_budget():
    assert adjustment_rate(D(120), D(100)) == D(20)
    assert adjustment_rate(D(90), D(100)) == D(-10)
    assert adjustment_rate(D("0.3"), D("0.3")) == D(0)
    assert format_rate(adjustment_rate(D("0.3"), D("0.3"))) == "0.00"


def test_adjustment_rate_of_a_project_funded_only_by_adjustments_is_none():
    assert adjustment_rate(D(50), D(0)) is None
    assert adjustment_rate(D(50), None) is None


def test_carryover_rate_is_what_is_left_over_the_adjusted_budget():
    assert carryover_rate(D(100), D(70)) == D(30)
    assert carryover_rate(D(100), D(100)) == D(0)
    assert format_rate(carryover_rate(D("0.3"), D("0.1"))) == "66.67"


def test_carryover_rate_exceeds_100_when_refunds_exceed_payments():
    assert carryover_rate(D(100), D(-10)) == D(110)


def test_carryover_rate_without_budget_is_none():
    assert carryover_rate(D(0), D(5)) is None
    assert carryover_rate(None, D(5)) is None


def test_three_public_and_procurement_rates_are_spent_over_budget():
    assert three_public_control_rate(D("4.5"), D(5)) == D(90)
    assert procurement_execution_rate(D(60), D(80)) == D(75)


def test_three_public_and_procurement_rates_without_a_budget_are_none():
    assert three_public_control_rate(D(1), None) is None
    assert three_public_control_rate(D(0), D(0)) is None
    assert procurement_execution_rate(D(1), None) is None
    assert procurement_execution_rate(D(1), D(0)) is None


def test_completion_rate_counts_projects():
    assert completion_rate(1, 2) == D(50)
    assert completion_rate(0, 3) == D(0)
    assert format_rate(completion_rate(2, 3)) == "66.67"
    assert completion_rate(0, 0) is None


def test_time_progress_on_31_july_2024_is_213_of_366():
    progress = time_progress(date(2024, 7, 31))
    assert progress == D("58.19672131147540983606557377049180327869")
    assert format_rate(progress) == "58.20"


def test_time_progress_counts_the_first_and_last_day_of_the_year():
    assert time_progress(date(2023, 12, 31)) == D(100)
    assert time_progress(date(2024, 12, 31)) == D(100)
    assert time_progress(date(2023, 1, 1)) == D("0.2739726027397260273972602739726027397260")
    assert time_progress(TWENTY_PERCENT_DAY) == D(20)


def test_execution_is_green_exactly_at_80_percent_of_time_progress():
    assert execution_warning(D(16), D(20)) == "green"
    assert execution_warning(D(100), D(20)) == "green"


def test_execution_just_below_80_percent_of_time_progress_is_yellow():
    assert execution_warning(D("15.99999"), D(20)) == "yellow"


def test_execution_is_yellow_exactly_at_60_percent_of_time_progress():
    assert execution_warning(D(12), D(20)) == "yellow"


def test_execution_just_below_60_percent_of_time_progress_is_red():
    assert execution_warning(D("11.99999"), D(20)) == "red"
    assert execution_warning(D(0), D(20)) == "red"


def test_the_warning_compares_full_precision_not_rounded_rates():
    progress = time_progress(date(2024, 7, 31))
    green_line = D("0.8") * progress  # 46.5573770491803...
    assert execution_warning(D("46.5573770491"), progress) == "yellow"
    assert execution_warning(D("46.5573770492"), progress) == "green"
    assert round_half_up(green_line) == D("46.56")


def test_the_warning_fractions_are_settings():
    assert execution_warning(D(15), D(20), green_fraction=D("0.75")) == "green"
    assert execution_warning(D(9), D(20), yellow_fraction=D("0.4")) == "yellow"


def test_there_is_no_warning_without_a_budget():
    assert execution_warning(None, D(20)) is None


def test_a_year_end_execution_rate_below_90_needs_an_explanation():
    assert needs_low_execution_note(D("89.999")) is True
    assert needs_low_execution_note(D(90)) is False
    assert needs_low_execution_note(None) is False


def test_round_half_up_rounds_5_away_from_zero():
    assert round_half_up(D("58.195")) == D("58.20")
    assert round_half_up(D("58.185")) == D("58.19")
    assert round_half_up(D("58.1949999")) == D("58.19")
    assert round_half_up(D("-1.005")) == D("-1.01")
    assert round_half_up(D("2.5"), places=0) == D("3")
    assert round_half_up(None) is None


def test_a_tiny_negative_rate_rounds_to_plain_zero():
    assert format_rate(D("-0.001")) == "0.00"


def test_format_rate_gives_two_decimals_or_none():
    assert format_rate(D("58.333333")) == "58.33"
    assert format_rate(D(0)) == "0.00"
    assert format_rate(D("1E+2")) == "100.00"
    assert format_rate(None) is None


def test_format_amount_drops_trailing_zeros_and_never_uses_an_exponent():
    assert format_amount(D("2751.610000")) == "2751.61"
    assert format_amount(D("0.300000")) == "0.3"
    assert format_amount(D("1200.50")) == "1200.5"
    assert format_amount(D("1200.000000")) == "1200"
    assert format_amount(D("1E+3")) == "1000"
    assert format_amount(D("0.000000")) == "0"
    assert format_amount(D("-0")) == "0"
    assert format_amount(D("-12.340")) == "-12.34"
    assert format_amount(D("0.000001")) == "0.000001"


def test_budget_figures_compute_their_rates():
    figures = BudgetFigures(initial=D(100), adjusted=D(120), executed=D(90))
    assert figures.execution_rate == D(75)
    assert figures.adjustment_rate == D(20)
    assert figures.carryover_rate == D(25)
    assert figures.has_budget is True
    assert figures.warning(D(20)) == "green"
    assert figures.warning(D(100)) == "yellow"
    assert figures.warning(D(130)) == "red"
    assert figures.warning(D(100), green_fraction=D("0.75")) == "green"


def test_budget_figures_add_up_for_a_department():
    project = BudgetFigures(D("0.3"), D("0.3"), D("0.1"))
    basic = BudgetFigures(D("2751.31"), D("2751.31"), D("1200.4"))
    assert sum([project, basic], ZERO_FIGURES) == BudgetFigures(
        D("2751.61"), D("2751.61"), D("1200.5")
    )


def test_the_contract_of_a_project_matches_the_export_example():
    figures = BudgetFigures(D("0.300000"), D("0.300000"), D("0.100000"))
    assert figures_to_contract(figures, time_progress(date(2024, 7, 31))) == {
        "initial": "0.3",
        "adjusted": "0.3",
        "executed": "0.1",
        "execution_rate": "33.33",
        "adjustment_rate": "0.00",
        "carryover_rate": "66.67",
        "warning": "red",
    }


def test_the_contract_of_a_department_matches_the_export_example():
    figures = BudgetFigures(D("2751.61"), D("2751.61"), D("1200.5"))
    assert figures_to_contract(figures, time_progress(date(2024, 7, 31))) == {
        "initial": "2751.61",
        "adjusted": "2751.61",
        "executed": "1200.5",
        "execution_rate": "43.63",
        "adjustment_rate": "0.00",
        "carryover_rate": "56.37",
        "warning": "yellow",
    }


def test_the_contract_without_budget_has_null_rates_and_no_warning():
    figures = BudgetFigures(D(0), D(0), D(0))
    assert figures.has_budget is False
    assert figures_to_contract(figures, D(50)) == {
        "initial": "0",
        "adjusted": "0",
        "executed": "0",
        "execution_rate": None,
        "adjustment_rate": None,
        "carryover_rate": None,
        "warning": None,
    }


def test_the_contract_passes_the_warning_fractions_through():
    figures = BudgetFigures(D(100), D(100), D(15))
    assert figures_to_contract(figures, D(20))["warning"] == "yellow"
    assert figures_to_contract(figures, D(20), green_fraction=D("0.75"))["warning"] == "green"
    assert figures_to_contract(figures, D(20), D("0.9"), D("0.8"))["warning"] == "red"


@pytest.mark.parametrize(
    ("initial", "adjusted", "expected"),
    [(D(0), D(10), None), (D(10), D(0), D(-100)), (D(10), D(15), D(50))],
)
def test_adjustment_rate_covers_new_cancelled_and_raised_budgets(initial, adjusted, expected):
    assert BudgetFigures(initial, adjusted, D(0)).adjustment_rate == expected


# --- 超支: over 100 % ---------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2024, 1, 1), date(2024, 7, 31), date(2024, 12, 31)])
def test_spending_more_than_the_budget_is_over_whatever_the_date(day):
    progress = time_progress(day)
    assert execution_warning(D("100.0000000001"), progress) == OVER
    assert BudgetFigures(D(100), D(100), D("100.000001")).warning(progress) == "over"
    assert BudgetFigures(D(100), D(80), D(150)).warning(progress) == "over"


def test_spending_exactly_the_budget_is_not_over():
    assert execution_warning(D(100), D(100)) == "green"
    # 1 January: 100 % is far ahead of the time progress, and still green.
    assert execution_warning(D(100), time_progress(date(2024, 1, 1))) == "green"


def test_over_is_decided_before_the_fractions():
    assert execution_warning(D(101), D(100), green_fraction=D(1), yellow_fraction=D("0.9")) == OVER


def test_spending_without_budget_has_no_rate_and_no_warning_not_over():
    figures = BudgetFigures(D(0), D(0), D(5))
    assert (figures.execution_rate, figures.warning(D(50))) == (None, None)
    assert figures_to_contract(figures, D(50))["warning"] is None


def test_the_contract_of_an_overspent_project_says_over():
    figures = BudgetFigures(D("0.3"), D("0.3"), D("0.31"))
    contract = figures_to_contract(figures, time_progress(date(2024, 7, 31)))
    assert (contract["execution_rate"], contract["carryover_rate"], contract["warning"]) == (
        "103.33",
        "-3.33",
        "over",
    )


def test_the_warnings_and_their_labels_are_defined_once():
    assert set(WARNINGS) == set(Warning.values)
    assert [warning_label(w) for w in ("over", "green", "yellow", "red")] == [
        "超支",
        "正常",
        "黄色预警",
        "红色预警",
    ]
    assert warning_label(None) == NO_BUDGET_LABEL == "无预算"
    assert warning_label("", none="—") == "—"
    assert warning_label("purple") == ""


# --- 政策性调整 leave 预算调整率 ------------------------------------------------------------------


def test_policy_adjustments_count_in_the_budget_but_not_in_the_adjustment_rate():
    # 年初预算数 200; 一般调整 +30 and −20, 政策性调整 +50: 全年预算数 260.
    figures = BudgetFigures(initial=D(200), adjusted=D(260), executed=D(130), policy=D(50))
    assert figures.adjustment_rate == D(5)  # (260 − 200 − 50) / 200 × 100
    assert figures.execution_rate == D(50)  # 130 / 260: the policy money is budget
    assert figures.carryover_rate == D(50)
    assert figures_to_contract(figures, D(50))["adjustment_rate"] == "5.00"


def test_the_adjustment_rate_to_the_cent_with_a_policy_cut():
    # 年初预算数 2751.61; 一般调整 +12.345678, 政策性调整 −100: 全年预算数 2663.955678.
    # (2663.955678 − 2751.61 + 100) / 2751.61 × 100 = 1234.5678 / 2751.61
    rate = adjustment_rate(D("2663.955678"), D("2751.61"), D(-100))
    assert rate == D("0.4486710689378218570218890031654195180276")
    assert abs(rate * D("2751.61") - D("1234.5678")) < D("1e-30")
    figures = BudgetFigures(D("2751.61"), D("2663.955678"), D(0), D(-100))
    assert figures_to_contract(figures, D(50))["adjustment_rate"] == "0.45"


def test_only_policy_adjustments_give_a_zero_adjustment_rate():
    assert BudgetFigures(D(100), D(150), D(0), policy=D(50)).adjustment_rate == D(0)


def test_a_departments_policy_adjustments_add_up():
    project = BudgetFigures(D(100), D(150), D(0), policy=D(50))
    other = BudgetFigures(D(100), D(90), D(0), policy=D(-20))
    basic = BudgetFigures(D(50), D(50), D(0))
    total = sum([project, other, basic], ZERO_FIGURES)
    assert total == BudgetFigures(D(250), D(290), D(0), D(30))
    assert total.adjustment_rate == D(4)  # (290 − 250 − 30) / 250 × 100


# --- amounts as the pages print them -----------------------------------------------------------


def test_format_money_prints_separators_and_two_to_six_decimals_exactly():
    assert format_money(D(20)) == "20.00"
    assert format_money(D("15.760000")) == "15.76"
    assert format_money(D("10348.7")) == "10,348.70"
    assert format_money(D("4515.264")) == "4,515.264"
    assert format_money(D("0.000001")) == "0.000001"
    assert format_money(D("-0.000000")) == "0.00"
    assert format_money(D("1E+3")) == "1,000.00"
    assert format_money(D("-1234.5")) == "-1,234.50"
