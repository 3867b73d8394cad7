"""Departments, units, users, projects and the money that flows through them."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from . import divisions
from .choices import AdjustmentKind, ProjectType, Role, Warning
from .fields import MoneyField

# Rates keep more precision than they are shown with; display rounds to 2 places.
RATE = {"max_digits": 24, "decimal_places": 10}
ZERO = Decimal("0")

PROJECT_OTHER_FUNDS_OVER_TOTAL = (
    "财政专户管理资金与单位资金之和不能超过资金总额（年初预算+上年结转）"
)


class Division(models.Model):
    """An administrative division (区划, GB/T 2260), e.g. 410702 红旗区: one finance bureau."""

    code = models.CharField("区划编码", max_length=6, unique=True)
    name = models.CharField("区划名称", max_length=100)
    level = models.CharField("级别", max_length=2, choices=divisions.LEVELS)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级区划",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "区划"
        verbose_name_plural = "区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @classmethod
    def ensure(cls, code: str) -> Division:
        """The division of a code, created (with the divisions above it) from GB/T 2260."""
        existing = cls.objects.filter(code=code).first()
        if existing is not None:
            return existing
        parent = None
        for above in reversed(divisions.ancestors(code)):
            parent, _ = cls.objects.get_or_create(
                code=above,
                defaults={
                    "name": divisions.official_name(above),
                    "level": divisions.level_of(above),
                    "parent": parent,
                },
            )
        division, _ = cls.objects.get_or_create(
            code=code,
            defaults={
                "name": divisions.official_name(code),
                "level": divisions.level_of(code),
                "parent": parent,
            },
        )
        return division


class Department(models.Model):
    """A budget department (预算部门) of one 区划, e.g. 309 新乡市医疗保障局 of 410700.

    Department codes are unique only within a 区划: two counties may both have a `060`.
    """

    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="departments", verbose_name="区划"
    )
    code = models.CharField("部门编码", max_length=32)
    name = models.CharField("部门名称", max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["division__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "code"], name="department_code_unique_in_division"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def ref(self) -> str:
        """`区划/部门编码`, the unambiguous way to name a department in filters and commands."""
        return f"{self.division.code}/{self.code}"


class Unit(models.Model):
    """A budget unit (预算单位) of a department."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="units", verbose_name="部门"
    )
    code = models.CharField("单位编码", max_length=32)
    name = models.CharField("单位名称", max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["code"]
        constraints = [
            # Unit codes repeat across 区划 like department codes; within one the importer
            # keeps a code to one department.
            models.UniqueConstraint(
                fields=["department", "code"], name="unit_code_unique_in_department"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A person who signs in; staff are bound to exactly one department."""

    name = models.CharField("姓名", max_length=100, blank=True)
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.STAFF)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属部门",
    )
    # A reviewer's finance bureau; none: every 区划 (a single-bureau installation).
    division = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属区划",
    )
    with_subordinates = models.BooleanField(
        "含下级",
        default=False,
        help_text="财政局审核人同时覆盖所属区划以下的各级区划",
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.STAFF) | Q(department__isnull=False),
                name="staff_user_has_department",
                violation_error_message="单位经办人必须指定所属部门",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.username

    @property
    def is_department_staff(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_reviewer(self) -> bool:
        return self.role == Role.REVIEWER

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class Project(models.Model):
    """A budget project of one fiscal year; its code is unique within the year."""

    year = models.PositiveSmallIntegerField("年度")
    code = models.CharField("项目编码", max_length=64)
    name = models.CharField("项目名称", max_length=300)
    type = models.CharField(
        "项目类型", max_length=16, choices=ProjectType.choices, blank=True, default=""
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="projects", verbose_name="部门"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="projects", verbose_name="单位"
    )
    initial_budget = MoneyField("年初预算（万元）", validators=[MinValueValidator(ZERO)])
    # Set when the project's self-evaluation is submitted: targets can no longer change.
    targets_locked = models.BooleanField("绩效目标已锁定", default=False)
    carryover = MoneyField("上年结转（万元）", default=ZERO, validators=[MinValueValidator(ZERO)])
    # The parts of 资金总额 (年初预算 + 上年结转) that are not 政府预算资金 (预算12表/11表).
    special_account_funds = MoneyField(
        "财政专户管理资金（万元）", default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    unit_funds = MoneyField("单位资金（万元）", default=ZERO, validators=[MinValueValidator(ZERO)])
    history = HistoricalRecords()

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering = ["year", "department__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="project_code_unique_in_year"),
            models.CheckConstraint(
                condition=Q(initial_budget__gte=0), name="project_initial_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(carryover__gte=0), name="project_carryover_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(special_account_funds__gte=0, unit_funds__gte=0),
                name="project_other_funds_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    special_account_funds__lte=models.F("initial_budget")
                    + models.F("carryover")
                    - models.F("unit_funds")
                ),
                name="project_other_funds_within_total",
                violation_error_message=PROJECT_OTHER_FUNDS_OVER_TOTAL,
            ),
        ]
        indexes = [models.Index(fields=["department", "year"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def initial_total(self) -> Decimal:
        """年初预算数 = 年初预算 + 上年结转."""
        return self.initial_budget + self.carryover

    @property
    def government_funds(self) -> Decimal:
        """政府预算资金 = 资金总额 − 财政专户管理资金 − 单位资金."""
        return self.initial_total - self.special_account_funds - self.unit_funds


class DepartmentBudget(models.Model):
    """Department-level budget facts of one year (sheet 部门预算)."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="budgets", verbose_name="部门"
    )
    year = models.PositiveSmallIntegerField("年度")
    basic_expenditure = MoneyField(
        "基本支出（万元）", null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    three_public_budget = MoneyField(
        "三公经费预算（万元）",
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    procurement_budget = MoneyField(
        "政府采购预算（万元）",
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    # The total the department states (部门预算总额); the department target review compares
    # it with 基本支出 + its projects' 年初预算数 (budgets.selectors.department_budget_totals).
    stated_total = MoneyField(
        "部门预算总额（万元）", null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "部门预算"
        verbose_name_plural = "部门预算"
        ordering = ["year", "department__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year"], name="department_budget_unique_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.department}"


class Adjustment(models.Model):
    """A budget adjustment (追加 positive, 追减 negative) of a project.

    Its document number is unique within the project's department and the year: the same
    number in another department is another adjustment. `department` repeats the project's
    department (kept equal by save() and the importer) so the database enforces that key.
    """

    year = models.PositiveSmallIntegerField("年度")
    document_number = models.CharField("调整文号", max_length=100)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="adjustments", verbose_name="项目"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="adjustments",
        verbose_name="部门",
        editable=False,
    )
    date = models.DateField("日期")
    amount = MoneyField("调整金额（万元）")
    kind = models.CharField(
        "调整类型", max_length=8, choices=AdjustmentKind.choices, default=AdjustmentKind.GENERAL
    )
    note = models.TextField("说明", blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "预算调整"
        verbose_name_plural = "预算调整"
        ordering = ["date", "document_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "department", "document_number"],
                name="adjustment_number_unique_in_department_year",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AdjustmentKind.values), name="adjustment_kind_known"
            ),
        ]
        indexes = [models.Index(fields=["project", "date"])]

    def __str__(self) -> str:
        return self.document_number

    def save(self, *args, **kwargs) -> None:
        if self.project_id is not None:
            self.department_id = self.project.department_id
        super().save(*args, **kwargs)


class Payment(models.Model):
    """A payment voucher; negative amounts are refunds; no project means basic expenditure."""

    # No single-column indexes on the two keys: the composite indexes below start with them.
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name="部门",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField("年度")
    voucher = models.CharField("凭证号", max_length=100)
    date = models.DateField("日期")
    amount = MoneyField("金额（万元）")
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name="项目",
        db_index=False,
    )
    three_public = models.BooleanField("三公经费", default=False)
    procurement = models.BooleanField("政府采购", default=False)
    summary = models.CharField("摘要", max_length=500, blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "支出"
        verbose_name_plural = "支出"
        ordering = ["date", "voucher"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "voucher"], name="payment_voucher_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "date"]),
            models.Index(fields=["department", "date"]),
            # The payments dated after an as-of day in its month (budgets.totals).
            models.Index(fields=["date"]),
        ]

    def __str__(self) -> str:
        return self.voucher


class ProjectTotals(models.Model):
    """A project's payments and adjustments of one calendar month (by their dates), kept by
    database triggers (budgets/totals.py): never written by Django code."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="totals", verbose_name="项目"
    )
    month = models.DateField("月份（月初日）")
    paid = MoneyField("支出（万元）", default=ZERO)
    adjustments = MoneyField("调整（万元）", default=ZERO)
    policy_adjustments = MoneyField("其中政策性调整（万元）", default=ZERO)

    class Meta:
        verbose_name = "项目月度金额累计"
        verbose_name_plural = "项目月度金额累计"
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="project_totals_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m}"


class DepartmentTotals(models.Model):
    """A department's payments of one year (its projects' and its basic expenditure's) dated
    in one calendar month, kept by database triggers (budgets/totals.py)."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="totals", verbose_name="部门"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.DateField("月份（月初日）")
    paid = MoneyField("支出（万元）", default=ZERO)
    three_public_paid = MoneyField("其中三公经费（万元）", default=ZERO)
    procurement_paid = MoneyField("其中政府采购（万元）", default=ZERO)

    class Meta:
        verbose_name = "部门月度支出累计"
        verbose_name_plural = "部门月度支出累计"
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "month"], name="department_totals_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.year} {self.month:%Y-%m}"


class WarningSettings(models.Model):
    """The execution-warning fractions the finance bureau may change (one row)."""

    green_fraction = models.DecimalField(
        "绿灯阈值（占序时进度比例）", max_digits=5, decimal_places=4, default=Decimal("0.8")
    )
    yellow_fraction = models.DecimalField(
        "黄灯阈值（占序时进度比例）", max_digits=5, decimal_places=4, default=Decimal("0.6")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "预警阈值设置"
        verbose_name_plural = "预警阈值设置"
        constraints = [
            models.CheckConstraint(
                condition=Q(yellow_fraction__gt=0)
                & Q(yellow_fraction__lt=models.F("green_fraction"))
                & Q(green_fraction__lte=1),
                name="warning_fractions_ordered",
                violation_error_message="阈值须满足 0 < 黄灯阈值 < 绿灯阈值 ≤ 1",
            ),
        ]

    def __str__(self) -> str:
        return f"绿灯 ≥ {self.green_fraction:%}，黄灯 ≥ {self.yellow_fraction:%}"

    @classmethod
    def current(cls) -> WarningSettings:
        """The one settings row, created with the defaults on first use."""
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class ProjectRateSnapshot(models.Model):
    """A project's budget figures and rates as of one date, kept by the nightly pass."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="snapshots", verbose_name="项目"
    )
    as_of = models.DateField("截至日期")
    initial = MoneyField("年初预算数")
    adjusted = MoneyField("全年预算数")
    executed = MoneyField("执行数")
    execution_rate = models.DecimalField("预算执行率", null=True, **RATE)
    adjustment_rate = models.DecimalField("预算调整率", null=True, **RATE)
    carryover_rate = models.DecimalField("结转结余率", null=True, **RATE)
    warning = models.CharField("预警", max_length=8, choices=Warning.choices, blank=True)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = "项目执行快照"
        verbose_name_plural = "项目执行快照"
        constraints = [
            models.UniqueConstraint(fields=["project", "as_of"], name="project_snapshot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} @ {self.as_of}"


class DepartmentRateSnapshot(models.Model):
    """A department's budget figures and rates of one year as of one date."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="snapshots", verbose_name="部门"
    )
    year = models.PositiveSmallIntegerField("年度")
    as_of = models.DateField("截至日期")
    initial = MoneyField("年初预算数")
    adjusted = MoneyField("全年预算数")
    executed = MoneyField("执行数")
    execution_rate = models.DecimalField("预算执行率", null=True, **RATE)
    adjustment_rate = models.DecimalField("预算调整率", null=True, **RATE)
    carryover_rate = models.DecimalField("结转结余率", null=True, **RATE)
    three_public_control_rate = models.DecimalField("三公经费控制率", null=True, **RATE)
    procurement_execution_rate = models.DecimalField("政府采购执行率", null=True, **RATE)
    warning = models.CharField("预警", max_length=8, choices=Warning.choices, blank=True)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = "部门执行快照"
        verbose_name_plural = "部门执行快照"
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "as_of"], name="department_snapshot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.year} @ {self.as_of}"


class ImportJob(models.Model):
    """One upload of a workbook: validated first (dry run), imported on confirmation."""

    class Status(models.TextChoices):
        PENDING = "pending", "等待中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "未通过"

    token = models.UUIDField("令牌", default=uuid.uuid4, unique=True, editable=False)
    # Relative to MEDIA_ROOT: imports/<token>.xlsx.
    file = models.CharField("文件路径", max_length=300)
    original_name = models.CharField("原文件名", max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField("文件大小（字节）", default=0)
    user = models.ForeignKey(
        "budgets.User", on_delete=models.CASCADE, related_name="import_jobs", verbose_name="用户"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    dry_run = models.BooleanField("仅校验", default=True)
    background = models.BooleanField("后台导入", default=False)
    rows_done = models.PositiveIntegerField("已处理行数", default=0)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    summary = models.TextField("结果摘要", blank=True, default="")
    # [[entity, action, n], ...] from ImportResult.counts, for the preview table.
    counts = models.JSONField("数量", default=list, blank=True)
    # Problem.as_json() dicts, one per problem (a text: the job's own failure, or a job stored
    # before problems were structured); the page groups them (importer.group_problems).
    problems = models.JSONField("问题", default=list, blank=True)
    # ImportResult.samples: the first rows created and updated of each kind, for the preview.
    samples = models.JSONField("样例", default=list, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name or self.file}（{self.get_status_display()}）"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ScheduledRun(models.Model):
    """A daily pass of the beat schedule (config/schedule.py) for one China-local day: when it
    started, and when it finished (empty while it runs, or when it was lost)."""

    # The beat entry's name (django-celery-beat PeriodicTask.name), e.g. remind-daily.
    name = models.CharField("定时任务", max_length=200)
    day = models.DateField("日期")
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "每日任务运行记录"
        verbose_name_plural = "每日任务运行记录"
        ordering = ["-day", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "day"], name="scheduled_run_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day.isoformat()}"
