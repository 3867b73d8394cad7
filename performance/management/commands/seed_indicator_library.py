"""python manage.py seed_indicator_library — fill the 指标库 from the indicators in the system."""

from __future__ import annotations

from budgets.management.base import OperatorCommand
from performance.services import indicator_library_seed_from_indicators

SEED_SUMMARY = "指标库：新增{created}个，更新{updated}个，未变{unchanged}个"


class Command(OperatorCommand):
    help = "Upsert the indicator library from existing indicators (idempotent)."

    def handle(self, *args, **options):
        result = indicator_library_seed_from_indicators()
        self.stdout.write(
            SEED_SUMMARY.format(
                created=result.created, updated=result.updated, unchanged=result.unchanged
            )
        )
