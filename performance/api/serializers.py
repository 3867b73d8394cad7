"""Shapes of the performance API: project indicators (read, and the fields a write takes), the
target review result of a project, a department's own indicators and goals."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from budgets.access import restrict
from budgets.api.fields import (
    ScopedIdField,
    StrictCharField,
    StrictSerializerMixin,
    shown,
)
from budgets.models import Project

from ..choices import DEPARTMENT_METRIC_LABELS, LEVEL1_CHOICES
from ..models import DepartmentGoal, DepartmentIndicator, Indicator
from ..services import INDICATOR_WEIGHT_INVALID, LEVEL2_MAX, NAME_MAX, NOTE_MAX, parse_weight
from ..values import describe_target, format_decimal, target_to_contract
from ..workbook import UNKNOWN_LEVEL1

RAW_MAX = 500
WEIGHT_PATTERN = r"^[0-9]{1,4}(\.[0-9]{1,3})?$"
WEIGHT_NOT_A_STRING = '权重应以字符串填写（如 "30"），或为 null'
WEIGHT_BLANK = "权重不能为空字符串；没有权重时填 null"
_WEIGHT = re.compile(WEIGHT_PATTERN.removeprefix("^").removesuffix("$"), re.ASCII)


def _weight(value: Any) -> str | None:
    return None if value is None else format_decimal(value.normalize())


# --- the target as the export writes it ----------------------------------------------------------


class TargetFieldsSerializer(serializers.Serializer):
    raw = serializers.CharField(help_text="指标值原文")
    kind = serializers.ChoiceField(
        choices=["quantitative", "deadline", "relative", "qualitative"],
        help_text="quantitative 定量、deadline 时限、relative 与上年比较、qualitative 定性",
    )
    comparator = serializers.CharField(
        allow_null=True, help_text=">=、<=、>、<、=、range（区间）；定性为 null"
    )
    value = serializers.CharField(
        allow_null=True, help_text="定量：数值（区间为下限）；时限：YYYY-MM-DD；其他为 null"
    )
    upper = serializers.CharField(allow_null=True, help_text="区间的上限，否则为 null")
    unit = serializers.CharField(allow_null=True, help_text="单位，如 %、万元；没有时为 null")


def target_fields(indicator: Indicator | DepartmentIndicator) -> dict[str, Any]:
    return target_to_contract(indicator.target)


# --- project indicators -------------------------------------------------------------------------


class IndicatorSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    year = serializers.IntegerField(source="project.year", read_only=True)
    department = serializers.IntegerField(source="project.department_id", read_only=True)
    department_code = serializers.CharField(source="project.department.code", read_only=True)
    division_code = serializers.CharField(source="project.department.division.code", read_only=True)
    target = serializers.SerializerMethodField(help_text="系统对指标值的理解（与导出相同）")
    meaning = serializers.SerializerMethodField(help_text="指标值的中文解读，如“定量 · ≥ 95 %”")
    weight = serializers.SerializerMethodField(help_text="权重；没有时为 null")
    locked = serializers.BooleanField(
        source="project.targets_locked", read_only=True, help_text="绩效自评已提交，目标已锁定"
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "project",
            "project_code",
            "year",
            "department",
            "department_code",
            "division_code",
            "level1",
            "level2",
            "name",
            "raw",
            "target",
            "meaning",
            "weight",
            "note",
            "position",
            "locked",
        ]
        read_only_fields = fields

    @extend_schema_field(TargetFieldsSerializer)
    def get_target(self, indicator: Indicator) -> dict[str, Any]:
        return target_fields(indicator)

    def get_meaning(self, indicator: Indicator) -> str:
        return describe_target(indicator.target)

    @extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
    def get_weight(self, indicator: Indicator) -> str | None:
        return _weight(indicator.weight)


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": WEIGHT_PATTERN, "nullable": True}
)
class WeightField(serializers.Field):
    """A weight as a decimal string (up to 4 digits and 3 decimals), or null for none; that it
    is positive is the service's rule."""

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            raise serializers.ValidationError(WEIGHT_NOT_A_STRING, code="invalid")
        if _WEIGHT.fullmatch(data):
            return Decimal(data)
        if not data.strip():
            raise serializers.ValidationError(WEIGHT_BLANK, code="invalid")
        try:
            # The page's reading of a weight words what is wrong with a non-number.
            parse_weight(shown(data))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        raise serializers.ValidationError(
            INDICATOR_WEIGHT_INVALID.format(value=shown(data)), code="invalid"
        )


def visible_projects(request) -> Any:
    return restrict(Project.objects.select_related("department__division"), request.user)


# The fields of an indicator the page's editor takes (its project stays); optional text is
# checked by the service, whose Chinese messages are the pages'.
class IndicatorUpdateSerializer(StrictSerializerMixin, serializers.Serializer):
    level1 = serializers.ChoiceField(
        choices=LEVEL1_CHOICES,
        error_messages={"invalid_choice": UNKNOWN_LEVEL1.replace("{value}", "{input}")},
        help_text="一级指标",
    )
    level2 = StrictCharField(
        max_length=LEVEL2_MAX, required=False, allow_blank=True, help_text="二级指标"
    )
    name = StrictCharField(max_length=NAME_MAX, allow_blank=True, help_text="三级指标")
    raw = StrictCharField(
        max_length=RAW_MAX,
        allow_blank=True,
        trim_whitespace=False,
        help_text="指标值，按填写原样，如“≥95%”“12月31日前”",
    )
    weight = WeightField(
        required=False, allow_null=True, help_text="权重（字符串，正数，最多3位小数）或 null"
    )
    note = StrictCharField(
        max_length=NOTE_MAX, required=False, allow_blank=True, help_text="指标值说明"
    )


class IndicatorCreateSerializer(IndicatorUpdateSerializer):
    project = ScopedIdField(scope=visible_projects, noun="项目", help_text="项目 id")


# --- target review ------------------------------------------------------------------------------


class ReviewProblemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="问题代码，如 missing_level1、weights_not_90")
    message = serializers.CharField(help_text="说明")
    blocking = serializers.BooleanField(help_text="true：审核不通过；false：仅提示")
    level1 = serializers.CharField(allow_null=True, help_text="涉及的指标的一级指标")
    name = serializers.CharField(allow_null=True, help_text="涉及的指标的三级指标")


class TargetReviewSerializer(serializers.Serializer):
    project = serializers.IntegerField(help_text="项目 id")
    year = serializers.IntegerField()
    code = serializers.CharField(help_text="项目编码")
    name = serializers.CharField(help_text="项目名称")
    department = serializers.IntegerField(help_text="部门 id")
    department_code = serializers.CharField()
    division_code = serializers.CharField()
    as_of = serializers.DateField(help_text="审核所用全年预算数的截至日期")
    passed = serializers.BooleanField(help_text="审核通过（没有不通过的问题）")
    failures = ReviewProblemSerializer(many=True, help_text="不通过的原因")
    warnings = ReviewProblemSerializer(many=True, help_text="提示（不影响通过）")


# --- department targets -------------------------------------------------------------------------


class DepartmentIndicatorSerializer(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code", read_only=True)
    division_code = serializers.CharField(source="department.division.code", read_only=True)
    target = serializers.SerializerMethodField(help_text="系统对指标值的理解（与导出相同）")
    weight = serializers.SerializerMethodField(help_text="权重；没有时为 null")
    computed = serializers.BooleanField(read_only=True, help_text="由系统计算的指标")
    metric = serializers.SerializerMethodField(help_text="系统计算指标对应的比率；否则为 null")
    metric_label = serializers.SerializerMethodField(help_text="系统计算指标的名称")

    class Meta:
        model = DepartmentIndicator
        fields = [
            "id",
            "department",
            "department_code",
            "division_code",
            "year",
            "level1",
            "level2",
            "name",
            "raw",
            "target",
            "weight",
            "note",
            "computed",
            "metric",
            "metric_label",
            "position",
        ]
        read_only_fields = fields

    @extend_schema_field(TargetFieldsSerializer)
    def get_target(self, indicator: DepartmentIndicator) -> dict[str, Any]:
        return target_fields(indicator)

    @extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
    def get_weight(self, indicator: DepartmentIndicator) -> str | None:
        return _weight(indicator.weight)

    @extend_schema_field(
        {"type": "string", "enum": list(DEPARTMENT_METRIC_LABELS), "nullable": True}
    )
    def get_metric(self, indicator: DepartmentIndicator) -> str | None:
        return indicator.metric or None

    def get_metric_label(self, indicator: DepartmentIndicator) -> str:
        return DEPARTMENT_METRIC_LABELS.get(indicator.metric, "")


class DepartmentGoalSerializer(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code", read_only=True)
    division_code = serializers.CharField(source="department.division.code", read_only=True)
    project_codes = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="主要任务对应的项目编码"
    )

    class Meta:
        model = DepartmentGoal
        fields = [
            "id",
            "department",
            "department_code",
            "division_code",
            "year",
            "category",
            "order",
            "name",
            "content",
            "project_codes",
        ]
        read_only_fields = fields
