"""Admin pages of the budgets app; lists go through the same access rule as the web pages."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from . import divisions
from .access import STATEMENTS, is_admin, restrict, sees_several_departments
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
    Unit,
    User,
    WarningSettings,
)


class DepartmentScopedAdmin(SimpleHistoryAdmin):
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
class DivisionAdmin(SimpleHistoryAdmin):
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
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
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
    list_display = ("year", "code", "name", "type", "department", "initial_budget", "carryover")
    list_filter = ("year", "type", "department")
    search_fields = ("code", "name", "unit__name", "department__name")
    autocomplete_fields = ("department", "unit")
    list_select_related = ("department",)


@admin.register(DepartmentBudget)
class DepartmentBudgetAdmin(DepartmentScopedAdmin):
    list_display = (
        "year",
        "department",
        "basic_expenditure",
        "three_public_budget",
        "procurement_budget",
        "stated_total",
    )
    list_filter = ("year", "department")
    search_fields = ("department__name", "department__code")
    list_select_related = ("department",)


@admin.register(Adjustment)
class AdjustmentAdmin(DepartmentScopedAdmin):
    department_field = "project__department"
    list_display = ("year", "department", "document_number", "project", "date", "amount", "kind")
    list_filter = ("year", "kind", "project__department")
    search_fields = ("document_number", "project__code", "project__name", "note")
    autocomplete_fields = ("project",)
    date_hierarchy = "date"
    list_select_related = ("project", "department")


@admin.register(Payment)
class PaymentAdmin(DepartmentScopedAdmin):
    list_display = (
        "year",
        "voucher",
        "department",
        "project",
        "date",
        "amount",
        "three_public",
        "procurement",
    )
    list_filter = ("year", "department", "three_public", "procurement")
    search_fields = ("voucher", "summary", "project__code", "project__name")
    autocomplete_fields = ("department", "project")
    date_hierarchy = "date"
    list_select_related = ("department", "project")


@admin.register(WarningSettings)
class WarningSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "green_fraction", "yellow_fraction")

    def has_add_permission(self, request):
        return not WarningSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProjectRateSnapshot)
class ProjectRateSnapshotAdmin(DepartmentScopedAdmin):
    department_field = "project__department"
    list_display = ("as_of", "project", "adjusted", "executed", "execution_rate", "warning")
    list_filter = ("as_of", "warning")
    search_fields = ("project__code", "project__name")
    list_select_related = ("project",)


@admin.register(DepartmentRateSnapshot)
class DepartmentRateSnapshotAdmin(DepartmentScopedAdmin):
    list_display = ("as_of", "year", "department", "adjusted", "executed", "execution_rate")
    list_filter = ("year", "as_of", "department")
    list_select_related = ("department",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
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
