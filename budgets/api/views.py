"""API resources of the budgets app: 区划 and departments here, the rest from the other modules
of this package; every queryset goes through budgets/access.py."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from budgets.access import covered_division_filter
from budgets.models import Department, Division

from .base import ScopedMixin
from .exports import ExportView
from .imports import ImportJobViewSet
from .money import AdjustmentViewSet, PaymentViewSet
from .projects import (
    DepartmentSnapshotViewSet,
    ProjectSnapshotViewSet,
    ProjectViewSet,
    UnitViewSet,
)
from .schema import with_errors


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["id", "code", "name", "level", "parent"]


class DepartmentSerializer(serializers.ModelSerializer):
    division_code = serializers.CharField(source="division.code", read_only=True)
    ref = serializers.CharField(read_only=True, help_text="区划/部门编码，如 410700/309")

    class Meta:
        model = Department
        fields = ["id", "division", "division_code", "code", "name", "ref"]


@extend_schema_view(
    list=extend_schema(
        summary="区划列表",
        description="用户可访问的区划（审核人所覆盖的、经办人所在部门的）。",
        responses=with_errors({200: DivisionSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="区划详情",
        description="一个区划；不在用户查看范围内的回答404。",
        responses=with_errors({200: DivisionSerializer}, 404),
    ),
)
class DivisionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DivisionSerializer
    filterset_fields = ["code", "level", "parent"]
    ordering_fields = ["code"]
    ordering = ["code"]

    def get_queryset(self):
        condition = covered_division_filter(self.request.user, "")
        divisions = Division.objects.order_by("code")
        return divisions if condition is None else divisions.filter(condition)


@extend_schema_view(
    list=extend_schema(
        summary="部门列表",
        description="用户可访问的部门。",
        responses=with_errors({200: DepartmentSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="部门详情",
        description="一个部门；其他部门回答404。",
        responses=with_errors({200: DepartmentSerializer}, 404),
    ),
)
class DepartmentViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DepartmentSerializer
    department_field = "pk"
    filterset_fields = {"code": ["exact"], "division": ["exact"], "division__code": ["exact"]}
    ordering_fields = ["code", "name"]
    ordering = ["division__code", "code"]

    def get_queryset(self):
        return self.scoped(Department.objects.select_related("division"))


def register(router) -> None:
    router.register("divisions", DivisionViewSet, basename="division")
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("units", UnitViewSet, basename="unit")
    router.register("projects", ProjectViewSet, basename="project")
    router.register("adjustments", AdjustmentViewSet, basename="adjustment")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("project-snapshots", ProjectSnapshotViewSet, basename="project-snapshot")
    router.register(
        "department-snapshots", DepartmentSnapshotViewSet, basename="department-snapshot"
    )
    router.register("imports", ImportJobViewSet, basename="import")


urlpatterns = [
    path("export/", ExportView.as_view(), name="api-export"),
]
