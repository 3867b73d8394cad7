"""Exports over HTTP: a fiscal year as the JSON document (docs/export-json.md) or as the
re-importable workbook, of what the user may read; and the official tables 预算11表/12表."""

from __future__ import annotations

import io
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from budgets.access import covers_division
from budgets.choices import Warning
from budgets.export import build_export
from budgets.exporter import write_workbook
from budgets.filters import DIVISION_PATTERN
from budgets.forms import AS_OF_OUTSIDE_YEAR
from budgets.models import Division
from budgets.params import BadParameter, parse_date, parse_division, parse_year
from budgets.selectors import default_as_of, division_by_code

from .base import NOT_FOUND
from .common import check_single_values
from .schema import AS_OF_PARAMETER, YEAR_SCHEMA, ApiSchema, with_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FILENAME = "{year}年预算绩效数据（截至{as_of}）.xlsx"
YEAR_REQUIRED = "请提供年度（year），如 2024"
BAD_FORMAT = "格式“{value}”无效，应为 json 或 xlsx"
FORMATS = ("json", "xlsx")


def query_param(request, name: str, parse, **kwargs) -> Any:
    """A query parameter read through budgets.params: a bad one is a 400 naming it."""
    try:
        return parse(request.query_params.get(name), **kwargs)
    except BadParameter as exc:
        raise exceptions.ValidationError({name: [exc.message]}) from None


class FileView(APIView):
    """A download: the file itself, or the JSON error body (never a renderer picked by
    ?format=, which names the export's format here)."""

    renderer_classes = [JSONRenderer]
    schema = ApiSchema()

    def perform_content_negotiation(self, request, force=False):
        return (JSONRenderer(), JSONRenderer.media_type)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_single_values(request)


def xlsx_attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- the JSON and xlsx export ---------------------------------------------------------------


# The export's `budget` object: amounts and rates as strings.
class ExportBudgetSerializer(serializers.Serializer):
    initial = serializers.CharField(help_text="年初预算数（万元）")
    adjusted = serializers.CharField(help_text="全年预算数（万元）")
    executed = serializers.CharField(help_text="执行数（万元）")
    execution_rate = serializers.CharField(allow_null=True, help_text="预算执行率（%）")
    adjustment_rate = serializers.CharField(allow_null=True, help_text="预算调整率（%）")
    carryover_rate = serializers.CharField(allow_null=True, help_text="结转结余率（%）")
    warning = serializers.ChoiceField(
        choices=Warning.choices, allow_null=True, help_text="执行进度预警；无预算为 null"
    )


class ExportReportBudgetSerializer(ExportBudgetSerializer):
    time_progress = serializers.CharField(help_text="轮次截至日期的序时进度（%）")


class ExportActualSerializer(serializers.Serializer):
    stage = serializers.CharField(help_text="运行监控或绩效自评")
    as_of = serializers.DateField()
    value = serializers.CharField(allow_null=True)
    raw = serializers.CharField(allow_blank=True)
    completion = serializers.CharField(allow_null=True)
    score = serializers.CharField(allow_null=True)


class ExportTargetFields(serializers.Serializer):
    level1 = serializers.CharField()
    level2 = serializers.CharField(allow_blank=True)
    name = serializers.CharField()
    raw = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    comparator = serializers.CharField(allow_null=True)
    value = serializers.CharField(allow_null=True)
    upper = serializers.CharField(allow_null=True)
    unit = serializers.CharField(allow_null=True)
    weight = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    actual = ExportActualSerializer(allow_null=True)


class ExportIndicatorSerializer(ExportTargetFields):
    pass


class ExportDepartmentTargetSerializer(ExportTargetFields):
    computed = serializers.BooleanField()
    metric = serializers.CharField(allow_null=True)


class ExportMonitoringSerializer(serializers.Serializer):
    status = serializers.CharField()
    as_of = serializers.DateField()
    deviations = serializers.IntegerField()
    target_light = serializers.CharField(allow_null=True)
    budget_warning = serializers.CharField(allow_null=True)
    budget = ExportReportBudgetSerializer()


class ExportSelfEvaluationSerializer(serializers.Serializer):
    status = serializers.CharField()
    score = serializers.CharField(allow_null=True)
    grade = serializers.CharField(allow_null=True)
    execution_score = serializers.CharField(allow_null=True)
    budget = ExportReportBudgetSerializer()


class ExportDivisionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ExportGoalSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)


class ExportTaskSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    content = serializers.CharField(allow_blank=True)
    projects = serializers.ListField(child=serializers.CharField())


class ExportDepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    division = ExportDivisionSerializer()
    budget = ExportBudgetSerializer()
    three_public_control_rate = serializers.CharField(allow_null=True)
    procurement_execution_rate = serializers.CharField(allow_null=True)
    target_completion_rate = serializers.CharField(allow_null=True)
    monitoring_completion_rate = serializers.CharField(allow_null=True)
    self_evaluation_completion_rate = serializers.CharField(allow_null=True)
    targets = ExportDepartmentTargetSerializer(many=True)
    goals = ExportGoalSerializer(many=True)
    tasks = ExportTaskSerializer(many=True)
    monitoring = ExportMonitoringSerializer(allow_null=True)
    self_evaluation = ExportSelfEvaluationSerializer(allow_null=True)


class ExportProjectSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    department_code = serializers.CharField()
    division_code = serializers.CharField()
    unit_code = serializers.CharField()
    type = serializers.CharField(allow_null=True)
    budget = ExportBudgetSerializer()
    indicators = ExportIndicatorSerializer(many=True)
    monitoring = ExportMonitoringSerializer(allow_null=True)
    self_evaluation = ExportSelfEvaluationSerializer(allow_null=True)


# The JSON export (docs/export-json.md).
class ExportDocumentSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    as_of = serializers.DateField()
    time_progress = serializers.CharField()
    departments = ExportDepartmentSerializer(many=True)
    projects = ExportProjectSerializer(many=True)


FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=list(FORMATS), description="json（缺省）：JSON 文档；xlsx：可再导入的工作簿"
)


class ExportView(FileView):
    @extend_schema(
        summary="导出一个年度（JSON 或 xlsx）",
        description="与命令 export_workbook 相同的导出（docs/export-json.md），但只含用户可查看的"
        "部门和项目。format=json 返回 JSON 文档；format=xlsx 下载导入工作簿格式的文件，可原样"
        "再导入。division 只导出恰好属于该区划的部门（不含下级区划）；不覆盖的区划回答404。",
        parameters=[
            OpenApiParameter("year", YEAR_SCHEMA, required=True, description="预算年度（必填）"),
            AS_OF_PARAMETER,
            FORMAT_PARAMETER,
            OpenApiParameter(
                "division",
                {"type": "string", "pattern": DIVISION_PATTERN},
                description="区划编码（6位）",
            ),
        ],
        responses=with_errors(
            {
                (200, "application/json"): OpenApiResponse(
                    ExportDocumentSerializer, description="JSON 导出文档"
                ),
                (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="xlsx 工作簿"),
            },
            400,
            404,
        ),
    )
    def get(self, request):
        year = query_param(request, "year", parse_year)
        if year is None:
            raise exceptions.ValidationError({"year": [YEAR_REQUIRED]})
        as_of = query_param(request, "as_of", parse_date, label="截至日期")
        if as_of is not None and as_of.year != year:
            raise exceptions.ValidationError({"as_of": [AS_OF_OUTSIDE_YEAR.format(year=year)]})
        chosen = request.query_params.get("format") or "json"
        if chosen not in FORMATS:
            message = BAD_FORMAT.format(value=chosen[:20])
            raise exceptions.ValidationError({"format": [message]})
        division = self._division(request)
        if chosen == "json":
            document = build_export(year=year, as_of=as_of, user=request.user, division=division)
            return Response(document)
        buffer = io.BytesIO()
        write_workbook(buffer, year=year, as_of=as_of, user=request.user, division=division)
        shown = (as_of or default_as_of(year)).isoformat()
        return xlsx_attachment(buffer.getvalue(), EXPORT_FILENAME.format(year=year, as_of=shown))

    def _division(self, request) -> Division | None:
        code = query_param(request, "division", parse_division)
        if code is None:
            return None
        try:
            division = division_by_code(code)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"division": exc.messages}) from None
        if not covers_division(request.user, division):
            raise exceptions.NotFound(NOT_FOUND)
        return division
