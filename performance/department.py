"""Department targets of the 部门整体绩效目标表 (预算11表): reading them, checking a rate.

Pure functions only: no Django imports, so the rules are testable without a database."""

from __future__ import annotations

from decimal import Decimal

from .values import EQ, GE, GT, LE, LT, QUANTITATIVE, RANGE, TargetValue, ValueError_, parse_target

DEPARTMENT_TARGET_MAX_LENGTH = 100

DEPARTMENT_TARGET_NOT_PERCENT = "{metric}的目标值应为百分比，如“≥90%”或“100%”，不能是“{raw}”"
DEPARTMENT_TARGET_TOO_LONG = "目标值过长（最多100个字符）"

MET = "达到"
NOT_MET = "未达到"


def parse_department_target(text: str, *, year: int, metric_label: str) -> TargetValue:
    """Read a department target such as `≥90%`; every metric is a rate, so it must be in %.
    Raises ValueError_ with a Chinese message (empty, too long, or not a percentage)."""
    if len(text) > DEPARTMENT_TARGET_MAX_LENGTH:
        raise ValueError_(DEPARTMENT_TARGET_TOO_LONG)
    target = parse_target(text, year)
    if target.kind != QUANTITATIVE or target.unit != "%":
        raise ValueError_(
            DEPARTMENT_TARGET_NOT_PERCENT.format(metric=metric_label, raw=" ".join(text.split()))
        )
    return target


def meets_target(rate: Decimal | None, target: TargetValue | None) -> bool | None:
    """Whether a rate (in percent, full precision) reaches a percentage target; None: unknown."""
    if rate is None or target is None or not isinstance(target.value, Decimal):
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


def met_label(met: bool | None) -> str:
    """达到 / 未达到 / — for tables and pages."""
    if met is None:
        return "—"
    return MET if met else NOT_MET
