"""Admin pages of the performance app; lists go through the same access rule as the pages."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from budgets.access import STATEMENTS, restrict
from budgets.admin import DepartmentScopedAdmin, WritableTextMixin
from budgets.models import Department, Project
from budgets.text import TextField

from .department import computed_metric
from .department_workbook import CODE_SEPARATOR, split_project_codes
from .models import (
    DepartmentGoal,
    DepartmentIndicator,
    DepartmentScoringSettings,
    DepartmentTargetLock,
    Indicator,
    IndicatorTemplate,
)
from .selectors import department_targets_locked
from .services import INDICATOR_LOCKED
from .values import ValueError_, parse_target

TARGETS_LOCKED = "该部门{year}年度的部门整体绩效自评已提交，部门整体目标已锁定，不能修改"


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
class IndicatorTemplateAdmin(WritableTextMixin, admin.ModelAdmin):
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
        self._check_lock(cleaned)
        return cleaned

    def _check_lock(self, cleaned: dict) -> None:
        """A department whose self-evaluation is submitted keeps its targets, as in the
        workbook (the stored row's department and year count, and the new ones)."""
        keys = set()
        if self.instance.pk:
            keys.add((self.instance.department_id, self.instance.year))
        if cleaned.get("department") is not None and cleaned.get("year") is not None:
            keys.add((cleaned["department"].pk, cleaned["year"]))
        for department_id, year in keys:
            if department_targets_locked(department_id, year):
                raise forms.ValidationError(TARGETS_LOCKED.format(year=year))


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

    def has_delete_permission(self, request, obj=None):
        if obj is not None and department_targets_locked(obj.department_id, obj.year):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(DepartmentScoringSettings)
class DepartmentScoringSettingsAdmin(WritableTextMixin, SimpleHistoryAdmin):
    """The bureau's points of the department self-evaluation's groups (one row)."""

    list_display = ("__str__", "input_points", "output_points", "benefit_points")

    def has_add_permission(self, request):
        return not DepartmentScoringSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DepartmentTargetLock)
class DepartmentTargetLockAdmin(DepartmentScopedAdmin):
    """Which departments' targets are locked; set and cleared by the workflow only."""

    list_display = ("year", "department", "locked_at")
    list_filter = ("year",)
    list_select_related = ("department",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DepartmentGoalAdminForm(forms.ModelForm):
    """项目编码 typed as in the workbook: codes separated by 、 , ， or ;."""

    project_codes = TextField(label="项目编码", required=False, help_text="多个项目编码用“、”分隔")

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
