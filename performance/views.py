"""Pages of the performance app: target review list, a project's targets and their editor,
department targets. The official tables are the reporting app's."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from budgets.access import STATEMENTS, may_access_department, restrict
from budgets.models import Department, Project
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

from .choices import DEPARTMENT_LEVEL1_NAMES, GOAL, LEVEL1_NAMES, TASK
from .department import meets_target
from .forms import IndicatorForm
from .models import Indicator
from .selectors import (
    department_goals_by_department,
    department_indicators_by_department,
    department_reviews,
    departments_with_data,
    project_reviews,
)
from .services import (
    INDICATOR_LOCKED,
    indicator_create,
    indicator_delete,
    indicator_update,
    template_search,
)
from .values import ValueError_, describe_target, parse_target

INDICATOR_ADDED = "已添加指标“{name}”"
INDICATOR_SAVED = "已保存指标“{name}”"
INDICATOR_DELETED = "已删除指标“{name}”"

STATUS_PASSED = "passed"
STATUS_FAILED = "failed"
STATUS_WARNED = "warned"  # with warnings (提示), whether or not it passes
PAGE_SIZE = 50


# --- helpers ------------------------------------------------------------------------------------


def _visible_years(request: HttpRequest) -> list[int]:
    projects = restrict(Project.objects.all(), request.user)
    return sorted(set(projects.order_by().values_list("year", flat=True).distinct()), reverse=True)


def _year(request: HttpRequest, years: list[int]) -> int:
    """?year=, else the latest year with projects (a bad year is ignored with a message)."""
    return year_param(request) or (years[0] if years else timezone.localdate().year)


def _visible_departments(request: HttpRequest) -> list[Department]:
    departments = Department.objects.select_related("division").order_by("division__code", "code")
    return list(restrict(departments, request.user, department_field="pk"))


def _several_divisions(departments: list[Department]) -> bool:
    """Departments of several 区划 are labelled with their 区划 (two may share a code)."""
    return len({d.division_id for d in departments}) > 1


def _chosen_department(request: HttpRequest, departments: list[Department]) -> Department | None:
    """The department named by ?department=<区划/code> or a bare code; one the user may not
    see is a 404. A bare code of several 区划 is ignored with a message."""
    text = (request.GET.get("department") or "").strip()
    if not text:
        return None
    try:
        department = find_department(text, departments)
    except BadParameter as exc:
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
        if status == STATUS_WARNED and not review.warnings:
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
            "department_rows": _department_review_rows(request, year, department),
        },
    )


def _department_review_rows(
    request: HttpRequest, year: int, department: Department | None
) -> list[dict]:
    """The department target review of the chosen department, else of every department the
    user sees with data in the year (a fixed number of queries whatever their count)."""
    visible = restrict(Department.objects.all(), request.user, department_field="pk")
    if department is not None:
        visible = visible.filter(pk=department.pk)
    shown = departments_with_data(year, visible)
    reviews = department_reviews(year, Department.objects.filter(pk__in=[d.pk for d in shown]))
    return [
        {
            "department": d,
            "review": reviews[d.pk],
            "failures": [p for p in reviews[d.pk].problems if p.blocking],
            "warnings": reviews[d.pk].warnings,
        }
        for d in shown
    ]


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


# --- department targets (部门整体目标) ------------------------------------------------------------


def _indicator_groups(indicators, rates: dict, flagged: set) -> list[dict]:
    """A department's indicators by 一级指标; a computed one beside its current figure."""
    groups = []
    for level1 in DEPARTMENT_LEVEL1_NAMES:
        items = []
        for indicator in indicators:
            if indicator.level1 != level1:
                continue
            rate = rates.get(indicator.metric) if indicator.computed else None
            items.append(
                {
                    "indicator": indicator,
                    "meaning": describe_target(indicator.target),
                    "figure": format_rate(rate),
                    "met": meets_target(rate, indicator.target) if indicator.computed else None,
                    "flagged": (indicator.level1, indicator.name) in flagged,
                }
            )
        groups.append({"level1": level1, "items": items})
    return groups


@require_GET
def department_targets(request: HttpRequest) -> HttpResponse:
    """A department's 部门整体目标 of a year by group (the computed ones marked 系统计算 with
    their current figure), its 年度履职目标 and 年度主要任务, and their review. Read-only: the
    department imports them (sheets 部门整体目标 and 部门年度目标)."""
    years = _visible_years(request)
    year = _year(request, years)
    departments = _visible_departments(request)
    department = _chosen_department(request, departments) or (
        departments[0] if departments else None
    )
    if department is None:
        raise Http404
    as_of = default_as_of(year)
    one = Department.objects.filter(pk=department.pk)
    indicators = department_indicators_by_department(year, [department.pk])
    goals = department_goals_by_department(year, [department.pk])
    review = department_reviews(year, one, indicators=indicators, goals=goals)[department.pk]
    # The figures count reports (tracking, above this app): the function is named in settings.
    rates = import_string(settings.DEPARTMENT_FIGURES)(year, as_of, one)[department.pk].rates
    flagged = {(p.level1, p.name) for p in review.problems if p.name}
    projects = {p.code: p for p in Project.objects.filter(year=year, department=department)}
    own_goals = goals.get(department.pk, [])
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
            "groups": _indicator_groups(indicators.get(department.pk, []), rates, flagged),
            "has_indicators": bool(indicators.get(department.pk)),
            "goals": [g for g in own_goals if g.category == GOAL],
            "tasks": [
                {"task": t, "projects": [(code, projects.get(code)) for code in t.project_codes]}
                for t in own_goals
                if t.category == TASK
            ],
            "review": review,
            "failures": [p for p in review.problems if p.blocking],
            "warnings": review.warnings,
        },
    )
