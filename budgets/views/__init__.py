"""Pages of the budgets app; each group of pages lives in its own module."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ..access import restrict
from ..models import Department


def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: the departments the user may see."""
    departments = restrict(Department.objects.all(), request.user, department_field="pk")
    return render(request, "home.html", {"departments": departments})


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for docker-compose and load balancers."""
    return JsonResponse({"status": "ok"})
