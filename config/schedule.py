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
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

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


SCHEDULE: tuple[ScheduleEntry, ...] = (
    # Each night keeps every project's rates as of that day (ProjectRateSnapshot): a history
    # the live pages cannot recompute once payments are corrected.
    ScheduleEntry(
        name="recompute-rates-nightly",
        task="budgets.tasks.recompute_rates_task",
        minute="0",
        hour="2",
        expires=6 * 3600,
        comment="每天02:00重算全部项目与部门的预算执行率快照（用于趋势图）",
    ),
    # Reminders are unique per recipient and day, so a late or repeated run sends nothing
    # twice; past 19:30 the day's reminders are not worth sending any more.
    ScheduleEntry(
        name="remind-daily",
        task="tracking.tasks.remind_task",
        minute="30",
        hour="7",
        expires=12 * 3600,
        comment="每天07:30发送截止提醒、逾期通知、逾期汇总与执行率红色预警",
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
