"""Pages of the budgets app; each group of pages lives in its own module."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static

from config.database_down import database_not_required


@login_not_required
@database_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for docker-compose and load balancers: the web process answers.

    It does not ask the database: while PostgreSQL restarts, the pages answer 503 and recover
    by themselves (config/database_down.py); a probe failing then would only get a healthy
    web process restarted or taken out of service.
    """
    return JsonResponse({"status": "ok"})


@login_not_required
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """/favicon.ico, which browsers ask for wherever a page names no icon (the admin site)."""
    return redirect(static("favicon.ico"))
