"""Fixtures of the performance tests: a project per department, indicator makers for projects
and for departments (部门整体目标, 部门年度目标)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.choices import GOAL, TASK
from performance.department import computed_metric
from performance.models import DepartmentGoal, DepartmentIndicator, Indicator
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


def make_department_indicator(
    department, level1: str, name: str, raw: str, *, year: int = 2024, **extra
) -> DepartmentIndicator:
    """A 部门整体目标 indicator stored the way the import stores it."""
    indicator = DepartmentIndicator(
        department=department,
        year=year,
        level1=level1,
        name=name,
        metric=computed_metric(name),
        **extra,
    )
    indicator.set_target(parse_target(raw, year))
    indicator.save()
    return indicator


def complete_department_targets(department, *, year: int = 2024) -> list[DepartmentIndicator]:
    """Targets that pass the department review: the three expected computed indicators, one
    产出 and one 效益 indicator."""
    return [
        make_department_indicator(department, "投入管理指标", "预算执行率", "≥90%", year=year),
        make_department_indicator(department, "投入管理指标", "结转结余率", "≤10%", year=year),
        make_department_indicator(department, "投入管理指标", "绩效自评完成率", "100%", year=year),
        make_department_indicator(department, "产出指标", "重点工作任务完成", "完成", year=year),
        make_department_indicator(department, "效益指标", "履职效益", "≥95%", year=year),
    ]


def make_goal(department, order: int, name: str, *, year: int = 2024) -> DepartmentGoal:
    return DepartmentGoal.objects.create(
        department=department, year=year, category=GOAL, order=order, name=name
    )


def make_task(
    department, order: int, name: str, *codes: str, content: str = "", year: int = 2024
) -> DepartmentGoal:
    return DepartmentGoal.objects.create(
        department=department,
        year=year,
        category=TASK,
        order=order,
        name=name,
        content=content,
        project_codes=list(codes),
    )
