"""Celery tasks of the budgets app."""

from __future__ import annotations

from datetime import date

from celery import Task, shared_task
from django.db import OperationalError
from django.utils import timezone

from config.schedule import (
    CATCH_UP_SOFT_TIME_LIMIT,
    CATCH_UP_TIME_LIMIT,
    RECOMPUTE_NIGHTLY,
    daily_catch_up,
    daily_run,
)

from .services import IMPORT_SOFT_TIME_LIMIT, IMPORT_TIME_LIMIT, import_job_run, rates_snapshot_save

# A request waits while a send to a dead broker is retried (task_publish_retry_policy, a
# setting anyone may widen), so the tasks sent from requests fix it here: an immediate retry
# and one after 0.2 s ride out a blip (Redis restarting mid-send), then the error. A stopped
# Redis (connection refused) so fails the send in well under a second; a host that swallows
# packets is bounded by the transport's socket_connect_timeout instead.
SEND_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}


class SendOrFailTask(Task):
    """A task sent while someone waits (a page, an API call): with the broker unreachable its
    `delay()` raises kombu's OperationalError within about a second, for the caller to say so."""

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, **options):
        options.setdefault("retry_policy", SEND_RETRY_POLICY)
        return super().apply_async(args, kwargs, task_id, producer, **options)


@shared_task(name="budgets.ping", ignore_result=False)
def ping() -> str:
    """A no-op used to check that a worker consumes from the broker."""
    return "pong"


# No automatic retries: an import fails on its data, not on a transient error. A job lost with
# its worker is taken again by a later delivery once its time limit has passed (see
# import_job_run); the job page shows it as interrupted after that time.
@shared_task(
    name="budgets.import_workbook",
    base=SendOrFailTask,
    acks_late=True,
    soft_time_limit=IMPORT_SOFT_TIME_LIMIT,
    time_limit=IMPORT_TIME_LIMIT,
    ignore_result=True,
)
def import_workbook_task(job_id: int) -> None:
    """Validate or import one uploaded workbook; a missing or finished job is left alone."""
    import_job_run(job_id=job_id)


# Minutes at province scale; the hard limit only stops a run that hangs on a lock.
RECOMPUTE_SOFT_TIME_LIMIT = 15 * 60
RECOMPUTE_TIME_LIMIT = 16 * 60


# Retried only for a transient database error (SQLite "database is locked", a dropped
# PostgreSQL connection); the upsert makes a repeated run harmless.
@shared_task(
    name="budgets.tasks.recompute_rates_task",
    acks_late=True,
    soft_time_limit=RECOMPUTE_SOFT_TIME_LIMIT,
    time_limit=RECOMPUTE_TIME_LIMIT,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
)
def recompute_rates_task(as_of: str | None = None) -> dict:
    """Snapshot every project's and department's rates as of a day (default: China's today)."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    with daily_run(RECOMPUTE_NIGHTLY, day):
        result = rates_snapshot_save(as_of=day)
    return {
        "as_of": day.isoformat(),
        "projects": result.projects,
        "departments": result.departments,
        "created": result.created,
        "updated": result.updated,
        "seconds": round(result.seconds, 3),
    }


@shared_task(
    name="budgets.tasks.import_files_cleanup_task",
    acks_late=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    ignore_result=True,
)
def import_files_cleanup_task() -> int:
    """Delete uploaded workbooks of finished jobs older than a week (idempotent)."""
    from .services import import_files_cleanup

    return import_files_cleanup()


# Every 15 minutes (config/schedule.py): runs a daily pass whose own run was lost, e.g. sent
# while Redis was down. Not retried: the next tick checks again.
@shared_task(
    name="budgets.tasks.daily_catch_up_task",
    acks_late=True,
    soft_time_limit=CATCH_UP_SOFT_TIME_LIMIT,
    time_limit=CATCH_UP_TIME_LIMIT,
    ignore_result=False,
)
def daily_catch_up_task() -> list[str]:
    """Run today's missed daily passes once; returns the names of those run."""
    return daily_catch_up()
