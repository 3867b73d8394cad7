"""The tracking API against its own OpenAPI schema: every operation described in Chinese, and
schemathesis' generated requests (valid and not) answered as documented, never with a 500."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis import checks

from .test_tracking_api import CHINESE, world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

OURS = r"^/api/(rounds|reports|notifications)/"


def _schema() -> dict:
    return APIClient().get("/api/schema/", {"format": "json"}).json()


def test_every_operation_is_described_in_chinese_with_its_errors():
    paths = {p: ops for p, ops in _schema()["paths"].items() if re.match(OURS, p)}
    assert len(paths) == 17
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            name = f"{method.upper()} {path}"
            assert CHINESE.search(operation["summary"]), name
            assert CHINESE.search(operation["description"]), name
            codes = set(operation["responses"])
            assert "401" in codes, name
            if "{id}" in path:
                assert "404" in codes, name
            if method in ("post", "patch") and "requestBody" in operation:
                assert "400" in codes, name
                content = operation["requestBody"]["content"]
                assert list(content) == ["application/json"], name


def test_request_bodies_refuse_unknown_fields_and_a_patch_needs_its_version():
    components = _schema()["components"]["schemas"]
    update = components["ReportUpdateRequest"]
    assert update["additionalProperties"] is False
    assert update["required"] == ["version"]
    assert components["LineInputRequest"]["additionalProperties"] is False
    assert CHINESE.search(components["ReportDetail"]["description"])


def _load():
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).include(
        path_regex=OURS
    )


# Loaded when the tests are collected (schemathesis' lazy fixture loader needs a pytest
# internal that pytest 9 no longer has).
schema = _load()


@pytest.fixture
def tokens(world, alice, rita, wsgi_keeps_the_connection):  # noqa: F811 (imported above)
    return {user.username: Token.objects.create(user=user).key for user in (alice, rita)}


# What the schema promises. Not "valid data is accepted": a valid-looking request may still
# break a rule only the server knows (no project that year, a round of another bureau).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_are_answered_as_documented(case, tokens, world):  # noqa: F811
    refused = list(CHECKS)
    # Lists take ?page_size= as DRF's pagination does (a bad one falls back to the default,
    # budgets/api/base.py); every other invalid request must be refused.
    if not (case.method == "GET" and "{id}" not in case.path):
        refused.append(checks.negative_data_rejection)
    headers = [{"Authorization": f"Token {key}"} for key in tokens.values()]
    for header in headers:
        case.call_and_validate(headers=header, checks=refused)
    if "{id}" in case.path and "id" in (case.path_parameters or {}):
        # Again on an object that exists, so that its answers are checked too.
        resource = case.path.split("/")[2]
        case.path_parameters["id"] = {
            "rounds": world.round.pk,
            "reports": world.draft.pk,
            "notifications": world.notification.pk,
        }[resource]
        for header in headers:
            case.call_and_validate(headers=header, checks=CHECKS)
