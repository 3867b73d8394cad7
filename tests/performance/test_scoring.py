"""Self-evaluation scoring and monitoring lights (spec/rates-and-scoring.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from performance.scoring import (
    OVER_COMPLETION,
    ScoringInput,
    allocate_points,
    budget_deviates,
    execution_score,
    grade,
    group_of,
    indicator_completion,
    indicator_deviates,
    indicator_light,
    indicator_score,
    is_cost_ceiling,
    needs_over_completion_note,
    score_self_evaluation,
    scoring_target,
    worst_light,
)
from performance.values import ActualValue, TargetValue, parse_target

D = Decimal
YEAR = 2024


def at_least(value: str, unit: str = "") -> TargetValue:
    return TargetValue(f"≥{value}{unit}", "quantitative", ">=", D(value), None, unit)


def at_most(value: str, unit: str = "") -> TargetValue:
    return TargetValue(f"≤{value}{unit}", "quantitative", "<=", D(value), None, unit)


def quantity(comparator: str, value: str, unit: str = "") -> TargetValue:
    return TargetValue(
        f"{comparator}{value}{unit}", "quantitative", comparator, D(value), None, unit
    )


def between(low: str, high: str, unit: str = "人") -> TargetValue:
    return TargetValue(f"{low}-{high}{unit}", "quantitative", "range", D(low), D(high), unit)


def by(day: date) -> TargetValue:
    return TargetValue(f"{day.year}年{day.month}月{day.day}日前", "deadline", "<=", day, None, None)


def relative(comparator: str = ">=") -> TargetValue:
    return TargetValue("不低于上年", "relative", comparator, None, None, None)


QUALITATIVE = TargetValue("明显提升", "qualitative", None, None, None, None)


def number(value: str, unit: str | None = None) -> ActualValue:
    return ActualValue(raw=f"{value}{unit or ''}", number=D(value), unit=unit)


def finished(day: date | None) -> ActualValue:
    return ActualValue(raw=str(day) if day else "未完成", day=day)


def tier(name: str | None, percent: str | None = None) -> ActualValue:
    return ActualValue(
        raw=name or "", tier=name, tier_percent=None if percent is None else D(percent)
    )


def compared(previous: str, current: str) -> ActualValue:
    return ActualValue(raw=current, number=D(current), previous=D(previous))


def completion(target: TargetValue, actual: ActualValue) -> Decimal | None:
    return indicator_completion(target, actual, fiscal_year=YEAR)


def light(target: TargetValue, expected: ActualValue | None) -> str | None:
    return indicator_light(target, expected, fiscal_year=YEAR)


# --- allocation ---------------------------------------------------------------------------


def test_cost_and_output_indicators_share_the_50_output_points():
    allocation = allocate_points(
        [
            ("cost", "成本指标", None),
            ("output", "产出指标", None),
            ("benefit-1", "效益指标", None),
            ("benefit-2", "效益指标", None),
            ("satisfaction", "满意度指标", None),
        ],
        has_budget=True,
    )
    assert allocation.execution_points == D(10)
    assert allocation.indicator_points == {
        "cost": D(25),
        "output": D(25),
        "benefit-1": D(15),
        "benefit-2": D(15),
        "satisfaction": D(10),
    }
    assert allocation.total == D(100)


def test_a_project_without_benefit_indicators_gives_their_30_points_to_the_others():
    allocation = allocate_points(
        [
            ("o1", "产出指标", None),
            ("o2", "产出指标", None),
            ("c1", "成本指标", None),
            ("s1", "满意度指标", None),
        ],
        has_budget=True,
    )
    # 产出 50 → 50 × 90 / 60 = 75 shared by three; 满意度 10 → 10 × 90 / 60 = 15.
    assert allocation.execution_points == D(10)
    assert allocation.indicator_points == {"o1": D(25), "o2": D(25), "c1": D(25), "s1": D(15)}
    assert allocation.total == D(100)


def test_a_project_without_budget_gives_the_10_execution_points_to_the_groups():
    allocation = allocate_points(
        [("o", "产出指标", None), ("b", "效益指标", None), ("s", "满意度指标", None)],
        has_budget=False,
    )
    assert allocation.execution_points == D(0)
    assert allocation.indicator_points == {
        "o": D("55.55555555555555555555555555555555555556"),  # 500/9
        "b": D("33.33333333333333333333333333333333333333"),  # 100/3
        "s": D("11.11111111111111111111111111111111111111"),  # 100/9
    }
    assert allocation.total == D(100)


def test_without_budget_and_without_benefit_the_indicators_share_all_100_points():
    allocation = allocate_points(
        [("o", "产出指标", None), ("s", "满意度指标", None)], has_budget=False
    )
    assert allocation.indicator_points == {
        "o": D("83.33333333333333333333333333333333333333"),
        "s": D("16.66666666666666666666666666666666666667"),
    }
    assert allocation.total == D(100)


def test_weights_on_every_indicator_are_used_as_their_points():
    allocation = allocate_points(
        [("c", "成本指标", D(10)), ("o", "产出指标", D(40)), ("b", "效益指标", D(40))],
        has_budget=True,
    )
    assert allocation.execution_points == D(10)
    assert allocation.indicator_points == {"c": D(10), "o": D(40), "b": D(40)}


def test_weights_not_adding_to_90_are_scaled_to_90():
    allocation = allocate_points(
        [("a", "产出指标", D(10)), ("b", "效益指标", D(20))], has_budget=True
    )
    assert allocation.indicator_points == {"a": D(30), "b": D(60)}
    assert allocation.total == D(100)


def test_weights_without_budget_also_take_the_execution_points_in_proportion():
    allocation = allocate_points(
        [("a", "产出指标", D(45)), ("b", "效益指标", D(45))], has_budget=False
    )
    assert allocation.execution_points == D(0)
    assert allocation.indicator_points == {"a": D(50), "b": D(50)}


def test_weights_on_only_some_indicators_are_ignored_for_an_equal_split():
    allocation = allocate_points(
        [("a", "产出指标", D(80)), ("b", "产出指标", None), ("s", "满意度指标", D(10))],
        has_budget=True,
    )
    assert allocation.indicator_points == {"a": D("37.5"), "b": D("37.5"), "s": D(15)}


def test_weights_that_are_all_zero_are_ignored_for_an_equal_split():
    allocation = allocate_points(
        [("a", "产出指标", D(0)), ("s", "满意度指标", D(0))], has_budget=True
    )
    assert allocation.indicator_points == {"a": D(75), "s": D(15)}


def test_a_project_without_indicators_puts_every_point_on_execution():
    assert allocate_points([], has_budget=True).execution_points == D(100)
    assert allocate_points([], has_budget=False).total == D(0)


def test_level1_names_are_read_through_whitespace_and_variants():
    assert group_of("成本指标") == "产出指标"
    assert group_of(" 产出\n指标 ") == "产出指标"
    assert group_of("社会效益指标") == "效益指标"
    assert group_of("服务对象满意度指标") == "满意度指标"


def test_an_unknown_level1_name_is_rejected():
    with pytest.raises(ValueError, match="未知的一级指标：其他"):
        allocate_points([("x", "其他", None)], has_budget=True)


def test_duplicate_indicator_keys_are_rejected():
    with pytest.raises(ValueError, match="指标键重复"):
        allocate_points([("x", "产出指标", None), ("x", "效益指标", None)], has_budget=True)


# --- completion: quantitative -------------------------------------------------------------


def test_a_higher_is_better_completion_is_actual_over_target():
    assert completion(at_least("95", "%"), number("90", "%")) == D(
        "0.9473684210526315789473684210526315789474"
    )
    assert completion(at_least("10", "次"), number("9")) == D("0.9")


def test_an_equals_target_is_higher_is_better():
    assert completion(quantity("=", "1050", "元"), number("1100", "元")) == D(
        "1.047619047619047619047619047619047619048"
    )
    assert completion(quantity("=", "100", "%"), number("98")) == D("0.98")


def test_a_strict_greater_than_scores_like_at_least():
    assert completion(quantity(">", "90", "%"), number("90")) == D(1)
    assert completion(quantity(">", "90", "%"), number("81")) == D("0.9")


def test_a_target_of_zero_scores_full_marks():
    assert completion(at_least("0", "个"), number("0")) == D(1)
    assert indicator_score(at_least("0"), number("0"), D(10), fiscal_year=YEAR) == D(10)


def test_a_lower_is_better_target_within_limit_scores_full_marks():
    assert completion(at_most("5", "万元"), number("4.8")) == D(1)
    assert completion(at_most("5", "万元"), number("5")) == D(1)


def test_a_cost_overrun_scores_target_over_actual():
    assert completion(at_most("5", "万元"), number("6")) == D(
        "0.8333333333333333333333333333333333333333"
    )
    assert indicator_score(at_most("100", "万元"), number("125"), D("12.5"), fiscal_year=YEAR) == (
        D(10)
    )


def test_a_strict_less_than_scores_like_at_most():
    assert completion(quantity("<", "10", "%"), number("10")) == D(1)
    assert completion(quantity("<", "0", "次"), number("0")) == D(1)


def test_a_lower_is_better_target_of_zero_with_any_occurrence_scores_zero():
    assert completion(at_most("0", "次"), number("2")) == D(0)


def test_an_actual_in_yuan_is_converted_to_a_target_in_wan_yuan():
    assert completion(at_most("5", "万元"), number("48000", "元")) == D(1)
    assert completion(at_most("5", "万元"), number("60000", "元")) == D(
        "0.8333333333333333333333333333333333333333"
    )
    assert completion(at_least("2", "万人"), number("15000", "人")) == D("0.75")
    assert completion(at_least("1500", "元"), number("0.3", "万元")) == D(2)


def test_an_actual_in_an_unrelated_unit_is_read_in_the_targets_unit():
    assert completion(at_least("37", "万"), number("37", "万人")) == D(1)
    assert completion(at_least("95", "%"), number("76", "人")) == D("0.8")


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("50", D("0.8333333333333333333333333333333333333333")),
        ("60", D(1)),
        ("70", D(1)),
        ("80", D(1)),
        ("100", D("0.8")),
    ],
)
def test_a_range_scores_full_inside_and_proportionally_outside(actual, expected):
    assert completion(between("60", "80"), number(actual)) == expected


def test_a_quantitative_actual_without_a_number_uses_the_evaluators_tier():
    assert completion(at_least("95", "%"), tier("部分达成")) == D("0.7")


def test_a_quantitative_actual_without_number_or_tier_cannot_be_scored():
    assert completion(at_least("95", "%"), ActualValue(raw="见附件")) is None
    assert indicator_score(at_least("95"), ActualValue(raw="见附件"), D(10), fiscal_year=YEAR) == (
        D(0)
    )


# --- completion: deadlines ----------------------------------------------------------------


def test_finishing_on_or_before_the_deadline_scores_full_marks():
    assert completion(by(date(2024, 6, 30)), finished(date(2024, 6, 30))) == D(1)
    assert completion(by(date(2024, 6, 30)), finished(date(2024, 3, 1))) == D(1)


def test_a_late_finish_scores_days_to_the_deadline_over_days_to_the_finish():
    # 2024-06-30 is day 182, 2024-07-31 day 213 (counted from 1 January, inclusive).
    assert completion(by(date(2024, 6, 30)), finished(date(2024, 7, 31))) == D(
        "0.8544600938967136150234741784037558685446"
    )
    assert indicator_score(
        by(date(2024, 6, 30)), finished(date(2024, 7, 31)), D("12.5"), fiscal_year=YEAR
    ) == D("10.68075117370892018779342723004694835681")


def test_a_finish_in_the_next_year_counts_days_from_the_fiscal_years_1_january():
    assert completion(by(date(2024, 12, 31)), finished(date(2025, 1, 15))) == D(
        "0.9606299212598425196850393700787401574803"
    )  # 366 / 381


def test_an_unfinished_deadline_scores_zero_but_is_not_missing():
    assert completion(by(date(2024, 6, 30)), finished(None)) == D(0)
    result = score_self_evaluation(
        indicators=[ScoringInput("d", "产出指标", by(date(2024, 6, 30)), finished(None))],
        execution_rate=None,
        fiscal_year=YEAR,
    )
    assert result.missing_actual == ()
    assert result.total == D("0.00")


# --- completion: qualitative and relative -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"), [("达成", D(1)), ("部分达成", D("0.7")), ("未达成", D("0.3"))]
)
def test_a_tier_without_percentage_counts_100_70_or_30_percent(name, expected):
    assert completion(QUALITATIVE, tier(name)) == expected


@pytest.mark.parametrize(
    ("name", "percent", "expected"),
    [("达成", "85", D("0.85")), ("部分达成", "65", D("0.65")), ("未达成", "0", D(0))],
)
def test_a_tier_with_a_percentage_counts_that_percentage(name, percent, expected):
    assert completion(QUALITATIVE, tier(name, percent)) == expected


def test_a_qualitative_actual_without_a_tier_cannot_be_scored():
    assert completion(QUALITATIVE, tier(None)) is None
    assert completion(QUALITATIVE, number("100", "%")) is None


def test_a_relative_indicator_is_scored_by_tier():
    assert completion(relative(), tier("部分达成")) == D("0.7")


def test_a_relative_indicator_with_both_years_numbers_scores_as_quantitative():
    assert completion(relative(">="), compared("200", "190")) == D("0.95")
    assert completion(relative(">"), compared("200", "250")) == D("1.25")
    assert completion(relative("<"), compared("100", "90")) == D(1)
    assert completion(relative("<"), compared("100", "110")) == D(
        "0.9090909090909090909090909090909090909091"
    )
    assert completion(relative(">="), compared("0", "0")) == D(1)


# --- scores ---------------------------------------------------------------------------------


def test_an_over_completion_is_flagged_and_capped_at_the_points():
    over = completion(at_least("5", "个"), number("7"))
    assert over == D("1.4")
    assert needs_over_completion_note(over) is True
    assert indicator_score(at_least("5", "个"), number("7"), D("12.5"), fiscal_year=YEAR) == (
        D("12.5")
    )
    assert OVER_COMPLETION == "超额完成较多，需说明原因"


def test_the_over_completion_flag_starts_at_exactly_120_percent():
    assert needs_over_completion_note(D("1.2")) is True
    assert needs_over_completion_note(D("1.19999")) is False
    assert needs_over_completion_note(None) is False


def test_a_missing_actual_scores_zero():
    assert indicator_score(at_least("95"), None, D(10), fiscal_year=YEAR) == D(0)


def test_a_negative_actual_scores_zero_not_below():
    assert indicator_score(at_least("10"), number("-3"), D(10), fiscal_year=YEAR) == D(0)


def test_the_execution_score_is_10_times_the_rate_capped_at_100_percent():
    assert execution_score(D(95)) == D("9.5")
    assert execution_score(D("43.62900265662648413110869636322007842681")) == D(
        "4.362900265662648413110869636322007842681"
    )
    assert execution_score(D(120)) == D(10)
    assert execution_score(D(-5)) == D(0)
    assert execution_score(D(50), D(20)) == D(10)


def test_there_is_no_execution_score_without_budget():
    assert execution_score(None) is None


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (D("100.00"), "优"),
        (D("90.00"), "优"),
        (D("89.99"), "良"),
        (D("80.00"), "良"),
        (D("79.99"), "中"),
        (D("60.00"), "中"),
        (D("59.99"), "差"),
        (D("0.00"), "差"),
    ],
)
def test_the_grade_boundaries_are_90_80_and_60(total, expected):
    assert grade(total) == expected


# --- a whole self-evaluation ----------------------------------------------------------------


def whole_project() -> list[ScoringInput]:
    return [
        ScoringInput("cost", "成本指标", at_most("100", "万元"), number("95", "万元")),
        ScoringInput("visits", "产出指标", at_least("10", "次"), number("9", "次")),
        ScoringInput("deadline", "产出指标", by(date(2024, 6, 30)), finished(date(2024, 7, 31))),
        ScoringInput("sites", "产出指标", at_least("5", "个"), number("7", "个")),
        ScoringInput("effect", "效益指标", QUALITATIVE, tier("部分达成")),
        ScoringInput("trend", "效益指标", relative(), compared("200", "190")),
        ScoringInput("satisfied", "满意度指标", at_least("90", "%"), number("85", "%")),
    ]


def test_a_whole_project_is_scored_to_the_cent():
    result = score_self_evaluation(
        indicators=whole_project(), execution_rate=D(95), fiscal_year=YEAR
    )
    assert result.execution_points == D(10)
    assert result.execution_score == D("9.5")
    assert [(i.key, i.points, i.completion, i.score) for i in result.indicators] == [
        ("cost", D("12.5"), D(1), D("12.5")),
        ("visits", D("12.5"), D("0.9"), D("11.25")),
        (
            "deadline",
            D("12.5"),
            D("0.8544600938967136150234741784037558685446"),
            D("10.68075117370892018779342723004694835681"),
        ),
        ("sites", D("12.5"), D("1.4"), D("12.5")),
        ("effect", D(15), D("0.7"), D("10.5")),
        ("trend", D(15), D("0.95"), D("14.25")),
        (
            "satisfied",
            D(10),
            D("0.9444444444444444444444444444444444444444"),
            D("9.444444444444444444444444444444444444444"),
        ),
    ]
    # 9.5 + 12.5 + 11.25 + 10.6807… + 12.5 + 10.5 + 14.25 + 9.4444… = 90.6251…
    assert result.total == D("90.63")
    assert result.grade == "优"
    assert result.over_completion == ("sites",)
    assert result.missing_actual == ()


def test_the_same_project_without_budget_shares_the_execution_points():
    result = score_self_evaluation(
        indicators=whole_project(), execution_rate=None, fiscal_year=YEAR
    )
    assert result.execution_points == D(0)
    assert result.execution_score is None
    points = {i.key: i.points for i in result.indicators}
    assert points["cost"] == D("13.88888888888888888888888888888888888889")  # 500/9 / 4
    assert points["effect"] == D("16.66666666666666666666666666666666666667")  # 100/3 / 2
    assert points["satisfied"] == D("11.11111111111111111111111111111111111111")  # 100/9
    assert result.total == D("90.14")
    assert result.grade == "优"


def test_a_total_exactly_at_half_a_cent_rounds_up_despite_thirds():
    # Satisfaction 10 points over three indicators (10/3 each): 0.7 + 0.8 + 0 of them is
    # exactly 5; a 40-digit sum would land just under 94.625 and round down.
    result = score_self_evaluation(
        indicators=[
            ScoringInput("o", "产出指标", at_least("10"), number("10")),
            ScoringInput("b", "效益指标", at_least("80"), number("79")),
            ScoringInput("s1", "满意度指标", QUALITATIVE, tier("部分达成")),
            ScoringInput("s2", "满意度指标", QUALITATIVE, tier("达成", "80")),
            ScoringInput("s3", "满意度指标", QUALITATIVE, tier("未达成", "0")),
        ],
        execution_rate=D(100),
        fiscal_year=YEAR,
    )
    assert result.total == D("94.63")


def test_missing_and_unusable_actuals_score_zero_and_are_listed():
    result = score_self_evaluation(
        indicators=[
            ScoringInput("o", "产出指标", at_least("10"), number("10")),
            ScoringInput("b", "效益指标", at_least("80"), None),
            ScoringInput("s", "满意度指标", QUALITATIVE, ActualValue(raw="好")),
        ],
        execution_rate=D(100),
        fiscal_year=YEAR,
    )
    assert result.missing_actual == ("b", "s")
    assert [i.score for i in result.indicators] == [D(50), D(0), D(0)]
    assert result.total == D("60.00")
    assert result.grade == "中"


def test_a_reviewers_override_replaces_the_computed_score_within_the_points():
    result = score_self_evaluation(
        indicators=[
            ScoringInput("o", "产出指标", QUALITATIVE, tier("达成"), override_score=D("42.5")),
            ScoringInput("b", "效益指标", QUALITATIVE, tier("达成"), override_score=D(99)),
            ScoringInput("s", "满意度指标", QUALITATIVE, tier("达成"), override_score=D(-1)),
        ],
        execution_rate=D(100),
        fiscal_year=YEAR,
    )
    assert [i.score for i in result.indicators] == [D("42.5"), D(30), D(0)]
    assert result.total == D("82.50")
    assert result.grade == "良"


def test_a_weighted_project_scores_with_its_weights():
    result = score_self_evaluation(
        indicators=[
            ScoringInput("c", "成本指标", at_most("0.3", "万元"), number("0.3"), weight=D(10)),
            ScoringInput("o", "产出指标", at_least("100", "%"), number("90"), weight=D(40)),
            ScoringInput("b", "效益指标", QUALITATIVE, tier("达成", "90"), weight=D(30)),
            ScoringInput("s", "满意度指标", at_least("95", "%"), number("95"), weight=D(10)),
        ],
        execution_rate=D("33.33333333333333333333333333333333333333"),
        fiscal_year=YEAR,
    )
    assert [i.score for i in result.indicators] == [D(10), D(36), D(27), D(10)]
    assert result.execution_score == D("3.333333333333333333333333333333333333333")
    assert result.total == D("86.33")
    assert result.grade == "良"


# --- monitoring -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "colour"),
    [
        ("120", "blue"),
        ("119.99", "green"),
        ("100", "green"),
        ("80", "green"),
        ("79.99", "yellow"),
        ("60", "yellow"),
        ("59.99", "red"),
        ("0", "red"),
    ],
)
def test_a_higher_is_better_light_follows_the_completion_bands(expected, colour):
    assert light(at_least("100", "%"), number(expected)) == colour


def test_a_lower_is_better_light_is_green_within_target_and_red_over_it():
    assert light(at_most("5", "万元"), number("5")) == "green"
    assert light(at_most("5", "万元"), number("1")) == "green"
    assert light(at_most("5", "万元"), number("5.01")) == "red"


def test_a_deadline_light_is_green_on_time_and_red_when_late():
    assert light(by(date(2024, 12, 31)), finished(date(2024, 12, 31))) == "green"
    assert light(by(date(2024, 6, 30)), finished(date(2024, 7, 1))) == "red"
    assert light(by(date(2024, 6, 30)), finished(None)) == "red"


@pytest.mark.parametrize(
    ("name", "percent", "colour"),
    [
        ("达成", None, "green"),
        ("部分达成", None, "yellow"),
        ("未达成", None, "red"),
        ("部分达成", "79", "yellow"),
        ("达成", "80", "green"),
    ],
)
def test_a_qualitative_light_follows_the_tier(name, percent, colour):
    assert light(QUALITATIVE, tier(name, percent)) == colour


def test_a_percentage_without_a_tier_follows_the_completion_bands():
    assert light(QUALITATIVE, tier(None, "65")) == "yellow"


def test_a_range_light_follows_the_completion_bands():
    assert light(between("60", "80"), number("70")) == "green"
    assert light(between("60", "80"), number("50")) == "green"
    assert light(between("60", "80"), number("30")) == "red"


def test_a_relative_light_with_numbers_scores_as_quantitative():
    assert light(relative(">="), compared("100", "130")) == "blue"
    assert light(relative("<="), compared("100", "101")) == "red"


def test_an_indicator_without_an_expected_value_has_no_light():
    assert light(at_least("100"), None) is None
    assert light(QUALITATIVE, ActualValue(raw="")) is None


def test_the_project_light_is_the_worst_of_its_indicators():
    assert worst_light(["green", "blue"]) == "green"
    assert worst_light(["blue", "blue"]) == "blue"
    assert worst_light(["green", None, "red", "yellow"]) == "red"
    assert worst_light(["green", "yellow", "blue"]) == "yellow"


def test_a_project_without_any_light_has_none():
    assert worst_light([]) is None
    assert worst_light([None, None]) is None


@pytest.mark.parametrize(
    ("colour", "deviates"),
    [("green", False), ("blue", True), ("yellow", True), ("red", True), (None, False)],
)
def test_an_indicator_deviates_unless_green_and_a_missing_value_is_no_deviation(colour, deviates):
    assert indicator_deviates(colour) is deviates


@pytest.mark.parametrize(
    ("warning", "deviates"),
    [("green", False), ("yellow", True), ("red", True), ("over", True), (None, False)],
)
def test_the_budget_deviates_on_a_yellow_red_or_over_warning(warning, deviates):
    assert budget_deviates(warning) is deviates


# --- a cost target in 万元/元 written with `=` is a ceiling -----------------------------------

COST = "成本指标"
OUTPUT = "产出指标"


def test_a_cost_amount_without_comparator_is_a_ceiling_but_keeps_its_comparator():
    target = parse_target("344万元", YEAR)
    assert target.comparator == "="
    assert is_cost_ceiling(COST, target) is True
    assert is_cost_ceiling(" 成本 指标", target) is True
    assert scoring_target(COST, target).comparator == "<="
    assert scoring_target(COST, target).raw == "344万元"
    assert target.comparator == "="  # the stored target is untouched


@pytest.mark.parametrize(
    ("level1", "raw"),
    [
        (OUTPUT, "344万元"),  # an output amount stays higher-is-better
        (COST, "≥344万元"),  # written as a floor: kept (and flagged by review)
        (COST, "1050元/人"),  # per-unit amounts are no totals
        (COST, "12万元/年"),
        (COST, "100%"),
        (COST, "≤344万元"),  # already a ceiling
    ],
)
def test_only_a_cost_total_written_with_equals_becomes_a_ceiling(level1, raw):
    target = parse_target(raw, YEAR)
    assert is_cost_ceiling(level1, target) is False
    assert scoring_target(level1, target) == target


def test_spending_less_than_a_cost_written_with_equals_never_loses_points():
    target = parse_target("344万元", YEAR)
    # As `=` (higher is better) 300 of 344 would be 87.2 %; as a ceiling it is full marks.
    assert indicator_completion(target, number("300", "万元"), fiscal_year=YEAR) == D(
        "0.8720930232558139534883720930232558139535"
    )
    assert indicator_completion(target, number("300", "万元"), fiscal_year=YEAR, level1=COST) == 1
    assert (
        indicator_score(target, number("300", "万元"), D(10), fiscal_year=YEAR, level1=COST) == 10
    )
    # 3,000,000元 = 300万元: converted before judging.
    assert (
        indicator_score(target, number("3000000", "元"), D(10), fiscal_year=YEAR, level1=COST) == 10
    )


def test_spending_more_than_a_cost_ceiling_scores_target_over_actual():
    target = parse_target("344万元", YEAR)
    # 10 × 344 / 430 = 8.
    assert indicator_score(target, number("430", "万元"), D(10), fiscal_year=YEAR, level1=COST) == 8
    assert indicator_completion(target, number("430", "万元"), fiscal_year=YEAR, level1=COST) == D(
        "0.8"
    )


def test_a_cost_ceiling_lights_green_within_and_red_over_never_blue():
    target = parse_target("344万元", YEAR)
    light = indicator_light
    assert light(target, number("100", "万元"), fiscal_year=YEAR, level1=COST) == "green"
    assert light(target, number("344", "万元"), fiscal_year=YEAR, level1=COST) == "green"
    assert light(target, number("344.01", "万元"), fiscal_year=YEAR, level1=COST) == "red"
    # Read as `=` the 100 of 344 would be red, and 430 of 344 blue.
    assert light(target, number("100", "万元"), fiscal_year=YEAR) == "red"
    assert light(target, number("430", "万元"), fiscal_year=YEAR) == "blue"


def test_a_cost_written_with_at_least_keeps_its_meaning():
    target = parse_target("≥1650万元", YEAR)
    assert indicator_score(target, number("825", "万元"), D(10), fiscal_year=YEAR, level1=COST) == 5
    assert indicator_light(target, number("2000", "万元"), fiscal_year=YEAR, level1=COST) == "blue"


def test_a_per_person_cost_keeps_its_meaning():
    target = parse_target("1050元/人", YEAR)
    # Higher is better as written: 945 / 1050 = 0.9.
    assert indicator_completion(target, number("945", "元/人"), fiscal_year=YEAR, level1=COST) == D(
        "0.9"
    )


def test_a_self_evaluation_scores_a_cost_ceiling_by_its_level1():
    ceiling = parse_target("344万元", YEAR)
    result = score_self_evaluation(
        indicators=[
            ScoringInput("cost", COST, ceiling, number("300", "万元")),
            ScoringInput("output", OUTPUT, ceiling, number("300", "万元")),
            ScoringInput("benefit", "效益指标", QUALITATIVE, tier("达成")),
            ScoringInput("satisfied", "满意度指标", at_least("90", "%"), number("90", "%")),
        ],
        execution_rate=D(100),
        fiscal_year=YEAR,
    )
    scores = {i.key: (i.points, i.completion, i.score) for i in result.indicators}
    # The 50 output points are shared by the cost and the output indicator: 25 each.
    assert scores["cost"] == (D(25), D(1), D(25))
    assert scores["output"] == (
        D(25),
        D("0.8720930232558139534883720930232558139535"),
        D("21.80232558139534883720930232558139534884"),
    )
    # 10 + 25 + 21.8023… + 30 + 10 = 96.80
    assert result.total == D("96.80")
    assert result.over_completion == ()
