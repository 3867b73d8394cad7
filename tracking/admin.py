"""Admin pages of the tracking app; reports are limited to the user's departments."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F, Q
from simple_history.admin import SimpleHistoryAdmin

from budgets.access import covered_division_filter, is_admin, is_reviewer
from budgets.admin import DepartmentScopedAdmin, WritableTextMixin, warning_column

from .compute import LINE_COMPUTED_FIELDS, REPORT_COMPUTED_FIELDS, reports_recompute
from .models import (
    FROZEN_REPORT_FIELDS,
    Notification,
    Report,
    ReportIndicator,
    ReportTransition,
    Round,
)

# Computed from the values (compute.py) or moved by the workflow (services.py): editing them
# here would bypass the rules and the recorded transitions.
REPORT_COMPUTED = (
    "status",
    "version",
    *REPORT_COMPUTED_FIELDS,
    "submitted_at",
    "submitted_by",
    "reviewed_at",
    "reviewed_by",
    "created_at",
    "updated_at",
    # What a submitted report was judged on: kept by report_submit, never edited.
    *FROZEN_REPORT_FIELDS,
)
LINE_COMPUTED = (*LINE_COMPUTED_FIELDS, "reviewer_score", "reviewer_reason")
# Stored as green/yellow/red/over without choices: shown by its label ("—" when none).
BUDGET_WARNING = warning_column(Report, "budget_warning", none="—")


@admin.register(Round)
class RoundAdmin(WritableTextMixin, SimpleHistoryAdmin):
    list_display = (
        "__str__",
        "division",
        "year",
        "stage",
        "as_of",
        "deadline",
        "is_open",
        "closed_at",
    )
    list_filter = ("year", "stage", "is_open", "division")
    list_select_related = ("division",)
    readonly_fields = ("opened_by", "created_at", "closed_at")
    date_hierarchy = "as_of"

    def get_queryset(self, request):
        # A bureau's reviewer sees the rounds of the 区划 it covers; staff none.
        queryset = super().get_queryset(request)
        if is_admin(request.user):
            return queryset
        if not is_reviewer(request.user):
            return queryset.none()
        condition = covered_division_filter(request.user)
        return queryset if condition is None else queryset.filter(condition)

    def get_readonly_fields(self, request, obj=None):
        # A round's reports belong to its 区划's departments: it cannot move to another.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "division") if obj is not None else fields


class ReportIndicatorInline(WritableTextMixin, admin.TabularInline):
    model = ReportIndicator
    extra = 0
    fields = (
        "indicator",
        "actual_raw",
        "expected_raw",
        "light",
        "points",
        "score",
        "cause_category",
        "cause",
        "likelihood",
        "measure",
        "explanation",
        "reviewer_score",
        "reviewer_reason",
        "reviewer_comment",
    )
    readonly_fields = ("indicator", *LINE_COMPUTED)
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReportTransitionInline(WritableTextMixin, admin.TabularInline):
    model = ReportTransition
    extra = 0
    fields = ("at", "user", "from_status", "to_status", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(DepartmentScopedAdmin):
    # A project's report or a department's own (部门整体): either path names the department.
    department_field = ("project__department", "department")
    list_display = (
        "subject",
        "round",
        "status",
        "target_light",
        BUDGET_WARNING,
        "score",
        "grade",
        "submitted_at",
    )
    list_filter = ("status", "round__year", "round__stage", "project__department")
    search_fields = (
        "project__code",
        "project__name",
        "project__department__name",
        "department__code",
        "department__name",
    )
    list_select_related = ("project", "department", "round")
    readonly_fields = (
        "round",
        "project",
        "department",
        *(BUDGET_WARNING if name == "budget_warning" else name for name in REPORT_COMPUTED),
    )
    # Shown read-only by its label above, and never edited here (compute.py sets it).
    exclude = ("budget_warning",)
    inlines = (ReportIndicatorInline, ReportTransitionInline)

    @admin.display(description="项目 / 部门整体", ordering="project__code")
    def subject(self, obj: Report) -> str:
        return obj.subject_name

    def has_add_permission(self, request):
        # Reports are created by opening them in a round or by importing 实际完成.
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Edited values count like typed ones: lights and score follow, open forms go stale.
        Report.objects.filter(pk=form.instance.pk).update(version=F("version") + 1)
        reports_recompute([form.instance])


@admin.register(Notification)
class NotificationAdmin(WritableTextMixin, admin.ModelAdmin):
    list_display = ("subject", "recipient", "kind", "day", "created_at", "read_at", "email_sent_at")
    list_filter = ("kind", "day")
    search_fields = ("subject", "recipient__username", "recipient__name")
    list_select_related = ("recipient",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # Someone else's inbox: admins see all, a bureau's reviewer those about the 区划 it
        # covers, everyone else only their own.
        if is_admin(request.user):
            return queryset
        mine = Q(recipient=request.user)
        if is_reviewer(request.user):
            covered = covered_division_filter(request.user, "department__division")
            if covered is None:
                return queryset
            rounds = covered_division_filter(request.user, "round__division")
            return queryset.filter(mine | covered | rounds)
        return queryset.filter(mine)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
