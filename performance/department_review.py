"""Department target review (department-targets.md, “Department target review”): do a
department's 部门整体目标 and 年度主要任务 pass?

Pure functions only: the caller gathers the indicators, the tasks, the department's projects
and its budget figures (performance.selectors.department_reviews).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from budgets.rates import AMOUNT_TOLERANCE, format_amount

from .choices import (
    DEPARTMENT_METRIC_LABELS,
    LEVEL1_BENEFIT,
    LEVEL1_OUTPUT,
    LEVEL1_SATISFACTION,
    METRIC_CARRYOVER,
    METRIC_EXECUTION,
    METRIC_SELF_EVALUATION_COMPLETION,
)
from .review import Problem, ReviewResult
from .values import TargetValue

# Problem codes, stable for the UI and the API.
NO_TARGETS = "department_no_targets"
MISSING_GROUP = "department_missing_group"
EMPTY_VALUE = "department_empty_value"
UNREADABLE_VALUE = "department_unreadable_value"
COMPUTED_MISSING = "department_computed_missing"
TASK_WITHOUT_PROJECT = "department_task_without_project"
TASK_OTHER_PROJECTS = "department_task_other_projects"
BUDGET_TOTAL_MISMATCH = "department_budget_total_mismatch"

GROUP_OUTPUT = "产出指标"
GROUP_BENEFIT = "效益指标（或满意度指标）"

REVIEW_NO_TARGETS = "尚未填报部门整体目标（部门整体目标表）"
REVIEW_MISSING_GROUP = "缺少{group}：部门整体目标至少要有一个产出指标和一个效益指标（或满意度指标）"
REVIEW_EMPTY_VALUE = "{level1}“{name}”的指标值为空"
REVIEW_UNREADABLE_VALUE = "{level1}“{name}”的指标值“{raw}”无法识别"
REVIEW_COMPUTED_MISSING = "系统计算指标“{name}”没有目标值：请在投入管理指标中填写"
REVIEW_TASK_NO_CODES = "主要任务{order}“{name}”没有填写项目编码，应至少对应一个本部门的预算项目"
REVIEW_TASK_NO_PROJECT = (
    "主要任务{order}“{name}”的项目编码{codes}都不是本部门本年度的项目，"
    "应至少对应一个本部门的预算项目"
)
REVIEW_TASK_OTHER_PROJECTS = "主要任务{order}“{name}”的项目编码{codes}不是本部门本年度的项目"
REVIEW_BUDGET_TOTAL_MISMATCH = (
    "部门预算总额与项目合计不符：部门预算总额{stated}万元，"
    "基本支出与各项目年初预算、上年结转合计{total}万元"
)

# Rule 3: the computed indicators every department should set a target for.
EXPECTED_COMPUTED: tuple[str, ...] = (
    METRIC_EXECUTION,
    METRIC_CARRYOVER,
    METRIC_SELF_EVALUATION_COMPLETION,
)
_SHOWN = 40  # characters of a value or name quoted in a message


@dataclass(frozen=True)
class DepartmentIndicatorInput:
    """One department indicator as the review sees it; `target` None: its value did not parse."""

    level1: str
    level2: str
    name: str
    raw: str
    target: TargetValue | None
    metric: str = ""


@dataclass(frozen=True)
class TaskInput:
    """One 年度主要任务 with the project codes it names, as written."""

    order: int
    name: str
    project_codes: tuple[str, ...] = ()


def _shown(text: str) -> str:
    # PDF text carries line breaks inside values; a message shows them as single spaces.
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _codes(codes: Iterable[str]) -> str:
    return "、".join(codes)


def _group_problems(indicators: Sequence[DepartmentIndicatorInput]) -> list[Problem]:
    present = {indicator.level1 for indicator in indicators}
    missing = []
    if LEVEL1_OUTPUT not in present:
        missing.append(GROUP_OUTPUT)
    if not present & {LEVEL1_BENEFIT, LEVEL1_SATISFACTION}:
        missing.append(GROUP_BENEFIT)
    return [Problem(MISSING_GROUP, REVIEW_MISSING_GROUP.format(group=g)) for g in missing]


def _value_problems(indicator: DepartmentIndicatorInput) -> list[Problem]:
    if indicator.target is not None:
        return []
    where = {"level1": indicator.level1, "name": indicator.name}
    if not indicator.raw.strip():
        message = REVIEW_EMPTY_VALUE.format(level1=indicator.level1, name=indicator.name)
        return [Problem(EMPTY_VALUE, message, **where)]
    message = REVIEW_UNREADABLE_VALUE.format(
        level1=indicator.level1, name=indicator.name, raw=_shown(indicator.raw)
    )
    return [Problem(UNREADABLE_VALUE, message, **where)]


def _computed_problems(indicators: Sequence[DepartmentIndicatorInput]) -> list[Problem]:
    present = {indicator.metric for indicator in indicators}
    return [
        Problem(
            COMPUTED_MISSING,
            REVIEW_COMPUTED_MISSING.format(name=DEPARTMENT_METRIC_LABELS[metric]),
            blocking=False,
        )
        for metric in EXPECTED_COMPUTED
        if metric not in present
    ]


def _task_problems(task: TaskInput, project_codes: set[str]) -> list[Problem]:
    name = _shown(task.name)
    others = [code for code in task.project_codes if code not in project_codes]
    if not task.project_codes:
        message = REVIEW_TASK_NO_CODES.format(order=task.order, name=name)
        return [Problem(TASK_WITHOUT_PROJECT, message, blocking=False)]
    if len(others) == len(task.project_codes):
        message = REVIEW_TASK_NO_PROJECT.format(order=task.order, name=name, codes=_codes(others))
        return [Problem(TASK_WITHOUT_PROJECT, message, blocking=False)]
    if others:
        message = REVIEW_TASK_OTHER_PROJECTS.format(
            order=task.order, name=name, codes=_codes(others)
        )
        return [Problem(TASK_OTHER_PROJECTS, message, blocking=False)]
    return []


def budget_total_problems(stated_total: Decimal | None, total: Decimal) -> list[Problem]:
    """Rule 5: the stated 部门预算总额 against 基本支出 + the projects' 年初预算 + 上年结转."""
    if stated_total is None or abs(stated_total - total) <= AMOUNT_TOLERANCE:
        return []
    message = REVIEW_BUDGET_TOTAL_MISMATCH.format(
        stated=format_amount(stated_total), total=format_amount(total)
    )
    return [Problem(BUDGET_TOTAL_MISMATCH, message, blocking=False)]


def review_department(
    *,
    indicators: Sequence[DepartmentIndicatorInput],
    tasks: Sequence[TaskInput],
    project_codes: set[str],
    stated_total: Decimal | None,
    budget_total: Decimal,
) -> ReviewResult:
    """Check a department's targets of one year against rules 1–5 of the department review.

    `project_codes` are the codes of the department's projects of that year; `budget_total`
    is its 基本支出 plus every project's 年初预算 and 上年结转 (万元); `stated_total` the
    部门预算总额 it stated, or None.
    """
    problems: list[Problem] = []
    if not indicators:
        problems.append(Problem(NO_TARGETS, REVIEW_NO_TARGETS))
    else:
        problems.extend(_group_problems(indicators))
        for indicator in indicators:
            problems.extend(_value_problems(indicator))
        problems.extend(_computed_problems(indicators))
    for task in tasks:
        problems.extend(_task_problems(task, project_codes))
    problems.extend(budget_total_problems(stated_total, budget_total))
    return ReviewResult(problems=problems)
