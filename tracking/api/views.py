"""API resources of the tracking app (registered on the router in config/api.py): rounds,
project and department reports with their review workflow, and the user's notifications.

Every read goes through the pages' selectors (rounds_visible, reports_for_user: budgets.access
underneath) and every write through the pages' services, so the API decides nothing of its own:
an object the user may not see is a 404, a step the user may not take a 403, a step the
object's state refuses a 400, and a save or submission at a stale version a 409.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from budgets.access import STATEMENTS, department_ids, may_access_department, may_review
from budgets.api.base import NOT_FOUND
from budgets.models import Division
from budgets.params import BadParameter, parse_id

from ..choices import ReportStatus
from ..compute import reports_evaluate
from ..filters import NotificationFilter, ReportFilter, RoundFilter
from ..models import Notification, Report, ReportIndicator, Round
from ..notifications import notifications_mark_read, round_chase
from ..selectors import (
    may_edit,
    report_indicators,
    report_table,
    reports_for_user,
    round_projects,
    rounds_visible,
)
from ..services import (
    REPORT_NO_PERMISSION,
    REPORT_STALE,
    REVIEW_NO_PERMISSION,
    REVIEW_OWN_REPORT,
    ROUND_CLOSED,
    ROUND_NO_PERMISSION,
    LineInput,
    ReportInput,
    WorkflowError,
    line_set_reviewer_score,
    lines_by_indicator,
    report_approve,
    report_get_or_create,
    report_record_rectification,
    report_require_rectification,
    report_return,
    report_save,
    report_submit,
    round_close,
    round_move_deadline,
    round_reopen,
    rounds_open,
)
from .schema import TrackingAutoSchema, errors
from .serializers import (
    ApproveSerializer,
    ChaseResultSerializer,
    DeadlineSerializer,
    MarkReadResultSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    RectificationRequiredSerializer,
    RectificationResultSerializer,
    ReportDetailSerializer,
    ReportSerializer,
    ReportStartSerializer,
    ReportUpdateSerializer,
    ReturnSerializer,
    ReviewerScoreSerializer,
    RoundOpenSerializer,
    RoundSerializer,
    RoundsOpenedSerializer,
    VersionSerializer,
)

# --- messages -------------------------------------------------------------------------------------
ROUND_OPENED = "已开启{count}个轮次"
ROUND_REOPENED = "轮次已存在，已开放填报并更新截止日期"
DIVISION_UNKNOWN = "区划{division}不存在"
CHASED = "已向{departments}个逾期部门的{count}名经办人发送催办提醒"
CHASED_NOTHING = "没有需要催办的经办人（今日已催办过，或逾期部门没有经办人账号）"
REPORT_START_REFUSED = "只有本部门的单位经办人可以在轮次开放期间开始填报"
ROUND_UNKNOWN = "轮次{round}不存在，或您无权访问"
PROJECT_UNKNOWN = "项目{project}不存在，或不属于该轮次的区划和年度"
LINE_UNKNOWN = "该报告没有编号为{line}的指标行"
COMMENT_BAD_KEY = "意见的键“{key}”无效，应为指标编号"
COMMENT_UNKNOWN = "该报告没有编号为{indicator}的指标"
MARKED_READ = "已将{count}条消息标为已读"

# The message of a stale version (services.REPORT_STALE with any numbers).
STALE = re.compile(
    re.escape(REPORT_STALE)
    .replace(re.escape("{current}"), r"[^，]*")
    .replace(re.escape("{yours}"), r"[^）]*")
)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "报告已被他人修改，请重新读取后再提交"
    default_code = "conflict"


@contextmanager
def stale_is_conflict() -> Iterator[None]:
    """A service's refusal of a stale version becomes a 409 (every other refusal stays 400)."""
    try:
        yield
    except WorkflowError as exc:
        stale = [m for m in exc.messages if STALE.fullmatch(m)]
        if stale:
            raise Conflict(stale[0]) from exc
        raise


class TrackingViewSet(viewsets.GenericViewSet):
    """JSON bodies only; an id in the path that no database key can be (0, -1, 1.5, 30 digits)
    is a 404 like any unknown one."""

    schema = TrackingAutoSchema()
    parser_classes = [JSONParser]
    # Any path segment reaches get_object, so `1.5` is this API's JSON 404, not a page's.
    lookup_value_regex = "[^/]+"

    def get_object(self):
        try:
            pk = parse_id(self.kwargs.get("pk"))
        except BadParameter:
            pk = None
        if pk is None:
            raise exceptions.NotFound(NOT_FOUND)
        return get_object_or_404(self.get_queryset(), pk=pk)

    def body(self, serializer_class, **context):
        """The request body read by the serializer (a 400 with every message when refused)."""
        serializer = serializer_class(
            data=self.request.data, context={**self.get_serializer_context(), **context}
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- rounds -------------------------------------------------------------------------------------


def _require_round_manager(request: Request) -> None:
    if not may_review(request.user):
        raise PermissionDenied(ROUND_NO_PERMISSION)


@extend_schema_view(
    list=extend_schema(
        summary="填报轮次列表",
        description=(
            "用户可见的填报轮次：审核人所覆盖区划的、经办人本部门所在区划的；管理员全部。"
            "可按年度、阶段、区划、是否开放筛选。"
        ),
        responses={200: RoundSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="填报轮次详情",
        description="一个填报轮次；看不到的轮次为 404。",
        responses={200: RoundSerializer, **errors(404)},
    ),
)
class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TrackingViewSet):
    serializer_class = RoundSerializer
    filterset_class = RoundFilter
    ordering_fields = ["year", "as_of", "deadline", "id"]
    ordering = ["-year", "-as_of", "stage", "division__code", "id"]

    def get_queryset(self) -> QuerySet[Round]:
        return rounds_visible(self.request.user)

    def _answer(self, round_: Round) -> Response:
        round_ = get_object_or_404(self.get_queryset(), pk=round_.pk)
        return Response(RoundSerializer(round_).data)

    @extend_schema(
        summary="开启填报轮次",
        description=(
            "财政局审核人或管理员为某区划开启某年度、阶段、截至日期的轮次；不指定区划时，为其所覆盖的、"
            "当年有项目的每个区划各开一轮（全部成功或全部不开）。同年度、阶段、截至日期的轮次已存在时，"
            "重新开放并改为新的截止日期。开启时为有部门整体目标的部门创建部门整体报告草稿。"
            "有新开启的轮次时为 201，否则 200。"
        ),
        request=RoundOpenSerializer,
        responses={
            201: RoundsOpenedSerializer,
            200: OpenApiResponse(RoundsOpenedSerializer, description="轮次已存在，已重新开放"),
            **errors(400, 403, 415),
        },
    )
    def create(self, request: Request) -> Response:
        _require_round_manager(request)
        data = self.body(RoundOpenSerializer)
        division = None
        if data.get("division") is not None:
            division = Division.objects.filter(pk=data["division"]).first()
            if division is None:
                message = DIVISION_UNKNOWN.format(division=data["division"])
                raise exceptions.ValidationError({"division": [message]})
        opened = rounds_open(
            year=data["year"],
            stage=data["stage"],
            as_of=data["as_of"],
            deadline=data["deadline"],
            division=division,
            user=request.user,
        )
        created = sum(1 for _, new in opened if new)
        rounds = {r.pk: r for r in self.get_queryset().filter(pk__in=[r.pk for r, _ in opened])}
        body = {
            "detail": ROUND_OPENED.format(count=created) if created else ROUND_REOPENED,
            "rounds": [
                {**RoundSerializer(rounds[r.pk]).data, "created": new}
                for r, new in opened
                if r.pk in rounds
            ],
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="关闭填报轮次",
        description="财政局审核人（本区划）或管理员关闭轮次；关闭后不能再填报。",
        request=None,
        responses={200: RoundSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        _require_round_manager(request)
        return self._answer(round_close(round_=round_, user=request.user))

    @extend_schema(
        summary="重新开放填报轮次",
        description="财政局审核人（本区划）或管理员重新开放已关闭的轮次，截止日期不变。",
        request=None,
        responses={200: RoundSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        _require_round_manager(request)
        return self._answer(round_reopen(round_=round_, user=request.user))

    @extend_schema(
        summary="调整填报截止日期",
        description="财政局审核人（本区划）或管理员调整截止日期，不改变轮次的开放状态；不能早于截至日期。",
        request=DeadlineSerializer,
        responses={200: RoundSerializer, **errors(400, 403, 404, 415)},
    )
    @action(detail=True, methods=["post"])
    def deadline(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        _require_round_manager(request)
        data = self.body(DeadlineSerializer)
        round_move_deadline(round_=round_, deadline=data["deadline"], user=request.user)
        return self._answer(round_)

    @extend_schema(
        summary="催办",
        description=(
            "财政局审核人（本区划）或管理员向已逾期轮次中未全部提交的部门的经办人立即发送逾期提醒"
            "（同一经办人同一轮次每天至多一次）。轮次已关闭或尚未逾期时为 400。"
        ),
        request=None,
        responses={200: ChaseResultSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def chase(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        _require_round_manager(request)
        created = round_chase(round_=round_, user=request.user)
        departments = len({n.department_id for n in created})
        detail = (
            CHASED.format(departments=departments, count=len(created))
            if created
            else CHASED_NOTHING
        )
        return Response({"detail": detail, "notified": len(created), "departments": departments})


# --- reports ------------------------------------------------------------------------------------

VERSION_CONFLICT = errors(400, 403, 404, 409, 415)
REVIEW_ERRORS = errors(400, 403, 404, 415)


@extend_schema_view(
    list=extend_schema(
        summary="报告列表",
        description=(
            "用户可见的项目运行监控、绩效自评报告和部门整体报告：经办人本部门的，审核人所覆盖区划的，"
            "管理员全部。目标灯、预警、执行率、得分和等级与页面相同：草稿和已退回的报告在读取时按当前数据计算，"
            "已提交和已审核的报告为提交时的结果。筛选（等级、预警、目标灯）按最近一次保存时计算的值。"
        ),
        responses={200: ReportSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="报告详情",
        description=(
            "报告的全部内容，与报告页面显示的相同：填写的值、预算部分、各指标行（灯、分值、得分，"
            "部门整体报告中系统计算的指标标明 computed 及其计算值）和审核记录。"
        ),
        responses={200: ReportDetailSerializer, **errors(404)},
    ),
)
class ReportViewSet(TrackingViewSet):
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    ordering_fields = ["id", "submitted_at", "updated_at", "score", "status"]
    ordering = ["round_id", "project_id", "department_id", "id"]

    def get_queryset(self) -> QuerySet[Report]:
        return reports_for_user(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        # Lights and scores of drafts as the pages show them (a fixed number of queries).
        reports_evaluate(page, frozen_lines=False)
        return self.get_paginated_response(ReportSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(self.get_object())

    def _answer(self, report: Report, status_code: int = status.HTTP_200_OK) -> Response:
        """The report as it is now, with everything its page shows."""
        report = get_object_or_404(self.get_queryset(), pk=report.pk)
        table = report_table(report)
        user = self.request.user
        context = {
            **self.get_serializer_context(),
            "table": table,
            "may_edit": may_edit(report)
            and may_access_department(user, report.owner_department_id, STATEMENTS),
            "may_review": may_review(user)
            and report.status == ReportStatus.SUBMITTED
            and report.submitted_by_id != user.pk,
        }
        return Response(ReportDetailSerializer(report, context=context).data, status=status_code)

    def _require_statements(self, report: Report) -> None:
        """Values, submission and rectification results: the department's staff and admins."""
        if not may_access_department(self.request.user, report.owner_department_id, STATEMENTS):
            raise PermissionDenied(REPORT_NO_PERMISSION)

    def _require_reviewer(self, report: Report) -> None:
        """Review: the finance bureau covering the report (it is visible) and admins, never
        on one's own submission."""
        user = self.request.user
        if not may_review(user):
            raise PermissionDenied(REVIEW_NO_PERMISSION)
        if report.submitted_by_id is not None and report.submitted_by_id == user.pk:
            raise PermissionDenied(REVIEW_OWN_REPORT)

    @extend_schema(
        summary="开始填报项目报告",
        description=(
            "本部门的单位经办人（或管理员）在轮次开放期间为项目创建本轮的报告草稿；已有报告时返回该报告"
            "（200），新建时为 201。部门整体报告在开启轮次时自动创建，不在这里创建。"
        ),
        request=ReportStartSerializer,
        responses={
            201: ReportDetailSerializer,
            200: OpenApiResponse(ReportDetailSerializer, description="报告已存在"),
            **errors(400, 403, 415),
        },
    )
    def create(self, request: Request) -> Response:
        user = request.user
        if department_ids(user, STATEMENTS) == set():
            raise PermissionDenied(REPORT_START_REFUSED)
        data = self.body(ReportStartSerializer)
        round_ = rounds_visible(user).filter(pk=data["round"]).first()
        if round_ is None:
            raise exceptions.ValidationError({"round": [ROUND_UNKNOWN.format(round=data["round"])]})
        project = round_projects(user, round_).filter(pk=data["project"]).first()
        if project is None:
            message = PROJECT_UNKNOWN.format(project=data["project"])
            raise exceptions.ValidationError({"project": [message]})
        if not may_access_department(user, project.department_id, STATEMENTS):
            raise PermissionDenied(REPORT_START_REFUSED)
        if not round_.is_open:
            raise exceptions.ValidationError({"round": [ROUND_CLOSED]})
        existed = Report.objects.filter(round=round_, project=project).exists()
        report = report_get_or_create(round_=round_, project=project)
        return self._answer(report, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(
        summary="保存报告",
        description=(
            "本部门的单位经办人（或管理员）保存草稿或已退回报告的填写内容，并重新计算灯和得分。"
            "须带回读取时的 version：报告已被他人修改时为 409。"
            "未提供的字段和未列出的指标行保持原值；"
            "运行监控报告填写全年预计执行数和预算偏差说明，绩效自评报告填写执行率偏低说明和总体情况说明，"
            "填写另一阶段的字段为 400。系统计算的部门整体指标不接受填写的值。"
        ),
        request=ReportUpdateSerializer,
        responses={200: ReportDetailSerializer, **VERSION_CONFLICT},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        self._require_statements(report)
        indicators = set(report_indicators(report))
        data = self.body(ReportUpdateSerializer, report=report, indicators=indicators)
        with stale_is_conflict():
            report_save(
                report=report, user=request.user, version=data["version"], data=_input(report, data)
            )
        return self._answer(report)

    @extend_schema(
        summary="提交报告",
        description=(
            "本部门的单位经办人（或管理员）提交草稿或已退回的报告，等待财政局审核。"
            "还有必填内容未完成时为 400，errors.non_field_errors 列出全部缺项；"
            "version 已过期时为 409。提交后报告保留提交时的数据。"
        ),
        request=VersionSerializer,
        responses={200: ReportDetailSerializer, **VERSION_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        self._require_statements(report)
        data = self.body(VersionSerializer)
        with stale_is_conflict():
            report_submit(report=report, user=request.user, version=data["version"])
        return self._answer(report)

    @extend_schema(
        summary="退回报告",
        description=(
            "覆盖该区划的财政局审核人或管理员退回已提交的报告，须填写退回原因，可对单个指标提出意见"
            "（comments：指标编号 → 意见）。不能审核自己提交的报告。提交人会收到通知。"
        ),
        request=ReturnSerializer,
        responses={200: ReportDetailSerializer, **REVIEW_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        self._require_reviewer(report)
        data = self.body(ReturnSerializer)
        comments = _comments(report, data.get("comments") or {})
        report_return(report=report, user=request.user, reason=data["reason"], comments=comments)
        return self._answer(report)

    @extend_schema(
        summary="审核通过",
        description="覆盖该区划的财政局审核人或管理员审核通过已提交的报告，可附审核意见。不能审核自己提交的报告。",
        request=ApproveSerializer,
        responses={200: ReportDetailSerializer, **REVIEW_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        self._require_reviewer(report)
        data = self.body(ApproveSerializer)
        report_approve(report=report, user=request.user, comment=data.get("comment", ""))
        return self._answer(report)

    @extend_schema(
        summary="要求整改",
        description="覆盖该区划的财政局审核人或管理员对已提交或已审核的报告提出整改要求。",
        request=RectificationRequiredSerializer,
        responses={200: ReportDetailSerializer, **REVIEW_ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="rectification-required",
        url_name="rectification-required",
    )
    def rectification_required(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        self._require_reviewer(report)
        data = self.body(RectificationRequiredSerializer)
        report_require_rectification(
            report=report, user=request.user, requirements=data["requirements"]
        )
        return self._answer(report)

    @extend_schema(
        summary="填写整改结果",
        description=(
            "被要求整改后，本部门的单位经办人（或管理员）填写整改结果；未被要求整改时为 400。"
        ),
        request=RectificationResultSerializer,
        responses={200: ReportDetailSerializer, **errors(400, 403, 404, 415)},
    )
    @action(detail=True, methods=["post"])
    def rectification(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        self._require_statements(report)
        data = self.body(RectificationResultSerializer)
        report_record_rectification(report=report, user=request.user, result=data["result"])
        return self._answer(report)

    @extend_schema(
        summary="调整指标得分",
        description=(
            "覆盖该区划的财政局审核人或管理员在已提交的绩效自评报告中调整定性（或与上年比较）指标的得分，"
            "须在该指标所选档次对应的区间内并填写理由；score 为 null 时取消调整。"
        ),
        request=ReviewerScoreSerializer,
        responses={200: ReportDetailSerializer, **REVIEW_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="reviewer-score", url_name="reviewer-score")
    def reviewer_score(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        self._require_reviewer(report)
        data = self.body(ReviewerScoreSerializer)
        line = ReportIndicator.objects.filter(pk=data["line"], report=report).first()
        if line is None:
            raise exceptions.ValidationError({"line": [LINE_UNKNOWN.format(line=data["line"])]})
        line_set_reviewer_score(
            line=line, user=request.user, score=data["score"], reason=data.get("reason", "")
        )
        return self._answer(report)


REPORT_FIELDS = (
    "expected_executed",
    "budget_cause_category",
    "budget_cause",
    "budget_likelihood",
    "budget_measure",
    "low_execution_note",
    "summary",
)


def _input(report: Report, data: dict) -> ReportInput:
    """What report_save stores: the body's values over the stored ones (a PATCH)."""
    values = {name: data.get(name, getattr(report, name)) for name in REPORT_FIELDS}
    stored = lines_by_indicator(report)
    lines = {}
    for item in data.get("lines", []):
        line = stored.get(item["indicator"])
        kept = {name: getattr(line, name) if line else "" for name in vars(LineInput())}
        kept.update({name: value for name, value in item.items() if name != "indicator"})
        lines[item["indicator"]] = LineInput(**kept)
    return ReportInput(**values, lines=lines)


def _comments(report: Report, comments: dict) -> dict[int, str]:
    """The return's comments by indicator id; a key that names none of the report's is a 400."""
    known = set(report_indicators(report)) | {
        line.target_indicator_id for line in report.lines.all()
    }
    result: dict[int, str] = {}
    problems: list[str] = []
    for key, text in comments.items():
        try:
            indicator = parse_id(str(key))
        except BadParameter:
            indicator = None
        if indicator is None:
            # Quoted as it can be written back (a lone surrogate cannot).
            shown = str(key)[:20].encode("utf-8", "replace").decode("utf-8")
            problems.append(COMMENT_BAD_KEY.format(key=shown))
        elif indicator not in known:
            problems.append(COMMENT_UNKNOWN.format(indicator=indicator))
        else:
            result[indicator] = text
    if problems:
        raise exceptions.ValidationError({"comments": problems})
    return result


# --- notifications ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="我的消息",
        description="当前用户自己的消息（到期提醒、逾期催办、退回通知、执行预警），最新的在前；可只看未读。",
        responses={200: NotificationSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="消息详情",
        description="自己的一条消息；读取不会标为已读。别人的消息为 404。",
        responses={200: NotificationSerializer, **errors(404)},
    ),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TrackingViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            # The schema is built without a user: the model is all it needs.
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user)

    @extend_schema(
        summary="标为已读",
        description=(
            "把自己的消息标为已读：all: true 为全部未读消息，否则为 ids 所列的消息"
            "（别人的消息编号被忽略）。"
        ),
        request=MarkReadSerializer,
        responses={200: MarkReadResultSerializer, **errors(400, 415)},
    )
    @action(detail=False, methods=["post"], url_path="mark-read", url_name="mark-read")
    def mark_read(self, request: Request) -> Response:
        data = self.body(MarkReadSerializer)
        ids = None if data.get("all") else data["ids"]
        count = notifications_mark_read(user=request.user, ids=ids)
        return Response({"detail": MARKED_READ.format(count=count), "count": count})


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("rounds", RoundViewSet, basename="round")
    router.register("reports", ReportViewSet, basename="report")
    router.register("notifications", NotificationViewSet, basename="notification")
