"""The workbench's charts as plain data for static/js/workbench.js (embedded with json_script):
categories, series and colours, every rate a string rounded half-up to 2 places, so no float
ever stands for an amount or a rate. Each chart has a table beside it on the page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from budgets.rates import GREEN, OVER, RED, YELLOW
from budgets.rates import format_rate as rate_text
from tracking.choices import Light, ReportStatus

from .workbench import (
    GRADES,
    LIGHT_LABELS,
    LIGHT_ORDER,
    NO_WARNING,
    NOT_STARTED,
    SCORE_BUCKETS,
    STATUS_LABELS,
    STATUS_ORDER,
    WARNING_LABELS,
    WARNING_ORDER,
    Board,
    Execution,
    ProjectFigures,
    Results,
    Scope,
)

T = TypeVar("T")

# The colours of static/css/app.css (--green, --red, …), so a chart and its table agree.
BLUE = "#1d5fa8"
GREY = "#9aa5b1"
WARNING_COLORS = {OVER: "#8e24aa", RED: "#d93025", YELLOW: "#f2a900", GREEN: "#1e8e3e"}
WARNING_COLORS[NO_WARNING] = GREY
STATUS_COLORS = {
    NOT_STARTED: GREY,
    ReportStatus.DRAFT: "#f2a900",
    ReportStatus.SUBMITTED: BLUE,
    ReportStatus.RETURNED: "#d93025",
    ReportStatus.APPROVED: "#1e8e3e",
}
GRADE_COLORS = dict(zip(GRADES, ("#1e8e3e", "#3b82f6", "#f2a900", "#d93025"), strict=True))
LIGHT_COLORS = {
    Light.RED: "#d93025",
    Light.YELLOW: "#f2a900",
    Light.GREEN: "#1e8e3e",
    Light.BLUE: "#3b82f6",
}
PROGRESS_COLOR = "#111111"
# From the lowest score bucket (red) to the highest (green).
BUCKET_COLORS = ("#d93025", "#f2a900", "#9aa5b1", "#3b82f6", "#1e8e3e")

# A chart of more departments than this draws those that need attention most (the caption
# says so); the table beside it lists them all.
CHART_CATEGORIES = 40
# Projects drawn in a department's execution chart: those furthest behind.
DEPARTMENT_PROJECTS_DRAWN = 15
BAR_HEIGHT = 26
MIN_HEIGHT = 220
VERTICAL_HEIGHT = 280


def _height(categories: int) -> int:
    return max(MIN_HEIGHT, 80 + BAR_HEIGHT * categories)


def _capped(rows: Sequence[T], worst_first: Callable[[T], Any]) -> tuple[list[T], bool]:
    """The rows as they are, or the CHART_CATEGORIES worst in their own order."""
    if len(rows) <= CHART_CATEGORIES:
        return list(rows), False
    kept = {id(r) for r in sorted(rows, key=worst_first)[:CHART_CATEGORIES]}
    return [r for r in rows if id(r) in kept], True


def stacked(
    categories: list[str], parts: list[tuple[str, str, list[int]]], unit: str, capped: bool
) -> dict:
    """Horizontal bars, one per category, stacked by part (name, colour, values)."""
    return {
        "kind": "bar",
        "horizontal": True,
        "stack": True,
        "categories": categories,
        "series": [{"name": n, "color": c, "data": values} for n, c, values in parts],
        "unit": unit,
        "height": _height(len(categories)),
        "capped": capped,
    }


def single(categories: list[str], values: list, colors: list[str], name: str, unit: str) -> dict:
    """Vertical bars of one series, each its own colour (one department's counts)."""
    return {
        "kind": "bar",
        "horizontal": False,
        "stack": False,
        "categories": categories,
        "series": [{"name": name, "data": values, "colors": colors}],
        "unit": unit,
        "height": VERTICAL_HEIGHT,
        "capped": False,
    }


def rates(
    categories: list[str], values: list[Decimal | None], colors: list[str], progress: Decimal
) -> dict:
    """预算执行率 bars against the 序时进度 mark line."""
    return {
        "kind": "bar",
        "horizontal": True,
        "stack": False,
        "categories": categories,
        "series": [
            {"name": "预算执行率", "data": [rate_text(v) for v in values], "colors": colors}
        ],
        "unit": "%",
        "markLine": {"name": "序时进度", "value": rate_text(progress)},
        "height": _height(len(categories)),
        "capped": False,
    }


def status_chart(board: Board, scope: Scope) -> dict:
    rows = [r for r in board.rows if r.active]
    if len(scope.departments) == 1:
        counts = rows[0].counts if rows else dict.fromkeys(STATUS_ORDER, 0)
        return single(
            [STATUS_LABELS[s] for s in STATUS_ORDER],
            [counts[s] for s in STATUS_ORDER],
            [STATUS_COLORS[s] for s in STATUS_ORDER],
            "项目数",
            "个",
        )
    rows, capped = _capped(rows, lambda r: (r.percent is None, r.percent or 0))
    labels = scope.labels()
    return stacked(
        [labels[r.department.pk] for r in rows],
        [(STATUS_LABELS[s], STATUS_COLORS[s], [r.counts[s] for r in rows]) for s in STATUS_ORDER],
        "个",
        capped,
    )


def projects_behind(execution: Execution) -> list[ProjectFigures]:
    """The projects with the lowest 预算执行率 (those with a budget), lowest first."""
    return sorted(
        (p for p in execution.projects if p.rate is not None), key=lambda p: (p.rate, p.code)
    )[:DEPARTMENT_PROJECTS_DRAWN]


def execution_chart(execution: Execution, scope: Scope) -> dict:
    if len(scope.departments) == 1:
        behind = projects_behind(execution)
        chart = rates(
            [p.name for p in behind],
            [p.rate for p in behind],
            [WARNING_COLORS[p.warning or NO_WARNING] for p in behind],
            execution.progress,
        )
        chart["capped"] = len(behind) < sum(1 for p in execution.projects if p.rate is not None)
        return chart
    rows, capped = _capped(
        [r for r in execution.rows if r.rate is not None], lambda r: (r.rate, r.department.code)
    )
    labels = scope.labels()
    chart = rates(
        [labels[r.department.pk] for r in rows],
        [r.rate for r in rows],
        [WARNING_COLORS[r.warning or NO_WARNING] for r in rows],
        execution.progress,
    )
    chart["capped"] = capped
    return chart


def warnings_chart(execution: Execution, scope: Scope) -> dict:
    if len(scope.departments) == 1:
        counts = execution.warnings
        return single(
            [WARNING_LABELS[w] for w in WARNING_ORDER],
            [counts[w] for w in WARNING_ORDER],
            [WARNING_COLORS[w] for w in WARNING_ORDER],
            "项目数",
            "个",
        )
    rows, capped = _capped(
        [r for r in execution.rows if r.projects],
        lambda r: (-(r.warnings[OVER] + r.warnings[RED]), r.department.code),
    )
    labels = scope.labels()
    return stacked(
        [labels[r.department.pk] for r in rows],
        [
            (WARNING_LABELS[w], WARNING_COLORS[w], [r.warnings[w] for r in rows])
            for w in WARNING_ORDER
        ],
        "个",
        capped,
    )


def trend_chart(execution: Execution) -> dict:
    trend = execution.trend
    series: list[dict] = [
        {"name": s.label, "data": [rate_text(p) for p in s.points]} for s in trend.series
    ]
    if trend.days:
        series.append(
            {
                "name": "序时进度",
                "data": [rate_text(p) for p in trend.progress],
                "color": PROGRESS_COLOR,
                "dashed": True,
            }
        )
    return {
        "kind": "line",
        "categories": [f"{day.month}月" for day in trend.days],
        "series": series,
        "unit": "%",
        "height": VERTICAL_HEIGHT + 40,
        "capped": trend.partial,
    }


def grades_chart(results: Results, scope: Scope) -> dict:
    if len(scope.departments) == 1:
        counts = results.grades
        return single(
            list(GRADES), [counts[g] for g in GRADES], list(GRADE_COLORS.values()), "报告数", "份"
        )
    rows, capped = _capped(
        [r for r in results.rows if r.scored], lambda r: (r.average or 0, r.department.code)
    )
    labels = scope.labels()
    return stacked(
        [labels[r.department.pk] for r in rows],
        [(g, GRADE_COLORS[g], [r.grades[g] for r in rows]) for g in GRADES],
        "份",
        capped,
    )


def scores_chart(results: Results, scope: Scope) -> dict:
    labels = [label for label, _ in SCORE_BUCKETS]
    if len(scope.departments) == 1:
        return single(labels, results.buckets, list(BUCKET_COLORS), "报告数", "份")
    rows, capped = _capped(
        [r for r in results.rows if r.scored], lambda r: (r.average or 0, r.department.code)
    )
    names = scope.labels()
    return stacked(
        [names[r.department.pk] for r in rows],
        [(label, BUCKET_COLORS[i], [r.buckets[i] for r in rows]) for i, label in enumerate(labels)],
        "份",
        capped,
    )


def lights_chart(results: Results, scope: Scope) -> dict:
    if len(scope.departments) == 1:
        counts = results.lights
        return single(
            [LIGHT_LABELS[light] for light in LIGHT_ORDER],
            [counts[light] for light in LIGHT_ORDER],
            [LIGHT_COLORS[light] for light in LIGHT_ORDER],
            "报告数",
            "份",
        )
    rows, capped = _capped(
        [r for r in results.rows if r.lit], lambda r: (-r.lights[Light.RED], r.department.code)
    )
    labels = scope.labels()
    return stacked(
        [labels[r.department.pk] for r in rows],
        [
            (LIGHT_LABELS[light], LIGHT_COLORS[light], [r.lights[light] for r in rows])
            for light in LIGHT_ORDER
        ],
        "份",
        capped,
    )


def charts(board: Board, execution: Execution, results: Results, scope: Scope) -> dict:
    """Every chart of a workbench by the name its box carries (data-chart)."""
    return {
        "status": status_chart(board, scope),
        "execution": execution_chart(execution, scope),
        "warnings": warnings_chart(execution, scope),
        "trend": trend_chart(execution),
        "grades": grades_chart(results, scope),
        "scores": scores_chart(results, scope),
        "lights": lights_chart(results, scope),
    }
