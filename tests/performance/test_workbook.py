"""Sheet 绩效指标: indicators imported with their meaning, all or nothing, upserted."""

from __future__ import annotations

import pytest

from budgets.importer import run_import
from performance.models import Indicator
from tests.budgets.workbooks import PROJECT_HEADER, make_workbook, project_row

HEADER = ["项目编码", "一级指标", "二级指标", "三级指标", "指标值", "权重", "指标值说明"]
CODE = "410700240000000012809"


@pytest.fixture
def project_sheet():
    return [PROJECT_HEADER, project_row(CODE, initial=50)]


def test_it_imports_indicators_with_their_structured_meaning(db, tmp_path, project_sheet):
    path = make_workbook(
        tmp_path / "w.xlsx",
        {
            "项目": project_sheet,
            "绩效指标": [
                HEADER,
                [CODE, "成本指标", "经济成本指标", "项目经费控制情况", "≤50万\n元", None, None],
                [CODE, "产出指标", "时效指标", "完成时间", "12月底前", None, None],
                [CODE, "效益指标", None, "群众满意", "明显提升", None, "说明"],
                [CODE, "满意度指标", None, "满意度", "≥95%", None, None],
            ],
        },
    )
    result = run_import(path)
    assert result.ok, [str(p) for p in result.problems]
    cost = Indicator.objects.get(name="项目经费控制情况")
    assert (cost.raw, cost.kind, cost.comparator, cost.value, cost.unit) == (
        "≤50万\n元",
        "quantitative",
        "<=",
        "50",
        "万元",
    )
    deadline = Indicator.objects.get(name="完成时间")
    assert (deadline.kind, deadline.value, deadline.unit) == ("deadline", "2024-12-31", None)
    assert Indicator.objects.get(name="群众满意").note == "说明"


def test_a_percent_formatted_cell_is_read_as_the_percentage_shown(db, tmp_path, project_sheet):
    import openpyxl

    path = make_workbook(
        tmp_path / "w.xlsx",
        {"项目": project_sheet, "绩效指标": [HEADER, [CODE, "产出指标", None, "合格率", 0.96]]},
    )
    book = openpyxl.load_workbook(path)
    book["绩效指标"]["E2"].number_format = "0%"
    book.save(path)
    assert run_import(path).ok
    assert Indicator.objects.get(name="合格率").raw == "96%"


def test_reimporting_updates_in_place_and_never_deletes(db, tmp_path, project_sheet):
    first = make_workbook(
        tmp_path / "a.xlsx",
        {
            "项目": project_sheet,
            "绩效指标": [
                HEADER,
                [CODE, "产出指标", None, "合格率", "≥90%"],
                [CODE, "效益指标", None, "效果", "明显"],
            ],
        },
    )
    second = make_workbook(
        tmp_path / "b.xlsx",
        {"绩效指标": [HEADER, [CODE, "产出指标", None, "合格率", "≥95%", 20]]},
    )
    assert run_import(first).ok
    again = run_import(first)
    assert again.counts[("绩效指标", "unchanged")] == 2
    result = run_import(second)
    assert result.counts[("绩效指标", "updated")] == 1
    assert Indicator.objects.count() == 2
    updated = Indicator.objects.get(name="合格率")
    assert (updated.raw, updated.value, str(updated.weight)) == ("≥95%", "95", "20.000")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            [CODE, "产出指标", None, "合格率", None],
            "绩效指标, 第2行, 指标值: 指标值不能为空",
        ),
        (
            [CODE, "过程指标", None, "合格率", "≥90%"],
            "绩效指标, 第2行, 一级指标: "
            "一级指标“过程指标”无效，应为成本指标、产出指标、效益指标或满意度指标",
        ),
        (
            [CODE, "产出指标", None, "合格率", "≥90%", -5],
            "绩效指标, 第2行, 权重: 权重应为正数，不能是“-5”",
        ),
        (
            [CODE, "产出指标", None, "合格率", "≥90%", "很多"],
            "绩效指标, 第2行, 权重: “很多”不是有效的数字",
        ),
        (
            [CODE, "产出指标", None, "合格率", "很长" * 2500],
            "绩效指标, 第2行, 指标值: 指标值过长（最多500个字符）",
        ),
        (
            [CODE, "成本指标", None, "项目成本", "≤-1万元"],
            "绩效指标, 第2行, 指标值: "
            "指标值“≤-1万元”有误：带比较（≥、≤、以上、以内等）的数字不能为负数",
        ),
        (
            [CODE, "产出指标", None, "人数", 1e30],
            f"绩效指标, 第2行, 指标值: 指标值“1{'0' * 30}”中的数字过大（整数部分最多12位）",
        ),
        (
            ["999", "产出指标", None, "合格率", "≥90%"],
            "绩效指标, 第2行, 项目编码: 项目编码“999”不存在",
        ),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(db, tmp_path, project_sheet, row, problem):
    path = make_workbook(tmp_path / "w.xlsx", {"项目": project_sheet, "绩效指标": [HEADER, row]})
    result = run_import(path)
    assert [str(p) for p in result.problems] == [problem]
    assert not Indicator.objects.exists()


def test_the_same_indicator_twice_in_one_project_and_group_is_refused(db, tmp_path, project_sheet):
    path = make_workbook(
        tmp_path / "w.xlsx",
        {
            "项目": project_sheet,
            "绩效指标": [
                HEADER,
                [CODE, "产出指标", None, "合格率", "≥90%"],
                [CODE, "产出指标", None, "合格率", "≥90%"],
            ],
        },
    )
    result = run_import(path)
    assert [str(p) for p in result.problems] == [
        "绩效指标, 第3行, 三级指标: 三级指标“合格率”在该项目的产出指标中重复（第2行已有）"
    ]
    from budgets.models import Project

    assert not Project.objects.exists()


def test_staff_cannot_import_indicators_of_another_department(
    db, tmp_path, bob, department_a, unit_a
):
    from tests.factories import ProjectFactory

    ProjectFactory(unit=unit_a, code=CODE)
    path = make_workbook(
        tmp_path / "w.xlsx", {"绩效指标": [HEADER, [CODE, "产出指标", None, "合格率", "≥90%"]]}
    )
    result = run_import(path, user=bob)
    assert [str(p) for p in result.problems] == [
        "绩效指标, 第2行, 项目编码: 无权导入部门“309”的数据"
    ]
    assert not Indicator.objects.exists()


def test_every_indicator_of_the_samples_is_understood(db):
    from pathlib import Path

    for path in sorted(Path("demo").glob("*.xlsx")):
        assert run_import(path).ok
    kinds = dict(Indicator.objects.values_list("name", "kind").distinct())
    assert kinds["宣传文案合格率"] == "quantitative"
    assert kinds["宣传报道时效性"] == "qualitative"
    assert Indicator.objects.count() == 90


# --- targets locked by a submitted self-evaluation ----------------------------------------


@pytest.fixture
def locked_project(db, unit_a):
    from tests.factories import ProjectFactory
    from tests.tracking.season import indicator

    project = ProjectFactory(unit=unit_a, code=CODE, targets_locked=True)
    indicator(project, "产出指标", "合格率", "≥90%", level2="质量指标", weight="20")
    return project


def test_a_row_that_would_change_a_locked_target_is_refused_and_named(
    tmp_path, alice, locked_project
):
    from performance.workbook import TARGETS_LOCKED
    from tests.budgets.workbooks import database_state

    path = make_workbook(
        tmp_path / "w.xlsx",
        {
            "绩效指标": [
                HEADER,
                [CODE, "产出指标", "质量指标", "合格率", "≥95%", 20],
                [CODE, "效益指标", None, "满意度提升", "明显提升"],
            ]
        },
    )
    before = database_state()
    result = run_import(path, user=alice)
    assert [str(p) for p in result.problems] == [
        f"绩效指标, 第2行, 三级指标: {TARGETS_LOCKED.format(code=CODE, what='修改')}",
        f"绩效指标, 第3行, 三级指标: {TARGETS_LOCKED.format(code=CODE, what='新增')}",
    ]
    assert database_state() == before


def test_a_row_that_repeats_a_locked_target_is_unchanged(tmp_path, alice, locked_project):
    path = make_workbook(
        tmp_path / "w.xlsx",
        {"绩效指标": [HEADER, [CODE, "产出指标", "质量指标", "合格率", "≥90%", "20.000"]]},
    )
    result = run_import(path, user=alice)
    assert result.ok, result.problems
    assert result.counts[("绩效指标", "unchanged")] == 1
    assert Indicator.objects.get().history.count() == 1


def test_a_reviewer_cannot_import_a_departments_targets(tmp_path, rita, unit_a):
    from budgets.importer import SHEET_NOT_PERMITTED
    from tests.budgets.workbooks import database_state
    from tests.factories import ProjectFactory

    ProjectFactory(unit=unit_a, code=CODE)
    path = make_workbook(
        tmp_path / "w.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row(CODE, initial=50)],
            "绩效指标": [HEADER, [CODE, "产出指标", None, "合格率", "≥90%"]],
        },
    )
    before = database_state()
    result = run_import(path, user=rita)
    assert [str(p) for p in result.problems] == [
        f"绩效指标: {SHEET_NOT_PERMITTED.format(sheet='“绩效指标”')}"
    ]
    assert database_state() == before
