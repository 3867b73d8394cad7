"""Rounds per finance bureau (区划): two counties that both have a department 060 keep their
rounds, reports, 实际完成 imports, reminders and reviews apart; the province bureau with
含下级 covers both."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from budgets.choices import Role
from budgets.importer import run_import
from budgets.models import Division
from tests.budgets.workbooks import database_state, make_workbook
from tests.factories import DepartmentFactory, UnitFactory, UserFactory
from tracking.choices import NotificationKind, ReportStatus, Stage
from tracking.forms import ALL_DIVISIONS
from tracking.models import Notification, Report, Round
from tracking.notifications import CHASE_NOT_OVERDUE, reminder_pass, round_chase
from tracking.services import (
    REPORT_OTHER_DIVISION,
    ROUND_NO_DIVISION,
    ROUND_OTHER_DIVISION,
    WorkflowError,
    report_approve,
    report_get_or_create,
    report_save,
    report_submit,
    round_close,
    round_open,
    rounds_open,
)
from tracking.workbook import OUTSIDE_ROUND_DIVISION, ROUND_NOT_OPENED

from .season import (
    MONITORING_AS_OF,
    ON_TRACK,
    bureau,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    spend,
)

pytestmark = pytest.mark.django_db

HONGQI, XIXIA, XINXIANG, HENAN = "410702", "411323", "410700", "410000"
DEADLINE = date(2024, 8, 20)
OVERDUE_DAY = DEADLINE + timedelta(days=1)


@pytest.fixture
def hongqi(db):
    """红旗区's bureau: its department 060, staff and a project."""
    department = DepartmentFactory(
        division=bureau(HONGQI), code="060", name="新乡市红旗区医疗保障局"
    )
    UserFactory(username="staff_hq", role=Role.STAFF, department=department)
    project = project_with_targets(
        UnitFactory(department=department, code="060001"),
        name="红旗区医保经办",
        code="410702240000000000001",
    )
    spend(project, "60")  # on schedule: a report needs no budget deviation explained
    return project


@pytest.fixture
def xixia(db):
    """西峡县's bureau: also a department 060, with its staff and a project."""
    department = DepartmentFactory(division=bureau(XIXIA), code="060", name="西峡县医疗保障局")
    UserFactory(username="staff_xx", role=Role.STAFF, department=department)
    project = project_with_targets(
        UnitFactory(department=department, code="060001"),
        name="西峡县医保经办",
        code="411323240000000000001",
    )
    spend(project, "60")
    return project


def reviewer(username: str, code: str | None, *, with_subordinates: bool = False):
    return UserFactory(
        username=username,
        role=Role.REVIEWER,
        department=None,
        division=None if code is None else Division.ensure(code),
        with_subordinates=with_subordinates,
    )


@pytest.fixture
def reviewers(hongqi, xixia):
    """The county bureaus, the city of 红旗区 without 含下级, the province with it."""
    return {
        "hq": reviewer("rev_hq", HONGQI),
        "xx": reviewer("rev_xx", XIXIA),
        "city": reviewer("rev_city", XINXIANG),
        "province": reviewer("rev_henan", HENAN, with_subordinates=True),
    }


def open_both(deadline: date = DEADLINE) -> dict[str, Round]:
    opened = rounds_open(
        year=2024, stage=Stage.MONITORING, as_of=MONITORING_AS_OF, deadline=deadline
    )
    return {r.division.code: r for r, _ in opened}


def submitted_report(round_: Round, project) -> Report:
    staff = project.department.users.get()
    report = report_of(round_, project)
    report = report_save(
        report=report, user=staff, version=report.version, data=report_input(project, ON_TRACK)
    )
    return report_submit(report=report, user=staff)


# --- opening rounds ---------------------------------------------------------------------------


def test_without_a_division_each_bureau_with_projects_gets_its_own_round(hongqi, xixia):
    bureau(HENAN)  # a 区划 without projects gets none
    rounds = open_both()
    assert sorted(rounds) == [HONGQI, XIXIA]
    assert all(r.year == 2024 and r.as_of == MONITORING_AS_OF for r in rounds.values())
    # Idempotent on year + stage + as-of + 区划.
    assert open_both(date(2024, 9, 1)) == rounds
    assert Round.objects.count() == 2
    assert set(Round.objects.values_list("deadline", flat=True)) == {date(2024, 9, 1)}


def test_the_same_round_of_two_bureaus_has_two_deadlines(hongqi, xixia):
    mine = monitoring_round(division=bureau(HONGQI))
    theirs = monitoring_round(date(2024, 9, 30), division=bureau(XIXIA))
    assert (mine.deadline, theirs.deadline) == (DEADLINE, date(2024, 9, 30))
    round_close(round_=theirs)
    mine.refresh_from_db()
    assert mine.is_open


def test_a_year_without_projects_opens_nothing(hongqi):
    with pytest.raises(WorkflowError) as refused:
        rounds_open(year=2023, stage=Stage.MONITORING, as_of=date(2023, 7, 31), deadline=DEADLINE)
    assert refused.value.messages == [ROUND_NO_DIVISION.format(year=2023)]
    assert not Round.objects.exists()


def test_a_reviewer_opens_rounds_only_for_the_bureaus_it_covers(reviewers):
    opened = rounds_open(
        year=2024,
        stage=Stage.MONITORING,
        as_of=MONITORING_AS_OF,
        deadline=DEADLINE,
        user=reviewers["xx"],
    )
    assert [r.division.code for r, _ in opened] == [XIXIA]
    others = rounds_open(
        year=2024,
        stage=Stage.SELF_EVALUATION,
        as_of=date(2024, 12, 31),
        deadline=date(2025, 3, 31),
    )
    theirs = {r.division.code: r for r, _ in others}[HONGQI]
    before = database_state()
    with pytest.raises(PermissionDenied) as refused:
        round_open(
            year=2024,
            stage=Stage.MONITORING,
            as_of=MONITORING_AS_OF,
            deadline=DEADLINE,
            division=bureau(HONGQI),
            user=reviewers["xx"],
        )
    assert str(refused.value) == ROUND_OTHER_DIVISION.format(division="红旗区")
    with pytest.raises(PermissionDenied):
        round_close(round_=theirs, user=reviewers["xx"])
    assert database_state() == before


# --- reports ---------------------------------------------------------------------------------


def test_a_report_goes_only_into_a_round_of_its_projects_bureau(hongqi, xixia):
    rounds = open_both()
    before = database_state()
    with pytest.raises(WorkflowError) as refused:
        report_get_or_create(round_=rounds[HONGQI], project=xixia)
    assert refused.value.messages == [
        REPORT_OTHER_DIVISION.format(
            project="西峡县医保经办", project_division="西峡县", round_division="红旗区"
        )
    ]
    assert database_state() == before
    assert report_of(rounds[XIXIA], xixia).round == rounds[XIXIA]


def test_a_reviewer_cannot_approve_a_report_of_another_bureau(hongqi, xixia, reviewers):
    rounds = open_both()
    report = submitted_report(rounds[HONGQI], hongqi)
    for other in (reviewers["xx"], reviewers["city"]):
        with pytest.raises(PermissionDenied):
            report_approve(report=report, user=other)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    report_approve(report=report, user=reviewers["province"])
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED


# --- pages ---------------------------------------------------------------------------------


def test_a_reviewer_of_one_bureau_gets_404_for_the_other_bureaus_pages(
    client_of, hongqi, xixia, reviewers
):
    rounds = open_both()
    report = submitted_report(rounds[HONGQI], hongqi)
    client = client_of(reviewers["xx"])
    round_ = rounds[HONGQI]
    before = database_state()
    for name, args in (
        ("tracking:round_detail", [round_.pk]),
        ("tracking:round_edit", [round_.pk]),
        ("tracking:round_sheet_download", [round_.pk]),
        ("tracking:report_open", [round_.pk, hongqi.pk]),
        ("tracking:report_detail", [report.pk]),
        ("tracking:report_review", [report.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for action in ("close", "reopen", "deadline"):
        response = client.post(
            reverse("tracking:round_edit", args=[round_.pk]),
            {"action": action, "deadline": "2024-12-01"},
        )
        assert response.status_code == 404
    response = client.post(
        reverse("tracking:report_review", args=[report.pk]), {"action": "approve"}
    )
    assert response.status_code == 404
    assert client.post(reverse("tracking:round_chase", args=[round_.pk])).status_code == 404
    # Its own round opens; the other project is not part of it.
    theirs = rounds[XIXIA]
    assert client.get(reverse("tracking:round_detail", args=[theirs.pk])).status_code == 200
    response = client.get(reverse("tracking:report_open", args=[theirs.pk, hongqi.pk]))
    assert response.status_code == 404
    assert database_state() == before


def test_staff_see_only_the_rounds_of_their_departments_bureau(client_of, hongqi, xixia):
    rounds = open_both()
    client = client_of(xixia.department.users.get())
    response = client.get(reverse("tracking:round_list"))
    assert [p.round for p in response.context["open_rounds"]] == [rounds[XIXIA]]
    assert client.get(reverse("tracking:round_detail", args=[rounds[HONGQI].pk])).status_code == 404


def test_the_round_list_names_the_bureau_when_it_shows_several(client_of, reviewers):
    rounds = open_both()
    response = client_of(reviewers["province"]).get(reverse("tracking:round_list"))
    assert {p.round for p in response.context["open_rounds"]} == set(rounds.values())
    html = response.content.decode()
    assert "<th>区划</th>" in html and "红旗区" in html and "西峡县" in html
    response = client_of(reviewers["hq"]).get(reverse("tracking:round_list"))
    assert [p.round for p in response.context["open_rounds"]] == [rounds[HONGQI]]
    assert "<th>区划</th>" not in response.content.decode()


def test_each_round_counts_the_projects_of_its_own_bureau(client_of, reviewers, hongqi):
    project_with_targets(hongqi.unit, name="红旗区第二个项目", code="410702240000000000002")
    rounds = open_both()
    submitted_report(rounds[HONGQI], hongqi)
    response = client_of(reviewers["province"]).get(reverse("tracking:round_list"))
    progress = {p.round.division.code: (p.done, p.total) for p in response.context["open_rounds"]}
    assert progress == {HONGQI: (1, 2), XIXIA: (0, 1)}


def test_the_open_form_offers_the_covered_bureaus_and_opens_only_theirs(client_of, reviewers):
    client = client_of(reviewers["hq"])
    form = client.get(reverse("tracking:round_list")).context["form"]
    assert [c for c, _ in form.fields["division"].choices] == ["", HONGQI]
    assert form.fields["division"].choices[0][1] == ALL_DIVISIONS
    data = {
        "stage": Stage.MONITORING,
        "year": 2024,
        "as_of": "2024-07-31",
        "deadline": "2024-08-20",
    }
    response = client.post(reverse("tracking:round_create"), {**data, "division": XIXIA})
    assert response.status_code == 400
    assert not Round.objects.exists()
    response = client.post(reverse("tracking:round_create"), {**data, "division": ""})
    (round_,) = Round.objects.all()
    assert round_.division.code == HONGQI
    assert response.url == reverse("tracking:round_detail", args=[round_.pk])
    # The province opens both of its counties' rounds at once (a second call moves them).
    response = client_of(reviewers["province"]).post(
        reverse("tracking:round_create"), {**data, "deadline": "2024-08-25"}
    )
    assert response.url == reverse("tracking:round_list")
    assert sorted(Round.objects.values_list("division__code", "deadline")) == [
        (HONGQI, date(2024, 8, 25)),
        (XIXIA, date(2024, 8, 25)),
    ]


def test_the_review_queue_lists_only_the_covered_bureaus_reports(
    client_of, hongqi, xixia, reviewers
):
    rounds = open_both()
    mine = submitted_report(rounds[HONGQI], hongqi)
    theirs = submitted_report(rounds[XIXIA], xixia)
    queue = reverse("tracking:review_queue")
    response = client_of(reviewers["hq"]).get(queue)
    assert list(response.context["page"]) == [mine]
    assert list(response.context["rounds"]) == [rounds[HONGQI]]
    assert [d.pk for d in response.context["departments"]] == [hongqi.department_id]
    response = client_of(reviewers["province"]).get(queue)
    assert set(response.context["page"]) == {mine, theirs}


# --- the 实际完成 import ----------------------------------------------------------------------


def actual_rows(project, as_of: date = MONITORING_AS_OF) -> list[list]:
    return [
        ["项目编码", "一级指标", "三级指标", "阶段", "截至日期", "实际完成值", "全年预计完成值"],
        [project.code, "产出指标", "参保人员培训人数", Stage.MONITORING, as_of, "60人", "100人"],
    ]


def test_actuals_go_to_the_round_of_the_projects_bureau(tmp_path, hongqi, xixia):
    hq = monitoring_round(division=bureau(HONGQI))
    rows = actual_rows(xixia)
    path = make_workbook(tmp_path / "a.xlsx", {"实际完成": rows})
    result = run_import(path)
    # 西峡县 has not opened its round: 红旗区's of the same date does not take the row.
    message = ROUND_NOT_OPENED.format(
        division=XIXIA, year=2024, stage=Stage.MONITORING, as_of="2024-07-31"
    )
    assert [p.message for p in result.problems] == [message]
    assert not Report.objects.exists()
    xx = monitoring_round(division=bureau(XIXIA))
    both = actual_rows(xixia) + actual_rows(hongqi)[1:]
    assert run_import(make_workbook(tmp_path / "b.xlsx", {"实际完成": both})).ok
    assert sorted(Report.objects.values_list("round_id", "project_id")) == sorted(
        [(xx.pk, xixia.pk), (hq.pk, hongqi.pk)]
    )


def test_a_rounds_sheet_upload_stays_within_its_bureau(client_of, tmp_path, adam, hongqi, xixia):
    rounds = open_both()
    path = make_workbook(tmp_path / "c.xlsx", {"实际完成": actual_rows(xixia)})
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_of(adam)
    before = database_state()
    response = client.post(
        reverse("tracking:round_sheet_upload", args=[rounds[HONGQI].pk]),
        {"file": SimpleUploadedFile("c.xlsx", path.read_bytes())},
    )
    assert response.status_code == 400
    message = OUTSIDE_ROUND_DIVISION.format(code=xixia.code, division=XIXIA, round_division=HONGQI)
    assert any(message in p for p in response.context["problems"])
    assert database_state() == before


def test_a_rounds_sheet_holds_only_its_bureaus_projects(client_of, adam, hongqi, xixia):
    from io import BytesIO

    import openpyxl

    rounds = open_both()
    response = client_of(adam).get(
        reverse("tracking:round_sheet_download", args=[rounds[XIXIA].pk])
    )
    sheet = openpyxl.load_workbook(BytesIO(response.content))["实际完成"]
    codes = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert codes == {xixia.code}


# --- reminders -------------------------------------------------------------------------------


def remind(day: date) -> list[str]:
    out = StringIO()
    call_command("remind", "--today", day.isoformat(), stdout=out)
    return out.getvalue().splitlines()


def test_each_bureaus_late_departments_are_reminded_and_digested_apart(hongqi, xixia, reviewers):
    open_both()
    lines = remind(OVERDUE_DAY)
    overdue = "【已逾期】2024年运行监控（截至07月31日）已逾期1天，尚有1个项目未提交"
    assert f"staff_hq\toverdue\t{overdue}" in lines
    assert f"staff_xx\toverdue\t{overdue}" in lines
    digests = {
        n.recipient.username: n
        for n in Notification.objects.filter(kind=NotificationKind.OVERDUE_DIGEST)
    }
    # The city bureau without 含下级 covers 410700 only, where nobody is late.
    assert set(digests) == {"rev_hq", "rev_xx", "rev_henan"}
    assert "新乡市红旗区医疗保障局（060）" in digests["rev_hq"].body
    assert "西峡县" not in digests["rev_hq"].body
    assert "西峡县医疗保障局（060）" in digests["rev_xx"].body
    assert "红旗区" not in digests["rev_xx"].body
    province = digests["rev_henan"]
    assert "共有2个部门" in province.subject
    assert "（410702/060）" in province.body and "（411323/060）" in province.body
    assert province.round is None  # two rounds: the link goes to the list
    assert remind(OVERDUE_DAY) == []


def test_a_sibling_countys_reviewer_gets_nothing_of_the_others_late_departments(
    hongqi, xixia, reviewers
):
    rounds = open_both()
    submitted_report(rounds[XIXIA], xixia)
    lines = remind(OVERDUE_DAY)
    recipients = [line.split("\t")[0] for line in lines]
    assert "staff_xx" not in recipients and "rev_xx" not in recipients
    assert {"staff_hq", "rev_hq", "rev_henan"} <= set(recipients)


def test_a_reviewer_without_a_division_covers_every_bureau(hongqi, xixia, rita):
    open_both()
    created = reminder_pass(today=OVERDUE_DAY)
    (digest,) = [n for n in created if n.kind == NotificationKind.OVERDUE_DIGEST]
    assert digest.recipient == rita and "共有2个部门" in digest.subject


def test_chasing_a_round_reminds_its_own_late_departments_once_a_day(
    client_of, hongqi, xixia, reviewers
):
    rounds = open_both()
    with pytest.raises(WorkflowError) as refused:
        round_chase(round_=rounds[HONGQI], user=reviewers["hq"], today=DEADLINE)
    message = CHASE_NOT_OVERDUE.format(round=rounds[HONGQI], deadline="2024年8月20日")
    assert refused.value.messages == [message]
    with pytest.raises(PermissionDenied):
        round_chase(round_=rounds[HONGQI], user=reviewers["xx"], today=OVERDUE_DAY + timedelta(1))
    day = OVERDUE_DAY + timedelta(days=1)  # not a day the daily pass sends `overdue`
    created = round_chase(round_=rounds[HONGQI], user=reviewers["hq"], today=day)
    assert [(n.recipient.username, n.kind) for n in created] == [("staff_hq", "overdue")]
    assert round_chase(round_=rounds[HONGQI], user=reviewers["province"], today=day) == []
    # The daily pass of the same day sends no second `overdue` for that round.
    reminder_pass(today=day)
    assert Notification.objects.filter(kind="overdue", recipient__username="staff_hq").count() == 1


# --- the JSON export --------------------------------------------------------------------------


def test_the_export_reads_each_projects_monitoring_from_its_own_bureaus_rounds(hongqi, xixia):
    from budgets.export import build_export

    early = rounds_open(
        year=2024, stage=Stage.MONITORING, as_of=date(2024, 6, 30), deadline=DEADLINE
    )
    xx_early = {r.division.code: r for r, _ in early}[XIXIA]
    submitted_report(xx_early, xixia)
    # Only 红旗区 holds a later monitoring round: 西峡县's latest stays its June round.
    later = monitoring_round(division=bureau(HONGQI))
    report_of(later, hongqi)
    document = build_export(year=2024, as_of=date(2024, 12, 31))
    projects = {p["code"]: p for p in document["projects"]}
    assert projects[xixia.code]["monitoring"]["as_of"] == "2024-06-30"
    assert projects[xixia.code]["monitoring"]["status"] == "submitted"
    assert projects[hongqi.code]["monitoring"]["as_of"] == "2024-07-31"
    rates = {
        (d["name"], d["code"]): d["monitoring_completion_rate"] for d in document["departments"]
    }
    assert rates == {
        ("新乡市红旗区医疗保障局", "060"): "0.00",
        ("西峡县医疗保障局", "060"): "100.00",
    }


# --- the command -------------------------------------------------------------------------------


def open_round(*args: str) -> list[str]:
    out = StringIO()
    call_command(
        "open_round",
        "--year",
        "2024",
        "--stage",
        Stage.MONITORING,
        "--as-of",
        "2024-07-31",
        *args,
        stdout=out,
    )
    return out.getvalue().splitlines()


def test_the_command_opens_one_round_per_bureau_and_prints_their_ids(hongqi, xixia):
    lines = open_round("--deadline", "2024-08-20")
    rounds = {r.division.code: r for r in Round.objects.select_related("division")}
    assert sorted(rounds) == [HONGQI, XIXIA]
    assert lines == [str(rounds[HONGQI].pk), str(rounds[XIXIA].pk)]
    # Again: the same rounds, their deadline moved.
    assert open_round("--deadline", "2024-09-01") == lines
    assert Round.objects.filter(deadline=date(2024, 9, 1)).count() == 2


def test_the_command_with_a_division_opens_or_moves_that_bureaus_round_only(hongqi, xixia):
    (line,) = open_round("--deadline", "2024-08-20", "--division", XIXIA)
    round_ = Round.objects.get()
    assert (str(round_.pk), round_.division.code) == (line, XIXIA)
    assert open_round("--deadline", "2024-08-31", "--division", XIXIA) == [line]
    round_.refresh_from_db()
    assert round_.deadline == date(2024, 8, 31)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("41070", "区划编码“41070”无效"),
        ("abcdef", "区划编码“abcdef”无效"),
        ("419999", "区划编码“419999”不存在"),
    ],
)
def test_the_command_refuses_an_unknown_or_malformed_division(hongqi, code, message):
    before = database_state()
    with pytest.raises(CommandError, match=message):
        open_round("--deadline", "2024-08-20", "--division", code)
    assert database_state() == before


def test_the_command_refuses_a_year_without_projects(hongqi):
    with pytest.raises(CommandError, match="2023年度没有任何区划有项目"):
        call_command(
            "open_round",
            "--year=2023",
            "--stage=运行监控",
            "--as-of=2023-07-31",
            "--deadline=2023-08-20",
            stdout=StringIO(),
        )
    assert not Round.objects.exists()


# --- the admin site ------------------------------------------------------------------------


def test_the_admin_lists_a_bureaus_rounds_to_its_reviewer_only(client_of, adam, reviewers):
    from django.contrib.auth.models import Permission

    rounds = open_both()
    county = reviewers["xx"]
    county.is_staff = True
    county.save()
    county.user_permissions.add(*Permission.objects.filter(codename__in=["view_round"]))
    response = client_of(county).get("/admin/tracking/round/")
    assert list(response.context["cl"].queryset) == [rounds[XIXIA]]
    theirs = f"/admin/tracking/round/{rounds[HONGQI].pk}/change/"
    assert client_of(county).get(theirs).status_code in (302, 404)
    # A round never moves to another 区划: its reports belong to its departments.
    page = client_of(adam).get(theirs).content.decode()
    assert 'name="division"' not in page
    assert client_of(adam).get("/admin/tracking/round/add/").status_code == 200
