"""The admin site: users get a section of their own on the index and in the side menu."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.views.i18n import JavaScriptCatalog

USERS_SECTION = "用户"
# The app whose index page (/admin/auth/) shows the section: groups live there.
USERS_APP_LABEL = "auth"


def _is_user_model(entry: dict) -> bool:
    return entry["model"] is get_user_model()


class ProjectAdminSite(admin.AdminSite):
    """The default site (config.apps.ProjectAdminConfig).

    The admin index groups models by app: the user model lives in budgets (AUTH_USER_MODEL)
    and would sit among projects and payments, while groups sit alone under auth. Both are
    shown together as 用户 instead.
    """

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request)
        users = [m for app in apps for m in app["models"] if _is_user_model(m)]
        for app in apps:
            app["models"] = [m for m in app["models"] if not _is_user_model(m)]
        section = next((app for app in apps if app["app_label"] == USERS_APP_LABEL), None)
        if users:
            if section is None:
                section = {
                    "app_label": USERS_APP_LABEL,
                    "app_url": reverse(
                        "admin:app_list",
                        kwargs={"app_label": USERS_APP_LABEL},
                        current_app=self.name,
                    ),
                    "has_module_perms": True,
                    "models": [],
                }
                apps.append(section)
            section["models"] = users + section["models"]
        if section is not None:
            section["name"] = USERS_SECTION
        apps = [app for app in apps if app["models"]]
        # The order Django gives: sections by name, models by name.
        apps.sort(key=lambda app: app["name"].lower())
        for app in apps:
            app["models"].sort(key=lambda m: m["name"])
        if app_label is not None:
            return [app for app in apps if app["app_label"] == app_label]
        return apps

    def i18n_javascript(self, request, extra_context=None):
        # config/locale's djangojs catalog fills what Django's leaves untranslated in the
        # selectors' tooltips ("Choose all %s").
        return JavaScriptCatalog.as_view(packages=["django.contrib.admin", "config"])(request)
