"""An open round past its deadline is marked 已逾期 on the list and on its page, with the
days late and the departments and projects not submitted (no report, a draft or a returned
report); the 催办 button shows only then, and only to whom may chase."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import DepartmentFactory, UnitFactory
from tracking.choices import Stage
from tracking.services import (
    report_return,
    report_save,
    report_submit,
    round_close,
    round_open,
)

from .season import (
    ON_TRACK,
    bureau,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    spend,
)

pytestmark = pytest.mark.django_db

LIST = reverse("tracking:round_list")
DEADLINE = date(2024, 8, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")
CHASE_BUTTON = "催办逾期部门"


def at(day: date, hour: int = 10):
    """Travel to that Shanghai day (the UTC clock may still be on the day before)."""
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False
    )


def detail(round_) -> str:
    return reverse("tracking:round_detail", args=[round_.pk])


def submitted(round_, project, user):
    report = report_of(round_, project)
    report = report_save(
        report=report, user=user, version=report.version, data=report_input(project, ON_TRACK)
    )
    return report_submit(report=report, user=user)


@pytest.fixture
def season(alice, bob, rita, unit_a, unit_b):
    """Department A: one project submitted, one in draft; department B: one returned, one not
    started. Late: A's draft, B's returned and not started."""
    round_ = monitoring_round(deadline=DEADLINE)
    done = project_with_targets(unit_a, name="甲已提交项目")
    spend(done, "50")
    submitted(round_, done, alice)
    report_of(round_, project_with_targets(unit_a, name="甲草稿项目"))
    back = project_with_targets(unit_b, name="乙退回项目")
    spend(back, "50")
    report_return(report=submitted(round_, back, bob), user=rita, reason="请核实")
    project_with_targets(unit_b, name="乙未填报项目")
    return round_


def late_names(html: str) -> str:
    return " ".join(re.findall(r"<li>(.*?)</li>", html, re.S))


def test_the_list_marks_an_overdue_round_with_days_and_who_is_late(client_of, rita, season):
    # 01:00 on 23 August in Shanghai is still the 22nd in UTC: Shanghai's day counts.
    with at(date(2024, 8, 23), hour=1):
        response = client_of(rita).get(LIST)
    html = response.content.decode()
    assert "已逾期 3 天" in html
    (progress,) = response.context["open_rounds"]
    late = progress.late
    assert late.days == 3
    assert [(d.name, [n for _, n in d.projects]) for d in late.departments] == [
        ("西峡县医疗保障局本级", ["乙退回项目", "乙未填报项目"]),
        ("新乡市医疗保障局", ["甲草稿项目"]),
    ]
    names = late_names(html)
    for name in (
        "新乡市医疗保障局",
        "西峡县医疗保障局本级",
        "甲草稿项目",
        "乙退回项目",
        "乙未填报项目",
    ):
        assert name in names
    assert "甲已提交项目" not in names
    assert "2个部门、3个项目未提交" in html
    # The list leads the reviewer to the round page, where the 催办 button is.
    assert f'href="{detail(season)}#overdue"' in html


def test_the_round_page_marks_it_overdue_and_offers_催办(client_of, rita, season):
    with at(date(2024, 8, 23)):
        html = client_of(rita).get(detail(season)).content.decode()
    state = re.search(r'<dd id="round-state">(.*?)</dd>', html, re.S).group(1)
    assert "已逾期 3 天" in state and "开放填报" not in state.replace("仍开放填报", "")
    section = re.search(r'<section class="card" id="overdue">(.*?)</section>', html, re.S).group(1)
    assert "2个部门、3个项目" in section
    for name in (
        "新乡市医疗保障局",
        "西峡县医疗保障局本级",
        "甲草稿项目",
        "乙退回项目",
        "乙未填报项目",
    ):
        assert name in section
    assert "甲已提交项目" not in section
    assert CHASE_BUTTON in section
    assert reverse("tracking:round_chase", args=[season.pk]) in section


def test_the_chase_from_the_round_page_reaches_the_late_departments(client_of, rita, season):
    with at(date(2024, 8, 23)):
        response = client_of(rita).post(
            reverse("tracking:round_chase", args=[season.pk]), follow=True
        )
    assert "已向2个逾期部门的2名经办人发送催办提醒" in response.content.decode()


def test_staff_see_their_own_department_late_and_no_chase_button(client_of, alice, season):
    with at(date(2024, 8, 23)):
        client = client_of(alice)
        list_html = client.get(LIST).content.decode()
        page = client.get(detail(season)).content.decode()
    for html in (list_html, page):
        assert "已逾期 3 天" in html
        assert "甲草稿项目" in late_names(html)
        assert "西峡县医疗保障局本级" not in html and "乙未填报项目" not in html
    assert "#overdue" not in list_html
    assert CHASE_BUTTON not in page


@pytest.mark.parametrize("day", [date(2024, 8, 19), DEADLINE])
def test_nothing_is_overdue_before_or_on_the_deadline(client_of, rita, season, day):
    # 23:00 on the deadline in Shanghai is the deadline still.
    with at(day, hour=23):
        client = client_of(rita)
        list_html = client.get(LIST).content.decode()
        page = client.get(detail(season)).content.decode()
    for html in (list_html, page):
        assert "已逾期" not in html and "开放填报" in html
    assert 'id="overdue"' not in page and CHASE_BUTTON not in page


def test_a_closed_round_is_never_overdue(client_of, rita, season):
    round_close(round_=season, user=rita)
    with at(date(2024, 9, 30)):
        client = client_of(rita)
        list_html = client.get(LIST).content.decode()
        page = client.get(detail(season)).content.decode()
    for html in (list_html, page):
        assert "已逾期" not in html
    assert "已关闭" in page and CHASE_BUTTON not in page


def test_an_overdue_round_with_everything_submitted_has_nobody_to_chase(
    client_of, alice, rita, unit_a
):
    round_ = monitoring_round(deadline=DEADLINE)
    project = project_with_targets(unit_a)
    spend(project, "50")
    submitted(round_, project, alice)
    with at(date(2024, 8, 25)):
        client = client_of(rita)
        list_html = client.get(LIST).content.decode()
        page = client.get(detail(round_)).content.decode()
    for html in (list_html, page):
        assert "已逾期" not in html and "已过截止日期 5 天，报告均已提交" in html
    assert CHASE_BUTTON not in page


def _late_department(round_, n: int) -> None:
    """A department with three late projects: two drafts and one not started."""
    unit = UnitFactory(department=DepartmentFactory(code=f"9{n:02d}", name=f"逾期部门{n}"))
    for m in range(2):
        report_of(round_, project_with_targets(unit, name=f"逾期部门{n}草稿{m}"))
    project_with_targets(unit, name=f"逾期部门{n}未填报")


def test_the_list_and_the_page_run_the_same_queries_for_one_or_many_rounds(client_of, rita, unit_a):
    client = client_of(rita)
    first = monitoring_round(deadline=DEADLINE)
    _late_department(first, 1)
    with at(date(2024, 8, 23)):
        client.get(LIST)
        with CaptureQueriesContext(connection) as few_list:
            assert "已逾期 3 天" in client.get(LIST).content.decode()
        with CaptureQueriesContext(connection) as few_page:
            client.get(detail(first))
    for month in (3, 4, 5):
        round_, _ = round_open(
            year=2024,
            stage=Stage.MONITORING,
            as_of=date(2024, month, 31 if month != 4 else 30),
            deadline=date(2024, 8, 1),
            division=bureau(),
        )
        report_of(round_, project_with_targets(unit_a, name=f"{month}月项目"))
    for n in range(2, 6):
        _late_department(first, n)
    with at(date(2024, 8, 23)):
        with CaptureQueriesContext(connection) as many_list:
            response = client.get(LIST)
        with CaptureQueriesContext(connection) as many_page:
            page = client.get(detail(first)).content.decode()
    assert sum(1 for p in response.context["open_rounds"] if p.late) == 4
    assert "逾期部门5" in page
    assert len(few_list) == len(many_list)
    assert len(few_page) == len(many_page)


def test_the_round_pages_department_filter_narrows_who_is_shown_late(
    client_of, rita, season, unit_b
):
    with at(date(2024, 8, 23)):
        response = client_of(rita).get(detail(season), {"department": unit_b.department_id})
    section = re.search(
        r'<section class="card" id="overdue">(.*?)</section>', response.content.decode(), re.S
    ).group(1)
    assert "1个部门、2个项目" in section and "乙退回项目" in section
    assert "甲草稿项目" not in section and CHASE_BUTTON in section
