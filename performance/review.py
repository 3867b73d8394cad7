"""Target review (绩效目标审核, rates-and-scoring.md): do a project's targets pass?

Pure functions only: the caller gathers the indicators, the project's adjusted budget and its
department's 政府采购预算.

Besides the five rules (failures), the review shows warnings — each with its reason, never
failing the review — for targets that are legal but probably not what was meant:
- a 成本指标 written with `≥` (rule 3);
- a project with no indicator at all;
- 产出指标 that are all qualitative (nothing to measure the output by);
- 成本指标 in money (万元/元 and the like, written `≤`/`<`/`=`) adding up to less than half of
  the project's 全年预算数 — the sum, not each one, since a project's costs are often split
  over several indicators (设备购置费, 培训费, …);
- the same 指标值 text in 3 or more indicators of one project, when it is a qualitative or
  relative text (`有效提升`, `不低于上年`): such text says nothing of what each indicator
  measures. Values of the completion kind — a number with its unit (`100%`, `≥95%`, `1次`) or
  a deadline (`12月31日前`) — repeat legitimately (every 合规率 may be 100%) and are not flagged;
- a department-level rate (预算执行率, 结转结余率, 绩效自评完成率… as department-targets.md
  computes them, performance.department.computed_metric) used as a project indicator; a
  project's own execution is already scored (its 10 points);
- a 政府采购执行率 target while the department's 政府采购预算 is 0 or not given (the rate
  cannot be computed). 政府采购执行率 is checked only this way: with a procurement budget it
  is a meaningful project target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from budgets.rates import AMOUNT_TOLERANCE, format_money
from performance.choices import (
    LEVEL1_COST,
    LEVEL1_OUTPUT,
    LEVEL1_REQUIRED,
    LEVEL1_SATISFACTION,
    METRIC_PROCUREMENT,
)
from performance.department import computed_metric
from performance.values import (
    EQ,
    GE,
    GT,
    LE,
    LT,
    QUALITATIVE,
    QUANTITATIVE,
    RANGE,
    RELATIVE,
    TargetValue,
    convert,
    format_decimal,
    normalize,
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
# Warnings (never blocking).
NO_INDICATORS = "no_indicators"
OUTPUT_ALL_QUALITATIVE = "output_all_qualitative"
COST_FAR_BELOW_BUDGET = "cost_far_below_budget"
REPEATED_VALUE = "repeated_value"
DEPARTMENT_RATE = "department_rate"
PROCUREMENT_WITHOUT_BUDGET = "procurement_without_budget"

REVIEW_MISSING_LEVEL1 = "缺少{level1}：每个项目至少要有一个产出指标、一个效益指标和一个满意度指标"
REVIEW_EMPTY_VALUE = "{level1}“{name}”的指标值为空"
REVIEW_UNREADABLE_VALUE = "{level1}“{name}”的指标值“{raw}”无法识别"
REVIEW_COST_OVER_BUDGET = "成本指标“{name}”的指标值“{raw}”超过项目全年预算数{budget}万元"
REVIEW_NO_INDICATORS = "项目没有任何绩效指标"
REVIEW_OUTPUT_ALL_QUALITATIVE = (
    "产出指标全部为定性指标（{count}个），宜至少有一个可衡量的数量、质量或时效指标"
)
REVIEW_COST_FAR_BELOW_BUDGET = (
    "成本指标（{names}）合计{total}万元，不到项目全年预算数{budget}万元的一半，"
    "请核实成本指标是否完整"
)
REVIEW_REPEATED_VALUE = "指标值“{raw}”在{count}个指标中重复（{names}），请按各指标分别写明具体目标"
REVIEW_DEPARTMENT_RATE = "{level1}“{name}”是部门整体绩效指标，不宜作为项目绩效指标"
REVIEW_PROCUREMENT_WITHOUT_BUDGET = (
    "{level1}“{name}”以政府采购执行率为目标，但部门政府采购预算为0，该指标无法计算"
)
REVIEW_COST_AT_LEAST = "成本指标“{name}”的指标值“{raw}”写成了下限，成本指标宜用≤"
REVIEW_SATISFACTION_NOT_PERCENT = "满意度指标“{name}”的指标值“{raw}”应以%表示"
REVIEW_SATISFACTION_OVER_100 = "满意度指标“{name}”的指标值“{raw}”不能超过100%"
REVIEW_WEIGHT_MISSING = "{level1}“{name}”没有权重：有指标填写了权重时，每个指标都要填写"
REVIEW_WEIGHTS_NOT_90 = "权重合计为{total}，应为90（另10分属于预算执行率）"

WEIGHT_TOTAL = Decimal(90)
# The same qualitative or relative text in this many indicators of a project is flagged.
REPEAT_THRESHOLD = 3
_RAW_SHOWN = 40  # characters of a value quoted in a message
_COST_CEILINGS = (LE, LT, EQ)


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


def _cost_in_wan(target: TargetValue) -> Decimal | None:
    """A cost ceiling (`≤`, `<`, or `=`: `344万元` means at most) as an amount in 万元;
    None for a cost that is no amount of money (`%`, `元/人`) or written with `≥`."""
    if target.comparator not in _COST_CEILINGS or not isinstance(target.value, Decimal):
        return None
    # Budgets are in 万元; a cost in 元 (or 亿元) is converted before comparing.
    return convert(target.value, target.unit or "", "万元")


def _cost_problems(indicator: ReviewInput, target: TargetValue, budget: Decimal) -> list[Problem]:
    where = {"level1": indicator.level1, "name": indicator.name}
    raw = _shown(indicator.raw)
    if target.comparator in (GE, GT):
        message = REVIEW_COST_AT_LEAST.format(name=indicator.name, raw=raw)
        return [Problem(COST_AT_LEAST, message, blocking=False, **where)]
    in_wan = _cost_in_wan(target)
    # Budgets are published to 2 decimals of 万元, costs sometimes to the fen in 元.
    if in_wan is None or in_wan <= budget + AMOUNT_TOLERANCE:
        return []
    message = REVIEW_COST_OVER_BUDGET.format(
        name=indicator.name, raw=raw, budget=format_money(budget)
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


def _names(indicators: Sequence[ReviewInput]) -> str:
    return "、".join(f"“{indicator.name}”" for indicator in indicators)


def _output_warnings(indicators: Sequence[ReviewInput]) -> list[Problem]:
    outputs = [i for i in indicators if i.level1 == LEVEL1_OUTPUT and i.target is not None]
    if not outputs or any(i.target.kind != QUALITATIVE for i in outputs):
        return []
    message = REVIEW_OUTPUT_ALL_QUALITATIVE.format(count=len(outputs))
    return [Problem(OUTPUT_ALL_QUALITATIVE, message, blocking=False)]


def _cost_sum_warnings(indicators: Sequence[ReviewInput], budget: Decimal) -> list[Problem]:
    costs = [
        (indicator, amount)
        for indicator in indicators
        if indicator.level1 == LEVEL1_COST
        and indicator.target is not None
        and indicator.target.kind == QUANTITATIVE
        and (amount := _cost_in_wan(indicator.target)) is not None
    ]
    if not costs:
        return []
    total = sum((amount for _, amount in costs), Decimal(0))
    if total * 2 >= budget:
        return []
    message = REVIEW_COST_FAR_BELOW_BUDGET.format(
        names=_names([indicator for indicator, _ in costs]),
        total=format_money(total),
        budget=format_money(budget),
    )
    return [Problem(COST_FAR_BELOW_BUDGET, message, blocking=False)]


def _repeat_warnings(indicators: Sequence[ReviewInput]) -> list[Problem]:
    # Grouped by the text as written, spaces and full-width forms aside.
    groups: dict[str, list[ReviewInput]] = {}
    for indicator in indicators:
        if indicator.target is not None and indicator.target.kind in (QUALITATIVE, RELATIVE):
            groups.setdefault(normalize(indicator.raw), []).append(indicator)
    return [
        Problem(
            REPEATED_VALUE,
            REVIEW_REPEATED_VALUE.format(
                raw=_shown(same[0].raw), count=len(same), names=_names(same)
            ),
            blocking=False,
        )
        for same in groups.values()
        if len(same) >= REPEAT_THRESHOLD
    ]


def _rate_warnings(
    indicators: Sequence[ReviewInput], procurement_budget: Decimal | None
) -> list[Problem]:
    problems = []
    for indicator in indicators:
        metric = computed_metric(indicator.name)
        if not metric:
            continue
        where = {"level1": indicator.level1, "name": indicator.name}
        if metric == METRIC_PROCUREMENT:
            if procurement_budget is not None and procurement_budget == 0:
                message = REVIEW_PROCUREMENT_WITHOUT_BUDGET.format(**where)
                problems.append(
                    Problem(PROCUREMENT_WITHOUT_BUDGET, message, blocking=False, **where)
                )
            continue
        message = REVIEW_DEPARTMENT_RATE.format(**where)
        problems.append(Problem(DEPARTMENT_RATE, message, blocking=False, **where))
    return problems


def review_targets(
    *,
    indicators: Sequence[ReviewInput],
    adjusted_budget: Decimal,
    procurement_budget: Decimal | None = None,
) -> ReviewResult:
    """Check a project's targets against rules 1–5 of the target review, then the warnings.

    `adjusted_budget` is the project's 全年预算数 in 万元; `procurement_budget` its
    department's 政府采购预算 (0 when none is given; None: unknown, not checked).
    """
    problems: list[Problem] = []
    if not indicators:
        problems.append(Problem(NO_INDICATORS, REVIEW_NO_INDICATORS, blocking=False))
    present = {indicator.level1 for indicator in indicators}
    for level1 in LEVEL1_REQUIRED:
        if level1 not in present:
            problems.append(Problem(MISSING_LEVEL1, REVIEW_MISSING_LEVEL1.format(level1=level1)))
    for indicator in indicators:
        problems.extend(_value_problems(indicator, adjusted_budget))
    problems.extend(_weight_problems(indicators))
    problems.extend(_output_warnings(indicators))
    problems.extend(_cost_sum_warnings(indicators, adjusted_budget))
    problems.extend(_repeat_warnings(indicators))
    problems.extend(_rate_warnings(indicators, procurement_budget))
    return ReviewResult(problems=problems)
