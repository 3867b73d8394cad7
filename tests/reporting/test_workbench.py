"""The workbenches: the finance bureau's at `/` (status board, execution, results, to-do), the
department's for staff, the drill-down to a department and a project keeping the year and round,
the xlsx downloads — each reaching only what the user covers, in a fixed number of queries."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.models import DepartmentRateSnapshot
from performance.models import Indicator
from performance.values import parse_target
from tests.bureaus import two_bureaus
from tests.factories import ProjectFactory
from tests.tracking.season import (
    ALL_REACHED,
    ON_TRACK,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    self_evaluation_round,
    spend,
)
from tracking.choices import Light, NotificationKind, ReportStatus, Stage
from tracking.models import Notification, Report, ReportIndicator
from tracking.services import report_return, report_save, report_submit, round_open

from .conftest import department_indicator

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONITORING = "monitoring-2024-07-31"
EVALUATION = "self-evaluation-2024-12-31"


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def charts_of(html: str) -> dict:
    found = re.search(r'<script id="workbench-charts" type="application/json">(.*?)</script>', html)
    assert found, "the page embeds its chart data"
    return json.loads(found.group(1))


def book_of(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def rows_of(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def department_url(department, **query) -> str:
    url = reverse("reporting:workbench_department", args=[department.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def submitted(round_, project, alice, values=ON_TRACK, **fields) -> Report:
    report = report_of(round_, project)
    report = report_save(
        report=report,
        user=alice,
        version=report.version,
        data=report_input(project, values, **fields),
    )
    return report_submit(report=report, user=alice)


@pytest.fixture
def season(unit_a, unit_b, alice, bob, rita):
    """Department A (alice): three projects in the overdue monitoring round — one submitted,
    one returned with a reason, one not started — and its own report; department B (bob): one
    project, not started. A self-evaluation round closes in three days."""
    department_indicator(unit_a.department, "产出指标", "重点工作任务完成", "完成")
    sent = project_with_targets(unit_a, name="医保经办服务能力提升项目")
    fixed = project_with_targets(unit_a, name="参保群众满意度调查项目")
    idle = project_with_targets(unit_a, name="医保信息化建设项目")
    other = project_with_targets(unit_b, name="西峡县医保宣传项目")
    for project in (sent, fixed, idle, other):
        spend(project, "50", day=date(2024, 6, 30))
    round_ = monitoring_round()
    evaluation = self_evaluation_round(deadline=timezone.localdate() + timedelta(days=3))
    submitted(round_, sent, alice)
    back = submitted(round_, fixed, alice)
    report_return(report=back, user=rita, reason="满意度调查样本量不足，请补充说明")
    return {
        "round": round_,
        "evaluation": evaluation,
        "sent": sent,
        "fixed": fixed,
        "idle": idle,
        "other": other,
        "returned": Report.objects.get(round=round_, project=fixed),
        "submitted": Report.objects.get(round=round_, project=sent),
    }


# --- who reaches what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/reporting/workbench/departments/1/",
        "/reporting/workbench/projects/1/",
        "/reporting/workbench.xlsx",
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_reach_their_own_department_only(client_of, alice, season):
    client = client_of(alice)
    department_b = season["other"].department
    assert client.get(department_url(department_b)).status_code == 404
    project_url = reverse("reporting:workbench_project", args=[season["other"].pk])
    assert client.get(project_url).status_code == 404
    response = client.get(reverse("reporting:workbench_xlsx"), {"department": department_b.pk})
    # A staff member's download is always their own department, whatever they ask.
    book = book_of(response)
    cells = str([rows_of(sheet) for sheet in book.worksheets])
    assert "医保经办服务能力提升项目" in cells
    assert "西峡县医保宣传项目" not in cells and department_b.name not in cells


def test_a_reviewer_of_another_bureau_cannot_drill_into_a_department(client_of, db):
    bureaus = two_bureaus()
    client = client_of(bureaus.xixia.reviewer)
    assert client.get(department_url(bureaus.hongqi.department)).status_code == 404
    url = reverse("reporting:workbench_project", args=[bureaus.hongqi.project.pk])
    assert client.get(url).status_code == 404
    assert client.get(department_url(bureaus.xixia.department)).status_code == 200


# --- the finance bureau's workbench ------------------------------------------------------------


def test_the_reviewers_home_is_the_bureaus_workbench_on_the_latest_open_round(
    client_of, rita, season
):
    html = html_of(client_of(rita).get("/"))
    assert "<h1>财政局工作台</h1>" in html
    # The self-evaluation round (as of 31 December) is the latest open one.
    assert f'<option value="{EVALUATION}" selected>' in html
    assert "新乡市医疗保障局" in html and "西峡县医疗保障局本级" in html


def test_an_admin_sees_the_bureaus_workbench_and_an_empty_system_renders(client_of, adam):
    html = html_of(client_of(adam).get("/"))
    assert "<h1>财政局工作台</h1>" in html and "尚未开启填报轮次" in html


def test_the_status_board_counts_each_department_and_flags_the_late_one(
    client_of, rita, season, department_a, department_b
):
    html = html_of(client_of(rita).get("/", {"year": 2024, "round": MONITORING}))
    board = html[html.index('id="status-board"') :]
    row_a = board[board.index(f'data-department="{department_a.code}"') :]
    row_a = row_a[: row_a.index("</tr>")]
    params = f"year=2024&amp;round={MONITORING}"
    # 未填报 1, 草稿 0, 已提交 1, 已退回 1, 已审核 0 — each count links to its filtered list.
    for status, n in (("none", 1), ("submitted", 1), ("returned", 1)):
        link = f"{department_url(department_a)}?{params}&amp;status={status}#projects"
        assert f'href="{link}"' in row_a and f">{n}</a>" in row_a
    assert "33.33%" in row_a
    days = (timezone.localdate() - season["round"].deadline).days
    assert f"逾期 {days} 天" in row_a
    # The department drills down, the project count opens the project list filtered.
    assert f'href="{department_url(department_a)}?{params}"' in row_a
    project_list = (
        f"{reverse('budgets:project_list')}?year=2024&amp;department={department_a.pk}"
        "&amp;as_of=2024-07-31"
    )
    assert f'href="{project_list}">3</a>' in row_a
    queue = reverse("tracking:review_queue")
    queue += f"?department={department_a.pk}&amp;round={season['round'].pk}"
    assert f'href="{queue}">1</a>' in row_a
    # Its own report (部门整体) is a draft.
    own = Report.objects.get(round=season["round"], department=department_a)
    assert f'{reverse("tracking:report_detail", args=[own.pk])}">草稿</a>' in row_a


def test_the_board_sorts_and_filters(client_of, rita, season, department_a, department_b):
    client = client_of(rita)
    base = {"year": 2024, "round": MONITORING}
    html = html_of(client.get("/", {**base, "sort": "-percent"}))
    board = html[html.index('id="status-board"') :]
    assert board.index(f'data-department="{department_a.code}"') < board.index(
        f'data-department="{department_b.code}"'
    )
    html = html_of(client.get("/", {**base, "sort": "percent"}))
    board = html[html.index('id="status-board"') :]
    assert board.index(f'data-department="{department_b.code}"') < board.index(
        f'data-department="{department_a.code}"'
    )
    html = html_of(client.get("/", {**base, "show": "returned"}))
    board = html[html.index('id="status-board"') :]
    assert f'data-department="{department_a.code}"' in board
    assert f'data-department="{department_b.code}"' not in board
    html = html_of(client.get("/", {**base, "q": "西峡"}))
    board = html[html.index('id="status-board"') :]
    assert f'data-department="{department_a.code}"' not in board


def test_a_reviewer_covering_several_bureaus_sees_them_grouped_with_totals(client_of, db):
    bureaus = two_bureaus()
    html = html_of(client_of(bureaus.province).get("/"))
    board = html[html.index('id="status-board"') :]
    hongqi = board.index("410702 红旗区</th>")
    xixia = board.index("411323 西峡县</th>")
    assert hongqi < board.index("红旗区医疗保障局") < xixia < board.index("西峡县医疗保障局")
    html = html_of(client_of(bureaus.hongqi.reviewer).get("/"))
    assert 'scope="rowgroup"' not in html and "西峡县医疗保障局" not in html


def test_the_to_do_lists_the_queue_the_closing_round_and_the_late_one_with_chase(
    client_of, rita, season
):
    html = html_of(client_of(rita).get("/"))
    todo = html[html.index('id="todo"') : html.index('id="board"')]
    assert 'id="todo-queue"' in todo and "<strong>1</strong>" in todo
    review = reverse("tracking:report_review", args=[season["submitted"].pk])
    assert f'href="{review}"' in todo
    closing = todo[todo.index('id="closing-rounds"') :]
    assert "3 天" in closing and str(season["evaluation"]) in closing
    overdue = todo[todo.index('id="overdue-rounds"') : todo.index('id="closing-rounds"')]
    assert str(season["round"]) in overdue
    assert f'action="{reverse("tracking:round_chase", args=[season["round"].pk])}"' in overdue
    assert "新乡市医疗保障局</a>（2，部门整体未交）" in overdue


def test_staff_see_no_chase_button_and_no_queue(client_of, alice, season):
    html = html_of(client_of(alice).get("/"))
    assert "round_chase" not in html and "/chase/" not in html
    assert 'id="todo-queue"' not in html


# --- execution, results, charts -----------------------------------------------------------------


def test_execution_reads_rates_against_time_progress_and_warnings_per_department(
    client_of, rita, season, department_a
):
    html = html_of(client_of(rita).get("/", {"year": 2024, "round": MONITORING}))
    charts = charts_of(html)
    execution = charts["execution"]
    assert execution["markLine"] == {"name": "序时进度", "value": "58.20"}
    # 150 of 300 万元 spent by 31 July: a string rounded half-up, never a float.
    index = execution["categories"].index("新乡市医疗保障局")
    assert execution["series"][0]["data"][index] == "50.00"
    table = html[html.index('id="execution-table"') :]
    assert "300.00" in table and "150.00" in table and "50.00%" in table
    warnings = charts["warnings"]
    assert [s["name"] for s in warnings["series"]] == [
        "超支",
        "红色预警",
        "黄色预警",
        "正常",
        "无预算",
    ]
    green = next(s for s in warnings["series"] if s["name"] == "正常")
    assert green["data"][warnings["categories"].index("新乡市医疗保障局")] == 3


def test_the_trend_reads_the_last_snapshot_of_each_month(client_of, rita, season, department_a):
    for day, rate in (
        (date(2024, 1, 15), "1"),
        (date(2024, 1, 31), "8.335"),
        (date(2024, 2, 29), "16.7"),
    ):
        DepartmentRateSnapshot.objects.create(
            department=department_a,
            year=2024,
            as_of=day,
            initial=Decimal(300),
            adjusted=Decimal(300),
            executed=Decimal(300) * Decimal(rate) / 100,
            execution_rate=Decimal(rate),
            warning="green",
        )
    html = html_of(client_of(rita).get("/"))
    trend = charts_of(html)["trend"]
    assert trend["categories"] == ["1月", "2月"]
    (series, progress) = trend["series"]
    assert series == {"name": "新乡市医疗保障局", "data": ["8.34", "16.70"]}
    assert progress["name"] == "序时进度" and progress["dashed"]
    table = html[html.index('id="trend-table"') :]
    assert "8.34%" in table and "16.70%" in table


def test_results_show_grades_the_lowest_scores_and_the_deviating_indicators_with_causes(
    client_of, rita, alice, season, department_a
):
    evaluation = season["evaluation"]
    report = report_of(evaluation, season["sent"])
    report_save(
        report=report,
        user=alice,
        version=report.version,
        data=report_input(season["sent"], ALL_REACHED, summary="全部完成"),
    )
    low = report_of(evaluation, season["idle"])
    report_save(
        report=low,
        user=alice,
        version=low.version,
        data=report_input(
            season["idle"],
            {
                "参保人员培训人数": {
                    "actual_raw": "10人",
                    "cause_category": "经费保障",
                    "cause": "资金未到位",
                },
                "经办服务水平": {"actual_raw": "未达成"},
                "参保群众满意度": {"actual_raw": "50%"},
            },
        ),
    )
    scores = dict(
        Report.objects.filter(round=evaluation, project__isnull=False).values_list(
            "project__name", "score"
        )
    )
    assert scores["医保信息化建设项目"] < scores["医保经办服务能力提升项目"]
    html = html_of(client_of(rita).get("/", {"year": 2024, "round": EVALUATION}))
    lowest = html[html.index('id="lowest-table"') :]
    lowest = lowest[: lowest.index("</table>")]
    assert lowest.index("医保信息化建设项目") < lowest.index("医保经办服务能力提升项目")
    grades = charts_of(html)["grades"]
    assert sum(sum(s["data"]) for s in grades["series"]) == 2
    deviations = html[html.index('id="deviations-table"') :]
    deviations = deviations[: deviations.index("</table>")]
    assert "参保人员培训人数" in deviations and "经费保障 1" in deviations
    assert "资金未到位" in deviations


def test_monitoring_lights_and_deviations_come_from_the_reports(
    client_of, rita, season, department_a
):
    line = ReportIndicator.objects.filter(report=season["submitted"]).first()
    ReportIndicator.objects.filter(pk=line.pk).update(
        light=Light.RED, cause_category="人员保障", cause="人员调整，培训推迟"
    )
    Report.objects.filter(pk=season["submitted"].pk).update(target_light=Light.RED)
    html = html_of(client_of(rita).get("/", {"year": 2024, "round": MONITORING}))
    lights = charts_of(html)["lights"]
    red = next(s for s in lights["series"] if s["name"] == "红灯")
    assert red["data"] == [1]
    table = html[html.index('id="lights-table"') :]
    link = f"{department_url(department_a)}?year=2024&amp;round={MONITORING}&amp;light=red#projects"
    assert f'href="{link}">1</a>' in table
    deviations = html[html.index('id="deviations-table"') :]
    assert line.indicator.name in deviations and "人员调整，培训推迟" in deviations


def test_every_chart_has_a_box_and_its_data_and_the_scripts_come_from_static_files(
    client_of, rita, alice, season
):
    for user in (rita, alice):
        html = html_of(client_of(user).get("/"))
        charts = charts_of(html)
        boxes = re.findall(r'data-chart="([a-z]+)"', html)
        assert set(boxes) == set(charts) and len(boxes) == len(set(boxes))
        assert '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' in html
        assert '<script src="/static/js/workbench.js" defer></script>' in html
        for chart in charts.values():
            for series in chart["series"]:
                assert not any(isinstance(v, float) for v in series["data"])


# --- the department's workbench (staff home) --------------------------------------------------


def test_staff_home_lists_the_returned_report_first_with_its_reason_and_unread_reminders(
    client_of, alice, season
):
    Notification.objects.create(
        recipient=alice,
        kind=NotificationKind.DUE_SOON,
        subject_key="round:1",
        day=date(2024, 8, 1),
        subject="运行监控即将到期",
    )
    html = html_of(client_of(alice).get("/"))
    assert "单位工作台 · 新乡市医疗保障局" in html
    assert "西峡县" not in html
    tasks = html[html.index('id="report-tasks"') :]
    tasks = tasks[: tasks.index("</ol>")]
    first = re.search(r'<li class="(\w*)" data-status="(\w+)"', tasks)
    assert first.groups() == ("returned", "returned")
    assert "满意度调查样本量不足，请补充说明" in tasks
    edit = reverse("tracking:report_edit", args=[season["returned"].pk])
    assert f'href="{edit}"' in tasks
    assert "未读提醒（1）" in html and "运行监控即将到期" in html
    rounds = html[html.index('id="open-rounds"') :]
    days = (timezone.localdate() - season["round"].deadline).days
    assert f"已逾期 {days} 天" in rounds and "还剩 3 天" in rounds


def test_staff_see_red_and_over_budget_projects(client_of, alice, season):
    spend(season["idle"], "60", day=date(2024, 7, 1))  # 110 of 100: 超支
    html = html_of(client_of(alice).get("/", {"year": 2024, "round": MONITORING}))
    warned = html[html.index('id="warned-projects"') :]
    warned = warned[: warned.index("</table>")]
    assert "医保信息化建设项目" in warned and "超支" in warned
    assert "医保经办服务能力提升项目" not in warned


# --- drill-down --------------------------------------------------------------------------------


def test_a_department_lists_its_projects_filtered_by_status_with_breadcrumbs(
    client_of, rita, season, department_a
):
    html = html_of(
        client_of(rita).get(
            department_url(department_a, year=2024, round=MONITORING, status="submitted")
        )
    )
    crumbs = html[html.index('class="breadcrumbs') :]
    crumbs = crumbs[: crumbs.index("</nav>")]
    assert f'href="/?year=2024&amp;round={MONITORING}">财政局工作台</a>' in crumbs
    assert "新乡市医疗保障局" in crumbs
    table = html[html.index('id="project-table"') :]
    table = table[: table.index("</table>")]
    assert "医保经办服务能力提升项目" in table
    assert "医保信息化建设项目" not in table and "参保群众满意度调查项目" not in table
    review = reverse("tracking:report_review", args=[season["submitted"].pk])
    assert f'href="{review}">审核</a>' in table
    project = reverse("reporting:workbench_project", args=[season["sent"].pk])
    assert f'href="{project}?year=2024&amp;round={MONITORING}"' in table
    assert 'id="overdue-flag"' in html
    project_list = f"{reverse('budgets:project_list')}?year=2024&amp;department={department_a.pk}"
    assert project_list in html


def test_a_project_keeps_the_year_and_round_and_leads_to_its_report(
    client_of, rita, season, department_a
):
    url = reverse("reporting:workbench_project", args=[season["sent"].pk])
    html = html_of(client_of(rita).get(url, {"year": 2024, "round": MONITORING}))
    crumbs = html[html.index('class="breadcrumbs') :]
    crumbs = crumbs[: crumbs.index("</nav>")]
    assert f'href="/?year=2024&amp;round={MONITORING}">财政局工作台</a>' in crumbs
    assert f'href="{department_url(department_a)}?year=2024&amp;round={MONITORING}"' in crumbs
    current = html[html.index('id="current-report"') :]
    review = reverse("tracking:report_review", args=[season["submitted"].pk])
    assert f'href="{review}">已提交，去审核</a>' in current
    assert "150.00" not in html and "50.00%" in html  # its own 100 万元, half spent
    # A project has one year: another ?year= still shows its own year's rounds.
    html = html_of(client_of(rita).get(url, {"year": 2023, "round": MONITORING}))
    assert f'href="{review}">已提交，去审核</a>' in html


def test_an_unknown_round_is_ignored_with_a_message(client_of, rita, season):
    html = html_of(client_of(rita).get("/", {"year": 2024, "round": "no-such-round"}))
    assert "轮次“no-such-round”不是2024年的填报轮次，已忽略" in html
    assert f'<option value="{EVALUATION}" selected>' in html


def test_a_year_without_rounds_still_shows_its_money(client_of, rita, season, unit_a):
    ProjectFactory(unit=unit_a, year=2023, code="410700230000000000001", name="旧项目")
    html = html_of(client_of(rita).get("/", {"year": 2023, "round": MONITORING}))
    assert "2023年尚未开启填报轮次" in html and "已忽略" not in html


# --- downloads ----------------------------------------------------------------------------------


def test_every_table_downloads_as_xlsx_with_chinese_headers(client_of, rita, season):
    client = client_of(rita)
    html = html_of(client.get("/", {"year": 2024, "round": MONITORING}))
    links = re.findall(r'<a href="([^"]+)" download>(导出[^<]*)</a>', html)
    names = {re.search(r"table=(\w*)", href.replace("&amp;", "&")) for href, _ in links}
    assert {m.group(1) for m in names if m} >= {"board", "execution", "trend", "grades", "todo"}
    href = next(h for h, text in links if text.startswith("导出填报状态")).replace("&amp;", "&")
    book = book_of(client.get(href))
    (sheet,) = book.worksheets
    rows = rows_of(sheet)
    assert rows[0][:5] == ["区划", "部门编码", "部门名称", "项目数", "未填报"]
    row = next(r for r in rows if r[2] == "新乡市医疗保障局")
    assert row[1] == "309" and row[3] == 3 and row[9] == pytest.approx(33.33)
    every = book_of(
        client.get(reverse("reporting:workbench_xlsx"), {"year": 2024, "round": MONITORING})
    )
    assert every.sheetnames == [
        "填报状态",
        "预算执行",
        "项目预警",
        "执行率趋势",
        "自评得分",
        "监控亮灯",
        "得分最低的项目",
        "偏差最多的指标",
        "待办",
    ]


def test_text_cells_stay_text_never_a_formula(client_of, rita, season, department_a):
    department_a.name = '=HYPERLINK("http://evil","点我")'
    department_a.save()
    response = client_of(rita).get(reverse("reporting:workbench_xlsx"), {"table": "board"})
    sheet = book_of(response).worksheets[0]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == department_a.name)
    assert cell.data_type == "s"


def test_a_department_downloads_its_projects_with_the_pages_filter(
    client_of, rita, season, department_a
):
    response = client_of(rita).get(
        reverse("reporting:workbench_xlsx"),
        {
            "year": 2024,
            "round": MONITORING,
            "department": department_a.pk,
            "table": "projects",
            "status": "returned",
        },
    )
    rows = rows_of(book_of(response)["项目"])
    assert rows[0][:3] == ["项目编码", "项目名称", "填报状态"]
    assert [r[1] for r in rows[1:]] == ["参保群众满意度调查项目"]
    assert isinstance(rows[1][0], str)


# --- constant queries ---------------------------------------------------------------------------

STATUSES = [
    None,
    ReportStatus.DRAFT,
    ReportStatus.SUBMITTED,
    ReportStatus.RETURNED,
    ReportStatus.APPROVED,
]


def seasons(unit_a, unit_b, alice):
    """Both rounds (the monitoring one overdue, the self-evaluation closing in two days), a
    department report, snapshots and reminders: every part of both workbenches has rows."""
    department_indicator(unit_a.department, "产出指标", "重点工作任务完成", "完成")
    round_ = monitoring_round()
    evaluation = round_open(
        year=2024,
        stage=Stage.SELF_EVALUATION,
        as_of=date(2024, 12, 31),
        deadline=timezone.localdate() + timedelta(days=2),
        division=round_.division,
    )[0]
    for department in (unit_a.department, unit_b.department):
        for month in (1, 2, 3):
            DepartmentRateSnapshot.objects.create(
                department=department,
                year=2024,
                as_of=date(2024, month, 28),
                initial=Decimal(100),
                adjusted=Decimal(100),
                executed=Decimal(10 * month),
                execution_rate=Decimal(10 * month),
                warning="green",
            )
    for n in range(3):
        Notification.objects.create(
            recipient=alice,
            kind=NotificationKind.OVERDUE,
            subject_key=f"round:{n}",
            day=date(2024, 9, n + 1),
            subject=f"提醒{n}",
        )
    return round_, evaluation


def add_projects(rounds, unit_a, unit_b, alice, start: int, count: int) -> None:
    """Projects of both departments with reports of every status, each with a deviating line
    and a cause, and a scored self-evaluation draft."""
    round_, evaluation = rounds
    for n in range(start, start + count):
        unit = unit_a if n % 2 == 0 else unit_b
        project = ProjectFactory(unit=unit, name=f"项目{n}", initial_budget=Decimal(100))
        spend(project, str(10 + n % 120), day=date(2024, 6, 30))
        status = STATUSES[n % len(STATUSES)]
        if status is None:
            continue
        sent = status != ReportStatus.DRAFT
        report = Report.objects.create(
            round=round_,
            project=project,
            status=status,
            target_light=(Light.RED, Light.GREEN, Light.YELLOW)[n % 3],
            submitted_at=timezone.now() if sent else None,
            submitted_by=alice if sent else None,
            return_reason="请补充" if status == ReportStatus.RETURNED else "",
        )
        indicator = Indicator(project=project, level1="产出指标", name="培训人数")
        indicator.set_target(parse_target("≥100人", 2024))
        indicator.save()
        ReportIndicator.objects.create(
            report=report,
            indicator=indicator,
            light=Light.RED,
            cause_category="经费保障",
            cause=f"原因{n % 4}",
        )
        Report.objects.create(
            round=evaluation,
            project=project,
            status=ReportStatus.DRAFT,
            score=Decimal(50 + n % 50),
            grade="中",
        )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("user", ["rita", "alice"])
def test_the_pages_run_the_same_queries_for_5_and_50_projects(
    request, client_of, unit_a, unit_b, alice, rita, user
):
    rounds = seasons(unit_a, unit_b, alice)
    client = client_of(request.getfixturevalue(user))
    department = unit_a.department
    urls = [
        "/",
        f"/?year=2024&round={MONITORING}&sort=-percent",
        department_url(department, year=2024, round=MONITORING),
        department_url(department, year=2024, round=EVALUATION, grade="中"),
        f"{reverse('reporting:workbench_xlsx')}?year=2024&round={MONITORING}",
        f"{reverse('reporting:workbench_xlsx')}?department={department.pk}",
    ]
    add_projects(rounds, unit_a, unit_b, alice, 0, 5)
    project = Report.objects.filter(project__department=department).first().project
    urls.append(f"{reverse('reporting:workbench_project', args=[project.pk])}?year=2024")
    small = [count_queries(client, url) for url in urls]
    add_projects(rounds, unit_a, unit_b, alice, 5, 45)
    large = [count_queries(client, url) for url in urls]
    assert small == large
