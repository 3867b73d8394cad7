"""The API's shared behaviour: public schema and docs, 401 for anonymous calls with a
Chinese message, token authentication, the error shape, pagination bounds."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from budgets.api.base import NOT_AUTHENTICATED

pytestmark = pytest.mark.django_db


def test_the_schema_and_the_docs_are_public():
    client = APIClient()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI is served from static files (no CDN; the CSP allows only 'self').
    assert b"cdn" not in docs.content.lower()


def test_an_anonymous_call_is_401_in_chinese():
    response = APIClient().get("/api/departments/")
    assert response.status_code == 401
    assert response.json() == {"detail": NOT_AUTHENTICATED}
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_token_authenticates(alice, capsys):
    call_command("drf_create_token", "alice")
    key = Token.objects.get(user=alice).key
    assert key in capsys.readouterr().out
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/departments/")
    assert response.status_code == 200
    assert [d["code"] for d in response.json()["results"]] == ["309"]
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token nonsense")
    assert bad.get("/api/departments/").status_code == 401


def test_staff_see_their_department_the_reviewer_all(alice, rita, department_b):
    client = APIClient()
    client.force_authenticate(alice)
    assert [d["code"] for d in client.get("/api/departments/").json()["results"]] == ["309"]
    client.force_authenticate(rita)
    codes = [d["code"] for d in client.get("/api/departments/").json()["results"]]
    assert codes == ["044", "309"]
    other = client.get(f"/api/departments/{department_b.pk}/")
    assert other.status_code == 200
    client.force_authenticate(alice)
    hidden = client.get(f"/api/departments/{department_b.pk}/")
    assert hidden.status_code == 404 and hidden.json()["detail"]


@pytest.mark.parametrize("page", ["0", "x", "99999"])
def test_a_bad_page_is_a_404_with_a_message(alice, page):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.get(f"/api/departments/?page={page}")
    assert response.status_code == 404
    assert "页码" in response.json()["detail"]


def test_page_size_is_capped_at_1000(alice):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.get("/api/departments/?page_size=100000")
    assert response.status_code == 200


def test_an_unknown_path_under_the_api_is_a_json_404(alice):
    client = APIClient()
    client.force_authenticate(alice)
    for path in ("/api/nothing/", "/api/departments/0.5/", "/api/departments/1/x/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "不存在" in response.json()["detail"]


def test_a_field_name_with_a_lone_surrogate_is_a_400_not_a_500(alice):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.generic(
        "POST", "/api/payments/", '{"\\ud800": 1}', content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    response.json()


@pytest.mark.parametrize("size", ["0", "-3", "x", "1e3", "null"])
def test_a_bad_page_size_is_a_400_with_a_message(alice, size):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.get(f"/api/departments/?page_size={size}")
    assert response.status_code == 400
    assert "每页条数" in response.json()["detail"]


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert (tmp_path / "schema.yml").stat().st_size > 0
