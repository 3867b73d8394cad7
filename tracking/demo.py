"""The whole demo `make run` loads: budgets and targets, rounds, a few reports, reminders."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from budgets.demo import DEMO_YEAR, DemoReport, load_budget_demo
from budgets.models import Project
from performance.models import Indicator
from performance.services import indicator_library_seed_from_indicators
from performance.values import QUALITATIVE, QUANTITATIVE, RELATIVE, format_decimal

from .choices import ReportStatus, Stage
from .models import Round
from .selectors import divisions_with_projects
from .services import (
    LineInput,
    ReportInput,
    department_reports_create,
    report_get_or_create,
    report_save,
    report_submit,
)

DEMO_MONITORING_AS_OF = date(DEMO_YEAR, 7, 31)
DEMO_SELF_EVALUATION_AS_OF = date(DEMO_YEAR, 12, 31)


def on_track_value(indicator: Indicator) -> str:
    """A value that meets the target, written as staff would write it."""
    target = indicator.target
    if target.kind == QUANTITATIVE and target.value is not None:
        return f"{format_decimal(target.value)}{target.unit or ''}"
    if target.kind in (QUALITATIVE, RELATIVE):
        return "达成"
    return f"{DEMO_YEAR}-12-20"


def _fill_monitoring(rounds: dict[int, Round], report: DemoReport) -> None:
    """Department 309's projects: values filled in (in its 区划's round), the first submitted."""
    projects = (
        Project.objects.filter(year=DEMO_YEAR, department__code="309")
        .select_related("department__division")
        .order_by("code")
    )
    for index, project in enumerate(projects):
        round_ = rounds.get(project.department.division_id)
        if round_ is None:
            continue
        rep = report_get_or_create(round_=round_, project=project)
        if rep.status != ReportStatus.DRAFT or rep.lines.exists():
            continue
        lines = {
            i.pk: LineInput(actual_raw=on_track_value(i), expected_raw=on_track_value(i))
            for i in project.indicators.all()
        }
        data = ReportInput(
            budget_cause_category="其他",
            budget_cause="上半年支付进度受项目招标时间影响",
            budget_likelihood="有可能",
            budget_measure="加快合同签订与资金支付",
            lines=lines,
        )
        rep = report_save(report=rep, user=None, version=rep.version, data=data)
        if index == 0:
            report_submit(report=rep, user=None, version=rep.version)
    report.lines.append(f"运行监控示例报告：部门309共{projects.count()}个项目已填报")


def load_demo(samples: Path) -> DemoReport:
    """Load everything the demo shows; running it twice changes nothing."""
    report = DemoReport()
    load_budget_demo(samples, report)
    library = indicator_library_seed_from_indicators()
    report.lines.append(f"指标库: 新增{library.created}个，更新{library.updated}个")
    with transaction.atomic():
        # Each finance bureau (区划) of the demo opens its own rounds.
        bureaus = divisions_with_projects(None, DEMO_YEAR)
        monitoring: dict[int, Round] = {}
        department_reports = 0
        for division in bureaus:
            monitoring[division.pk], _ = Round.objects.get_or_create(
                division=division,
                year=DEMO_YEAR,
                stage=Stage.MONITORING,
                as_of=DEMO_MONITORING_AS_OF,
                defaults={"deadline": date(DEMO_YEAR, 8, 15)},
            )
            # The self-evaluation deadline is three days ahead on first load, so the reminder
            # pass (run now through Celery, then daily by beat) has something to say.
            self_evaluation, _ = Round.objects.get_or_create(
                division=division,
                year=DEMO_YEAR,
                stage=Stage.SELF_EVALUATION,
                as_of=DEMO_SELF_EVALUATION_AS_OF,
                defaults={"deadline": timezone.localdate() + timedelta(days=3)},
            )
            # The departments with 部门整体目标 get their own reports, as open_round does.
            for round_ in (monitoring[division.pk], self_evaluation):
                department_reports += len(department_reports_create(round_))
        _fill_monitoring(monitoring, report)
    names = "、".join(d.name for d in bureaus)
    report.lines.append(
        f"填报轮次（{names}各一套）：2024年运行监控（截至07月31日）、2024年绩效自评（截至12月31日）"
    )
    if department_reports:
        report.lines.append(f"部门整体绩效报告（草稿）：新增{department_reports}份")
    _queue_reminders(report)
    return report


def _queue_reminders(report: DemoReport) -> None:
    """Send today's reminder pass through the broker: the worker `make run` starts runs it."""
    from .tasks import remind_task

    try:
        remind_task.delay()
    except Exception as exc:  # the demo still loads when no broker is reachable
        report.lines.append(f"提醒任务未能发送到消息队列：{exc}")
        return
    report.lines.append("已将今日提醒任务发送到 Celery（worker 启动后生成站内消息）")
