"""Admin pages of the performance app; lists go through the same access rule as the pages."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from budgets.access import STATEMENTS, restrict
from budgets.admin import DepartmentScopedAdmin
from budgets.models import Department, Project

from .department import computed_metric
from .department_workbook import CODE_SEPARATOR, split_project_codes
from .models import DepartmentGoal, DepartmentIndicator, Indicator, IndicatorTemplate
from .services import INDICATOR_LOCKED
from .values import ValueError_, parse_target


class IndicatorAdminForm(forms.ModelForm):
    """Reads 指标值 with the same grammar as the editor and the importer."""

    class Meta:
        model = Indicator
        fields = ["project", "level1", "level2", "name", "raw", "weight", "note", "position"]

    def clean(self) -> dict:
        cleaned = super().clean()
        project = cleaned.get("project")
        if self.instance.pk and self.instance.project.targets_locked:
            raise forms.ValidationError(INDICATOR_LOCKED)
        if project is None:
            return cleaned
        if project.targets_locked:
            raise forms.ValidationError(INDICATOR_LOCKED)
        raw = cleaned.get("raw")
        if raw is not None:
            try:
                # Set before the model's own validation, which needs kind and the rest.
                self.instance.set_target(parse_target(raw, project.year))
            except ValueError_ as exc:
                self.add_error("raw", exc.message)
        return cleaned


def _locked(obj: Indicator | None) -> bool:
    return obj is not None and obj.project.targets_locked


@admin.register(Indicator)
class IndicatorAdmin(DepartmentScopedAdmin):
    department_field = "project__department"
    form = IndicatorAdminForm
    list_display = ("project", "level1", "level2", "name", "raw", "kind", "weight")
    list_filter = ("level1", "kind", "project__year", "project__department")
    search_fields = ("name", "raw", "level2", "project__code", "project__name")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)
    readonly_fields = ("kind", "comparator", "value", "upper", "unit")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            kwargs["queryset"] = restrict(Project.objects.all(), request.user, STATEMENTS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Locked targets stay read-only here too; returning the self-evaluation unlocks them.
        if _locked(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if _locked(obj):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(IndicatorTemplate)
class IndicatorTemplateAdmin(admin.ModelAdmin):
    """The indicator library is shared by every department."""

    list_display = ("level1", "level2", "name", "typical_value", "unit", "usage_count")
    list_filter = ("level1",)
    search_fields = ("name", "level2", "typical_value", "description")


def _statement_departments(request):
    """The departments whose statements the signed-in user writes (staff: its own)."""
    return restrict(Department.objects.all(), request.user, STATEMENTS, department_field="pk")


class DepartmentIndicatorAdminForm(forms.ModelForm):
    """Reads 指标值 with the same grammar as the importer; names the computed figure."""

    class Meta:
        model = DepartmentIndicator
        fields = [
            "department",
            "year",
            "level1",
            "level2",
            "name",
            "raw",
            "note",
            "weight",
            "position",
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        year, raw, name = cleaned.get("year"), cleaned.get("raw"), cleaned.get("name")
        if year is not None and raw is not None:
            try:
                # Set before the model's own validation, which needs kind and the rest.
                self.instance.set_target(parse_target(raw, year))
            except ValueError_ as exc:
                self.add_error("raw", exc.message)
        if name is not None:
            self.instance.metric = computed_metric(name)
        return cleaned


@admin.register(DepartmentIndicator)
class DepartmentIndicatorAdmin(DepartmentScopedAdmin):
    form = DepartmentIndicatorAdminForm
    list_display = ("year", "department", "level1", "level2", "name", "raw", "metric", "weight")
    list_filter = ("year", "level1", "metric", "department")
    search_fields = ("name", "raw", "level2", "note", "department__code", "department__name")
    list_select_related = ("department",)
    readonly_fields = ("kind", "comparator", "value", "upper", "unit", "metric")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = _statement_departments(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DepartmentGoalAdminForm(forms.ModelForm):
    """项目编码 typed as in the workbook: codes separated by 、 , ， or ;."""

    project_codes = forms.CharField(
        label="项目编码", required=False, help_text="多个项目编码用“、”分隔"
    )

    class Meta:
        model = DepartmentGoal
        fields = ["department", "year", "category", "order", "name", "content", "project_codes"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["project_codes"] = CODE_SEPARATOR.join(self.instance.project_codes)

    def clean_project_codes(self) -> list[str]:
        return split_project_codes(self.cleaned_data.get("project_codes") or "")


@admin.register(DepartmentGoal)
class DepartmentGoalAdmin(DepartmentScopedAdmin):
    form = DepartmentGoalAdminForm
    list_display = ("year", "department", "category", "order", "name")
    list_filter = ("year", "category", "department")
    search_fields = ("name", "content", "department__code", "department__name")
    list_select_related = ("department",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = _statement_departments(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
