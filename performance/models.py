"""Performance indicators of projects, the indicator library, and department-wide targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from budgets.models import Department, Project

from .choices import (
    DEPARTMENT_LEVEL1_CHOICES,
    DEPARTMENT_LEVEL1_NAMES,
    DEPARTMENT_METRICS,
    GOAL_CATEGORIES,
    LEVEL1_CHOICES,
    LEVEL1_NAMES,
)
from .scoring import GROUP_BENEFIT, GROUP_INPUT, GROUP_OUTPUT
from .values import DEADLINE, KIND_LABELS, TargetValue, target_to_contract

KIND_CHOICES = tuple(KIND_LABELS.items())


def target_from_fields(
    raw: str, kind: str, comparator: str, value: str, upper: str, unit: str | None
) -> TargetValue:
    """Rebuild the parsed meaning from its stored columns (exact decimal strings, ISO dates)."""
    parsed: Decimal | date | None = None
    if value:
        parsed = date.fromisoformat(value) if kind == DEADLINE else Decimal(value)
    return TargetValue(
        raw=raw,
        kind=kind,
        comparator=comparator or None,
        value=parsed,
        upper=Decimal(upper) if upper else None,
        unit=unit,
    )


def target_columns(target: TargetValue) -> dict[str, str | None]:
    """The stored columns of a parsed target (raw text beside its meaning), as rows set them."""
    contract = target_to_contract(target)
    return {
        "raw": target.raw,
        "kind": target.kind,
        "comparator": contract["comparator"] or "",
        "value": contract["value"] or "",
        "upper": contract["upper"] or "",
        "unit": contract["unit"],
    }


class Indicator(models.Model):
    """A performance indicator: the raw target as written and its structured meaning."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="indicators", verbose_name="项目"
    )
    level1 = models.CharField("一级指标", max_length=8, choices=LEVEL1_CHOICES)
    level2 = models.CharField("二级指标", max_length=50, blank=True, default="")
    name = models.CharField("三级指标", max_length=200)
    raw = models.CharField("指标值", max_length=500)
    # The meaning, as parse_target gave it; decimals kept as the exact strings of the text.
    kind = models.CharField("类型", max_length=16, choices=KIND_CHOICES)
    comparator = models.CharField("比较符", max_length=8, blank=True, default="")
    value = models.CharField("目标值", max_length=40, blank=True, default="")
    upper = models.CharField("上限", max_length=40, blank=True, default="")
    unit = models.CharField("单位", max_length=100, null=True, blank=True)
    weight = models.DecimalField(
        "权重",
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    note = models.TextField("指标值说明", blank=True, default="")
    position = models.PositiveIntegerField("顺序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "绩效指标"
        verbose_name_plural = "绩效指标"
        ordering = ["project_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "level1", "name"], name="indicator_unique_in_project_group"
            ),
            models.CheckConstraint(
                condition=models.Q(level1__in=LEVEL1_NAMES), name="indicator_level1_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level1}/{self.name}：{self.raw}"

    @property
    def target(self) -> TargetValue:
        """The structured meaning as the pure rules take it."""
        return target_from_fields(
            self.raw, self.kind, self.comparator, self.value, self.upper, self.unit
        )

    def set_target(self, target: TargetValue) -> None:
        """Store a parsed meaning beside the raw text."""
        for name, value in target_columns(target).items():
            setattr(self, name, value)


class IndicatorTemplate(models.Model):
    """指标库: a reusable indicator offered when staff add indicators to a project."""

    level1 = models.CharField("一级指标", max_length=8, choices=LEVEL1_CHOICES)
    level2 = models.CharField("二级指标", max_length=50, blank=True, default="")
    name = models.CharField("三级指标", max_length=200)
    typical_value = models.CharField("常用指标值", max_length=500, blank=True, default="")
    unit = models.CharField("单位", max_length=50, blank=True, default="")
    description = models.TextField("说明", blank=True, default="")
    usage_count = models.PositiveIntegerField("使用次数", default=0)

    class Meta:
        verbose_name = "指标库指标"
        verbose_name_plural = "指标库"
        ordering = ["level1", "-usage_count", "name"]
        constraints = [
            models.UniqueConstraint(fields=["level1", "name"], name="template_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.level1}/{self.name}"


class DepartmentIndicator(models.Model):
    """An indicator of a department's 部门整体绩效目标 (预算11表) for one year.

    Its target is stored like a project indicator's (raw text beside the parsed meaning).
    `metric` names the department figure it is computed from (department-targets.md,
    “Computed indicators”), or is empty for an indicator the department fills in itself.
    """

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="indicators", verbose_name="部门"
    )
    year = models.PositiveSmallIntegerField("年度")
    level1 = models.CharField("一级指标", max_length=8, choices=DEPARTMENT_LEVEL1_CHOICES)
    level2 = models.CharField("二级指标", max_length=50, blank=True, default="")
    name = models.CharField("三级指标", max_length=200)
    raw = models.CharField("指标值", max_length=500)
    kind = models.CharField("类型", max_length=16, choices=KIND_CHOICES)
    comparator = models.CharField("比较符", max_length=8, blank=True, default="")
    value = models.CharField("目标值", max_length=40, blank=True, default="")
    upper = models.CharField("上限", max_length=40, blank=True, default="")
    unit = models.CharField("单位", max_length=100, null=True, blank=True)
    note = models.TextField("指标值说明", blank=True, default="")
    weight = models.DecimalField(
        "权重",
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    metric = models.CharField(
        "系统计算指标", max_length=40, choices=DEPARTMENT_METRICS, blank=True, default=""
    )
    position = models.PositiveIntegerField("顺序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "部门整体绩效指标"
        verbose_name_plural = "部门整体绩效指标"
        ordering = ["department_id", "year", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "level1", "name"],
                name="department_indicator_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(level1__in=DEPARTMENT_LEVEL1_NAMES),
                name="department_indicator_level1_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.level1}/{self.name}：{self.raw}"

    @property
    def computed(self) -> bool:
        return bool(self.metric)

    @property
    def target(self) -> TargetValue:
        return target_from_fields(
            self.raw, self.kind, self.comparator, self.value, self.upper, self.unit
        )

    def set_target(self, target: TargetValue) -> None:
        Indicator.set_target(self, target)  # the same columns, the same contract


class DepartmentGoal(models.Model):
    """A 年度履职目标 or 年度主要任务 of a department's year (sheet 部门年度目标)."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="goals", verbose_name="部门"
    )
    year = models.PositiveSmallIntegerField("年度")
    category = models.CharField("类别", max_length=8, choices=GOAL_CATEGORIES)
    order = models.PositiveSmallIntegerField("序号")
    name = models.TextField("名称")
    content = models.TextField("主要内容", blank=True, default="")
    # The codes of the projects that fund a task, as written (in order).
    project_codes = models.JSONField("项目编码", default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "部门年度目标与任务"
        verbose_name_plural = "部门年度目标与任务"
        ordering = ["department_id", "year", "category", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "category", "order"], name="department_goal_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.category}{self.order}：{self.name[:30]}"


class DepartmentTargetLock(models.Model):
    """A department's targets of one year are locked: its self-evaluation was submitted.

    Set and cleared by the tracking workflow (submit / return), read by every channel that
    writes department targets (the workbook sheets, the admin site), like Project.targets_locked.
    """

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="target_locks", verbose_name="部门"
    )
    year = models.PositiveSmallIntegerField("年度")
    locked_at = models.DateTimeField("锁定时间", auto_now_add=True)

    class Meta:
        verbose_name = "部门整体目标锁定"
        verbose_name_plural = "部门整体目标锁定"
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="department_lock_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.year}"


class DepartmentScoringSettings(models.Model):
    """The points of the department self-evaluation's groups the finance bureau may change
    (one row; department-targets.md: 投入管理 30, 产出 40, 效益 30)."""

    input_points = models.DecimalField(
        "投入管理指标分值", max_digits=5, decimal_places=2, default=Decimal(30)
    )
    output_points = models.DecimalField(
        "产出指标分值", max_digits=5, decimal_places=2, default=Decimal(40)
    )
    benefit_points = models.DecimalField(
        "效益指标分值（含满意度）", max_digits=5, decimal_places=2, default=Decimal(30)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "部门整体自评分值设置"
        verbose_name_plural = "部门整体自评分值设置"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(input_points__gte=0)
                & models.Q(output_points__gte=0)
                & models.Q(benefit_points__gte=0)
                & models.Q(
                    input_points=100 - models.F("output_points") - models.F("benefit_points")
                ),
                name="department_points_add_up",
                violation_error_message="三组分值均不能为负数，且合计须为100",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"投入管理 {self.input_points} / 产出 {self.output_points} / 效益 {self.benefit_points}"
        )

    def group_points(self) -> dict[str, Decimal]:
        """The points by scoring group, as performance.scoring.department_scheme takes them."""
        return {
            GROUP_INPUT: self.input_points,
            GROUP_OUTPUT: self.output_points,
            GROUP_BENEFIT: self.benefit_points,
        }
