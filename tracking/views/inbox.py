"""The inbox: a user's own notifications, unread first; mark one or all read.

Every query is filtered by `recipient=request.user`, so another user's notification is a 404
whatever the role (reviewers and admins do not read each other's mail either).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from budgets.params import page_param

from ..models import Notification
from ..notifications import notification_link, notifications_mark_read

PAGE_SIZE = 50
MARKED_READ = "已标为已读"
ALL_MARKED_READ = "已将{count}条消息标为已读"
NOTHING_UNREAD = "没有未读消息"


def _own(request: HttpRequest) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=request.user)


def _next_or_inbox(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("tracking:inbox")


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's notifications, unread first, newest first (50 a page)."""
    only_unread = request.GET.get("unread") == "1"
    query = _own(request)
    if only_unread:
        query = query.filter(read_at__isnull=True)
    query = query.annotate(
        is_read=ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField())
    ).order_by("is_read", "-created_at", "-pk")
    page = Paginator(query, PAGE_SIZE).get_page(page_param(request))
    rows = [(n, notification_link(n)) for n in page.object_list]
    return render(
        request,
        "tracking/inbox.html",
        {"page": page, "rows": rows, "only_unread": only_unread},
    )


@require_GET
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One notification in full. Reading it is a write, so a GET leaves it unread (a prefetch
    or a link checker must not read it); the inbox opens it through notification_read."""
    notification = get_object_or_404(_own(request), pk=pk)
    return render(
        request,
        "tracking/inbox_detail.html",
        {"notification": notification, "target": notification_link(notification)},
    )


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(_own(request), pk=pk)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    messages.success(request, MARKED_READ)
    return _next_or_inbox(request)


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_read(user=request.user)
    messages.success(request, ALL_MARKED_READ.format(count=count) if count else NOTHING_UNREAD)
    return redirect("tracking:inbox")


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/read-all/", notification_read_all, name="notification_read_all"),
    path("inbox/<int:pk>/", notification_detail, name="notification_detail"),
    path("inbox/<int:pk>/read/", notification_read, name="notification_read"),
]
