from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The app above budgets, performance and tracking: department-level figures and the
    official tables. It reads the three through their selectors; none of them imports it."""

    name = "reporting"
    verbose_name = "报表"
