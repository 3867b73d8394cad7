"""Sheets 部门整体目标 and 部门年度目标: a department's own targets, goals and tasks, imported all
or nothing, upserted on their keys, written back by the xlsx export."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from budgets.exporter import write_workbook
from budgets.importer import NO_PERMISSION_DEPARTMENT, SHEET_NOT_PERMITTED, run_import
from budgets.workbook import DIVISION_NEEDED, UNKNOWN_DEPARTMENT
from performance.department_workbook import (
    BAD_ORDER,
    DUPLICATE_DEPARTMENT_INDICATOR,
    DUPLICATE_GOAL,
    UNKNOWN_CATEGORY,
    UNKNOWN_DEPARTMENT_LEVEL1,
)
from performance.models import DepartmentGoal, DepartmentIndicator
from performance.services import INDICATOR_WEIGHT_INVALID
from performance.values import VALUE_EMPTY, VALUE_NEGATIVE_BOUND
from performance.workbook import WEIGHT_NOT_POSITIVE
from tests.budgets.workbooks import PROJECT_HEADER, database_state, make_workbook, project_row
from tests.bureaus import HONGQI, XIXIA, two_bureaus
from tests.factories import ProjectFactory

TARGETS = "部门整体目标"
GOALS = "部门年度目标"
TARGET_HEADER = [
    "年度",
    "部门编码",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值",
    "指标值说明",
    "权重",
]
GOAL_HEADER = ["年度", "部门编码", "类别", "序号", "名称", "主要内容", "项目编码"]
CODE = "410700240000000012809"
OTHER = "410700240000000012811"
DEMO = Path(settings.BASE_DIR) / "demo"


def target_row(name="预算执行率", raw="≥90%", *, level1="投入管理指标", **extra) -> list:
    return [
        extra.get("year", 2024),
        extra.get("department", "309"),
        level1,
        extra.get("level2", "预算和财务管理"),
        name,
        raw,
        extra.get("note"),
        extra.get("weight"),
    ]


def goal_row(category, order, name, *, content=None, codes=None, year=2024, department="309"):
    return [year, department, category, order, name, content, codes]


@pytest.fixture
def projects(db):
    return [PROJECT_HEADER, project_row(CODE, initial=50), project_row(OTHER, initial=3.48)]


def import_sheets(tmp_path, sheets, **kwargs):
    return run_import(make_workbook(tmp_path / "w.xlsx", sheets), **kwargs)


def test_it_imports_targets_with_their_meaning_and_marks_the_computed_ones(tmp_path, projects):
    result = import_sheets(
        tmp_path,
        {
            "项目": projects,
            TARGETS: [
                TARGET_HEADER,
                target_row(note="预算执行率=执行数/预算数", weight=10),
                target_row("“三公经费”控制率", "≤100%"),
                target_row("部门绩效评价完成率", "100%", level2="绩效管理"),
                target_row("医保基金监管完成率", "100%", level1="产出", level2="履职目标实现"),
                target_row("满意度", "≥95%", level1="效益指标", level2="满意度"),
                target_row("宣传及时性", "12月底前", level1="产出指标"),
            ],
        },
    )
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts[(TARGETS, "created")] == 6
    rows = {i.name: i for i in DepartmentIndicator.objects.select_related("department")}
    execution = rows["预算执行率"]
    assert (execution.department.code, execution.year, execution.level1, execution.level2) == (
        "309",
        2024,
        "投入管理指标",
        "预算和财务管理",
    )
    assert (execution.kind, execution.comparator, execution.value, execution.unit) == (
        "quantitative",
        ">=",
        "90",
        "%",
    )
    assert (execution.metric, execution.note, str(execution.weight)) == (
        "execution_rate",
        "预算执行率=执行数/预算数",
        "10.000",
    )
    assert rows["“三公经费”控制率"].metric == "three_public_control_rate"
    assert rows["部门绩效评价完成率"].metric == ""
    assert rows["医保基金监管完成率"].level1 == "产出指标"
    assert (rows["宣传及时性"].kind, rows["宣传及时性"].value) == ("deadline", "2024-12-31")
    # The table keeps the sheet's order.
    assert [i.name for i in DepartmentIndicator.objects.order_by("position")][:2] == [
        "预算执行率",
        "“三公经费”控制率",
    ]


def test_it_imports_goals_and_tasks_with_their_project_codes(tmp_path, projects):
    result = import_sheets(
        tmp_path,
        {
            "项目": projects,
            GOALS: [
                GOAL_HEADER,
                goal_row("履职目标", 1, "强化资产配置预算管理"),
                goal_row("年度履职目标", 2, "加强资产统筹调剂管理"),
                goal_row("主要任务", 1, "医保系统运行维护费", content="保障业务办理", codes=CODE),
                goal_row("主要任务", 2, "医保中心工作", codes=f"{CODE}、{OTHER}, 999；X1;X2，X3"),
            ],
        },
    )
    assert result.ok, [str(p) for p in result.problems]
    goals = {(g.category, g.order): g for g in DepartmentGoal.objects.all()}
    assert goals[("履职目标", 2)].name == "加强资产统筹调剂管理"
    task = goals[("主要任务", 1)]
    assert (task.name, task.content, task.project_codes) == (
        "医保系统运行维护费",
        "保障业务办理",
        [CODE],
    )
    # Codes that name no project of the department are kept: the review warns about them.
    assert goals[("主要任务", 2)].project_codes == [CODE, OTHER, "999", "X1", "X2", "X3"]


def test_re_importing_is_idempotent_updates_in_place_and_keeps_rows_left_out(tmp_path, projects):
    first = {
        "项目": projects,
        TARGETS: [TARGET_HEADER, target_row(), target_row("结转结余率", "≤10%")],
        GOALS: [GOAL_HEADER, goal_row("履职目标", 1, "目标一"), goal_row("履职目标", 2, "目标二")],
    }
    assert import_sheets(tmp_path, first).ok
    state = database_state()
    again = import_sheets(tmp_path, first)
    assert again.counts[(TARGETS, "unchanged")] == 2 and again.counts[(GOALS, "unchanged")] == 2
    assert database_state() == state
    second = {
        TARGETS: [TARGET_HEADER, target_row(raw="≥95%", note="省定")],
        GOALS: [GOAL_HEADER, goal_row("履职目标", 1, "目标一（修订）")],
    }
    result = import_sheets(tmp_path, second)
    assert result.counts[(TARGETS, "updated")] == 1 and result.counts[(GOALS, "updated")] == 1
    assert DepartmentIndicator.objects.count() == 2 and DepartmentGoal.objects.count() == 2
    execution = DepartmentIndicator.objects.get(name="预算执行率")
    assert (execution.raw, execution.value, execution.note) == ("≥95%", "95", "省定")
    assert DepartmentGoal.objects.get(order=1).name == "目标一（修订）"
    assert DepartmentGoal.objects.get(order=2).name == "目标二"


@pytest.mark.parametrize(
    ("sheet", "row", "problem"),
    [
        (
            TARGETS,
            target_row(raw=None),
            f"{TARGETS}, 第2行, 指标值: {VALUE_EMPTY}",
        ),
        (
            TARGETS,
            target_row(level1="成本指标"),
            f"{TARGETS}, 第2行, 一级指标: " + UNKNOWN_DEPARTMENT_LEVEL1.format(value="成本指标"),
        ),
        (
            TARGETS,
            target_row(weight=-5),
            f"{TARGETS}, 第2行, 权重: " + WEIGHT_NOT_POSITIVE.format(value="-5"),
        ),
        (
            TARGETS,
            target_row(weight=10000),
            f"{TARGETS}, 第2行, 权重: " + INDICATOR_WEIGHT_INVALID.format(value="10000"),
        ),
        (
            TARGETS,
            target_row(name=None),
            f"{TARGETS}, 第2行, 三级指标: 不能为空",
        ),
        (
            TARGETS,
            target_row(year="明年"),
            f"{TARGETS}, 第2行, 年度: “明年”不是有效的年度（如 2024）",
        ),
        (
            TARGETS,
            target_row(department="999"),
            f"{TARGETS}, 第2行, 部门编码: " + UNKNOWN_DEPARTMENT.format(code="999"),
        ),
        (
            TARGETS,
            target_row(raw="≤-1%"),
            f"{TARGETS}, 第2行, 指标值: " + VALUE_NEGATIVE_BOUND.format(raw="≤-1%"),
        ),
        (
            GOALS,
            goal_row("工作目标", 1, "目标"),
            f"{GOALS}, 第2行, 类别: " + UNKNOWN_CATEGORY.format(value="工作目标"),
        ),
        (
            GOALS,
            goal_row("履职目标", "一", "目标"),
            f"{GOALS}, 第2行, 序号: " + BAD_ORDER.format(value="一"),
        ),
        (
            GOALS,
            goal_row("履职目标", 1.5, "目标"),
            f"{GOALS}, 第2行, 序号: " + BAD_ORDER.format(value="1.5"),
        ),
        (
            GOALS,
            goal_row("履职目标", 0, "目标"),
            f"{GOALS}, 第2行, 序号: " + BAD_ORDER.format(value="0"),
        ),
        (
            GOALS,
            goal_row("履职目标", None, "目标"),
            f"{GOALS}, 第2行, 序号: 不能为空",
        ),
        (
            GOALS,
            goal_row("主要任务", 1, None),
            f"{GOALS}, 第2行, 名称: 不能为空",
        ),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(tmp_path, projects, sheet, row, problem):
    header = TARGET_HEADER if sheet == TARGETS else GOAL_HEADER
    result = import_sheets(tmp_path, {"项目": projects, sheet: [header, row]})
    assert [str(p) for p in result.problems] == [problem]
    from budgets.models import Project

    assert not Project.objects.exists()
    assert not DepartmentIndicator.objects.exists() and not DepartmentGoal.objects.exists()


def test_every_problem_of_a_sheet_is_named_and_nothing_at_all_is_written(tmp_path, projects):
    result = import_sheets(
        tmp_path,
        {
            "项目": projects,
            TARGETS: [
                TARGET_HEADER,
                target_row(),
                target_row(raw=""),
                target_row("满意度", "≥95%", level1="过程指标"),
                target_row(),
            ],
            GOALS: [
                GOAL_HEADER,
                goal_row("履职目标", 1, "目标一"),
                goal_row("履职目标", 1, "目标一（重复）"),
            ],
        },
    )
    assert [str(p) for p in result.problems] == [
        f"{TARGETS}, 第3行, 指标值: {VALUE_EMPTY}",
        f"{TARGETS}, 第4行, 一级指标: " + UNKNOWN_DEPARTMENT_LEVEL1.format(value="过程指标"),
        f"{TARGETS}, 第5行, 三级指标: "
        + DUPLICATE_DEPARTMENT_INDICATOR.format(
            name="预算执行率", code="309", year=2024, level1="投入管理指标", row=2
        ),
        f"{GOALS}, 第3行, 序号: "
        + DUPLICATE_GOAL.format(code="309", year=2024, category="履职目标", order=1, row=2),
    ]
    from budgets.models import Project

    assert not Project.objects.exists() and not DepartmentIndicator.objects.exists()


def test_a_missing_required_column_is_named(tmp_path, projects):
    header = [c for c in TARGET_HEADER if c != "三级指标"]
    result = import_sheets(tmp_path, {TARGETS: [header]})
    assert [str(p) for p in result.problems] == [
        f"{TARGETS}, 第1行, 三级指标: 缺少必填列“三级指标”"
    ]


# --- who may import them -------------------------------------------------------------------


def test_staff_import_their_own_departments_targets(tmp_path, alice, unit_a):
    ProjectFactory(unit=unit_a, code=CODE)
    result = import_sheets(
        tmp_path,
        {
            TARGETS: [TARGET_HEADER, target_row()],
            GOALS: [GOAL_HEADER, goal_row("主要任务", 1, "任务", codes=CODE)],
        },
        user=alice,
    )
    assert result.ok, [str(p) for p in result.problems]
    indicator = DepartmentIndicator.objects.get()
    assert indicator.history.first().history_user == alice


def test_staff_cannot_import_another_departments_targets(tmp_path, bob, unit_a, department_b):
    ProjectFactory(unit=unit_a, code=CODE)
    result = import_sheets(
        tmp_path,
        {
            TARGETS: [TARGET_HEADER, target_row()],
            GOALS: [GOAL_HEADER, goal_row("履职目标", 1, "目标")],
        },
        user=bob,
    )
    # Bob's own 区划 is 新乡市 here too (the factories' departments share it).
    assert [str(p) for p in result.problems] == [
        f"{TARGETS}, 第2行, 部门编码: " + NO_PERMISSION_DEPARTMENT.format(code="309"),
        f"{GOALS}, 第2行, 部门编码: " + NO_PERMISSION_DEPARTMENT.format(code="309"),
    ]
    assert not DepartmentIndicator.objects.exists() and not DepartmentGoal.objects.exists()


@pytest.mark.parametrize("sheet", [TARGETS, GOALS])
def test_the_finance_bureau_may_not_import_department_targets(tmp_path, rita, unit_a, sheet):
    ProjectFactory(unit=unit_a, code=CODE)
    header, row = (
        (TARGET_HEADER, target_row())
        if sheet == TARGETS
        else (GOAL_HEADER, goal_row("履职目标", 1, "目标"))
    )
    state = database_state()
    result = import_sheets(
        tmp_path, {"项目": [PROJECT_HEADER, project_row(CODE)], sheet: [header, row]}, user=rita
    )
    assert [str(p) for p in result.problems] == [
        f"{sheet}: " + SHEET_NOT_PERMITTED.format(sheet=f"“{sheet}”")
    ]
    assert database_state() == state


# --- 区划 ---------------------------------------------------------------------------------------


@pytest.fixture
def bureaus(db):
    return two_bureaus()


def test_a_code_in_several_divisions_needs_the_division_column(tmp_path, bureaus):
    result = import_sheets(tmp_path, {TARGETS: [TARGET_HEADER, target_row(department="060")]})
    assert [str(p) for p in result.problems] == [
        f"{TARGETS}, 第2行, 区划编码: " + DIVISION_NEEDED.format(code="060")
    ]
    header = [*TARGET_HEADER, "区划编码"]
    result = import_sheets(tmp_path, {TARGETS: [header, [*target_row(department="060"), XIXIA]]})
    assert result.ok
    assert DepartmentIndicator.objects.get().department == bureaus.xixia.department


def test_staff_name_their_own_060_without_the_division(tmp_path, bureaus):
    result = import_sheets(
        tmp_path,
        {TARGETS: [TARGET_HEADER, target_row(department="060")]},
        user=bureaus.hongqi.staff,
    )
    assert result.ok
    assert DepartmentIndicator.objects.get().department == bureaus.hongqi.department


def test_a_tasks_own_project_decides_its_division(tmp_path, bureaus):
    code = bureaus.xixia.project.code
    result = import_sheets(
        tmp_path,
        {GOALS: [GOAL_HEADER, goal_row("主要任务", 1, "医保信息化", department="060", codes=code)]},
    )
    assert result.ok, [str(p) for p in result.problems]
    assert DepartmentGoal.objects.get().department == bureaus.xixia.department


def test_staff_cannot_write_the_other_bureaus_060(tmp_path, bureaus):
    header = [*TARGET_HEADER, "区划编码"]
    result = import_sheets(
        tmp_path,
        {TARGETS: [header, [*target_row(department="060"), XIXIA]]},
        user=bureaus.hongqi.staff,
    )
    assert [str(p) for p in result.problems] == [
        f"{TARGETS}, 第2行, 部门编码: " + NO_PERMISSION_DEPARTMENT.format(code="060")
    ]
    assert HONGQI != XIXIA and not DepartmentIndicator.objects.exists()


# --- the samples and the export ------------------------------------------------------------


def test_the_xinxiang_sample_carries_its_department_targets(db):
    for path in sorted(DEMO.glob("*.xlsx")):
        result = run_import(path)
        assert result.ok, [str(p) for p in result.problems]
    indicators = DepartmentIndicator.objects.filter(department__code="309", year=2024)
    assert indicators.count() == 24
    assert set(indicators.exclude(metric="").values_list("metric", flat=True)) == {
        "execution_rate",
        "adjustment_rate",
        "carryover_rate",
        "three_public_control_rate",
        "procurement_execution_rate",
        "target_completion_rate",
        "monitoring_completion_rate",
        "self_evaluation_completion_rate",
    }
    assert not indicators.get(name="部门绩效评价完成率").computed
    assert DepartmentGoal.objects.filter(category="履职目标").count() == 2
    # 西峡县 published none: nobody's targets are copied to it.
    assert not DepartmentIndicator.objects.filter(department__code="044").exists()


def test_the_xlsx_export_writes_both_sheets_and_re_imports_unchanged(tmp_path, projects):
    sheets = {
        "项目": projects,
        TARGETS: [
            TARGET_HEADER,
            target_row(note="公式\n第二行", weight="12.5"),
            target_row("任务完成", "达成", level1="产出指标"),
            target_row("满意度", "0.96", level1="满意度指标"),
        ],
        GOALS: [
            GOAL_HEADER,
            goal_row("主要任务", 1, "任务", content="内容", codes=f"{CODE},{OTHER}"),
            goal_row("履职目标", 1, "目标"),
        ],
    }
    assert import_sheets(tmp_path, sheets).ok
    exported = tmp_path / "export.xlsx"
    write_workbook(exported, year=2024)
    book = openpyxl.load_workbook(exported)
    rows = [list(r) for r in book[TARGETS].iter_rows(values_only=True)]
    assert rows[0] == [*TARGET_HEADER[:6], "指标值说明", "权重", "区划编码"]
    assert rows[1] == [
        2024,
        "309",
        "投入管理指标",
        "预算和财务管理",
        "预算执行率",
        "≥90%",
        "公式\n第二行",
        12.5,
        "410700",
    ]
    goals = [list(r) for r in book[GOALS].iter_rows(values_only=True)]
    assert goals[1:] == [
        [2024, "309", "履职目标", 1, "目标", None, None, "410700"],
        [2024, "309", "主要任务", 1, "任务", "内容", f"{CODE}、{OTHER}", "410700"],
    ]
    state = database_state()
    result = run_import(exported)
    assert result.ok and {action for _, action in result.counts} == {"unchanged"}
    assert database_state() == state


def test_an_export_re_imported_into_an_empty_system_gives_the_same_targets(tmp_path, projects):
    from budgets.models import Department, Project, Unit

    sheets = {
        "项目": projects,
        TARGETS: [
            TARGET_HEADER,
            target_row(),
            target_row("群众满意度", "≥90%", level1="满意度指标"),
        ],
        GOALS: [GOAL_HEADER, goal_row("主要任务", 1, "任务", codes=CODE)],
    }
    assert import_sheets(tmp_path, sheets).ok

    def snapshot():
        return (
            list(
                DepartmentIndicator.objects.order_by("position").values_list(
                    "level1", "name", "raw", "metric"
                )
            ),
            list(DepartmentGoal.objects.values_list("category", "order", "name", "project_codes")),
        )

    before = snapshot()
    exported = tmp_path / "export.xlsx"
    write_workbook(exported, year=2024)
    for model in (Project, Unit, Department):
        model.objects.all().delete()
    assert not DepartmentIndicator.objects.exists()
    assert run_import(exported).ok
    assert snapshot() == before
