"""Migrations 0004 and 0005 on a database with rows: adjustments take their project's
department, departments their 区划 (on PostgreSQL too, where the data and the ALTER TABLE of
one migration must not meet pending trigger events)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Every app back to before 区划 and the adjustment key (performance and tracking depend on them).
BEFORE = [
    ("budgets", "0003_importjob"),
    ("performance", "0002_historicaldepartmenttarget_departmenttarget"),
    ("tracking", "0001_initial"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_existing_departments_and_adjustments_are_placed_when_migrating():
    old = migrate(BEFORE)
    try:
        Department = old.get_model("budgets", "Department")
        Unit = old.get_model("budgets", "Unit")
        Project = old.get_model("budgets", "Project")
        Adjustment = old.get_model("budgets", "Adjustment")

        def project(dept_code: str, code: str):
            dept, _ = Department.objects.get_or_create(code=dept_code, name=f"部门{dept_code}")
            unit, _ = Unit.objects.get_or_create(
                code=f"{dept_code}001", defaults={"department": dept, "name": "本级"}
            )
            return Project.objects.create(
                year=2024, code=code, name=code, department=dept, unit=unit, initial_budget=10
            )

        xinxiang = project("309", "410700240000000000001")
        xixia = project("044", "411323240000000000001")
        project("777", "P-1")  # no 区划 in its code
        for item, number in ((xinxiang, "文-1"), (xixia, "文-2")):
            Adjustment.objects.create(
                year=2024, document_number=number, project=item, date=date(2024, 6, 1), amount=1
            )
        new = migrate(latest())
        Department = new.get_model("budgets", "Department")
        Adjustment = new.get_model("budgets", "Adjustment")
        placed = dict(Department.objects.values_list("code", "division__code"))
        assert placed == {"309": "410700", "044": "411323", "777": "000000"}
        names = dict(new.get_model("budgets", "Division").objects.values_list("code", "name"))
        assert (names["410700"], names["411323"], names["410000"]) == ("新乡市", "西峡县", "河南省")
        assert sorted(Adjustment.objects.values_list("department__code", "document_number")) == [
            ("044", "文-2"),
            ("309", "文-1"),
        ]
    finally:
        migrate(latest())
