"""App configs that put the admin site and the third-party apps into Chinese.

`ProjectConfig` makes the project package an app so that Django finds its admin module
(config/admin.py: Chinese columns for django-axes and django-celery-beat) and its catalog
(config/locale: the strings those apps and Django 5.2 leave untranslated in zh-hans).
"""

from __future__ import annotations

from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig as BaseAuthConfig
from django.utils import timezone


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = "系统配置"


class ProjectAdminConfig(AdminConfig):
    # The site that groups 用户 apart from the budget data (config/admin_site.py).
    default_site = "config.admin_site.ProjectAdminSite"


class AuthConfig(BaseAuthConfig):
    # Groups share the admin's 用户 section with the user model (config/admin_site.py): the
    # same name on their pages' breadcrumbs and in the permission names, not 认证和授权.
    verbose_name = "用户"


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _attempt_str(attempt) -> str:
    return f"登录尝试：{attempt.username or '—'}，{_when(attempt.attempt_time)}"


def _access_log_str(log) -> str:
    return f"登录日志：{log.username or '—'}，{_when(log.attempt_time)}"


def _failure_str(failure) -> str:
    locked = "（已锁定）" if failure.locked_out else ""
    return (
        f"登录失败：{failure.username or '—'}{locked}，{_when(failure.attempt_time)}，"
        f"来自 {failure.ip_address or '—'}"
    )


class AxesConfig(BaseAxesConfig):
    # Without a verbose_name the admin shows the label title-cased ("Axes"), untranslatable.
    verbose_name = "登录防护"

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        # axes builds these names with English f-strings (no gettext), and the admin shows
        # them as the heading of every change page and in each row's checkbox label.
        AccessAttempt.__str__ = _attempt_str
        AccessLog.__str__ = _access_log_str
        AccessFailureLog.__str__ = _failure_str
