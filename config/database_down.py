"""The database cannot be reached (PostgreSQL restarting, stopped, out of reach): a 503.

While PostgreSQL restarts, every query of every request fails. Left alone, each request would
be a 500 with a traceback in the log; here it is a short Chinese 503 page (a JSON 503 in the
API's error shape under /api/) and one warning line. Nothing needs restarting afterwards:
with CONN_HEALTH_CHECKS (settings) a persistent connection that died with the server is
replaced at the next request's first query.

Where a failure can happen, and who answers it:
- in the view (or its template): process_exception below;
- before the view, in the session and auth middleware (LoginRequiredMiddleware reads the
  session and the user in its process_view, whose errors never reach process_exception):
  process_view below opens the connection and loads the user first, where a failure can
  still be answered. For the API this check is what answers 503: an error inside a DRF view
  goes to budgets.api.base.api_exception_handler, not to process_exception.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from config.dbbusy import is_database_busy

DATABASE_DOWN = "数据库暂时无法连接，请稍后重试。"
RETRY_AFTER_SECONDS = 5
API_PREFIX = "/api/"

# SQLSTATEs that mean "no server to talk to": class 08 (connection exception), the server
# shutting down or starting up (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
# cannot_connect_now) and 53300 too_many_connections. A deadlock, a statement timeout or a
# missing table is an OperationalError too, but a real error of the request: those stay 500s.
_UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}

logger = logging.getLogger(__name__)


def is_database_unavailable(exc: BaseException) -> bool:
    """True when the error says the database cannot be reached, not that a query was wrong."""
    if isinstance(exc, InterfaceError):
        # Django raises it for a connection already closed (psycopg's own InterfaceError too).
        return True
    if not isinstance(exc, OperationalError) or is_database_busy(exc):
        return False
    cause = exc.__cause__
    if hasattr(cause, "sqlstate"):
        # psycopg: an error the client raised itself (refused, timed out, server closed the
        # connection) has no SQLSTATE; an error the server sent has one.
        state = cause.sqlstate
        return state is None or state.startswith("08") or state in _UNREACHABLE_SQLSTATES
    if isinstance(cause, sqlite3.OperationalError):
        return getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_CANTOPEN
    return False


def database_not_required(view: Callable) -> Callable:
    """Mark a view that answers without the database (the liveness probe): not checked."""
    view.database_required = False
    return view


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for `request`, logged as one warning line without a traceback."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    logger.warning(
        "database unavailable, answered 503: %s %s (%s)", request.method, request.path, reason
    )
    if request.path_info.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(
            {"detail": DATABASE_DOWN, "errors": {}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        # Rendered without the request: no context processor, so nothing touches the database.
        page = render_to_string("503.html", {"message": DATABASE_DOWN})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Django logs every 5xx again as an ERROR ("Service Unavailable: /path"); the warning
    # above says it all, once per request.
    response._has_been_logged = True
    return response


class DatabaseDownMiddleware:
    """Answer 503 instead of 500 while the database cannot be reached (see the module doc).

    Listed before LoginRequiredMiddleware: its process_view must run first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "database_required", True):
            return None
        try:
            # What the first query would do anyway: with CONN_HEALTH_CHECKS, replace a
            # persistent connection that died with the server, then connect.
            connection.cursor().close()
            user = getattr(request, "user", None)
            if user is not None and getattr(view_func, "login_required", True):
                # Read the session and the user now, as LoginRequiredMiddleware is about to.
                user.is_authenticated  # noqa: B018
        except Exception as exc:
            if is_database_unavailable(exc):
                return unavailable_response(request, exc)
            # Any other failure is not this check's to answer: the view (or
            # LoginRequiredMiddleware) meets it again and it is reported as it always was. A
            # view that needs no database (the API schema) still answers.
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if is_database_unavailable(exception):
            return unavailable_response(request, exception)
        return None
