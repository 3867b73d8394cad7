"""Project pages: the list with execution against time progress, and one project's page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, F, Model, Sum, Window
from django.db.models.functions import Lag
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .. import rates
from ..access import FACTS, may_access_department, restrict
from ..choices import warning_label
from ..filters import (
    PROJECT_ORDERINGS,
    ProjectFilterSet,
    orders_by_figures,
    project_ordering,
    warning_condition,
)
from ..forms import ProjectFilterForm
from ..models import Adjustment, Payment, Project
from ..params import BadParameter, page_param, parse_date
from ..selectors import default_as_of, project_figures, warning_thresholds, with_figures
from ..templatetags.money import money_text
from .common import (
    PAGE_SIZE,
    Execution,
    amount,
    basic_department_for,
    chosen_division,
    department_choices,
    division_choices,
    percent_css,
    rate_text,
)

HISTORY_LIMIT = 50
AS_OF_OUTSIDE_PROJECT_YEAR = "截至日期须在{year}年内"


# --- project list ----------------------------------------------------------------------------

# The sort keys, the sort and the warning lights are the shared FilterSet's (budgets/filters.py),
# so the page and /api/projects/ cannot drift.
ORDERINGS = PROJECT_ORDERINGS
# The warning counts above the list, worst first.
WARNING_ORDER = (rates.OVER, rates.RED, rates.YELLOW, rates.GREEN)


def project_list(request: HttpRequest) -> HttpResponse:
    """Projects of a year with their execution against the time progress (constant queries)."""
    user = request.user
    visible = restrict(Project.objects.all(), user)
    years = list(visible.order_by("-year").values_list("year", flat=True).distinct())
    today = timezone.localdate()
    divisions = division_choices(request)
    division = chosen_division(request)
    form = ProjectFilterForm(
        request.GET,
        years=years,
        departments=department_choices(request, division),
        default_year=years[0] if years else today.year,
        with_division=bool(divisions),
    )
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    year = cleaned.get("year") or form.default_year
    as_of = cleaned.get("as_of") or default_as_of(year, today)
    progress = rates.time_progress(as_of)
    thresholds = warning_thresholds()

    department = cleaned.get("department")
    # The form has validated every value (or dropped it with a message): the FilterSet the
    # API uses applies them and annotates the figures as of the date.
    projects = ProjectFilterSet(
        {
            "year": str(year),
            "as_of": as_of.isoformat(),
            "division": division or "",
            "department": str(department.pk) if department is not None else "",
            "search": cleaned.get("q") or "",
            "type": cleaned.get("type") or "",
        },
        queryset=visible,
        request=request,
        today=today,
    ).qs
    # The totals cover the chosen light; the count of each light covers the other filters, so
    # the page tells how many 超支/红/黄/正常 there are whichever light is shown (one query).
    chosen = warning_condition(cleaned.get("warning") or "", progress, thresholds)
    annotated = with_figures(projects, as_of)
    sums = annotated.aggregate(
        n=Count("pk", filter=chosen),
        initial_budget=Sum("initial_budget", filter=chosen),
        carryover=Sum("carryover", filter=chosen),
        adjusted=Sum("adjusted_total", filter=chosen),
        executed=Sum("executed_total", filter=chosen),
        **{
            f"n_{light}": Count("pk", filter=warning_condition(light, progress, thresholds))
            for light in rates.WARNINGS
        },
    )
    sort = cleaned.get("sort") or ""
    # A light or a sort on the figures reads the page from the annotated rows; otherwise the
    # page is plain projects (no join of every project's totals) and its figures come after.
    if chosen is not None:
        projects = annotated.filter(chosen)
    elif orders_by_figures(sort):
        projects = annotated
    zero = Decimal(0)
    totals = Execution.of(
        rates.BudgetFigures(
            initial=(sums["initial_budget"] or zero) + (sums["carryover"] or zero),
            adjusted=sums["adjusted"] or zero,
            executed=sums["executed"] or zero,
        ),
        progress,
        thresholds,
    )
    ordered = projects.select_related("department__division").order_by(*project_ordering(sort))
    paginator = Paginator(ordered, PAGE_SIZE)
    # The aggregate already counted the rows: spare the paginator its COUNT query.
    paginator.count = sums["n"]
    page = paginator.get_page(page_param(request))
    shown = list(page.object_list)
    figures = project_figures(Project.objects.filter(pk__in=[p.pk for p in shown]), as_of)
    rows = [(project, Execution.of(figures[project.pk], progress, thresholds)) for project in shown]
    context = {
        "form": form,
        "year": year,
        "as_of": as_of,
        "progress": progress,
        "progress_text": rate_text(progress),
        "progress_css": percent_css(progress),
        "thresholds": thresholds,
        "page": page,
        "rows": rows,
        "totals": totals,
        "count": sums["n"],
        "warning_counts": [
            (warning, warning_label(warning), sums[f"n_{warning}"]) for warning in WARNING_ORDER
        ],
        "sort": sort,
        "headers": _sort_headers(sort),
        "divisions": divisions,
        "division": division,
        "fixed_department": None if "department" in form.fields else user.department,
        "basic_department": basic_department_for(user, department),
    }
    return render(request, "budgets/project_list.html", context)


def _sort_headers(sort: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the sort value its header link sets, and its arrow."""
    headers = {}
    for key in ORDERINGS:
        if sort == key:
            headers[key] = {"next": f"-{key}", "arrow": "↑"}
        elif sort == f"-{key}":
            headers[key] = {"next": key, "arrow": "↓"}
        else:
            headers[key] = {"next": key, "arrow": ""}
    return headers


# --- project detail --------------------------------------------------------------------------

ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}
TRACKED: dict[type[Model], tuple[str, ...]] = {
    Project: (
        "code",
        "name",
        "type",
        "unit_id",
        "initial_budget",
        "carryover",
        "special_account_funds",
        "unit_funds",
    ),
    Payment: (
        "voucher",
        "date",
        "amount",
        "project_id",
        "three_public",
        "procurement",
        "summary",
    ),
    Adjustment: ("document_number", "date", "amount", "kind", "note", "project_id"),
}


@dataclass(frozen=True)
class HistoryEntry:
    when: Any
    who: str
    action: str
    subject: str
    changes: list[str]


def _field_label(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name.removesuffix("_id"))
    return str(field.verbose_name).split("（")[0]


def _show(value: Any) -> str:
    if value is None or value == "":
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return money_text(value)
    return str(value)


def _subject(model: type[Model], record: Any) -> str:
    if model is Payment:
        return f"支出 {record.voucher}"
    if model is Adjustment:
        return f"预算调整 {record.document_number}"
    return "项目"


def project_history(project: Project, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The latest changes of the project, its payments and adjustments (three queries).

    Each record is compared with the previous record of the same object through LAG window
    columns, so the page never loads the history record by record.
    """
    sources = (
        (Project, Project.history.filter(id=project.pk)),
        (Payment, Payment.history.filter(project_id=project.pk)),
        (Adjustment, Adjustment.history.filter(project_id=project.pk)),
    )
    entries: list[HistoryEntry] = []
    for model, records in sources:
        fields = TRACKED[model]
        window = {"partition_by": [F("id")], "order_by": [F("history_date"), F("history_id")]}
        lags = {f"prev_{name}": Window(Lag(name), **window) for name in fields}
        records = (
            records.select_related("history_user")
            .annotate(prev_id=Window(Lag("history_id"), **window), **lags)
            .order_by("-history_date", "-history_id")[:limit]
        )
        for record in records:
            changes = []
            if record.history_type == "~" and record.prev_id is not None:
                for name in fields:
                    old, new = getattr(record, f"prev_{name}"), getattr(record, name)
                    if old != new:
                        label = _field_label(model, name)
                        changes.append(f"{label}：{_show(old)} → {_show(new)}")
            elif record.history_type == "+" and model is not Project:
                changes.append(f"金额：{_show(record.amount)}")
            user = record.history_user
            entries.append(
                HistoryEntry(
                    when=record.history_date,
                    who=user.display_name if user else "系统",
                    action=ACTIONS.get(record.history_type, record.history_type),
                    subject=_subject(model, record),
                    changes=changes,
                )
            )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]


def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One project: its budget facts and rates, adjustments, payments and audit history."""
    project = get_object_or_404(
        restrict(Project.objects.select_related("department__division", "unit"), request.user),
        pk=pk,
    )
    as_of = default_as_of(project.year)
    as_of_error = ""
    try:
        chosen = parse_date(request.GET.get("as_of"))
    except BadParameter as exc:
        as_of_error = exc.message
    else:
        if chosen is not None and chosen.year == project.year:
            as_of = chosen
        elif chosen is not None:
            as_of_error = AS_OF_OUTSIDE_PROJECT_YEAR.format(year=project.year)
    figures = project_figures(Project.objects.filter(pk=project.pk), as_of)[project.pk]
    progress = rates.time_progress(as_of)
    thresholds = warning_thresholds()
    execution = Execution.of(figures, progress, thresholds)
    payments = Paginator(project.payments.order_by("date", "voucher", "pk"), PAGE_SIZE).get_page(
        page_param(request)
    )
    adjustments = [(a, amount(a.amount)) for a in project.adjustments.order_by("date", "pk")]
    context = {
        "project": project,
        "as_of": as_of,
        "as_of_error": as_of_error,
        "execution": execution,
        "carryover": amount(project.carryover),
        "initial_budget": amount(project.initial_budget),
        "adjustment_rate": rate_text(figures.adjustment_rate),
        "policy_adjusted": amount(figures.policy) if figures.policy else "",
        "carryover_rate": rate_text(figures.carryover_rate),
        "progress": progress,
        "progress_text": rate_text(progress),
        "progress_css": percent_css(progress),
        "adjustments": adjustments,
        "payments": payments,
        "payment_rows": [(p, amount(p.amount)) for p in payments.object_list],
        "history": project_history(project),
        "history_limit": HISTORY_LIMIT,
        "may_change": may_access_department(request.user, project.department, FACTS),
    }
    return render(request, "budgets/project_detail.html", context)
