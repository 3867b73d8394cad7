"""Admin pages of the budgets app; lists go through the same access rule as the web pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from . import divisions
from .access import STATEMENTS, is_admin, restrict, sees_several_departments
from .choices import warning_label
from .models import (
    Adjustment,
    Department,
    DepartmentBudget,
    DepartmentRateSnapshot,
    Division,
    ImportJob,
    Payment,
    Project,
    ProjectRateSnapshot,
    ScheduledRun,
    Unit,
    User,
    WarningSettings,
)
from .services import adjustment_delete, check_budget_not_negative, check_over_budget
from .templatetags.money import money_text
from .text import refuse_unwritable

# --- list columns ------------------------------------------------------------------------------
# Columns are named "<field>_money" and "<field>_short" so that templates/admin/base_site.html
# can align amounts right and keep them and the codes on one line.


def _label(model: type[models.Model], field_name: str) -> str:
    return str(model._meta.get_field(field_name).verbose_name)


def money_column(model: type[models.Model], field_name: str) -> Callable[[Any], str]:
    """An amount as the pages print it (money_text): "1,234.50", "—" for none."""

    @admin.display(description=_label(model, field_name), ordering=field_name)
    def column(obj: Any) -> str:
        return money_text(getattr(obj, field_name))

    column.__name__ = f"{field_name}_money"
    return column


def short_column(model: type[models.Model], path: str, length: int) -> Callable[[Any], str]:
    """A long text ("name", or "department__name" one relation away) cut to `length`
    characters; the whole text is its tooltip."""
    first, _, rest = path.partition("__")

    @admin.display(description=_label(model, first), ordering=path)
    def column(obj: Any) -> str:
        value = getattr(obj, first)
        text = str(getattr(value, rest) if rest and value is not None else value or "")
        short = Truncator(text).chars(length)
        if short == text:
            return text
        return format_html('<span title="{}">{}</span>', text, short)

    column.__name__ = f"{path}_short"
    return column


def warning_column(
    model: type[models.Model], field_name: str, *, none: str | None = None
) -> Callable[[Any], str]:
    """The execution warning by its one Chinese label (“黄色预警”), never the stored value."""

    @admin.display(description=_label(model, field_name), ordering=field_name)
    def column(obj: Any) -> str:
        value = getattr(obj, field_name) or None
        return warning_label(value) if none is None else warning_label(value, none=none)

    column.__name__ = f"{field_name}_label"
    return column


class WritableTextMixin:
    """Every text field of the admin's forms, inlines' included, refuses text no xlsx export or
    database can hold (a vertical tab pasted from Word, NUL), with the pages' message.

    Every admin class of the budgets, performance and tracking apps takes this mixin (a test
    checks it). It sits here rather than as validators on the models' fields: those would need
    a migration of every text field of the three apps and run only in model forms (the pages'
    forms and the API check their input themselves), while every field the admin builds from
    a model field comes through this one method. Fields an admin form declares itself are
    budgets.text.TextField.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(field, forms.CharField):
            refuse_unwritable(field)
        return field


class DepartmentScopedAdmin(WritableTextMixin, SimpleHistoryAdmin):
    """Admin whose rows are limited to the departments the signed-in user may act on."""

    department_field = "department"

    def get_queryset(self, request):
        return restrict(
            super().get_queryset(request), request.user, department_field=self.department_field
        )

    def has_change_permission(self, request, obj=None):
        if (
            obj is not None
            and not restrict(
                type(obj).objects.filter(pk=obj.pk),
                request.user,
                STATEMENTS,
                department_field=self.department_field,
            ).exists()
        ):
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


class DivisionForm(forms.ModelForm):
    class Meta:
        model = Division
        fields = ("code", "name")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "name" in self.fields:
            self.fields["name"].required = False
            self.fields["name"].help_text = "留空则取 GB/T 2260 的名称"

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not divisions.is_code(code):
            raise forms.ValidationError(divisions.BAD_CODE.format(code=code))
        return code


@admin.register(Division)
class DivisionAdmin(WritableTextMixin, SimpleHistoryAdmin):
    """区划: the code is fixed once created (level and parent follow from it); an admin may
    rename one, e.g. a “区划NNNNNN” that GB/T 2260 did not know."""

    form = DivisionForm
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)

    def get_fields(self, request, obj=None):
        return ("code", "name") if obj is None else ("code", "name", "level", "parent")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("code", "level", "parent")

    def save_model(self, request, obj, form, change):
        if not change:
            # The divisions above are set up from GB/T 2260 as an import would.
            above = divisions.parent_code(obj.code)
            obj.parent = Division.ensure(above) if above else None
            obj.level = divisions.level_of(obj.code)
        obj.name = obj.name.strip() or divisions.official_name(obj.code)
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        return is_admin(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_delete_permission(request, obj)


@admin.register(User)
class UserAdmin(WritableTextMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = (
        "username",
        "name",
        "role",
        "department",
        "division",
        "with_subordinates",
        "email",
        "is_active",
        "last_login",
    )
    list_filter = ("role", "is_active", "with_subordinates", "division", "department")
    search_fields = (
        "username",
        "name",
        "email",
        "department__name",
        "department__code",
        "division__code",
        "division__name",
    )
    autocomplete_fields = ("department", "division")
    list_select_related = ("department", "division")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("name", "email")}),
        ("角色与部门", {"fields": ("role", "department", "division", "with_subordinates")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("重要日期", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "password1",
                    "password2",
                    "name",
                    "role",
                    "department",
                    "division",
                    "with_subordinates",
                )
            },
        ),
    )


@admin.register(Department)
class DepartmentAdmin(DepartmentScopedAdmin):
    department_field = "pk"
    list_display = ("code", "name", "division")
    list_filter = ("division",)
    search_fields = ("code", "name", "division__code", "division__name")
    autocomplete_fields = ("division",)
    list_select_related = ("division",)


@admin.register(Unit)
class UnitAdmin(DepartmentScopedAdmin):
    list_display = ("code", "name", "department")
    search_fields = ("code", "name", "department__name")
    list_filter = ("department",)
    autocomplete_fields = ("department",)


@admin.register(Project)
class ProjectAdmin(DepartmentScopedAdmin):
    # Narrow enough to read beside the side menu and the filters at 1280 px: the type is a
    # filter, long names are cut (the whole name is the tooltip), and 年初预算 and 上年结转 are
    # one column, the pages' 年初预算数 (its parts are the tooltip).
    list_display = (
        "year",
        "code",
        short_column(Project, "name", 10),
        short_column(Project, "department__name", 8),
        "initial_total_money",
    )
    list_display_links = ("year", "code")
    list_filter = ("year", "type", "department")
    search_fields = ("code", "name", "unit__name", "department__name")
    autocomplete_fields = ("department", "unit")
    list_select_related = ("department",)

    @admin.display(description="年初预算数（万元）", ordering=F("initial_budget") + F("carryover"))
    def initial_total_money(self, obj: Project) -> str:
        parts = (
            f"{_label(Project, 'initial_budget')} {money_text(obj.initial_budget)} + "
            f"{_label(Project, 'carryover')} {money_text(obj.carryover)}"
        )
        return format_html('<span title="{}">{}</span>', parts, money_text(obj.initial_total))


@admin.register(DepartmentBudget)
class DepartmentBudgetAdmin(DepartmentScopedAdmin):
    list_display = (
        "year",
        "department",
        money_column(DepartmentBudget, "basic_expenditure"),
        money_column(DepartmentBudget, "three_public_budget"),
        money_column(DepartmentBudget, "procurement_budget"),
        money_column(DepartmentBudget, "stated_total"),
    )
    list_filter = ("year", "department")
    search_fields = ("department__name", "department__code")
    list_select_related = ("department",)


class AdjustmentAdminForm(forms.ModelForm):
    """The page's rule here too: no adjustment may leave 全年预算数 negative."""

    class Meta:
        model = Adjustment
        fields = ("year", "document_number", "project", "date", "amount", "kind", "note")

    def clean(self) -> dict:
        cleaned = super().clean()
        project, amount = cleaned.get("project"), cleaned.get("amount")
        if project is not None and amount is not None:
            # The stored row (self.instance is only updated after clean) is the one replaced.
            check_budget_not_negative(project, amount, self.instance)
        return cleaned


@admin.register(Adjustment)
class AdjustmentAdmin(DepartmentScopedAdmin):
    department_field = "project__department"
    form = AdjustmentAdminForm
    list_display = (
        "year",
        "department",
        "document_number",
        "project",
        "date",
        money_column(Adjustment, "amount"),
        "kind",
    )
    list_filter = ("year", "kind", "project__department")
    search_fields = ("document_number", "project__code", "project__name", "note")
    autocomplete_fields = ("project",)
    date_hierarchy = "date"
    list_select_related = ("project", "department")

    # Deleting an adjustment may leave 全年预算数 negative (a 追加 with a later 追减): the
    # pages' rule (services.adjustment_delete) decides, one adjustment at a time — a bulk
    # delete could not say which one is refused, so it is not offered.
    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        adjustment_delete(user=request.user, adjustment=obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:  # raised in the view's transaction: nothing deleted
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
            return redirect("admin:budgets_adjustment_change", object_id)


class PaymentAdminForm(forms.ModelForm):
    """The page's rule here too: a payment that takes 执行数 above 全年预算数 needs the box."""

    confirm_over_budget = forms.BooleanField(
        label="确认超预算支出",
        required=False,
        help_text="本次支出使项目执行数超过全年预算数时，须勾选后才能保存",
    )

    class Meta:
        model = Payment
        fields = (
            "department",
            "year",
            "voucher",
            "date",
            "amount",
            "project",
            "three_public",
            "procurement",
            "summary",
            "confirm_over_budget",
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        project, amount = cleaned.get("project"), cleaned.get("amount")
        if project is not None and amount is not None and not cleaned.get("confirm_over_budget"):
            # The stored row (self.instance is only updated after clean) is the one replaced.
            check_over_budget(project, amount, self.instance)
        return cleaned


@admin.register(Payment)
class PaymentAdmin(DepartmentScopedAdmin):
    form = PaymentAdminForm
    list_display = (
        "year",
        "voucher",
        "department",
        "project",
        "date",
        money_column(Payment, "amount"),
        "three_public",
        "procurement",
    )
    list_filter = ("year", "department", "three_public", "procurement")
    search_fields = ("voucher", "summary", "project__code", "project__name")
    autocomplete_fields = ("department", "project")
    date_hierarchy = "date"
    list_select_related = ("department", "project")


@admin.register(WarningSettings)
class WarningSettingsAdmin(WritableTextMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "green_fraction", "yellow_fraction")

    def has_add_permission(self, request):
        return not WarningSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProjectRateSnapshot)
class ProjectRateSnapshotAdmin(DepartmentScopedAdmin):
    department_field = "project__department"
    list_display = (
        "as_of",
        "project",
        money_column(ProjectRateSnapshot, "adjusted"),
        money_column(ProjectRateSnapshot, "executed"),
        "execution_rate",
        warning_column(ProjectRateSnapshot, "warning"),
    )
    list_filter = ("as_of", "warning")
    search_fields = ("project__code", "project__name")
    list_select_related = ("project",)


@admin.register(DepartmentRateSnapshot)
class DepartmentRateSnapshotAdmin(DepartmentScopedAdmin):
    list_display = (
        "as_of",
        "year",
        "department",
        money_column(DepartmentRateSnapshot, "adjusted"),
        money_column(DepartmentRateSnapshot, "executed"),
        "execution_rate",
        warning_column(DepartmentRateSnapshot, "warning"),
    )
    list_filter = ("year", "as_of", "department")
    list_select_related = ("department",)


@admin.register(ImportJob)
class ImportJobAdmin(WritableTextMixin, admin.ModelAdmin):
    """Uploads are read-only here: they are created and run from the import page."""

    list_display = ("created_at", "user", "original_name", "status", "dry_run", "rows_done")
    list_filter = ("status", "dry_run", "background")
    search_fields = ("original_name", "user__username", "user__name")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # Uploads name their uploader only; staff with admin access see their own.
        queryset = super().get_queryset(request)
        if sees_several_departments(request.user):
            return queryset
        return queryset.filter(user=request.user)


@admin.register(ScheduledRun)
class ScheduledRunAdmin(WritableTextMixin, admin.ModelAdmin):
    """Written by the daily passes and their catch-up (config/schedule.py); read-only here, as
    a row changed by hand would make the catch-up skip or repeat a day's pass."""

    list_display = ("day", "name", "started_at", "finished_at")
    list_filter = ("name",)
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
