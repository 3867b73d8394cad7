"""Migrations 0004/0005: the department targets set on the former 投入管理 form become
部门整体目标 indicators; departments that set none get none (no default is copied)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("performance", "0003_department_indicators")]
AFTER = [("performance", "0005_delete_departmenttarget")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_stored_department_targets_become_computed_department_indicators():
    old = migrate(BEFORE)
    try:
        Division = old.get_model("budgets", "Division")
        Department = old.get_model("budgets", "Department")
        DepartmentTarget = old.get_model("performance", "DepartmentTarget")
        division = Division.objects.create(code="410700", name="新乡市", level="市")
        own = Department.objects.create(division=division, code="309", name="新乡市医疗保障局")
        Department.objects.create(division=division, code="310", name="未设置目标的部门")
        DepartmentTarget.objects.create(
            department=own, year=2024, metric="self_evaluation_completion_rate", target="100%"
        )
        DepartmentTarget.objects.create(
            department=own, year=2024, metric="execution_rate", target="≥95%", note="省定"
        )
        DepartmentTarget.objects.create(
            department=own, year=2023, metric="three_public_control_rate", target="≤100%"
        )

        new = migrate(AFTER)
        DepartmentIndicator = new.get_model("performance", "DepartmentIndicator")
        rows = list(
            DepartmentIndicator.objects.order_by("year", "position").values_list(
                "department__code",
                "year",
                "level1",
                "level2",
                "name",
                "raw",
                "kind",
                "comparator",
                "value",
                "unit",
                "note",
                "metric",
            )
        )
        assert rows == [
            (
                *("309", 2023, "投入管理指标", "预算和财务管理", "“三公经费”控制率", "≤100%"),
                *("quantitative", "<=", "100", "%", "", "three_public_control_rate"),
            ),
            (
                *("309", 2024, "投入管理指标", "预算和财务管理", "预算执行率", "≥95%"),
                *("quantitative", ">=", "95", "%", "省定", "execution_rate"),
            ),
            (
                *("309", 2024, "投入管理指标", "绩效管理", "绩效自评完成率", "100%"),
                *("quantitative", "=", "100", "%", "", "self_evaluation_completion_rate"),
            ),
        ]
        assert "departmenttarget" not in {m._meta.model_name for m in new.get_models()}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_going_back_restores_the_department_targets():
    new = migrate(AFTER)
    try:
        Division = new.get_model("budgets", "Division")
        Department = new.get_model("budgets", "Department")
        DepartmentIndicator = new.get_model("performance", "DepartmentIndicator")
        division = Division.objects.create(code="410700", name="新乡市", level="市")
        own = Department.objects.create(division=division, code="309", name="新乡市医疗保障局")
        common = {"department": own, "year": 2024, "kind": "quantitative", "unit": "%"}
        DepartmentIndicator.objects.create(
            level1="投入管理指标", name="预算执行率", raw="≥90%", metric="execution_rate", **common
        )
        DepartmentIndicator.objects.create(level1="产出指标", name="完成率", raw="100%", **common)

        old = migrate(BEFORE)
        DepartmentTarget = old.get_model("performance", "DepartmentTarget")
        assert list(DepartmentTarget.objects.values_list("year", "metric", "target")) == [
            (2024, "execution_rate", "≥90%")
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
