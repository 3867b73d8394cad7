"""The list filters of the performance app, one definition each (built from budgets/filters.py's
parts, so a year, 区划, department or id is read as everywhere else)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from budgets.filters import (
    CODE_MAX,
    BooleanParamFilter,
    IdFilter,
    SearchFilter,
    department_filter,
    division_filter,
    project_filter,
    year_filter,
)
from budgets.models import Project

from .choices import DEPARTMENT_LEVEL1_CHOICES, DEPARTMENT_METRICS, GOAL_CATEGORIES, LEVEL1_CHOICES
from .models import KIND_CHOICES, DepartmentGoal, DepartmentIndicator, Indicator

# The target review's outcomes, as the review page's ?status= names them.
REVIEW_PASSED = "passed"
REVIEW_FAILED = "failed"
REVIEW_WARNED = "warned"
REVIEW_STATUSES = [
    (REVIEW_PASSED, "通过"),
    (REVIEW_FAILED, "未通过"),
    (REVIEW_WARNED, "有提示"),
]


class IndicatorFilterSet(django_filters.FilterSet):
    year = year_filter("project__year")
    division = division_filter("project__department__division__code")
    department = department_filter("project__department")
    project = project_filter()
    level1 = django_filters.ChoiceFilter(choices=LEVEL1_CHOICES, label="一级指标")
    kind = django_filters.ChoiceFilter(choices=KIND_CHOICES, label="指标类型")
    search = SearchFilter(fields=("name", "level2", "raw"), label="搜索三级指标、二级指标或指标值")

    class Meta:
        model = Indicator
        fields: list[str] = []


class TargetReviewFilterSet(django_filters.FilterSet):
    """Projects for the target review; `status` needs every review, so the view applies it."""

    year = year_filter()
    division = division_filter("department__division__code")
    department = department_filter()
    project = IdFilter(field_name="pk", label="项目 id")
    code = django_filters.CharFilter(field_name="code", max_length=CODE_MAX, label="项目编码")
    search = SearchFilter(fields=("code", "name"), label="搜索项目编码或名称")
    status = django_filters.ChoiceFilter(
        choices=REVIEW_STATUSES, method="filter_status", label="审核结果"
    )

    class Meta:
        model = Project
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Applied by the view on the computed reviews (performance.selectors.project_reviews).
        return queryset


class DepartmentIndicatorFilterSet(django_filters.FilterSet):
    year = year_filter()
    division = division_filter("department__division__code")
    department = department_filter()
    level1 = django_filters.ChoiceFilter(choices=DEPARTMENT_LEVEL1_CHOICES, label="一级指标")
    metric = django_filters.ChoiceFilter(choices=DEPARTMENT_METRICS, label="系统计算指标")
    computed = BooleanParamFilter(method="filter_computed", label="是否系统计算指标")
    search = SearchFilter(fields=("name", "level2", "raw"), label="搜索三级指标、二级指标或指标值")

    class Meta:
        model = DepartmentIndicator
        fields: list[str] = []

    def filter_computed(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        return queryset.exclude(metric="") if value else queryset.filter(metric="")


class DepartmentGoalFilterSet(django_filters.FilterSet):
    year = year_filter()
    division = division_filter("department__division__code")
    department = department_filter()
    category = django_filters.ChoiceFilter(choices=GOAL_CATEGORIES, label="类别")

    class Meta:
        model = DepartmentGoal
        fields: list[str] = []
