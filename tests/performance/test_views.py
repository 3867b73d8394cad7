"""Pages of the performance app: target review list, a project's targets and the editor,
the value preview, the library search and department targets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import Project
from budgets.text import UNWRITABLE_CHARACTER
from performance.department_review import (
    REVIEW_COMPUTED_MISSING,
    REVIEW_MISSING_GROUP,
    REVIEW_NO_TARGETS,
)
from performance.models import DepartmentIndicator, Indicator, IndicatorTemplate
from performance.review import REVIEW_COST_AT_LEAST, REVIEW_MISSING_LEVEL1
from performance.services import INDICATOR_DUPLICATE, INDICATOR_LOCKED
from performance.values import (
    VALUE_EMPTY,
    VALUE_NEGATIVE_BOUND,
    VALUE_NUMBER_TOO_LARGE,
    VALUE_TOO_LONG,
)
from performance.workbook import UNKNOWN_LEVEL1, WEIGHT_NOT_POSITIVE
from tests.budgets.workbooks import database_state
from tests.bureaus import two_bureaus
from tests.factories import PaymentFactory, ProjectFactory

from .conftest import (
    complete_department_targets,
    complete_targets,
    make_department_indicator,
    make_goal,
    make_indicator,
    make_task,
)


def snapshot() -> list[tuple]:
    return list(
        Indicator.objects.order_by("pk").values_list("pk", "level1", "name", "raw", "weight")
    )


def html_of(response) -> str:
    return response.content.decode()


def lock(project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(targets_locked=True)


def targets_url(project: Project) -> str:
    return reverse("performance:project_targets", args=[project.pk])


def add_url(project: Project) -> str:
    return reverse("performance:indicator_add", args=[project.pk])


NEW = {"level1": "产出指标", "level2": "数量指标", "name": "印刷告知书", "value": "15万册"}


# --- no access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("performance:review_list", []),
        ("performance:project_targets", [1]),
        ("performance:indicator_edit", [1]),
        ("performance:value_preview", []),
        ("performance:library_search", []),
        ("performance:department_targets", []),
        ("reporting:table_12_xlsx", []),
        ("reporting:table_11_xlsx", []),
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_anonymous_posts_write_nothing(client, project_a):
    response = client.post(add_url(project_a), NEW)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert snapshot() == []


def test_the_review_list_is_in_the_navigation(client_of, alice):
    html = html_of(client_of(alice).get("/"))
    assert f'href="{reverse("performance:review_list")}"' in html and "目标审核" in html


# --- 目标审核 list ----------------------------------------------------------------------------


@pytest.fixture
def reviewed(project_a, project_b):
    """project_a passes; project_b has no 效益指标 and a cost written with ≥ (a warning)."""
    complete_targets(project_a)
    make_indicator(project_b, "成本指标", "宣传报道总成本", "≥5万元")
    make_indicator(project_b, "产出指标", "报道次数", "≥10次")
    make_indicator(project_b, "满意度指标", "直接服务对象满意度", "≥95%")
    return project_a, project_b


def test_the_review_list_shows_each_failure_with_its_reason_and_warnings_apart(
    client_of, rita, reviewed
):
    html = html_of(client_of(rita).get(reverse("performance:review_list")))
    passed, failed = reviewed
    assert passed.name in html and failed.name in html
    missing = REVIEW_MISSING_LEVEL1.format(level1="效益指标")
    warning = REVIEW_COST_AT_LEAST.format(name="宣传报道总成本", raw="≥5万元")
    assert f'<li class="failure"><span class="tag bad">不通过</span> {missing}</li>' in html
    assert f'<li class="warning"><span class="tag warn">提示</span> {warning}</li>' in html
    assert '<span class="tag ok">通过 1</span>' in html
    assert '<span class="tag bad">未通过 1</span>' in html
    assert '<span class="tag warn">有提示 1</span>' in html


def test_staff_see_only_their_own_departments_projects(client_of, alice, reviewed):
    html = html_of(client_of(alice).get(reverse("performance:review_list")))
    assert reviewed[0].name in html and reviewed[1].name not in html
    assert "西峡县医疗保障局本级" not in html


def test_the_review_list_filters_by_department_and_result(client_of, rita, reviewed):
    client = client_of(rita)
    url = reverse("performance:review_list")
    html = html_of(client.get(url, {"department": "044"}))
    assert reviewed[1].name in html and reviewed[0].name not in html
    html = html_of(client.get(url, {"status": "failed"}))
    assert reviewed[1].name in html and reviewed[0].name not in html


def test_bob_cannot_list_alices_department(client_of, bob, reviewed):
    url = reverse("performance:review_list")
    assert client_of(bob).get(url, {"department": "309"}).status_code == 404


def test_a_year_without_projects_shows_an_empty_list(client_of, alice, reviewed):
    response = client_of(alice).get(reverse("performance:review_list"), {"year": "2030"})
    assert response.status_code == 200 and "暂无项目" in html_of(response)


def _projects_with_indicators(unit, n: int) -> None:
    for _ in range(n):
        project = ProjectFactory(unit=unit)
        make_indicator(project, "成本指标", "项目成本", "≥1万元")
        make_indicator(project, "产出指标", "场次", "≥10场", weight="30")
        PaymentFactory(project=project)


def test_the_review_list_runs_the_same_queries_for_5_and_for_50_projects(client_of, rita, unit_a):
    client = client_of(rita)
    url = reverse("performance:review_list")
    _projects_with_indicators(unit_a, 5)
    client.get(url)  # warm the session and settings rows
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    _projects_with_indicators(unit_a, 45)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(url)
    projects_table = html_of(response).split('id="review-table"')[1]
    assert projects_table.count('<span class="tag bad">未通过</span>') == 50
    assert len(fifty) == len(five)


# --- a project's targets --------------------------------------------------------------------------


def test_the_targets_page_groups_indicators_with_their_meaning(client_of, alice, project_a):
    complete_targets(project_a)
    make_indicator(project_a, "产出指标", "窗口工作人员补助数量", "≥11500人次", note="按人次")
    html = html_of(client_of(alice).get(targets_url(project_a)))
    for level1 in ("成本指标", "产出指标", "效益指标", "满意度指标"):
        assert f'<h2 id="{level1}">{level1}' in html
    assert "≥11500人次" in html and "定量 · ≥ 11500 人次" in html and "按人次" in html
    assert "定性，评价时人工判定" in html
    assert '<span class="tag ok">通过</span>' in html
    assert 'id="indicator-add-form"' in html
    assert reverse("budgets:project_detail", args=[project_a.pk]) in html
    assert f'hx-get="{reverse("performance:value_preview")}"' in html
    assert 'hx-trigger="keyup changed delay:300ms, paste delay:100ms"' in html


def test_the_targets_page_shows_the_review_failures(client_of, alice, project_a):
    make_indicator(project_a, "产出指标", "场次", "≥10场")
    html = html_of(client_of(alice).get(targets_url(project_a)))
    assert REVIEW_MISSING_LEVEL1.format(level1="满意度指标") in html
    assert '<span class="tag bad">未通过</span>' in html


def test_bob_cannot_see_alices_project_targets(client_of, bob, project_a):
    assert client_of(bob).get(targets_url(project_a)).status_code == 404


def test_the_reviewer_reads_any_projects_targets(client_of, rita, project_a):
    response = client_of(rita).get(targets_url(project_a))
    assert response.status_code == 200 and project_a.name in html_of(response)


def test_locked_targets_are_shown_read_only_with_the_lock_message(client_of, alice, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    lock(project_a)
    html = html_of(client_of(alice).get(targets_url(project_a)))
    assert INDICATOR_LOCKED in html
    assert 'id="indicator-add-form"' not in html
    assert reverse("performance:indicator_edit", args=[indicator.pk]) not in html


# --- the editor -------------------------------------------------------------------------------


def test_staff_add_an_indicator_and_come_back_to_the_targets(client_of, alice, project_a):
    response = client_of(alice).post(add_url(project_a), NEW | {"weight": "10"}, follow=True)
    assert response.redirect_chain == [(targets_url(project_a), 302)]
    assert "已添加指标“印刷告知书”" in html_of(response)
    indicator = Indicator.objects.get()
    assert (indicator.raw, indicator.unit, indicator.weight) == ("15万册", "万册", Decimal(10))


@pytest.mark.parametrize(
    "change, field_message",
    [
        ({"value": ""}, VALUE_EMPTY),
        ({"value": "很" * 5000}, VALUE_TOO_LONG),
        ({"value": "≤-1万元"}, VALUE_NEGATIVE_BOUND.format(raw="≤-1万元")),
        ({"value": "1" * 30}, VALUE_NUMBER_TOO_LARGE.format(raw="1" * 30)),
        ({"level1": "过程指标"}, UNKNOWN_LEVEL1.format(value="过程指标")),
        ({"weight": "abc"}, WEIGHT_NOT_POSITIVE.format(value="abc")),
        ({"weight": "-5"}, WEIGHT_NOT_POSITIVE.format(value="-5")),
        ({"weight": "0"}, WEIGHT_NOT_POSITIVE.format(value="0")),
    ],
)
def test_bad_input_is_shown_in_chinese_and_nothing_is_written(
    client_of, alice, project_a, change, field_message
):
    response = client_of(alice).post(add_url(project_a), NEW | change)
    assert response.status_code == 200
    assert field_message in html_of(response)
    assert snapshot() == []


def test_the_same_name_twice_in_a_group_is_shown_and_not_written(client_of, alice, project_a):
    client = client_of(alice)
    client.post(add_url(project_a), NEW)
    before = snapshot()
    html = html_of(client.post(add_url(project_a), NEW | {"value": "20万册"}))
    assert INDICATOR_DUPLICATE.format(level1="产出指标", name="印刷告知书") in html
    assert snapshot() == before


def test_a_refused_form_keeps_what_was_typed(client_of, alice, project_a):
    html = html_of(client_of(alice).post(add_url(project_a), NEW | {"value": "", "note": "备注"}))
    assert 'value="印刷告知书"' in html and ">备注</textarea>" in html


@pytest.mark.parametrize("char", ["\x0b", "\x00"])
@pytest.mark.parametrize("field", ["level2", "name", "value", "note"])
def test_a_control_character_is_refused_on_its_field_and_nothing_is_written(
    client_of, alice, project_a, field, char
):
    client = client_of(alice)
    before = database_state()
    response = client.post(add_url(project_a), NEW | {field: f"印刷{char}告知书"})
    assert response.status_code == 200
    assert f'id="id_{field}_error"><li>{UNWRITABLE_CHARACTER}</li>' in html_of(response)
    assert database_state() == before


def test_an_edit_with_a_control_character_leaves_the_indicator_as_it_was(
    client_of, alice, project_a
):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    client = client_of(alice)
    before = database_state()
    url = reverse("performance:indicator_edit", args=[indicator.pk])
    response = client.post(url, {"level1": "产出指标", "name": "培训\x0b场次", "value": "≥12场"})
    assert f'id="id_name_error"><li>{UNWRITABLE_CHARACTER}</li>' in html_of(response)
    assert database_state() == before


def test_tab_and_newline_are_accepted_in_the_note(client_of, alice, project_a):
    response = client_of(alice).post(add_url(project_a), NEW | {"note": "第一行\n第二行\t说明"})
    assert response.status_code == 302
    assert Indicator.objects.get().note == "第一行\n第二行\t说明"


def test_bob_cannot_add_to_alices_project(client_of, bob, project_a):
    assert client_of(bob).post(add_url(project_a), NEW).status_code == 404
    assert snapshot() == []


def test_locked_targets_refuse_a_new_indicator(client_of, alice, project_a):
    lock(project_a)
    response = client_of(alice).post(add_url(project_a), NEW)
    assert INDICATOR_LOCKED in html_of(response)
    assert snapshot() == []


def test_staff_edit_an_indicator(client_of, alice, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场", weight="20")
    url = reverse("performance:indicator_edit", args=[indicator.pk])
    client = client_of(alice)
    form = html_of(client.get(url))
    assert 'value="≥10场"' in form and 'value="20"' in form
    response = client.post(url, {"level1": "产出指标", "name": "培训场次", "value": "≥12场"})
    assert response.status_code == 302 and response["Location"] == targets_url(project_a)
    indicator.refresh_from_db()
    assert (indicator.name, indicator.raw, indicator.value, indicator.weight) == (
        "培训场次",
        "≥12场",
        "12",
        None,
    )


def test_an_edit_with_an_empty_value_is_refused(client_of, alice, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    before = snapshot()
    url = reverse("performance:indicator_edit", args=[indicator.pk])
    response = client_of(alice).post(url, {"level1": "产出指标", "name": "场次", "value": " "})
    assert VALUE_EMPTY in html_of(response)
    assert snapshot() == before


def test_bob_cannot_edit_or_delete_alices_indicator(client_of, bob, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    before = snapshot()
    client = client_of(bob)
    edit = reverse("performance:indicator_edit", args=[indicator.pk])
    delete = reverse("performance:indicator_delete", args=[indicator.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"level1": "产出指标", "name": "x", "value": "1"}).status_code == 404
    assert client.post(delete).status_code == 404
    assert snapshot() == before


def test_locked_targets_refuse_an_edit(client_of, alice, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    lock(project_a)
    before = snapshot()
    url = reverse("performance:indicator_edit", args=[indicator.pk])
    client = client_of(alice)
    page = html_of(client.get(url))
    assert INDICATOR_LOCKED in page and '<form method="post" class="card">' not in page
    response = client.post(url, {"level1": "产出指标", "name": "改", "value": "1"})
    assert INDICATOR_LOCKED in html_of(response)
    assert snapshot() == before


def test_staff_delete_an_indicator(client_of, alice, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    url = reverse("performance:indicator_delete", args=[indicator.pk])
    client = client_of(alice)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "已删除指标“场次”" in html_of(response)
    assert snapshot() == []


def test_locked_targets_refuse_a_deletion(client_of, alice, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    lock(project_a)
    url = reverse("performance:indicator_delete", args=[indicator.pk])
    response = client_of(alice).post(url, follow=True)
    assert INDICATOR_LOCKED in html_of(response)
    assert Indicator.objects.filter(pk=indicator.pk).exists()


# --- the value preview and the library search -------------------------------------------------


@pytest.mark.parametrize(
    "value, shown",
    [
        ("≥95%", "定量 · ≥ 95 %"),
        ("≤1433.6万\n元", "定量 · ≤ 1433.6 万元"),
        ("明显提升", "定性，评价时人工判定"),
        ("12月底前", "时限 · 2024-12-31 前完成"),
        ("不低于上年", "与上年比较 · 不低于上年"),
        ("", VALUE_EMPTY),
        ("很" * 5000, VALUE_TOO_LONG),
        ("≤-1万元", VALUE_NEGATIVE_BOUND.format(raw="≤-1万元")),
    ],
)
def test_the_preview_says_how_the_value_is_understood(client_of, alice, value, shown):
    url = reverse("performance:value_preview")
    response = client_of(alice).get(url, {"value": value, "year": "2024"})
    assert response.status_code == 200
    assert html_of(response).strip().endswith(f">{shown}</span>")


def test_an_empty_value_is_previewed_as_an_error(client_of, alice):
    html = html_of(client_of(alice).get(reverse("performance:value_preview")))
    assert 'data-preview="error"' in html and "指标值不能为空" in html


def test_the_library_search_returns_entries_ready_to_fill_the_form(client_of, alice):
    IndicatorTemplate.objects.create(
        level1="满意度指标",
        level2="服务对象满意度指标",
        name="参保群众满意度",
        typical_value="≥95%",
        unit="%",
        usage_count=3,
    )
    url = reverse("performance:library_search")
    html = html_of(client_of(alice).get(url, {"q": "满意", "level1": ""}))
    assert "参保群众满意度" in html
    assert 'data-level1="满意度指标"' in html and 'data-value="≥95%"' in html
    assert "没有与“无此指标”匹配" in html_of(client_of(alice).get(url, {"q": "无此指标"}))


# --- department targets (部门整体目标) --------------------------------------------------------


def targets_page(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('performance:department_targets')}?{query}"


def test_staff_read_their_departments_targets_goals_and_tasks(
    client_of, alice, department_a, project_a
):
    complete_targets(project_a)
    complete_department_targets(department_a)
    make_department_indicator(
        department_a, "投入管理指标", "预算执行率（部门）", "≥80%", level2="预算和财务管理"
    )
    make_department_indicator(department_a, "满意度指标", "群众满意度", "≥95%", note="问卷")
    make_goal(department_a, 1, "强化资产配置预算管理")
    make_task(department_a, 1, "医保系统运行维护费", project_a.code, "999", content="保障办理")
    PaymentFactory(project=project_a, amount=Decimal("45"))
    response = client_of(alice).get(targets_page(year=2024))
    assert response.status_code == 200
    html = html_of(response)
    groups = {g["level1"]: g["items"] for g in response.context["groups"]}
    assert list(groups) == ["投入管理指标", "产出指标", "效益指标", "满意度指标"]
    execution = groups["投入管理指标"][0]
    assert (execution["indicator"].name, execution["figure"], execution["met"]) == (
        "预算执行率",
        "90.00",  # 45 of 50 spent
        True,
    )
    assert [i["figure"] for i in groups["产出指标"]] == [None]  # not computed: no figure
    assert html.count('<span class="tag">系统计算</span>') == 1 + 4  # the legend, 4 indicators
    assert "目标1：强化资产配置预算管理" in html
    assert "保障办理" in html and f'href="{targets_url(project_a)}"' in html
    assert '999 <span class="tag warn">非本部门本年度项目</span>' in html
    assert "问卷" in html
    # The task naming another code is warned about; the page stays read-only.
    assert "主要任务1“医保系统运行维护费”的项目编码999不是本部门本年度的项目" in html
    assert html.count('<form method="post"') == 1  # signing out only


def test_a_department_without_targets_is_told_so_and_gets_nobody_elses(
    client_of, alice, department_a, department_b
):
    complete_department_targets(department_b)
    response = client_of(alice).get(targets_page(year=2024))
    html = html_of(response)
    assert REVIEW_NO_TARGETS in html
    assert "≥90%" not in html and "暂无投入管理指标" in html
    assert not response.context["review"].passed


def test_the_department_targets_page_is_read_only(client_of, adam, department_a):
    response = client_of(adam).post(targets_page(year=2024, department="309"), {"x": "1"})
    assert response.status_code == 405
    assert not DepartmentIndicator.objects.exists()


def test_bob_cannot_see_alices_department_targets(client_of, bob, department_a):
    complete_department_targets(department_a)
    assert client_of(bob).get(targets_page(year=2024, department="309")).status_code == 404


def test_the_reviewer_chooses_any_department_and_reads_its_targets(
    client_of, rita, department_a, department_b
):
    make_department_indicator(department_b, "产出指标", "医保基金监管完成率", "100%")
    html = html_of(client_of(rita).get(targets_page(year=2024, department="044")))
    assert "西峡县医疗保障局本级" in html and "医保基金监管完成率" in html


def test_the_department_targets_page_runs_the_same_queries_for_5_or_50_indicators(
    client_of, alice, department_a, project_a
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_of(alice).get(targets_page(year=2024)).status_code == 200
        return len(queries)

    for n in range(5):
        make_department_indicator(department_a, "产出指标", f"指标{n}", "≥1个")
        make_task(department_a, n + 1, f"任务{n}", project_a.code)
    few = count()
    for n in range(5, 50):
        make_department_indicator(department_a, "产出指标", f"指标{n}", "≥1个")
        make_task(department_a, n + 1, f"任务{n}", project_a.code)
    assert count() == few


# --- 目标审核: the department target review beside the project review -------------------------


def test_the_review_list_shows_each_departments_target_review(
    client_of, rita, department_a, department_b, project_a, project_b
):
    complete_department_targets(department_a)
    make_task(department_a, 1, "医保信息化", project_a.code)
    make_department_indicator(department_b, "产出指标", "医保基金监管完成率", "100%")
    response = client_of(rita).get(reverse("performance:review_list"), {"year": 2024})
    rows = {row["department"].code: row for row in response.context["department_rows"]}
    assert rows["309"]["review"].passed and rows["309"]["warnings"] == []
    assert not rows["044"]["review"].passed
    html = html_of(response)
    assert REVIEW_MISSING_GROUP.format(group="效益指标（或满意度指标）") in html
    assert REVIEW_COMPUTED_MISSING.format(name="预算执行率") in html


def test_staff_see_only_their_own_departments_review(
    client_of, alice, department_a, department_b, project_a, project_b
):
    response = client_of(alice).get(reverse("performance:review_list"), {"year": 2024})
    assert [row["department"] for row in response.context["department_rows"]] == [department_a]


def test_the_department_review_runs_the_same_queries_for_2_or_12_departments(client_of, rita):
    from tests.factories import DepartmentFactory, UnitFactory

    def add_departments(n: int) -> None:
        for _ in range(n):
            department = DepartmentFactory()
            project = ProjectFactory(unit=UnitFactory(department=department))
            complete_department_targets(department)
            make_task(department, 1, "任务", project.code)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client_of(rita).get(reverse("performance:review_list"), {"year": 2024})
            assert response.status_code == 200
        return len(queries)

    add_departments(2)
    few = count()
    add_departments(10)
    assert count() == few


# --- 目标审核 list: pages of 50 -------------------------------------------------------------------


def test_the_review_list_shows_50_projects_a_page_and_counts_them_all(
    client_of, rita, unit_a, project_a
):
    complete_targets(project_a)  # the one project that passes
    _projects_with_indicators(unit_a, 119)
    client = client_of(rita)
    url = reverse("performance:review_list")
    codes = []
    for number, size in ((1, 50), (2, 50), (3, 20)):
        response = client.get(url, {"page": number})
        assert response.context["page"].number == number
        assert len(response.context["rows"]) == size
        codes += [row["project"].code for row in response.context["rows"]]
        html = html_of(response)
        assert "共 <strong>120</strong> 个项目" in html
        assert '<span class="tag ok">通过 1</span>' in html
        assert '<span class="tag bad">未通过 119</span>' in html
        assert f"第 {number} / 3 页，共 120 条" in html
    assert codes == sorted(Project.objects.values_list("code", flat=True))


def test_the_review_list_filters_before_paging_and_still_counts_every_project(
    client_of, rita, unit_a, project_a
):
    complete_targets(project_a)
    _projects_with_indicators(unit_a, 119)
    response = client_of(rita).get(reverse("performance:review_list"), {"status": "passed"})
    assert [row["project"] for row in response.context["rows"]] == [project_a]
    html = html_of(response)
    assert "共 <strong>120</strong> 个项目" in html and 'class="pagination' not in html


def test_the_review_lists_page_links_keep_the_filters(client_of, rita, unit_a):
    _projects_with_indicators(unit_a, 120)
    query = {"year": "2024", "department": "309", "status": "failed", "page": "2"}
    response = client_of(rita).get(reverse("performance:review_list"), query)
    assert response.context["page"].number == 2 and len(response.context["rows"]) == 50
    html = html_of(response)
    kept = "?year=2024&amp;department=309&amp;status=failed&amp;page="
    for number in (1, 3):
        assert f'href="{kept}{number}"' in html


@pytest.mark.parametrize("page, shown", [("99", 3), ("abc", 1), ("-1", 3), ("", 1)])
def test_a_review_list_page_out_of_range_or_not_a_number_shows_the_last_or_first(
    client_of, rita, unit_a, page, shown
):
    _projects_with_indicators(unit_a, 120)
    response = client_of(rita).get(reverse("performance:review_list"), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == shown
    assert len(response.context["rows"]) == (20 if shown == 3 else 50)


# --- two finance bureaus (区划) whose departments share the code 060 -----------------------------


@pytest.fixture
def bureaus(db):
    return two_bureaus()


def bureau_pages(bureau) -> list[tuple[str, str, dict]]:
    """(method, url, data) of every page that reads or writes one bureau's targets."""
    indicator = bureau.indicator
    ref = bureau.department.ref
    return [
        ("get", targets_url(bureau.project), {}),
        ("post", add_url(bureau.project), NEW),
        ("get", reverse("performance:indicator_edit", args=[indicator.pk]), {}),
        ("post", reverse("performance:indicator_edit", args=[indicator.pk]), NEW),
        ("post", reverse("performance:indicator_delete", args=[indicator.pk]), {}),
        ("get", targets_page(year=2024, department=ref), {}),
        ("get", f"{reverse('reporting:table_12_xlsx')}?year=2024&department={ref}", {}),
        ("get", f"{reverse('reporting:table_11_xlsx')}?year=2024&department={ref}", {}),
    ]


@pytest.mark.parametrize("actor", ["reviewer", "staff"])
def test_a_bureau_cannot_reach_any_targets_page_or_table_of_another_bureau(
    client_of, bureaus, actor
):
    before = (snapshot(), list(DepartmentIndicator.objects.values_list()))
    for own, other in ((bureaus.hongqi, bureaus.xixia), (bureaus.xixia, bureaus.hongqi)):
        client = client_of(getattr(own, actor))
        for method, url, data in bureau_pages(other):
            assert getattr(client, method)(url, data).status_code == 404, (method, url)
        for method, url, _ in bureau_pages(own):
            if method == "get":
                # Its own 060 is there (the editor is a 403 to reviewers, who never write targets).
                expected = 403 if actor == "reviewer" and "/indicators/" in url else 200
                assert client.get(url).status_code == expected, url
    assert (snapshot(), list(DepartmentIndicator.objects.values_list())) == before


def test_a_city_bureau_with_subordinates_reads_its_countys_targets_but_not_another_citys(
    client_of, bureaus
):
    client = client_of(bureaus.city)
    for method, url, _ in bureau_pages(bureaus.hongqi):
        if method == "get":
            expected = 403 if "/indicators/" in url else 200
            assert client.get(url).status_code == expected, url
    for method, url, _ in bureau_pages(bureaus.xixia):
        if method == "get":
            assert client.get(url).status_code == 404, url


def test_a_bare_department_code_means_the_one_the_user_may_see(client_of, bureaus):
    for bureau in (bureaus.hongqi, bureaus.xixia):
        for user in (bureau.staff, bureau.reviewer):
            html = html_of(client_of(user).get(targets_page(year=2024, department="060")))
            assert f"部门整体绩效目标 · {bureau.department.name}" in html


AMBIGUOUS = "部门编码“060”在多个区划中都有：410702/060、411323/060，请写成“区划编码/部门编码”"


def test_a_bare_code_of_several_divisions_is_refused_by_tables_and_ignored_by_pages(
    client_of, bureaus
):
    client = client_of(bureaus.province)
    for name in ("reporting:table_11_xlsx", "reporting:table_12_xlsx"):
        response = client.get(f"{reverse(name)}?year=2024&department=060")
        assert response.status_code == 400, name
        assert response.content.decode() == AMBIGUOUS
    review = html_of(client.get(f"{reverse('performance:review_list')}?year=2024&department=060"))
    assert f"{AMBIGUOUS}，已忽略" in review
    assert "红旗区医保信息化" in review and "西峡县医保信息化" in review
    targets = html_of(client.get(targets_page(year=2024, department="060")))
    assert f"{AMBIGUOUS}，已忽略" in targets


def test_a_bureau_of_several_divisions_chooses_departments_by_division(client_of, bureaus):
    client = client_of(bureaus.province)
    review = html_of(client.get(f"{reverse('performance:review_list')}?year=2024"))
    assert '<option value="410702/060">红旗区 · 060 红旗区医疗保障局</option>' in review
    assert '<option value="411323/060">西峡县 · 060 西峡县医疗保障局</option>' in review
    one = html_of(
        client.get(f"{reverse('performance:review_list')}?year=2024&department=411323/060")
    )
    assert "西峡县医保信息化" in one and "红旗区医保信息化" not in one
    assert "department=411323/060" in one  # the table links keep the 区划
    targets = html_of(client.get(targets_page(year=2024, department="411323/060")))
    assert '<option value="411323/060" selected>西峡县 · 060 西峡县医疗保障局</option>' in targets
    table = client.get(f"{reverse('reporting:table_11_xlsx')}?year=2024&department=411323/060")
    assert table.status_code == 200


def test_one_bureau_is_offered_its_departments_without_division_names(client_of, bureaus):
    html = html_of(client_of(bureaus.hongqi.reviewer).get(reverse("performance:review_list")))
    assert '<option value="410702/060">060 红旗区医疗保障局</option>' in html
    assert "西峡县" not in html


# --- review warnings on the pages ---------------------------------------------------------------


@pytest.fixture
def warned(project_a, project_b):
    """project_a passes with two warnings (a department rate and a procurement target without
    procurement budget); project_b has no indicator at all."""
    complete_targets(project_a)
    make_indicator(project_a, "产出指标", "预算执行率", "≥90%")
    make_indicator(project_a, "产出指标", "政府采购执行率", "100%")
    return project_a, project_b


def test_the_review_list_shows_the_new_warnings_apart_from_failures(client_of, rita, warned):
    from performance.review import (
        REVIEW_DEPARTMENT_RATE,
        REVIEW_NO_INDICATORS,
        REVIEW_PROCUREMENT_WITHOUT_BUDGET,
    )

    html = html_of(client_of(rita).get(reverse("performance:review_list")))
    for message in (
        REVIEW_DEPARTMENT_RATE.format(level1="产出指标", name="预算执行率"),
        # Department A has no 部门预算 row: its 政府采购预算 is 0.
        REVIEW_PROCUREMENT_WITHOUT_BUDGET.format(level1="产出指标", name="政府采购执行率"),
        REVIEW_NO_INDICATORS,
    ):
        assert f'<li class="warning"><span class="tag warn">提示</span> {message}</li>' in html
    table = html.split('id="review-table"')[1]
    # Warnings alone do not fail: project_a passes, project_b fails for its missing groups.
    assert table.count('<span class="tag ok">通过</span>') == 1
    assert '<span class="tag warn">有提示 2</span>' in html


def test_a_procurement_budget_silences_the_procurement_warning(client_of, rita, warned):
    from performance.review import REVIEW_PROCUREMENT_WITHOUT_BUDGET
    from tests.factories import DepartmentBudgetFactory

    project_a, _ = warned
    DepartmentBudgetFactory(department=project_a.department, procurement_budget=Decimal(5))
    html = html_of(client_of(rita).get(targets_url(project_a)))
    message = REVIEW_PROCUREMENT_WITHOUT_BUDGET.format(level1="产出指标", name="政府采购执行率")
    assert message not in html
    assert "预算执行率”是部门整体绩效指标" in html


def test_the_review_list_filters_the_projects_with_warnings(client_of, rita, warned, unit_a):
    quiet = ProjectFactory(unit=unit_a, name="无提示项目", initial_budget=Decimal(50))
    complete_targets(quiet)
    html = html_of(client_of(rita).get(reverse("performance:review_list"), {"status": "warned"}))
    table = html.split('id="review-table"')[1]
    assert warned[0].name in table and warned[1].name in table
    assert quiet.name not in table
    assert '<option value="warned" selected>有提示</option>' in html


def test_the_review_list_with_warnings_runs_the_same_queries_for_5_and_50_projects(
    client_of, rita, unit_a
):
    from tests.factories import DepartmentBudgetFactory

    DepartmentBudgetFactory(department=unit_a.department, procurement_budget=Decimal(0))
    client = client_of(rita)
    url = reverse("performance:review_list")

    def add(n: int) -> None:
        for _ in range(n):
            project = ProjectFactory(unit=unit_a)
            make_indicator(project, "成本指标", "项目成本", "≤1万元")
            make_indicator(project, "产出指标", "政府采购执行率", "100%")
            make_indicator(project, "效益指标", "效果", "明显提升")

    add(5)
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        client.get(url, {"status": "warned"})
    add(45)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(url, {"status": "warned"})
    assert html_of(response).count("以政府采购执行率为目标") == 50
    assert len(fifty) == len(five)
