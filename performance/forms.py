"""Forms of the performance pages: they read input; the services judge it.

Every text field is a budgets.text.TextField: text no xlsx or database can hold is refused.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from budgets.errors import add_service_errors
from budgets.text import TextField

from .choices import LEVEL1_CHOICES
from .models import Indicator
from .services import parse_weight


class ServiceErrorsMixin:
    """Show a service's ValidationError on the form's fields (or above the form)."""

    def add_service_errors(self, exc: ValidationError) -> None:
        add_service_errors(self, exc)


class IndicatorForm(ServiceErrorsMixin, forms.Form):
    """One indicator as staff type it. Fields are optional here so that the service's
    Chinese messages (e.g. 指标值不能为空) are the ones shown."""

    level1 = TextField(
        label="一级指标",
        required=False,
        widget=forms.Select(choices=[("", "请选择"), *LEVEL1_CHOICES]),
    )
    level2 = TextField(label="二级指标", required=False)
    name = TextField(label="三级指标", required=False)
    # Not stripped: the preview and the stored raw text see what was typed.
    value = TextField(label="指标值", required=False, strip=False)
    weight = TextField(label="权重", required=False)
    note = TextField(label="指标值说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    @classmethod
    def for_indicator(cls, indicator: Indicator) -> IndicatorForm:
        weight = "" if indicator.weight is None else f"{indicator.weight.normalize():f}"
        return cls(
            initial={
                "level1": indicator.level1,
                "level2": indicator.level2,
                "name": indicator.name,
                "value": indicator.raw,
                "weight": weight,
                "note": indicator.note,
            }
        )

    def clean_weight(self):
        return parse_weight(self.cleaned_data.get("weight") or "")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "level1": data["level1"],
            "level2": data["level2"],
            "name": data["name"],
            "value": data["value"],
            "weight": data["weight"],
            "note": data["note"],
        }
