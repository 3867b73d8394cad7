"""The budgets API per actor (anonymous, alice of A, bob of B, rita the reviewer, adam the admin):
reads, writes through the pages' services, bad input, query counts, answers against the schema."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

from budgets.export import build_export
from budgets.forms import AMOUNT_INVALID, AS_OF_OUTSIDE_YEAR
from budgets.models import (
    Adjustment,
    DepartmentRateSnapshot,
    Payment,
    Project,
    ProjectRateSnapshot,
    WarningSettings,
)
from budgets.selectors import project_figures
from budgets.services import (
    AMOUNT_TOO_LARGE,
    AMOUNT_TOO_PRECISE,
    BUDGET_WOULD_BE_NEGATIVE_AFTER_DELETE,
    DATE_OUTSIDE_FISCAL_YEARS,
    NO_CHANGE_PERMISSION,
    VOUCHER_TAKEN,
    rates_snapshot_save,
)
from budgets.views.projects import AS_OF_OUTSIDE_PROJECT_YEAR
from tests.factories import AdjustmentFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

AS_OF = "2024-07-31"  # 序时进度 213/366 = 58.20 %
CJK = re.compile(r"[\u4e00-\u9fff]")
ACTORS = ("anonymous", "alice", "bob", "rita", "adam")


# --- helpers shared by the API tests -------------------------------------------------------------


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def actor(request, name: str):
    return None if name == "anonymous" else request.getfixturevalue(name)


def _openapi_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` as JSON Schema's null type, everywhere in the document."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _openapi_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def openapi() -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _operation(path: str, method: str) -> tuple[str, dict]:
    """The schema's operation answering a concrete path ("/api/payments/12/")."""
    for template, operations in openapi()["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"no operation {method} {path} in the schema")


def conforms(response, method: str = "GET") -> Any:
    """Assert the response's status and body are the ones the schema documents; the body."""
    path = response.request["PATH_INFO"]
    template, operation = _operation(path, method)
    code = str(response.status_code)
    assert code in operation["responses"], f"{method} {template}: {code} undocumented"
    content = operation["responses"][code].get("content")
    if response.status_code == 204:
        return None
    media = response["Content-Type"].split(";")[0]
    assert content and media in content, f"{method} {template} {code}: {media} undocumented"
    if media != "application/json":
        return response.content
    body = response.json()
    schema = _openapi_to_jsonschema(content[media]["schema"])
    root = {**schema, "components": _openapi_to_jsonschema(openapi()["components"])}
    errors = sorted(Draft202012Validator(root).iter_errors(body), key=str)
    assert not errors, f"{method} {template} {code}: {errors[0].message} at {errors[0].path}"
    return body


def refused(response, status: int = 400) -> dict:
    """A 4xx in the one error shape, with a Chinese message."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) <= {"detail", "errors"} and CJK.search(body["detail"]), body
    return body


def call(client: APIClient, method: str, url: str, data=None):
    return getattr(client, method.lower())(url, data, format="json")


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def warning_settings(db):
    # Created up front so that no call pays for get_or_create inside a counted block.
    return WarningSettings.current()


@pytest.fixture
def project_a(unit_a):
    return ProjectFactory(
        unit=unit_a, code="309-A1", name="医保基金监管", initial_budget=Decimal("100")
    )


@pytest.fixture
def project_b(unit_b):
    return ProjectFactory(
        unit=unit_b, code="044-B1", name="西峡医保信息化", initial_budget=Decimal("50")
    )


@pytest.fixture
def world(project_a, project_b, alice, bob, rita, adam):
    """A project, a payment and an adjustment in each department; snapshots of both."""
    objects = {
        "payment_a": PaymentFactory(project=project_a, voucher="记-A", amount=Decimal("10")),
        "payment_b": PaymentFactory(project=project_b, voucher="记-B", amount=Decimal("5")),
        "adjustment_a": AdjustmentFactory(project=project_a, document_number="新财〔2024〕1号"),
        "adjustment_b": AdjustmentFactory(project=project_b, document_number="西财〔2024〕1号"),
    }
    rates_snapshot_save(as_of=date(2024, 7, 31))
    objects["project_snapshot_a"] = ProjectRateSnapshot.objects.get(project=project_a)
    objects["project_snapshot_b"] = ProjectRateSnapshot.objects.get(project=project_b)
    objects["department_snapshot_a"] = DepartmentRateSnapshot.objects.get(
        department=project_a.department
    )
    objects["department_snapshot_b"] = DepartmentRateSnapshot.objects.get(
        department=project_b.department
    )
    objects["unit_a"], objects["unit_b"] = project_a.unit, project_b.unit
    objects["project_a"], objects["project_b"] = project_a, project_b
    return objects


# --- reading: who sees what --------------------------------------------------------------------

# (endpoint, key of department A's object in `world`, its code field, A's and B's codes)
READS = [
    ("/api/units/", "unit_a", "code", "309002", "044002"),
    ("/api/projects/", "project_a", "code", "309-A1", "044-B1"),
    ("/api/adjustments/", "adjustment_a", "document_number", "新财〔2024〕1号", "西财〔2024〕1号"),
    ("/api/payments/", "payment_a", "voucher", "记-A", "记-B"),
    ("/api/project-snapshots/", "project_snapshot_a", "project_code", "309-A1", "044-B1"),
    ("/api/department-snapshots/", "department_snapshot_a", "department_code", "309", "044"),
]
SEES = {"alice": {"A"}, "bob": {"B"}, "rita": {"A", "B"}, "adam": {"A", "B"}}


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize(("url", "key", "field", "code_a", "code_b"), READS)
def test_lists_and_details_answer_each_actor_as_the_pages_do(
    request, world, who, url, key, field, code_a, code_b
):
    client = api(actor(request, who))
    listed = client.get(url)
    detail = client.get(f"{url}{world[key].pk}/")
    if who == "anonymous":
        refused(listed, 401)
        refused(detail, 401)
        return
    codes = {item[field] for item in conforms(listed)["results"]}
    expected = {"A": code_a, "B": code_b}
    assert codes == {expected[d] for d in SEES[who]}
    if "A" in SEES[who]:
        assert conforms(detail)[field] == code_a
    else:
        refused(detail, 404)
        conforms(detail)


# --- projects and their figures --------------------------------------------------------------


def test_a_project_lists_its_code_and_its_figures_as_of_a_date(alice, project_a):
    AdjustmentFactory(project=project_a, amount=Decimal("20"), date=date(2024, 3, 1))
    AdjustmentFactory(project=project_a, amount=Decimal("30"), date=date(2024, 9, 1))  # after
    PaymentFactory(project=project_a, amount=Decimal("60.000001"), date=date(2024, 7, 31))
    PaymentFactory(project=project_a, amount=Decimal("5"), date=date(2024, 8, 1))  # after
    body = conforms(api(alice).get("/api/projects/", {"as_of": AS_OF}))
    (row,) = body["results"]
    assert row["code"] == "309-A1" and row["as_of"] == AS_OF
    assert (row["initial"], row["adjusted"], row["executed"]) == (
        "100.000000",
        "120.000000",
        "60.000001",
    )
    # 60.000001 / 120 = 50.0000008 % ≥ 0.8 × 58.20 %: green; rates as the export writes them.
    assert row["execution_rate"] == "50.00" and row["warning"] == "green"
    assert row["adjustment_rate"] == "20.00" and row["carryover_rate"] == "50.00"
    assert row["time_progress"] == "58.20" and row["warning_label"] == "正常"
    figures = project_figures(Project.objects.filter(pk=project_a.pk), date(2024, 7, 31))
    assert Decimal(row["adjusted"]) == figures[project_a.pk].adjusted


def test_without_a_date_each_project_is_shown_as_the_pages_show_its_year(alice, unit_a):
    old = ProjectFactory(unit=unit_a, year=2023, code="OLD")
    PaymentFactory(project=old, amount=Decimal("50"), date=date(2023, 12, 1))
    rows = conforms(api(alice).get("/api/projects/", {"year": "2023"}))["results"]
    # A past year as of its 31 December: time progress 100 %, 50 % spent is red.
    assert rows[0]["as_of"] == "2023-12-31" and rows[0]["time_progress"] == "100.00"
    assert rows[0]["warning"] == "red"
    both = conforms(api(alice).get("/api/projects/"))["results"]
    assert {r["code"]: r["as_of"] for r in both}["OLD"] == "2023-12-31"


def test_a_project_without_budget_has_no_rate_and_no_warning(alice, unit_a):
    ProjectFactory(unit=unit_a, code="NONE", initial_budget=Decimal("0"))
    (row,) = conforms(api(alice).get("/api/projects/", {"as_of": AS_OF}))["results"]
    assert row["execution_rate"] is None and row["warning"] is None
    assert row["warning_label"] == "无预算"


@pytest.fixture
def lights(unit_a):
    """Projects whose light as of 2024-07-31 is known (green ≥ 46.56 %, yellow ≥ 34.92 %)."""
    for code, spent in {"G": "90", "Y": "40", "R": "10", "O": "101"}.items():
        project = ProjectFactory(unit=unit_a, code=code, initial_budget=Decimal("100"))
        PaymentFactory(project=project, amount=Decimal(spent), date=date(2024, 2, 1))
    ProjectFactory(unit=unit_a, code="N", initial_budget=Decimal("0"))


@pytest.mark.parametrize(("light", "code"), [("green", "G"), ("yellow", "Y"), ("red", "R")])
def test_the_warning_filter_agrees_with_the_warning_shown(alice, lights, light, code):
    for query in ({"as_of": AS_OF}, {"year": "2024", "as_of": AS_OF}):
        rows = conforms(api(alice).get("/api/projects/", {**query, "warning": light}))["results"]
        assert [(r["code"], r["warning"]) for r in rows] == [(code, light)]


def test_the_warning_filter_without_a_date_uses_each_years_time_progress(alice, lights, unit_a):
    # Today the 2024 projects are past: as of 31 December, 90 % is green, 40 % red.
    rows = conforms(api(alice).get("/api/projects/", {"warning": "red"}))["results"]
    assert sorted(r["code"] for r in rows) == ["R", "Y"]
    assert {r["warning"] for r in rows} == {"red"}


def test_projects_sort_like_the_page_with_no_budget_last(alice, lights):
    client = api(alice)

    def codes(ordering: str) -> list[str]:
        query = {"as_of": AS_OF, "ordering": ordering}
        return [r["code"] for r in conforms(client.get("/api/projects/", query))["results"]]

    assert codes("rate") == ["R", "Y", "G", "O", "N"]
    assert codes("-rate") == ["O", "G", "Y", "R", "N"]
    assert codes("-code") == ["Y", "R", "O", "N", "G"]
    refused(client.get("/api/projects/", {"ordering": "budget"}))


def test_project_filters_are_the_pages(rita, unit_a, unit_b):
    ProjectFactory(unit=unit_a, code="S-1", name="医疗救助", type="特定目标类")
    ProjectFactory(unit=unit_a, code="S-2", name="办公运转", type="其他运转类")
    ProjectFactory(unit=unit_b, code="T-1", name="医疗救助西峡", type="特定目标类")
    client = api(rita)

    def codes(**query) -> list[str]:
        body = conforms(client.get("/api/projects/", {**query, "ordering": "code"}))
        return [r["code"] for r in body["results"]]

    assert codes(search="救助") == ["S-1", "T-1"]
    assert codes(search="s-2") == ["S-2"]
    assert codes(type="其他运转类") == ["S-2"]
    assert codes(code="T-1") == ["T-1"]
    assert codes(department=str(unit_b.department_id)) == ["T-1"]
    assert codes(division="410700") == ["S-1", "S-2", "T-1"]
    assert codes(division="411323") == []
    assert codes(year="2023") == []


def test_staff_asking_for_another_department_get_nothing_of_it(alice, project_a, project_b):
    body = conforms(api(alice).get("/api/projects/", {"department": project_b.department_id}))
    assert body["results"] == []


def test_a_project_is_read_as_of_a_date_of_its_year_only(alice, project_a):
    client = api(alice)
    url = f"/api/projects/{project_a.pk}/"
    assert conforms(client.get(url, {"as_of": AS_OF}))["as_of"] == AS_OF
    outside = refused(client.get(url, {"as_of": "2025-01-01"}))
    assert outside["errors"]["as_of"] == [AS_OF_OUTSIDE_PROJECT_YEAR.format(year=2024)]
    conforms(client.get(url, {"as_of": "2025-01-01"}))
    refused(client.get(url, {"as_of": "2024-02-30"}))


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"year": "abc"}, "year"),
        ({"year": "1999"}, "year"),
        ({"year": "9" * 30}, "year"),
        ({"as_of": "2024-13-01"}, "as_of"),
        ({"as_of": "0001-01-01"}, "as_of"),
        ({"year": "2024", "as_of": "2023-12-31"}, "as_of"),
        ({"division": "41070"}, "division"),
        ({"division": "abc%"}, "division"),
        ({"year": "%s%d"}, "year"),
        ({"department": "9" * 30}, "department"),
        ({"department": "-1"}, "department"),
        ({"warning": "purple"}, "warning"),
        ({"type": "x"}, "type"),
        ({"search": "x" * 100_000}, "search"),
        ({"code": "x" * 100_000}, "code"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(alice, query, param):
    response = api(alice).get("/api/projects/", query)
    body = refused(response)
    assert list(body["errors"]) == [param]
    conforms(response)


def test_a_parameter_given_twice_is_a_400_and_a_blank_one_no_filter(alice, world):
    client = api(alice)
    for url in ("/api/projects/", "/api/payments/", "/api/export/", "/api/tables/11/"):
        body = refused(client.get(f"{url}?year=2024&year=2023"))
        assert list(body["errors"]) == ["year"]
    blank = conforms(client.get("/api/projects/?year=&warning=&department=&as_of="))
    assert blank["count"] == 1
    parameters = openapi()["paths"]["/api/projects/"]["get"]["parameters"]
    assert all(p.get("allowEmptyValue") for p in parameters if p["in"] == "query")


def test_the_as_of_filter_says_which_year(alice):
    body = refused(api(alice).get("/api/projects/", {"year": "2024", "as_of": "2023-12-31"}))
    assert body["errors"]["as_of"] == [AS_OF_OUTSIDE_YEAR.format(year=2024)]


# --- adjustments ------------------------------------------------------------------------------

# What each actor's write of department A's object answers (bob does not see it).
WRITE_STATUS = {"anonymous": 401, "alice": None, "bob": 404, "rita": None, "adam": None}


def adjustment_body(project, **extra) -> dict:
    return {
        "project": project.pk,
        "document_number": "新财预〔2024〕9号",
        "date": "2024-05-01",
        "amount": "12.5",
        **extra,
    }


@pytest.mark.parametrize("who", ACTORS)
def test_an_adjustment_is_created_through_the_service_by_whoever_may(request, project_a, who):
    user = actor(request, who)
    response = call(api(user), "POST", "/api/adjustments/", adjustment_body(project_a))
    if who == "anonymous":
        refused(response, 401)
        return
    if who == "bob":
        # Another department's project is, to bob, no project at all.
        body = refused(response)
        assert "不存在" in body["errors"]["project"][0]
        conforms(response, "POST")
        assert not Adjustment.objects.exists()
        return
    body = conforms(response, "POST")
    assert response.status_code == 201
    adjustment = Adjustment.objects.get(pk=body["id"])
    assert (adjustment.amount, adjustment.kind, adjustment.year) == (
        Decimal("12.5"),
        "一般调整",
        2024,
    )
    assert body["amount"] == "12.500000" and body["project_code"] == "309-A1"
    record = adjustment.history.get()
    assert record.history_type == "+" and record.history_user == user


@pytest.mark.parametrize("who", ACTORS)
def test_an_adjustment_is_changed_and_deleted_by_whoever_may(request, world, who):
    user = actor(request, who)
    adjustment = world["adjustment_a"]
    url = f"/api/adjustments/{adjustment.pk}/"
    client = api(user)
    changed = call(client, "PATCH", url, {"amount": "-5", "kind": "政策性调整"})
    deleted = call(client, "DELETE", url)
    expected = WRITE_STATUS[who]
    if expected is not None:
        refused(changed, expected)
        refused(deleted, expected)
        assert Adjustment.objects.filter(pk=adjustment.pk).exists()
        return
    body = conforms(changed, "PATCH")
    assert (body["amount"], body["kind"], body["note"]) == ("-5.000000", "政策性调整", "")
    assert deleted.status_code == 204
    assert not Adjustment.objects.filter(pk=adjustment.pk).exists()
    assert [r.history_type for r in Adjustment.history.filter(id=adjustment.pk)] == ["-", "~", "+"]
    assert Adjustment.history.filter(id=adjustment.pk).latest().history_user == user


def test_a_put_replaces_every_field_of_an_adjustment(alice, world):
    adjustment = world["adjustment_a"]
    Adjustment.objects.filter(pk=adjustment.pk).update(kind="政策性调整")
    body = {"document_number": "改〔2024〕1号", "date": "2024-06-02", "amount": "1", "note": "说明"}
    response = call(api(alice), "PUT", f"/api/adjustments/{adjustment.pk}/", body)
    assert conforms(response, "PUT")["document_number"] == "改〔2024〕1号"
    adjustment.refresh_from_db()
    # Left out of a PUT, the type is the default again.
    assert (adjustment.amount, adjustment.note, adjustment.kind) == (
        Decimal("1"),
        "说明",
        "一般调整",
    )
    # A PUT names every field: the project is not one of them.
    missing = refused(call(api(alice), "PUT", f"/api/adjustments/{adjustment.pk}/", {}))
    assert set(missing["errors"]) == {"document_number", "date", "amount"}
    moved = call(api(alice), "PATCH", f"/api/adjustments/{adjustment.pk}/", {"project": 1})
    assert "只读" in refused(moved)["errors"]["project"][0]


def test_the_full_year_budget_may_not_become_negative(alice, project_a):
    client = api(alice)
    response = call(client, "POST", "/api/adjustments/", adjustment_body(project_a, amount="-101"))
    body = refused(response)
    assert body["errors"]["amount"] == [
        "调整后全年预算数为-1.00万元，不能为负数（年初预算数100.00万元，已有调整0.00万元，"
        "本次调整-101.00万元）"
    ]
    conforms(response, "POST")
    raise_ = AdjustmentFactory(project=project_a, amount=Decimal("50"))
    AdjustmentFactory(project=project_a, amount=Decimal("-120"))
    gone = refused(call(client, "DELETE", f"/api/adjustments/{raise_.pk}/"))
    assert gone["detail"] == BUDGET_WOULD_BE_NEGATIVE_AFTER_DELETE.format(
        adjusted="-20.00", initial="100.00", existing="-120.00"
    )


def test_an_adjustment_number_is_unique_in_its_department_and_year(alice, world):
    taken = adjustment_body(world["project_a"], document_number="新财〔2024〕1号")
    body = refused(call(api(alice), "POST", "/api/adjustments/", taken))
    assert "已存在" in body["errors"]["document_number"][0]


# --- payments ----------------------------------------------------------------------------------


def payment_body(project=None, **extra) -> dict:
    body = {"voucher": "记-0200", "date": "2024-05-20", "amount": "12.5"}
    if project is not None:
        body["project"] = project.pk
    return {**body, **extra}


@pytest.mark.parametrize("who", ACTORS)
def test_a_payment_is_created_through_the_service_by_whoever_may(request, project_a, who):
    user = actor(request, who)
    response = call(api(user), "POST", "/api/payments/", payment_body(project_a, summary="差旅"))
    if who == "anonymous":
        refused(response, 401)
        return
    if who == "bob":
        assert "不存在" in refused(response)["errors"]["project"][0]
        assert not Payment.objects.exists()
        return
    body = conforms(response, "POST")
    assert response.status_code == 201
    payment = Payment.objects.get(pk=body["id"])
    assert (payment.amount, payment.summary, payment.department) == (
        Decimal("12.5"),
        "差旅",
        project_a.department,
    )
    assert payment.history.get().history_user == user


@pytest.mark.parametrize("who", ACTORS)
def test_a_payment_is_changed_and_deleted_by_whoever_may(request, world, who):
    user = actor(request, who)
    payment = world["payment_a"]
    url = f"/api/payments/{payment.pk}/"
    client = api(user)
    changed = call(client, "PATCH", url, {"amount": "4.5", "three_public": True})
    deleted = call(client, "DELETE", url)
    expected = WRITE_STATUS[who]
    if expected is not None:
        refused(changed, expected)
        refused(deleted, expected)
        assert Payment.objects.filter(pk=payment.pk).exists()
        return
    body = conforms(changed, "PATCH")
    assert (body["amount"], body["three_public"], body["voucher"]) == ("4.500000", True, "记-A")
    assert deleted.status_code == 204
    conforms(deleted, "DELETE")
    history = Payment.history.filter(id=payment.pk).order_by("history_id")
    assert [r.history_type for r in history] == ["+", "~", "-"]
    assert [r.amount for r in history][1] == Decimal("4.5")
    assert history.last().history_user == user


def test_a_put_of_a_payment_resets_what_it_leaves_out(alice, world):
    payment = world["payment_a"]
    Payment.objects.filter(pk=payment.pk).update(three_public=True, summary="差旅")
    body = {"voucher": "记-A2", "date": "2024-04-01", "amount": "2"}
    saved = conforms(call(api(alice), "PUT", f"/api/payments/{payment.pk}/", body), "PUT")
    assert (saved["voucher"], saved["three_public"], saved["summary"]) == ("记-A2", False, "")
    assert saved["project"] == world["project_a"].pk


def test_a_payment_above_the_full_year_budget_needs_confirming(alice, project_a):
    client = api(alice)
    response = call(client, "POST", "/api/payments/", payment_body(project_a, amount="100.01"))
    body = refused(response)
    # The page's own words, on the field the page asks to tick.
    assert body["errors"]["confirm_over_budget"] == [
        "本次支出后执行数为100.01万元，超过全年预算数100.00万元（剩余预算100.00万元，"
        "本次支出100.01万元）；如确需超预算支出，请勾选“确认超预算支出”后再保存"
    ]
    assert not Payment.objects.exists()
    confirmed = payment_body(project_a, amount="100.01", confirm_over_budget=True)
    assert call(client, "POST", "/api/payments/", confirmed).status_code == 201
    # Raising it further on edit asks again; a refund never does.
    payment = Payment.objects.get()
    url = f"/api/payments/{payment.pk}/"
    refused(call(client, "PATCH", url, {"amount": "150"}))
    assert conforms(call(client, "PATCH", url, {"amount": "100.005"}), "PATCH")


def test_basic_expenditure_names_its_department(alice, bob, department_a, project_a):
    client = api(alice)
    body = payment_body(department=department_a.pk, voucher="基-1")
    response = call(client, "POST", "/api/payments/", body)
    created = conforms(response, "POST")
    assert created["project"] is None and created["project_code"] is None
    assert created["department"] == department_a.pk
    nothing = refused(call(client, "POST", "/api/payments/", payment_body()))
    assert "部门" in nothing["errors"]["department"][0]
    other = refused(call(api(bob), "POST", "/api/payments/", body))
    assert "不存在" in other["errors"]["department"][0]


def test_a_project_payment_of_another_department_is_refused(rita, project_a, department_b):
    body = payment_body(project_a, department=department_b.pk)
    response = call(api(rita), "POST", "/api/payments/", body)
    assert "不一致" in refused(response)["errors"]["department"][0]


def test_a_voucher_is_unique_in_its_department_and_year(alice, world):
    body = refused(
        call(api(alice), "POST", "/api/payments/", payment_body(world["project_a"], voucher="记-A"))
    )
    assert body["errors"]["voucher"] == [
        VOUCHER_TAKEN.format(voucher="记-A", department="新乡市医疗保障局", year=2024)
    ]


def test_a_reviewer_of_another_bureau_may_neither_see_nor_write(project_a):
    from tests.bureaus import reviewer

    outsider = reviewer("olga", "411323")
    response = call(api(outsider), "POST", "/api/payments/", payment_body(project_a))
    assert "不存在" in refused(response)["errors"]["project"][0]


def test_the_service_refusal_of_a_write_is_403(alice, project_a, monkeypatch):
    # A department seen but not written (no such actor exists in the fixtures): the view asks
    # budgets.access like the services do.
    from budgets.api import common

    payment = PaymentFactory(project=project_a)
    monkeypatch.setattr(common, "may_access_department", lambda *args: False)
    body = refused(call(api(alice), "PATCH", f"/api/payments/{payment.pk}/", {"amount": "1"}), 403)
    assert body["detail"] == NO_CHANGE_PERMISSION.format(department="新乡市医疗保障局")


# --- bad input: 4xx with a Chinese message, never a 500 ------------------------------------------


LONG = "9" * 100_000


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount": 12.5}, "amount", "字符串"),
        ({"amount": "1e5"}, "amount", AMOUNT_INVALID),
        ({"amount": "1e999"}, "amount", AMOUNT_INVALID),
        ({"amount": "Infinity"}, "amount", AMOUNT_INVALID),
        ({"amount": "1,200.50"}, "amount", AMOUNT_INVALID),
        ({"amount": "0." + "1" * 20}, "amount", AMOUNT_TOO_PRECISE),
        ({"amount": "1000000000000"}, "amount", AMOUNT_TOO_LARGE),
        ({"amount": LONG}, "amount", AMOUNT_TOO_LARGE),
        ({"amount": None}, "amount", "null"),
        ({"voucher": 5}, "voucher", "字符串"),
        ({"voucher": "x" * 100_000}, "voucher", "100"),
        ({"summary": "x" * 100_000}, "summary", "500"),
        ({"summary": "差旅\x0b"}, "summary", "控制字符"),
        ({"voucher": "记\x00-1"}, "voucher", "控制字符"),
        ({"three_public": "yes"}, "three_public", "true"),
        ({"date": "2024-02-30"}, "date", "YYYY-MM-DD"),
        ({"date": "20240520"}, "date", "YYYY-MM-DD"),
        ({"date": 20240520}, "date", "YYYY-MM-DD"),
        (
            {"date": "0001-01-01"},
            "date",
            DATE_OUTSIDE_FISCAL_YEARS.format(day="0001-01-01", first=2000, last=2100),
        ),
        ({"project": 999_999}, "project", "不存在"),
        ({"project": int("9" * 30)}, "project", "正整数"),
        ({"project": "1"}, "project", "正整数"),
        ({"project": True}, "project", "正整数"),
        ({"unknown": 1}, "unknown", "未知字段"),
        ({"id": 1}, "id", "只读"),
    ],
)
def test_bad_input_is_a_400_saying_what_is_wrong(alice, project_a, change, field, message):
    response = call(api(alice), "POST", "/api/payments/", {**payment_body(project_a), **change})
    body = refused(response)
    assert message in " ".join(body["errors"][field]) or message in body["detail"], body
    conforms(response, "POST")
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[]", b'"text"', b"null", b'{"amount": 1e999}', b'{"amount": NaN}', b"\xff\xfe"],
)
def test_a_body_that_is_no_json_object_is_refused(alice, project_a, raw):
    response = api(alice).post("/api/payments/", raw, content_type="application/json")
    refused(response)
    conforms(response, "POST")


def test_a_lone_surrogate_is_refused_before_the_database_sees_it(alice, project_a):
    raw = json.dumps(payment_body(project_a, voucher="记\ud800")).encode()
    response = api(alice).post("/api/payments/", raw, content_type="application/json")
    assert "Unicode" in refused(response)["errors"]["voucher"][0]


def test_a_30_digit_or_malformed_id_in_the_path_is_a_404(alice, world):
    client = api(alice)
    for pk in ("9" * 30, "-1", "0", "abc", "1.5"):
        for url in (f"/api/payments/{pk}/", f"/api/projects/{pk}/", f"/api/units/{pk}/"):
            refused(client.get(url), 404)
        refused(call(client, "PATCH", f"/api/adjustments/{pk}/", {"amount": "1"}), 404)
        refused(call(client, "DELETE", f"/api/payments/{pk}/"), 404)


def test_a_bad_page_or_page_size_is_handled(alice, world):
    client = api(alice)
    refused(client.get("/api/payments/", {"page": "2"}), 404)
    assert conforms(client.get("/api/payments/", {"page_size": "1000"}))["count"] == 1


# --- query counts --------------------------------------------------------------------------------


def _many(unit, n: int, prefix: str) -> None:
    for i in range(n):
        project = ProjectFactory(unit=unit, code=f"{prefix}{i:03d}")
        PaymentFactory(project=project, date=date(2024, 2, 1))
        AdjustmentFactory(project=project, date=date(2024, 2, 1))


def _queries(client: APIClient, url: str, query: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {**query, "page_size": "1000"})
    assert response.status_code == 200, response.content[:300]
    return len(queries), len(response.json()["results"])


LIST_QUERIES = [
    ("/api/projects/", {"as_of": AS_OF, "ordering": "-rate", "warning": "red"}),
    ("/api/projects/", {}),
    ("/api/payments/", {"year": "2024"}),
    ("/api/adjustments/", {}),
    ("/api/units/", {}),
    ("/api/project-snapshots/", {}),
]


@pytest.mark.parametrize("who", ["alice", "rita"])
@pytest.mark.parametrize(("url", "query"), LIST_QUERIES)
def test_lists_run_the_same_queries_for_5_and_50_rows(request, unit_a, who, url, query):
    from tests.factories import UnitFactory

    client = api(request.getfixturevalue(who))
    _many(unit_a, 5, "F")
    if "snapshots" in url:
        rates_snapshot_save(as_of=date(2024, 7, 31))
    if "units" in url:
        for i in range(4):
            UnitFactory(department=unit_a.department, code=f"U{i}")
    five, rows = _queries(client, url, query)
    assert rows == 5
    _many(unit_a, 45, "M")
    if "snapshots" in url:
        rates_snapshot_save(as_of=date(2024, 7, 31))
    if "units" in url:
        for i in range(45):
            UnitFactory(department=unit_a.department, code=f"V{i}")
    fifty, rows = _queries(client, url, query)
    assert rows in (50, 50)
    assert five == fifty


# --- export and official tables -------------------------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_the_json_export_is_build_export_of_what_the_user_may_read(request, world, who):
    user = actor(request, who)
    response = api(user).get("/api/export/", {"year": "2024", "as_of": AS_OF})
    if who == "anonymous":
        refused(response, 401)
        return
    body = conforms(response)
    expected = build_export(year=2024, as_of=date(2024, 7, 31), user=user)
    assert body == json.loads(json.dumps(expected))
    codes = {p["code"] for p in body["projects"]}
    assert codes == {{"A": "309-A1", "B": "044-B1"}[d] for d in SEES[who]}


def test_the_export_defaults_its_date_like_the_command(alice, world):
    body = conforms(api(alice).get("/api/export/", {"year": "2024", "format": "json"}))
    assert body == json.loads(json.dumps(build_export(year=2024, user=alice)))
    assert body["as_of"] == "2024-12-31"


def test_the_xlsx_export_downloads_a_workbook(alice, world):
    response = api(alice).get("/api/export/", {"year": "2024", "format": "xlsx"})
    assert response.status_code == 200
    conforms(response)
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    projects = workbook["项目"]
    codes = [row[5] for row in projects.iter_rows(min_row=2, values_only=True)]
    assert codes == ["309-A1"]


@pytest.mark.parametrize(
    ("query", "status", "param"),
    [
        ({}, 400, "year"),
        ({"year": "abc"}, 400, "year"),
        ({"year": "2024", "as_of": "2025-01-01"}, 400, "as_of"),
        ({"year": "2024", "format": "csv"}, 400, "format"),
        ({"year": "2024", "division": "12345"}, 400, "division"),
        ({"year": "2024", "division": "999999"}, 400, "division"),
        ({"year": "2024", "division": "411323"}, 404, None),
    ],
)
def test_the_export_refuses_bad_parameters(alice, world, query, status, param):
    from budgets.models import Division

    Division.ensure("411323")
    response = api(alice).get("/api/export/", query)
    body = refused(response, status)
    if param:
        assert list(body["errors"]) == [param]
    conforms(response)


def test_the_export_of_one_division(rita, world):
    body = conforms(api(rita).get("/api/export/", {"year": "2024", "division": "410700"}))
    assert {d["code"] for d in body["departments"]} == {"309", "044"}


@pytest.mark.parametrize("table", ["11", "12"])
@pytest.mark.parametrize("who", ACTORS)
def test_the_official_tables_download_as_on_the_pages(request, world, table, who):
    client = api(actor(request, who))
    response = client.get(f"/api/tables/{table}/", {"year": "2024"})
    if who == "anonymous":
        refused(response, 401)
        return
    assert response.status_code == 200
    conforms(response)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    text = " ".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )
    assert ("新乡市医疗保障局" in text) == ("A" in SEES[who])
    assert ("西峡县医疗保障局本级" in text) == ("B" in SEES[who])
    other = client.get(f"/api/tables/{table}/", {"year": "2024", "department": "410700/044"})
    if "B" in SEES[who]:
        assert other.status_code == 200
    else:
        refused(other, 404)
    refused(client.get(f"/api/tables/{table}/", {"year": "20x4"}))


# --- the schema ----------------------------------------------------------------------------


MINE = r"^/api/(units|projects|adjustments|payments|\w+-snapshots|export|tables|imports)"


def test_every_operation_is_described_in_chinese_with_its_errors():
    for template, operations in openapi()["paths"].items():
        if not re.match(
            r"^/api/(units|projects|adjustments|payments|\w+-snapshots|export|tables)", template
        ):
            continue
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert CJK.search(operation.get("summary", "")), (method, template)
            assert CJK.search(operation.get("description", "")), (method, template)
            assert "401" in operation["responses"], (method, template)
            assert "4" in "".join(operation["responses"]), (method, template)


def test_request_bodies_refuse_unknown_fields_in_the_schema_too():
    schemas = openapi()["components"]["schemas"]
    for name in ("PaymentCreateRequest", "PatchedPaymentUpdateRequest", "AdjustmentCreateRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    amount = schemas["PaymentCreateRequest"]["properties"]["amount"]
    assert amount["type"] == "string" and amount["pattern"]
