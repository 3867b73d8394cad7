"""The workbench's tables as xlsx sheets with Chinese headers, written by budgets.exporter's
append_sheet: every text cell stays text (budgets.xlsx.as_text), rates are Decimals rounded
half-up to 2 places, amounts exact."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook

from budgets.exporter import append_sheet
from budgets.rates import round_half_up

from .workbench import (
    GRADES,
    LIGHT_LABELS,
    LIGHT_ORDER,
    SCORE_BUCKETS,
    STATUS_LABELS,
    STATUS_ORDER,
    WARNING_LABELS,
    WARNING_ORDER,
    Board,
    DepartmentTasks,
    Execution,
    ProjectRow,
    Results,
    Selection,
    ToDo,
)

Sheet = tuple[str, list[str], list[list]]


def _rate(value: Decimal | None) -> Decimal | None:
    return round_half_up(value)


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def board_sheet(board: Board) -> Sheet:
    header = [
        "区划",
        "部门编码",
        "部门名称",
        "项目数",
        *(STATUS_LABELS[s] for s in STATUS_ORDER),
        "完成率（%）",
        "逾期天数",
        "逾期未交项目数",
        "最近活动",
        "待审核",
        "部门整体报告",
    ]
    rows = [
        [
            row.department.division.name,
            row.department.code,
            row.department.name,
            row.projects,
            *(row.counts[s] for s in STATUS_ORDER),
            _rate(row.percent),
            row.late_days,
            row.late_projects if row.overdue else None,
            _when(row.last_activity),
            row.queue,
            row.department_report.label if row.department_report else "无",
        ]
        for row in board.rows
    ]
    return "填报状态", header, rows


def execution_sheet(execution: Execution) -> Sheet:
    header = [
        "区划",
        "部门编码",
        "部门名称",
        "全年预算数（万元）",
        "执行数（万元）",
        "预算执行率（%）",
        "序时进度（%）",
        "预警",
    ]
    progress = _rate(execution.progress)
    rows = [
        [
            row.department.division.name,
            row.department.code,
            row.department.name,
            row.figures.adjusted if row.figures else None,
            row.figures.executed if row.figures else None,
            _rate(row.rate),
            progress,
            row.warning_label,
        ]
        for row in execution.rows
    ]
    return "预算执行", header, rows


def warnings_sheet(execution: Execution) -> Sheet:
    header = ["区划", "部门编码", "部门名称", *(WARNING_LABELS[w] for w in WARNING_ORDER)]
    rows = [
        [
            row.department.division.name,
            row.department.code,
            row.department.name,
            *(row.warnings[w] for w in WARNING_ORDER),
        ]
        for row in execution.rows
    ]
    return "项目预警", header, rows


def trend_sheet(execution: Execution) -> Sheet:
    trend = execution.trend
    header = ["部门编码", "部门名称", *(f"{day:%Y-%m-%d}（%）" for day in trend.days)]
    rows = [[s.department.code, s.label, *(_rate(p) for p in s.points)] for s in trend.series]
    if trend.days:
        rows.append(["", "序时进度", *(_rate(p) for p in trend.progress)])
    return "执行率趋势", header, rows


def grades_sheet(results: Results) -> Sheet:
    header = [
        "区划",
        "部门编码",
        "部门名称",
        "已评分",
        *GRADES,
        *(label for label, _ in SCORE_BUCKETS),
        "平均分",
        "最低分",
    ]
    rows = [
        [
            row.department.division.name,
            row.department.code,
            row.department.name,
            row.scored,
            *(row.grades[g] for g in GRADES),
            *row.buckets,
            row.average,
            _rate(row.lowest),
        ]
        for row in results.rows
    ]
    rows.append(["", "", "合计", results.scored, *results.grades.values(), *results.buckets])
    return "自评得分", header, rows


def lights_sheet(results: Results) -> Sheet:
    header = ["区划", "部门编码", "部门名称", *(LIGHT_LABELS[light] for light in LIGHT_ORDER)]
    rows = [
        [
            row.department.division.name,
            row.department.code,
            row.department.name,
            *(row.lights[light] for light in LIGHT_ORDER),
        ]
        for row in results.rows
    ]
    return "监控亮灯", header, rows


def lowest_sheet(results: Results, departments: dict[int, str]) -> Sheet:
    header = ["项目编码", "项目名称", "部门名称", "总分", "等级", "报告状态"]
    rows = [
        [
            p.code,
            p.name,
            departments.get(p.department_id, ""),
            _rate(p.score),
            p.grade,
            p.status_label,
        ]
        for p in results.lowest
    ]
    return "得分最低的项目", header, rows


def deviations_sheet(results: Results) -> Sheet:
    header = ["三级指标", "一级指标", "偏差次数", "原因类别", "原因举例"]
    rows = [
        [
            d.name,
            d.level1,
            d.count,
            "；".join(f"{category} {n}" for category, n in d.causes),
            "；".join(d.examples),
        ]
        for d in results.deviations
    ]
    return "偏差最多的指标", header, rows


def todo_sheet(todo: ToDo) -> Sheet:
    header = ["事项", "轮次", "区划", "填报截止日期", "天数", "涉及部门"]
    rows: list[list] = []
    if todo.queue_size:
        oldest = todo.queue_oldest
        rows.append(
            [
                f"审核队列：{todo.queue_size}份待审核",
                str(oldest.round) if oldest else "",
                oldest.round.division.name if oldest else "",
                None,
                todo.queue_days,
                oldest.owner_department.name if oldest else "",
            ]
        )
    for item in todo.overdue:
        rows.append(
            [
                "已逾期",
                str(item.round),
                item.round.division.name,
                item.round.deadline,
                item.lateness.days,
                "、".join(d.name for d in item.lateness.departments),
            ]
        )
    for item in todo.closing:
        rows.append(
            [
                "7天内截止",
                str(item.round),
                item.round.division.name,
                item.round.deadline,
                item.days_left,
                "",
            ]
        )
    return "待办", header, rows


def tasks_sheet(tasks: DepartmentTasks) -> Sheet:
    header = ["轮次", "报告", "状态", "退回原因", "填报截止日期"]
    rows = [
        [
            str(report.round),
            report.subject_name,
            report.get_status_display(),
            report.return_reason,
            report.round.deadline,
        ]
        for report in tasks.reports
    ]
    return "待处理报告", header, rows


def rounds_sheet(tasks: DepartmentTasks) -> Sheet:
    header = [
        "轮次",
        "填报截止日期",
        "剩余天数",
        *(STATUS_LABELS[s] for s in STATUS_ORDER),
        "完成率（%）",
    ]
    rows = [
        [
            str(item.round),
            item.round.deadline,
            item.days_left,
            *(item.counts[s] for s in STATUS_ORDER),
            _rate(item.percent),
        ]
        for item in tasks.rounds
    ]
    return "开放中的填报轮次", header, rows


def warned_sheet(execution: Execution) -> Sheet:
    header = [
        "项目编码",
        "项目名称",
        "全年预算数（万元）",
        "执行数（万元）",
        "预算执行率（%）",
        "预警",
    ]
    rows = [
        [
            p.code,
            p.name,
            p.figures.adjusted,
            p.figures.executed,
            _rate(p.rate),
            p.warning_label,
        ]
        for p in execution.warned
    ]
    return "执行预警项目", header, rows


def projects_sheet(rows: Iterable[ProjectRow]) -> Sheet:
    header = [
        "项目编码",
        "项目名称",
        "填报状态",
        "全年预算数（万元）",
        "执行数（万元）",
        "预算执行率（%）",
        "预警",
        "目标灯",
        "偏差数",
        "总分",
        "等级",
    ]
    return (
        "项目",
        header,
        [
            [
                row.project.code,
                row.project.name,
                row.status_label,
                row.project.figures.adjusted,
                row.project.figures.executed,
                _rate(row.project.rate),
                row.project.warning_label,
                row.light_label,
                row.deviations if row.report_id else None,
                _rate(row.score),
                row.grade,
            ]
            for row in rows
        ],
    )


@dataclass(frozen=True)
class ExportTable:
    """A table the page offers to download: its name in ?table= and its link text."""

    name: str
    label: str


BUREAU_TABLES = (
    ExportTable("board", "填报状态"),
    ExportTable("execution", "预算执行"),
    ExportTable("warnings", "项目预警"),
    ExportTable("trend", "执行率趋势"),
    ExportTable("grades", "自评得分"),
    ExportTable("lights", "监控亮灯"),
    ExportTable("lowest", "得分最低的项目"),
    ExportTable("deviations", "偏差最多的指标"),
    ExportTable("todo", "待办"),
)
DEPARTMENT_TABLES = (
    *BUREAU_TABLES,
    ExportTable("projects", "项目"),
    ExportTable("rounds", "开放中的填报轮次"),
    ExportTable("tasks", "待处理报告"),
    ExportTable("warned", "执行预警项目"),
)


def workbook(sheets: Iterable[Sheet]) -> bytes:
    book = Workbook(write_only=True)
    for name, header, rows in sheets:
        append_sheet(book, name, header, rows)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(selection: Selection, title: str, subject: str = "") -> str:
    """`填报状态_2024年运行监控（截至07月31日）.xlsx`, the department's name after the title."""
    round_ = selection.choice.key.label if selection.choice else f"{selection.year}年"
    parts = [title, subject, round_]
    return "_".join(p for p in parts if p) + ".xlsx"
