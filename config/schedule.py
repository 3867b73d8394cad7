"""The celery beat schedule — the one place it is written — and its sync into the database.

Beat runs django-celery-beat's DatabaseScheduler, so the finance bureau can see and change the
schedule in the admin site. `sync_beat_schedule()` writes the entries below into it by name
after every `migrate` (a post_migrate hook in budgets/apps.py):

- a missing entry is created with the crontab written here;
- an existing entry gets the task path, kwargs, expiry and description written here, but its
  crontab and its enabled flag are left as they are: a time (or a pause) an admin set in the
  admin site survives upgrades. To move an installed entry's time, change it in the admin
  site, or delete the entry there and run `migrate` to recreate it from this file;
- entries not listed here (added in the admin site) are never touched: no delete-all.

Beat advances an entry's last_run_at before it sends the task, so a run sent while the broker
(Redis) is down is lost, and a daily pass would wait a whole day for its next time. The daily
passes marked `catch_up` therefore record each day's run (budgets.ScheduledRun, through
`daily_run`), and `daily-catch-up` runs, every 15 minutes, the pass of any such entry whose time
today has passed without a run: once, and only today's (`daily_runs_due`, `daily_catch_up`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleEntry:
    """One periodic task: when it runs (crontab fields, in settings.CELERY_TIMEZONE)."""

    name: str
    task: str
    minute: str
    hour: str
    # Seconds after which an undelivered run is dropped: the next run will do its work.
    expires: int
    comment: str
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    kwargs: dict[str, Any] = field(default_factory=dict)
    # A daily pass that `daily-catch-up` runs later the same day when its own run was lost.
    catch_up: bool = False


REMIND_DAILY = "remind-daily"
RECOMPUTE_NIGHTLY = "recompute-rates-nightly"
DAILY_CATCH_UP = "daily-catch-up"

SCHEDULE: tuple[ScheduleEntry, ...] = (
    # Each night keeps every project's rates as of that day (ProjectRateSnapshot): a history
    # the live pages cannot recompute once payments are corrected.
    ScheduleEntry(
        name=RECOMPUTE_NIGHTLY,
        task="budgets.tasks.recompute_rates_task",
        minute="0",
        hour="2",
        expires=6 * 3600,
        comment="每天02:00重算全部项目与部门的预算执行率快照（用于趋势图）",
        catch_up=True,
    ),
    # Reminders are unique per recipient and day, so a late or repeated run sends nothing
    # twice; past 19:30 the day's reminders are not worth sending any more.
    ScheduleEntry(
        name=REMIND_DAILY,
        task="tracking.tasks.remind_task",
        minute="30",
        hour="7",
        expires=12 * 3600,
        comment="每天07:30发送截止提醒、逾期通知、逾期汇总与执行率红色预警",
        catch_up=True,
    ),
    # Uploaded workbooks are only needed while their import runs and for a week after.
    ScheduleEntry(
        name="import-files-cleanup-daily",
        task="budgets.tasks.import_files_cleanup_task",
        minute="0",
        hour="3",
        expires=12 * 3600,
        comment="每天03:00删除7天前上传、已结束的导入文件（导入记录保留）",
    ),
    # A lost tick costs nothing: the next one, 15 minutes later, checks the same.
    ScheduleEntry(
        name=DAILY_CATCH_UP,
        task="budgets.tasks.daily_catch_up_task",
        minute="*/15",
        hour="*",
        expires=10 * 60,
        comment="每15分钟检查一次：当天已过执行时间却没有运行记录的每日任务"
        "（如执行时消息队列不可用），补执行一次",
    ),
)


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _crontab(entry: ScheduleEntry, using: str):
    from django_celery_beat.models import CrontabSchedule

    fields = {
        "minute": entry.minute,
        "hour": entry.hour,
        "day_of_week": entry.day_of_week,
        "day_of_month": entry.day_of_month,
        "month_of_year": entry.month_of_year,
        "timezone": settings.CELERY_TIMEZONE,
    }
    # Not get_or_create: the table has no unique key, so duplicates may already exist.
    existing = CrontabSchedule.objects.using(using).filter(**fields).order_by("pk").first()
    return existing or CrontabSchedule.objects.using(using).create(**fields)


def sync_beat_schedule(
    entries: tuple[ScheduleEntry, ...] = SCHEDULE, *, using: str = DEFAULT_DB_ALIAS
) -> SyncResult:
    """Upsert the entries into django-celery-beat by name (see the module docstring)."""
    from django_celery_beat.models import PeriodicTask

    result = SyncResult()
    for entry in entries:
        wanted = {
            "task": entry.task,
            "kwargs": json.dumps(entry.kwargs, ensure_ascii=False, sort_keys=True),
            "expire_seconds": entry.expires,
            "description": entry.comment,
        }
        task = PeriodicTask.objects.using(using).filter(name=entry.name).first()
        if task is None:
            PeriodicTask(name=entry.name, crontab=_crontab(entry, using), **wanted).save(
                using=using
            )
            result.created.append(entry.name)
            continue
        changed = {name: value for name, value in wanted.items() if getattr(task, name) != value}
        if not changed:
            result.unchanged.append(entry.name)
            continue
        for name, value in changed.items():
            setattr(task, name, value)
        # PeriodicTask.save() also tells a running beat to reload its schedule.
        task.save(using=using)
        result.updated.append(entry.name)
    if result.created or result.updated:
        logger.info("beat schedule synced: created %s, updated %s", result.created, result.updated)
    return result


def sync_beat_schedule_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver: sync once django-celery-beat's tables exist on that database."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    tables = set(connections[using].introspection.table_names())
    # `migrate` of a single app, or a rollback, can leave the beat tables missing.
    if {PeriodicTask._meta.db_table, CrontabSchedule._meta.db_table} <= tables:
        sync_beat_schedule(using=using)


# --- the daily catch-up ---------------------------------------------------------------------

# The pass's own run gets this long after its time before the catch-up steps in: at 07:30 its
# message may still be on its way to a worker, and a pass run twice costs a second run.
CATCH_UP_GRACE = timedelta(minutes=10)
# The catch-up runs the passes in its own process, one after the other: long enough for the
# longest two (the recompute, 16 minutes; the reminders, 12). A run started longer ago than the
# hard limit without finishing was lost with its worker, and is due again.
CATCH_UP_SOFT_TIME_LIMIT = 30 * 60
CATCH_UP_TIME_LIMIT = 32 * 60
CATCH_UP_STALE_AFTER = timedelta(seconds=CATCH_UP_TIME_LIMIT)


@dataclass(frozen=True)
class DailyEntry:
    """A daily pass as the beat runs it: its name and crontab (in the crontab's time zone)."""

    name: str
    schedule: crontab
    tz: tzinfo


@dataclass(frozen=True)
class DailyRunRecord:
    """What budgets.ScheduledRun holds for one pass and day."""

    started_at: datetime
    finished_at: datetime | None = None


def first_run_on(schedule: crontab, day: date, tz: tzinfo) -> datetime | None:
    """The crontab's first time on `day` (None when it does not run that day).

    Celery requires day of month and day of week both to match, unlike Unix cron."""
    if (
        day.month not in schedule.month_of_year
        or day.day not in schedule.day_of_month
        or day.isoweekday() % 7 not in schedule.day_of_week  # celery: 0 is Sunday
    ):
        return None
    return datetime.combine(day, time(min(schedule.hour), min(schedule.minute)), tzinfo=tz)


def daily_runs_due(
    *,
    now: datetime,
    today: date,
    entries: Iterable[DailyEntry],
    runs: Mapping[str, DailyRunRecord],
    grace: timedelta = CATCH_UP_GRACE,
    stale_after: timedelta = CATCH_UP_STALE_AFTER,
) -> list[str]:
    """The names of the passes to run now: today's time (plus the grace) has passed and today
    has no run, or only one that started longer than `stale_after` ago and never finished.

    Only today counts: a day missed entirely is not run again the next day, whose own pass
    does the work (the reminders of a day, the rates as of a day, are today's)."""
    due = []
    for entry in entries:
        first = first_run_on(entry.schedule, today, entry.tz)
        if first is None or now < first + grace:
            continue
        run = runs.get(entry.name)
        if run is None or (run.finished_at is None and run.started_at <= now - stale_after):
            due.append(entry.name)
    return due


def _run_record(name: str, day: date):
    from budgets.models import ScheduledRun

    return ScheduledRun.objects.filter(name=name, day=day)


@contextmanager
def daily_run(name: str, day: date) -> Iterator[None]:
    """Record the daily pass `name` of `day` as started, and as finished when the block ends
    without an error. Only today's pass is recorded: a rerun for another day (an operator's
    backfill) says nothing about the beat's run of that day."""
    from budgets.models import ScheduledRun

    if day != timezone.localdate():
        yield
        return
    _run, created = ScheduledRun.objects.get_or_create(
        name=name, day=day, defaults={"started_at": timezone.now()}
    )
    if not created:
        # A finished day stays finished; an unfinished one is this run's now.
        _run_record(name, day).filter(finished_at__isnull=True).update(started_at=timezone.now())
    yield
    _run_record(name, day).update(finished_at=timezone.now())


def _claim(name: str, day: date, now: datetime) -> bool:
    """Take the day's run of `name` for this catch-up; False when another run has it."""
    from budgets.models import ScheduledRun

    try:
        with transaction.atomic():
            ScheduledRun.objects.create(name=name, day=day, started_at=now)
        return True
    except IntegrityError:
        return bool(
            _run_record(name, day)
            .filter(finished_at__isnull=True, started_at__lte=now - CATCH_UP_STALE_AFTER)
            .update(started_at=now)
        )


def daily_catch_up() -> list[str]:
    """Run once, in this process, each catch-up pass due now (see `daily_runs_due`); returns
    the names of those that ran to the end.

    The time and the enabled flag are django-celery-beat's (an admin's change counts); the
    task and its arguments too. A pass that fails is logged and left to a later catch-up."""
    from django_celery_beat.models import PeriodicTask

    from budgets.models import ScheduledRun
    from config.celery import app

    now = timezone.now()
    today = timezone.localdate(now)
    names = [entry.name for entry in SCHEDULE if entry.catch_up]
    periodic = {
        task.name: task
        for task in PeriodicTask.objects.filter(
            name__in=names, enabled=True, crontab__isnull=False
        ).select_related("crontab")
    }
    entries = [
        DailyEntry(name, task.crontab.schedule, task.crontab.timezone)
        for name, task in periodic.items()
    ]
    runs = {
        run.name: DailyRunRecord(run.started_at, run.finished_at)
        for run in ScheduledRun.objects.filter(name__in=names, day=today)
    }
    done = []
    for name in daily_runs_due(now=now, today=today, entries=entries, runs=runs):
        if not _claim(name, today, now):
            continue
        task = periodic[name]
        logger.warning("catching up %s of %s: its own run did not happen", name, today)
        try:
            run = app.tasks[task.task]
            run(*json.loads(task.args or "[]"), **json.loads(task.kwargs or "{}"))
        except Exception:
            logger.exception("catching up %s of %s failed", name, today)
            continue
        # The task records its own finish; one that does not is still done.
        _run_record(name, today).update(finished_at=timezone.now())
        done.append(name)
    return done
