"""Target review (绩效目标审核, rates-and-scoring.md): do a project's targets pass?

Pure functions only: the caller gathers the indicators and the project's adjusted budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from performance.choices import LEVEL1_COST, LEVEL1_REQUIRED, LEVEL1_SATISFACTION
from performance.values import (
    EQ,
    GE,
    GT,
    LE,
    QUANTITATIVE,
    RANGE,
    TargetValue,
    convert,
    format_decimal,
)

# Problem codes, stable for the UI and the API.
MISSING_LEVEL1 = "missing_level1"
EMPTY_VALUE = "empty_value"
UNREADABLE_VALUE = "unreadable_value"
COST_OVER_BUDGET = "cost_over_budget"
COST_AT_LEAST = "cost_at_least"
SATISFACTION_NOT_PERCENT = "satisfaction_not_percent"
SATISFACTION_OVER_100 = "satisfaction_over_100"
WEIGHT_MISSING = "weight_missing"
WEIGHTS_NOT_90 = "weights_not_90"

REVIEW_MISSING_LEVEL1 = "缺少{level1}：每个项目至少要有一个产出指标、一个效益指标和一个满意度指标"
REVIEW_EMPTY_VALUE = "{level1}“{name}”的指标值为空"
REVIEW_UNREADABLE_VALUE = "{level1}“{name}”的指标值“{raw}”无法识别"
REVIEW_COST_OVER_BUDGET = "成本指标“{name}”的指标值“{raw}”超过项目全年预算数{budget}万元"
REVIEW_COST_AT_LEAST = "成本指标“{name}”的指标值“{raw}”写成了下限，成本指标宜用≤"
REVIEW_SATISFACTION_NOT_PERCENT = "满意度指标“{name}”的指标值“{raw}”应以%表示"
REVIEW_SATISFACTION_OVER_100 = "满意度指标“{name}”的指标值“{raw}”不能超过100%"
REVIEW_WEIGHT_MISSING = "{level1}“{name}”没有权重：有指标填写了权重时，每个指标都要填写"
REVIEW_WEIGHTS_NOT_90 = "权重合计为{total}，应为90（另10分属于预算执行率）"

WEIGHT_TOTAL = Decimal(90)
_RAW_SHOWN = 40  # characters of a value quoted in a message


@dataclass(frozen=True)
class ReviewInput:
    """One indicator as the review sees it; `target` is None when its value did not parse."""

    level1: str
    name: str
    raw: str
    target: TargetValue | None
    weight: Decimal | None = None


@dataclass(frozen=True)
class Problem:
    """One reason a project's targets fail review (or, when not blocking, a warning)."""

    code: str
    message: str
    blocking: bool = True
    # The indicator concerned, when there is one (for highlighting it in the form).
    level1: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ReviewResult:
    """The outcome of a review: every problem found, in rule order."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no problem blocks; warnings alone do not fail review."""
        return not any(problem.blocking for problem in self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.blocking]


def _shown(raw: str) -> str:
    # PDF text carries line breaks inside values; a message shows them as single spaces.
    text = " ".join(raw.split())
    return text if len(text) <= _RAW_SHOWN else text[:_RAW_SHOWN] + "…"


def _cost_problems(indicator: ReviewInput, target: TargetValue, budget: Decimal) -> list[Problem]:
    where = {"level1": indicator.level1, "name": indicator.name}
    raw = _shown(indicator.raw)
    if target.comparator in (GE, GT):
        message = REVIEW_COST_AT_LEAST.format(name=indicator.name, raw=raw)
        return [Problem(COST_AT_LEAST, message, blocking=False, **where)]
    if target.comparator not in (LE, EQ) or not isinstance(target.value, Decimal):
        return []
    # Budgets are in 万元; a cost in 元 (or 亿元) is converted before comparing.
    in_wan = convert(target.value, target.unit or "", "万元")
    if in_wan is None or in_wan <= budget:
        return []
    message = REVIEW_COST_OVER_BUDGET.format(
        name=indicator.name, raw=raw, budget=format_decimal(budget)
    )
    return [Problem(COST_OVER_BUDGET, message, **where)]


def _satisfaction_problems(indicator: ReviewInput, target: TargetValue) -> list[Problem]:
    where = {"level1": indicator.level1, "name": indicator.name}
    raw = _shown(indicator.raw)
    if target.unit != "%":
        message = REVIEW_SATISFACTION_NOT_PERCENT.format(name=indicator.name, raw=raw)
        return [Problem(SATISFACTION_NOT_PERCENT, message, **where)]
    highest = target.upper if target.comparator == RANGE else target.value
    if isinstance(highest, Decimal) and highest > 100:
        message = REVIEW_SATISFACTION_OVER_100.format(name=indicator.name, raw=raw)
        return [Problem(SATISFACTION_OVER_100, message, **where)]
    return []


def _value_problems(indicator: ReviewInput, budget: Decimal) -> list[Problem]:
    where = {"level1": indicator.level1, "name": indicator.name}
    target = indicator.target
    if target is None:
        if not indicator.raw.strip():
            message = REVIEW_EMPTY_VALUE.format(level1=indicator.level1, name=indicator.name)
            return [Problem(EMPTY_VALUE, message, **where)]
        message = REVIEW_UNREADABLE_VALUE.format(
            level1=indicator.level1, name=indicator.name, raw=_shown(indicator.raw)
        )
        return [Problem(UNREADABLE_VALUE, message, **where)]
    if target.kind != QUANTITATIVE:
        return []
    if indicator.level1 == LEVEL1_COST:
        return _cost_problems(indicator, target, budget)
    if indicator.level1 == LEVEL1_SATISFACTION:
        return _satisfaction_problems(indicator, target)
    return []


def _weight_problems(indicators: Sequence[ReviewInput]) -> list[Problem]:
    weights = [indicator.weight for indicator in indicators]
    if all(weight is None for weight in weights):
        return []
    missing = [indicator for indicator in indicators if indicator.weight is None]
    if missing:
        return [
            Problem(
                WEIGHT_MISSING,
                REVIEW_WEIGHT_MISSING.format(level1=indicator.level1, name=indicator.name),
                level1=indicator.level1,
                name=indicator.name,
            )
            for indicator in missing
        ]
    total = sum((weight for weight in weights if weight is not None), Decimal(0))
    if total != WEIGHT_TOTAL:
        return [Problem(WEIGHTS_NOT_90, REVIEW_WEIGHTS_NOT_90.format(total=format_decimal(total)))]
    return []


def review_targets(*, indicators: Sequence[ReviewInput], adjusted_budget: Decimal) -> ReviewResult:
    """Check a project's targets against rules 1–5 of the target review.

    `adjusted_budget` is the project's 全年预算数 in 万元.
    """
    problems: list[Problem] = []
    present = {indicator.level1 for indicator in indicators}
    for level1 in LEVEL1_REQUIRED:
        if level1 not in present:
            problems.append(Problem(MISSING_LEVEL1, REVIEW_MISSING_LEVEL1.format(level1=level1)))
    for indicator in indicators:
        problems.extend(_value_problems(indicator, adjusted_budget))
    problems.extend(_weight_problems(indicators))
    return ReviewResult(problems=problems)
