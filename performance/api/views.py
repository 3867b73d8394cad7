"""API resources of the performance app: project indicators (written through performance.services,
as on the target page), the target review of each project, a department's own targets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.response import Response

from budgets.access import STATEMENTS
from budgets.api.base import ScopedMixin
from budgets.api.common import DetailMixin, FilterSetMixin
from budgets.api.schema import with_errors
from budgets.models import Project
from budgets.selectors import default_as_of

from ..filters import (
    REVIEW_FAILED,
    REVIEW_PASSED,
    REVIEW_WARNED,
    DepartmentGoalFilterSet,
    DepartmentIndicatorFilterSet,
    IndicatorFilterSet,
    TargetReviewFilterSet,
)
from ..models import DepartmentGoal, DepartmentIndicator, Indicator
from ..review import ReviewResult
from ..selectors import project_reviews
from ..services import (
    INDICATOR_NO_PERMISSION,
    indicator_create,
    indicator_delete,
    indicator_update,
)
from .serializers import (
    DepartmentGoalSerializer,
    DepartmentIndicatorSerializer,
    IndicatorCreateSerializer,
    IndicatorSerializer,
    IndicatorUpdateSerializer,
    TargetReviewSerializer,
)

# --- project indicators ----------------------------------------------------------------------

INDICATOR_RULES = (
    "写权限与页面相同：只有本部门经办人和管理员（财政局审核人回答403）；项目的绩效自评已提交、"
    "目标已锁定时回答400。一级指标下的三级指标不能重复，指标值须能识别（如“≥95%”“12月31日前”）。"
)


@extend_schema_view(
    list=extend_schema(
        summary="绩效指标列表",
        description="用户可查看项目的绩效指标，按项目和填报顺序；可按年度、区划、部门、项目、"
        "一级指标、类型筛选或搜索。",
        responses=with_errors({200: IndicatorSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="绩效指标详情",
        description="一个绩效指标及系统对其指标值的理解；其他部门的回答404。",
        responses=with_errors({200: IndicatorSerializer}, 404),
    ),
    create=extend_schema(
        summary="添加绩效指标",
        description="与项目绩效目标页面相同的服务（performance.services）。" + INDICATOR_RULES,
        request=IndicatorCreateSerializer,
        responses=with_errors({201: IndicatorSerializer}, 400, 403),
    ),
    update=extend_schema(
        summary="修改绩效指标",
        description="修改一个指标的全部字段（项目不变）。" + INDICATOR_RULES,
        request=IndicatorUpdateSerializer,
        responses=with_errors({200: IndicatorSerializer}, 400, 403, 404),
    ),
    partial_update=extend_schema(
        summary="修改绩效指标（部分字段）",
        description="只修改提供的字段（项目不变）。" + INDICATOR_RULES,
        request=IndicatorUpdateSerializer,
        responses=with_errors({200: IndicatorSerializer}, 400, 403, 404),
    ),
    destroy=extend_schema(
        summary="删除绩效指标",
        description="删除一个指标（审计记录保留删除人）；目标已锁定时回答400。",
        responses=with_errors({204: OpenApiResponse(description="已删除")}, 400, 403, 404),
    ),
)
class IndicatorViewSet(DetailMixin, ScopedMixin, viewsets.ModelViewSet):
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    department_field = "project__department"
    write_action = STATEMENTS
    ordering_fields = ["position", "level1", "name"]
    ordering = ["project__year", "project__code", "position", "pk"]

    def get_queryset(self):
        return self.scoped(Indicator.objects.select_related("project__department__division"))

    def _validated(self, serializer_class, *, partial: bool = False) -> dict:
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # The services name the target as written `value`; the API, like the export, `raw`.
        if "raw" in data:
            data["value"] = data.pop("raw")
        return data

    def create(self, request, *args, **kwargs):
        data = self._validated(IndicatorCreateSerializer)
        indicator = indicator_create(user=request.user, **data)
        indicator = self.get_queryset().get(pk=indicator.pk)
        return Response(self.get_serializer(indicator).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs):
        indicator = self.get_object()
        self.check_write(indicator.project.department, INDICATOR_NO_PERMISSION)
        # PATCH keeps what it does not name; PUT names every field, the optional ones
        # left out take their defaults.
        base = {"level2": "", "weight": None, "note": ""}
        if partial:
            base = {
                "level1": indicator.level1,
                "level2": indicator.level2,
                "name": indicator.name,
                "value": indicator.raw,
                "weight": indicator.weight,
                "note": indicator.note,
            }
        data = self._validated(IndicatorUpdateSerializer, partial=partial)
        indicator_update(user=request.user, indicator=indicator, **{**base, **data})
        indicator = self.get_queryset().get(pk=indicator.pk)
        return Response(self.get_serializer(indicator).data)

    def destroy(self, request, *args, **kwargs):
        indicator = self.get_object()
        self.check_write(indicator.project.department, INDICATOR_NO_PERMISSION)
        indicator_delete(user=request.user, indicator=indicator)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- target review ---------------------------------------------------------------------------


def reviews_of(projects: Iterable[Project], today: date) -> dict[int, tuple[date, ReviewResult]]:
    """The target review of each project against its 全年预算数 as of its year's default date,
    as the review page computes it (a fixed number of queries per year)."""
    by_year: dict[int, list[int]] = defaultdict(list)
    for project in projects:
        by_year[project.year].append(project.pk)
    result = {}
    for year, ids in by_year.items():
        as_of = default_as_of(year, today)
        reviews = project_reviews(Project.objects.filter(pk__in=ids), as_of)
        result.update({pk: (as_of, review) for pk, review in reviews.items()})
    return result


def _problem(problem) -> dict:
    return {
        "code": problem.code,
        "message": problem.message,
        "blocking": problem.blocking,
        "level1": problem.level1,
        "name": problem.name,
    }


def review_entry(project: Project, as_of: date, review: ReviewResult) -> dict:
    return {
        "project": project.pk,
        "year": project.year,
        "code": project.code,
        "name": project.name,
        "department": project.department_id,
        "department_code": project.department.code,
        "division_code": project.department.division.code,
        "as_of": as_of,
        "passed": review.passed,
        "failures": [_problem(p) for p in review.problems if p.blocking],
        "warnings": [_problem(p) for p in review.warnings],
    }


def _matches(review: ReviewResult, chosen: str) -> bool:
    if chosen == REVIEW_PASSED:
        return review.passed
    if chosen == REVIEW_FAILED:
        return not review.passed
    if chosen == REVIEW_WARNED:
        return bool(review.warnings)
    return True


REVIEW_DESCRIPTION = (
    "项目绩效目标的审核结果（与目标审核页面相同）：是否通过、不通过的原因和提示；全年预算数取"
    "项目年度的默认截至日期（当年为今天，过去的年度为12月31日）。"
)


@extend_schema_view(
    list=extend_schema(
        summary="绩效目标审核结果列表",
        description=REVIEW_DESCRIPTION
        + "可按年度、区划、部门、项目、审核结果（passed 通过、failed 未通过、warned 有提示）筛选。",
        responses=with_errors({200: TargetReviewSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="一个项目的绩效目标审核结果",
        description=REVIEW_DESCRIPTION + "id 为项目 id；其他部门的项目回答404。",
        responses=with_errors({200: TargetReviewSerializer}, 404),
    ),
)
class TargetReviewViewSet(FilterSetMixin, DetailMixin, ScopedMixin, viewsets.GenericViewSet):
    serializer_class = TargetReviewSerializer
    filterset_class = TargetReviewFilterSet

    def get_queryset(self):
        return self.scoped(
            Project.objects.select_related("department__division").order_by(
                "department__division__code", "department__code", "code", "pk"
            )
        )

    def list(self, request, *args, **kwargs):
        projects = self.filter_queryset(self.get_queryset())
        chosen = self.filterset.form.cleaned_data.get("status")
        today = timezone.localdate()
        if chosen:
            # The outcome needs every review (a fixed number of queries per year); only the
            # projects of the page are read in full.
            reviews = reviews_of(projects.select_related(None).only("pk", "year"), today)
            ordered = projects.values_list("pk", flat=True)
            listed = [pk for pk in ordered if _matches(reviews[pk][1], chosen)]
            ids = self.paginate_queryset(listed)
            shown = projects.in_bulk(ids)
            page = [shown[pk] for pk in ids]
        else:
            page = self.paginate_queryset(projects)
            reviews = reviews_of(page, today)
        entries = [review_entry(p, *reviews[p.pk]) for p in page]
        return self.get_paginated_response(self.get_serializer(entries, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        as_of, review = reviews_of([project], timezone.localdate())[project.pk]
        return Response(self.get_serializer(review_entry(project, as_of, review)).data)


# --- department targets ----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="部门整体绩效指标列表",
        description="部门整体绩效目标（预算11表）的指标，只读（由部门通过工作簿导入）；"
        "系统计算指标标为 computed。可按年度、区划、部门、一级指标筛选。",
        responses=with_errors({200: DepartmentIndicatorSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="部门整体绩效指标详情",
        description="一个部门整体绩效指标；其他部门的回答404。",
        responses=with_errors({200: DepartmentIndicatorSerializer}, 404),
    ),
)
class DepartmentIndicatorViewSet(DetailMixin, ScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DepartmentIndicatorSerializer
    filterset_class = DepartmentIndicatorFilterSet
    ordering_fields = ["year", "position"]
    ordering = ["department__division__code", "department__code", "year", "position", "pk"]

    def get_queryset(self):
        return self.scoped(DepartmentIndicator.objects.select_related("department__division"))


@extend_schema_view(
    list=extend_schema(
        summary="部门年度履职目标和主要任务列表",
        description="部门的年度履职目标与年度主要任务（预算11表），只读；可按年度、区划、部门、"
        "类别筛选。",
        responses=with_errors({200: DepartmentGoalSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="部门年度目标或任务详情",
        description="一个年度履职目标或主要任务；其他部门的回答404。",
        responses=with_errors({200: DepartmentGoalSerializer}, 404),
    ),
)
class DepartmentGoalViewSet(DetailMixin, ScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DepartmentGoalSerializer
    filterset_class = DepartmentGoalFilterSet
    ordering_fields = ["year", "order"]
    ordering = ["department__division__code", "department__code", "year", "category", "order"]

    def get_queryset(self):
        return self.scoped(DepartmentGoal.objects.select_related("department__division"))


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("indicators", IndicatorViewSet, basename="indicator")
    router.register("target-reviews", TargetReviewViewSet, basename="target-review")
    router.register(
        "department-indicators", DepartmentIndicatorViewSet, basename="department-indicator"
    )
    router.register("department-goals", DepartmentGoalViewSet, basename="department-goal")


@extend_schema_view(
    retrieve=extend_schema(
        summary="项目的绩效目标审核结果",
        description=REVIEW_DESCRIPTION
        + "与 /api/target-reviews/{id}/ 相同，放在项目旁边；其他部门的项目回答404。",
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH, description="项目 id")],
        responses=with_errors({200: TargetReviewSerializer}, 404),
    ),
)
class ProjectReviewView(TargetReviewViewSet):
    """A project's review where one looks for it: beside the project."""


urlpatterns = [
    path(
        "projects/<str:pk>/review/",
        ProjectReviewView.as_view({"get": "retrieve"}),
        name="project-review",
    ),
]
