from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "预算与执行"

    def ready(self) -> None:
        from config.schedule import sync_beat_schedule_after_migrate

        # Every `migrate` (make run, the docker web service) writes the beat schedule of
        # config/schedule.py into the database; sender=self fires it once per migrate.
        post_migrate.connect(
            sync_beat_schedule_after_migrate,
            sender=self,
            dispatch_uid="budgets.sync_beat_schedule",
        )
        from .totals import triggers_ensure_after_migrate

        # SQLite drops a table's triggers when a migration rebuilds the table.
        post_migrate.connect(
            triggers_ensure_after_migrate, sender=self, dispatch_uid="budgets.totals_triggers"
        )
