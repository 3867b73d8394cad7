"""The tracking API: rounds, reports (a project's and a department's) with their review
workflow, and notifications — who may do what, a whole season over HTTP, optimistic locking,
bad input answered with a Chinese 4xx, and list queries that do not grow with the rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from budgets.choices import Role
from performance.models import DepartmentIndicator
from tests.budgets.workbooks import database_state
from tests.factories import DivisionFactory, PaymentFactory, ProjectFactory, UserFactory
from tests.tracking.season import (
    ALL_REACHED,
    ON_TRACK,
    bureau,
    indicators_of,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    spend,
)
from tests.tracking.test_department_reports import department_indicator
from tracking.choices import NotificationKind, ReportStatus, Stage
from tracking.models import Notification, Report, Round
from tracking.selectors import report_table
from tracking.services import (
    REPORT_NOT_EDITABLE,
    REPORT_STALE,
    REVIEW_NOT_SUBMITTED,
    REVIEW_OWN_REPORT,
    report_approve,
    report_require_rectification,
    report_save,
    report_submit,
)

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ROUNDS = "/api/rounds/"
REPORTS = "/api/reports/"
NOTIFICATIONS = "/api/notifications/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def report_url(report: Report | int, action: str = "") -> str:
    pk = report if isinstance(report, int) else report.pk
    return f"{REPORTS}{pk}/" + (f"{action}/" if action else "")


def lines_body(project, values: dict[str, dict]) -> list[dict]:
    by_name = indicators_of(project)
    return [{"indicator": by_name[name].pk, **fields} for name, fields in values.items()]


def assert_chinese_error(response, status: int) -> dict:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert CHINESE.search(body["detail"]), body
    return body


# --- the world every permission case runs in --------------------------------------------------


def _project(unit, name: str):
    project = project_with_targets(unit, name=name)
    spend(project, "50")
    return project


def _filled(report: Report, user) -> Report:
    return report_save(
        report=report,
        user=user,
        version=report.version,
        data=report_input(report.project, ON_TRACK),
    )


@dataclass
class World:
    round: Round
    draft: Report  # alice's draft, filled in and ready to submit
    submitted: Report  # alice's submitted report
    rectify: Report  # alice's submitted report the bureau asked to rectify
    approved: Report  # alice's approved report
    fresh: Any  # a project of alice's department without a report yet
    other: Report  # bob's draft (department B)
    notification: Notification  # alice's


@pytest.fixture
def world(unit_a, unit_b, alice, bob, rita) -> World:
    round_ = monitoring_round()
    draft = _filled(report_of(round_, _project(unit_a, "草稿项目")), alice)
    submitted = report_submit(
        report=_filled(report_of(round_, _project(unit_a, "已提交项目")), alice), user=alice
    )
    rectify = report_submit(
        report=_filled(report_of(round_, _project(unit_a, "整改项目")), alice), user=alice
    )
    report_require_rectification(report=rectify, user=rita, requirements="补充佐证材料")
    approved = report_submit(
        report=_filled(report_of(round_, _project(unit_a, "已审核项目")), alice), user=alice
    )
    approved = report_approve(report=approved, user=rita)
    notification = Notification.objects.create(
        recipient=alice,
        kind=NotificationKind.RETURNED,
        subject_key="round:1",
        day=date(2024, 8, 1),
        subject="测试消息",
    )
    return World(
        round=round_,
        draft=draft,
        submitted=submitted,
        rectify=rectify,
        approved=approved,
        fresh=_project(unit_a, "未填报项目"),
        other=report_of(round_, _project(unit_b, "西峡项目")),
        notification=notification,
    )


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[World], str]
    expected: dict[str, int]
    body: Callable[[World], dict] = field(default=lambda w: {})

    def __str__(self) -> str:
        return self.name


USERS = ("anonymous", "alice", "bob", "rita", "adam")


def everyone(status: int) -> dict[str, int]:
    return {"anonymous": 401, "alice": status, "bob": status, "rita": status, "adam": status}


def each(alice: int, bob: int, rita: int, adam: int) -> dict[str, int]:
    return {"anonymous": 401, "alice": alice, "bob": bob, "rita": rita, "adam": adam}


def _round_open(w: World) -> dict:
    return {
        "year": 2024,
        "stage": Stage.MONITORING,
        "as_of": "2024-09-30",
        "deadline": "2024-10-20",
        "division": w.round.division_id,
    }


CASES = [
    Case("rounds list", "get", lambda w: ROUNDS, everyone(200)),
    Case("round read", "get", lambda w: f"{ROUNDS}{w.round.pk}/", everyone(200)),
    Case("round open", "post", lambda w: ROUNDS, each(403, 403, 201, 201), _round_open),
    Case("round close", "post", lambda w: f"{ROUNDS}{w.round.pk}/close/", each(403, 403, 200, 200)),
    Case(
        "round reopen", "post", lambda w: f"{ROUNDS}{w.round.pk}/reopen/", each(403, 403, 200, 200)
    ),
    Case(
        "round deadline",
        "post",
        lambda w: f"{ROUNDS}{w.round.pk}/deadline/",
        each(403, 403, 200, 200),
        lambda w: {"deadline": "2024-08-31"},
    ),
    Case("round chase", "post", lambda w: f"{ROUNDS}{w.round.pk}/chase/", each(403, 403, 200, 200)),
    Case("reports list", "get", lambda w: REPORTS, everyone(200)),
    Case("report read", "get", lambda w: report_url(w.draft), each(200, 404, 200, 200)),
    Case(
        "report start",
        "post",
        lambda w: REPORTS,
        # bob cannot see the project: for him it does not exist.
        each(201, 400, 403, 201),
        lambda w: {"round": w.round.pk, "project": w.fresh.pk},
    ),
    Case(
        "report save",
        "patch",
        lambda w: report_url(w.draft),
        each(200, 404, 403, 200),
        lambda w: {"version": w.draft.version, "budget_measure": "加快支付进度"},
    ),
    Case(
        "report submit",
        "post",
        lambda w: report_url(w.draft, "submit"),
        each(200, 404, 403, 200),
        lambda w: {"version": w.draft.version},
    ),
    Case(
        "report approve",
        "post",
        lambda w: report_url(w.submitted, "approve"),
        each(403, 404, 200, 200),
        lambda w: {"comment": "同意"},
    ),
    Case(
        "report return",
        "post",
        lambda w: report_url(w.submitted, "return"),
        each(403, 404, 200, 200),
        lambda w: {"reason": "请补充偏差原因"},
    ),
    Case(
        "report rectification required",
        "post",
        lambda w: report_url(w.submitted, "rectification-required"),
        each(403, 404, 200, 200),
        lambda w: {"requirements": "补充佐证材料"},
    ),
    Case(
        "report rectification result",
        "post",
        lambda w: report_url(w.rectify, "rectification"),
        each(200, 404, 403, 200),
        lambda w: {"result": "已补充"},
    ),
    Case(
        "report reviewer score",
        "post",
        lambda w: report_url(w.submitted, "reviewer-score"),
        each(403, 404, 200, 200),
        lambda w: {"line": w.submitted.lines.first().pk, "score": None, "reason": ""},
    ),
    Case("notifications list", "get", lambda w: NOTIFICATIONS, everyone(200)),
    Case(
        "notification read",
        "get",
        lambda w: f"{NOTIFICATIONS}{w.notification.pk}/",
        each(200, 404, 404, 404),
    ),
    Case(
        "notifications mark read",
        "post",
        lambda w: f"{NOTIFICATIONS}mark-read/",
        everyone(200),
        lambda w: {"all": True},
    ),
]


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_permission_matrix(request, world, case, who):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    before = database_state() if case.method != "get" else None
    response = getattr(client_for(user), case.method)(case.url(world), case.body(world), "json")
    expected = case.expected[who]
    assert response.status_code == expected, response.content.decode()
    if expected >= 400:
        assert CHINESE.search(response.json()["detail"])
        if before is not None:
            assert database_state() == before


def test_lists_hold_only_what_the_user_may_see(world, alice, bob, rita, adam):
    def ids(user, url=REPORTS):
        return {r["id"] for r in client_for(user).get(url).json()["results"]}

    alices = {world.draft.pk, world.submitted.pk, world.rectify.pk, world.approved.pk}
    assert ids(alice) == alices
    assert ids(bob) == {world.other.pk}
    assert ids(rita) == ids(adam) == alices | {world.other.pk}
    assert ids(alice, NOTIFICATIONS) == {world.notification.pk}
    assert ids(bob, NOTIFICATIONS) == set()


def test_another_bureaus_reviewer_sees_nothing_of_this_one(world):
    outsider = UserFactory(
        username="reviewer_zz",
        role=Role.REVIEWER,
        department=None,
        division=DivisionFactory(code="410100"),
    )
    client = client_for(outsider)
    assert client.get(ROUNDS).json()["count"] == 0
    assert client.get(REPORTS).json()["count"] == 0
    assert client.get(f"{ROUNDS}{world.round.pk}/").status_code == 404
    assert client.get(report_url(world.submitted)).status_code == 404
    before = database_state()
    for url in (report_url(world.submitted, "approve"), f"{ROUNDS}{world.round.pk}/close/"):
        assert_chinese_error(client.post(url, {}, "json"), 404)
    # The bureau opens rounds of its own 区划 only.
    response = client.post(ROUNDS, _round_open(world), "json")
    assert_chinese_error(response, 403)
    assert database_state() == before


def test_a_reviewer_never_reviews_a_report_they_submitted(world, adam):
    report = _filled(report_of(world.round, _project(world.fresh.unit, "管理员代填项目")), adam)
    report = report_submit(report=report, user=adam)
    response = client_for(adam).post(report_url(report, "approve"), {}, "json")
    assert assert_chinese_error(response, 403)["detail"] == REVIEW_OWN_REPORT
    assert Report.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED


# --- a whole season over HTTP -------------------------------------------------------------------


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _rate(value: Decimal | None) -> Decimal | None:
    """A rate as the API shows it: ten decimal places."""
    return None if value is None else value.quantize(Decimal("1e-10"))


def assert_shows_the_table(body: dict) -> None:
    """The API shows what the report's pages show (tracking.selectors.report_table)."""
    table = report_table(Report.objects.get(pk=body["id"]))
    report = table.report
    assert body["status"] == report.status
    assert body["version"] == report.version
    assert body["target_light"] == report.target_light
    assert body["budget_warning"] == report.budget_warning
    assert body["deviations"] == report.deviations
    assert _decimal(body["execution_rate"]) == _rate(report.execution_rate)
    assert _decimal(body["score"]) == report.score
    assert body["grade"] == report.grade
    assert _decimal(body["budget"]["executed"]) == table.budget.figures.executed
    assert _decimal(body["budget"]["time_progress"]) == _rate(table.budget.time_progress)
    shown = [
        (
            line["indicator"],
            line["name"],
            line["light"],
            _decimal(line["points"]),
            _decimal(line["score"]),
            line["actual_text"],
        )
        for line in body["lines"]
    ]
    expected = [
        (
            row.indicator.pk,
            row.indicator.name,
            row.value.light,
            row.value.points,
            row.value.score,
            row.actual_text,
        )
        for row in table.rows
    ]
    assert shown == expected


SEASONS = {
    Stage.MONITORING: (
        "2024-07-31",
        ON_TRACK,
        {"budget_cause_category": "其他", "budget_cause": "支付滞后"},
    ),
    Stage.SELF_EVALUATION: (
        "2024-12-31",
        ALL_REACHED,
        {"summary": "年度目标全部完成", "low_execution_note": "部分资金年底支付"},
    ),
}


@pytest.mark.parametrize("stage", list(SEASONS))
def test_a_whole_season_over_http(unit_a, alice, rita, stage):
    as_of, values, report_fields = SEASONS[stage]
    project = _project(unit_a, "医保经办服务项目")
    division = bureau()
    reviewer, staff = client_for(rita), client_for(alice)

    opened = staff.post(ROUNDS, {}, "json")
    assert_chinese_error(opened, 403)
    opened = reviewer.post(
        ROUNDS,
        {
            "year": 2024,
            "stage": stage,
            "as_of": as_of,
            "deadline": "2025-03-31",
            "division": division.pk,
        },
        "json",
    )
    assert opened.status_code == 201, opened.json()
    (round_,) = opened.json()["rounds"]
    assert round_["created"] and round_["is_open"] and round_["division_code"] == "410700"

    started = staff.post(REPORTS, {"round": round_["id"], "project": project.pk}, "json")
    assert started.status_code == 201, started.json()
    report = started.json()
    assert report["status"] == "draft" and report["may_edit"] and not report["may_review"]
    assert [line["id"] for line in report["lines"]] == [None, None, None]
    again = staff.post(REPORTS, {"round": round_["id"], "project": project.pk}, "json")
    assert again.status_code == 200 and again.json()["id"] == report["id"]

    saved = staff.patch(
        report_url(report["id"]),
        {"version": report["version"], "lines": lines_body(project, values), **report_fields},
        "json",
    )
    assert saved.status_code == 200, saved.json()
    report = saved.json()
    assert report["version"] == 2
    assert all(line["id"] is not None for line in report["lines"])
    assert_shows_the_table(report)

    submitted = staff.post(report_url(report["id"], "submit"), {"version": 2}, "json")
    assert submitted.status_code == 200, submitted.json()
    report = submitted.json()
    assert report["status"] == "submitted" and report["frozen"] and not report["may_edit"]
    assert_shows_the_table(report)
    assert reviewer.get(report_url(report["id"])).json()["may_review"]

    first = indicators_of(project)["参保人员培训人数"].pk
    returned = reviewer.post(
        report_url(report["id"], "return"),
        {"reason": "请核实培训人数", "comments": {str(first): "请附签到表"}},
        "json",
    )
    assert returned.status_code == 200, returned.json()
    report = returned.json()
    assert report["status"] == "returned" and report["return_reason"] == "请核实培训人数"
    comments = {line["indicator"]: line["reviewer_comment"] for line in report["lines"]}
    assert comments[first] == "请附签到表"

    fixed = staff.patch(
        report_url(report["id"]),
        {"version": report["version"], "lines": [{"indicator": first, "measure": "加强宣传"}]},
        "json",
    )
    assert fixed.status_code == 200, fixed.json()
    report = fixed.json()
    # Only the line sent changed, and only the field sent.
    lines = {line["indicator"]: line for line in report["lines"]}
    assert lines[first]["measure"] == "加强宣传"
    assert lines[first]["actual_raw"] == values["参保人员培训人数"]["actual_raw"]
    resubmitted = staff.post(
        report_url(report["id"], "submit"), {"version": report["version"]}, "json"
    )
    assert resubmitted.status_code == 200, resubmitted.json()

    approved = reviewer.post(report_url(report["id"], "approve"), {"comment": "同意"}, "json")
    assert approved.status_code == 200, approved.json()
    report = approved.json()
    assert report["status"] == "approved" and report["status_label"] == "已审核"
    assert [t["to_status"] for t in report["transitions"]] == [
        "submitted",
        "returned",
        "submitted",
        "approved",
    ]
    assert_shows_the_table(report)
    if stage == Stage.SELF_EVALUATION:
        assert report["score"] is not None and report["grade"]

    listed = reviewer.get(REPORTS, {"round": round_["id"]}).json()["results"]
    assert [(r["id"], r["status"], r["score"]) for r in listed] == [
        (report["id"], "approved", report["score"])
    ]
    closed = reviewer.post(f"{ROUNDS}{round_['id']}/close/", {}, "json")
    assert closed.status_code == 200 and not closed.json()["is_open"]


def test_a_draft_shows_its_figures_computed_when_read(world, alice):
    """A payment after the last save moves a draft's execution rate at once, as on its page."""
    before = client_for(alice).get(report_url(world.draft)).json()
    PaymentFactory(project=world.draft.project, amount=Decimal("30"), date=date(2024, 6, 1))
    after = client_for(alice).get(report_url(world.draft)).json()
    assert Decimal(after["execution_rate"]) == Decimal(before["execution_rate"]) + 30
    assert_shows_the_table(after)
    listed = client_for(alice).get(REPORTS, {"project": world.draft.project_id}).json()
    assert listed["results"][0]["execution_rate"] == after["execution_rate"]


# --- a department report (部门整体) -------------------------------------------------------------


@pytest.fixture
def department_targets(department_a, unit_a):
    project = ProjectFactory(unit=unit_a, initial_budget=Decimal("100"))
    PaymentFactory(project=project, amount=Decimal("45"), date=date(2024, 5, 1))
    return {
        "execution": department_indicator(
            department_a, "投入管理指标", "预算执行率", "≥90%", position=1
        ),
        "output": department_indicator(
            department_a, "产出指标", "医保基金监管完成率", "100%", position=2
        ),
        "benefit": department_indicator(department_a, "效益指标", "群众满意度", "≥90%", position=3),
    }


def test_a_department_report_is_read_and_filled_over_http(
    department_targets, department_a, alice, bob, rita
):
    opened = client_for(rita).post(
        ROUNDS,
        {
            "year": 2024,
            "stage": Stage.MONITORING,
            "as_of": "2024-07-31",
            "deadline": "2024-08-20",
        },
        "json",
    )
    assert opened.status_code == 201, opened.json()
    staff = client_for(alice)
    listed = staff.get(REPORTS, {"kind": "department"}).json()["results"]
    assert [(r["kind"], r["project"], r["department"]) for r in listed] == [
        ("department", None, department_a.pk)
    ]
    assert listed[0]["subject_name"] == f"{department_a.name}（部门整体）"
    assert client_for(bob).get(REPORTS, {"kind": "department"}).json()["count"] == 0
    assert client_for(bob).get(report_url(listed[0]["id"])).status_code == 404

    report = staff.get(report_url(listed[0]["id"])).json()
    lines = {line["name"]: line for line in report["lines"]}
    computed = lines["预算执行率"]
    # 45 of 100 万元 paid by the cut-off: 45 % against ≥90 % → red, filled in by the system.
    assert computed["computed"] and Decimal(computed["computed_value"]) == Decimal(45)
    assert computed["light"] == "red" and computed["id"] is None
    assert not lines["群众满意度"]["computed"] and lines["群众满意度"]["computed_value"] is None
    assert report["target_light"] == "red"
    assert_shows_the_table(report)

    targets = department_targets
    saved = staff.patch(
        report_url(report["id"]),
        {
            "version": report["version"],
            "budget_cause_category": "其他",
            "budget_cause": "项目支付滞后",
            "budget_likelihood": "有可能",
            "budget_measure": "加快支付",
            "lines": [
                # Typed for a computed indicator: the system's figure stands.
                {"indicator": targets["execution"].pk, "actual_raw": "99%"},
                {
                    "indicator": targets["output"].pk,
                    "actual_raw": "60%",
                    "expected_raw": "100%",
                },
                {
                    "indicator": targets["benefit"].pk,
                    "actual_raw": "91%",
                    "expected_raw": "95%",
                },
            ],
        },
        "json",
    )
    assert saved.status_code == 200, saved.json()
    report = saved.json()
    lines = {line["name"]: line for line in report["lines"]}
    assert lines["预算执行率"]["actual_raw"] == ""
    assert lines["预算执行率"]["actual_text"] == "45.00%（系统计算）"
    assert lines["群众满意度"]["light"] == "green"
    assert_shows_the_table(report)

    # The computed indicator is red: its deviation needs a cause before submitting.
    refused = staff.post(report_url(report["id"], "submit"), {"version": report["version"]}, "json")
    body = assert_chinese_error(refused, 400)
    assert "预算执行率" in body["detail"]
    saved = staff.patch(
        report_url(report["id"]),
        {
            "version": report["version"],
            "lines": [
                {
                    "indicator": targets["execution"].pk,
                    "cause_category": "经费保障",
                    "cause": "资金下达较晚",
                    "likelihood": "有可能",
                    "measure": "加快支付",
                }
            ],
        },
        "json",
    )
    assert saved.status_code == 200, saved.json()
    submitted = staff.post(
        report_url(report["id"], "submit"), {"version": saved.json()["version"]}, "json"
    )
    assert submitted.status_code == 200, submitted.json()
    report = submitted.json()
    computed = {line["name"]: line for line in report["lines"]}["预算执行率"]
    # Stored at submission: the line exists now and keeps the figure it was judged on.
    assert computed["id"] is not None and Decimal(computed["computed_value"]) == Decimal(45)
    assert_shows_the_table(report)
    assert DepartmentIndicator.objects.filter(department=department_a).count() == 3


# --- optimistic locking -------------------------------------------------------------------------


def test_a_stale_version_is_409_with_the_pages_message(world, alice):
    client = client_for(alice)
    version = world.draft.version
    first = client.patch(report_url(world.draft), {"version": version, "summary": ""}, "json")
    assert first.status_code == 400  # a monitoring report has no 总体情况说明
    first = client.patch(
        report_url(world.draft), {"version": version, "budget_cause": "甲"}, "json"
    )
    assert first.status_code == 200
    before = database_state()
    stale = client.patch(
        report_url(world.draft), {"version": version, "budget_cause": "乙"}, "json"
    )
    body = assert_chinese_error(stale, 409)
    assert body["detail"] == REPORT_STALE.format(current=version + 1, yours=version)
    stale = client.post(report_url(world.draft, "submit"), {"version": version}, "json")
    assert assert_chinese_error(stale, 409)["detail"] == body["detail"]
    assert database_state() == before
    assert Report.objects.get(pk=world.draft.pk).budget_cause == "甲"


# --- bad input ----------------------------------------------------------------------------------

LONG = "x" * 100_000
THIRTY_DIGITS = "1" * 30


@dataclass(frozen=True)
class Bad:
    name: str
    method: str
    url: Callable[[World], str]
    body: Callable[[World], Any]
    status: int = 400
    raw: bool = False  # the body is sent as it is (not encoded as JSON)
    who: str = ""  # who sends it, when not the usual one

    def __str__(self) -> str:
        return self.name


def _draft(w: World, **fields) -> dict:
    return {"version": w.draft.version, **fields}


def _line(w: World, **fields) -> list[dict]:
    first = indicators_of(w.draft.project)["参保人员培训人数"].pk
    return [{"indicator": first, **fields}]


BAD = [
    Bad(
        "malformed json",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: '{"version": 1,',
        raw=True,
    ),
    Bad("not an object", "patch", lambda w: report_url(w.draft), lambda w: [1, 2]),
    Bad("no version", "patch", lambda w: report_url(w.draft), lambda w: {"budget_cause": "甲"}),
    Bad("null version", "patch", lambda w: report_url(w.draft), lambda w: {"version": None}),
    Bad("text version", "patch", lambda w: report_url(w.draft), lambda w: {"version": "abc"}),
    Bad(
        "version in quotes",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: {"version": str(w.draft.version)},
    ),
    Bad("boolean version", "patch", lambda w: report_url(w.draft), lambda w: {"version": True}),
    Bad(
        "1e999 version",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: '{"version": 1e999}',
        raw=True,
    ),
    Bad(
        "1e999 amount",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: f'{{"version": {w.draft.version}, "expected_executed": 1e999}}',
        raw=True,
    ),
    Bad(
        "20 decimal places",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, expected_executed="1.12345678901234567890"),
    ),
    Bad(
        "negative amount",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, expected_executed="-1"),
    ),
    Bad(
        "amount too large",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, expected_executed="1" + "0" * 12),
    ),
    Bad(
        "100,000 characters",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, budget_cause=LONG),
    ),
    Bad(
        "100,000 characters in a line",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, lines=_line(w, actual_raw=LONG)),
    ),
    Bad(
        "a NUL character",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, budget_cause="a\x00b"),
    ),
    Bad("unknown field", "patch", lambda w: report_url(w.draft), lambda w: _draft(w, foo=1)),
    Bad(
        "a lone surrogate in a choice",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: f'{{"version": {w.draft.version}, "budget_likelihood": "\\ud800"}}',
        raw=True,
    ),
    Bad(
        "a lone surrogate as a field name",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: f'{{"version": {w.draft.version}, "lines": [{{"\\ud800": 1}}]}}',
        raw=True,
    ),
    Bad(
        "a lone surrogate in a text",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: f'{{"version": {w.draft.version}, "budget_cause": "a\\udfffb"}}',
        raw=True,
    ),
    Bad(
        "unknown line field",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, lines=_line(w, foo=1)),
    ),
    Bad(
        "a field of the other stage",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, lines=_line(w, explanation="说明")),
    ),
    Bad(
        "unknown choice",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, budget_likelihood="也许"),
    ),
    Bad("lines not a list", "patch", lambda w: report_url(w.draft), lambda w: _draft(w, lines="x")),
    Bad(
        "unknown indicator",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, lines=[{"indicator": 999999, "actual_raw": "1人"}]),
    ),
    Bad(
        "another report's indicator",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(
            w,
            lines=[
                {"indicator": indicators_of(w.other.project)["参保人员培训人数"].pk},
            ],
        ),
    ),
    Bad(
        "30-digit indicator",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, lines=[{"indicator": int(THIRTY_DIGITS)}]),
    ),
    Bad(
        "a value that does not fit its indicator",
        "patch",
        lambda w: report_url(w.draft),
        lambda w: _draft(w, lines=_line(w, expected_raw="很多")),
    ),
    Bad("unknown report", "get", lambda w: report_url(999999), lambda w: None, status=404),
    Bad("30-digit report", "get", lambda w: f"{REPORTS}{THIRTY_DIGITS}/", lambda w: None, 404),
    Bad("report id 0", "patch", lambda w: f"{REPORTS}0/", lambda w: {"version": 1}, status=404),
    Bad("text report id", "post", lambda w: f"{REPORTS}abc/submit/", lambda w: {}, status=404),
    Bad("decimal report id", "get", lambda w: f"{REPORTS}1.5/", lambda w: None, status=404),
    Bad("30-digit round", "post", lambda w: f"{ROUNDS}{THIRTY_DIGITS}/close/", lambda w: {}, 404),
    Bad(
        "start: unknown round",
        "post",
        lambda w: REPORTS,
        lambda w: {"round": 999999, "project": w.fresh.pk},
    ),
    Bad(
        "start: 30-digit project",
        "post",
        lambda w: REPORTS,
        lambda w: {"round": w.round.pk, "project": int(THIRTY_DIGITS)},
    ),
    Bad("start: nothing", "post", lambda w: REPORTS, lambda w: {}),
    Bad(
        "submit an approved report",
        "post",
        lambda w: report_url(w.approved, "submit"),
        lambda w: {"version": w.approved.version},
    ),
    Bad(
        "submit a submitted report",
        "post",
        lambda w: report_url(w.submitted, "submit"),
        lambda w: {"version": w.submitted.version},
    ),
    Bad(
        "save a submitted report",
        "patch",
        lambda w: report_url(w.submitted),
        lambda w: {"version": w.submitted.version},
    ),
    Bad(
        "submit an incomplete report",
        "post",
        lambda w: report_url(w.other, "submit"),
        lambda w: {"version": w.other.version},
        who="bob",
    ),
    Bad("submit without a version", "post", lambda w: report_url(w.draft, "submit"), lambda w: {}),
    Bad(
        "rectification not required",
        "post",
        lambda w: report_url(w.draft, "rectification"),
        lambda w: {"result": "已整改"},
    ),
    Bad(
        "rectification result blank",
        "post",
        lambda w: report_url(w.rectify, "rectification"),
        lambda w: {"result": "  "},
    ),
    Bad(
        "round open: invalid date",
        "post",
        lambda w: ROUNDS,
        lambda w: {**_round_open(w), "as_of": "2024-02-30"},
    ),
    Bad(
        "round open: year 9999",
        "post",
        lambda w: ROUNDS,
        lambda w: {**_round_open(w), "deadline": "9999-12-31"},
    ),
    Bad(
        "round open: as-of outside the year",
        "post",
        lambda w: ROUNDS,
        lambda w: {**_round_open(w), "as_of": "2023-12-31"},
    ),
    Bad(
        "round open: deadline before as-of",
        "post",
        lambda w: ROUNDS,
        lambda w: {**_round_open(w), "deadline": "2024-09-01"},
    ),
    Bad(
        "round open: year in quotes",
        "post",
        lambda w: ROUNDS,
        lambda w: {**_round_open(w), "year": "2024"},
    ),
    Bad(
        "round open: unknown division",
        "post",
        lambda w: ROUNDS,
        lambda w: {**_round_open(w), "division": 999999},
    ),
    Bad(
        "round open: unknown stage",
        "post",
        lambda w: ROUNDS,
        lambda w: {**_round_open(w), "stage": "年中"},
    ),
    Bad(
        "round open: unknown field",
        "post",
        lambda w: ROUNDS,
        lambda w: {**_round_open(w), "is_open": False},
    ),
    Bad(
        "deadline: not a date",
        "post",
        lambda w: f"{ROUNDS}{w.round.pk}/deadline/",
        lambda w: {"deadline": "下周一"},
    ),
    Bad(
        "mark read: neither ids nor all",
        "post",
        lambda w: f"{NOTIFICATIONS}mark-read/",
        lambda w: {},
    ),
    Bad(
        "mark read: 30-digit id",
        "post",
        lambda w: f"{NOTIFICATIONS}mark-read/",
        lambda w: {"ids": [int(THIRTY_DIGITS)]},
    ),
]

REVIEW_BAD = [
    Bad(
        "approve a draft",
        "post",
        lambda w: report_url(w.draft, "approve"),
        lambda w: {"comment": ""},
    ),
    Bad(
        "return without a reason", "post", lambda w: report_url(w.submitted, "return"), lambda w: {}
    ),
    Bad(
        "return with a comment on an unknown indicator",
        "post",
        lambda w: report_url(w.submitted, "return"),
        lambda w: {"reason": "请修改", "comments": {"999999": "？"}},
    ),
    Bad(
        "return with a comment key that is no id",
        "post",
        lambda w: report_url(w.submitted, "return"),
        lambda w: {"reason": "请修改", "comments": {THIRTY_DIGITS: "？"}},
    ),
    Bad(
        "return with a lone surrogate as a comment key",
        "post",
        lambda w: report_url(w.submitted, "return"),
        lambda w: '{"reason": "请修改", "comments": {"\\ud800": "x"}}',
        raw=True,
    ),
    Bad(
        "reviewer score of another report's line",
        "post",
        lambda w: report_url(w.submitted, "reviewer-score"),
        lambda w: {"line": w.rectify.lines.first().pk, "score": "1", "reason": "x"},
    ),
    Bad(
        "reviewer score as a JSON number",
        "post",
        lambda w: report_url(w.submitted, "reviewer-score"),
        lambda w: {"line": w.submitted.lines.first().pk, "score": 1.5, "reason": "x"},
    ),
    Bad(
        "reviewer score with 20 places",
        "post",
        lambda w: report_url(w.submitted, "reviewer-score"),
        lambda w: {
            "line": w.submitted.lines.first().pk,
            "score": "1.12345678901234567890",
            "reason": "x",
        },
    ),
    Bad(
        "reviewer score of a quantitative indicator",
        "post",
        lambda w: report_url(w.submitted, "reviewer-score"),
        lambda w: {"line": w.submitted.lines.first().pk, "score": "1", "reason": "x"},
    ),
    Bad(
        "rectification required of a draft",
        "post",
        lambda w: report_url(w.draft, "rectification-required"),
        lambda w: {"requirements": "补充"},
    ),
    Bad(
        "unknown filter value",
        "get",
        lambda w: REPORTS + "?stage=年中",
        lambda w: None,
    ),
    Bad("1e999 year filter", "get", lambda w: REPORTS + "?year=1e999", lambda w: None),
    Bad(
        "30-digit round filter", "get", lambda w: f"{REPORTS}?round={THIRTY_DIGITS}", lambda w: None
    ),
    Bad("unknown status filter", "get", lambda w: REPORTS + "?status=done", lambda w: None),
    Bad(
        "30-digit division filter",
        "get",
        lambda w: f"{ROUNDS}?division={THIRTY_DIGITS}",
        lambda w: None,
    ),
]


def _send(client: APIClient, case: Bad, world: World):
    body = case.body(world)
    url = case.url(world)
    if case.raw:
        return getattr(client, case.method)(url, body, content_type="application/json")
    if case.method == "get":
        return client.get(url)
    return getattr(client, case.method)(url, body, "json")


@pytest.mark.parametrize("case", BAD, ids=str)
def test_bad_input_is_a_chinese_4xx_and_changes_nothing(request, world, alice, rita, case):
    user = rita if case.url(world).startswith(ROUNDS) else alice
    if case.who:
        user = request.getfixturevalue(case.who)
    before = database_state()
    assert_chinese_error(_send(client_for(user), case, world), case.status)
    assert database_state() == before


@pytest.mark.parametrize("case", REVIEW_BAD, ids=str)
def test_bad_review_input_is_a_chinese_4xx_and_changes_nothing(world, rita, case):
    before = database_state()
    assert_chinese_error(_send(client_for(rita), case, world), case.status)
    assert database_state() == before


def test_the_messages_say_what_is_wrong(world, alice, rita):
    client = client_for(alice)
    response = client.post(report_url(world.submitted, "submit"), {"version": 1}, "json")
    assert response.json()["detail"] == REPORT_NOT_EDITABLE.format(status="已提交")
    response = client_for(rita).post(report_url(world.draft, "approve"), {}, "json")
    assert response.json()["detail"] == REVIEW_NOT_SUBMITTED.format(status="草稿")
    response = client.patch(report_url(world.draft), {"version": 1, "foo": 1}, "json")
    body = response.json()
    assert list(body["errors"]) == ["foo"]
    assert body["detail"].startswith("未知字段，可用字段：version、expected_executed")
    response = client.post(report_url(world.other, "submit"), {"version": 1}, "json")
    assert response.status_code == 404
    problems = client_for(UserFactory(username="bob2", department=world.other.project.department))
    response = problems.post(
        report_url(world.other, "submit"), {"version": world.other.version}, "json"
    )
    # Every missing value is listed, in order.
    assert len(response.json()["errors"]["non_field_errors"]) == 6


def test_a_body_must_be_json(world, alice):
    response = client_for(alice).patch(
        report_url(world.draft), "version=1", content_type="application/x-www-form-urlencoded"
    )
    assert_chinese_error(response, 415)


def test_mark_read_marks_only_ones_own(world, alice, bob):
    theirs = Notification.objects.create(
        recipient=bob,
        kind=NotificationKind.RETURNED,
        subject_key="round:1",
        day=date(2024, 8, 1),
        subject="鲍勃的消息",
    )
    response = client_for(alice).post(
        f"{NOTIFICATIONS}mark-read/", {"ids": [world.notification.pk, theirs.pk]}, "json"
    )
    assert response.json()["count"] == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None
    unread = client_for(alice).get(NOTIFICATIONS, {"unread": "true"}).json()
    assert unread["count"] == 0


# --- queries that do not grow with the rows ------------------------------------------------------


def _many_reports(unit, round_, count: int) -> None:
    for _ in range(count):
        project = project_with_targets(unit, name=f"批量项目{Report.objects.count()}")
        report_of(round_, project)


@pytest.mark.parametrize("who", ["alice", "rita"])
def test_the_report_list_runs_the_same_queries_for_5_and_50_reports(request, unit_a, who):
    client = client_for(request.getfixturevalue(who))
    round_ = monitoring_round()
    _many_reports(unit_a, round_, 5)
    client.get(REPORTS)
    with CaptureQueriesContext(connection) as few:
        assert client.get(REPORTS).json()["count"] == 5
    _many_reports(unit_a, round_, 45)
    Report.objects.filter(pk__in=Report.objects.order_by("pk").values("pk")[:20]).update(
        status=ReportStatus.SUBMITTED
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(REPORTS).json()["count"] == 50
    assert len(few) == len(many)


def test_the_round_and_notification_lists_run_a_fixed_number_of_queries(alice, rita):
    def count(client, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def notify(n: int) -> None:
        for i in range(n):
            Notification.objects.create(
                recipient=alice,
                kind=NotificationKind.DUE_SOON,
                subject_key=f"round:{Notification.objects.count()}",
                day=date(2024, 8, 1),
                subject=f"消息{i}",
            )

    monitoring_round()
    notify(5)
    staff, reviewer = client_for(alice), client_for(rita)
    few = (count(reviewer, ROUNDS), count(staff, NOTIFICATIONS))
    for code in ("410100", "410200", "410300", "410500"):
        monitoring_round(division=DivisionFactory(code=code))
    notify(45)
    assert (count(reviewer, ROUNDS), count(staff, NOTIFICATIONS)) == few
