"""The JSON export's department part: each department's targets (like a project's indicators,
plus `computed` and `note`), goals and tasks, and no report yet."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.export import build_export
from tests.factories import DepartmentFactory, PaymentFactory, ProjectFactory, UnitFactory

from .conftest import make_department_indicator, make_goal, make_task

AS_OF = date(2024, 7, 31)
INDICATOR_KEYS = {
    *("level1", "level2", "name", "raw", "kind", "comparator", "value", "upper", "unit"),
    *("weight", "note", "computed", "actual"),
}


def departments_by_code(document) -> dict[str, dict]:
    return {d["code"]: d for d in document["departments"]}


def test_each_department_carries_its_targets_goals_and_tasks(department_a, project_a, project_b):
    make_department_indicator(
        department_a,
        "投入管理指标",
        "预算执行率",
        "≥90%",
        level2="预算和财务管理",
        note="预算执行率=执行数/预算数",
        weight=10,
    )
    make_department_indicator(department_a, "产出指标", "医保基金监管完成率", "100%")
    make_department_indicator(department_a, "效益指标", "宣传及时性", "12月31日前")
    make_goal(department_a, 2, "加强资产统筹调剂管理")
    make_goal(department_a, 1, "强化资产配置预算管理")
    make_task(department_a, 1, "医保系统运行维护费", project_a.code, "999", content="保障办理")
    PaymentFactory(project=project_a, date=date(2024, 3, 1))
    document = build_export(year=2024, as_of=AS_OF)
    entry = departments_by_code(document)["309"]
    execution, output, deadline = entry["targets"]
    assert set(execution) >= INDICATOR_KEYS
    assert execution == {
        "level1": "投入管理指标",
        "level2": "预算和财务管理",
        "name": "预算执行率",
        "raw": "≥90%",
        "kind": "quantitative",
        "comparator": ">=",
        "value": "90",
        "upper": None,
        "unit": "%",
        "weight": "10",
        "note": "预算执行率=执行数/预算数",
        "computed": True,
        "metric": "execution_rate",
        # The figure as of the date is not an actual: actuals come from department reports.
        "actual": None,
    }
    assert (output["computed"], output["note"], output["weight"]) == (False, "", None)
    assert (deadline["kind"], deadline["value"], deadline["unit"]) == (
        "deadline",
        "2024-12-31",
        None,
    )
    assert entry["goals"] == [
        {"order": 1, "text": "强化资产配置预算管理"},
        {"order": 2, "text": "加强资产统筹调剂管理"},
    ]
    assert entry["tasks"] == [
        {
            "order": 1,
            "name": "医保系统运行维护费",
            "content": "保障办理",
            "projects": [project_a.code, "999"],
        }
    ]
    assert (entry["monitoring"], entry["self_evaluation"]) == (None, None)
    # A department without targets has empty lists: nobody's are copied to it.
    other = departments_by_code(document)["044"]
    assert (other["targets"], other["goals"], other["tasks"]) == ([], [], [])
    assert (other["monitoring"], other["self_evaluation"]) == (None, None)


def test_staff_export_only_their_own_departments_targets(alice, department_b, project_a, project_b):
    make_department_indicator(department_b, "产出指标", "医保基金监管完成率", "100%")
    document = build_export(year=2024, as_of=AS_OF, user=alice)
    assert [d["code"] for d in document["departments"]] == ["309"]
    assert document["departments"][0]["targets"] == []


def test_the_department_part_runs_as_many_queries_for_5_departments_as_for_50(db):
    counts = []
    for n in (5, 50):
        while len(build_export(year=2024, as_of=AS_OF)["departments"]) < n:
            department = DepartmentFactory()
            project = ProjectFactory(unit=UnitFactory(department=department))
            make_department_indicator(department, "投入管理指标", "预算执行率", "≥90%")
            make_department_indicator(department, "产出指标", "完成率", "100%")
            make_goal(department, 1, "目标")
            make_task(department, 1, "任务", project.code)
        with CaptureQueriesContext(connection) as ctx:
            document = build_export(year=2024, as_of=AS_OF)
        assert all(len(d["targets"]) == 2 for d in document["departments"])
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
