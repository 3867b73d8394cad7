"""A NUL in the query string (config/query_text.py): a 400 naming the parameter on every page,
the admin and the API — PostgreSQL would refuse the text as a 500."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from budgets.models import Project
from tests.factories import ProjectFactory

PAGES = [
    "/?q=a%00b",
    "/budgets/projects/?q=%00",
    "/performance/library/?q=%00",
    "/admin/budgets/project/?q=%00",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_nul_in_a_search_is_a_400_naming_the_parameter(path, adam, client_of, unit_a):
    ProjectFactory(unit=unit_a)
    response = client_of(adam).get(path)
    assert response.status_code == 400
    text = response.content.decode()
    assert "查询参数“q”包含无法处理的空字符" in text
    assert Project.objects.count() == 1


def test_the_api_answers_in_its_error_shape(rita, client):
    token = Token.objects.create(user=rita)
    response = client.get("/api/projects/?search=x%00", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("查询参数“search”包含无法处理的空字符")
    assert body["errors"] == {"search": [body["detail"]]}


def test_a_nul_in_a_parameter_name_is_refused_too(rita, client_of):
    response = client_of(rita).get("/budgets/projects/?a%00=1")
    assert response.status_code == 400
    assert "查询参数“a\\x00”" in response.content.decode()


def test_ordinary_searches_still_work(rita, client_of):
    assert client_of(rita).get("/budgets/projects/?q=%E6%B5%8B%E8%AF%95").status_code == 200
