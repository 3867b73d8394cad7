"""The workbenches: `/` is the finance bureau's (reviewers, admins) or the department's (staff);
a department and a project drill down from them, keeping ?year= and ?round=; every table
downloads as xlsx. Departments and projects come through budgets.access: one the user does
not cover is a 404."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from budgets.access import (
    STATEMENTS,
    is_reviewer,
    may_access_department,
    may_review,
    restrict,
    sees_several_departments,
)
from budgets.models import Department, Project
from budgets.params import IGNORED, id_param, page_param, shown, year_param
from tracking.choices import EDITABLE_STATUSES

from . import workbench_export as export
from .workbench import (
    BOARD_FILTERS,
    BOARD_SORTS,
    GRADES,
    LIGHT_LABELS,
    LIGHT_ORDER,
    SCORE_BUCKETS,
    STATUS_LABELS,
    STATUS_ORDER,
    WARNING_LABELS,
    WARNING_ORDER,
    Board,
    DepartmentTasks,
    Execution,
    Results,
    Scope,
    Selection,
    ToDo,
    covered_scope,
    department_projects,
    department_scope,
    department_tasks,
    execution,
    lateness,
    open_rounds,
    project_view,
    results,
    selection,
    status_board,
    to_do,
)
from .workbench_charts import charts, projects_behind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNKNOWN_ROUND = "轮次“{value}”不是{year}年的填报轮次"
PAGE_SIZE = 50
WARNED_LISTED = 20
SEARCH_LENGTH = 100


@dataclass(frozen=True)
class Workbench:
    """Everything a workbench page shows, for one scope: the bureau's or one department's."""

    selection: Selection
    scope: Scope
    board: Board
    execution: Execution
    results: Results
    todo: ToDo
    tasks: DepartmentTasks | None = None


def _selection(
    request: HttpRequest, division_id: int | None = None, year: int | None = None
) -> Selection:
    """The ?year= (or the given year) and ?round= the page shows; a round that is none of the
    year's is ignored with a message."""
    chosen = selection(
        request.user,
        year=year or year_param(request),
        slug=(request.GET.get("round") or "").strip(),
        today=timezone.localdate(),
        division_id=division_id,
    )
    if chosen.unknown:
        message = UNKNOWN_ROUND.format(value=shown(chosen.unknown), year=chosen.year)
        messages.warning(request, IGNORED.format(message=message))
    return chosen


def _choice(request: HttpRequest, name: str, allowed) -> str:
    value = (request.GET.get(name) or "").strip()
    return value if value in allowed else ""


def _sort(request: HttpRequest) -> str:
    value = (request.GET.get("sort") or "").strip()
    return value if value.removeprefix("-") in BOARD_SORTS else ""


def bureau_workbench(request: HttpRequest) -> Workbench:
    """The finance bureau's workbench over every department the user covers."""
    user = request.user
    today = timezone.localdate()
    chosen = _selection(request)
    scope = covered_scope(user)
    rounds = open_rounds(user)
    late = lateness(user, rounds, today)
    board = status_board(
        chosen,
        scope,
        late,
        sort=_sort(request),
        show=_choice(request, "show", BOARD_FILTERS),
        search=(request.GET.get("q") or "").strip()[:SEARCH_LENGTH],
    )
    return Workbench(
        selection=chosen,
        scope=scope,
        board=board,
        execution=execution(chosen, scope),
        results=results(chosen, scope),
        todo=to_do(user, rounds, late, today),
    )


def department_workbench(request: HttpRequest, department: Department, *, home: bool) -> Workbench:
    """One department's workbench (the staff's home, or a reviewer's drill-down)."""
    user = request.user
    today = timezone.localdate()
    chosen = _selection(request, department.division_id)
    scope = department_scope(department)
    rounds = open_rounds(user, department.division_id)
    late = lateness(user, rounds, today, department.pk)
    return Workbench(
        selection=chosen,
        scope=scope,
        board=status_board(chosen, scope, late),
        execution=execution(chosen, scope),
        results=results(chosen, scope),
        todo=to_do(user, rounds, late, today, department.pk),
        tasks=department_tasks(user, department, rounds, today, own_inbox=home),
    )


def _query(params: dict[str, str], **extra) -> str:
    return urlencode({**params, **{k: v for k, v in extra.items() if v not in (None, "")}})


def _common(request: HttpRequest, bench: Workbench) -> dict:
    """What both workbench pages show alike: the selector, the sections' rows, the charts."""
    chosen = bench.selection
    departments = {d.pk: d for d in bench.scope.departments}
    return {
        "bench": bench,
        "selection": chosen,
        "params": _query(chosen.params),
        "board": bench.board,
        "execution": bench.execution,
        "results": bench.results,
        "todo": bench.todo,
        "charts": charts(bench.board, bench.execution, bench.results, bench.scope),
        "lowest": [(p, departments.get(p.department_id)) for p in bench.results.lowest],
        "status_columns": [(s, STATUS_LABELS[s]) for s in STATUS_ORDER],
        "warning_columns": [(w, WARNING_LABELS[w]) for w in WARNING_ORDER],
        "light_columns": [(light, LIGHT_LABELS[light]) for light in LIGHT_ORDER],
        "grades": GRADES,
        "score_buckets": [label for label, _ in SCORE_BUCKETS],
        "is_reviewer": is_reviewer(request.user),
        "may_review": may_review(request.user),
        "progress": bench.execution.progress,
    }


def _exports(
    request: HttpRequest, tables, department: Department | None = None
) -> dict[str, tuple[str, str]]:
    """{table: (link text, url)} of each table's download ("": all of them), with the page's
    own query (year, round, the board's sort and filters) so the file holds what the page
    shows."""
    query = request.GET.copy()
    query.pop("page", None)
    if department is not None:
        query["department"] = str(department.pk)
    base = reverse("reporting:workbench_xlsx")
    links = {}
    for table in (*tables, export.ExportTable("", "全部表格")):
        query["table"] = table.name
        if not table.name:
            query.pop("table")
        links[table.name] = (f"导出{table.label}（xlsx）", f"{base}?{query.urlencode()}")
    return links


# Counts sort the most first; names and codes from A.
FIRST_DESCENDING = set(BOARD_SORTS) - {"department"}


def _sort_headers(sort: str) -> dict[str, dict[str, str]]:
    """For each sortable column of the board: the ?sort= its header sets, and its arrow."""
    headers = {}
    for key in BOARD_SORTS:
        first = f"-{key}" if key in FIRST_DESCENDING else key
        if sort == key:
            headers[key] = {"next": f"-{key}", "arrow": " ↑"}
        elif sort == f"-{key}":
            headers[key] = {"next": key, "arrow": " ↓"}
        else:
            headers[key] = {"next": first, "arrow": ""}
    return headers


def _render_bureau(request: HttpRequest) -> HttpResponse:
    bench = bureau_workbench(request)
    context = _common(request, bench)
    sort = _sort(request)
    context.update(
        sort=sort,
        headers=_sort_headers(sort),
        show=_choice(request, "show", BOARD_FILTERS),
        search=(request.GET.get("q") or "").strip()[:SEARCH_LENGTH],
        board_filters=[(key, label) for key, (label, _) in BOARD_FILTERS.items()],
        exports=_exports(request, export.BUREAU_TABLES),
    )
    return render(request, "reporting/workbench_bureau.html", context)


def _render_department(request: HttpRequest, department: Department, *, home: bool) -> HttpResponse:
    bench = department_workbench(request, department, home=home)
    chosen = bench.selection
    round_ = chosen.choice.round_of(department.division_id) if chosen.choice else None
    filters = {
        "status": _choice(request, "status", STATUS_ORDER),
        "warning": _choice(request, "warning", WARNING_ORDER),
        "grade": _choice(request, "grade", GRADES),
        "light": _choice(request, "light", LIGHT_ORDER),
    }
    rows = department_projects(round_, bench.execution, department, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(page_param(request))
    context = _common(request, bench)
    context.update(
        department=department,
        home=home,
        round=round_,
        row=bench.board.rows[0],
        execution_row=bench.execution.rows[0],
        behind=projects_behind(bench.execution),
        warned=bench.execution.warned[:WARNED_LISTED],
        warned_count=len(bench.execution.warned),
        warned_more=len(bench.execution.warned) > WARNED_LISTED,
        results_row=bench.results.rows[0],
        tasks=bench.tasks,
        filters=filters,
        filtered=any(filters.values()),
        page=page,
        project_rows=page.object_list,
        exports=_exports(request, export.DEPARTMENT_TABLES, department),
        filter_labels={
            "status": dict(STATUS_LABELS),
            "warning": dict(WARNING_LABELS),
            "grade": {g: g for g in GRADES},
            "light": dict(LIGHT_LABELS),
        },
        # The staff's own department: they write its reports; reviewers only read and review.
        may_fill=may_access_department(request.user, department, STATEMENTS),
    )
    return render(request, "reporting/workbench_department.html", context)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """`/`: the finance bureau's workbench for reviewers and admins, the department's for
    staff."""
    if sees_several_departments(request.user):
        return _render_bureau(request)
    department = request.user.department
    if department is None:
        raise Http404
    return _render_department(request, department, home=True)


def _department(request: HttpRequest, pk: int) -> Department:
    departments = restrict(
        Department.objects.select_related("division"), request.user, department_field="pk"
    )
    return get_object_or_404(departments, pk=pk)


@require_GET
def department_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A department's workbench, reached from the bureau's status board."""
    department = _department(request, pk)
    own = not sees_several_departments(request.user)
    return _render_department(request, department, home=own)


@require_GET
def project_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A project in the chosen round: its money, its report in each round of the year."""
    projects = restrict(
        Project.objects.select_related("department__division", "unit"), request.user
    )
    project = get_object_or_404(projects, pk=pk)
    # A project belongs to one year: its page reads that year's rounds whatever ?year= says.
    chosen = _selection(request, project.department.division_id, project.year)
    return render(
        request,
        "reporting/workbench_project.html",
        {
            "view": project_view(request.user, project, chosen),
            "project": project,
            "selection": chosen,
            "params": _query(chosen.params),
            "several": sees_several_departments(request.user),
            "may_review": may_review(request.user),
            "may_fill": may_access_department(request.user, project.department_id, STATEMENTS),
            "editable": EDITABLE_STATUSES,
            "fixed_year": True,
        },
    )


def _sheets(bench: Workbench, table: str, rows=None) -> list[export.Sheet]:
    departments = {d.pk: d.name for d in bench.scope.departments}
    every = {
        "board": lambda: export.board_sheet(bench.board),
        "execution": lambda: export.execution_sheet(bench.execution),
        "warnings": lambda: export.warnings_sheet(bench.execution),
        "trend": lambda: export.trend_sheet(bench.execution),
        "grades": lambda: export.grades_sheet(bench.results),
        "lights": lambda: export.lights_sheet(bench.results),
        "lowest": lambda: export.lowest_sheet(bench.results, departments),
        "deviations": lambda: export.deviations_sheet(bench.results),
        "todo": lambda: export.todo_sheet(bench.todo),
    }
    if rows is not None:
        every["projects"] = lambda: export.projects_sheet(rows)
    if bench.tasks is not None:
        every["rounds"] = lambda: export.rounds_sheet(bench.tasks)
        every["tasks"] = lambda: export.tasks_sheet(bench.tasks)
        every["warned"] = lambda: export.warned_sheet(bench.execution)
    if table in every:
        return [every[table]()]
    return [make() for make in every.values()]


@require_GET
def workbench_download(request: HttpRequest) -> HttpResponse:
    """One table of a workbench (?table=) or all of them as xlsx; ?department= narrows to one
    department (staff: always their own)."""
    user = request.user
    department_id = id_param(request, "department", label="部门")
    if not sees_several_departments(user):
        department_id = user.department_id
        if department_id is None:
            raise Http404
    table = (request.GET.get("table") or "").strip()
    if department_id is None:
        bench = bureau_workbench(request)
        sheets = _sheets(bench, table)
        subject = ""
    else:
        department = _department(request, department_id)
        home = not sees_several_departments(user)
        bench = department_workbench(request, department, home=home)
        chosen = bench.selection
        round_ = chosen.choice.round_of(department.division_id) if chosen.choice else None
        rows = department_projects(
            round_,
            bench.execution,
            department,
            status=_choice(request, "status", STATUS_ORDER),
            warning=_choice(request, "warning", WARNING_ORDER),
            grade=_choice(request, "grade", GRADES),
            light=_choice(request, "light", LIGHT_ORDER),
        )
        sheets = _sheets(bench, table, rows)
        subject = department.name
    title = sheets[0][0] if len(sheets) == 1 else "工作台"
    response = HttpResponse(export.workbook(sheets), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, export.filename(bench.selection, title, subject)
    )
    return response
