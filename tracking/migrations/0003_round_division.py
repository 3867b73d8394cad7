# A round belongs to one finance bureau (区划). Existing rounds served every department, so
# each is split into one round per 区划 that has projects that year (or reports in it): the
# 区划 with the most of its reports (ties: the lowest code) keeps the round and its id; every
# other one gets a copy (same dates, state and opener) and takes its departments' reports and
# reminders along. A round of a year without projects goes to every 区划 that has departments
# (or, in an empty system, to 000000 未指定区划, as budgets 0005 places departments).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

UNPLACED = ("000000", "未指定区划")


def place_rounds(apps, schema_editor):
    from collections import Counter

    Division = apps.get_model("budgets", "Division")
    Project = apps.get_model("budgets", "Project")
    Round = apps.get_model("tracking", "Round")
    Report = apps.get_model("tracking", "Report")
    Notification = apps.get_model("tracking", "Notification")

    def with_departments():
        return set(
            Division.objects.filter(departments__isnull=False).values_list("pk", flat=True)
        )

    for round_ in Round.objects.filter(division__isnull=True).order_by("pk"):
        reports = Counter(
            Report.objects.filter(round=round_).values_list(
                "project__department__division_id", flat=True
            )
        )
        ids = set(reports) | set(
            Project.objects.filter(year=round_.year).values_list(
                "department__division_id", flat=True
            )
        )
        ids = ids or with_departments()
        if not ids:
            unplaced, _ = Division.objects.get_or_create(
                code=UNPLACED[0], defaults={"name": UNPLACED[1], "level": "省"}
            )
            ids = {unplaced.pk}
        codes = dict(Division.objects.filter(pk__in=ids).values_list("pk", "code"))
        keep, *others = sorted(ids, key=lambda pk: (-reports[pk], codes[pk]))
        round_.division_id = keep
        round_.save(update_fields=["division"])
        for division_id in others:
            copy = Round.objects.create(
                division_id=division_id,
                year=round_.year,
                stage=round_.stage,
                as_of=round_.as_of,
                deadline=round_.deadline,
                is_open=round_.is_open,
                opened_by_id=round_.opened_by_id,
                closed_at=round_.closed_at,
            )
            Round.objects.filter(pk=copy.pk).update(created_at=round_.created_at)
            Report.objects.filter(
                round=round_, project__department__division_id=division_id
            ).update(round=copy)
            moved = Notification.objects.filter(
                round=round_, department__division_id=division_id
            )
            # Today's reminders keep counting as sent (exactly once) for the copy.
            moved.filter(subject_key=f"round:{round_.pk}").update(
                subject_key=f"round:{copy.pk}"
            )
            moved.update(round=copy)
    # PostgreSQL: check the deferred foreign keys of the rows just written now, so that the
    # ALTER TABLE that follows in this migration does not meet "pending trigger events".
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ("budgets", "0005_divisions"),
        ("tracking", "0002_frozen_snapshot"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="round",
            options={
                "ordering": ["-year", "as_of", "stage", "division__code"],
                "verbose_name": "填报轮次",
                "verbose_name_plural": "填报轮次",
            },
        ),
        migrations.RemoveConstraint(
            model_name="round",
            name="round_unique",
        ),
        migrations.AddField(
            model_name="historicalround",
            name="division",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="budgets.division",
                verbose_name="区划",
            ),
        ),
        migrations.AddField(
            model_name="round",
            name="division",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rounds",
                to="budgets.division",
                verbose_name="区划",
            ),
        ),
        migrations.RunPython(place_rounds, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="round",
            name="division",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rounds",
                to="budgets.division",
                verbose_name="区划",
            ),
        ),
        migrations.AddConstraint(
            model_name="round",
            constraint=models.UniqueConstraint(
                fields=("year", "stage", "as_of", "division"), name="round_unique_in_division"
            ),
        ),
    ]
