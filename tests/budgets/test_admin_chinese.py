"""The admin site in Chinese: django-axes, django-celery-beat, the user pages, the index with
用户 as a section of its own, and the project catalog (config/locale) compiled and loaded."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation.trans_real import DjangoTranslation
from django_celery_beat.models import (
    ClockedSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

pytestmark = pytest.mark.django_db

CATALOG = Path(settings.BASE_DIR) / "config" / "locale" / "zh_Hans" / "LC_MESSAGES"


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_chinese(html: str, present: list[str], absent: list[str]) -> None:
    for text in present:
        assert text in html, text
    for text in absent:
        assert text not in html, text


@pytest.fixture
def login_records():
    common = {"user_agent": "curl", "ip_address": "10.0.0.8", "http_accept": "*/*"}
    attempt = AccessAttempt.objects.create(
        **common,
        username="mallory",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=2,
    )
    log = AccessLog.objects.create(**common, username="adam", path_info="/accounts/login/")
    failure = AccessFailureLog.objects.create(
        **common, username="mallory", path_info="/accounts/login/", locked_out=True
    )
    return attempt, log, failure


# --- django-axes ----------------------------------------------------------------------------


def test_login_attempts_are_listed_in_chinese(client_of, adam, login_records):
    html = html_of(client_of(adam).get("/admin/axes/accessattempt/"))
    remaining = settings.AXES_FAILURE_LIMIT - 2
    assert_chinese(
        html,
        ["登录防护", "登录尝试", "尝试时间", "浏览器标识", "路径", "失败次数", "状态"],
        ["Access attempts", "Attempt Time", "User Agent", "Failed Logins", "Status", "Axes"],
    )
    assert f"还可尝试{remaining}次" in html and "Attempt Remaining" not in html
    assert "Locked Out" not in html and "已锁定" in html  # the filter


def test_login_records_change_pages_are_chinese(client_of, adam, login_records):
    attempt, log, failure = login_records
    client = client_of(adam)
    html = html_of(client.get(f"/admin/axes/accessattempt/{attempt.pk}/change/"))
    assert_chinese(
        html,
        ["登录尝试：mallory", "表单数据", "请求信息", "查询参数", "提交数据"],
        ["Attempted Access", "Form Data", "Meta Data", "GET Data", "HTTP Accept"],
    )
    html = html_of(client.get(f"/admin/axes/accesslog/{log.pk}/change/"))
    assert_chinese(html, ["登录日志：adam"], ["Access Log for", "Meta Data"])
    html = html_of(client.get(f"/admin/axes/accessfailurelog/{failure.pk}/change/"))
    assert_chinese(html, ["登录失败：mallory（已锁定）"], ["Failed access", "locked out"])


def test_login_logs_and_failures_are_listed_in_chinese(client_of, adam, login_records):
    client = client_of(adam)
    html = html_of(client.get("/admin/axes/accesslog/"))
    assert_chinese(
        html, ["登录日志", "尝试时间", "退出时间"], ["Access logs", "Attempt Time", "Logout Time"]
    )
    html = html_of(client.get("/admin/axes/accessfailurelog/"))
    assert_chinese(
        html, ["登录失败记录", "是否锁定"], ["Access failures", "Access lock out", "IP Address"]
    )


# --- django-celery-beat ---------------------------------------------------------------------


def test_periodic_tasks_and_their_schedules_are_chinese(client_of, adam):
    client = client_of(adam)
    # The beat schedule (config/schedule.py) is written by migrate: crontabs at 02:00 etc.
    html = html_of(client.get("/admin/django_celery_beat/periodictask/"))
    assert_chinese(html, ["计划", "在 02:00", "以 任务"], ["Scheduler", "Task Name", "At 02:00 AM"])
    html = html_of(client.get("/admin/django_celery_beat/crontabschedule/"))
    assert_chinese(html, ["计划说明", "在 02:00"], ["Human readable", "At 02:00 AM"])
    task = PeriodicTask.objects.filter(crontab__isnull=False).first()
    html = html_of(client.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/"))
    assert_chinese(
        html,
        ["计划说明", "参数", "执行选项"],
        ["Crontab translation", "Arguments", "Execution Options", "At 02:00 AM"],
    )
    html = html_of(
        client.get(f"/admin/django_celery_beat/crontabschedule/{task.crontab.pk}/change/")
    )
    assert_chinese(
        html,
        ["使用此计划的周期性任务", "每年执行的月份", "每周执行的星期"],
        ["Periodic Tasks Using This Schedule", "Task Name", "Cron Months", "Cron Days Of"],
    )


@pytest.mark.parametrize(
    "model", [IntervalSchedule, SolarSchedule, ClockedSchedule], ids=lambda m: m.__name__
)
def test_every_schedule_page_is_chinese(client_of, adam, model):
    values = {
        IntervalSchedule: {"every": 5, "period": IntervalSchedule.MINUTES},
        SolarSchedule: {"event": "sunrise", "latitude": 35, "longitude": 113},
        ClockedSchedule: {"clocked_time": timezone.now()},
    }[model]
    schedule = model.objects.create(**values)
    kind = model.__name__.lower().removesuffix("schedule")
    PeriodicTask.objects.create(
        name="测试任务", task="budgets.ping", one_off=model is ClockedSchedule, **{kind: schedule}
    )
    client = client_of(adam)
    base = f"/admin/django_celery_beat/{model._meta.model_name}/"
    assert_chinese(html_of(client.get(base)), [str(model._meta.verbose_name)], ["Human readable"])
    html = html_of(client.get(f"{base}{schedule.pk}/change/"))
    assert_chinese(
        html,
        ["使用此计划的周期性任务", "测试任务"],
        ["Periodic Tasks Using This Schedule", "Task Name"],
    )


# --- users, groups and the index ------------------------------------------------------------


def test_the_user_add_page_is_chinese(client_of, adam):
    html = html_of(client_of(adam).get("/admin/budgets/user/add/"))
    assert_chinese(
        html,
        ["创建用户后，即可编辑该用户的更多选项。"],
        ["After you’ve created a user", "edit more user options"],
    )


def test_group_permissions_are_named_in_chinese(client_of, adam):
    html = html_of(client_of(adam).get("/admin/auth/group/add/"))
    assert_chinese(
        html,
        [
            "预算与执行 | 项目 | 增加项目",
            "登录防护 | 登录日志 | 查看登录日志",
            "用户 | 组 | 修改组",
            "区划（历史记录）",
        ],
        ["Can add", "Can view", "historical", "认证和授权"],
    )


def sections(html: str) -> dict[str, str]:
    """The index's sections by app label: the HTML of each one's table."""
    parts = re.split(r'<div class="app-([\w-]+) module', html)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_users_have_their_own_section_of_the_index(client_of, adam):
    client = client_of(adam)
    html = html_of(client.get("/admin/"))
    index = sections(html)
    assert ">用户</a>" in index["auth"]
    assert "/admin/budgets/user/" in index["auth"] and "/admin/auth/group/" in index["auth"]
    assert "/admin/budgets/user/" not in index["budgets"]
    assert ">登录防护</a>" in index["axes"]
    assert_chinese(
        html,
        ["模型名称", "增加链接", "修改或查看列表链接"],
        ["Model name", "Add link", "Change or view list link", "Axes", "认证和授权"],
    )
    # The section's own page lists the users too; the budgets page no longer does.
    assert "/admin/budgets/user/" in html_of(client.get("/admin/auth/")).split('id="content"')[1]
    budgets = html_of(client.get("/admin/budgets/")).split('id="content"')[1]
    assert "/admin/budgets/user/" not in budgets and "/admin/budgets/project/" in budgets


def test_the_admins_javascript_catalog_has_the_chinese_selector_texts(client_of, adam):
    body = client_of(adam).get("/admin/jsi18n/").content.decode()
    assert '"Choose all %s": "\\u5168\\u9009%s"' in body  # 全选%s, as JSON escapes it


# --- the catalog itself -----------------------------------------------------------------------


def catalog_entries(po: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of a .po file; its quoted strings are Python string literals too."""
    entries, current, key = [], {}, None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            key, _, literal = line.partition(" ")
            current[key] = ast.literal_eval(literal)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip() and current:
            if current.get("msgid"):
                entries.append((current["msgid"], current["msgstr"]))
            current, key = {}, None
    return entries


def test_the_compiled_catalog_is_up_to_date_with_its_source():
    # The .mo is committed (gettext is not needed to run the site): a stale one would miss
    # entries added to the .po.
    entries = catalog_entries(CATALOG / "django.po")
    assert len(entries) > 40
    with translation.override("zh-hans"):
        for msgid, msgstr in entries:
            assert translation.gettext(msgid) == msgstr, msgid
    scripts = DjangoTranslation("zh-hans", domain="djangojs", localedirs=[CATALOG.parent.parent])
    for msgid, msgstr in catalog_entries(CATALOG / "djangojs.po"):
        assert scripts.gettext(msgid) == msgstr, msgid
