"""Celery tasks of the budgets app."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .services import IMPORT_SOFT_TIME_LIMIT, IMPORT_TIME_LIMIT, import_job_run, rates_snapshot_save


@shared_task(name="budgets.ping", ignore_result=False)
def ping() -> str:
    """A no-op used to check that a worker consumes from the broker."""
    return "pong"


# No automatic retries: an import fails on its data, not on a transient error. A job lost with
# its worker is taken again by a later delivery once its time limit has passed (see
# import_job_run); the job page shows it as interrupted after that time.
@shared_task(
    name="budgets.import_workbook",
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
