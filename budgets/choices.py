"""Fixed vocabularies of the budgets app (stored value, Chinese label)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    STAFF = "staff", "单位经办人"
    REVIEWER = "reviewer", "财政局审核人"
    ADMIN = "admin", "管理员"


class ProjectType(models.TextChoices):
    SPECIFIC = "特定目标类", "特定目标类"
    OPERATING = "其他运转类", "其他运转类"


class Warning(models.TextChoices):
    """The execution warning (rates-and-scoring.md); values are budgets.rates' constants.

    The one place its labels are defined: pages, reports and exports name a warning through
    `warning_label`.
    """

    GREEN = "green", "正常"
    YELLOW = "yellow", "黄色预警"
    RED = "red", "红色预警"
    OVER = "over", "超支"


# What a project or department without budget (no rate, no warning) shows instead.
NO_BUDGET_LABEL = "无预算"


def warning_label(warning: str | None, *, none: str = NO_BUDGET_LABEL) -> str:
    """The Chinese label of a warning value (“超支”); `none` for no warning, "" for unknown."""
    if not warning:
        return none
    return Warning(warning).label if warning in Warning.values else ""


class AdjustmentKind(models.TextChoices):
    """预算调整.调整类型: a 政策性调整 counts in 全年预算数 but not in 预算调整率's numerator."""

    GENERAL = "一般调整", "一般调整"
    POLICY = "政策性调整", "政策性调整"


def role_from_text(text: str) -> str | None:
    """Accept a role by its Chinese label or its stored value; None when unknown."""
    text = text.strip()
    for value, label in Role.choices:
        if text in (value, label):
            return value
    return None
