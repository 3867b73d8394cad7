"""Fixed vocabularies of rounds, reports, reviews and notifications."""

from __future__ import annotations

from django.db import models


class Stage(models.TextChoices):
    MONITORING = "运行监控", "运行监控"
    SELF_EVALUATION = "绩效自评", "绩效自评"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核"


# Statuses in which department staff may still edit a report.
EDITABLE_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)
# Statuses that count as "submitted" for completion rates.
SUBMITTED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)
# Statuses in which a report shows what it was judged on at submission, not live figures.
FROZEN_STATUSES = SUBMITTED_STATUSES


class CauseCategory(models.TextChoices):
    FUNDING = "经费保障", "经费保障"
    RULES = "制度保障", "制度保障"
    STAFFING = "人员保障", "人员保障"
    HARDWARE = "硬件条件保障", "硬件条件保障"
    OTHER = "其他", "其他"


class Likelihood(models.TextChoices):
    CERTAIN = "确定能", "确定能"
    POSSIBLE = "有可能", "有可能"
    IMPOSSIBLE = "完全不可能", "完全不可能"


class Light(models.TextChoices):
    BLUE = "blue", "蓝灯（超额）"
    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"


class NotificationKind(models.TextChoices):
    DUE_SOON = "due_soon", "即将到期"
    OVERDUE = "overdue", "已逾期"
    OVERDUE_DIGEST = "overdue_digest", "逾期汇总"
    RETURNED = "returned", "报告被退回"
    EXECUTION_RED = "execution_red", "执行进度红色预警"
