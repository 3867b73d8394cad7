"""python manage.py remind [--today YYYY-MM-DD]: the daily reminder pass celery beat runs."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError
from django.utils import timezone

from budgets.management.base import OperatorCommand
from tracking.notifications import reminder_pass


class Command(OperatorCommand):
    help = (
        "Create today's reminders (due_soon, overdue, overdue_digest, execution_red); prints "
        "one line per notification created: <username>\\t<kind>\\t<subject>."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day of the pass, YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        text = options.get("today")
        if text:
            try:
                today = date.fromisoformat(text)
            except ValueError as exc:
                raise CommandError(f"--today must be a date YYYY-MM-DD, got {text!r}") from exc
        else:
            today = timezone.localdate()
        for notification in reminder_pass(today=today):
            self.stdout.write(
                f"{notification.recipient.username}\t{notification.kind}\t{notification.subject}"
            )
