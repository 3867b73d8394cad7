"""Fixtures of the performance tests: a project per department and an indicator maker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.models import Indicator
from performance.values import parse_target
from tests.factories import ProjectFactory


@pytest.fixture
def project_a(unit_a):
    """A 2024 project of department A (alice's), budget 50 万元."""
    return ProjectFactory(
        unit=unit_a,
        code="410700240000000012809",
        name="医保中心医保工作经费",
        initial_budget=Decimal("50"),
    )


@pytest.fixture
def project_b(unit_b):
    """A 2024 project of department B (bob's)."""
    return ProjectFactory(
        unit=unit_b,
        code="411323240000000024801",
        name="2024年IC卡及医疗证制作费",
        initial_budget=Decimal("7.5"),
    )


def make_indicator(
    project, level1: str, name: str, raw: str, *, weight: str | None = None, **extra
) -> Indicator:
    """An indicator stored the way the services store it (meaning parsed beside the raw text)."""
    indicator = Indicator(
        project=project,
        level1=level1,
        name=name,
        weight=None if weight is None else Decimal(weight),
        **extra,
    )
    indicator.set_target(parse_target(raw, project.year))
    indicator.save()
    return indicator


def complete_targets(project) -> list[Indicator]:
    """One indicator of each group: targets that pass review."""
    return [
        make_indicator(project, "成本指标", "项目成本", "≤50万元"),
        make_indicator(project, "产出指标", "印刷告知书", "15万册"),
        make_indicator(project, "效益指标", "提高工作效率", "有效提高"),
        make_indicator(project, "满意度指标", "市民满意度", "≥90%"),
    ]
