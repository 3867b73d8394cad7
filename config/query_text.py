"""A NUL character in the query string: a 400 naming the parameter, never a 500.

PostgreSQL refuses NUL in any text it is given, so a search box (a page's `q`, the admin's
search, an API filter) sent `%00` failed deep in the query as a 500. Forms and the API refuse
it in what they read themselves; the query string of every request is checked here, once.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

NUL_IN_QUERY = "查询参数“{name}”包含无法处理的空字符（\\x00），请删除后重试。"
API_PREFIX = "/api/"


class QueryTextMiddleware:
    """Answers 400 to a request whose query string holds a NUL (in a name or a value)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return self._refuse(request, name.replace("\x00", "\\x00"))
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, name: str) -> HttpResponse:
        message = NUL_IN_QUERY.format(name=name)
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": message, "errors": {name: [message]}}, status=400)
        html = render_to_string("400_query.html", {"message": message})
        return HttpResponse(html, status=400)
