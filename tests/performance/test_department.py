"""Department targets of the 预算11表: reading them and judging a rate, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.choices import DEFAULT_DEPARTMENT_TARGETS, DEPARTMENT_METRICS
from performance.department import (
    DEPARTMENT_TARGET_NOT_PERCENT,
    DEPARTMENT_TARGET_TOO_LONG,
    meets_target,
    met_label,
    parse_department_target,
)
from performance.values import VALUE_EMPTY, ValueError_


def target(text: str):
    return parse_department_target(text, year=2024, metric_label="预算执行率")


@pytest.mark.parametrize("metric, label", DEPARTMENT_METRICS)
def test_every_customary_target_is_a_readable_percentage(metric, label):
    parsed = parse_department_target(
        DEFAULT_DEPARTMENT_TARGETS[metric], year=2024, metric_label=label
    )
    assert parsed.unit == "%"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", VALUE_EMPTY),
        ("较高", DEPARTMENT_TARGET_NOT_PERCENT.format(metric="预算执行率", raw="较高")),
        ("≥90万元", DEPARTMENT_TARGET_NOT_PERCENT.format(metric="预算执行率", raw="≥90万元")),
        ("9" * 101, DEPARTMENT_TARGET_TOO_LONG),
    ],
)
def test_a_target_that_is_not_a_percentage_is_refused_with_a_chinese_message(text, message):
    with pytest.raises(ValueError_) as excinfo:
        target(text)
    assert excinfo.value.message == message


def test_the_not_a_percentage_message_reads_well():
    assert DEPARTMENT_TARGET_NOT_PERCENT.format(metric="预算执行率", raw="较高") == (
        "预算执行率的目标值应为百分比，如“≥90%”或“100%”，不能是“较高”"
    )


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


def test_a_rate_that_cannot_be_computed_is_neither_met_nor_missed():
    assert meets_target(None, target("≥90%")) is None
    assert met_label(None) == "—"
    assert (met_label(True), met_label(False)) == ("达到", "未达到")
