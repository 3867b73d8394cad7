"""Display helpers shared by the budgets pages: amounts, rates, bars and lights."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .. import rates
from ..access import (
    FACTS,
    covered_division_filter,
    covers_division,
    may_access_department,
    restrict,
    sees_several_departments,
)
from ..choices import warning_label
from ..models import Department, Division, User
from ..params import IGNORED, division_param
from ..selectors import WarningThresholds

PAGE_SIZE = 50
DIVISION_NOT_COVERED = "区划“{code}”不在您的查看范围内"


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
        warning = figures.warning(progress, thresholds)
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
        return warning_label(self.warning)


def department_choices(
    request: HttpRequest, division: str | None = None
) -> QuerySet[Department] | None:
    """Departments to choose from (of one 区划 when given); None for staff, whose department
    is fixed."""
    if not sees_several_departments(request.user):
        return None
    departments = Department.objects.select_related("division").order_by("division__code", "code")
    if division is not None:
        departments = departments.filter(division__code=division)
    return restrict(departments, request.user, department_field="pk")


def division_choices(request: HttpRequest) -> list[Division]:
    """The 区划 of the departments the user may choose from, when there are several; else
    none, and pages neither offer a 区划 filter nor name departments' 区划 (one query)."""
    if not sees_several_departments(request.user):
        return []
    found = Division.objects.filter(departments__isnull=False).distinct().order_by("code")
    condition = covered_division_filter(request.user, "")
    if condition is not None:
        found = found.filter(condition)
    found = list(found)
    return found if len(found) > 1 else []


def chosen_division(request: HttpRequest) -> str | None:
    """The 区划 code of ?division=; a bad code or one the user does not cover is ignored
    with a message."""
    code = division_param(request)
    if code is not None and not covers_division(request.user, code):
        messages.warning(request, IGNORED.format(message=DIVISION_NOT_COVERED.format(code=code)))
        return None
    return code


def basic_department_for(user: User, chosen: Department | None) -> Department | None:
    """Whose basic expenditure the page offers to record: the chosen department, or staff's own."""
    department = chosen if chosen is not None or sees_several_departments(user) else user.department
    if department is None or not may_access_department(user, department, FACTS):
        return None
    return department


def query_without_page(request: HttpRequest) -> str:
    """The current query without its page number, for page links that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
