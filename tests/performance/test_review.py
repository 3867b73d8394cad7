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
    COST_FAR_BELOW_BUDGET,
    COST_OVER_BUDGET,
    DEPARTMENT_RATE,
    EMPTY_VALUE,
    MISSING_LEVEL1,
    NO_INDICATORS,
    OUTPUT_ALL_QUALITATIVE,
    PROCUREMENT_WITHOUT_BUDGET,
    REPEATED_VALUE,
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
            message="成本指标“项目经费控制情况”的指标值“≤50.55万元”超过项目全年预算数50.00万元",
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
    # 505,551元 = 50.5551万元, more than 0.005万元 over 50.55.
    result = review(xinxiang_management_fee("≤505551元"), "50.55")
    assert [problem.code for problem in result.problems] == [COST_OVER_BUDGET]


def test_a_cost_target_per_person_in_yuan_is_far_below_the_budget():
    inputs = xinxiang_management_fee("1050元")
    assert review(inputs, "6271.2").passed is True


def test_a_cost_target_with_pdf_line_breaks_quotes_the_value_on_one_line():
    result = review(xinxiang_management_fee("≤1433.6万\n元"), "1300")
    assert messages(result) == [
        "成本指标“项目经费控制情况”的指标值“≤1433.6万 元”超过项目全年预算数1,300.00万元"
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
        "项目没有任何绩效指标",
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


def test_the_warnings_of_the_sample_workbooks_are_these_four():
    warnings = [
        (code, problem.message)
        for _, code, budget, inputs in sample_projects()
        for problem in review_targets(indicators=inputs, adjusted_budget=budget).problems
    ]
    assert warnings == [
        # 2024年信息网络建设费, 20万元: one cost of ≤6万元 (6 × 2 = 12 < 20).
        (
            "411323240000000024802",
            "成本指标（“系统建设成本”）合计6.00万元，不到项目全年预算数20.00万元的一半，"
            "请核实成本指标是否完整",
        ),
        # DIP付费改革经费, 15万元: ≤5万元 (10 < 15).
        (
            "411323240000000024803",
            "成本指标（“培训总成本”）合计5.00万元，不到项目全年预算数15.00万元的一半，"
            "请核实成本指标是否完整",
        ),
        (
            "411323240000000024806",
            "成本指标“在职职工待遇保障”的指标值“≥1650万元”写成了下限，成本指标宜用≤",
        ),
        # 城乡居民医保配套, 6,271.2万元: “1050元” is per person but written as a total amount.
        (
            "411323240000000024808",
            "成本指标（“参保人员每个人配套资金”）合计0.105万元，"
            "不到项目全年预算数6,271.20万元的一半，请核实成本指标是否完整",
        ),
    ]


@pytest.mark.parametrize("budget", ["0", "0.29"])
def test_a_cost_target_on_a_project_without_budget_fails(budget):
    result = review(xinxiang_management_fee("≤0.3万元"), budget)
    assert [p.code for p in result.problems] == [COST_OVER_BUDGET]


# --- rule 3: the ceiling, its tolerance and how amounts are shown ------------------------------


def test_a_cost_in_yuan_within_half_a_fen_of_wan_yuan_over_the_budget_passes():
    # 157,609.01元 = 15.760901万元 against a budget published as 15.76万元.
    assert review(xinxiang_management_fee("157609.01元"), "15.76").passed is True
    # 15.765万元 is the last amount within 0.005; 15.765001 is over it.
    assert review(xinxiang_management_fee("≤157650元"), "15.76").passed is True
    result = review(xinxiang_management_fee("157650.01元"), "15.76")
    assert messages(result) == [
        "成本指标“项目经费控制情况”的指标值“157650.01元”超过项目全年预算数15.76万元"
    ]


def test_a_cost_written_with_less_than_is_a_ceiling_too():
    result = review(xinxiang_management_fee("<60万元"), "50.55")
    assert [p.code for p in result.problems] == [COST_OVER_BUDGET]


def test_a_budget_is_shown_with_separators_and_two_decimals_as_on_the_pages():
    result = review(xinxiang_management_fee("≤12345.69万元"), "12345.6789")
    assert messages(result) == [
        "成本指标“项目经费控制情况”的指标值“≤12345.69万元”超过项目全年预算数12,345.6789万元"
    ]
    result = review(xinxiang_management_fee("≤30万元"), "20")
    assert messages(result) == [
        "成本指标“项目经费控制情况”的指标值“≤30万元”超过项目全年预算数20.00万元"
    ]


# --- warnings ------------------------------------------------------------------------------


def codes(result) -> list[str]:
    return [problem.code for problem in result.problems]


def test_a_project_without_any_indicator_is_told_so_beside_the_missing_groups():
    result = review([], "10")
    assert result.problems[0] == Problem(NO_INDICATORS, "项目没有任何绩效指标", blocking=False)
    assert result.passed is False  # the three missing groups fail it


def test_outputs_that_are_all_qualitative_are_a_warning():
    inputs = [
        indicator(LEVEL1_OUTPUT, "系统密码安全性测评", "安全"),
        indicator(LEVEL1_OUTPUT, "系统安全等级测评", "通过"),
        indicator(LEVEL1_BENEFIT, "管理水平", "明显提高"),
        indicator(LEVEL1_SATISFACTION, "满意度", "≥95%"),
    ]
    result = review(inputs, "20")
    assert result.passed is True
    assert result.problems == [
        Problem(
            OUTPUT_ALL_QUALITATIVE,
            "产出指标全部为定性指标（2个），宜至少有一个可衡量的数量、质量或时效指标",
            blocking=False,
        )
    ]


@pytest.mark.parametrize("measurable", ["≥10场", "12月31日前", "不低于上年"])
def test_one_measurable_output_is_enough(measurable):
    inputs = [
        indicator(LEVEL1_OUTPUT, "系统安全等级测评", "通过"),
        indicator(LEVEL1_OUTPUT, "另一项", measurable),
        indicator(LEVEL1_BENEFIT, "管理水平", "明显提高"),
        indicator(LEVEL1_SATISFACTION, "满意度", "≥95%"),
    ]
    assert OUTPUT_ALL_QUALITATIVE not in codes(review(inputs, "20"))


def costs(*values: str) -> list[ReviewInput]:
    return [
        *[indicator(LEVEL1_COST, f"成本{n}", value) for n, value in enumerate(values, start=1)],
        indicator(LEVEL1_OUTPUT, "场次", "≥10场"),
        indicator(LEVEL1_BENEFIT, "效果", "明显提高"),
        indicator(LEVEL1_SATISFACTION, "满意度", "≥95%"),
    ]


def test_costs_adding_up_to_less_than_half_the_budget_are_a_warning():
    # 3万元 + 29,999.99元 = 5.999999万元; 5.999999 × 2 < 12.
    result = review(costs("≤3万元", "29999.99元"), "12")
    assert result.passed is True
    assert result.problems == [
        Problem(
            COST_FAR_BELOW_BUDGET,
            "成本指标（“成本1”、“成本2”）合计5.999999万元，不到项目全年预算数12.00万元的一半，"
            "请核实成本指标是否完整",
            blocking=False,
        )
    ]


def test_costs_of_exactly_half_the_budget_are_fine():
    assert review(costs("≤3万元", "30000元"), "12").problems == []


def test_costs_that_are_no_total_amount_are_not_added_up():
    # A share, a per-person amount and a lower bound say nothing of the total cost.
    result = review(costs("≤10%", "≤50元/人", "≥1万元"), "12")
    assert codes(result) == [COST_AT_LEAST]


def test_a_project_without_budget_has_no_far_below_warning():
    assert review(costs("≤0万元"), "0").problems == []


def test_a_qualitative_text_in_three_indicators_is_a_warning():
    inputs = [
        indicator(LEVEL1_OUTPUT, "场次", "≥10场"),
        indicator(LEVEL1_BENEFIT, "综合素质", "明显提升"),
        indicator(LEVEL1_BENEFIT, "事业发展", "明显 提升"),  # spaces aside, the same text
        indicator(LEVEL1_BENEFIT, "人才梯队", "明显提升"),
        indicator(LEVEL1_SATISFACTION, "满意度", "≥95%"),
    ]
    result = review(inputs, "15")
    assert result.passed is True
    assert result.problems == [
        Problem(
            REPEATED_VALUE,
            "指标值“明显提升”在3个指标中重复（“综合素质”、“事业发展”、“人才梯队”），"
            "请按各指标分别写明具体目标",
            blocking=False,
        )
    ]


def test_a_relative_text_in_three_indicators_is_a_warning_too():
    inputs = [
        indicator(LEVEL1_OUTPUT, "场次", "≥10场"),
        *[indicator(LEVEL1_BENEFIT, f"效益{n}", "不低于上年") for n in range(3)],
        indicator(LEVEL1_SATISFACTION, "满意度", "≥95%"),
    ]
    assert codes(review(inputs, "15")) == [REPEATED_VALUE]


def test_a_qualitative_text_twice_is_fine():
    inputs = [
        indicator(LEVEL1_OUTPUT, "场次", "≥10场"),
        indicator(LEVEL1_BENEFIT, "综合素质", "明显提升"),
        indicator(LEVEL1_BENEFIT, "事业发展", "明显提升"),
        indicator(LEVEL1_SATISFACTION, "满意度", "≥95%"),
    ]
    assert review(inputs, "15").problems == []


@pytest.mark.parametrize("value", ["100%", "≥95%", "12月31日前", "1次"])
def test_values_of_the_completion_kind_repeat_freely(value):
    inputs = [
        *[indicator(LEVEL1_OUTPUT, f"产出{n}", value) for n in range(4)],
        indicator(LEVEL1_BENEFIT, "效果", "明显提高"),
        indicator(LEVEL1_SATISFACTION, "满意度", "≥95%"),
    ]
    assert review(inputs, "15").problems == []


@pytest.mark.parametrize("name", ["预算执行率", "部门预算执行率", "“三公”经费控制率", "结转结余率"])
def test_a_department_level_rate_as_a_project_indicator_is_a_warning(name):
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_OUTPUT, name, "≥90%")]
    result = review(inputs, "50.55")
    assert result.passed is True
    assert result.problems == [
        Problem(
            DEPARTMENT_RATE,
            f"产出指标“{name}”是部门整体绩效指标，不宜作为项目绩效指标",
            blocking=False,
            level1=LEVEL1_OUTPUT,
            name=name,
        )
    ]


def test_a_project_rate_of_its_own_is_no_department_rate():
    inputs = [*xinxiang_management_fee(), indicator(LEVEL1_OUTPUT, "项目资金支付率", "≥90%")]
    assert review(inputs, "50.55").problems == []


def procurement_target() -> list[ReviewInput]:
    return [*xinxiang_management_fee(), indicator(LEVEL1_OUTPUT, "政府采购执行率", "100%")]


def test_a_procurement_target_without_a_procurement_budget_is_a_warning():
    result = review_targets(
        indicators=procurement_target(),
        adjusted_budget=Decimal("50.55"),
        procurement_budget=Decimal(0),
    )
    assert result.passed is True
    assert result.problems == [
        Problem(
            PROCUREMENT_WITHOUT_BUDGET,
            "产出指标“政府采购执行率”以政府采购执行率为目标，但部门政府采购预算为0，该指标无法计算",
            blocking=False,
            level1=LEVEL1_OUTPUT,
            name="政府采购执行率",
        )
    ]


def test_a_procurement_target_with_a_procurement_budget_is_fine():
    result = review_targets(
        indicators=procurement_target(),
        adjusted_budget=Decimal("50.55"),
        procurement_budget=Decimal("0.01"),
    )
    assert result.problems == []
    # Not told the department's budget: not checked.
    assert review(procurement_target(), "50.55").problems == []


def test_warnings_come_after_the_failures_and_never_fail_a_review_alone():
    inputs = [
        indicator(LEVEL1_COST, "成本", "≤1万元"),
        indicator(LEVEL1_OUTPUT, "测评", "通过"),
        indicator(LEVEL1_OUTPUT, "预算执行率", "≥90%"),
        indicator(LEVEL1_BENEFIT, "效益", "明显提升"),
        indicator(LEVEL1_SATISFACTION, "满意度", "120%"),
    ]
    result = review(inputs, "10")
    assert codes(result) == [SATISFACTION_OVER_100, COST_FAR_BELOW_BUDGET, DEPARTMENT_RATE]
    assert [p.blocking for p in result.problems] == [True, False, False]
    assert result.passed is False
    fixed = [*inputs[:-1], indicator(LEVEL1_SATISFACTION, "满意度", "≥95%")]
    assert review(fixed, "10").passed is True
