"""Department-wide targets without a database: which indicators the system computes, whether a
computed rate reaches its target, and the five rules of the department target review."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.department import computed_metric, meets_target
from performance.department_review import (
    BUDGET_TOTAL_MISMATCH,
    COMPUTED_MISSING,
    EMPTY_VALUE,
    MISSING_GROUP,
    NO_TARGETS,
    REVIEW_BUDGET_TOTAL_MISMATCH,
    REVIEW_COMPUTED_MISSING,
    REVIEW_EMPTY_VALUE,
    REVIEW_MISSING_GROUP,
    REVIEW_NO_TARGETS,
    REVIEW_TASK_NO_CODES,
    REVIEW_TASK_NO_PROJECT,
    REVIEW_TASK_OTHER_PROJECTS,
    REVIEW_UNREADABLE_VALUE,
    TASK_OTHER_PROJECTS,
    TASK_WITHOUT_PROJECT,
    UNREADABLE_VALUE,
    DepartmentIndicatorInput,
    TaskInput,
    review_department,
)
from performance.values import parse_target


def target(text: str):
    return parse_target(text, 2024)


# --- computed indicators ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, metric",
    [
        ("预算执行率", "execution_rate"),
        ("部门预算执行率", "execution_rate"),
        ("预算执行率（单位）", "execution_rate"),
        (" 预算 执行率 ", "execution_rate"),
        ("预算调整率", "adjustment_rate"),
        ("结转结余率", "carryover_rate"),
        ("“三公经费”控制率", "three_public_control_rate"),
        ('"三公经费"控制率', "three_public_control_rate"),
        ("政府采购执行率", "procurement_execution_rate"),
        ("绩效目标编制完成率", "target_completion_rate"),
        ("部门绩效监控完成率", "monitoring_completion_rate"),
        ("绩效自评完成率(部门)", "self_evaluation_completion_rate"),
        ("部门绩效评价完成率", ""),
        ("专项资金细化率", ""),
        ("预算执行率说明", ""),
    ],
)
def test_an_indicator_is_computed_when_its_name_is_one_of_the_eight_figures(name, metric):
    assert computed_metric(name) == metric


@pytest.mark.parametrize(
    "rate, text, met",
    [
        ("90", "≥90%", True),
        ("89.999", "≥90%", False),
        ("10", "≤10%", True),
        ("10.01", "≤10%", False),
        ("100", "100%", True),
        ("99.99", "100%", False),
        ("95", ">95%", False),
        ("85", "80%-90%", True),
        ("91", "80%-90%", False),
    ],
)
def test_a_rate_meets_its_target_at_full_precision(rate, text, met):
    assert meets_target(Decimal(rate), target(text)) is met


@pytest.mark.parametrize("text", ["≥90万元", "较高", "12月31日前", "不低于上年"])
def test_a_target_that_is_not_a_percentage_is_neither_met_nor_missed(text):
    assert meets_target(Decimal(95), target(text)) is None


def test_a_rate_that_cannot_be_computed_is_neither_met_nor_missed():
    assert meets_target(None, target("≥90%")) is None


# --- the department target review -----------------------------------------------------------


def indicator(level1: str, name: str, raw: str, *, level2: str = "") -> DepartmentIndicatorInput:
    try:
        parsed = target(raw)
    except ValueError:
        parsed = None
    return DepartmentIndicatorInput(level1, level2, name, raw, parsed, computed_metric(name))


COMPLETE = [
    indicator("投入管理指标", "预算执行率", "≥90%"),
    indicator("投入管理指标", "结转结余率", "≤10%"),
    indicator("投入管理指标", "绩效自评完成率", "100%"),
    indicator("产出指标", "医保基金监管完成率", "100%"),
    indicator("效益指标", "群众满意度", "≥90%", level2="满意度"),
]


def review(indicators=COMPLETE, tasks=(), codes=("P1",), stated=None, total=Decimal("100")):
    return review_department(
        indicators=indicators,
        tasks=list(tasks),
        project_codes=set(codes),
        stated_total=stated,
        budget_total=total,
    )


def codes_of(result) -> list[tuple[str, bool]]:
    return [(p.code, p.blocking) for p in result.problems]


def test_complete_department_targets_pass_without_warnings():
    result = review(tasks=[TaskInput(1, "医保信息化", ("P1",))])
    assert result.passed and result.problems == []


def test_a_department_without_targets_is_told_so_and_fails():
    result = review(indicators=[])
    assert [p.message for p in result.problems] == [REVIEW_NO_TARGETS]
    assert codes_of(result) == [(NO_TARGETS, True)] and not result.passed


def test_rule_1_output_and_benefit_or_satisfaction_indicators_are_required():
    inputs = [indicator("投入管理指标", "预算执行率", "≥90%")]
    result = review(indicators=inputs)
    assert [p.message for p in result.problems if p.code == MISSING_GROUP] == [
        REVIEW_MISSING_GROUP.format(group="产出指标"),
        REVIEW_MISSING_GROUP.format(group="效益指标（或满意度指标）"),
    ]
    assert not result.passed
    # A 满意度指标 stands in for the 效益指标.
    inputs = [*COMPLETE[:4], indicator("满意度指标", "群众满意度", "≥90%")]
    assert review(indicators=inputs).passed


def test_the_missing_group_message_reads_well():
    assert REVIEW_MISSING_GROUP.format(group="产出指标") == (
        "缺少产出指标：部门整体目标至少要有一个产出指标和一个效益指标（或满意度指标）"
    )


def test_rule_2_an_empty_or_unreadable_value_fails():
    empty = DepartmentIndicatorInput("产出指标", "", "任务完成", " ", None)
    unreadable = DepartmentIndicatorInput("产出指标", "", "任务数", "≤-1个", None)
    result = review(indicators=[*COMPLETE, empty, unreadable])
    assert codes_of(result) == [(EMPTY_VALUE, True), (UNREADABLE_VALUE, True)]
    assert [p.message for p in result.problems] == [
        REVIEW_EMPTY_VALUE.format(level1="产出指标", name="任务完成"),
        REVIEW_UNREADABLE_VALUE.format(level1="产出指标", name="任务数", raw="≤-1个"),
    ]
    assert (result.problems[0].level1, result.problems[0].name) == ("产出指标", "任务完成")


def test_rule_3_the_three_computed_indicators_without_a_target_are_warned_about():
    result = review(indicators=COMPLETE[3:])
    assert codes_of(result) == [(COMPUTED_MISSING, False)] * 3
    assert [p.message for p in result.problems] == [
        REVIEW_COMPUTED_MISSING.format(name=name)
        for name in ("预算执行率", "结转结余率", "绩效自评完成率")
    ]
    assert result.passed  # warnings only


def test_rule_3_accepts_the_computed_indicator_under_any_spelling():
    spelled = [indicator("投入管理指标", "（部门）预算执行率", "≥90%"), *COMPLETE[1:]]
    assert review(indicators=spelled).problems == []


@pytest.mark.parametrize(
    "codes, code, message",
    [
        ((), TASK_WITHOUT_PROJECT, REVIEW_TASK_NO_CODES.format(order=2, name="医保稽核")),
        (
            ("X1", "X2"),
            TASK_WITHOUT_PROJECT,
            REVIEW_TASK_NO_PROJECT.format(order=2, name="医保稽核", codes="X1、X2"),
        ),
        (
            ("P1", "X2"),
            TASK_OTHER_PROJECTS,
            REVIEW_TASK_OTHER_PROJECTS.format(order=2, name="医保稽核", codes="X2"),
        ),
    ],
)
def test_rule_4_a_task_must_name_a_project_of_the_department(codes, code, message):
    result = review(tasks=[TaskInput(2, "医保稽核", codes)], codes=("P1", "P2"))
    assert codes_of(result) == [(code, False)]
    assert [p.message for p in result.problems] == [message]
    assert result.passed


def test_rule_5_a_stated_total_that_differs_from_the_sum_is_warned_about_with_both_figures():
    result = review(stated=Decimal("867.02"), total=Decimal("867.01"))
    assert codes_of(result) == [(BUDGET_TOTAL_MISMATCH, False)]
    assert result.problems[0].message == REVIEW_BUDGET_TOTAL_MISMATCH.format(
        stated="867.02", total="867.01"
    )
    assert result.problems[0].message == (
        "部门预算总额与项目合计不符：部门预算总额867.02万元，"
        "基本支出与各项目年初预算、上年结转合计867.01万元"
    )


@pytest.mark.parametrize("stated", [None, "867.015", "867.005", "867.01"])
def test_rule_5_a_missing_total_or_a_rounding_difference_is_no_difference(stated):
    stated = None if stated is None else Decimal(stated)
    assert review(stated=stated, total=Decimal("867.01")).problems == []
