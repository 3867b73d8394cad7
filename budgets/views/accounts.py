"""Signing out: Django's view, plus a word on the login page that it worked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

LOGGED_OUT = "已退出登录。"


class LogoutView(auth_views.LogoutView):
    """POST only, as Django's; the login page it redirects to says 已退出登录."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        # Added after the session is flushed: the message goes out in the messages cookie.
        messages.success(request, LOGGED_OUT)
        return response
