"""Filters of reports, rounds and notifications, shared by the pages and the API.

`ReportFilter` is the one definition of how reports are filtered: the API's /api/reports/
takes it from the query string (a bad value is a 400 with its message), the review queue page
applies it to the values it has already read (a bad value there is ignored with a message).

Ids and years are read as bounded integers: a 30-digit id or `1e999` is a bad value with a
Chinese message, never a number the database cannot hold.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.drainage import set_override

from budgets.choices import Warning
from budgets.params import FIRST_YEAR, LAST_YEAR, MAX_ID
from performance.scoring import GRADE_EXCELLENT, GRADE_FAIR, GRADE_GOOD, GRADE_POOR

from .choices import Light, NotificationKind, ReportStatus, Stage
from .models import Notification, Report, Round

GRADES = [(g, g) for g in (GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR, GRADE_POOR)]
KIND_PROJECT = "project"
KIND_DEPARTMENT = "department"
KINDS = [(KIND_PROJECT, "项目报告"), (KIND_DEPARTMENT, "部门整体报告")]

BAD_ID = "{label}编号无效，应为正整数"
BAD_YEAR = f"年度无效，应为{FIRST_YEAR}—{LAST_YEAR}之间的整数"
BAD_CHOICE = "{label}“%(value)s”无效，可选：{choices}"


def _integer(label: str, message: str, minimum: int, maximum: int) -> dict:
    """The form field arguments and schema of a bounded integer filter."""
    return {
        "label": label,
        "min_value": minimum,
        "max_value": maximum,
        "error_messages": {
            "invalid": message,
            "min_value": message,
            "max_value": message,
            "max_digits": message,
        },
    }


class IntegerFilter(django_filters.Filter):
    """A whole number within bounds (Django's IntegerField; a decimal or 1e999 is refused)."""

    field_class = forms.IntegerField


def id_filter(label: str, **kwargs) -> IntegerFilter:
    """An id filter: a positive integer that fits the database's 64-bit primary keys."""
    found = IntegerFilter(**_integer(label, BAD_ID.format(label=label), 1, MAX_ID), **kwargs)
    # Described here: the schema cannot guess the type of a method filter.
    set_override(
        found,
        "field",
        {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "maximum": MAX_ID,
            "description": f"{label}编号",
        },
    )
    return found


def year_filter(field_name: str) -> IntegerFilter:
    found = IntegerFilter(
        field_name=field_name, **_integer("年度", BAD_YEAR, FIRST_YEAR, LAST_YEAR)
    )
    set_override(
        found,
        "field",
        {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR, "description": "年度"},
    )
    return found


def choice_filter(label: str, choices, **kwargs) -> django_filters.ChoiceFilter:
    names = "、".join(str(value) for value, _ in choices)
    return django_filters.ChoiceFilter(
        label=label,
        choices=choices,
        error_messages={"invalid_choice": BAD_CHOICE.format(label=label, choices=names)},
        **kwargs,
    )


class ReportFilter(django_filters.FilterSet):
    """Reports by round, year, stage, status, department (a project's or the department's
    own report), project, kind, grade, budget warning and target light."""

    round = id_filter("轮次", field_name="round_id")
    year = year_filter("round__year")
    stage = choice_filter("阶段", Stage.choices, field_name="round__stage")
    status = choice_filter("状态", ReportStatus.choices)
    department = id_filter("部门", method="filter_department")
    project = id_filter("项目", field_name="project_id")
    kind = choice_filter("报告类型", KINDS, method="filter_kind")
    grade = choice_filter("等级", GRADES)
    warning = choice_filter("预算预警", Warning.choices, field_name="budget_warning")
    light = choice_filter("目标灯", Light.choices, field_name="target_light")

    class Meta:
        model = Report
        fields: list[str] = []

    def filter_department(self, queryset: QuerySet[Report], name: str, value: int):
        """A department's reports: those of its projects and its own (部门整体)."""
        if not value:
            return queryset
        return queryset.filter(Q(project__department_id=value) | Q(department_id=value))

    def filter_kind(self, queryset: QuerySet[Report], name: str, value: str):
        if value == KIND_PROJECT:
            return queryset.filter(project__isnull=False)
        if value == KIND_DEPARTMENT:
            return queryset.filter(department__isnull=False)
        return queryset


class RoundFilter(django_filters.FilterSet):
    """Rounds by year, stage, 区划 and whether they are open."""

    year = year_filter("year")
    stage = choice_filter("阶段", Stage.choices)
    division = id_filter("区划", field_name="division_id")
    is_open = django_filters.BooleanFilter(label="开放填报")

    class Meta:
        model = Round
        fields: list[str] = []


class NotificationFilter(django_filters.FilterSet):
    """A user's notifications: unread ones only, or of one kind."""

    unread = django_filters.BooleanFilter(
        label="只看未读（true）或已读（false）", method="filter_unread"
    )
    kind = choice_filter("类型", NotificationKind.choices)

    class Meta:
        model = Notification
        fields: list[str] = []

    def filter_unread(self, queryset: QuerySet[Notification], name: str, value: bool | None):
        if value is None:
            return queryset
        return queryset.filter(read_at__isnull=value)
