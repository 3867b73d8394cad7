"""Fixtures of the reporting tests: projects of departments A and B, a department's own targets
(部门整体目标) and goals (部门年度目标) stored the way the import stores them."""

from __future__ import annotations

import pytest

from performance.department import computed_metric
from performance.models import DepartmentGoal, DepartmentIndicator
from performance.values import parse_target
from tests.performance.conftest import project_a, project_b  # noqa: F401 (fixtures)


def department_indicator(
    department, level1: str, name: str, raw: str, *, level2: str = "", note: str = "", year=2024
) -> DepartmentIndicator:
    """One 部门整体目标 row; its position follows the rows already there, as an import's."""
    indicator = DepartmentIndicator(
        department=department,
        year=year,
        level1=level1,
        level2=level2,
        name=name,
        note=note,
        metric=computed_metric(name),
        position=DepartmentIndicator.objects.filter(department=department, year=year).count(),
    )
    indicator.set_target(parse_target(raw, year))
    indicator.save()
    return indicator


def department_goal(
    department, category: str, order: int, name: str, content: str = "", *, year=2024
) -> DepartmentGoal:
    return DepartmentGoal.objects.create(
        department=department,
        year=year,
        category=category,
        order=order,
        name=name,
        content=content,
    )


@pytest.fixture
def stated_targets(department_a):
    """Department A's 2024 targets, as the 新乡 document states them (abridged)."""
    rows = [
        ("投入管理指标", "工作目标管理", "年度履职目标相关性", "相关", "履职目标是否符合规划"),
        (
            "投入管理指标",
            "预算和财务管理",
            "预算执行率",
            "≥ 90 %",
            "预算执行率=（预算完成数/预算数）×100%",
        ),
        (
            "投入管理指标",
            "预算和财务管理",
            "结转结余率",
            "≤10%",
            "结转结余率=结转结余总额/预算数*100%",
        ),
        ("投入管理指标", "绩效管理", "绩效自评完成率", "100%", ""),
        ("产出指标", "重点工作任务完成", "重点工作任务完成", "完成", ""),
        ("产出指标", "履职目标实现", "履职目标实现", "≥95%", ""),
        ("效益指标", "履职效益", "履职效益", "≥95%", ""),
        ("满意度指标", "", "群众满意度", "≥\n95%", ""),
    ]
    return [
        department_indicator(department_a, level1, name, raw, level2=level2, note=note)
        for level1, level2, name, raw, note in rows
    ]
