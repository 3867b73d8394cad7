"""Pages of the budgets app; each group of pages lives in its own module."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from ..access import is_reviewer, restrict
from ..models import Department


def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: the user's 区划 and the departments the user may see."""
    departments = list(
        restrict(
            Department.objects.select_related("division").order_by("division__code", "code"),
            request.user,
            department_field="pk",
        )
    )
    context = {
        "departments": departments,
        "several_divisions": len({d.division_id for d in departments}) > 1,
        "is_reviewer": is_reviewer(request.user),
    }
    return render(request, "home.html", context)


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for docker-compose and load balancers."""
    return JsonResponse({"status": "ok"})


@login_not_required
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """/favicon.ico, which browsers ask for wherever a page names no icon (the admin site)."""
    return redirect(static("favicon.ico"))
