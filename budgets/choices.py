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
    GREEN = "green", "正常"
    YELLOW = "yellow", "黄色预警"
    RED = "red", "红色预警"


def role_from_text(text: str) -> str | None:
    """Accept a role by its Chinese label or its stored value; None when unknown."""
    text = text.strip()
    for value, label in Role.choices:
        if text in (value, label):
            return value
    return None
