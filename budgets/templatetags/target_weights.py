"""The 权重 state of a project's indicators for the target editor: a 权重 on one indicator
makes review ask for one on every indicator, adding up to 90, so the editor says so before
saving (server-rendered here, kept up to date by static/js/weight-warning.js as one types)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django import template

register = template.Library()

# The review's rule (performance.review.WEIGHT_TOTAL; budgets may not import performance, and
# tests/performance/test_weight_warning.py checks the two agree).
WEIGHT_TOTAL = Decimal(90)

WEIGHTS_PARTIAL = "已为部分指标填写权重：每个指标都要填写权重，且合计为{total}"
WEIGHTS_PARTIAL_COUNTS = "（已填{filled}个，未填{missing}个）"
WEIGHTS_OFF_TOTAL = "权重合计为{sum}，应为{total}（另10分属于预算执行率）"


@dataclass(frozen=True)
class WeightState:
    """The project's indicators with and without a 权重, and of the others than the one being
    edited (what the script adds the typed 权重 to)."""

    filled: int
    missing: int
    sum: Decimal
    others_filled: int
    others_missing: int
    others_sum: Decimal
    total: Decimal

    @property
    def partial(self) -> bool:
        return self.filled > 0 and self.missing > 0

    @property
    def message(self) -> str:
        """The warning for the project as saved now; "" when review has nothing to say."""
        if self.partial:
            return WEIGHTS_PARTIAL.format(total=_plain(self.total)) + WEIGHTS_PARTIAL_COUNTS.format(
                filled=self.filled, missing=self.missing
            )
        if self.filled and self.sum != self.total:
            return WEIGHTS_OFF_TOTAL.format(sum=_plain(self.sum), total=_plain(self.total))
        return ""


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


@register.simple_tag
def weight_state(indicators: Iterable, editing=None) -> WeightState:
    """{% weight_state project.indicators.all indicator as weights %}: `indicators` are the
    project's (anything with `pk` and `weight`; a queryset is one query), `editing` the one
    the form edits (None: the form adds one)."""
    editing_pk = getattr(editing, "pk", None)
    rows = [(i.pk, i.weight) for i in indicators]
    weights = [w for _, w in rows]
    others = [w for pk, w in rows if pk != editing_pk]

    def filled(values: list) -> list[Decimal]:
        return [w for w in values if w is not None]

    return WeightState(
        filled=len(filled(weights)),
        missing=len(weights) - len(filled(weights)),
        sum=sum(filled(weights), Decimal(0)),
        others_filled=len(filled(others)),
        others_missing=len(others) - len(filled(others)),
        others_sum=sum(filled(others), Decimal(0)),
        total=WEIGHT_TOTAL,
    )
