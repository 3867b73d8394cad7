"""Department-wide targets of the 部门整体绩效目标表 (预算11表): which indicators the system
computes, and whether a computed rate reaches its target.

Pure functions only: no Django imports, so the rules are testable without a database."""

from __future__ import annotations

import re
from decimal import Decimal

from .values import EQ, GE, GT, LE, LT, RANGE, TIER_ACHIEVED, ActualValue, TargetValue

# department-targets.md, “Computed indicators”: the 三级指标 with quotes, spaces, the words
# 部门 and 单位 and parentheses of either width removed, against these names.
COMPUTED_NAMES: dict[str, str] = {
    "预算执行率": "execution_rate",
    "预算调整率": "adjustment_rate",
    "结转结余率": "carryover_rate",
    "三公经费控制率": "three_public_control_rate",
    "政府采购执行率": "procurement_execution_rate",
    "绩效目标编制完成率": "target_completion_rate",
    "绩效监控完成率": "monitoring_completion_rate",
    "绩效自评完成率": "self_evaluation_completion_rate",
}
_NOISE = re.compile(r"[“”\"'‘’\s()（）]|部门|单位")


def computed_metric(name: str) -> str:
    """The department figure an indicator of this name is computed from, or ""."""
    return COMPUTED_NAMES.get(_NOISE.sub("", name), "")


def meets_target(rate: Decimal | None, target: TargetValue | None) -> bool | None:
    """Whether a rate (in percent, full precision) reaches a percentage target; None: unknown
    (no rate, no target, or a target that is not a percentage)."""
    if rate is None or target is None or not isinstance(target.value, Decimal):
        return None
    if target.unit not in ("%", ""):
        return None
    value = target.value
    if target.comparator == RANGE:
        return target.upper is not None and value <= rate <= target.upper
    checks = {
        GE: rate >= value,
        GT: rate > value,
        LE: rate <= value,
        LT: rate < value,
        EQ: rate == value,
    }
    return checks.get(target.comparator or EQ)


# department-targets.md: a computed figure that is null (zero denominator) counts as 达成.
NOT_APPLICABLE = "无预算，不适用"
_HUNDREDTH = Decimal("0.01")


def computed_actual(figure: Decimal | None) -> ActualValue:
    """The actual value of a computed indicator: its figure in percent, or 达成 with the note
    无预算，不适用 when the figure is null."""
    if figure is None:
        return ActualValue(raw=NOT_APPLICABLE, tier=TIER_ACHIEVED)
    shown = figure.quantize(_HUNDREDTH, rounding="ROUND_HALF_UP")
    return ActualValue(raw=f"{shown}%", number=figure, unit="%")
