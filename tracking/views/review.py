"""The finance reviewer's pages: the queue of submitted reports and the review of one report
(approve, return with a reason and comments, require rectification, set a band score)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from budgets.access import may_review, restrict
from budgets.models import Department
from budgets.params import id_param, page_param
from budgets.views.common import query_without_page
from performance.values import QUALITATIVE, RELATIVE, TIER_BANDS

from ..choices import ReportStatus, Stage
from ..compute import read_value
from ..filters import ReportFilter
from ..forms import (
    ApproveForm,
    RectificationForm,
    ReturnForm,
    ReviewerScoreForm,
    apply_workflow_error,
)
from ..models import Report, ReportIndicator
from ..selectors import (
    ReportTable,
    report_table,
    reports_for_user,
    review_queue,
    rounds_visible,
)
from ..services import (
    REVIEW_NO_PERMISSION,
    WorkflowError,
    line_set_reviewer_score,
    report_approve,
    report_require_rectification,
    report_return,
)

REPORT_APPROVED = "已审核通过：{project}"
REPORT_RETURNED = "已退回：{project}"
RECTIFICATION_REQUIRED = "已要求整改：{project}"
SCORE_SET = "已调整“{indicator}”的得分"
SCORE_CLEARED = "已取消“{indicator}”的得分调整"
PAGE_SIZE = 50


def _require_reviewer(request: HttpRequest) -> None:
    if not may_review(request.user):
        raise PermissionDenied(REVIEW_NO_PERMISSION)


@require_GET
def review_queue_view(request: HttpRequest) -> HttpResponse:
    """Submitted reports, oldest submission first, with their lights and scores."""
    _require_reviewer(request)
    stage = request.GET.get("stage", "")
    stage = stage if stage in Stage.values else ""
    department_id = id_param(request, "department", label="部门")
    round_id = id_param(request, "round", label="轮次")
    # The API's filters, applied to the values read above (a bad one was ignored with a message).
    filters = ReportFilter(
        {"stage": stage, "department": department_id or "", "round": round_id or ""},
        queryset=review_queue(request.user),
    )
    reports = filters.qs
    page = Paginator(reports, PAGE_SIZE).get_page(page_param(request))
    rounds = list(rounds_visible(request.user).order_by("-year", "-as_of", "division__code"))
    return render(
        request,
        "tracking/review_queue.html",
        {
            "page": page,
            "querystring": query_without_page(request),
            "stages": Stage.choices,
            "stage": stage,
            # Only what the reviewer's bureau covers is offered (and matched) in the filters.
            "departments": restrict(
                Department.objects.select_related("division"), request.user, department_field="pk"
            ).order_by("division__code", "code"),
            "department_id": department_id,
            "rounds": rounds,
            "round_id": round_id,
            "several_divisions": len({r.division_id for r in rounds}) > 1,
        },
    )


def _bands(table: ReportTable) -> None:
    """Give each qualitative line its tier and the band a reviewer's score must fall in."""
    for row in table.rows:
        row.band = None
        line = row.line
        if line is None or row.indicator.kind not in (QUALITATIVE, RELATIVE):
            continue
        actual = read_value(line, line.actual_raw, row.indicator)
        if actual is None or actual.tier is None:
            continue
        low, high = TIER_BANDS[actual.tier]
        points = line.points or Decimal(0)
        row.band = (
            actual.tier,
            (points * low / 100).quantize(Decimal("0.01")),
            (points * high / 100).quantize(Decimal("0.01")),
        )


def _render_review(
    request: HttpRequest,
    report: Report,
    *,
    return_form: ReturnForm | None = None,
    approve_form: ApproveForm | None = None,
    rectification_form: RectificationForm | None = None,
    score_form: ReviewerScoreForm | None = None,
    status: int = 200,
) -> HttpResponse:
    table = report_table(report)
    _bands(table)
    # The refused action's messages go to the top: its form may be hidden by the new status.
    errors = [
        message
        for form in (return_form, approve_form, rectification_form, score_form)
        if form is not None
        for message in form.non_field_errors()
    ]
    return render(
        request,
        "tracking/report_review.html",
        {
            "table": table,
            "report": report,
            "submitted": report.status == ReportStatus.SUBMITTED,
            "own": report.submitted_by_id == request.user.pk,
            "return_form": return_form or ReturnForm(rows=table.rows),
            "approve_form": approve_form or ApproveForm(),
            "rectification_form": rectification_form
            or RectificationForm(initial={"requirements": report.rectification_requirements}),
            "score_form": score_form,
            "errors": errors,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review one report: approve, return, require rectification or set a band score."""
    _require_reviewer(request)
    report = get_object_or_404(reports_for_user(request.user), pk=pk)
    if request.method == "GET":
        return _render_review(request, report)
    action = request.POST.get("action")
    project = report.subject_name
    if action == "approve":
        form = ApproveForm(request.POST)
        if form.is_valid():
            try:
                report_approve(
                    report=report, user=request.user, comment=form.cleaned_data["comment"]
                )
            except WorkflowError as exc:
                apply_workflow_error(form, exc)
            else:
                messages.success(request, REPORT_APPROVED.format(project=project))
                return redirect("tracking:review_queue")
        return _render_review(request, report, approve_form=form, status=400)
    if action == "return":
        form = ReturnForm(request.POST, rows=report_table(report).rows)
        if form.is_valid():
            try:
                report_return(
                    report=report,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    comments=form.comments(),
                )
            except WorkflowError as exc:
                apply_workflow_error(form, exc)
            else:
                messages.success(request, REPORT_RETURNED.format(project=project))
                return redirect("tracking:review_queue")
        return _render_review(request, report, return_form=form, status=400)
    if action == "rectify":
        form = RectificationForm(request.POST)
        if form.is_valid():
            try:
                report_require_rectification(
                    report=report,
                    user=request.user,
                    requirements=form.cleaned_data["requirements"],
                )
            except WorkflowError as exc:
                apply_workflow_error(form, exc)
            else:
                messages.success(request, RECTIFICATION_REQUIRED.format(project=project))
                return redirect("tracking:report_review", pk=report.pk)
        return _render_review(request, report, rectification_form=form, status=400)
    if action == "score":
        form = ReviewerScoreForm(request.POST)
        if form.is_valid():
            line = get_object_or_404(
                ReportIndicator.objects.select_related("indicator"),
                pk=form.cleaned_data["line"],
                report=report,
            )
            score = form.cleaned_data["score"]
            try:
                line_set_reviewer_score(
                    line=line, user=request.user, score=score, reason=form.cleaned_data["reason"]
                )
            except WorkflowError as exc:
                apply_workflow_error(form, exc)
            else:
                text = SCORE_CLEARED if score is None else SCORE_SET
                messages.success(request, text.format(indicator=line.indicator_name))
                return redirect("tracking:report_review", pk=report.pk)
        return _render_review(request, report, score_form=form, status=400)
    return redirect("tracking:report_review", pk=report.pk)


urlpatterns = [
    path("review/", review_queue_view, name="review_queue"),
    path("review/<int:pk>/", report_review, name="report_review"),
]
