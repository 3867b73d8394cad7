"""Units, projects with their budget figures as of a date, and the nightly rate snapshots
(all read-only: projects and units come from the workbook import)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from budgets.choices import Warning, warning_label
from budgets.filters import (
    DepartmentSnapshotFilterSet,
    ProjectFilterSet,
    ProjectSnapshotFilterSet,
    UnitFilterSet,
)
from budgets.models import DepartmentRateSnapshot, Project, ProjectRateSnapshot, Unit
from budgets.params import BadParameter, parse_date
from budgets.rates import BudgetFigures, time_progress
from budgets.selectors import default_as_of, project_figures, warning_thresholds
from budgets.views.projects import AS_OF_OUTSIDE_PROJECT_YEAR

from .base import ScopedMixin
from .common import DetailMixin, FilterSetMixin
from .fields import RateField, TotalField
from .schema import AS_OF_PARAMETER, with_errors

# --- units ------------------------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code", read_only=True)
    division_code = serializers.CharField(source="department.division.code", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "department", "department_code", "division_code", "code", "name"]


@extend_schema_view(
    list=extend_schema(
        summary="单位列表",
        description="用户可访问部门的预算单位，可按区划、部门、单位编码筛选或搜索。",
        responses=with_errors({200: UnitSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="单位详情",
        description="一个预算单位；其他部门的单位回答404。",
        responses=with_errors({200: UnitSerializer}, 404),
    ),
)
class UnitViewSet(DetailMixin, ScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    ordering_fields = ["code", "name"]
    ordering = ["department__division__code", "department__code", "code", "pk"]

    def get_queryset(self):
        return self.scoped(Unit.objects.select_related("department__division"))


# --- projects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFigures:
    """A project's figures as of one date, as the list and the project page show them."""

    as_of: date
    time_progress: Decimal
    budget: BudgetFigures
    warning: str | None

    @property
    def initial(self) -> Decimal:
        return self.budget.initial

    @property
    def adjusted(self) -> Decimal:
        return self.budget.adjusted

    @property
    def executed(self) -> Decimal:
        return self.budget.executed

    @property
    def policy(self) -> Decimal:
        return self.budget.policy

    @property
    def execution_rate(self) -> Decimal | None:
        return self.budget.execution_rate

    @property
    def adjustment_rate(self) -> Decimal | None:
        return self.budget.adjustment_rate

    @property
    def carryover_rate(self) -> Decimal | None:
        return self.budget.carryover_rate

    @property
    def warning_label(self) -> str:
        return warning_label(self.warning)


def attach_figures(projects: Iterable[Project], as_of_of: Callable[[Project], date]) -> None:
    """Set `figures` on each project: its figures as of its date, through
    budgets.selectors.project_figures (three queries per distinct date, plus one)."""
    by_date: dict[date, list[Project]] = defaultdict(list)
    for project in projects:
        by_date[as_of_of(project)].append(project)
    if not by_date:
        return
    thresholds = warning_thresholds()
    for as_of, members in by_date.items():
        figures = project_figures(Project.objects.filter(pk__in=[p.pk for p in members]), as_of)
        progress = time_progress(as_of)
        for project in members:
            budget = figures[project.pk]
            project.figures = ProjectFigures(
                as_of, progress, budget, budget.warning(progress, thresholds)
            )


class ProjectSerializer(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    division_code = serializers.CharField(source="department.division.code", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    type = serializers.CharField(help_text="项目类型：特定目标类、其他运转类，或空", read_only=True)
    initial_budget = TotalField(help_text="年初预算（万元）")
    carryover = TotalField(help_text="上年结转（万元）")
    special_account_funds = TotalField(help_text="财政专户管理资金（万元）")
    unit_funds = TotalField(help_text="单位资金（万元）")
    targets_locked = serializers.BooleanField(
        read_only=True, help_text="绩效自评已提交，目标已锁定"
    )
    as_of = serializers.DateField(source="figures.as_of", read_only=True, help_text="截至日期")
    time_progress = RateField(source="figures.time_progress", help_text="截至日期的序时进度（%）")
    initial = TotalField(source="figures.initial", help_text="年初预算数 = 年初预算 + 上年结转")
    adjusted = TotalField(source="figures.adjusted", help_text="全年预算数（截至日期前的调整）")
    executed = TotalField(source="figures.executed", help_text="执行数（截至日期前的支出）")
    policy_adjusted = TotalField(source="figures.policy", help_text="其中政策性调整（万元）")
    execution_rate = RateField(source="figures.execution_rate", help_text="预算执行率（%）")
    adjustment_rate = RateField(
        source="figures.adjustment_rate", help_text="预算调整率（%，不含政策性调整）"
    )
    carryover_rate = RateField(source="figures.carryover_rate", help_text="结转结余率（%）")
    warning = serializers.ChoiceField(
        source="figures.warning",
        choices=Warning.choices,
        allow_null=True,
        read_only=True,
        help_text="执行进度预警：green 正常、yellow 黄色、red 红色、over 超支；无预算为 null",
    )
    warning_label = serializers.CharField(source="figures.warning_label", read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "year",
            "code",
            "name",
            "type",
            "department",
            "department_code",
            "department_name",
            "division_code",
            "unit",
            "unit_code",
            "unit_name",
            "initial_budget",
            "carryover",
            "special_account_funds",
            "unit_funds",
            "targets_locked",
            "as_of",
            "time_progress",
            "initial",
            "adjusted",
            "executed",
            "policy_adjusted",
            "execution_rate",
            "adjustment_rate",
            "carryover_rate",
            "warning",
            "warning_label",
        ]
        read_only_fields = fields


PROJECT_LIST_DESCRIPTION = (
    "用户可查看的项目及其截至某日的预算数与比率（年初预算数、全年预算数、执行数、执行率、"
    "调整率、结转结余率、预警），与项目列表页相同的筛选：年度、区划、部门、项目类型、编码、"
    "搜索、预警；as_of 缺省时每个项目按其年度取默认截至日期（当年为今天，过去的年度为12月31日）。"
    "排序 ordering 与列表页的列相同，无预算的项目总在最后。"
)


@extend_schema_view(
    list=extend_schema(
        summary="项目列表（含预算执行情况）",
        description=PROJECT_LIST_DESCRIPTION,
        responses=with_errors({200: ProjectSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="项目详情（含预算执行情况）",
        description="一个项目及其截至 as_of 的预算数与比率；as_of 须在项目年度内。"
        "其他部门的项目回答404。",
        parameters=[AS_OF_PARAMETER],
        responses=with_errors({200: ProjectSerializer}, 400, 404),
    ),
)
class ProjectViewSet(FilterSetMixin, DetailMixin, ScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet

    def get_queryset(self):
        return self.scoped(Project.objects.select_related("department__division", "unit"))

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        attach_figures(page, self.filterset.as_of_of)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        try:
            chosen = parse_date(request.query_params.get("as_of"), label="截至日期")
        except BadParameter as exc:
            raise serializers.ValidationError({"as_of": [exc.message]}) from None
        if chosen is not None and chosen.year != project.year:
            message = AS_OF_OUTSIDE_PROJECT_YEAR.format(year=project.year)
            raise serializers.ValidationError({"as_of": [message]})
        today = timezone.localdate()
        attach_figures([project], lambda p: chosen or default_as_of(p.year, today))
        return Response(self.get_serializer(project).data)


# --- rate snapshots ---------------------------------------------------------------------------


class SnapshotWarningField(serializers.ChoiceField):
    """A stored warning; "" (no budget) is shown as null."""

    def __init__(self, **kwargs):
        super().__init__(choices=Warning.choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return value or None


class ProjectSnapshotSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    year = serializers.IntegerField(source="project.year", read_only=True)
    department = serializers.IntegerField(source="project.department_id", read_only=True)
    initial = TotalField(help_text="年初预算数（万元）")
    adjusted = TotalField(help_text="全年预算数（万元）")
    executed = TotalField(help_text="执行数（万元）")
    execution_rate = RateField(help_text="预算执行率（%）")
    adjustment_rate = RateField(help_text="预算调整率（%）")
    carryover_rate = RateField(help_text="结转结余率（%）")
    warning = SnapshotWarningField(help_text="执行进度预警；无预算为 null")

    class Meta:
        model = ProjectRateSnapshot
        fields = [
            "id",
            "project",
            "project_code",
            "year",
            "department",
            "as_of",
            "initial",
            "adjusted",
            "executed",
            "execution_rate",
            "adjustment_rate",
            "carryover_rate",
            "warning",
            "computed_at",
        ]
        read_only_fields = fields


class DepartmentSnapshotSerializer(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code", read_only=True)
    division_code = serializers.CharField(source="department.division.code", read_only=True)
    initial = TotalField(help_text="年初预算数（万元，含基本支出）")
    adjusted = TotalField(help_text="全年预算数（万元）")
    executed = TotalField(help_text="执行数（万元）")
    execution_rate = RateField(help_text="预算执行率（%）")
    adjustment_rate = RateField(help_text="预算调整率（%）")
    carryover_rate = RateField(help_text="结转结余率（%）")
    three_public_control_rate = RateField(help_text="“三公经费”控制率（%）")
    procurement_execution_rate = RateField(help_text="政府采购执行率（%）")
    warning = SnapshotWarningField(help_text="执行进度预警；无预算为 null")

    class Meta:
        model = DepartmentRateSnapshot
        fields = [
            "id",
            "department",
            "department_code",
            "division_code",
            "year",
            "as_of",
            "initial",
            "adjusted",
            "executed",
            "execution_rate",
            "adjustment_rate",
            "carryover_rate",
            "three_public_control_rate",
            "procurement_execution_rate",
            "warning",
            "computed_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="项目执行快照列表",
        description="每晚计算并保存的项目预算数与比率（按截至日期），只读。",
        responses=with_errors({200: ProjectSnapshotSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="项目执行快照详情",
        description="一条项目执行快照；其他部门的回答404。",
        responses=with_errors({200: ProjectSnapshotSerializer}, 404),
    ),
)
class ProjectSnapshotViewSet(DetailMixin, ScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSnapshotSerializer
    filterset_class = ProjectSnapshotFilterSet
    department_field = "project__department"
    ordering_fields = ["as_of", "execution_rate", "project__code"]
    ordering = ["-as_of", "project__code", "pk"]

    def get_queryset(self):
        return self.scoped(ProjectRateSnapshot.objects.select_related("project"))


@extend_schema_view(
    list=extend_schema(
        summary="部门执行快照列表",
        description="每晚计算并保存的部门预算数与比率（按年度、截至日期），只读。",
        responses=with_errors({200: DepartmentSnapshotSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="部门执行快照详情",
        description="一条部门执行快照；其他部门的回答404。",
        responses=with_errors({200: DepartmentSnapshotSerializer}, 404),
    ),
)
class DepartmentSnapshotViewSet(DetailMixin, ScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DepartmentSnapshotSerializer
    filterset_class = DepartmentSnapshotFilterSet
    ordering_fields = ["as_of", "year", "execution_rate", "department__code"]
    ordering = ["-as_of", "department__division__code", "department__code", "pk"]

    def get_queryset(self):
        return self.scoped(DepartmentRateSnapshot.objects.select_related("department__division"))
