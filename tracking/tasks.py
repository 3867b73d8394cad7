"""Celery tasks of the tracking app: the daily reminder pass and notification e-mails.

Both are safe to run twice: the pass creates each notification once (unique key), an e-mail
is claimed by a conditional update before it is sent. So `acks_late` with
`reject_on_worker_lost` (settings) may redeliver them after a lost worker without harm.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from budgets.tasks import SendOrFailTask
from config.schedule import REMIND_DAILY, daily_run

from .notifications import (
    EmailTemporaryError,
    emails_retry_unsent,
    notification_email_send,
    reminder_pass,
)

# The pass is a few queries plus one insert per notification; these limits only stop a
# runaway pass. They stay below the Redis visibility timeout (1 hour) so a healthy task is
# never redelivered while it runs.
REMIND_SOFT_TIME_LIMIT = 10 * 60
REMIND_TIME_LIMIT = 12 * 60

# Lost connections and "database is locked" (SQLite) pass; anything else is a bug to see.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    name="tracking.tasks.remind_task",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_DB_ERRORS,
    max_retries=3,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    soft_time_limit=REMIND_SOFT_TIME_LIMIT,
    time_limit=REMIND_TIME_LIMIT,
    ignore_result=True,
)
def remind_task(today: str | None = None) -> int:
    """Run the daily reminder pass for `today` (YYYY-MM-DD, default: the local date)."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    with daily_run(REMIND_DAILY, day):
        created = reminder_pass(today=day)
        # Also pick up e-mails a broker outage or exhausted retries left behind (bounded).
        emails_retry_unsent()
    return len(created)


# Sent from pages too (a return, 催办): a dead broker must not hold the request up.
@shared_task(
    name="tracking.tasks.send_notification_email_task",
    base=SendOrFailTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(EmailTemporaryError, *TRANSIENT_DB_ERRORS),
    max_retries=5,
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    soft_time_limit=60,
    time_limit=90,
    ignore_result=True,
)
def send_notification_email_task(notification_id: int) -> bool:
    """E-mail one notification; a missing, already sent or address-less one is skipped."""
    return notification_email_send(notification_id=notification_id)
