"""Chinese admin pages for the apps that bring their own: django-axes, django-celery-beat and
the groups' permission list.

Most of their labels go through gettext and are translated by config/locale. What is left here
are names built without gettext: columns named after a method ("Status", "Human readable"),
the beat task field's verbose_name ("Task Name"), cron descriptions in English, and the
permission names Django stores at migrate time ("Can add access log").
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from cron_descriptor import (
    ExpressionDescriptor,
    FormatException,
    MissingFieldException,
    Options,
    WrongArgumentException,
)
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group, Permission
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

TASK = "任务"
SCHEDULE = "计划"
CRONTAB_DESCRIPTION = "计划说明"
PERMISSION_ACTIONS = {"add": "增加", "change": "修改", "delete": "删除", "view": "查看"}
HISTORY_SUFFIX = "（历史记录）"


# --- django-axes ----------------------------------------------------------------------------


class ChineseAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description="状态")
    def status(self, obj: AccessAttempt) -> str:
        remaining = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        return f"还可尝试{remaining}次" if remaining > 0 else "已锁定"

    @admin.display(description="过期时间")
    def expiration(self, obj: AccessAttempt):
        return super().expiration(obj)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, ChineseAccessAttemptAdmin)


# --- django-celery-beat ---------------------------------------------------------------------


def _cronexp(value: str) -> str:
    return str(value).replace(" ", "") if value else "*"


def crontab_description(crontab: CrontabSchedule | None) -> str:
    """“在 02:00（Asia/Shanghai）”: beat's human_readable, in Chinese."""
    if crontab is None:
        return ""
    expression = " ".join(
        _cronexp(value)
        for value in (
            crontab.minute,
            crontab.hour,
            crontab.day_of_month,
            crontab.month_of_year,
            crontab.day_of_week,
        )
    )
    options = Options()
    options.locale_code = "zh_CN"
    options.use_24hour_time_format = True
    try:
        text = ExpressionDescriptor(expression, options).get_description()
    except (FormatException, MissingFieldException, WrongArgumentException):
        text = expression
    return f"{text}（{crontab.timezone}）"


class TaskFilter(admin.AllValuesFieldListFilter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The field's verbose_name is the plain string "Task Name" (no gettext).
        self.title = TASK


class PeriodicTaskInline(beat_admin.PeriodicTaskInline):
    fields = ("name", "task_name", "args", "kwargs")
    readonly_fields = fields

    @admin.display(description=TASK)
    def task_name(self, obj: PeriodicTask) -> str:
        return obj.task


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    list_display = ("name", "enabled", "schedule", "start_time", "last_run_at", "one_off")
    list_filter = ["enabled", "one_off", ("task", TaskFilter), "start_time", "last_run_at"]
    # beat's own form page adds English crontab descriptions for an inline script, which the
    # Content-Security-Policy blocks anyway: the plain page shows 计划说明 instead.
    change_form_template = None
    changeform_view = admin.ModelAdmin.changeform_view

    @admin.display(description=SCHEDULE)
    def schedule(self, obj: PeriodicTask) -> str:
        if obj.crontab is not None:
            return crontab_description(obj.crontab)
        return str(obj.scheduler or "—")

    @admin.display(description=CRONTAB_DESCRIPTION)
    def crontab_translation(self, obj: PeriodicTask) -> str:
        return crontab_description(obj.crontab)


class ClockedScheduleAdmin(beat_admin.ClockedScheduleAdmin):
    inlines = [PeriodicTaskInline]


class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    inlines = [PeriodicTaskInline]
    list_display = ("__str__", "description")
    fields = (
        "description",
        "minute",
        "hour",
        "day_of_month",
        "month_of_year",
        "day_of_week",
        "timezone",
    )
    readonly_fields = ("description",)

    @admin.display(description=CRONTAB_DESCRIPTION)
    def description(self, obj: CrontabSchedule) -> str:
        return crontab_description(obj) if obj.pk else ""


class SolarScheduleAdmin(beat_admin.SolarScheduleAdmin):
    inlines = [PeriodicTaskInline]


class IntervalScheduleAdmin(beat_admin.IntervalScheduleAdmin):
    inlines = [PeriodicTaskInline]


for _model, _model_admin in (
    (PeriodicTask, PeriodicTaskAdmin),
    (ClockedSchedule, ClockedScheduleAdmin),
    (CrontabSchedule, CrontabScheduleAdmin),
    (SolarSchedule, SolarScheduleAdmin),
    (IntervalSchedule, IntervalScheduleAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _model_admin)


# --- groups ---------------------------------------------------------------------------------


def permission_label(permission: Permission) -> str:
    """“预算与执行 | 项目 | 增加项目”, not the stored “Can add 项目” (or “Can add historical
    项目”: simple_history names its models in English)."""
    model = permission.content_type.model_class()
    action, _, codename_model = permission.codename.partition("_")
    if model is None or action not in PERMISSION_ACTIONS:
        return str(permission)
    original = getattr(model, "instance_type", None)
    if original is not None:
        name = f"{original._meta.verbose_name}{HISTORY_SUFFIX}"
    else:
        name = str(model._meta.verbose_name)
    if codename_model != model._meta.model_name:
        return f"{model._meta.app_config.verbose_name} | {name} | {permission.name}"
    return f"{model._meta.app_config.verbose_name} | {name} | {PERMISSION_ACTIONS[action]}{name}"


class ChineseGroupAdmin(GroupAdmin):
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name == "permissions" and field is not None:
            field.label_from_instance = permission_label
        return field


if admin.site.is_registered(Group):
    admin.site.unregister(Group)
    admin.site.register(Group, ChineseGroupAdmin)
