"""python manage.py check_totals [--repair] — the running totals against their rows."""

from __future__ import annotations

from budgets.fields import from_fen
from budgets.management.base import OperatorCommand
from budgets.totals import totals_drift, totals_rebuild, triggers_missing

MISSING = "triggers missing: {names} (run `manage.py migrate`, which puts them back)"
DRIFT = "{table} {key} {column}: stored {stored}, rows add up to {expected} (万元)"


class Command(OperatorCommand):
    help = (
        "Compare the running totals (budgets_projecttotals, budgets_departmenttotals) with "
        "the payments and adjustments; exit 1 when they differ. --repair rewrites them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="rewrite every total from the rows"
        )

    def handle(self, *args, **options):
        missing = triggers_missing()
        if missing:
            self.stderr.write(MISSING.format(names=", ".join(missing)))
        drift = totals_drift()
        for item in drift[:50]:
            for column, stored, expected in zip(
                item.columns, item.stored, item.expected, strict=True
            ):
                if stored != expected:
                    self.stderr.write(
                        DRIFT.format(
                            table=item.table,
                            key="/".join(str(k) for k in item.key),
                            column=column,
                            stored=from_fen(stored),
                            expected=from_fen(expected),
                        )
                    )
        if len(drift) > 50:
            self.stderr.write(f"… and {len(drift) - 50} more")
        if drift and options["repair"]:
            totals_rebuild()
            self.stdout.write(f"repaired {len(drift)} totals")
            drift = totals_drift()
        if drift or missing:
            raise SystemExit(1)
        self.stdout.write("totals agree with the payments and adjustments")
