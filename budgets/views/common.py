"""Display helpers shared by the budgets pages: amounts, rates, bars and lights."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpRequest

from .. import rates
from ..access import FACTS, may_access_department, restrict, sees_all_departments
from ..models import Department, User
from ..selectors import WarningThresholds

PAGE_SIZE = 50
WARNING_LABELS = {
    rates.GREEN: "正常",
    rates.YELLOW: "黄色预警",
    rates.RED: "红色预警",
    None: "无预算",
}


def amount(value: Decimal | None) -> str:
    return "—" if value is None else rates.format_amount(value)


def rate_text(value: Decimal | None) -> str:
    text = rates.format_rate(value)
    return rates.NO_RATE if text is None else f"{text}%"


def percent_css(value: Decimal | None) -> str:
    """A width/left CSS percentage clamped to 0–100, always with a dot."""
    if value is None:
        return "0"
    clamped = min(max(value, Decimal(0)), Decimal(100))
    return rates.format_rate(clamped) or "0"


@dataclass(frozen=True)
class Execution:
    """What a row or the totals show: amounts, rate, bar and warning light."""

    figures: rates.BudgetFigures
    rate: Decimal | None
    warning: str | None

    @classmethod
    def of(
        cls, figures: rates.BudgetFigures, progress: Decimal, thresholds: WarningThresholds
    ) -> Execution:
        warning = figures.warning(
            progress,
            green_fraction=thresholds.green_fraction,
            yellow_fraction=thresholds.yellow_fraction,
        )
        return cls(figures, figures.execution_rate, warning)

    @property
    def initial(self) -> str:
        return amount(self.figures.initial)

    @property
    def adjusted(self) -> str:
        return amount(self.figures.adjusted)

    @property
    def executed(self) -> str:
        return amount(self.figures.executed)

    @property
    def rate_text(self) -> str:
        return rate_text(self.rate)

    @property
    def bar_width(self) -> str:
        return percent_css(self.rate)

    @property
    def warning_label(self) -> str:
        return WARNING_LABELS.get(self.warning, "")


def department_choices(request: HttpRequest) -> QuerySet[Department] | None:
    """Departments to choose from; None for staff, whose department is fixed."""
    if not sees_all_departments(request.user):
        return None
    return restrict(Department.objects.order_by("code"), request.user, department_field="pk")


def basic_department_for(user: User, chosen: Department | None) -> Department | None:
    """Whose basic expenditure the page offers to record: the chosen department, or staff's own."""
    department = chosen if chosen is not None or sees_all_departments(user) else user.department
    if department is None or not may_access_department(user, department, FACTS):
        return None
    return department


def query_without_page(request: HttpRequest) -> str:
    """The current query without its page number, for page links that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
