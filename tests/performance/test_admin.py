"""Admin pages of the performance app: lists narrowed by the access rule, values parsed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from budgets.text import UNWRITABLE_CHARACTER
from performance.models import DepartmentGoal, DepartmentIndicator, Indicator, IndicatorTemplate
from performance.services import INDICATOR_LOCKED
from performance.values import VALUE_EMPTY

from .conftest import make_department_indicator, make_goal, make_indicator

INDICATORS = "/admin/performance/indicator/"
TEMPLATES = "/admin/performance/indicatortemplate/"
DEPARTMENT_INDICATORS = "/admin/performance/departmentindicator/"
GOALS = "/admin/performance/departmentgoal/"


def html_of(response) -> str:
    return response.content.decode()


def indicator_form(project, **changes) -> dict:
    return {
        "project": project.pk,
        "level1": "满意度指标",
        "level2": "",
        "name": "参保群众满意度",
        "raw": "≥95%",
        "weight": "",
        "note": "",
        "position": "0",
    } | changes


@pytest.fixture
def alice_in_admin(alice):
    """Alice with the admin site and the performance permissions, still staff of 309."""
    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(*Permission.objects.filter(content_type__app_label="performance"))
    return alice


def test_admins_list_search_and_filter_indicators(client_of, adam, project_a, project_b):
    make_indicator(project_a, "满意度指标", "参保群众满意度", "≥95%")
    make_indicator(project_b, "产出指标", "报道次数", "≥10次")
    client = client_of(adam)
    html = html_of(client.get(INDICATORS))
    assert "参保群众满意度" in html and "报道次数" in html
    html = html_of(client.get(INDICATORS, {"q": "报道"}))
    assert "报道次数" in html and "参保群众满意度" not in html
    html = html_of(client.get(INDICATORS, {"level1": "满意度指标"}))
    assert "参保群众满意度" in html and "报道次数" not in html
    html = html_of(client.get(INDICATORS, {"kind": "quantitative"}))
    assert "参保群众满意度" in html


def test_an_indicator_added_in_the_admin_gets_its_meaning(client_of, adam, project_a):
    response = client_of(adam).post(f"{INDICATORS}add/", indicator_form(project_a))
    assert response.status_code == 302
    indicator = Indicator.objects.get()
    assert (indicator.kind, indicator.comparator, indicator.value, indicator.unit) == (
        "quantitative",
        ">=",
        "95",
        "%",
    )


def test_a_value_the_grammar_refuses_is_refused_in_the_admin(client_of, adam, project_a):
    # A zero-width space passes the form's "required" check; the grammar reads it as empty.
    response = client_of(adam).post(f"{INDICATORS}add/", indicator_form(project_a, raw="\u200b"))
    assert response.status_code == 200
    assert VALUE_EMPTY in html_of(response)
    assert not Indicator.objects.exists()


def test_the_indicator_history_is_in_the_admin(client_of, adam, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    assert client_of(adam).get(f"{INDICATORS}{indicator.pk}/history/").status_code == 200


def test_staff_in_the_admin_see_and_change_only_their_departments_indicators(
    client_of, alice_in_admin, project_a, project_b
):
    mine = make_indicator(project_a, "满意度指标", "参保群众满意度", "≥95%")
    theirs = make_indicator(project_b, "产出指标", "报道次数", "≥10次")
    client = client_of(alice_in_admin)
    html = html_of(client.get(INDICATORS))
    assert mine.name in html and theirs.name not in html
    assert client.get(f"{INDICATORS}{mine.pk}/change/").status_code == 200
    assert client.get(f"{INDICATORS}{theirs.pk}/change/").status_code in (302, 403, 404)
    before = list(Indicator.objects.values_list("pk", "project_id", "name"))
    response = client.post(f"{INDICATORS}add/", indicator_form(project_b, name="偷偷加的"))
    assert response.status_code == 200  # project_b is not a valid choice for alice
    assert list(Indicator.objects.values_list("pk", "project_id", "name")) == before


def test_locked_targets_are_read_only_in_the_admin(client_of, adam, project_a):
    indicator = make_indicator(project_a, "产出指标", "场次", "≥10场")
    type(project_a).objects.filter(pk=project_a.pk).update(targets_locked=True)
    client = client_of(adam)
    response = client.post(
        f"{INDICATORS}{indicator.pk}/change/",
        indicator_form(project_a, level1="产出指标", name="场次", raw="≥99场"),
    )
    assert response.status_code == 403
    indicator.refresh_from_db()
    assert indicator.raw == "≥10场"
    response = client.post(f"{INDICATORS}add/", indicator_form(project_a))
    assert INDICATOR_LOCKED in html_of(response)
    assert Indicator.objects.count() == 1


def test_the_indicator_library_is_searchable_in_the_admin(client_of, adam):
    IndicatorTemplate.objects.create(level1="产出指标", name="培训场次", typical_value="≥10场")
    IndicatorTemplate.objects.create(level1="满意度指标", name="学员满意度", typical_value="≥95%")
    html = html_of(client_of(adam).get(TEMPLATES, {"q": "培训"}))
    assert "培训场次" in html and "学员满意度" not in html


def department_indicator_form(department, **changes) -> dict:
    return {
        "department": department.pk,
        "year": "2024",
        "level1": "投入管理指标",
        "level2": "预算和财务管理",
        "name": "“三公经费”控制率",
        "raw": "≤100%",
        "note": "",
        "weight": "",
        "position": "0",
    } | changes


def test_a_department_indicator_added_in_the_admin_gets_its_meaning_and_metric(
    client_of, adam, department_a
):
    client = client_of(adam)
    response = client.post(f"{DEPARTMENT_INDICATORS}add/", department_indicator_form(department_a))
    assert response.status_code == 302
    indicator = DepartmentIndicator.objects.get()
    assert (indicator.kind, indicator.comparator, indicator.value, indicator.metric) == (
        "quantitative",
        "<=",
        "100",
        "three_public_control_rate",
    )
    assert indicator.history.first().history_user == adam


def test_a_department_indicator_value_the_grammar_refuses_is_refused_in_the_admin(
    client_of, adam, department_a
):
    form = department_indicator_form(department_a, raw="\u200b")
    response = client_of(adam).post(f"{DEPARTMENT_INDICATORS}add/", form)
    assert response.status_code == 200 and VALUE_EMPTY in html_of(response)
    assert not DepartmentIndicator.objects.exists()


def test_staff_in_the_admin_see_and_change_only_their_departments_targets(
    client_of, alice_in_admin, department_a, department_b
):
    mine = make_department_indicator(department_a, "产出指标", "监管完成率", "≥91%")
    theirs = make_department_indicator(department_b, "产出指标", "稽核完成率", "≥97%")
    client = client_of(alice_in_admin)
    html = html_of(client.get(DEPARTMENT_INDICATORS))
    assert "监管完成率" in html and "稽核完成率" not in html
    assert client.get(f"{DEPARTMENT_INDICATORS}{mine.pk}/change/").status_code == 200
    assert client.get(f"{DEPARTMENT_INDICATORS}{theirs.pk}/change/").status_code in (302, 403, 404)
    response = client.post(
        f"{DEPARTMENT_INDICATORS}add/", department_indicator_form(department_b, year="2025")
    )
    assert response.status_code == 200  # department B is not a valid choice for alice
    assert DepartmentIndicator.objects.count() == 2


def test_a_reviewer_in_the_admin_reads_department_targets_but_never_writes_them(
    client_of, rita, department_a
):
    rita.is_staff = True
    rita.save()
    rita.user_permissions.add(*Permission.objects.filter(content_type__app_label="performance"))
    indicator = make_department_indicator(department_a, "产出指标", "监管完成率", "≥91%")
    client = client_of(rita)
    assert "监管完成率" in html_of(client.get(DEPARTMENT_INDICATORS))
    response = client.post(
        f"{DEPARTMENT_INDICATORS}{indicator.pk}/change/",
        department_indicator_form(department_a, level1="产出指标", name="监管完成率", raw="1%"),
    )
    assert response.status_code == 403
    response = client.post(f"{DEPARTMENT_INDICATORS}add/", department_indicator_form(department_a))
    assert response.status_code == 200
    assert list(DepartmentIndicator.objects.values_list("raw", flat=True)) == ["≥91%"]


def test_a_task_added_in_the_admin_takes_its_project_codes_as_written(
    client_of, adam, department_a
):
    form = {
        "department": department_a.pk,
        "year": "2024",
        "category": "主要任务",
        "order": "1",
        "name": "医保信息化",
        "content": "",
        "project_codes": "410700240000000012809，410700240000000012811",
    }
    assert client_of(adam).post(f"{GOALS}add/", form).status_code == 302
    task = DepartmentGoal.objects.get()
    assert task.project_codes == ["410700240000000012809", "410700240000000012811"]
    html = html_of(client_of(adam).get(f"{GOALS}{task.pk}/change/"))
    assert "410700240000000012809、410700240000000012811" in html


def test_staff_in_the_admin_see_only_their_departments_goals(
    client_of, alice_in_admin, department_a, department_b
):
    make_goal(department_a, 1, "强化资产配置预算管理")
    theirs = make_goal(department_b, 1, "加强医保基金监管")
    client = client_of(alice_in_admin)
    html = html_of(client.get(GOALS))
    assert "强化资产配置预算管理" in html and "加强医保基金监管" not in html
    assert client.get(f"{GOALS}{theirs.pk}/change/").status_code in (302, 403, 404)


@pytest.mark.parametrize(
    "changes",
    [{"name": "医保\x0b信息化"}, {"content": "主要\x00内容"}, {"project_codes": "4107\x0b00"}],
)
def test_a_goal_with_a_control_character_is_refused_in_the_admin(
    client_of, adam, department_a, changes
):
    form = {
        "department": department_a.pk,
        "year": "2024",
        "category": "主要任务",
        "order": "1",
        "name": "医保信息化",
        "content": "",
        "project_codes": "",
    } | changes
    response = client_of(adam).post(f"{GOALS}add/", form)
    assert response.status_code == 200
    assert UNWRITABLE_CHARACTER in html_of(response)
    assert not DepartmentGoal.objects.exists()


def test_an_indicator_with_a_control_character_is_refused_in_the_admin(client_of, adam, project_a):
    response = client_of(adam).post(
        f"{INDICATORS}add/", indicator_form(project_a, note="说明\x0b文字")
    )
    assert response.status_code == 200
    assert UNWRITABLE_CHARACTER in html_of(response)
    assert not Indicator.objects.exists()
