"""Template filters for the execution warning: its label from the one definition."""

from __future__ import annotations

from django import template

from budgets.choices import warning_label as _warning_label

register = template.Library()


@register.filter
def warning_label(value: str | None) -> str:
    """“超支”, “正常”, “黄色预警”, “红色预警”; “—” for no warning."""
    return _warning_label(value or None, none="—")
