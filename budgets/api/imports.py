"""Workbook imports over HTTP: the import page's code path (budgets.services' import jobs,
the page's upload form), its jobs pollable while a Celery worker runs a large file."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from budgets.filters import ImportJobFilterSet
from budgets.forms import ImportUploadForm
from budgets.importer import Problem, group_problems
from budgets.models import ImportJob
from budgets.rates import format_rate
from budgets.services import (
    ImportQueueUnavailable,
    import_job_confirm,
    import_job_create,
    import_job_interrupted,
    import_job_rows_done,
    import_job_start,
)
from budgets.views.imports import IMPORT_NOT_CONFIRMABLE

from .common import DetailMixin
from .fields import StrictBooleanField, StrictSerializerMixin
from .schema import ErrorSerializer, with_errors


class ImportUploadSerializer(StrictSerializerMixin, serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the page's form words the empty-file refusal like the others
        help_text="工作簿（.xlsx），格式同导入页面与导入模板",
    )
    dry_run = StrictBooleanField(
        required=False,
        default=True,
        help_text="true（缺省）：只校验，不写入，之后可用 confirm 确认导入；false：直接导入"
        "（同样先校验全部数据，有任何问题则不写入）",
    )
    background = StrictBooleanField(
        required=False,
        default=False,
        help_text="后台导入（大文件自动转入后台）：任务先为 pending，轮询任务详情查看进度",
    )


class ImportProblemSerializer(serializers.Serializer):
    sheet = serializers.CharField(allow_null=True, help_text="工作表；文件本身的问题为 null")
    row = serializers.IntegerField(allow_null=True, help_text="Excel 行号")
    column = serializers.CharField(allow_null=True, help_text="列名")
    message = serializers.CharField(help_text="问题说明")


class ImportCountSerializer(serializers.Serializer):
    entity = serializers.CharField(help_text="数据种类，如 项目、支出")
    action = serializers.ChoiceField(
        choices=[("created", "新增"), ("updated", "更新"), ("unchanged", "未变")]
    )
    count = serializers.IntegerField()


class ImportSampleSerializer(serializers.Serializer):
    entity = serializers.CharField(help_text="数据种类")
    action = serializers.ChoiceField(choices=[("created", "新增"), ("updated", "更新")])
    label = serializers.CharField(help_text="该行数据")
    changes = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True)),
        help_text="[字段, 原值, 新值]，新增时原值为空",
    )


class ImportJobSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    finished = serializers.BooleanField(read_only=True, help_text="已完成或未通过")
    interrupted = serializers.SerializerMethodField(help_text="后台任务超时未完成（已中断）")
    rows_done = serializers.SerializerMethodField(help_text="已读取的数据行数（进行中时实时）")
    percent = serializers.SerializerMethodField(help_text="进度（%）；未知时为 null")
    counts = serializers.SerializerMethodField(help_text="各种数据新增、更新、未变的数量")
    problems = serializers.SerializerMethodField(help_text="发现的全部问题，逐条")
    problem_lines = serializers.SerializerMethodField(
        help_text="问题按工作表、列和消息合并后的文字（与页面相同）"
    )
    samples = ImportSampleSerializer(many=True, read_only=True, help_text="新增和更新的样例行")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "token",
            "original_name",
            "size",
            "status",
            "status_label",
            "dry_run",
            "background",
            "finished",
            "interrupted",
            "rows_done",
            "rows_total",
            "percent",
            "summary",
            "counts",
            "problems",
            "problem_lines",
            "samples",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_interrupted(self, job: ImportJob) -> bool:
        return import_job_interrupted(job)

    def get_rows_done(self, job: ImportJob) -> int:
        return import_job_rows_done(job)

    @extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
    def get_percent(self, job: ImportJob) -> str | None:
        if job.finished:
            return format_rate(Decimal(100))
        if not job.rows_total:
            return None
        done = min(import_job_rows_done(job), job.rows_total)
        return format_rate(Decimal(done * 100) / Decimal(job.rows_total))

    @extend_schema_field(ImportCountSerializer(many=True))
    def get_counts(self, job: ImportJob) -> list[dict]:
        return [{"entity": e, "action": a, "count": n} for e, a, n in job.counts]

    @extend_schema_field(ImportProblemSerializer(many=True))
    def get_problems(self, job: ImportJob) -> list[dict]:
        return [_problem(item).as_json() for item in job.problems]

    def get_problem_lines(self, job: ImportJob) -> list[str]:
        return group_problems(
            Problem.from_json(item) if isinstance(item, dict) else str(item)
            for item in job.problems
        )


def _problem(item: dict | str) -> Problem:
    """A stored problem; a text (the job's own failure, or an old job's) concerns the file."""
    return Problem.from_json(item) if isinstance(item, dict) else Problem(None, None, None, item)


class QueueUnavailable(exceptions.APIException):
    """503: the broker (Redis) cannot take a background job; the job is stored as failed."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"
    # DRF's handler turns `wait` into Retry-After.
    wait = 60


QUEUE_UNAVAILABLE_RESPONSE = {
    503: OpenApiResponse(
        ErrorSerializer,
        description="后台任务服务暂不可用（消息队列无法连接）：后台任务未能开始，已记为未通过；"
        "稍后重新上传（或重新校验后确认）",
    )
}


def _start(job: ImportJob) -> None:
    try:
        import_job_start(job=job)
    except ImportQueueUnavailable as exc:
        # A list: the error body carries it in errors.non_field_errors, as the pages' form does.
        raise QueueUnavailable([str(exc)]) from exc


JOB_FIELDS = (
    "任务的状态（pending 等待中、running 进行中、done 已完成、failed 未通过）、进度、"
    "各类数据的新增/更新数量、样例和问题清单。"
)


@extend_schema_view(
    list=extend_schema(
        summary="我的导入任务",
        description="当前用户上传的工作簿导入任务，最新的在前（与导入页面相同，只列自己的）。",
        responses=with_errors({200: ImportJobSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="导入任务详情（轮询进度）",
        description=JOB_FIELDS + "后台任务进行中时轮询本接口，直到 finished 为 true。"
        "其他用户的任务回答404。",
        responses=with_errors({200: ImportJobSerializer}, 404),
    ),
    create=extend_schema(
        summary="上传工作簿导入",
        description="multipart/form-data 上传 .xlsx（字段 file），与导入页面同一流程：先全部校验，"
        "有任何问题则不写入（全部或全不）。dry_run 为 true（缺省）时只校验，确认无误后调用 "
        "confirm 导入；为 false 时直接导入。小文件当场完成，返回已完成的任务；大文件（或 "
        "background 为 true）交给后台，返回 pending 的任务，轮询任务详情。"
        "文件为空、不是 xlsx、过大时回答400；后台任务交不出去（消息队列无法连接）时回答503，"
        "任务记为未通过。",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            **with_errors({201: ImportJobSerializer}, 400, 415),
            **QUEUE_UNAVAILABLE_RESPONSE,
        },
    ),
    confirm=extend_schema(
        summary="确认导入（校验通过的任务）",
        description="把校验通过（dry_run 且已完成、没有问题）的任务转为正式导入，与导入页面的"
        "“确认导入”相同；任务未通过校验或已导入时回答400；后台导入交不出去（消息队列无法连接）"
        "时回答503，任务记为未通过，需重新上传。",
        request=None,
        responses={
            **with_errors({200: ImportJobSerializer}, 400, 404),
            **QUEUE_UNAVAILABLE_RESPONSE,
        },
    ),
)
class ImportJobViewSet(DetailMixin, viewsets.GenericViewSet):
    serializer_class = ImportJobSerializer
    filterset_class = ImportJobFilterSet
    parser_classes = [MultiPartParser]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema has no user to ask
            return ImportJob.objects.none()
        # Only one's own uploads, as on the import page (admins included).
        return ImportJob.objects.filter(user=self.request.user)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request, *args, **kwargs):
        context = self.get_serializer_context()
        serializer = ImportUploadSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The page's own form: the same size limit and the same refusals of what is no xlsx.
        form = ImportUploadForm(
            data={"background": "on" if data["background"] else ""},
            files={"file": data["file"]},
        )
        if not form.is_valid():
            raise serializers.ValidationError({k: list(v) for k, v in form.errors.items()})
        job = import_job_create(
            user=request.user,
            upload=form.cleaned_data["file"],
            background=form.cleaned_data["background"],
        )
        if not data["dry_run"]:
            # The job is created as a dry run (the page confirms it later); this one is the
            # import itself, which validates everything first just the same.
            ImportJob.objects.filter(pk=job.pk).update(dry_run=False)
            job.dry_run = False
        _start(job)
        job.refresh_from_db()
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, JSONParser])
    def confirm(self, request, *args, **kwargs):
        job = self.get_object()
        try:
            confirmed = import_job_confirm(job=job, user=request.user)
        except ImportQueueUnavailable as exc:
            raise QueueUnavailable([str(exc)]) from exc
        if not confirmed:
            raise serializers.ValidationError([IMPORT_NOT_CONFIRMABLE])
        job.refresh_from_db()
        return Response(self.get_serializer(job).data)
