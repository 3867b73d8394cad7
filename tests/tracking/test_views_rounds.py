"""Round pages: the list, opening/closing/moving a round, one round's projects, and the
pre-filled 实际完成 sheet (download, fill, upload back)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import Project
from budgets.params import DATE_IMPLAUSIBLE
from tests.budgets.workbooks import database_state
from tests.factories import ProjectFactory, UnitFactory
from tracking.choices import ReportStatus, Stage
from tracking.models import Report, Round
from tracking.services import (
    ROUND_AS_OF_OUTSIDE_YEAR,
    ROUND_DEADLINE_BEFORE_AS_OF,
    report_save,
    report_submit,
)
from tracking.views.rounds import (
    DEADLINE_MOVED,
    ROUND_CLOSED_DONE,
    ROUND_OPENED,
    ROUND_REOPENED,
)

from .season import (
    ON_TRACK,
    bureau,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    self_evaluation_round,
    spend,
)

pytestmark = pytest.mark.django_db

LIST = reverse("tracking:round_list")
CREATE = reverse("tracking:round_create")


def detail(round_: Round) -> str:
    return reverse("tracking:round_detail", args=[round_.pk])


def edit(round_: Round) -> str:
    return reverse("tracking:round_edit", args=[round_.pk])


# --- no access --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("tracking:round_list", []),
        ("tracking:round_detail", [1]),
        ("tracking:round_edit", [1]),
        ("tracking:round_sheet_download", [1]),
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_cannot_open_a_round(client_of, alice):
    client = client_of(alice)
    before = database_state()
    response = client.post(
        CREATE,
        {"year": 2024, "stage": Stage.MONITORING, "as_of": "2024-07-31", "deadline": "2024-08-20"},
    )
    assert response.status_code == 403
    assert database_state() == before


@pytest.mark.parametrize("action", ["close", "reopen", "deadline"])
def test_staff_cannot_close_reopen_or_move_a_round(client_of, alice, action):
    round_ = monitoring_round()
    client = client_of(alice)
    before = database_state()
    response = client.post(edit(round_), {"action": action, "deadline": "2024-12-01"})
    assert response.status_code == 403
    assert client.get(edit(round_)).status_code == 403
    assert database_state() == before


# --- the list ---------------------------------------------------------------------------


def test_the_reviewer_opens_a_round_from_the_list(client_of, rita, unit_a):
    project_with_targets(unit_a)
    client = client_of(rita)
    assert "开启填报轮次" in client.get(LIST).content.decode()
    response = client.post(
        CREATE,
        {"year": 2024, "stage": Stage.MONITORING, "as_of": "2024-07-31", "deadline": "2024-08-20"},
        follow=True,
    )
    round_ = Round.objects.get()
    assert (round_.year, round_.stage, round_.as_of, round_.deadline, round_.is_open) == (
        2024,
        Stage.MONITORING,
        date(2024, 7, 31),
        date(2024, 8, 20),
        True,
    )
    assert round_.opened_by == rita
    assert response.redirect_chain[-1][0] == detail(round_)
    assert ROUND_OPENED.format(round=round_, deadline=round_.deadline) in response.content.decode()


def test_a_deadline_before_the_cut_off_is_refused_with_its_message(client_of, rita):
    response = client_of(rita).post(
        CREATE,
        {"year": 2024, "stage": Stage.MONITORING, "as_of": "2024-07-31", "deadline": "2024-07-01"},
    )
    assert response.status_code == 400
    assert ROUND_DEADLINE_BEFORE_AS_OF in response.content.decode()
    assert not Round.objects.exists()


def test_a_cut_off_outside_the_year_is_refused(client_of, rita):
    response = client_of(rita).post(
        CREATE,
        {"year": 2024, "stage": Stage.MONITORING, "as_of": "2025-01-31", "deadline": "2025-02-01"},
    )
    assert response.status_code == 400
    assert ROUND_AS_OF_OUTSIDE_YEAR.format(year=2024) in response.content.decode()
    assert not Round.objects.exists()


def test_the_reviewer_sees_submitted_over_total_per_round(client_of, rita, alice, unit_a, unit_b):
    round_ = monitoring_round()
    done = project_with_targets(unit_a, name="已提交项目")
    project_with_targets(unit_a, name="草稿项目")
    project_with_targets(unit_b, name="乙部门项目")
    report = report_of(round_, done)
    report_save(
        report=report, user=alice, version=report.version, data=report_input(done, ON_TRACK)
    )
    spend(done, "50")
    report_submit(report=report, user=alice)
    response = client_of(rita).get(LIST)
    (progress,) = response.context["open_rounds"]
    assert (progress.done, progress.total) == (1, 3)
    assert "1/3" in response.content.decode()


def test_staff_see_their_own_departments_progress_only(client_of, alice, unit_a, unit_b):
    round_ = monitoring_round()
    project_with_targets(unit_a)
    other = project_with_targets(unit_b, name="乙部门项目")
    report_of(round_, other)
    response = client_of(alice).get(LIST)
    (progress,) = response.context["open_rounds"]
    assert (progress.started, progress.total) == (0, 1)
    assert "开启填报轮次" not in response.content.decode()


def test_the_list_runs_the_same_queries_for_few_and_many_rounds(client_of, rita, unit_a):
    project_with_targets(unit_a)
    client = client_of(rita)
    monitoring_round()
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for month in range(1, 10):
        Round.objects.create(
            division=bureau(),
            year=2024,
            stage=Stage.MONITORING,
            as_of=date(2024, month, 1),
            deadline=date(2024, 12, 1),
        )
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(few) == len(many)


# --- editing a round ---------------------------------------------------------------------


def test_the_reviewer_closes_and_reopens_a_round(client_of, rita):
    round_ = monitoring_round()
    client = client_of(rita)
    response = client.post(edit(round_), {"action": "close"}, follow=True)
    round_.refresh_from_db()
    assert not round_.is_open and round_.closed_at is not None
    assert ROUND_CLOSED_DONE.format(round=round_) in response.content.decode()
    response = client.post(edit(round_), {"action": "reopen"}, follow=True)
    round_.refresh_from_db()
    assert round_.is_open and round_.closed_at is None
    assert ROUND_REOPENED.format(round=round_) in response.content.decode()


def test_moving_the_deadline_keeps_a_closed_round_closed(client_of, rita):
    round_ = monitoring_round()
    client = client_of(rita)
    client.post(edit(round_), {"action": "close"})
    response = client.post(
        edit(round_), {"action": "deadline", "deadline": "2024-09-30"}, follow=True
    )
    round_.refresh_from_db()
    assert round_.deadline == date(2024, 9, 30)
    assert not round_.is_open
    text = DEADLINE_MOVED.format(round=round_, deadline=date(2024, 9, 30))
    assert text in response.content.decode()


def test_a_deadline_cannot_move_before_the_cut_off(client_of, rita):
    round_ = monitoring_round()
    response = client_of(rita).post(edit(round_), {"action": "deadline", "deadline": "2024-07-01"})
    assert response.status_code == 400
    assert ROUND_DEADLINE_BEFORE_AS_OF in response.content.decode()
    round_.refresh_from_db()
    assert round_.deadline == date(2024, 8, 20)


def test_a_deadline_in_the_year_9999_is_refused_naming_the_date(client_of, rita):
    round_ = monitoring_round()
    response = client_of(rita).post(edit(round_), {"action": "deadline", "deadline": "9999-12-31"})
    assert response.status_code == 400
    message = DATE_IMPLAUSIBLE.format(day="9999-12-31", first=2000, last=2100)
    assert message == "日期9999-12-31无效，应在2000—2100年之间"
    assert message in response.content.decode()
    round_.refresh_from_db()
    assert round_.deadline == date(2024, 8, 20)


def test_a_round_in_the_year_0001_is_refused(client_of, rita):
    response = client_of(rita).post(
        CREATE,
        {"year": 2024, "stage": Stage.MONITORING, "as_of": "2024-07-31", "deadline": "0001-01-01"},
    )
    assert response.status_code == 400
    assert DATE_IMPLAUSIBLE.format(day="0001-01-01", first=2000, last=2100) in (
        response.content.decode()
    )
    assert not Round.objects.exists()


# --- one round ----------------------------------------------------------------------------


def test_staff_see_their_departments_projects_only(client_of, alice, unit_a, unit_b):
    round_ = monitoring_round()
    mine = project_with_targets(unit_a, name="甲部门项目")
    theirs = project_with_targets(unit_b, name="乙部门项目")
    # A department filter naming another department is ignored for staff.
    response = client_of(alice).get(detail(round_), {"department": theirs.department_id})
    html = response.content.decode()
    assert mine.name in html and theirs.name not in html


def test_the_reviewer_sees_all_departments_or_filters_one(client_of, rita, unit_a, unit_b):
    round_ = monitoring_round()
    mine = project_with_targets(unit_a, name="甲部门项目")
    theirs = project_with_targets(unit_b, name="乙部门项目")
    client = client_of(rita)
    html = client.get(detail(round_)).content.decode()
    assert mine.name in html and theirs.name in html
    html = client.get(detail(round_), {"department": theirs.department_id}).content.decode()
    assert mine.name not in html and theirs.name in html


def test_a_round_shows_status_lights_warning_and_deviations(client_of, alice, unit_a):
    round_ = monitoring_round()
    project = project_with_targets(unit_a)
    spend(project, "20")  # 20 % of the budget against 58.20 % of the year: red
    report = report_of(round_, project)
    values = dict(ON_TRACK, 参保人员培训人数={"actual_raw": "30人", "expected_raw": "70人"})
    report_save(
        report=report, user=alice, version=report.version, data=report_input(project, values)
    )
    response = client_of(alice).get(detail(round_))
    (row,) = response.context["rows"]
    assert row.report.target_light == "yellow"
    assert row.warning == "red"
    assert row.report.deviations == 2
    html = response.content.decode()
    assert "红色预警" in html and "黄灯" in html and "草稿" in html


def test_a_self_evaluation_round_shows_score_and_grade(client_of, alice, unit_a):
    from .season import ALL_REACHED

    round_ = self_evaluation_round()
    project = project_with_targets(unit_a)
    spend(project, "100")
    report = report_of(round_, project)
    report_save(
        report=report, user=alice, version=report.version, data=report_input(project, ALL_REACHED)
    )
    html = client_of(alice).get(detail(round_)).content.decode()
    assert "100.00" in html and "优" in html


def _many_projects(unit, count: int, round_: Round) -> None:
    for n in range(count):
        project = ProjectFactory(unit=unit, initial_budget=Decimal("10"))
        spend(project, "1")
        if n % 2:
            report_of(round_, project)


def test_a_round_page_runs_the_same_queries_for_5_and_50_projects(client_of, rita, unit_a):
    round_ = monitoring_round()
    client = client_of(rita)
    _many_projects(unit_a, 5, round_)
    client.get(detail(round_))
    with CaptureQueriesContext(connection) as few:
        assert client.get(detail(round_)).status_code == 200
    _many_projects(UnitFactory(department=unit_a.department), 45, round_)
    with CaptureQueriesContext(connection) as many:
        response = client.get(detail(round_))
    assert len(response.context["rows"]) == 50
    assert len(few) == len(many)


def test_starting_a_project_creates_its_draft_report_once(client_of, alice, unit_a):
    round_ = monitoring_round()
    project = project_with_targets(unit_a)
    client = client_of(alice)
    url = reverse("tracking:report_open", args=[round_.pk, project.pk])
    assert client.get(url).status_code == 200
    assert not Report.objects.exists()
    first = client.post(url)
    second = client.post(url)
    report = Report.objects.get()
    assert report.status == ReportStatus.DRAFT
    assert first.url == second.url == reverse("tracking:report_edit", args=[report.pk])


def test_staff_cannot_open_another_departments_project(client_of, bob, unit_a):
    round_ = monitoring_round()
    project = project_with_targets(unit_a)
    response = client_of(bob).get(reverse("tracking:report_open", args=[round_.pk, project.pk]))
    assert response.status_code == 404
    assert not Report.objects.exists()


# --- one round: pages of 50 ---------------------------------------------------------------


def test_a_round_page_shows_50_projects_a_page_and_counts_them_all(client_of, rita, unit_a):
    round_ = monitoring_round()
    _many_projects(unit_a, 120, round_)  # every other project has a draft report
    client = client_of(rita)
    codes = []
    for number, size in ((1, 50), (2, 50), (3, 20)):
        response = client.get(detail(round_), {"page": number})
        assert response.context["page"].number == number
        assert len(response.context["rows"]) == size
        codes += [row.project.code for row in response.context["rows"]]
        assert response.context["counts"] == {
            "total": 120,
            "done": 0,
            "returned": 0,
            "draft": 60,
            "none": 60,
        }
        html = response.content.decode()
        assert "项目 120 个：已提交/已审核 0，已退回 0，草稿 60，未填报 60" in html
    assert codes == sorted(Project.objects.values_list("code", flat=True))


def test_a_round_pages_counts_follow_the_department_filter(client_of, rita, unit_a, unit_b):
    round_ = monitoring_round()
    _many_projects(unit_a, 60, round_)
    _many_projects(unit_b, 3, round_)
    response = client_of(rita).get(detail(round_), {"department": unit_b.department_id})
    assert response.context["counts"]["total"] == 3
    assert len(response.context["rows"]) == 3


def test_a_round_pages_links_keep_the_department_filter(client_of, rita, unit_a, unit_b):
    round_ = monitoring_round()
    _many_projects(unit_a, 120, round_)
    _many_projects(unit_b, 2, round_)
    department = unit_a.department_id
    response = client_of(rita).get(detail(round_), {"department": department, "page": 2})
    assert response.context["page"].number == 2
    assert all(row.project.department_id == department for row in response.context["rows"])
    html = response.content.decode()
    for number in (1, 3):
        assert f'href="{detail(round_)}?department={department}&amp;page={number}"' in html


@pytest.mark.parametrize("page, shown", [("99", 3), ("abc", 1), ("0", 3), ("", 1)])
def test_a_round_page_out_of_range_or_not_a_number_shows_the_last_or_first(
    client_of, rita, unit_a, page, shown
):
    round_ = monitoring_round()
    _many_projects(unit_a, 120, round_)
    response = client_of(rita).get(detail(round_), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == shown
    assert len(response.context["rows"]) == (20 if shown == 3 else 50)


def test_a_round_pages_counts_sort_every_status(client_of, rita, unit_a):
    round_ = monitoring_round()
    _many_projects(unit_a, 110, round_)  # 55 reports, 55 projects without one
    reports = list(Report.objects.order_by("pk").values_list("pk", flat=True))
    for status, chosen in (
        (ReportStatus.SUBMITTED, reports[:2]),
        (ReportStatus.APPROVED, reports[2:5]),
        (ReportStatus.RETURNED, reports[5:9]),
    ):
        Report.objects.filter(pk__in=chosen).update(status=status)
    counts = client_of(rita).get(detail(round_), {"page": 3}).context["counts"]
    assert counts == {"total": 110, "done": 5, "returned": 4, "draft": 46, "none": 55}
