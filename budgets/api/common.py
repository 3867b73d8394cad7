"""What the viewsets of budgets and performance share beyond budgets/api/base.py: details by
a checked id, the write check of a resource, a list's FilterSet kept for the view."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import exceptions

from budgets.access import may_access_department
from budgets.models import Department
from budgets.params import BadParameter, parse_id
from budgets.services import NO_CHANGE_PERMISSION

from .base import NOT_FOUND
from .schema import ApiSchema

REPEATED_PARAMETER = "参数“{name}”只能给一个值"


def check_single_values(request) -> None:
    """400 for a query parameter given twice (`?year=2024&year=2023`): which one was meant?"""
    for name, values in request.query_params.lists():
        if len(values) > 1:
            shown = name[:20]
            raise exceptions.ValidationError({shown: [REPEATED_PARAMETER.format(name=shown)]})


class DetailMixin:
    """A detail (and its actions) is one of the rows the user may see, by an id that must be
    one (a 30-digit or negative id is a 404); query filters narrow lists only."""

    # Any path segment reaches get_object (`1.5` included): the answer is this view's JSON 404
    # whatever the method, never a page's (nor the CSRF check of a view outside DRF).
    lookup_value_regex = "[^/]+"
    schema = ApiSchema()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_single_values(request)

    def get_object(self) -> Any:
        raw = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        try:
            pk = parse_id(str(raw))
        except BadParameter:
            raise exceptions.NotFound(NOT_FOUND) from None
        if pk is None:
            raise exceptions.NotFound(NOT_FOUND)
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, obj)
        return obj

    def check_write(self, department: Department, message: str = NO_CHANGE_PERMISSION) -> None:
        """403 unless the user may write this department's rows of the resource's kind
        (`write_action`: FACTS or STATEMENTS, budgets/access.py)."""
        if not may_access_department(self.request.user, department, self.write_action):
            raise PermissionDenied(message.format(department=department.name))


class FilterSetMixin:
    """The list's FilterSet is built once and kept (`self.filterset`), so the view can read
    what was chosen (e.g. the date figures are shown as of); a bad value is a 400."""

    filter_backends = [DjangoFilterBackend]
    filterset = None

    def filter_queryset(self, queryset):
        filterset = DjangoFilterBackend().get_filterset(self.request, queryset, self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        self.filterset = filterset
        return filterset.qs
