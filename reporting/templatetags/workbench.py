"""Template helpers of the workbench pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def item(mapping: dict, key: object) -> object:
    """{{ row.counts|item:status }}: a dict's value for a key held in a variable."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None
