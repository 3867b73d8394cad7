"""Budget rates, time progress and the execution warning (spec/rates-and-scoring.md).

Pure functions only: no Django imports. Rates are percentages at full precision; round
them half-up to 2 decimals only when showing or exporting (`format_rate`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from typing import Protocol

# 40 significant digits: money has at most ~16 (万元 with 6 places), so a rate keeps far more
# precision than any display needs, independent of the caller's thread-local context.
CONTEXT = Context(prec=40, rounding=ROUND_HALF_EVEN)
HUNDRED = Decimal(100)

GREEN = "green"
YELLOW = "yellow"
RED = "red"
OVER = "over"  # 超支: spent more than the budget, whatever the date
WARNINGS = (GREEN, YELLOW, RED, OVER)

# Settings the finance bureau can change; these are the provinces' usual values.
DEFAULT_GREEN_FRACTION = Decimal("0.8")
DEFAULT_YELLOW_FRACTION = Decimal("0.6")

# At year end an execution rate below this needs a written explanation in the self-evaluation.
LOW_EXECUTION_THRESHOLD = Decimal(90)

# Shown wherever a rate is null (zero denominator or not applicable).
NO_RATE = "—"

# Budgets are published rounded to 2 decimals of 万元 while some figures compared with them are
# exact amounts in 元 (157609.01元 against 15.76万元): differences up to this are no difference.
AMOUNT_TOLERANCE = Decimal("0.005")


def ratio_percent(
    numerator: Decimal | int | None, denominator: Decimal | int | None
) -> Decimal | None:
    """numerator / denominator × 100 at full precision; None when either is missing or zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return CONTEXT.divide(CONTEXT.multiply(Decimal(numerator), HUNDRED), Decimal(denominator))


def execution_rate(executed: Decimal, adjusted: Decimal | None) -> Decimal | None:
    """预算执行率 = executed / adjusted × 100."""
    return ratio_percent(executed, adjusted)


def adjustment_rate(
    adjusted: Decimal, initial: Decimal | None, policy: Decimal = Decimal(0)
) -> Decimal | None:
    """预算调整率 = (adjusted − initial − 政策性调整) / initial × 100.

    `policy` is the sum of the 政策性调整 within `adjusted`: they count in 全年预算数 but are
    not the department's own adjustments.
    """
    if initial is None:
        return None
    return ratio_percent(CONTEXT.subtract(CONTEXT.subtract(adjusted, initial), policy), initial)


def carryover_rate(adjusted: Decimal | None, executed: Decimal) -> Decimal | None:
    """结转结余率 = (adjusted − executed) / adjusted × 100."""
    if adjusted is None:
        return None
    return ratio_percent(CONTEXT.subtract(adjusted, executed), adjusted)


def three_public_control_rate(spent: Decimal, budget: Decimal | None) -> Decimal | None:
    """“三公经费”控制率 = payments marked 三公经费 / 三公经费预算 × 100."""
    return ratio_percent(spent, budget)


def procurement_execution_rate(spent: Decimal, budget: Decimal | None) -> Decimal | None:
    """政府采购执行率 = payments marked 政府采购 / 政府采购预算 × 100."""
    return ratio_percent(spent, budget)


def completion_rate(count: int | Decimal, total: int | Decimal | None) -> Decimal | None:
    """A share of projects (targets passed, monitoring or self-evaluation done) × 100."""
    return ratio_percent(count, total)


def time_progress(day: date) -> Decimal:
    """序时进度 = day of the year / days in the year × 100 (2024-07-31 → 213/366 × 100)."""
    days_in_year = 366 if calendar.isleap(day.year) else 365
    day_of_year = day.timetuple().tm_yday
    return CONTEXT.divide(Decimal(day_of_year * 100), Decimal(days_in_year))


def execution_warning(
    execution_rate: Decimal | None,
    time_progress: Decimal,
    *,
    green_fraction: Decimal = DEFAULT_GREEN_FRACTION,
    yellow_fraction: Decimal = DEFAULT_YELLOW_FRACTION,
) -> str | None:
    """over / green / yellow / red: over 100 % is 超支 whatever the date; otherwise the
    execution rate is compared with fractions of the time progress.

    Both sides are compared at full precision (never the rounded display values); None means
    no budget.
    """
    if execution_rate is None:
        return None
    if execution_rate > HUNDRED:
        return OVER
    if execution_rate >= CONTEXT.multiply(green_fraction, time_progress):
        return GREEN
    if execution_rate >= CONTEXT.multiply(yellow_fraction, time_progress):
        return YELLOW
    return RED


def needs_low_execution_note(execution_rate: Decimal | None) -> bool:
    """True when a year-end execution rate is below 90 % and so needs an explanation."""
    return execution_rate is not None and execution_rate < LOW_EXECUTION_THRESHOLD


def round_half_up(value: Decimal | None, places: int = 2) -> Decimal | None:
    """Round half-up (away from zero at .5) to `places` decimals; None stays None."""
    if value is None:
        return None
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=CONTEXT)
    # -0.001 rounds to -0.00; show it as 0.00.
    return rounded.copy_abs() if rounded == 0 else rounded


def format_rate(value: Decimal | None) -> str | None:
    """A rate as the export writes it: "58.33", "0.00", or None."""
    rounded = round_half_up(value)
    return None if rounded is None else f"{rounded:f}"


def format_amount(amount: Decimal) -> str:
    """An amount in 万元 without exponent or trailing zeros: "2751.61", "0.3", "1200", "0"."""
    normalized = CONTEXT.normalize(amount)
    if normalized == 0:
        return "0"
    return f"{normalized:f}"


MONEY_MIN_PLACES = 2


def format_money(amount: Decimal) -> str:
    """An amount as pages print it: thousands separators and 2 to 6 decimals, exact
    ("10,348.70", "4,515.264", "20.00"); real fen are never rounded away."""
    if amount.is_zero():
        amount = Decimal(0)  # "-0.000000" would print as "-0.00"
    places = max(MONEY_MIN_PLACES, -amount.normalize(CONTEXT).as_tuple().exponent)
    return f"{amount:,.{places}f}"


class Thresholds(Protocol):
    """The execution-warning fractions (budgets.selectors.WarningThresholds)."""

    green_fraction: Decimal
    yellow_fraction: Decimal


@dataclass(frozen=True)
class BudgetFigures:
    """年初预算数, 全年预算数 and 执行数 of a project or department as of a date, in 万元.

    `policy` is the part of `adjusted` that comes from 政策性调整 (left out of 预算调整率).
    """

    initial: Decimal
    adjusted: Decimal
    executed: Decimal
    policy: Decimal = Decimal(0)

    def __add__(self, other: BudgetFigures) -> BudgetFigures:
        # A department's figures are the sum of its projects' and its basic expenditure.
        return BudgetFigures(
            CONTEXT.add(self.initial, other.initial),
            CONTEXT.add(self.adjusted, other.adjusted),
            CONTEXT.add(self.executed, other.executed),
            CONTEXT.add(self.policy, other.policy),
        )

    @property
    def has_budget(self) -> bool:
        return self.adjusted != 0

    @property
    def execution_rate(self) -> Decimal | None:
        return execution_rate(self.executed, self.adjusted)

    @property
    def adjustment_rate(self) -> Decimal | None:
        return adjustment_rate(self.adjusted, self.initial, self.policy)

    @property
    def carryover_rate(self) -> Decimal | None:
        return carryover_rate(self.adjusted, self.executed)

    def warning(
        self,
        time_progress: Decimal,
        thresholds: Thresholds | None = None,
        *,
        green_fraction: Decimal = DEFAULT_GREEN_FRACTION,
        yellow_fraction: Decimal = DEFAULT_YELLOW_FRACTION,
    ) -> str | None:
        """The execution warning of these figures at the given time progress, with the
        bureau's thresholds (anything with green_fraction and yellow_fraction) if given."""
        if thresholds is not None:
            green_fraction = thresholds.green_fraction
            yellow_fraction = thresholds.yellow_fraction
        return execution_warning(
            self.execution_rate,
            time_progress,
            green_fraction=green_fraction,
            yellow_fraction=yellow_fraction,
        )


ZERO_FIGURES = BudgetFigures(Decimal(0), Decimal(0), Decimal(0))


def figures_to_contract(
    figures: BudgetFigures,
    time_progress: Decimal,
    green_fraction: Decimal = DEFAULT_GREEN_FRACTION,
    yellow_fraction: Decimal = DEFAULT_YELLOW_FRACTION,
) -> dict[str, str | None]:
    """The export-json `budget` object: amounts and rates as strings, null where not applicable."""
    return {
        "initial": format_amount(figures.initial),
        "adjusted": format_amount(figures.adjusted),
        "executed": format_amount(figures.executed),
        "execution_rate": format_rate(figures.execution_rate),
        "adjustment_rate": format_rate(figures.adjustment_rate),
        "carryover_rate": format_rate(figures.carryover_rate),
        "warning": figures.warning(
            time_progress, green_fraction=green_fraction, yellow_fraction=yellow_fraction
        ),
    }
