"""Self-evaluation scoring and monitoring lights (spec/rates-and-scoring.md).

Pure functions only: no Django imports. Points, completions and scores are computed as
exact fractions and handed out as `Decimal` (40 significant digits); the total is rounded
half-up to 2 decimals from the exact sum, so a total exactly at x.xx5 never rounds down
because a share like 50/3 was cut short.

Decisions where the spec leaves room (all tested):
- Strict comparators score like their non-strict forms: `>` as `>=`, `<` as `<=`.
  A ratio cannot express "just over", so reaching the value exactly earns full marks.
- "Days from 1 January" is counted from 1 January of the fiscal year, inclusive:
  `(day - date(fiscal_year, 1, 1)).days + 1`, i.e. the day of the year (and beyond 365/366
  for a finish in the next year).
- An actual that does not fit its target (no number for a quantitative target, no tier for a
  qualitative one) scores like a missing actual; a tier given for a quantitative or deadline
  target whose number or date is missing is used as the evaluator's judgement.
- A deadline actual with no finish date means "not finished": completion 0, not missing.
- Actual numbers in another scale of the target's unit are converted (元 ↔ 万元, 人 ↔ 万人,
  also 千 and 亿); other unit mismatches are read as written in the target's unit.
- Scores never go below 0 or above the indicator's points.
- A 成本指标 whose unit is exactly 万元 or 元 and whose comparator is `=` (`344万元`) is a
  ceiling: it scores and lights as `<=` (`scoring_target`), so spending less than the cost
  target never loses points and is never an over-run. The stored comparator stays `=`;
  `≥` cost targets and per-unit amounts (元/人, 万元/年) keep their meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from math import floor

from budgets.rates import OVER as WARNING_OVER
from performance.values import (
    DEADLINE,
    EQ,
    LE,
    QUALITATIVE,
    QUANTITATIVE,
    RELATIVE,
    TIER_ACHIEVED,
    TIER_DEFAULT_PERCENT,
    TIER_MISSED,
    TIER_PARTIAL,
    ActualValue,
    TargetValue,
)

CONTEXT = Context(prec=40, rounding=ROUND_HALF_EVEN)

COST = "成本指标"
OUTPUT = "产出指标"
BENEFIT = "效益指标"
SATISFACTION = "满意度指标"
LEVEL1_NAMES = (COST, OUTPUT, BENEFIT, SATISFACTION)

# Scoring groups: 成本指标 share the 产出指标 group's points (财预〔2020〕10号).
GROUP_OUTPUT = OUTPUT
GROUP_BENEFIT = BENEFIT
GROUP_SATISFACTION = SATISFACTION
GROUP_OF_LEVEL1 = {
    COST: GROUP_OUTPUT,
    OUTPUT: GROUP_OUTPUT,
    BENEFIT: GROUP_BENEFIT,
    SATISFACTION: GROUP_SATISFACTION,
}
EXECUTION_POINTS = Decimal(10)
GROUP_POINTS = {
    GROUP_OUTPUT: Decimal(50),
    GROUP_BENEFIT: Decimal(30),
    GROUP_SATISFACTION: Decimal(10),
}
TOTAL_POINTS = Decimal(100)
# The department self-evaluation's groups (department-targets.md); the bureau may change the
# points (performance.DepartmentScoringSettings).
GROUP_INPUT = "投入管理指标"
DEPARTMENT_GROUP_POINTS = {
    GROUP_INPUT: Decimal(30),
    GROUP_OUTPUT: Decimal(40),
    GROUP_BENEFIT: Decimal(30),
}


OVER_COMPLETION = "超额完成较多，需说明原因"
OVER_COMPLETION_THRESHOLD = Decimal("1.2")

GRADE_EXCELLENT = "优"
GRADE_GOOD = "良"
GRADE_FAIR = "中"
GRADE_POOR = "差"

BLUE = "blue"
GREEN = "green"
YELLOW = "yellow"
RED = "red"
# Worst first: the project's target light is the first of these among its indicators.
LIGHTS_WORST_FIRST = (RED, YELLOW, GREEN, BLUE)


LOWER_IS_BETTER = frozenset({"<=", "<"})

# The units of a cost written as a total amount: `=` means “at most” for these.
COST_CEILING_UNITS = frozenset({"万元", "元"})

# How an indicator was judged, which decides its over-completion flag and its light.
_HIGHER = "higher"
_LOWER = "lower"
_RANGE = "range"
_DEADLINE = "deadline"
_TIER = "tier"

_ONE = Fraction(1)
_LIGHT_BLUE_FROM = Fraction(6, 5)
_LIGHT_GREEN_FROM = Fraction(4, 5)
_LIGHT_YELLOW_FROM = Fraction(3, 5)
_SCALE_PREFIXES = {"千": 1000, "万": 10_000, "亿": 100_000_000}


def _to_decimal(value: Fraction) -> Decimal:
    """An exact fraction as a Decimal of 40 significant digits (exact when it terminates)."""
    return CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))


def _round_half_up(value: Fraction, places: int = 2) -> Decimal:
    """Round an exact fraction half-up (away from zero at .5) to `places` decimals."""
    scaled = abs(value) * 10**places
    units = floor(scaled + Fraction(1, 2))
    return Decimal(units if value >= 0 else -units).scaleb(-places, context=CONTEXT)


def _clamp(value: Fraction, low: Fraction, high: Fraction) -> Fraction:
    return max(low, min(value, high))


# --- allocation of the 100 points -------------------------------------------------------


def group_of(level1: str) -> str:
    """The scoring group of a level-1 name; 成本指标 belong to the 产出指标 group.

    Whitespace is ignored and a name containing 成本/产出, 效益 or 满意 is accepted, because
    workbooks write e.g. “产出 指标”; anything else raises ValueError.
    """
    name = "".join(level1.split())
    if name in GROUP_OF_LEVEL1:
        return GROUP_OF_LEVEL1[name]
    if "满意" in name:
        return GROUP_SATISFACTION
    if "效益" in name:
        return GROUP_BENEFIT
    if "产出" in name or "成本" in name:
        return GROUP_OUTPUT
    raise ValueError(f"未知的一级指标：{level1}")


@dataclass(frozen=True)
class Allocation:
    """Points of the execution rate and of each indicator (by key); they add up to 100."""

    execution_points: Decimal
    indicator_points: dict[Hashable, Decimal]

    @property
    def total(self) -> Decimal:
        exact = sum((Fraction(p) for p in self.indicator_points.values()), Fraction(0))
        return _to_decimal(exact + Fraction(self.execution_points))


def _weights_usable(weights: Sequence[Decimal | None]) -> bool:
    if not weights or any(w is None or w < 0 for w in weights):
        return False
    return sum(weights, Decimal(0)) > 0


def department_group_of(level1: str) -> str:
    """The scoring group of a department indicator (department-targets.md): 投入管理, 产出
    (成本 with it) or 效益 — a 满意度 indicator counts in 效益. Unknown names raise ValueError."""
    name = "".join(level1.split())
    if "投入" in name or "管理" in name:
        return GROUP_INPUT
    if "满意" in name or "效益" in name:
        return GROUP_BENEFIT
    if "产出" in name or "成本" in name:
        return GROUP_OUTPUT
    raise ValueError(f"未知的一级指标：{level1}")


@dataclass(frozen=True)
class ScoringScheme:
    """How the 100 points are shared: the groups of the indicators, each group's points and
    the execution rate's (projects: 10/50/30/10; a department: 30/40/30, no execution)."""

    group_of: Callable[[str], str] = group_of
    group_points: Mapping[str, Decimal] = field(default_factory=lambda: dict(GROUP_POINTS))
    execution_points: Decimal = EXECUTION_POINTS


PROJECT_SCHEME = ScoringScheme()


def department_scheme(points: Mapping[str, Decimal] | None = None) -> ScoringScheme:
    """The department self-evaluation's scheme with the bureau's group points (default
    30/40/30); there is no execution score (预算执行率 is one of the 投入管理 indicators)."""
    return ScoringScheme(
        group_of=department_group_of,
        group_points=dict(points or DEPARTMENT_GROUP_POINTS),
        execution_points=Decimal(0),
    )


def _allocate_exact(
    indicators: Sequence[tuple[Hashable, str, Decimal | None]],
    *,
    has_budget: bool,
    scheme: ScoringScheme = PROJECT_SCHEME,
) -> tuple[Fraction, dict[Hashable, Fraction]]:
    keys = [key for key, _, _ in indicators]
    if len(set(keys)) != len(keys):
        raise ValueError("指标键重复")
    groups = {key: scheme.group_of(level1) for key, level1, _ in indicators}
    execution = Fraction(scheme.execution_points) if has_budget else Fraction(0)
    if not indicators:
        # Nothing to share the indicator points with: the execution rate carries them all.
        return (Fraction(TOTAL_POINTS) if execution else Fraction(0)), {}

    pool = Fraction(TOTAL_POINTS) - execution
    weights = [weight for _, _, weight in indicators]
    if _weights_usable(weights):
        weight_sum = sum(Fraction(w) for w in weights)
        return execution, {
            key: pool * Fraction(weight) / weight_sum for key, _, weight in indicators
        }

    members: dict[str, list[Hashable]] = {}
    for key in keys:
        members.setdefault(groups[key], []).append(key)
    group_points = {g: Fraction(scheme.group_points.get(g, 0)) for g in members}
    present_points = sum(group_points.values())
    if present_points <= 0:
        # The bureau gave the present groups no points: share the pool equally instead.
        group_points = {g: Fraction(len(m)) for g, m in members.items()}
        present_points = Fraction(len(keys))
    points: dict[Hashable, Fraction] = {}
    for key in keys:
        group = groups[key]
        group_share = pool * group_points[group] / present_points
        points[key] = group_share / len(members[group])
    return execution, points


def allocate_points(
    indicators: Sequence[tuple[Hashable, str, Decimal | None]],
    *,
    has_budget: bool,
    scheme: ScoringScheme = PROJECT_SCHEME,
) -> Allocation:
    """Share the 100 points among the execution rate and the indicators (key, level1, 权重).

    Without budget the execution rate gets 0 and its 10 points go to the indicators. When
    every indicator has a 权重 (none negative, sum > 0) the weights are relative shares of
    the indicator points (90, or 100 without budget): weights adding to 90 are used as
    given. Otherwise weights are ignored and the groups' 50/30/10 are used, an empty group's
    points going to the present groups in proportion, split equally inside each group.
    With no indicator at all the execution rate gets 100 (0 without budget).
    Points are exact to 40 significant digits, so they add up to 100 within 1e-36.
    """
    execution, points = _allocate_exact(indicators, has_budget=has_budget, scheme=scheme)
    return Allocation(
        execution_points=_to_decimal(execution),
        indicator_points={key: _to_decimal(value) for key, value in points.items()},
    )


# --- completion of one indicator --------------------------------------------------------


def is_cost_ceiling(level1: str, target: TargetValue) -> bool:
    """A 成本指标 in exactly 万元 or 元 written with `=` (or no comparator): a ceiling."""
    return (
        "".join(level1.split()) == COST
        and target.kind == QUANTITATIVE
        and target.unit in COST_CEILING_UNITS
        and target.comparator in (EQ, None)
    )


def scoring_target(level1: str, target: TargetValue) -> TargetValue:
    """The target as scoring and lights read it: a cost ceiling (is_cost_ceiling) as `<=`.

    The stored target is unchanged; only the judgement treats `344万元` as `≤344万元`.
    """
    return replace(target, comparator=LE) if is_cost_ceiling(level1, target) else target


@dataclass(frozen=True)
class _Judgement:
    completion: Fraction
    mode: str
    tier: str | None = None


def _unit_scale(unit: str) -> tuple[str, int]:
    scale = 1
    base = unit
    while base and base[0] in _SCALE_PREFIXES:
        scale *= _SCALE_PREFIXES[base[0]]
        base = base[1:]
    return base, scale


def _in_target_unit(number: Decimal, unit: str | None, target_unit: str | None) -> Fraction:
    """The actual number expressed in the target's unit (万元 ↔ 元 and the like)."""
    value = Fraction(number)
    if not unit or not target_unit or unit == target_unit:
        return value
    base, scale = _unit_scale(unit)
    target_base, target_scale = _unit_scale(target_unit)
    if base != target_base:
        # Different kinds of unit: staff write actuals in the target's unit, so read as such.
        return value
    return value * scale / target_scale


def _ratio_higher(actual: Fraction, target: Fraction) -> Fraction:
    if target == 0:
        # A target of 0 is reached by anything: full marks.
        return _ONE
    return actual / target


def _ratio_lower(actual: Fraction, target: Fraction) -> Fraction:
    if actual <= target:
        return _ONE
    if actual <= 0:
        # Only reachable with a negative target; there is no meaningful ratio.
        return Fraction(0)
    return max(Fraction(0), target / actual)


def _judge_numbers(comparator: str | None, actual: Fraction, target: Fraction) -> _Judgement:
    if comparator in LOWER_IS_BETTER:
        return _Judgement(_ratio_lower(actual, target), _LOWER)
    return _Judgement(_ratio_higher(actual, target), _HIGHER)


def _judge_tier(actual: ActualValue) -> _Judgement | None:
    if actual.tier_percent is not None:
        return _Judgement(Fraction(actual.tier_percent) / 100, _TIER, actual.tier)
    if actual.tier in TIER_DEFAULT_PERCENT:
        return _Judgement(Fraction(TIER_DEFAULT_PERCENT[actual.tier]) / 100, _TIER, actual.tier)
    return None


def _days_from_new_year(day: date, fiscal_year: int) -> int:
    return (day - date(fiscal_year, 1, 1)).days + 1


def _judge_quantitative(target: TargetValue, actual: ActualValue) -> _Judgement | None:
    if actual.number is None or not isinstance(target.value, Decimal):
        return _judge_tier(actual)
    number = _in_target_unit(actual.number, actual.unit, target.unit)
    value = Fraction(target.value)
    if target.comparator == "range":
        upper = Fraction(target.upper) if target.upper is not None else value
        if number < value:
            completion = number / value if value > 0 else Fraction(0)
        elif number > upper:
            completion = upper / number if number > 0 else Fraction(0)
        else:
            completion = _ONE
        return _Judgement(max(Fraction(0), completion), _RANGE)
    return _judge_numbers(target.comparator, number, value)


def _judge_deadline(
    target: TargetValue, actual: ActualValue, fiscal_year: int
) -> _Judgement | None:
    if not isinstance(target.value, date):
        return None
    if actual.day is None:
        judged = _judge_tier(actual)
        # No finish date and no tier: the work is not finished.
        return judged if judged is not None else _Judgement(Fraction(0), _DEADLINE)
    if actual.day <= target.value:
        return _Judgement(_ONE, _DEADLINE)
    allowed = _days_from_new_year(target.value, fiscal_year)
    taken = _days_from_new_year(actual.day, fiscal_year)
    return _Judgement(max(Fraction(0), Fraction(allowed, taken)), _DEADLINE)


def _judge(target: TargetValue, actual: ActualValue, fiscal_year: int) -> _Judgement | None:
    if target.kind == QUANTITATIVE:
        return _judge_quantitative(target, actual)
    if target.kind == DEADLINE:
        return _judge_deadline(target, actual, fiscal_year)
    if target.kind == RELATIVE and actual.previous is not None and actual.number is not None:
        # Given last year's and this year's numbers, a relative target scores as quantitative.
        return _judge_numbers(target.comparator, Fraction(actual.number), Fraction(actual.previous))
    if target.kind in (RELATIVE, QUALITATIVE):
        return _judge_tier(actual)
    return None


def indicator_completion(
    target: TargetValue, actual: ActualValue, *, fiscal_year: int, level1: str = ""
) -> Decimal | None:
    """Completion before the cap (1 = fully reached); None when the actual cannot be scored.

    `level1` (the indicator's 一级指标) makes a cost ceiling score as `<=`.
    """
    judged = _judge(scoring_target(level1, target), actual, fiscal_year)
    return None if judged is None else _to_decimal(judged.completion)


def _score_exact(points: Fraction, judged: _Judgement | None) -> Fraction:
    if judged is None:
        return Fraction(0)
    return points * _clamp(judged.completion, Fraction(0), _ONE)


def indicator_score(
    target: TargetValue,
    actual: ActualValue | None,
    points: Decimal,
    *,
    fiscal_year: int,
    level1: str = "",
) -> Decimal:
    """points × min(completion, 1); 0 for a missing or unusable actual."""
    target = scoring_target(level1, target)
    judged = None if actual is None else _judge(target, actual, fiscal_year)
    return _to_decimal(_score_exact(Fraction(points), judged))


def needs_over_completion_note(completion: Decimal | None) -> bool:
    """True when a higher-is-better completion reaches 120 % (OVER_COMPLETION)."""
    return completion is not None and completion >= OVER_COMPLETION_THRESHOLD


def _execution_score_exact(execution_rate: Decimal, points: Fraction) -> Fraction:
    # A negative rate (refunds beyond payments) earns nothing rather than a negative score.
    rate = _clamp(Fraction(execution_rate), Fraction(0), Fraction(100))
    return points * rate / 100


def execution_score(
    execution_rate: Decimal | None, points: Decimal = EXECUTION_POINTS
) -> Decimal | None:
    """points × min(execution_rate, 100) / 100; None without budget."""
    if execution_rate is None:
        return None
    return _to_decimal(_execution_score_exact(execution_rate, Fraction(points)))


def grade(total: Decimal) -> str:
    """优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below; give it the rounded total."""
    if total >= 90:
        return GRADE_EXCELLENT
    if total >= 80:
        return GRADE_GOOD
    if total >= 60:
        return GRADE_FAIR
    return GRADE_POOR


# --- a whole self-evaluation ------------------------------------------------------------


@dataclass(frozen=True)
class ScoringInput:
    """One indicator of a project as the self-evaluation scores it."""

    key: Hashable
    level1: str
    target: TargetValue
    actual: ActualValue | None = None
    weight: Decimal | None = None
    # A reviewer-set score in points (within the tier's band); replaces the computed score,
    # limited to 0..points.
    override_score: Decimal | None = None


@dataclass(frozen=True)
class IndicatorScore:
    """The scored indicator: its points, completion before the cap and score."""

    key: Hashable
    level1: str
    points: Decimal
    completion: Decimal | None
    score: Decimal
    over_completion: bool
    missing_actual: bool


@dataclass(frozen=True)
class SelfEvaluationScore:
    """The 100-point score of a project's self-evaluation."""

    indicators: tuple[IndicatorScore, ...]
    execution_points: Decimal
    execution_score: Decimal | None
    total: Decimal
    grade: str
    missing_actual: tuple[Hashable, ...]

    @property
    def over_completion(self) -> tuple[Hashable, ...]:
        """Keys of indicators that need the OVER_COMPLETION explanation."""
        return tuple(item.key for item in self.indicators if item.over_completion)


def score_self_evaluation(
    *,
    indicators: Sequence[ScoringInput],
    execution_rate: Decimal | None,
    fiscal_year: int,
    scheme: ScoringScheme = PROJECT_SCHEME,
) -> SelfEvaluationScore:
    """Score a project (or, with a department scheme and no execution rate, a department):
    allocate the points, score each indicator and the execution rate."""
    has_budget = execution_rate is not None
    execution_points, points = _allocate_exact(
        [(item.key, item.level1, item.weight) for item in indicators],
        has_budget=has_budget,
        scheme=scheme,
    )
    exact_total = Fraction(0)
    execution = None
    if execution_rate is not None:
        exact_execution = _execution_score_exact(execution_rate, execution_points)
        exact_total += exact_execution
        execution = _to_decimal(exact_execution)

    scored: list[IndicatorScore] = []
    for item in indicators:
        item_points = points[item.key]
        target = scoring_target(item.level1, item.target)
        judged = None if item.actual is None else _judge(target, item.actual, fiscal_year)
        if item.override_score is not None:
            score = _clamp(Fraction(item.override_score), Fraction(0), item_points)
        else:
            score = _score_exact(item_points, judged)
        exact_total += score
        scored.append(
            IndicatorScore(
                key=item.key,
                level1=item.level1,
                points=_to_decimal(item_points),
                completion=None if judged is None else _to_decimal(judged.completion),
                score=_to_decimal(score),
                over_completion=(
                    judged is not None
                    and judged.mode == _HIGHER
                    and judged.completion >= OVER_COMPLETION_THRESHOLD
                ),
                missing_actual=judged is None,
            )
        )

    total = _round_half_up(exact_total)
    return SelfEvaluationScore(
        indicators=tuple(scored),
        execution_points=_to_decimal(execution_points),
        execution_score=execution,
        total=total,
        grade=grade(total),
        missing_actual=tuple(item.key for item in scored if item.missing_actual),
    )


# --- monitoring ---------------------------------------------------------------------------


def indicator_light(
    target: TargetValue, expected: ActualValue | None, *, fiscal_year: int, level1: str = ""
) -> str | None:
    """The light of an indicator from its expected full-year value; None without a value.

    Ratios before the cap: blue ≥ 1.2, green 0.8–1.2, yellow 0.6–0.8, red < 0.6.
    Lower-is-better indicators (a cost ceiling too, given `level1`), and deadlines (finish on
    or before, i.e. `<=`), are green while within target, else red. A tier gives 达成 green,
    部分达成 yellow, 未达成 red.
    """
    target = scoring_target(level1, target)
    judged = None if expected is None else _judge(target, expected, fiscal_year)
    if judged is None:
        return None
    if judged.mode in (_LOWER, _DEADLINE):
        return GREEN if judged.completion >= _ONE else RED
    if judged.mode == _TIER and judged.tier in TIER_DEFAULT_PERCENT:
        return {TIER_ACHIEVED: GREEN, TIER_PARTIAL: YELLOW, TIER_MISSED: RED}[judged.tier]
    if judged.completion >= _LIGHT_BLUE_FROM:
        return BLUE
    if judged.completion >= _LIGHT_GREEN_FROM:
        return GREEN
    if judged.completion >= _LIGHT_YELLOW_FROM:
        return YELLOW
    return RED


def worst_light(lights: Iterable[str | None]) -> str | None:
    """The project's target light: the worst of its indicators' (red > yellow > green > blue).

    Indicators without a light are skipped; None when none has one.
    """
    present = set(lights)
    for light in LIGHTS_WORST_FIRST:
        if light in present:
            return light
    return None


def indicator_deviates(light: str | None) -> bool:
    """An indicator deviates when its light is not green.

    No light (no expected value yet) is not a deviation: it is a missing value, which blocks
    submitting the report on its own.
    """
    return light is not None and light != GREEN


def budget_deviates(warning: str | None) -> bool:
    """The budget deviates when its execution warning is yellow, red or over (超支)."""
    return warning in (YELLOW, RED, WARNING_OVER)
