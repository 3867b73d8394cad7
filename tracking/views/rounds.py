"""Pages of rounds: the list (and opening, closing, moving the deadline), one round's projects,
and the round's pre-filled 实际完成 sheet to download and upload back."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from budgets.access import (
    STATEMENTS,
    VIEW,
    covers_division,
    department_ids,
    may_review,
    restrict,
    sees_several_departments,
)
from budgets.exporter import append_sheet
from budgets.importer import ImportRefused, check_file, run_import, sheet_classes
from budgets.models import Department
from budgets.params import id_param, page_param
from budgets.views.common import query_without_page

from ..forms import DeadlineForm, RoundForm, SheetUploadForm, apply_workflow_error
from ..models import Round
from ..notifications import round_chase
from ..selectors import (
    divisions_with_projects,
    round_counts,
    round_department_reports,
    round_projects,
    round_rows,
    rounds_for_user,
    rounds_late,
    rounds_visible,
)
from ..services import (
    WorkflowError,
    round_close,
    round_move_deadline,
    round_reopen,
    rounds_open,
)
from ..workbook import ACTUAL, round_sheet_rows, within_round

ROUND_OPENED = "已开启{round}，填报截止日期为{deadline}"
ROUND_UPDATED = "{round}已存在，已开放填报，截止日期为{deadline}"
ROUNDS_OPENED = "已为{count}个区划开启或更新{round}，填报截止日期为{deadline}：{divisions}"
CHASED = "已向{departments}个逾期部门的{count}名经办人发送催办提醒"
CHASED_NOTHING = "没有需要催办的经办人（今日已催办过，或逾期部门没有经办人账号）"
ROUND_CLOSED_DONE = "已关闭{round}"
ROUND_REOPENED = "已重新开放{round}"
DEADLINE_MOVED = "{round}的填报截止日期已改为{deadline}"
ROUNDS_ONLY_REVIEWER = "只有财政局审核人可以管理填报轮次"
SHEET_ONLY_ACTUAL = "这里只接受“实际完成”表；工作簿中还有：{names}。完整工作簿请通过“导入”页面上传"
SHEET_MISSING_ACTUAL = "工作簿中没有“实际完成”表"
SHEET_IMPORTED = "实际完成表已导入。{summary}"
SHEET_REFUSED = "实际完成表未导入：共{count}个问题，请修改后重新上传（未写入任何数据）"
PAGE_SIZE = 50


def _require_reviewer(request: HttpRequest) -> None:
    if not may_review(request.user):
        raise PermissionDenied(ROUNDS_ONLY_REVIEWER)


def _department_filter(request: HttpRequest) -> int | None:
    """The department a reviewer picked (?department=id); staff always see their own."""
    if not sees_several_departments(request.user):
        return None
    return id_param(request, "department", label="部门")


def _round_form(request: HttpRequest, data=None) -> RoundForm:
    """The form to open rounds, offering the 区划 the reviewer covers that have projects."""
    return RoundForm(data, divisions=divisions_with_projects(request.user))


@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    """Reviewers: their bureaus' rounds with progress and the form to open one; staff: the
    rounds of their department's 区划."""
    form = _round_form(request) if may_review(request.user) else None
    return _render_list(request, form)


def _render_list(request: HttpRequest, form: RoundForm | None, status: int = 200) -> HttpResponse:
    progress = rounds_for_user(request.user)
    # Who is late in every overdue round of the list, read at once (a fixed number of queries).
    late = rounds_late(request.user, [p.round for p in progress], timezone.localdate())
    progress = [replace(p, late=late.get(p.round.pk)) for p in progress]
    return render(
        request,
        "tracking/round_list.html",
        {
            "open_rounds": [p for p in progress if p.round.is_open],
            "closed_rounds": [p for p in progress if not p.round.is_open],
            "form": form,
            "is_reviewer": may_review(request.user),
            # The 区划 is named when the list holds rounds of more than one bureau.
            "several_divisions": len({p.round.division_id for p in progress}) > 1,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    """Open the round of a 区划 (or of each covered 区划 with projects that year); an existing
    one of the same year + stage + as-of is reopened with the new deadline."""
    _require_reviewer(request)
    if request.method == "GET":
        return redirect("tracking:round_list")
    form = _round_form(request, request.POST)
    if form.is_valid():
        try:
            opened = rounds_open(user=request.user, **form.cleaned_data)
        except WorkflowError as exc:
            apply_workflow_error(form, exc)
        else:
            if len(opened) == 1:
                ((round_, created),) = opened
                text = ROUND_OPENED if created else ROUND_UPDATED
                messages.success(request, text.format(round=round_, deadline=round_.deadline))
                return redirect("tracking:round_detail", pk=round_.pk)
            round_ = opened[0][0]
            names = "、".join(r.division.name for r, _ in opened)
            messages.success(
                request,
                ROUNDS_OPENED.format(
                    count=len(opened), round=round_, deadline=round_.deadline, divisions=names
                ),
            )
            return redirect("tracking:round_list")
    return _render_list(request, form, status=400)


def _round(request: HttpRequest, pk: int) -> Round:
    """The round if the user's bureau (or department) is its 区划; 404 otherwise."""
    return get_object_or_404(rounds_visible(request.user), pk=pk)


@require_http_methods(["GET", "POST"])
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the deadline, close or reopen a round."""
    _require_reviewer(request)
    round_ = _round(request, pk)
    form = DeadlineForm(initial={"deadline": round_.deadline})
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "close":
            round_close(round_=round_, user=request.user)
            messages.success(request, ROUND_CLOSED_DONE.format(round=round_))
            return redirect("tracking:round_detail", pk=round_.pk)
        if action == "reopen":
            round_reopen(round_=round_, user=request.user)
            messages.success(request, ROUND_REOPENED.format(round=round_))
            return redirect("tracking:round_detail", pk=round_.pk)
        form = DeadlineForm(request.POST)
        if form.is_valid():
            try:
                round_move_deadline(
                    round_=round_, deadline=form.cleaned_data["deadline"], user=request.user
                )
            except WorkflowError as exc:
                apply_workflow_error(form, exc)
            else:
                messages.success(
                    request, DEADLINE_MOVED.format(round=round_, deadline=round_.deadline)
                )
                return redirect("tracking:round_detail", pk=round_.pk)
        round_.refresh_from_db()
    return render(
        request,
        "tracking/round_edit.html",
        {"round": round_, "form": form},
        status=400 if form.errors else 200,
    )


def _render_detail(
    request: HttpRequest,
    round_: Round,
    *,
    upload_form: SheetUploadForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    department_id = _department_filter(request)
    projects = round_projects(request.user, round_, department_id)
    # The counts cover every project of the filter (aggregates); reports, figures and lights
    # are read for the page's projects only.
    counts = round_counts(round_, projects)
    ordered = projects.select_related("department", "unit").order_by("department__code", "code")
    page = Paginator(ordered, PAGE_SIZE).get_page(page_param(request))
    rows = round_rows(round_, page.object_list)
    reviewer = may_review(request.user)
    departments = (
        list(
            restrict(Department.objects.all(), request.user, department_field="pk")
            .filter(division_id=round_.division_id, projects__year=round_.year)
            .distinct()
            .order_by("code")
        )
        if reviewer
        else []
    )
    # Who is late, of the picked department as the rest of the page.
    lateness = rounds_late(
        request.user, [round_], timezone.localdate(), department_id=department_id
    ).get(round_.pk)
    return render(
        request,
        "tracking/round_detail.html",
        {
            "round": round_,
            "rows": rows,
            "page": page,
            "querystring": query_without_page(request),
            "counts": counts,
            "is_reviewer": reviewer,
            "departments": departments,
            "department_id": department_id,
            "may_upload": round_.is_open and department_ids(request.user, STATEMENTS) != set(),
            "upload_form": upload_form or SheetUploadForm(),
            "problems": problems or [],
            "lateness": lateness,
            "department_reports": round_department_reports(request.user, round_, department_id),
            # As round_chase allows: open, past the deadline, the reviewer's 区划; and only
            # when someone is late, or the button would send nothing.
            "may_chase": (
                reviewer
                and lateness is not None
                and bool(lateness.departments)
                and covers_division(request.user, round_.division)
            ),
        },
        status=status,
    )


@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One round: the projects the user may see with status, lights, deviations and score."""
    return _render_detail(request, _round(request, pk))


@require_POST
def round_chase_view(request: HttpRequest, pk: int) -> HttpResponse:
    """催办: the overdue reminder to the round's late departments now (at most once a day)."""
    _require_reviewer(request)
    round_ = _round(request, pk)
    try:
        created = round_chase(round_=round_, user=request.user)
    except WorkflowError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if created:
            departments = len({n.department_id for n in created})
            messages.success(request, CHASED.format(departments=departments, count=len(created)))
        else:
            messages.info(request, CHASED_NOTHING)
    return redirect("tracking:round_detail", pk=round_.pk)


def _sheet_filename(round_: Round, department: Department | None) -> str:
    suffix = f"_{department.code}" if department else ""
    return f"实际完成_{round_.year}{round_.stage}_{round_.as_of:%Y%m%d}{suffix}.xlsx"


@require_GET
def round_sheet_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's 实际完成 sheet, pre-filled for the user's department (or the picked one)."""
    round_ = _round(request, pk)
    department_id = _department_filter(request)
    if department_id is None and not sees_several_departments(request.user):
        department_id = request.user.department_id
    department = None
    if department_id is not None:
        department = get_object_or_404(
            restrict(Department.objects.all(), request.user, VIEW, department_field="pk"),
            pk=department_id,
            division_id=round_.division_id,
        )
    projects = round_projects(request.user, round_, department_id)
    name, header, rows = round_sheet_rows(round_, projects)
    workbook = Workbook(write_only=True)
    append_sheet(workbook, name, header, rows)
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_sheet_filename(round_, department)
    )
    return response


def _sheet_refusal(upload) -> str | None:
    """A reason to refuse a file that is not just the 实际完成 sheet (the import page takes all)."""
    from openpyxl import load_workbook

    try:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
        check_file(upload, size)
        workbook = load_workbook(upload, read_only=True)
    except ImportRefused as exc:
        return exc.problem.message
    except Exception:  # run_import reports unreadable files with its own message
        upload.seek(0)
        return None
    try:
        names = {name.strip() for name in workbook.sheetnames}
    finally:
        workbook.close()
        upload.seek(0)
    others = [cls.name for cls in sheet_classes() if cls.name in names and cls.name != ACTUAL]
    if others:
        return SHEET_ONLY_ACTUAL.format(names="、".join(others))
    if ACTUAL not in names:
        return SHEET_MISSING_ACTUAL
    return None


@require_POST
def round_sheet_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a filled 实际完成 sheet: all or nothing, as the user may change, rows of the
    round's 区划 only."""
    round_ = _round(request, pk)
    form = SheetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, round_, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    refusal = _sheet_refusal(upload)
    if refusal:
        return _render_detail(request, round_, problems=[refusal], status=400)
    with within_round(round_):
        result = run_import(upload, user=request.user)
    if not result.ok:
        messages.error(request, SHEET_REFUSED.format(count=len(result.problems)))
        problems = [str(p) for p in result.problems]
        return _render_detail(request, round_, problems=problems, status=400)
    messages.success(request, SHEET_IMPORTED.format(summary=result.summary()))
    return redirect("tracking:round_detail", pk=round_.pk)


urlpatterns = [
    path("rounds/", round_list, name="round_list"),
    path("rounds/new/", round_create, name="round_create"),
    path("rounds/<int:pk>/", round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", round_edit, name="round_edit"),
    path("rounds/<int:pk>/chase/", round_chase_view, name="round_chase"),
    path("rounds/<int:pk>/sheet.xlsx", round_sheet_download, name="round_sheet_download"),
    path("rounds/<int:pk>/sheet/", round_sheet_upload, name="round_sheet_upload"),
]
