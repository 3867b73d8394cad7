"""Pages of the performance app: target review list, a project's targets and their editor,
department targets, and the official tables as xlsx downloads."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from budgets.access import STATEMENTS, may_access_department, restrict
from budgets.models import Department, DepartmentBudget, Project
from budgets.params import (
    IGNORED,
    BadParameter,
    bad_request,
    find_department,
    page_param,
    parse_year,
    year_param,
)
from budgets.rates import completion_rate, format_rate
from budgets.selectors import default_as_of
from budgets.views.common import query_without_page

from .choices import LEVEL1_NAMES
from .forms import DepartmentTargetsForm, IndicatorForm
from .models import Indicator
from .selectors import department_rates, project_reviews
from .services import (
    INDICATOR_LOCKED,
    department_targets_save,
    indicator_create,
    indicator_delete,
    indicator_update,
    template_search,
)
from .tables import (
    TABLE_11_FILENAME,
    TABLE_12_FILENAME,
    department_targets_of,
    metric_rows,
    table_11,
    table_12,
)
from .values import ValueError_, describe_target, parse_target

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

INDICATOR_ADDED = "已添加指标“{name}”"
INDICATOR_SAVED = "已保存指标“{name}”"
INDICATOR_DELETED = "已删除指标“{name}”"
DEPARTMENT_TARGETS_SAVED = "已保存{department}{year}年度整体绩效目标"

STATUS_PASSED = "passed"
STATUS_FAILED = "failed"
PAGE_SIZE = 50


# --- helpers ------------------------------------------------------------------------------------


def _visible_years(request: HttpRequest) -> list[int]:
    projects = restrict(Project.objects.all(), request.user)
    return sorted(set(projects.order_by().values_list("year", flat=True).distinct()), reverse=True)


def _year(request: HttpRequest, years: list[int], *, strict: bool = False) -> int:
    """?year=, else the latest year with projects. A bad year is ignored with a message, or
    raises BadParameter when `strict` (a write must not fall back to a year not chosen)."""
    year = parse_year(request.GET.get("year")) if strict else year_param(request)
    return year or (years[0] if years else timezone.localdate().year)


def _visible_departments(request: HttpRequest) -> list[Department]:
    departments = Department.objects.select_related("division").order_by("division__code", "code")
    return list(restrict(departments, request.user, department_field="pk"))


def _several_divisions(departments: list[Department]) -> bool:
    """Departments of several 区划 are labelled with their 区划 (two may share a code)."""
    return len({d.division_id for d in departments}) > 1


def _chosen_department(
    request: HttpRequest, departments: list[Department], *, strict: bool = False
) -> Department | None:
    """The department named by ?department=<区划/code> or a bare code; one the user may not
    see is a 404. A bare code of several 区划 is ignored with a message, or raises
    BadParameter when `strict` (a write or a download)."""
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


def _targets_url(project_id: int) -> str:
    return reverse("performance:project_targets", args=[project_id])


# --- 目标审核 list ----------------------------------------------------------------------------


@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """Every project of a year with the result of its target review, a page at a time
    (constant queries)."""
    years = _visible_years(request)
    year = _year(request, years)
    departments = _visible_departments(request)
    department = _chosen_department(request, departments)
    projects = restrict(Project.objects.filter(year=year), request.user)
    if department is not None:
        projects = projects.filter(department=department)
    # The counts and the 通过/未通过 filter need the review of every project, so every review
    # is computed (a fixed number of queries whatever the count); only the page is rendered.
    reviews = project_reviews(projects, default_as_of(year))
    status = request.GET.get("status", "")
    listed: list[int] = []
    per_department: dict[int, Counter] = {}
    counts = Counter()
    # Ids and departments only: building 20,000 model instances to show 50 would be waste.
    ordered = projects.order_by("department__code", "code").values_list("pk", "department_id")
    for pk, department_id in ordered:
        review = reviews[pk]
        counts["total"] += 1
        counts["passed" if review.passed else "failed"] += 1
        counts["warned"] += bool(review.warnings)
        tally = per_department.setdefault(department_id, Counter())
        tally["total"] += 1
        tally["passed"] += review.passed
        if status == STATUS_PASSED and not review.passed:
            continue
        if status == STATUS_FAILED and review.passed:
            continue
        listed.append(pk)
    page = Paginator(listed, PAGE_SIZE).get_page(page_param(request))
    shown = Project.objects.select_related("department__division", "unit").in_bulk(page.object_list)
    rows = []
    for pk in page.object_list:
        review = reviews[pk]
        rows.append(
            {
                "project": shown[pk],
                "review": review,
                "failures": [p for p in review.problems if p.blocking],
                "warnings": review.warnings,
            }
        )
    summary = [
        {
            "department": d,
            "total": per_department[d.pk]["total"],
            "passed": per_department[d.pk]["passed"],
            "rate": format_rate(
                completion_rate(per_department[d.pk]["passed"], per_department[d.pk]["total"])
            ),
        }
        for d in departments
        if d.pk in per_department
    ]
    return render(
        request,
        "performance/review_list.html",
        {
            "years": sorted({*years, year}, reverse=True),
            "year": year,
            "departments": departments,
            "department": department,
            "several_divisions": _several_divisions(departments),
            "status": status,
            "rows": rows,
            "page": page,
            "querystring": query_without_page(request),
            "counts": counts,
            "summary": summary,
        },
    )


# --- a project's targets and the editor ---------------------------------------------------------


def _render_targets(
    request: HttpRequest,
    project: Project,
    *,
    add_form: IndicatorForm | None = None,
) -> HttpResponse:
    indicators = list(Indicator.objects.filter(project=project))
    review = project_reviews(
        Project.objects.filter(pk=project.pk),
        default_as_of(project.year),
        indicators={project.pk: indicators},
    )[project.pk]
    flagged = {(p.level1, p.name) for p in review.problems if p.name}
    groups = []
    for level1 in LEVEL1_NAMES:
        items = [
            {
                "indicator": i,
                "meaning": describe_target(i.target),
                "flagged": (i.level1, i.name) in flagged,
            }
            for i in indicators
            if i.level1 == level1
        ]
        groups.append({"level1": level1, "items": items})
    may_change = may_access_department(request.user, project.department_id, STATEMENTS)
    return render(
        request,
        "performance/project_targets.html",
        {
            "project": project,
            "groups": groups,
            "review": review,
            "failures": [p for p in review.problems if p.blocking],
            "warnings": review.warnings,
            "may_change": may_change,
            "can_edit": may_change and not project.targets_locked,
            "add_form": add_form or IndicatorForm(),
            "level1_names": LEVEL1_NAMES,
            "locked_message": INDICATOR_LOCKED,
        },
    )


def _project(request: HttpRequest, pk: int) -> Project:
    projects = restrict(
        Project.objects.select_related("department__division", "unit"), request.user
    )
    return get_object_or_404(projects, pk=pk)


def _indicator(request: HttpRequest, pk: int) -> Indicator:
    indicators = restrict(
        Indicator.objects.select_related("project__department__division", "project__unit"),
        request.user,
        department_field="project__department",
    )
    return get_object_or_404(indicators, pk=pk)


@require_GET
def project_targets(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's indicators by 一级指标, its review result, and the editor for its staff."""
    return _render_targets(request, _project(request, pk))


@require_POST
def indicator_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    form = IndicatorForm(request.POST)
    if form.is_valid():
        try:
            indicator = indicator_create(
                user=request.user, project=project, **form.service_kwargs()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, INDICATOR_ADDED.format(name=indicator.name))
            return redirect(_targets_url(project.pk))
    return _render_targets(request, project, add_form=form)


@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    project = indicator.project
    if not may_access_department(request.user, project.department_id, STATEMENTS):
        raise PermissionDenied
    if request.method == "POST":
        form = IndicatorForm(request.POST)
        if form.is_valid():
            try:
                indicator_update(user=request.user, indicator=indicator, **form.service_kwargs())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, INDICATOR_SAVED.format(name=indicator.name))
                return redirect(_targets_url(project.pk))
    else:
        form = IndicatorForm.for_indicator(indicator)
    return render(
        request,
        "performance/indicator_edit.html",
        {
            "indicator": indicator,
            "project": project,
            "form": form,
            "level1_names": LEVEL1_NAMES,
            "locked_message": INDICATOR_LOCKED,
        },
    )


@require_POST
def indicator_remove(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    project_id, name = indicator.project_id, indicator.name
    try:
        indicator_delete(user=request.user, indicator=indicator)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, INDICATOR_DELETED.format(name=name))
    return redirect(_targets_url(project_id))


@require_GET
def value_preview(request: HttpRequest) -> HttpResponse:
    """How the system reads a target value while it is typed (htmx fragment)."""
    value = request.GET.get("value", "")
    try:
        year = parse_year(request.GET.get("year")) or timezone.localdate().year
    except BadParameter as exc:
        return bad_request(exc)
    context: dict = {"value": value}
    try:
        target = parse_target(value, year)
    except ValueError_ as exc:
        context["error"] = exc.message
    else:
        context["description"] = describe_target(target)
        context["kind"] = target.kind
    return render(request, "performance/_value_preview.html", context)


@require_GET
def library_search(request: HttpRequest) -> HttpResponse:
    """Indicator library entries matching the search box (htmx fragment)."""
    query = request.GET.get("q", "")
    templates = template_search(query=query, level1=request.GET.get("level1", ""))
    return render(
        request,
        "performance/_library_results.html",
        {"templates": templates, "query": query},
    )


# --- department targets (预算11表) -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def department_targets(request: HttpRequest) -> HttpResponse:
    """A department's 投入管理 targets of a year beside the rates the system computes."""
    years = _visible_years(request)
    try:
        year = _year(request, years, strict=request.method == "POST")
    except BadParameter as exc:
        return bad_request(exc)
    departments = _visible_departments(request)
    try:
        chosen = _chosen_department(request, departments, strict=request.method == "POST")
    except BadParameter as exc:
        return bad_request(exc)
    department = chosen or (departments[0] if departments else None)
    if department is None:
        raise Http404
    may_change = may_access_department(request.user, department, STATEMENTS)
    own = department_targets_of(year, [department.pk]).get(department.pk, {})
    url = f"{reverse('performance:department_targets')}?year={year}&department={department.ref}"
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = DepartmentTargetsForm(request.POST)
        if form.is_valid():
            try:
                department_targets_save(
                    user=request.user, department=department, year=year, targets=form.targets()
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request, DEPARTMENT_TARGETS_SAVED.format(department=department.name, year=year)
                )
                return redirect(url)
    else:
        initial = {}
        for metric, target in own.items():
            initial[metric] = target.target
            initial[f"{metric}__note"] = target.note
        form = DepartmentTargetsForm(initial=initial)
    as_of = default_as_of(year)
    rates = department_rates(year, as_of, Department.objects.filter(pk=department.pk))
    rows = metric_rows(year=year, rates=rates[department.pk].rates, targets=own)
    return render(
        request,
        "performance/department_targets.html",
        {
            "years": sorted({*years, year}, reverse=True),
            "year": year,
            "as_of": as_of,
            "departments": departments,
            "department": department,
            "several_divisions": _several_divisions(departments),
            "may_change": may_change,
            "lines": [
                {
                    "row": row,
                    "rate": format_rate(row.rate),
                    "field": form[row.metric],
                    "note": form[f"{row.metric}__note"],
                }
                for row in rows
            ],
            "form": form,
        },
    )


# --- official tables ----------------------------------------------------------------------------


def _table_departments(request: HttpRequest, year: int) -> list[Department]:
    """The chosen department, else every visible one with projects or budget facts that year."""
    departments = _visible_departments(request)
    chosen = _chosen_department(request, departments, strict=True)
    if chosen is not None:
        return [chosen]
    ids = set(
        Department.objects.filter(
            Q(projects__year=year)
            | Q(pk__in=DepartmentBudget.objects.filter(year=year).values("department"))
        ).values_list("pk", flat=True)
    )
    with_data = [d for d in departments if d.pk in ids]
    return with_data or departments


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
    content = table_12(year=year, departments=departments)
    return _xlsx(content, TABLE_12_FILENAME.format(year=year))


@require_GET
def table_11_download(request: HttpRequest) -> HttpResponse:
    """部门（单位）整体绩效目标表 (预算11表) as xlsx."""
    year = _year(request, _visible_years(request))
    try:
        departments = _table_departments(request, year)
    except BadParameter as exc:
        return bad_request(exc)
    content = table_11(year=year, as_of=default_as_of(year), departments=departments)
    return _xlsx(content, TABLE_11_FILENAME.format(year=year))
