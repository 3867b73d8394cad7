"""The list filters of the budgets app, one definition each, shared by the pages and the API
(the project list page and /api/projects/ both filter through `ProjectFilterSet`)."""

# Every value is read through budgets.params, so a bad year, date, 区划 or id is refused with
# the same Chinese message everywhere: the API answers 400 with it; the pages validate their
# own form first (a bad value is dropped with a message) and pass only clean values.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from drf_spectacular.drainage import set_override

from . import rates
from .choices import AdjustmentKind, ProjectType, Warning
from .forms import AS_OF_OUTSIDE_YEAR, SORT_CHOICES
from .models import (
    Adjustment,
    DepartmentRateSnapshot,
    ImportJob,
    Payment,
    Project,
    ProjectRateSnapshot,
    Unit,
)
from .params import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_ID,
    BadParameter,
    parse_date,
    parse_division,
    parse_id,
    parse_year,
)
from .selectors import WarningThresholds, default_as_of, warning_thresholds, with_figures

SEARCH_MAX = 100
DIVISION_PATTERN = "^([0-9]{6})?$"
DATE_PATTERN = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"
CODE_MAX = 64


# --- fields and filters reading one value through budgets.params ------------------------------


class ParamField(forms.Field):
    """A form field parsed by one of budgets.params' `parse_*` functions."""

    parse = staticmethod(lambda text, label: text)
    param_label = ""

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        try:
            return type(self).parse(str(value), label=self.param_label or str(self.label or ""))
        except BadParameter as exc:
            # Passed as a parameter: the message quotes the value, which may hold a "%", and
            # django-filter formats every message with its params (none would fail).
            raise ValidationError(
                "%(message)s", code="invalid", params={"message": exc.message}
            ) from None


class YearField(ParamField):
    parse = staticmethod(parse_year)
    param_label = "年度"


class DateParamField(ParamField):
    parse = staticmethod(parse_date)


class DivisionField(ParamField):
    parse = staticmethod(parse_division)
    param_label = "区划"


class IdField(ParamField):
    parse = staticmethod(parse_id)


NOT_A_BOOLEAN = "{label}“{value}”无效，应为 true 或 false"


def parse_boolean(text: str | None, *, label: str = "") -> bool | None:
    """true or false (as the schema writes them); None when blank."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if value not in ("true", "false"):
        raise BadParameter(NOT_A_BOOLEAN.format(label=label, value=value[:20]))
    return value == "true"


class BooleanParamField(ParamField):
    parse = staticmethod(parse_boolean)


class ParamFilter(django_filters.Filter):
    """A filter whose OpenAPI schema is `schema`, described by its label."""

    schema: dict[str, Any] = {"type": "string"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_override(self, "field", {**self.schema, "description": str(self.label or "")})


class YearFilter(ParamFilter):
    """A fiscal year (2000—2100)."""

    field_class = YearField
    schema = {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}


class DateParamFilter(ParamFilter):
    """A date YYYY-MM-DD of a fiscal year the system keeps."""

    field_class = DateParamField
    # A pattern rather than format "date": blank is no filter, as for every filter.
    schema = {"type": "string", "pattern": DATE_PATTERN}


class DivisionFilter(ParamFilter):
    """A 区划 by its six-digit code: exactly that 区划, not the ones below it (as the pages)."""

    field_class = DivisionField
    # Blank is no filter, as for every filter of the pages.
    schema = {"type": "string", "pattern": DIVISION_PATTERN}


class IdFilter(ParamFilter):
    """A related row by id; one the user may not see simply matches nothing."""

    field_class = IdField
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class BooleanParamFilter(ParamFilter):
    """true or false; anything else is refused rather than ignored."""

    field_class = BooleanParamField
    schema = {"type": "boolean"}


class SearchFilter(django_filters.CharFilter):
    """Every row whose given fields contain the text (case-insensitive)."""

    def __init__(self, *, fields: tuple[str, ...], **kwargs: Any) -> None:
        kwargs.setdefault("max_length", SEARCH_MAX)
        super().__init__(**kwargs)
        self.fields = fields

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        for name in self.fields:
            condition |= Q(**{f"{name}__icontains": value})
        return qs.filter(condition)


def year_filter(field_name: str = "year") -> YearFilter:
    return YearFilter(field_name=field_name, label="年度（2000—2100）")


def division_filter(field_name: str) -> DivisionFilter:
    return DivisionFilter(field_name=field_name, label="区划编码（6位，仅该区划本级的部门）")


def department_filter(field_name: str = "department") -> IdFilter:
    return IdFilter(field_name=field_name, label="部门 id")


def project_filter(field_name: str = "project") -> IdFilter:
    return IdFilter(field_name=field_name, label="项目 id")


# --- the project list: warning lights and sorting ---------------------------------------------

# The sortable columns of the project list (?sort= on the page, ?ordering= in the API).
PROJECT_ORDERINGS = {
    "code": "code",
    "name": "name",
    "department": "department__code",
    "initial": "initial_budget",
    "adjusted": "adjusted_total",
    "executed": "executed_total",
    "rate": "execution_sort",
}
# The sort keys on figures: only these (and a warning light) need with_figures' annotation.
FIGURE_ORDERINGS = frozenset({"adjusted", "executed", "rate"})


def orders_by_figures(sort: str) -> bool:
    """Whether a sort key (`rate`, `-rate`, …) sorts on the figures."""
    return sort.removeprefix("-") in FIGURE_ORDERINGS


DEFAULT_PROJECT_ORDERING = ("department__division__code", "department__code", "code", "pk")
# The page's sort choices without its “默认”.
PROJECT_ORDERING_CHOICES = [(value, label) for value, label in SORT_CHOICES if value]


def project_ordering(sort: str) -> tuple[Any, ...]:
    """The ORDER BY of a sort key (`rate`, `-rate`, …) on projects annotated by with_figures;
    an unknown key is the default order."""
    key = sort.removeprefix("-")
    if key not in PROJECT_ORDERINGS:
        return DEFAULT_PROJECT_ORDERING
    field = F(PROJECT_ORDERINGS[key])
    # Projects without a budget (no rate) go last in both directions.
    first = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    return (first, "code", "pk")


def warning_condition(warning: str, progress: Decimal, thresholds: WarningThresholds) -> Q | None:
    """The projects of one warning light as a condition on `execution_sort` (with_figures).

    The light compares rate = ratio × 100 with fraction × time progress, so the bound on the
    float ratio is fraction × progress / 100; 超支 is a ratio above 1 whatever the date. The
    float is used for filtering and counting only: the light shown on each row comes from the
    exact totals (budgets.rates). The two can differ only for a rate within float rounding
    (about 1e-15) of a bound. Projects without a budget have no ratio and no light, and match
    no condition. None for an unknown warning.
    """
    green = float(thresholds.green_fraction * progress / 100)
    yellow = float(thresholds.yellow_fraction * progress / 100)
    conditions = {
        rates.OVER: Q(execution_sort__gt=1.0),
        rates.GREEN: Q(execution_sort__gte=green, execution_sort__lte=1.0),
        rates.YELLOW: Q(execution_sort__gte=yellow, execution_sort__lt=green),
        rates.RED: Q(execution_sort__lt=yellow),
    }
    return conditions.get(warning)


class _AsOfInYearForm(forms.Form):
    """The filter form of projects: a chosen 截至日期 lies in the chosen year, as on the page."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        year, as_of = cleaned.get("year"), cleaned.get("as_of")
        if year is not None and as_of is not None and as_of.year != year:
            self.add_error("as_of", AS_OF_OUTSIDE_YEAR.format(year=year))
        return cleaned


class ProjectFilterSet(django_filters.FilterSet):
    """Projects narrowed by year, 区划, department, code, type, search and warning light, with
    their figures as of `as_of` (or each year's default date, as the pages) and sorted."""

    year = year_filter()
    as_of = DateParamFilter(
        method="filter_as_of",
        label="截至日期 YYYY-MM-DD，须在所选年度内；默认当年为今天、过去年度为12月31日",
    )
    division = division_filter("department__division__code")
    department = department_filter()
    unit = IdFilter(field_name="unit", label="单位 id")
    code = django_filters.CharFilter(field_name="code", max_length=CODE_MAX, label="项目编码")
    type = django_filters.ChoiceFilter(choices=ProjectType.choices, label="项目类型")
    search = SearchFilter(fields=("code", "name"), label="搜索项目编码或名称")
    warning = django_filters.ChoiceFilter(
        choices=Warning.choices, method="filter_warning", label="执行进度预警"
    )
    ordering = django_filters.ChoiceFilter(
        choices=PROJECT_ORDERING_CHOICES,
        method="filter_ordering",
        label="排序（前加“-”为降序）；无预算的项目总在最后",
    )

    class Meta:
        model = Project
        fields: list[str] = []
        form = _AsOfInYearForm

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self._thresholds: WarningThresholds | None = None

    @property
    def thresholds(self) -> WarningThresholds:
        if self._thresholds is None:
            self._thresholds = warning_thresholds()
        return self._thresholds

    def _cleaned(self, name: str) -> Any:
        return getattr(self.form, "cleaned_data", {}).get(name)

    @property
    def figures_as_of(self) -> date | None:
        """The one date every row is shown as of; None: each as of its own year's default."""
        as_of, year = self._cleaned("as_of"), self._cleaned("year")
        if as_of is not None:
            return as_of
        if year is not None:
            return default_as_of(year, self.today)
        return None

    def as_of_of(self, project: Project) -> date:
        """The date one project's figures are shown as of."""
        return self.figures_as_of or default_as_of(project.year, self.today)

    @property
    def needs_figures(self) -> bool:
        """A warning light or a sort on the figures: the rows need with_figures' annotation
        (a join of every project's monthly totals); without them a page of projects is read
        alone and its figures come after (budgets.api.projects.attach_figures)."""
        return bool(self._cleaned("warning")) or orders_by_figures(self._cleaned("ordering") or "")

    def filter_queryset(self, queryset: QuerySet[Project]) -> QuerySet[Project]:
        if self.needs_figures:
            # Payments and adjustments are dated within their project's year, so figures as
            # of today equal each year's default (31 December of a past year) for every project.
            queryset = with_figures(queryset, self.figures_as_of or self.today)
        return super().filter_queryset(queryset)

    def filter_as_of(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        # The date is applied by the annotation (filter_queryset), not as a condition.
        return queryset

    def filter_warning(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        as_of = self.figures_as_of
        if as_of is not None:
            condition = warning_condition(value, rates.time_progress(as_of), self.thresholds)
            return queryset.filter(condition)
        # Each year against its own time progress (one query for the years).
        years = queryset.order_by().values_list("year", flat=True).distinct()
        combined = Q(pk__in=[])
        for year in years:
            progress = rates.time_progress(default_as_of(year, self.today))
            combined |= Q(year=year) & warning_condition(value, progress, self.thresholds)
        return queryset.filter(combined)

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*project_ordering(value))

    @property
    def qs(self) -> QuerySet[Project]:
        queryset = super().qs
        if not self._cleaned("ordering"):
            queryset = queryset.order_by(*DEFAULT_PROJECT_ORDERING)
        return queryset


# --- the other resources ----------------------------------------------------------------------


class UnitFilterSet(django_filters.FilterSet):
    division = division_filter("department__division__code")
    department = department_filter()
    code = django_filters.CharFilter(field_name="code", max_length=CODE_MAX, label="单位编码")
    search = SearchFilter(fields=("code", "name"), label="搜索单位编码或名称")

    class Meta:
        model = Unit
        fields: list[str] = []


PAYMENT_KINDS = [("basic", "基本支出"), ("project", "项目支出")]


class PaymentFilterSet(django_filters.FilterSet):
    """The payment list's filters: year, 区划, department, 类别 (basic/project), search."""

    year = year_filter()
    division = division_filter("department__division__code")
    department = department_filter()
    project = project_filter()
    kind = django_filters.ChoiceFilter(
        choices=PAYMENT_KINDS, method="filter_kind", label="类别：basic 基本支出、project 项目支出"
    )
    voucher = django_filters.CharFilter(field_name="voucher", max_length=100, label="凭证号")
    search = SearchFilter(fields=("voucher", "summary"), label="搜索凭证号或摘要")
    date_from = DateParamFilter(field_name="date", lookup_expr="gte", label="日期起（含）")
    date_to = DateParamFilter(field_name="date", lookup_expr="lte", label="日期止（含）")

    class Meta:
        model = Payment
        fields: list[str] = []

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(project__isnull=value == "basic")


class AdjustmentFilterSet(django_filters.FilterSet):
    year = year_filter()
    division = division_filter("department__division__code")
    department = department_filter()
    project = project_filter()
    kind = django_filters.ChoiceFilter(choices=AdjustmentKind.choices, label="调整类型")
    document_number = django_filters.CharFilter(
        field_name="document_number", max_length=100, label="调整文号"
    )
    search = SearchFilter(fields=("document_number", "note"), label="搜索调整文号或说明")
    date_from = DateParamFilter(field_name="date", lookup_expr="gte", label="日期起（含）")
    date_to = DateParamFilter(field_name="date", lookup_expr="lte", label="日期止（含）")

    class Meta:
        model = Adjustment
        fields: list[str] = []


class StoredWarningFilter(django_filters.ChoiceFilter):
    """A snapshot's stored warning; `none` for the rows without budget (no warning)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [*Warning.choices, ("none", "无预算")])
        kwargs.setdefault("label", "执行进度预警（none：无预算）")
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if not value:
            return qs
        return qs.filter(warning="" if value == "none" else value)


class ProjectSnapshotFilterSet(django_filters.FilterSet):
    as_of = DateParamFilter(field_name="as_of", label="截至日期")
    year = year_filter("project__year")
    division = division_filter("project__department__division__code")
    department = department_filter("project__department")
    project = project_filter()
    code = django_filters.CharFilter(
        field_name="project__code", max_length=CODE_MAX, label="项目编码"
    )
    warning = StoredWarningFilter()

    class Meta:
        model = ProjectRateSnapshot
        fields: list[str] = []


class DepartmentSnapshotFilterSet(django_filters.FilterSet):
    as_of = DateParamFilter(field_name="as_of", label="截至日期")
    year = year_filter()
    division = division_filter("department__division__code")
    department = department_filter()
    warning = StoredWarningFilter()

    class Meta:
        model = DepartmentRateSnapshot
        fields: list[str] = []


class ImportJobFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ImportJob.Status.choices, label="任务状态")
    dry_run = BooleanParamFilter(field_name="dry_run", label="仅校验")

    class Meta:
        model = ImportJob
        fields: list[str] = []
