"""python manage.py recompute_rates [--as-of YYYY-MM-DD] — the nightly rate snapshot."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError
from django.utils import timezone

from budgets.management.base import OperatorCommand
from budgets.services import rates_snapshot_save

BAD_DATE = "--as-of must be a date YYYY-MM-DD, got {value!r}"


class Command(OperatorCommand):
    help = "Snapshot every project's and department's rates of a year as of a day (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="default: today (TIME_ZONE)")

    def handle(self, *args, **options):
        text = options["as_of"]
        if text:
            try:
                as_of = date.fromisoformat(text)
            except ValueError as exc:
                raise CommandError(BAD_DATE.format(value=text)) from exc
        else:
            as_of = timezone.localdate()
        self.stdout.write(rates_snapshot_save(as_of=as_of).summary())
