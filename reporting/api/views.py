"""API resources of the reporting app: the official tables 预算11表 and 预算12表 as xlsx, as
the reporting pages download them (registered in config/api.py)."""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions

from budgets.access import restrict
from budgets.api.base import NOT_FOUND
from budgets.api.exports import XLSX, FileView, query_param, xlsx_attachment
from budgets.api.schema import YEAR_SCHEMA, with_errors
from budgets.models import Department, Project
from budgets.params import BadParameter, find_department, parse_year

from ..selectors import departments_with_data
from ..tables import TABLE_11_FILENAME, TABLE_12_FILENAME, table_11, table_12

TABLES = {
    "11": (table_11, TABLE_11_FILENAME),
    "12": (table_12, TABLE_12_FILENAME),
}


class TableView(FileView):
    """预算11表 or 预算12表 of a year as xlsx, as the reporting pages download them."""

    table = "11"

    def get(self, request):
        projects = restrict(Project.objects.all(), request.user)
        years = projects.order_by("-year").values_list("year", flat=True).distinct()
        year = query_param(request, "year", parse_year)
        if year is None:
            year = next(iter(years), None) or timezone.localdate().year
        visible = restrict(
            Department.objects.select_related("division").order_by("division__code", "code"),
            request.user,
            department_field="pk",
        )
        departments = list(visible)
        text = (request.query_params.get("department") or "").strip()
        if text:
            try:
                chosen = find_department(text, departments)
            except BadParameter as exc:
                raise exceptions.ValidationError({"department": [exc.message]}) from None
            if chosen is None:
                raise exceptions.NotFound(NOT_FOUND)
            departments = [chosen]
        else:
            departments = departments_with_data(year, visible) or departments
        build, filename = TABLES[self.table]
        return xlsx_attachment(
            build(year=year, departments=departments), filename.format(year=year)
        )


TABLE_PARAMETERS = [
    OpenApiParameter("year", YEAR_SCHEMA, description="预算年度；缺省为有项目的最近年度"),
    OpenApiParameter(
        "department",
        str,
        description="部门：“区划编码/部门编码”或部门编码；缺省为用户可查看的、当年有数据的全部部门",
    ),
]
TABLE_RESPONSES = with_errors(
    {(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="xlsx 文件")}, 400, 404
)


class Table11View(TableView):
    table = "11"

    @extend_schema(
        summary="下载预算11表（部门整体绩效目标表）",
        description="与报表页面相同的 xlsx，每个部门一个工作表；其他部门回答404，部门编码在多个"
        "区划都有时回答400（请写成“区划编码/部门编码”）。",
        parameters=TABLE_PARAMETERS,
        responses=TABLE_RESPONSES,
    )
    def get(self, request):
        return super().get(request)


class Table12View(TableView):
    table = "12"

    @extend_schema(
        summary="下载预算12表（部门预算项目绩效目标汇总表）",
        description="与报表页面相同的 xlsx；其他部门回答404，部门编码在多个区划都有时回答400。",
        parameters=TABLE_PARAMETERS,
        responses=TABLE_RESPONSES,
    )
    def get(self, request):
        return super().get(request)


def register(router) -> None:
    """No viewsets: the tables are plain downloads (urlpatterns below)."""


urlpatterns = [
    path("tables/11/", Table11View.as_view(), name="api-table-11"),
    path("tables/12/", Table12View.as_view(), name="api-table-12"),
]
