"""Migration 0003: rounds opened before 区划 existed become one round per bureau."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("budgets", "0005_divisions"), ("tracking", "0002_frozen_snapshot")]
AFTER = [("tracking", "0003_round_division")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_an_old_round_is_split_per_bureau_and_takes_its_reports_and_reminders_along():
    old = migrate(BEFORE)
    try:
        Division = old.get_model("budgets", "Division")
        Department = old.get_model("budgets", "Department")
        Unit = old.get_model("budgets", "Unit")
        Project = old.get_model("budgets", "Project")
        User = old.get_model("budgets", "User")
        Round = old.get_model("tracking", "Round")
        Report = old.get_model("tracking", "Report")
        Notification = old.get_model("tracking", "Notification")

        def department(code: str, name: str):
            division = Division.objects.create(code=code, name=name, level="县")
            dept = Department.objects.create(division=division, code="060", name=f"{name}医保局")
            unit = Unit.objects.create(department=dept, code="060001", name=f"{name}医保局本级")
            return dept, unit

        _, hq_unit = department("410702", "红旗区")
        xx, xx_unit = department("411323", "西峡县")

        def project(unit, code):
            return Project.objects.create(
                year=2024,
                code=code,
                name=code,
                unit=unit,
                department=unit.department,
                initial_budget=100,
                carryover=0,
            )

        hq_projects = [project(hq_unit, f"41070224000000000000{n}") for n in (1, 2)]
        xx_project = project(xx_unit, "411323240000000000001")
        round_ = Round.objects.create(
            year=2024, stage="运行监控", as_of=date(2024, 7, 31), deadline=date(2024, 8, 15)
        )
        empty_year = Round.objects.create(
            year=2023, stage="运行监控", as_of=date(2023, 7, 31), deadline=date(2023, 8, 15)
        )
        for p in hq_projects:
            Report.objects.create(round=round_, project=p)
        moved = Report.objects.create(round=round_, project=xx_project)
        staff = User.objects.create(username="staff_xx", role="单位经办人", department=xx)
        Notification.objects.create(
            recipient=staff,
            kind="overdue",
            round=round_,
            department=xx,
            subject_key=f"round:{round_.pk}",
            day=date(2024, 8, 16),
            subject="【已逾期】",
        )

        new = migrate(AFTER)
        Round = new.get_model("tracking", "Round")
        Report = new.get_model("tracking", "Report")
        Notification = new.get_model("tracking", "Notification")
        rounds = {(r.year, r.division.code): r for r in Round.objects.select_related("division")}
        # 红旗区 has most of the reports: it keeps the round (and its id).
        assert rounds[(2024, "410702")].pk == round_.pk
        copy = rounds[(2024, "411323")]
        assert (copy.as_of, copy.deadline, copy.is_open) == (
            date(2024, 7, 31),
            date(2024, 8, 15),
            True,
        )
        assert Report.objects.get(pk=moved.pk).round_id == copy.pk
        assert Report.objects.filter(round_id=round_.pk).count() == 2
        note = Notification.objects.get()
        assert (note.round_id, note.subject_key) == (copy.pk, f"round:{copy.pk}")
        # A year without projects: every bureau with departments gets the round.
        assert rounds[(2023, "410702")].pk == empty_year.pk
        assert (2023, "411323") in rounds
        assert len(rounds) == 4
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
