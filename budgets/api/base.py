"""What every endpoint of the API shares: pagination, the one error shape, and querysets and
writes scoped through budgets/access.py (the pages' own rules, nothing of the API's own).

Errors (all 4xx carry Chinese messages, never a 500 for bad input):
    {"detail": "第一条消息", "errors": {"字段": ["消息", …], "non_field_errors": [...]}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from budgets.access import VIEW, restrict
from config.database_down import is_database_unavailable

NOT_FOUND = "对象不存在，或您无权访问"
NOT_AUTHENTICATED = "请先登录：使用会话，或在请求头中提供 Authorization: Token <key>"
FORBIDDEN = "您无权执行此操作"
PARSE_ERROR = "请求内容无法解析：{message}"
BAD_PAGE = "页码“{page_number}”无效"
MAX_PAGE_SIZE = 1000
BAD_PAGE_SIZE = "每页条数“{value}”无效，应为1—1000之间的整数"


class ApiPagination(PageNumberPagination):
    """?page= and ?page_size= (up to 1,000 rows a page)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_page_message = BAD_PAGE

    def get_page_size(self, request) -> int:
        """?page_size= between 1 and 1,000 (more is capped); anything else is a 400, not
        silently the default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError({"page_size": [BAD_PAGE_SIZE.format(value=raw[:20])]})
        return min(int(raw), self.max_page_size)


def _clean(text: str) -> str:
    """The text with lone surrogates (a JSON body may hold "\\ud800") replaced: an error that
    echoes them could not be encoded as UTF-8 and would be a 500."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _messages(detail) -> list[str]:
    """Every message of a DRF error detail (str, list or dict), flattened in order."""
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [_clean(str(detail))]


def _body(detail) -> dict:
    messages = _messages(detail)
    body = {"detail": messages[0] if messages else ""}
    if isinstance(detail, dict):
        body["errors"] = {_clean(str(k)): _messages(v) for k, v in detail.items()}
    elif isinstance(detail, list):
        body["errors"] = {"non_field_errors": messages}
    return body


def api_exception_handler(exc, context):
    """DRF's handler with the services' errors mapped: a Django ValidationError (budgets.errors,
    every service) is 400 with its fields; PermissionDenied 403; Http404 404."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or FORBIDDEN)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        if isinstance(exc, exceptions.NotAuthenticated):
            exc = exceptions.NotAuthenticated(NOT_AUTHENTICATED)
    elif isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError(PARSE_ERROR.format(message=exc.detail))
    elif isinstance(exc, DatabaseError) and is_database_unavailable(exc):
        # Not the client's: raised on, so that DatabaseDownMiddleware answers its 503.
        return None
    elif isinstance(exc, DatabaseError):
        # A value the database cannot hold (beyond the fields' validation) is the client's.
        return Response(
            {"detail": "数据无法保存：取值超出范围"}, status=status.HTTP_400_BAD_REQUEST
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    only_detail = isinstance(data, dict) and set(data) == {"detail"}
    response.data = _body(data["detail"] if only_detail else data)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Token realm="api"'
    return response


class ScopedMixin:
    """A viewset whose rows are those of the departments the user may act on.

    `department_field`: the path (or paths) from the model to its Department, as
    budgets.access.restrict takes it. Reads use VIEW; a write resource declares
    `write_action` (FACTS or STATEMENTS) and checks it on the object's department."""

    department_field: str | tuple[str, ...] = "department"
    write_action: str | None = None

    def scoped(self, queryset, action: str = VIEW):
        return restrict(queryset, self.request.user, action, department_field=self.department_field)
