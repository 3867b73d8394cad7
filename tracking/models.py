"""Rounds, monitoring reports and self-evaluations, their review trail, and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from budgets.fields import MoneyField
from budgets.models import Department, Division, Project
from performance.models import DepartmentIndicator, Indicator

from .choices import (
    FROZEN_STATUSES,
    CauseCategory,
    Light,
    Likelihood,
    NotificationKind,
    ReportStatus,
    Stage,
)

SCORE = {"max_digits": 9, "decimal_places": 4}
RATIO = {"max_digits": 24, "decimal_places": 10}

# The indicator's fields a line keeps when its report is submitted: the target as written
# (raw text and parsed meaning), its weight, its place in the table and its names.
INDICATOR_SNAPSHOT = (
    "level1",
    "level2",
    "name",
    "raw",
    "kind",
    "comparator",
    "value",
    "upper",
    "unit",
    "weight",
    "position",
)


class Round(models.Model):
    """A monitoring or self-evaluation round one finance bureau (区划) opens for a year.

    A round serves the departments of its 区划 only: each bureau opens, chases and reviews
    its own, and a project's reports live in the rounds of its department's 区划.
    """

    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="rounds", verbose_name="区划"
    )
    year = models.PositiveSmallIntegerField("年度")
    stage = models.CharField("阶段", max_length=8, choices=Stage.choices)
    as_of = models.DateField("截至日期")
    deadline = models.DateField("填报截止日期")
    is_open = models.BooleanField("开放填报", default=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="开启人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "填报轮次"
        verbose_name_plural = "填报轮次"
        ordering = ["-year", "as_of", "stage", "division__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "stage", "as_of", "division"], name="round_unique_in_division"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.stage}（截至{self.as_of:%m月%d日}）"

    @property
    def is_self_evaluation(self) -> bool:
        return self.stage == Stage.SELF_EVALUATION


class Report(models.Model):
    """One project's monitoring report or self-evaluation in one round — or the department's
    own (部门整体绩效, department-targets.md): exactly one of `project` and `department` is set.
    Both kinds share the workflow, lights, causes and review; a department report's lines
    point at the department's indicators and it has no execution score of its own."""

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="reports", verbose_name="轮次"
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name="项目",
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="department_reports",
        verbose_name="部门（部门整体报告）",
    )
    status = models.CharField(
        "状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    # Optimistic locking: a save carries the version it was read at; a stale one is refused.
    version = models.PositiveIntegerField("版本", default=1)

    # Monitoring: the department's expectation and the budget deviation explanation.
    expected_executed = MoneyField("全年预计执行数（万元）", null=True, blank=True)
    budget_cause_category = models.CharField(
        "预算偏差原因类别", max_length=8, choices=CauseCategory.choices, blank=True, default=""
    )
    budget_cause = models.TextField("预算偏差原因", blank=True, default="")
    budget_likelihood = models.CharField(
        "完成可能性", max_length=8, choices=Likelihood.choices, blank=True, default=""
    )
    budget_measure = models.TextField("预算偏差改进措施", blank=True, default="")

    # Computed when actuals change (kept here so list pages need no per-row work).
    target_light = models.CharField(
        "目标灯", max_length=8, choices=Light.choices, blank=True, default=""
    )
    budget_warning = models.CharField("预算预警", max_length=8, blank=True, default="")
    deviations = models.PositiveIntegerField("偏差数", default=0)
    execution_rate = models.DecimalField("执行率", null=True, blank=True, **RATIO)
    execution_score = models.DecimalField("执行率得分", null=True, blank=True, **SCORE)
    score = models.DecimalField("总分", null=True, blank=True, **SCORE)
    grade = models.CharField("等级", max_length=2, blank=True, default="")

    # Self-evaluation explanations the rules may require.
    low_execution_note = models.TextField("执行率偏低原因说明", blank=True, default="")
    summary = models.TextField("总体情况说明", blank=True, default="")

    # The budget part as of the round's date when the report was submitted (report_submit);
    # empty while it is a draft or returned, whose figures are computed when read.
    frozen_initial_budget = MoneyField("提交时年初预算（万元）", null=True, blank=True)
    frozen_carryover = MoneyField("提交时上年结转（万元）", null=True, blank=True)
    frozen_adjusted = MoneyField("提交时全年预算数（万元）", null=True, blank=True)
    frozen_executed = MoneyField("提交时执行数（万元）", null=True, blank=True)
    # 政策性调整 within frozen_adjusted: left out of 预算调整率's numerator.
    frozen_policy = MoneyField("提交时政策性调整（万元）", null=True, blank=True)

    # Review.
    return_reason = models.TextField("退回原因", blank=True, default="")
    rectification_required = models.BooleanField("需整改", default=False)
    rectification_requirements = models.TextField("整改要求", blank=True, default="")
    rectification_result = models.TextField("整改结果", blank=True, default="")

    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="提交人",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "监控/自评报告"
        verbose_name_plural = "监控/自评报告"
        ordering = ["round_id", "project_id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "project"], name="report_unique_in_round"),
            models.UniqueConstraint(
                fields=["round", "department"], name="department_report_unique_in_round"
            ),
            models.CheckConstraint(
                condition=Q(project__isnull=False, department__isnull=True)
                | Q(project__isnull=True, department__isnull=False),
                name="report_of_project_or_department",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.round} · {self.subject_name}"

    @property
    def is_department(self) -> bool:
        """The department's own report (部门整体绩效), not a project's."""
        return self.project_id is None

    @property
    def owner_department_id(self) -> int:
        """The department whose staff fill the report in (and whose reviewers judge it)."""
        return self.department_id if self.is_department else self.project.department_id

    @property
    def owner_department(self) -> Department:
        return self.department if self.is_department else self.project.department

    @property
    def subject_name(self) -> str:
        """What the report is about, as lists show it."""
        if self.is_department:
            return f"{self.department.name}（部门整体）"
        return self.project.name

    @property
    def is_frozen(self) -> bool:
        """Submitted or approved: it shows what it was judged on, whatever changed since."""
        return self.status in FROZEN_STATUSES


def keep_frozen_lines(collector, field, sub_objs, using) -> None:
    """on_delete of a line's indicator: the lines of draft and returned reports go with it; a
    submitted or approved report keeps its line (with the target it was judged on), unlinked."""
    frozen = models.Q(report__status__in=FROZEN_STATUSES)
    models.SET_NULL(collector, field, sub_objs.filter(frozen), using)
    models.CASCADE(collector, field, sub_objs.exclude(frozen), using)


class ReportIndicator(models.Model):
    """The actual (and, for monitoring, expected full-year) value of one indicator."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="lines", verbose_name="报告"
    )
    # A project report's line names a project indicator, a department report's line a
    # department indicator; empty only on a submitted or approved report whose indicator was
    # deleted since.
    indicator = models.ForeignKey(
        Indicator,
        on_delete=keep_frozen_lines,
        null=True,
        blank=True,
        related_name="actuals",
        verbose_name="指标",
    )
    department_indicator = models.ForeignKey(
        DepartmentIndicator,
        on_delete=keep_frozen_lines,
        null=True,
        blank=True,
        related_name="actuals",
        verbose_name="部门整体指标",
    )
    actual_raw = models.CharField("实际完成值", max_length=500, blank=True, default="")
    expected_raw = models.CharField("全年预计完成值", max_length=500, blank=True, default="")
    completion = models.DecimalField("完成比例", null=True, blank=True, **RATIO)
    points = models.DecimalField("分值", null=True, blank=True, **SCORE)
    score = models.DecimalField("得分", null=True, blank=True, **SCORE)
    light = models.CharField("灯", max_length=8, choices=Light.choices, blank=True, default="")
    cause_category = models.CharField(
        "偏差原因类别", max_length=8, choices=CauseCategory.choices, blank=True, default=""
    )
    cause = models.TextField("偏差原因", blank=True, default="")
    likelihood = models.CharField(
        "完成可能性", max_length=8, choices=Likelihood.choices, blank=True, default=""
    )
    measure = models.TextField("改进措施", blank=True, default="")
    explanation = models.TextField("说明", blank=True, default="")
    reviewer_score = models.DecimalField("审核调整得分", null=True, blank=True, **SCORE)
    reviewer_reason = models.TextField("调整理由", blank=True, default="")
    reviewer_comment = models.TextField("审核意见", blank=True, default="")

    # The indicator as it was when the report was submitted (INDICATOR_SNAPSHOT); empty while
    # the report is a draft or returned.
    frozen_level1 = models.CharField("提交时一级指标", max_length=8, blank=True, default="")
    frozen_level2 = models.CharField("提交时二级指标", max_length=50, blank=True, default="")
    frozen_name = models.CharField("提交时三级指标", max_length=200, blank=True, default="")
    frozen_raw = models.CharField("提交时指标值", max_length=500, blank=True, default="")
    frozen_kind = models.CharField("提交时类型", max_length=16, blank=True, default="")
    frozen_comparator = models.CharField("提交时比较符", max_length=8, blank=True, default="")
    frozen_value = models.CharField("提交时目标值", max_length=40, blank=True, default="")
    frozen_upper = models.CharField("提交时上限", max_length=40, blank=True, default="")
    frozen_unit = models.CharField("提交时单位", max_length=100, null=True, blank=True)
    frozen_weight = models.DecimalField(
        "提交时权重", max_digits=7, decimal_places=3, null=True, blank=True
    )
    frozen_position = models.PositiveIntegerField("提交时顺序", null=True, blank=True)
    # A computed department indicator (department-targets.md): the figure it was computed
    # from and its value as of the round's date, stored at submission (null: 无预算，不适用).
    frozen_metric = models.CharField("提交时系统计算指标", max_length=40, blank=True, default="")
    computed_value = models.DecimalField("系统计算值", null=True, blank=True, **RATIO)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "指标完成情况"
        verbose_name_plural = "指标完成情况"
        ordering = ["report_id", "indicator__position", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="actual_unique"),
            models.UniqueConstraint(
                fields=["report", "department_indicator"], name="department_actual_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_name}：{self.actual_raw or self.expected_raw}"

    @property
    def target_indicator_id(self) -> int | None:
        """The id of the indicator the line is about, of either kind."""
        return self.indicator_id if self.indicator_id is not None else self.department_indicator_id

    @property
    def indicator_name(self) -> str:
        """The name as the report shows it: frozen at submission, else the indicator's."""
        if self.frozen_name:
            return self.frozen_name
        if self.indicator_id is not None:
            return self.indicator.name
        if self.department_indicator_id is not None:
            return self.department_indicator.name
        return ""

    def freeze(self, indicator: Indicator | DepartmentIndicator) -> None:
        """Keep the indicator as it is now (the report is being submitted)."""
        for name in INDICATOR_SNAPSHOT:
            setattr(self, f"frozen_{name}", getattr(indicator, name))
        self.frozen_metric = getattr(indicator, "metric", "")

    def unfreeze(self) -> None:
        for name in (*INDICATOR_SNAPSHOT, "metric"):
            field = self._meta.get_field(f"frozen_{name}")
            setattr(self, field.attname, field.get_default())
        self.computed_value = None

    def frozen_indicator(self, project: Project) -> Indicator:
        """The indicator as frozen at submission (unsaved; its pk is None once deleted)."""
        values = {name: getattr(self, f"frozen_{name}") for name in INDICATOR_SNAPSHOT}
        return Indicator(pk=self.indicator_id, project=project, **values)

    def frozen_department_indicator(self, department: Department, year: int) -> DepartmentIndicator:
        """The department indicator as frozen at submission (unsaved; pk None once deleted)."""
        values = {name: getattr(self, f"frozen_{name}") for name in INDICATOR_SNAPSHOT}
        return DepartmentIndicator(
            pk=self.department_indicator_id,
            department=department,
            year=year,
            metric=self.frozen_metric,
            **values,
        )


FROZEN_LINE_FIELDS = (
    *(f"frozen_{name}" for name in INDICATOR_SNAPSHOT),
    "frozen_metric",
    "computed_value",
)
FROZEN_REPORT_FIELDS = (
    "frozen_initial_budget",
    "frozen_carryover",
    "frozen_adjusted",
    "frozen_executed",
    "frozen_policy",
)


class ReportTransition(models.Model):
    """One step of the review workflow: who moved the report, when and why."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="transitions", verbose_name="报告"
    )
    from_status = models.CharField("原状态", max_length=10, choices=ReportStatus.choices)
    to_status = models.CharField("新状态", max_length=10, choices=ReportStatus.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="操作人",
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    reason = models.TextField("原因", blank=True, default="")

    class Meta:
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        ordering = ["report_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class Notification(models.Model):
    """A message in a user's inbox; the same one is never created twice."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="接收人",
    )
    kind = models.CharField("类型", max_length=16, choices=NotificationKind.choices)
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, null=True, blank=True, verbose_name="轮次"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, verbose_name="项目"
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, blank=True, verbose_name="部门"
    )
    # "round:<id>" or "project:<id>": NULLs never collide in a unique index, this does.
    subject_key = models.CharField("对象", max_length=40)
    day = models.DateField("日期")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True, default="")
    link = models.CharField("链接", max_length=300, blank=True, default="")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    email_sent_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField("邮件尝试次数", default=0)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_key", "day"], name="notification_once"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["email_sent_at"],
                condition=Q(email_sent_at__isnull=True),
                name="notification_unsent",
            ),
        ]

    def __str__(self) -> str:
        return self.subject
