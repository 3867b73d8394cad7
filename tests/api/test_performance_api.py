"""The performance API per actor: indicators written through performance.services (STATEMENTS),
the target review of each project, department targets read-only; bad input, query counts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.models import Project, WarningSettings
from performance.choices import GOAL, TASK
from performance.models import DepartmentGoal, Indicator
from performance.selectors import project_reviews
from performance.services import (
    INDICATOR_LOCKED,
    INDICATOR_NO_PERMISSION,
    INDICATOR_WEIGHT_INVALID,
)
from performance.workbook import UNKNOWN_LEVEL1, WEIGHT_NOT_POSITIVE
from tests.factories import ProjectFactory
from tests.performance.conftest import (
    complete_targets,
    make_department_indicator,
    make_indicator,
)

from .test_budgets_api import ACTORS, CJK, actor, api, call, conforms, openapi, refused

pytestmark = pytest.mark.django_db

SEES = {"alice": {"A"}, "bob": {"B"}, "rita": {"A", "B"}, "adam": {"A", "B"}}


@pytest.fixture(autouse=True)
def warning_settings(db):
    return WarningSettings.current()


@pytest.fixture
def project_a(unit_a):
    return ProjectFactory(unit=unit_a, code="309-A1", name="医保经费", initial_budget=Decimal("50"))


@pytest.fixture
def project_b(unit_b):
    return ProjectFactory(unit=unit_b, code="044-B1", name="制卡费", initial_budget=Decimal("7.5"))


@pytest.fixture
def world(project_a, project_b, alice, bob, rita, adam):
    targets_a = complete_targets(project_a)
    make_indicator(project_b, "产出指标", "制卡数量", "≥1000张")
    return {
        "indicator_a": targets_a[0],
        "department_indicator_a": make_department_indicator(
            project_a.department, "投入管理指标", "预算执行率", "≥90%"
        ),
        "department_indicator_b": make_department_indicator(
            project_b.department, "产出指标", "参保人数", "≥10万人"
        ),
        "goal_a": DepartmentGoal.objects.create(
            department=project_a.department, year=2024, category=GOAL, order=1, name="强化管理"
        ),
        "task_b": DepartmentGoal.objects.create(
            department=project_b.department,
            year=2024,
            category=TASK,
            order=1,
            name="制卡",
            project_codes=["044-B1"],
        ),
    }


# --- reading -------------------------------------------------------------------------------------


READS = [
    ("/api/indicators/", "indicator_a", "project_code", "309-A1", "044-B1"),
    ("/api/department-indicators/", "department_indicator_a", "department_code", "309", "044"),
    ("/api/department-goals/", "goal_a", "department_code", "309", "044"),
]


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize(("url", "key", "field", "code_a", "code_b"), READS)
def test_lists_and_details_answer_each_actor(request, world, who, url, key, field, code_a, code_b):
    client = api(actor(request, who))
    listed, detail = client.get(url), client.get(f"{url}{world[key].pk}/")
    if who == "anonymous":
        refused(listed, 401)
        refused(detail, 401)
        return
    expected = {"A": code_a, "B": code_b}
    assert {row[field] for row in conforms(listed)["results"]} == {expected[d] for d in SEES[who]}
    if "A" in SEES[who]:
        assert conforms(detail)[field] == code_a
    else:
        conforms(detail)
        refused(detail, 404)


def test_an_indicator_shows_the_target_as_the_export_reads_it(alice, world):
    body = conforms(api(alice).get("/api/indicators/", {"level1": "满意度指标"}))
    (row,) = body["results"]
    assert (row["name"], row["raw"]) == ("市民满意度", "≥90%")
    assert row["target"] == {
        "raw": "≥90%",
        "kind": "quantitative",
        "comparator": ">=",
        "value": "90",
        "upper": None,
        "unit": "%",
    }
    assert row["weight"] is None and row["locked"] is False and row["meaning"]


def test_department_targets_are_read_only(alice, world):
    client = api(alice)
    computed = conforms(client.get("/api/department-indicators/", {"computed": "true"}))
    assert [(r["name"], r["metric"]) for r in computed["results"]] == [
        ("预算执行率", "execution_rate")
    ]
    assert conforms(client.get("/api/department-goals/", {"category": GOAL}))["count"] == 1
    url = f"/api/department-indicators/{world['department_indicator_a'].pk}/"
    assert call(client, "DELETE", url).status_code == 405
    assert call(client, "POST", "/api/department-goals/", {}).status_code == 405
    refused(client.get("/api/department-indicators/", {"computed": "maybe"}))


# --- writing indicators -------------------------------------------------------------------------


def indicator_body(project, **extra) -> dict:
    return {
        "project": project.pk,
        "level1": "产出指标",
        "name": "参保人数",
        "raw": "≥10万人",
        **extra,
    }


# alice and adam write; rita (a reviewer) reads but never writes statements; bob sees nothing.
CREATE_STATUS = {"anonymous": 401, "alice": 201, "bob": 400, "rita": 403, "adam": 201}
CHANGE_STATUS = {"anonymous": 401, "alice": 200, "bob": 404, "rita": 403, "adam": 200}


@pytest.mark.parametrize("who", ACTORS)
def test_an_indicator_is_added_through_the_service_by_staff_and_admins(request, world, who):
    user = actor(request, who)
    project = Project.objects.get(code="309-A1")
    response = call(api(user), "POST", "/api/indicators/", indicator_body(project, weight="10"))
    assert response.status_code == CREATE_STATUS[who], response.content[:300]
    if who == "anonymous":
        return
    body = conforms(response, "POST")
    added = Indicator.objects.filter(project=project, name="参保人数")
    if response.status_code != 201:
        assert not added.exists()
        if who == "rita":
            assert body["detail"] == INDICATOR_NO_PERMISSION.format(department="新乡市医疗保障局")
        return
    indicator = added.get()
    assert (indicator.raw, indicator.kind, indicator.weight) == ("≥10万人", "quantitative", 10)
    assert body["weight"] == "10" and body["target"]["unit"] == "万人"
    assert indicator.history.get().history_user == user


@pytest.mark.parametrize("who", ACTORS)
def test_an_indicator_is_changed_and_deleted_by_staff_and_admins(request, world, who):
    user = actor(request, who)
    indicator = world["indicator_a"]
    url = f"/api/indicators/{indicator.pk}/"
    client = api(user)
    changed = call(client, "PATCH", url, {"raw": "≤45万元", "note": "压缩"})
    assert changed.status_code == CHANGE_STATUS[who]
    deleted = call(client, "DELETE", url)
    if CHANGE_STATUS[who] != 200:
        assert deleted.status_code == CHANGE_STATUS[who]
        refused(deleted, CHANGE_STATUS[who])
        assert Indicator.objects.filter(pk=indicator.pk).exists()
        return
    body = conforms(changed, "PATCH")
    assert (body["raw"], body["note"], body["name"]) == ("≤45万元", "压缩", "项目成本")
    assert deleted.status_code == 204
    history = Indicator.history.filter(id=indicator.pk).order_by("history_id")
    assert [r.history_type for r in history] == ["+", "~", "-"]
    assert history.last().history_user == user


def test_locked_targets_are_refused_as_on_the_page(alice, world):
    project = Project.objects.get(code="309-A1")
    Project.objects.filter(pk=project.pk).update(targets_locked=True)
    client = api(alice)
    indicator = world["indicator_a"]
    for response in (
        call(client, "POST", "/api/indicators/", indicator_body(project)),
        call(client, "PATCH", f"/api/indicators/{indicator.pk}/", {"note": "x"}),
        call(client, "DELETE", f"/api/indicators/{indicator.pk}/"),
    ):
        assert refused(response)["detail"] == INDICATOR_LOCKED
    assert Indicator.objects.filter(pk=indicator.pk, note="").exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"level1": "成本"}, "level1", UNKNOWN_LEVEL1.format(value="成本")),
        ({"level1": 1}, "level1", "一级指标"),
        ({"name": ""}, "name", "三级指标不能为空"),
        ({"name": "项目成本", "level1": "成本指标"}, "name", "不能重复"),
        ({"name": "x" * 100_000}, "name", "200"),
        ({"raw": "x" * 100_000}, "raw", "500"),
        ({"raw": ""}, "raw", "指标值"),
        ({"raw": 95}, "raw", "字符串"),
        ({"raw": "≥90%\x18"}, "raw", "控制字符"),
        ({"weight": 30}, "weight", "字符串"),
        ({"weight": "0"}, "weight", WEIGHT_NOT_POSITIVE.format(value="0")),
        ({"weight": "abc"}, "weight", WEIGHT_NOT_POSITIVE.format(value="abc")),
        ({"weight": "1.2345"}, "weight", INDICATOR_WEIGHT_INVALID.format(value="1.2345")),
        ({"weight": "1e999"}, "weight", "权重"),
        ({"weight": ""}, "weight", "null"),
        ({"project": int("9" * 30)}, "project", "正整数"),
        ({"project": 999_999}, "project", "不存在"),
        ({"position": 1}, "position", "未知字段"),
    ],
)
def test_bad_indicators_are_a_400_saying_what_is_wrong(alice, world, change, field, message):
    project = Project.objects.get(code="309-A1")
    before = Indicator.objects.count()
    response = call(api(alice), "POST", "/api/indicators/", {**indicator_body(project), **change})
    body = refused(response)
    assert message in " ".join(body["errors"].get(field, [])) or message in body["detail"], body
    conforms(response, "POST")
    assert Indicator.objects.count() == before


def test_a_weight_may_be_cleared_with_null(alice, world):
    indicator = world["indicator_a"]
    Indicator.objects.filter(pk=indicator.pk).update(weight=Decimal("10"))
    url = f"/api/indicators/{indicator.pk}/"
    assert conforms(call(api(alice), "PATCH", url, {"weight": None}), "PATCH")["weight"] is None


# --- target review -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_the_review_of_each_project_is_the_review_pages(request, world, who):
    client = api(actor(request, who))
    response = client.get("/api/target-reviews/")
    if who == "anonymous":
        refused(response, 401)
        return
    rows = {row["code"]: row for row in conforms(response)["results"]}
    assert set(rows) == {{"A": "309-A1", "B": "044-B1"}[d] for d in SEES[who]}
    projects = Project.objects.filter(code__in=rows)
    expected = project_reviews(projects, date(2024, 12, 31))
    for project in projects:
        row, review = rows[project.code], expected[project.pk]
        assert row["passed"] == review.passed and row["as_of"] == "2024-12-31"
        assert [p["code"] for p in row["failures"]] == [
            p.code for p in review.problems if p.blocking
        ]
    # 309-A1 has every group; 044-B1 lacks 效益 and 满意度.
    if "A" in SEES[who]:
        assert rows["309-A1"]["passed"]
    if "B" in SEES[who]:
        assert not rows["044-B1"]["passed"]


def test_the_review_beside_the_project_and_by_id_agree(alice, bob, world):
    project = Project.objects.get(code="309-A1")
    by_id = conforms(api(alice).get(f"/api/target-reviews/{project.pk}/"))
    beside = conforms(api(alice).get(f"/api/projects/{project.pk}/review/"))
    assert by_id == beside and by_id["project"] == project.pk
    refused(api(bob).get(f"/api/projects/{project.pk}/review/"), 404)
    refused(api(bob).get(f"/api/target-reviews/{project.pk}/"), 404)
    refused(api(alice).get(f"/api/projects/{'9' * 30}/review/"), 404)


@pytest.mark.parametrize("status", ["passed", "failed", "warned"])
def test_the_review_filters_by_outcome(rita, world, unit_a, status):
    ProjectFactory(unit=unit_a, code="309-A2")  # no indicator at all: fails, and warns
    reviews = project_reviews(Project.objects.all(), date(2024, 12, 31))
    outcome = {
        "passed": lambda r: r.passed,
        "failed": lambda r: not r.passed,
        "warned": lambda r: bool(r.warnings),
    }[status]
    expected = sorted(p.code for p in Project.objects.all() if outcome(reviews[p.pk]))
    assert expected  # each outcome occurs
    body = conforms(api(rita).get("/api/target-reviews/", {"status": status}))
    assert sorted(row["code"] for row in body["results"]) == expected
    assert body["count"] == len(expected)


def test_a_bad_review_filter_is_a_400(alice, world):
    for query in ({"status": "good"}, {"year": "x"}, {"project": "9" * 30}):
        response = api(alice).get("/api/target-reviews/", query)
        refused(response)
        conforms(response)


# --- query counts -----------------------------------------------------------------------------


def _many(unit, n: int, prefix: str) -> None:
    for i in range(n):
        complete_targets(ProjectFactory(unit=unit, code=f"{prefix}{i:03d}"))


@pytest.mark.parametrize("who", ["alice", "rita"])
@pytest.mark.parametrize(
    ("url", "rows"),
    [
        ("/api/indicators/", 4),
        ("/api/target-reviews/", 1),
        ("/api/target-reviews/?status=passed", 1),
    ],
)
def test_lists_run_the_same_queries_for_5_and_50_projects(request, unit_a, who, url, rows):
    client = api(request.getfixturevalue(who))

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": "1000"})
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    _many(unit_a, 5, "F")
    five, listed = count()
    assert listed == 5 * rows
    _many(unit_a, 45, "M")
    fifty, listed = count()
    assert listed == 50 * rows
    assert five == fifty


# --- the schema --------------------------------------------------------------------------------


def test_every_operation_is_described_in_chinese_with_its_errors():
    mine = r"^/api/(indicators|target-reviews|department-\w+|projects/\{id\}/review)"
    seen = 0
    for template, operations in openapi()["paths"].items():
        if not re.match(mine, template):
            continue
        for method, operation in operations.items():
            if method == "parameters":
                continue
            seen += 1
            assert CJK.search(operation.get("summary", "")), (method, template)
            assert CJK.search(operation.get("description", "")), (method, template)
            codes = set(operation["responses"])
            assert "401" in codes and codes & {"400", "404"}, (method, template)
    assert seen >= 13


def test_a_put_of_an_indicator_resets_what_it_leaves_out(alice, world):
    indicator = world["indicator_a"]
    Indicator.objects.filter(pk=indicator.pk).update(weight=Decimal("10"), note="说明")
    body = {"level1": "成本指标", "name": "项目成本", "raw": "≤40万元"}
    saved = conforms(call(api(alice), "PUT", f"/api/indicators/{indicator.pk}/", body), "PUT")
    assert (saved["raw"], saved["weight"], saved["note"]) == ("≤40万元", None, "")
