"""Fill frozen_policy of the reports submitted before it existed: the 政策性调整 of the
project dated on or before the round's cut-off, the same sum the live figures take."""

from django.db import migrations
from django.db.models import Sum

FROZEN = ("submitted", "approved")


def fill_frozen_policy(apps, schema_editor):
    Report = apps.get_model("tracking", "Report")
    Adjustment = apps.get_model("budgets", "Adjustment")
    for report in Report.objects.filter(
        status__in=FROZEN, project__isnull=False, frozen_policy__isnull=True
    ).select_related("round"):
        total = Adjustment.objects.filter(
            project_id=report.project_id, kind="政策性调整", date__lte=report.round.as_of
        ).aggregate(total=Sum("amount"))["total"]
        Report.objects.filter(pk=report.pk).update(frozen_policy=total or 0)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0004_department_reports"),
        ("budgets", "0007_importjob_samples"),
    ]

    operations = [migrations.RunPython(fill_frozen_policy, migrations.RunPython.noop)]
