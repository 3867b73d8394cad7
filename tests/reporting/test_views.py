"""The official tables' pages: 预算11表 printable and as xlsx, 预算12表 as xlsx — each user
reaches the departments it covers only; another's is a 404, never its targets."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.bureaus import two_bureaus
from tests.factories import ProjectFactory, UnitFactory
from tests.performance.conftest import complete_targets

from .conftest import department_goal, department_indicator

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AMBIGUOUS = "部门编码“060”在多个区划中都有：410702/060、411323/060，请写成“区划编码/部门编码”"


def book_of(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def page(**query) -> str:
    url = reverse("reporting:table_11")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- no access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["reporting:table_11", "reporting:table_11_xlsx", "reporting:table_12_xlsx"]
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_bob_cannot_see_alices_departments_tables(client_of, bob, department_a, project_a):
    department_indicator(department_a, "产出指标", "爱丽丝的指标", "完成")
    client = client_of(bob)
    for name in ("reporting:table_11", "reporting:table_11_xlsx", "reporting:table_12_xlsx"):
        response = client.get(reverse(name), {"year": "2024", "department": "309"})
        assert response.status_code == 404, name
    for name in ("reporting:table_11_xlsx", "reporting:table_12_xlsx"):
        content = client.get(reverse(name), {"year": "2024"}).content
        assert book_of(content).sheetnames == ["044 西峡县医疗保障局本级"]
        assert project_a.name.encode() not in content and "爱丽丝的指标".encode() not in content
    html = html_of(client.get(page(year=2024)))
    assert "西峡县医疗保障局本级" in html and "爱丽丝的指标" not in html
    assert "新乡市医疗保障局" not in html


def test_the_tables_accept_get_only(client_of, alice, department_a):
    for name in ("reporting:table_11", "reporting:table_11_xlsx", "reporting:table_12_xlsx"):
        assert client_of(alice).post(reverse(name)).status_code == 405


# --- the printable 预算11表 ----------------------------------------------------------------------


@pytest.fixture
def targets_of_a(department_a, project_a, stated_targets):
    department_goal(department_a, "履职目标", 1, "强化资产配置预算管理。")
    department_goal(department_a, "主要任务", 1, "医保系统运行维护费", "保障参保人员业务正常办理")
    return department_a


def test_staff_print_their_departments_11_table(client_of, alice, targets_of_a):
    html = html_of(client_of(alice).get(page(year=2024)))
    assert "<h1>部门（单位）整体绩效目标表</h1>" in html
    assert "（2024年度）" in html and "部门名称：新乡市医疗保障局" in html
    assert 'rowspan="2"' in html  # 年度主要任务 over its header and task
    assert ">目标1：强化资产配置预算管理。</td>" in html
    assert ">医保系统运行维护费</td>" in html
    assert ">≥90%</td>" in html and "≥ 90 %" not in html
    assert '<td colspan="2" class="num ">50.00</td>' in html  # 项目支出
    assert "data-print" in html
    assert f"{reverse('reporting:table_11_xlsx')}?year=2024&amp;department=410700/309" in html


def test_the_printable_11_table_shows_no_computed_figure_or_actual(client_of, alice, targets_of_a):
    html = html_of(client_of(alice).get(page(year=2024)))
    for word in ("系统计算", "达成情况", "达到", "执行率：", "截至"):
        assert word not in html, word


def test_a_department_without_targets_prints_the_computed_indicators_empty(
    client_of, bob, targets_of_a, department_b
):
    html = html_of(client_of(bob).get(page(year=2024)))
    assert '>预算执行率</td><td class=""></td>' in html
    assert "年度履职目标相关性" not in html and "强化资产配置" not in html


def test_the_reviewer_chooses_a_department(client_of, rita, targets_of_a, project_b):
    client = client_of(rita)
    html = html_of(client.get(page(year=2024, department="044")))
    assert "部门名称：西峡县医疗保障局本级" in html and "年度履职目标相关性" not in html
    assert '<option value="410700/309">309 新乡市医疗保障局</option>' in html
    html = html_of(client.get(page(year=2024, department="309")))
    assert "部门名称：新乡市医疗保障局" in html and "年度履职目标相关性" in html


def test_a_bad_year_is_ignored_with_a_message(client_of, alice, targets_of_a):
    html = html_of(client_of(alice).get(page(year="abc")))
    assert "年度“abc”无效" in html and "部门名称：新乡市医疗保障局" in html


def test_the_printable_11_table_reads_the_same_queries_for_few_and_many_targets(
    client_of, alice, department_a, project_a
):
    client = client_of(alice)

    def run() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(year=2024)).status_code == 200
        return len(queries)

    department_indicator(department_a, "产出指标", "指标0", "完成")
    department_goal(department_a, "主要任务", 1, "任务1")
    one = run()
    for n in range(1, 20):
        department_indicator(department_a, "产出指标", f"指标{n}", "完成")
        department_goal(department_a, "主要任务", n + 1, f"任务{n + 1}")
        department_goal(department_a, "履职目标", n, f"目标{n}")
    assert run() == one


# --- the downloads ------------------------------------------------------------------------------


def test_staff_download_their_departments_tables(client_of, alice, project_a, project_b):
    complete_targets(project_a)
    complete_targets(project_b)
    client = client_of(alice)
    for name in ("reporting:table_12_xlsx", "reporting:table_11_xlsx"):
        response = client.get(reverse(name), {"year": "2024"})
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX
        assert "attachment" in response["Content-Disposition"]
        assert "filename*=utf-8''2024" in response["Content-Disposition"]
        assert book_of(response.content).sheetnames == ["309 新乡市医疗保障局"]


def test_names_holding_control_characters_download_without_them(client_of, alice, project_a):
    """Stored before the forms refused them, or written another way: sheet names and cells
    leave out what no xlsx can hold, and the file opens."""
    from budgets.models import Department
    from performance.models import Indicator

    complete_targets(project_a)
    Department.objects.filter(pk=project_a.department_id).update(name="新乡市\x0b医疗保障局")
    Indicator.objects.filter(project=project_a, name="项目成本").update(name="项目\x01成本")
    department_indicator(project_a.department, "产出指标", "培训\x0b人数", "≥100人")
    client = client_of(alice)
    for name in ("reporting:table_12_xlsx", "reporting:table_11_xlsx"):
        response = client.get(reverse(name), {"year": "2024"})
        assert response.status_code == 200
        book = book_of(response.content)
        assert book.sheetnames == ["309 新乡市医疗保障局"]
        texts = {c.value for row in book.active.iter_rows() for c in row}
        assert ("项目成本" if name == "reporting:table_12_xlsx" else "培训人数") in texts


def test_the_reviewer_downloads_every_department_or_one(client_of, rita, project_a, project_b):
    client = client_of(rita)
    for name in ("reporting:table_11_xlsx", "reporting:table_12_xlsx"):
        url = reverse(name)
        assert book_of(client.get(url, {"year": "2024"}).content).sheetnames == [
            "044 西峡县医疗保障局本级",
            "309 新乡市医疗保障局",
        ]
        one = client.get(url, {"year": "2024", "department": "044"})
        assert book_of(one.content).sheetnames == ["044 西峡县医疗保障局本级"]


def test_the_downloads_read_the_same_queries_for_one_department_and_for_many(
    client_of, rita, project_a
):
    client = client_of(rita)

    def run(name: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name), {"year": "2024"}).status_code == 200
        return len(queries)

    complete_targets(project_a)
    before = {name: run(name) for name in ("reporting:table_11_xlsx", "reporting:table_12_xlsx")}
    for _ in range(5):
        unit = UnitFactory()
        complete_targets(ProjectFactory(unit=unit))
        department_indicator(unit.department, "产出指标", "任务完成", "完成")
    after = {name: run(name) for name in before}
    assert after == before


def test_the_old_performance_urls_lead_to_the_downloads(client_of, alice, project_a):
    client = client_of(alice)
    for old, name in (
        ("/performance/tables/11/", "reporting:table_11_xlsx"),
        ("/performance/tables/12/", "reporting:table_12_xlsx"),
    ):
        response = client.get(old, {"year": "2024", "department": "309"})
        assert response.status_code == 302
        assert response["Location"] == f"{reverse(name)}?year=2024&department=309"
        assert client.get(response["Location"]).status_code == 200


def test_the_review_list_links_the_tables(client_of, alice, project_a):
    html = html_of(client_of(alice).get(reverse("performance:review_list"), {"year": "2024"}))
    for name in ("reporting:table_11", "reporting:table_11_xlsx", "reporting:table_12_xlsx"):
        assert f'href="{reverse(name)}?year=2024"' in html, name


# --- two finance bureaus (区划) whose departments share the code 060 -----------------------------


@pytest.fixture
def bureaus(db):
    return two_bureaus()


def table_urls(bureau) -> list[str]:
    ref = bureau.department.ref
    return [
        page(year=2024, department=ref),
        f"{reverse('reporting:table_11_xlsx')}?year=2024&department={ref}",
        f"{reverse('reporting:table_12_xlsx')}?year=2024&department={ref}",
    ]


@pytest.mark.parametrize("actor", ["reviewer", "staff"])
def test_a_bureau_cannot_reach_the_tables_of_another_bureau(client_of, bureaus, actor):
    for own, other in ((bureaus.hongqi, bureaus.xixia), (bureaus.xixia, bureaus.hongqi)):
        client = client_of(getattr(own, actor))
        for url in table_urls(other):
            assert client.get(url).status_code == 404, url
        for url in table_urls(own):
            assert client.get(url).status_code == 200, url


def test_a_city_bureau_with_subordinates_reads_its_countys_tables_only(client_of, bureaus):
    client = client_of(bureaus.city)
    for url in table_urls(bureaus.hongqi):
        assert client.get(url).status_code == 200, url
    for url in table_urls(bureaus.xixia):
        assert client.get(url).status_code == 404, url


def test_a_bare_code_of_several_divisions_is_refused_by_downloads_and_ignored_by_the_page(
    client_of, bureaus
):
    client = client_of(bureaus.province)
    for name in ("reporting:table_11_xlsx", "reporting:table_12_xlsx"):
        response = client.get(f"{reverse(name)}?year=2024&department=060")
        assert response.status_code == 400, name
        assert response.content.decode() == AMBIGUOUS
    html = html_of(client.get(page(year=2024, department="060")))
    assert f"{AMBIGUOUS}，已忽略" in html
    assert '<option value="411323/060">西峡县 · 060 西峡县医疗保障局</option>' in html
    one = html_of(client.get(page(year=2024, department="411323/060")))
    assert "部门名称：西峡县医疗保障局" in one


def test_a_bare_department_code_means_the_one_the_user_may_see(client_of, bureaus):
    for bureau in (bureaus.hongqi, bureaus.xixia):
        for user in (bureau.staff, bureau.reviewer):
            html = html_of(client_of(user).get(page(year=2024, department="060")))
            assert f"部门名称：{bureau.department.name}" in html
