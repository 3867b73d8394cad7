"""Pages of the reporting app: the official tables — 预算11表 as a printable page and as xlsx,
预算12表 as xlsx. Every department comes through budgets.access: one the user does not cover
is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from budgets.access import restrict
from budgets.models import Department, Project
from budgets.params import IGNORED, BadParameter, bad_request, find_department, year_param

from .selectors import departments_with_data, table_11_data
from .tables import (
    T11_COLUMNS,
    T11_WIDTHS,
    TABLE_11_FILENAME,
    TABLE_12_FILENAME,
    table_11,
    table_11_heading,
    table_11_rows,
    table_12,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visible_years(request: HttpRequest) -> list[int]:
    projects = restrict(Project.objects.all(), request.user)
    return sorted(set(projects.order_by().values_list("year", flat=True).distinct()), reverse=True)


def _year(request: HttpRequest, years: list[int]) -> int:
    """?year=, else the latest year with projects (a bad year is ignored with a message)."""
    return year_param(request) or (years[0] if years else timezone.localdate().year)


def _visible_departments(request: HttpRequest):
    departments = Department.objects.select_related("division").order_by("division__code", "code")
    return restrict(departments, request.user, department_field="pk")


def _chosen_department(
    request: HttpRequest, departments: list[Department], *, strict: bool
) -> Department | None:
    """The department of ?department=<区划/code> or a bare code; one the user may not see is a
    404. A bare code of several 区划 is ignored with a message on a page, or raises
    BadParameter when `strict` (a download)."""
    text = (request.GET.get("department") or "").strip()
    if not text:
        return None
    try:
        department = find_department(text, departments)
    except BadParameter as exc:
        if strict:
            raise
        messages.warning(request, IGNORED.format(message=exc.message))
        return None
    if department is None:
        raise Http404
    return department


def _table_departments(request: HttpRequest, year: int) -> list[Department]:
    """The chosen department, else every visible one with data that year (else every one)."""
    visible = _visible_departments(request)
    departments = list(visible)
    chosen = _chosen_department(request, departments, strict=True)
    if chosen is not None:
        return [chosen]
    return departments_with_data(year, visible) or departments


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_GET
def table_12_download(request: HttpRequest) -> HttpResponse:
    """部门预算项目绩效目标汇总表 (预算12表) as xlsx."""
    year = _year(request, _visible_years(request))
    try:
        departments = _table_departments(request, year)
    except BadParameter as exc:
        return bad_request(exc)
    return _xlsx(table_12(year=year, departments=departments), TABLE_12_FILENAME.format(year=year))


@require_GET
def table_11_download(request: HttpRequest) -> HttpResponse:
    """部门（单位）整体绩效目标表 (预算11表) as xlsx."""
    year = _year(request, _visible_years(request))
    try:
        departments = _table_departments(request, year)
    except BadParameter as exc:
        return bad_request(exc)
    return _xlsx(table_11(year=year, departments=departments), TABLE_11_FILENAME.format(year=year))


@require_GET
def table_11_page(request: HttpRequest) -> HttpResponse:
    """预算11表 of one department as a printable page, laid out like the xlsx."""
    years = _visible_years(request)
    year = _year(request, years)
    visible = _visible_departments(request)
    departments = list(visible)
    department = _chosen_department(request, departments, strict=False)
    if department is None:
        with_data = departments_with_data(year, visible)
        department = (with_data or departments or [None])[0]
    context = {
        "years": sorted({*years, year}, reverse=True),
        "year": year,
        "departments": departments,
        "department": department,
        "several_divisions": len({d.division_id for d in departments}) > 1,
    }
    if department is not None:
        data = table_11_data(year, [department])[0]
        title, year_line, department_line = table_11_heading(year, department)
        total = sum(T11_WIDTHS)
        context.update(
            title=title,
            year_line=year_line,
            department_line=department_line,
            rows=table_11_rows(data),
            widths=[round(100 * w / total, 1) for w in T11_WIDTHS],
            columns=T11_COLUMNS,
        )
    return render(request, "reporting/table_11.html", context)
