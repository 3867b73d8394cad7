"""A database that stays locked longer than the busy timeout: a clear answer, not a 500.

On the embedded SQLite default one writer at a time holds the lock; another waits up to the
`timeout` option (settings) and then gets `OperationalError: database is locked`.
"""

from __future__ import annotations

import sys

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

DATABASE_BUSY_PAGE = "系统正忙，请稍后重试：另一项导入或保存正在写入数据，本次操作未保存。"


def is_database_busy(exc: BaseException) -> bool:
    """True for a lock that was not granted in time (SQLite's busy timeout)."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a lock timeout anywhere in the request answers 503 with a Chinese message."""
    exc = sys.exc_info()[1]
    if exc is None or not is_database_busy(exc):
        return defaults.server_error(request)
    response = HttpResponse(
        render_to_string("503_busy.html", {"message": DATABASE_BUSY_PAGE}), status=503
    )
    response["Retry-After"] = "5"
    return response
