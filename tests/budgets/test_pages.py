"""Login, navigation and the no-access rules of the pages that exist."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.bureaus import two_bureaus
from tests.factories import PASSWORD

PROTECTED_URLS = ["/", "/admin/", "/admin/budgets/project/"]


@pytest.mark.parametrize("url", PROTECTED_URLS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_login_page_is_in_chinese(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>登录</h1>" in html and 'lang="zh-CN"' in html


def test_a_wrong_password_gets_a_chinese_message(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_repeated_failures_lock_the_login_even_with_the_right_password(client, alice):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


ADDRESS_X = "198.51.100.7"
ADDRESS_Y = "203.0.113.9"
PROXY = "10.0.0.2"


def fail_five_times(client, username: str, **extra) -> None:
    for _ in range(5):
        client.post(reverse("login"), {"username": username, "password": "wrong"}, **extra)


def logs_in(client, username: str, **extra) -> bool:
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD}, **extra)
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_failures_of_one_user_do_not_lock_another_user_from_the_same_address(client, alice, bob):
    fail_five_times(client, "alice", REMOTE_ADDR=ADDRESS_X)
    assert logs_in(client, "bob", REMOTE_ADDR=ADDRESS_X)
    assert not logs_in(client, "alice", REMOTE_ADDR=ADDRESS_X)


def test_failures_from_one_address_do_not_lock_the_user_from_another_address(client, alice):
    fail_five_times(client, "alice", REMOTE_ADDR=ADDRESS_X)
    assert logs_in(client, "alice", REMOTE_ADDR=ADDRESS_Y)


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_trusted_proxies_a_forged_forwarded_address_does_not_escape_the_lock(client, alice):
    fail_five_times(client, "alice", REMOTE_ADDR=ADDRESS_X, headers={"X-Forwarded-For": "1.1.1.1"})
    forged = {"X-Forwarded-For": ADDRESS_Y}
    assert not logs_in(client, "alice", REMOTE_ADDR=ADDRESS_X, headers=forged)


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_client_address_is_locked_not_the_proxy(client, alice):
    fail_five_times(client, "alice", REMOTE_ADDR=PROXY, headers={"X-Forwarded-For": ADDRESS_X})
    assert not logs_in(client, "alice", REMOTE_ADDR=PROXY, headers={"X-Forwarded-For": ADDRESS_X})
    # Another client behind the same proxy, even one that forges the locked address first.
    other = {"X-Forwarded-For": f"{ADDRESS_X}, {ADDRESS_Y}"}
    assert logs_in(client, "alice", REMOTE_ADDR=PROXY, headers=other)


def test_a_correct_login_reaches_home_with_name_role_and_logout(client, alice):
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert "爱丽丝" in html and "单位经办人" in html and "退出" in html


def test_staff_see_only_their_own_department_on_home(client_of, alice, department_b):
    html = client_of(alice).get("/").content.decode()
    assert "新乡市医疗保障局" in html
    assert department_b.name not in html


def test_the_reviewer_sees_every_department_on_home(client_of, rita, department_a, department_b):
    html = client_of(rita).get("/").content.decode()
    assert department_a.name in html and department_b.name in html


def who_of(html: str) -> str:
    return re.search(r'<p class="muted" id="who">(.*?)</p>', html, re.S).group(1)


def test_home_shows_a_reviewers_division_and_its_departments_by_division(client_of, db):
    bureaus = two_bureaus()
    html = client_of(bureaus.city).get("/").content.decode()
    assert who_of(html) == (
        "当前角色：财政局审核人，所属区划：410700 新乡市（含下级：同时审核其下各级区划）"
    )
    assert "红旗区医疗保障局" in html and "西峡县医疗保障局" not in html
    html = client_of(bureaus.hongqi.reviewer).get("/").content.decode()
    assert who_of(html) == "当前角色：财政局审核人，所属区划：410702 红旗区（不含下级）"
    assert "<th>区划</th>" not in html
    html = client_of(bureaus.province).get("/").content.decode()
    # The workbench's status board groups the departments by 区划, each under its bureau.
    board = html[html.index('id="status-board"') :]
    hongqi, xixia = board.index("410702 红旗区</th>"), board.index("411323 西峡县</th>")
    assert hongqi < board.index("红旗区医疗保障局") < xixia < board.index("西峡县医疗保障局")
    assert "财政局审核人 · 河南省（含下级）" in html  # the header


def test_home_says_a_reviewer_without_division_sees_every_division(client_of, rita):
    html = client_of(rita).get("/").content.decode()
    assert who_of(html) == "当前角色：财政局审核人，所属区划：未指定，可查看全部区划"


def test_home_names_the_division_of_a_staff_members_department(client_of, alice):
    html = client_of(alice).get("/").content.decode()
    assert who_of(html) == "当前角色：单位经办人，所属部门：309 新乡市医疗保障局（410700 新乡市）"


def test_staff_cannot_enter_the_admin_site(client_of, alice):
    response = client_of(alice).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_site_works_in_chinese_for_admins(client_of, adam, alice):
    client = client_of(adam)
    index = client.get("/admin/")
    assert index.status_code == 200 and "系统管理" in index.content.decode()
    users = client.get("/admin/budgets/user/?q=alice")
    assert users.status_code == 200 and "爱丽丝" in users.content.decode()
    assert client.get(f"/admin/budgets/user/{alice.pk}/change/").status_code == 200


def test_the_admin_narrows_lists_to_the_users_departments(client_of, alice, unit_a, unit_b):
    from django.contrib.auth.models import Permission

    from tests.factories import ProjectFactory

    mine, theirs = (
        ProjectFactory(unit=unit_a, name="本部门项目"),
        ProjectFactory(unit=unit_b, name="他部门项目"),
    )
    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(*Permission.objects.filter(codename__endswith="_project"))
    client = client_of(alice)
    html = client.get("/admin/budgets/project/").content.decode()
    assert mine.name in html and theirs.name not in html
    assert client.get(f"/admin/budgets/project/{theirs.pk}/change/").status_code in (302, 403, 404)


def test_the_health_check_needs_no_login(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
