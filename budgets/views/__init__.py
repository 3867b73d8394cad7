"""Pages of the budgets app; each group of pages lives in its own module."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for docker-compose and load balancers."""
    return JsonResponse({"status": "ok"})


@login_not_required
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """/favicon.ico, which browsers ask for wherever a page names no icon (the admin site)."""
    return redirect(static("favicon.ico"))
