"""Celery tasks of the budgets app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="budgets.ping", ignore_result=False)
def ping() -> str:
    """A no-op used to check that a worker consumes from the broker."""
    return "pong"
