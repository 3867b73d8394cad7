from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "监控与自评"

    def ready(self) -> None:
        from performance.signals import department_targets_written

        from .services import department_reports_for_targets

        def create_department_reports(sender, *, year, department_ids, **kwargs):
            department_reports_for_targets(year, department_ids)

        # weak=False: the receiver is local to this method and would be collected at once.
        department_targets_written.connect(
            create_department_reports, dispatch_uid="tracking.department_reports", weak=False
        )
