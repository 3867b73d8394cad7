"""Payment and adjustment forms, and the list of payments (e.g. basic expenditure)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ..access import FACTS, department_ids, restrict, sees_several_departments
from ..forms import AdjustmentForm, PaymentFilterForm, PaymentForm
from ..models import Adjustment, Department, Payment, Project
from ..params import BadParameter, bad_request, page_param, parse_id, parse_year
from ..services import (
    adjustment_delete,
    adjustment_save,
    payment_delete,
    payment_save,
    project_remaining_budget,
)
from .common import (
    PAGE_SIZE,
    amount,
    basic_department_for,
    chosen_division,
    department_choices,
    division_choices,
)

PAYMENT_SAVED = "已保存支出凭证“{voucher}”"
PAYMENT_DELETED = "已删除支出凭证“{voucher}”"
ADJUSTMENT_SAVED = "已保存预算调整“{number}”（{kind}）"
ADJUSTMENT_DELETED = "已删除预算调整“{number}”"


def _basic_department(request: HttpRequest) -> Department:
    """The department of a basic-expenditure payment: ?department=<id>, staff default own.
    Raises BadParameter for an id that is not one."""
    allowed = restrict(
        Department.objects.select_related("division"), request.user, FACTS, department_field="pk"
    )
    raw = request.GET.get("department") or request.POST.get("department")
    if department_id := parse_id(raw, label="部门"):
        return get_object_or_404(allowed, pk=department_id)
    if request.user.department_id and not sees_several_departments(request.user):
        return get_object_or_404(allowed, pk=request.user.department_id)
    raise Http404


def _save_or_errors(form: Any, save: Any) -> Any | None:
    """Call the service; its ValidationError becomes form errors (and nothing is written)."""
    try:
        return save()
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


def _payment_context(form: PaymentForm, project: Project | None) -> dict[str, Any]:
    """The project's remaining budget for the page; the 确认超预算支出 box only when asked."""
    asked = "confirm_over_budget" in form.errors or (
        form.is_bound and form.data.get("confirm_over_budget")
    )
    if project is None or not asked:
        form.fields.pop("confirm_over_budget", None)
    if project is None:
        return {"remaining": None, "over_budget": False}
    figures = project_remaining_budget(project)
    return {
        "remaining": amount(figures.adjusted - figures.executed),
        "full_year_budget": amount(figures.adjusted),
        "full_year_executed": amount(figures.executed),
        "over_budget": "confirm_over_budget" in form.errors,
    }


def _after_payment(payment: Payment) -> str:
    if payment.project_id:
        return reverse("budgets:project_detail", args=[payment.project_id])
    return (
        reverse("budgets:payment_list")
        + f"?department={payment.department_id}&year={payment.year}&kind=basic"
    )


@require_http_methods(["GET", "POST"])
def payment_create(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Record a payment of a project, or a basic-expenditure payment of a department."""
    project = None
    if pk is not None:
        project = get_object_or_404(
            restrict(Project.objects.select_related("department__division"), request.user, FACTS),
            pk=pk,
        )
        department = project.department
    year = None
    if project is None:
        try:
            department = _basic_department(request)
            # Basic expenditure has no project year: the list links here with the year shown.
            year = parse_year(request.GET.get("year"))
        except BadParameter as exc:
            return bad_request(exc)
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payment = _save_or_errors(
            form,
            lambda: payment_save(
                user=request.user, department=department, project=project, year=year, **data
            ),
        )
        if payment is not None:
            messages.success(request, PAYMENT_SAVED.format(voucher=payment.voucher))
            return redirect(_after_payment(payment))
    context = {
        "form": form,
        "project": project,
        "department": department,
        "payment": None,
        "year": year,
        **_payment_context(form, project),
    }
    return render(request, "budgets/payment_form.html", context)


@require_http_methods(["GET", "POST"])
def payment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(
        restrict(
            Payment.objects.select_related("department__division", "project"), request.user, FACTS
        ),
        pk=pk,
    )
    initial = {
        name: getattr(payment, name)
        for name in ("voucher", "date", "amount", "three_public", "procurement", "summary")
    }
    initial["amount"] = amount(payment.amount)
    form = PaymentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save_or_errors(
            form,
            lambda: payment_save(
                user=request.user,
                department=payment.department,
                project=payment.project,
                payment=payment,
                # A project payment may move to the same project of another year; basic
                # expenditure stays in the year it was entered for.
                year=None if payment.project_id else payment.year,
                **form.cleaned_data,
            ),
        )
        if saved is not None:
            messages.success(request, PAYMENT_SAVED.format(voucher=saved.voucher))
            return redirect(_after_payment(saved))
    context = {
        "form": form,
        "project": payment.project,
        "department": payment.department,
        "payment": payment,
        "year": None if payment.project_id else payment.year,
        **_payment_context(form, payment.project),
    }
    return render(request, "budgets/payment_form.html", context)


@require_http_methods(["GET", "POST"])
def payment_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(
        restrict(
            Payment.objects.select_related("department__division", "project"), request.user, FACTS
        ),
        pk=pk,
    )
    if request.method == "POST":
        target = _after_payment(payment)
        payment_delete(user=request.user, payment=payment)
        messages.success(request, PAYMENT_DELETED.format(voucher=payment.voucher))
        return redirect(target)
    return render(
        request,
        "budgets/payment_confirm_delete.html",
        {"payment": payment, "amount": amount(payment.amount)},
    )


@require_http_methods(["GET", "POST"])
def adjustment_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(
        restrict(Project.objects.select_related("department__division"), request.user, FACTS), pk=pk
    )
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        adjustment = _save_or_errors(
            form, lambda: adjustment_save(user=request.user, project=project, **form.cleaned_data)
        )
        if adjustment is not None:
            messages.success(
                request,
                ADJUSTMENT_SAVED.format(
                    number=adjustment.document_number, kind=adjustment.get_kind_display()
                ),
            )
            return redirect("budgets:project_detail", adjustment.project_id)
    return render(request, "budgets/adjustment_form.html", {"form": form, "project": project})


def _changeable_adjustment(request: HttpRequest, pk: int) -> Adjustment:
    """An adjustment the user may write (budget facts): another department's is a 404."""
    return get_object_or_404(
        restrict(
            Adjustment.objects.select_related("project__department__division"),
            request.user,
            FACTS,
            department_field="project__department",
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def adjustment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = _changeable_adjustment(request, pk)
    initial = {
        name: getattr(adjustment, name) for name in ("document_number", "date", "kind", "note")
    }
    initial["amount"] = amount(adjustment.amount)
    form = AdjustmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save_or_errors(
            form,
            lambda: adjustment_save(
                user=request.user,
                project=adjustment.project,
                adjustment=adjustment,
                **form.cleaned_data,
            ),
        )
        if saved is not None:
            messages.success(
                request,
                ADJUSTMENT_SAVED.format(
                    number=saved.document_number, kind=saved.get_kind_display()
                ),
            )
            return redirect("budgets:project_detail", saved.project_id)
    context = {"form": form, "project": adjustment.project, "adjustment": adjustment}
    return render(request, "budgets/adjustment_form.html", context)


@require_http_methods(["GET", "POST"])
def adjustment_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = _changeable_adjustment(request, pk)
    error = None
    if request.method == "POST":
        try:
            adjustment_delete(user=request.user, adjustment=adjustment)
        except ValidationError as exc:
            error = exc.messages
        else:
            messages.success(request, ADJUSTMENT_DELETED.format(number=adjustment.document_number))
            return redirect("budgets:project_detail", adjustment.project_id)
    return render(
        request,
        "budgets/adjustment_confirm_delete.html",
        {"adjustment": adjustment, "amount": amount(adjustment.amount), "errors": error},
    )


def payment_list(request: HttpRequest) -> HttpResponse:
    """Payments of a year, e.g. a department's basic expenditure (which has no project page)."""
    user = request.user
    visible = restrict(Payment.objects.all(), user)
    years = list(visible.order_by("-year").values_list("year", flat=True).distinct())
    divisions = division_choices(request)
    division = chosen_division(request)
    form = PaymentFilterForm(
        request.GET,
        years=years,
        departments=department_choices(request, division),
        with_division=bool(divisions),
    )
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    year = cleaned.get("year") or (years[0] if years else timezone.localdate().year)
    payments = visible.filter(year=year)
    if division is not None:
        payments = payments.filter(department__division__code=division)
    department = cleaned.get("department")
    if department is not None:
        payments = payments.filter(department=department)
    kind = cleaned.get("kind")
    if kind == "basic":
        payments = payments.filter(project__isnull=True)
    elif kind == "project":
        payments = payments.filter(project__isnull=False)
    if search := cleaned.get("q"):
        payments = payments.filter(Q(voucher__icontains=search) | Q(summary__icontains=search))
    total = payments.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    page = Paginator(
        payments.select_related("department__division", "project").order_by(
            "-date", "voucher", "pk"
        ),
        PAGE_SIZE,
    ).get_page(page_param(request))
    changeable = department_ids(user, FACTS)
    context = {
        "form": form,
        "year": year,
        "page": page,
        "rows": [
            (p, amount(p.amount), changeable is None or p.department_id in changeable)
            for p in page.object_list
        ],
        "total": amount(total),
        "divisions": divisions,
        "division": division,
        "basic_department": basic_department_for(user, department),
    }
    return render(request, "budgets/payment_list.html", context)
