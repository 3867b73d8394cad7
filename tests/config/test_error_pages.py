"""The 403, 404 and 500 pages are Chinese and inside the site's layout; the 500 page needs no
database; /favicon.ico answers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied

from config.dbbusy import server_error
from tracking.services import REVIEW_NO_PERMISSION

NOT_FOUND = "页面不存在"
SERVER_ERROR = "服务器错误"
HOME_LINK = '<a class="button primary" href="/">返回首页</a>'


def html_of(response) -> str:
    return response.content.decode()


def test_an_unknown_address_is_the_chinese_404_page_with_the_menu_and_a_way_home(client_of, alice):
    response = client_of(alice).get("/budgets/no-such-page/")
    html = html_of(response)
    assert response.status_code == 404
    assert f"<h1>{NOT_FOUND}</h1>" in html
    assert HOME_LINK in html
    assert 'class="mainnav"' in html and f'href="{reverse("budgets:project_list")}"' in html
    # Not Django's page listing the URL patterns.
    assert "URLconf" not in html


def test_a_row_of_another_department_is_the_same_404_page(client_of, bob, unit_a):
    from tests.factories import ProjectFactory

    project = ProjectFactory(unit=unit_a)
    response = client_of(bob).get(reverse("budgets:project_detail", args=[project.pk]))
    assert response.status_code == 404
    assert f"<h1>{NOT_FOUND}</h1>" in html_of(response)


def test_a_visitor_who_is_not_signed_in_gets_the_404_page_without_the_menu(client, db):
    response = client.get("/no-such-page/")
    html = html_of(response)
    assert response.status_code == 404
    assert NOT_FOUND in html and HOME_LINK in html
    assert 'class="mainnav"' not in html


def test_permission_denied_shows_its_chinese_message_inside_the_layout(client_of, alice):
    response = client_of(alice).get(reverse("tracking:review_queue"))
    html = html_of(response)
    assert response.status_code == 403
    assert f"<p>{REVIEW_NO_PERMISSION}</p>" in html
    assert "<h1>无权操作</h1>" in html and HOME_LINK in html
    assert 'class="mainnav"' in html


def test_permission_denied_without_a_message_still_says_why_in_chinese(db):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "您没有权限访问此页面或执行此操作。" in html_of(response)


def test_a_form_posted_without_its_csrf_token_gets_a_chinese_403(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert "<h1>页面已过期</h1>" in html_of(response)


def test_an_uncaught_error_is_the_chinese_500_page(client_of, alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("reporting.workbench.restrict", broken)  # the home page's first read
    client = client_of(alice)
    client.raise_request_exception = False
    response = client.get(reverse("home"))
    html = html_of(response)
    assert response.status_code == 500
    assert f"<h1>{SERVER_ERROR}</h1>" in html and HOME_LINK in html
    assert "boom" not in html


def test_the_500_page_renders_without_the_database():
    """No `db` fixture: any query here would fail the test (the database may be what broke)."""
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("the database is gone")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500
    assert SERVER_ERROR in html_of(response)


@pytest.mark.parametrize("path", ["favicon.ico", "favicon.svg"])
def test_the_icon_is_a_static_file(path):
    assert finders.find(path)


def test_favicon_ico_answers_everyone_with_the_static_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"


def test_every_page_names_its_icon(client, db):
    html = html_of(client.get(reverse("login")))
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
