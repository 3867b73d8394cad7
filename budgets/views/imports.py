"""The workbook upload: dry run and preview, confirmation, background jobs with progress."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..forms import ImportUploadForm
from ..import_template import TEMPLATE_FILENAME, template_workbook
from ..importer import CREATED, SAMPLE_LIMIT, Problem, group_problems
from ..models import ImportJob
from ..services import (
    IMPORT_QUEUE_UNAVAILABLE,
    ImportQueueUnavailable,
    import_job_confirm,
    import_job_create,
    import_job_interrupted,
    import_job_rows_done,
    import_job_start,
)
from .common import percent_css

IMPORT_NOT_CONFIRMABLE = "该文件未通过校验或已导入，不能再次确认"
IMPORT_STARTED = "已开始导入，完成后本页显示结果"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a workbook: validated first (dry run), imported only on confirmation."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            user=request.user,
            upload=form.cleaned_data["file"],
            background=form.cleaned_data["background"],
        )
        try:
            import_job_start(job=job)
        except ImportQueueUnavailable as exc:
            # The form again, saying why: the user uploads once more when the queue is back
            # (the failed job stays listed below).
            form.add_error(None, str(exc))
        else:
            return redirect("budgets:import_job", job.token)
    jobs = ImportJob.objects.filter(user=request.user).order_by("-created_at")[:10]
    return render(request, "budgets/import_upload.html", {"form": form, "jobs": jobs})


@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """下载导入模板: every sheet's headers and an example row, straight as an attachment."""
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, TEMPLATE_FILENAME)
    return response


def _problem_lines(stored: list[Any]) -> list[str]:
    """A job's problems, one line per sheet, column and message (rows listed together)."""
    return group_problems(
        Problem.from_json(item) if isinstance(item, dict) else str(item) for item in stored
    )


def _sample_sections(job: ImportJob, counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Per kind of data, in the counts' order: the sample rows and how many are not shown."""
    sections = []
    for entity, n in counts.items():
        rows = [s for s in job.samples if s.get("entity") == entity]
        if not rows:
            continue
        created = sum(1 for s in rows if s.get("action") == CREATED)
        sections.append(
            {
                "entity": entity,
                "rows": rows,
                "more": n["created"] - created + n["updated"] - (len(rows) - created),
            }
        )
    return sections


def _job_context(job: ImportJob) -> dict[str, Any]:
    rows_done = import_job_rows_done(job)
    percent = None
    if job.finished:
        percent = Decimal(100)
    elif job.rows_total:
        percent = Decimal(min(rows_done, job.rows_total) * 100) / Decimal(job.rows_total)
    table: dict[str, dict[str, int]] = {}
    for entity, action, n in job.counts:
        table.setdefault(entity, {"created": 0, "updated": 0, "unchanged": 0})[action] = n
    return {
        "job": job,
        "rows_done": rows_done,
        "percent": percent,
        "percent_css": percent_css(percent),
        "counts": table,
        "samples": _sample_sections(job, table) if job.status == ImportJob.Status.DONE else [],
        "sample_limit": SAMPLE_LIMIT,
        "problem_lines": _problem_lines(job.problems),
        "interrupted": import_job_interrupted(job),
        "polling": not job.finished and not import_job_interrupted(job),
        # Failed before a worker saw the file: not a verdict on its data.
        "not_started": job.status == ImportJob.Status.FAILED
        and job.problems == [IMPORT_QUEUE_UNAVAILABLE],
    }


def import_job(request: HttpRequest, token: str) -> HttpResponse:
    """A job's progress, then what it will create/update (dry run) or the problems found."""
    job = get_object_or_404(ImportJob, token=token, user=request.user)
    context = _job_context(job)
    if request.htmx:
        return render(request, "budgets/_import_job_status.html", context)
    return render(request, "budgets/import_job.html", context)


@require_POST
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """确认导入: only the user who uploaded, only after a dry run without problems."""
    job = get_object_or_404(ImportJob, token=token, user=request.user)
    try:
        confirmed = import_job_confirm(job=job, user=request.user)
    except ImportQueueUnavailable:
        # The job page says why it did not start.
        return redirect("budgets:import_job", job.token)
    if not confirmed:
        messages.error(request, IMPORT_NOT_CONFIRMABLE)
    elif job.background:
        messages.info(request, IMPORT_STARTED)
    return redirect("budgets:import_job", job.token)
