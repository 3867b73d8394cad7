"""Target review (绩效目标审核): rules 1–5 of rates-and-scoring.md, without a database."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from performance.choices import (
    LEVEL1_BENEFIT,
    LEVEL1_CHOICES,
    LEVEL1_COST,
    LEVEL1_NAMES,
    LEVEL1_OUTPUT,
    LEVEL1_SATISFACTION,
)
from performance.review import (
    COST_AT_LEAST,
    COST_OVER_BUDGET,
    EMPTY_VALUE,
    MISSING_LEVEL1,
    SATISFACTION_NOT_PERCENT,
    SATISFACTION_OVER_100,
    UNREADABLE_VALUE,
    WEIGHT_MISSING,
    WEIGHTS_NOT_90,
    Problem,
    ReviewInput,
    review_targets,
)
from performance.values import ValueError_, parse_target

YEAR = 2024
SAMPLES = Path(__file__).resolve().parents[2] / "demo"  # the sample workbooks `make run` loads


def indicator(level1: str, name: str, raw: str, weight: str | None = None) -> ReviewInput:
    try:
        target = parse_target(raw, YEAR)
    except ValueError_:
        target = None
    return ReviewInput(
        level1=level1,
        name=name,
        raw=raw,
        target=target,
        weight=Decimal(weight) if weight is not None else None,
    )


def review(indicators: list[ReviewInput], budget: str):
    return review_targets(indicators=indicators, adjusted_budget=Decimal(budget))


def messages(result) -> list[str]:
    return [problem.message for problem in result.problems]


# 新乡市医疗保险中心, 城乡居民医保管理费 (50.55 万元), as in its 绩效目标汇总表.
def xinxiang_management_fee(cost: str = "≤50.55万元") -> list[ReviewInput]:
    return [
        indicator(LEVEL1_COST, "项目经费控制情况", cost),
        indicator(LEVEL1_OUTPUT, "资金支付合规率", "100%"),
        indicator(LEVEL1_OUTPUT, "资金支付及时率", "100%"),
        indicator(LEVEL1_OUTPUT, "参保人数", "≤480万人"),
        indicator(LEVEL1_BENEFIT, "满足群众就医", "满足"),
        indicator(LEVEL1_BENEFIT, "保障机构正常运转", "有效保障"),
        indicator(LEVEL1_SATISFACTION, "参保群众满意度", "≥95%"),
    ]


# 西峡县医疗保险中心, 2024年公务员医疗补助 (2,640 万元).
def xixia_civil_servants() -> list[ReviewInput]:
    return [
        indicator(LEVEL1_COST, "在职职工待遇保障", "≥1650万元"),
        indicator(LEVEL1_OUTPUT, "在职职工待遇保障数量", "全部"),
        indicator(LEVEL1_OUTPUT, "在职职工待遇保障知晓率", "≥95%"),
        indicator(LEVEL1_OUTPUT, "在职职工待遇保障完成时间", "及时"),
        indicator(LEVEL1_BENEFIT, "对提升行政运行效果的影响程度", "明显提升"),
        indicator(LEVEL1_SATISFACTION, "参保职工满意度", "≥95%"),
    ]


def test_a_project_with_sound_targets_passes_without_problems():
    result = review(xinxiang_management_fee(), "50.55")
    assert result.passed is True
    assert result.problems == []


def test_a_cost_target_above_the_projects_budget_fails():
    result = review(xinxiang_management_fee(), "50")
    assert result.passed is False
    assert result.problems == [
        Problem(
            code=COST_OVER_BUDGET,
            message="成本指标“项目经费控制情况”的指标值“≤50.55万元”超过项目全年预算数50万元",
            blocking=True,
            level1=LEVEL1_COST,
            name="项目经费控制情况",
        )
    ]


def test_a_cost_target_equal_to_the_budget_passes():
    assert review(xinxiang_management_fee("50.55万元"), "50.55").passed is True


def test_a_cost_target_written_as_an_exact_amount_above_the_budget_fails():
    result = review(xinxiang_management_fee("60万元"), "50.55")
    assert messages(result) == [
        "成本指标“项目经费控制情况”的指标值“60万元”超过项目全年预算数50.55万元"
    ]


def test_a_cost_target_in_yuan_is_converted_to_wan_yuan_before_comparing():
    assert review(xinxiang_management_fee("≤505500元"), "50.55").passed is True
    result = review(xinxiang_management_fee("≤505501元"), "50.55")
    assert [problem.code for problem in result.problems] == [COST_OVER_BUDGET]


def test_a_cost_target_per_person_in_yuan_is_far_below_the_budget():
    inputs = xinxiang_management_fee("1050元")
    assert review(inputs, "6271.2").passed is True


def test_a_cost_target_with_pdf_line_breaks_quotes_the_value_on_one_line():
    result = review(xinxiang_management_fee("≤1433.6万\n元"), "1300")
    assert messages(result) == [
        "成本指标“项目经费控制情况”的指标值“≤1433.6万 元”超过项目全年预算数1300万元"
    ]


def test_a_cost_target_in_percent_is_not_compared_with_the_budget():
    assert review(xinxiang_management_fee("≤10%"), "0.5").passed is True


def test_a_cost_target_written_with_at_least_is_flagged_but_passes():
    result = review(xixia_civil_servants(), "2640")
    assert result.passed is True
    assert result.problems == [
        Problem(
            code=COST_AT_LEAST,
            message="成本指标“在职职工待遇保障”的指标值“≥1650万元”写成了下限，成本指标宜用≤",
            blocking=False,
            level1=LEVEL1_COST,
            name="在职职工待遇保障",
        )
    ]
    assert result.warnings == result.problems


def test_a_cost_target_written_with_at_least_is_not_compared_with_the_budget():
    result = review(xixia_civil_servants(), "1000")
    assert result.passed is True
    assert [problem.code for problem in result.problems] == [COST_AT_LEAST]


def test_a_project_without_a_benefit_indicator_fails():
    inputs = [i for i in xinxiang_management_fee() if i.level1 != LEVEL1_BENEFIT]
    result = review(inputs, "50.55")
    assert result.passed is False
    assert result.problems == [
        Problem(
            code=MISSING_LEVEL1,
            message="缺少效益指标：每个项目至少要有一个产出指标、一个效益指标和一个满意度指标",
        )
    ]


def test_a_project_without_indicators_misses_all_three_required_groups():
    result = review([], "10")
    assert messages(result) == [
        "缺少产出指标：每个项目至少要有一个产出指标、一个效益指标和一个满意度指标",
        "缺少效益指标：每个项目至少要有一个产出指标、一个效益指标和一个满意度指标",
        "缺少满意度指标：每个项目至少要有一个产出指标、一个效益指标和一个满意度指标",
    ]


def test_a_project_without_a_cost_indicator_may_pass():
    inputs = [i for i in xinxiang_management_fee() if i.level1 != LEVEL1_COST]
    assert review(inputs, "50.55").passed is True


def test_a_satisfaction_of_120_percent_fails():
    inputs = [*xinxiang_management_fee()[:-1], indicator(LEVEL1_SATISFACTION, "满意度", "≥120%")]
    result = review(inputs, "50.55")
    assert result.passed is False
    assert result.problems == [
        Problem(
            code=SATISFACTION_OVER_100,
            message="满意度指标“满意度”的指标值“≥120%”不能超过100%",
            level1=LEVEL1_SATISFACTION,
            name="满意度",
        )
    ]


def test_a_satisfaction_range_reaching_above_100_percent_fails():
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_SATISFACTION, "满意度", "90%-110%")]
    assert [p.code for p in review(inputs, "50.55").problems] == [SATISFACTION_OVER_100]


def test_a_satisfaction_of_exactly_100_percent_passes():
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_SATISFACTION, "满意度", "100%")]
    assert review(inputs, "50.55").passed is True


def test_a_quantitative_satisfaction_not_in_percent_fails():
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_SATISFACTION, "满意度得分", "≥90分")]
    assert messages(review(inputs, "50.55")) == ["满意度指标“满意度得分”的指标值“≥90分”应以%表示"]
    assert review(inputs, "50.55").problems[0].code == SATISFACTION_NOT_PERCENT


def test_a_qualitative_satisfaction_passes():
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_SATISFACTION, "群众评价", "满意")]
    assert review(inputs, "50.55").passed is True


def test_an_output_above_100_percent_is_not_a_satisfaction_problem():
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_OUTPUT, "完成率", "≥120%")]
    assert review(inputs, "50.55").passed is True


def test_an_empty_value_fails():
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_OUTPUT, "培训人次", "  ")]
    result = review(inputs, "50.55")
    assert result.passed is False
    assert result.problems == [
        Problem(
            code=EMPTY_VALUE,
            message="产出指标“培训人次”的指标值为空",
            level1=LEVEL1_OUTPUT,
            name="培训人次",
        )
    ]


def test_a_value_that_could_not_be_read_fails_and_is_quoted_shortened():
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_OUTPUT, "说明", "很" * 501)]
    result = review(inputs, "50.55")
    assert result.passed is False
    assert [p.code for p in result.problems] == [UNREADABLE_VALUE]
    assert messages(result) == ["产出指标“说明”的指标值“" + "很" * 40 + "…”无法识别"]


def test_qualitative_deadline_and_relative_values_pass():
    inputs = [
        *xinxiang_management_fee(),
        indicator(LEVEL1_OUTPUT, "完成时间", "12月底前"),
        indicator(LEVEL1_BENEFIT, "参保率", "不低于上年"),
        indicator(LEVEL1_BENEFIT, "覆盖面", "全覆盖"),
    ]
    assert review(inputs, "50.55").passed is True


def weighted(weights: list[str | None]) -> list[ReviewInput]:
    plain = xinxiang_management_fee()
    return [
        ReviewInput(i.level1, i.name, i.raw, i.target, Decimal(w) if w is not None else None)
        for i, w in zip(plain, weights, strict=True)
    ]


def test_weights_adding_up_to_90_pass():
    assert review(weighted(["10", "20", "10", "10", "15", "15", "10"]), "50.55").passed is True
    assert review(weighted(["10", "20.5", "9.5", "10", "15", "15", "10"]), "50.55").passed


def test_weights_not_adding_up_to_90_fail():
    result = review(weighted(["10", "20", "10", "10", "15", "15", "20"]), "50.55")
    assert result.passed is False
    assert result.problems == [
        Problem(code=WEIGHTS_NOT_90, message="权重合计为100，应为90（另10分属于预算执行率）")
    ]


def test_a_weight_total_with_decimals_is_shown_as_written():
    result = review(weighted(["10.5", "20", "10", "10", "15", "15", "10"]), "50.55")
    assert messages(result) == ["权重合计为90.5，应为90（另10分属于预算执行率）"]


def test_once_one_indicator_has_a_weight_every_indicator_needs_one():
    result = review(weighted(["30", None, "20", "10", "15", "15", None]), "50.55")
    assert result.passed is False
    assert [p.code for p in result.problems] == [WEIGHT_MISSING, WEIGHT_MISSING]
    assert messages(result) == [
        "产出指标“资金支付合规率”没有权重：有指标填写了权重时，每个指标都要填写",
        "满意度指标“参保群众满意度”没有权重：有指标填写了权重时，每个指标都要填写",
    ]


def test_no_weights_at_all_is_fine():
    assert review(weighted([None] * 7), "50.55").passed is True


def test_every_failure_is_reported_in_rule_order():
    inputs = [
        indicator(LEVEL1_COST, "成本", "≤100万元", "10"),
        indicator(LEVEL1_OUTPUT, "数量", "", "10"),
        indicator(LEVEL1_SATISFACTION, "满意度", "120%", "10"),
    ]
    result = review(inputs, "50")
    assert [p.code for p in result.problems] == [
        MISSING_LEVEL1,
        COST_OVER_BUDGET,
        EMPTY_VALUE,
        SATISFACTION_OVER_100,
        WEIGHTS_NOT_90,
    ]


def test_level1_choices_are_the_four_groups_in_table_order():
    assert LEVEL1_NAMES == ("成本指标", "产出指标", "效益指标", "满意度指标")
    assert [(value, label) for value, label in LEVEL1_CHOICES] == [
        (name, name) for name in LEVEL1_NAMES
    ]


def sample_projects() -> list[tuple[str, str, Decimal, list[ReviewInput]]]:
    projects = []
    for path in sorted(SAMPLES.glob("*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True)
        budgets = {}
        header, *rows = book["项目"].iter_rows(values_only=True)
        columns = {str(name).strip(): index for index, name in enumerate(header)}
        for row in rows:
            initial = Decimal(repr(row[columns["年初预算"]]))
            carried = row[columns["上年结转"]]
            extra = Decimal(repr(carried)) if carried is not None else Decimal(0)
            budgets[str(row[columns["项目编码"]])] = initial + extra
        header, *rows = book["绩效指标"].iter_rows(values_only=True)
        columns = {str(name).strip(): index for index, name in enumerate(header)}
        by_project = defaultdict(list)
        for row in rows:
            by_project[str(row[columns["项目编码"]])].append(
                indicator(
                    row[columns["一级指标"]], row[columns["三级指标"]], str(row[columns["指标值"]])
                )
            )
        projects.extend(
            (path.name, code, budgets[code], inputs) for code, inputs in by_project.items()
        )
    return projects


def test_every_project_of_the_sample_workbooks_passes_review():
    projects = sample_projects()
    assert len(projects) == 12
    for workbook, code, budget, inputs in projects:
        result = review_targets(indicators=inputs, adjusted_budget=budget)
        assert result.passed, (workbook, code, messages(result))


def test_the_only_warning_in_the_sample_workbooks_is_xixias_cost_written_with_at_least():
    warnings = [
        (code, problem.message)
        for _, code, budget, inputs in sample_projects()
        for problem in review_targets(indicators=inputs, adjusted_budget=budget).problems
    ]
    assert warnings == [
        (
            "411323240000000024806",
            "成本指标“在职职工待遇保障”的指标值“≥1650万元”写成了下限，成本指标宜用≤",
        )
    ]


@pytest.mark.parametrize("budget", ["0", "0.29"])
def test_a_cost_target_on_a_project_without_budget_fails(budget):
    result = review(xinxiang_management_fee("≤0.3万元"), budget)
    assert [p.code for p in result.problems] == [COST_OVER_BUDGET]
