"""The inbox: own notifications only, unread first, mark read, the unread badge."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ProjectFactory
from tracking.choices import NotificationKind
from tracking.models import Notification
from tracking.views.inbox import ALL_MARKED_READ, MARKED_READ

pytestmark = pytest.mark.django_db

INBOX = reverse("tracking:inbox")


def notify(user, subject: str = "【即将到期】提醒", n: int = 0, read: bool = False, **extra):
    return Notification.objects.create(
        recipient=user,
        kind=extra.pop("kind", NotificationKind.DUE_SOON),
        subject_key=f"round:{n}",
        day=date(2024, 8, 8),
        subject=subject,
        body="正文第一行\n正文第二行",
        read_at=timezone.now() if read else None,
        **extra,
    )


def read_state(notification: Notification) -> bool:
    notification.refresh_from_db()
    return notification.read_at is not None


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_user_sees_only_their_own_notifications_unread_first(client_of, alice, bob):
    notify(alice, "已读的旧消息", n=1, read=True)
    notify(alice, "未读消息", n=2)
    notify(bob, "鲍勃的消息", n=3)
    response = client_of(alice).get(INBOX)
    assert response.status_code == 200
    subjects = [n.subject for n, _ in response.context["rows"]]
    assert subjects == ["未读消息", "已读的旧消息"]
    assert "鲍勃的消息" not in response.content.decode()
    assert '<tr class="unread"' in response.content.decode()


def test_the_unread_filter_shows_only_unread_notifications(client_of, alice):
    notify(alice, "已读", n=1, read=True)
    notify(alice, "未读", n=2)
    response = client_of(alice).get(INBOX, {"unread": "1"})
    assert [n.subject for n, _ in response.context["rows"]] == ["未读"]


def test_the_navigation_shows_the_unread_count(client_of, alice, bob):
    notify(alice, n=1)
    notify(alice, n=2)
    notify(alice, n=3, read=True)
    notify(bob, n=4)
    response = client_of(alice).get(reverse("home"))
    (item,) = [i for i in response.context["nav_items"] if i["label"] == "消息"]
    assert item["badge"] == 2
    assert '消息 <span class="badge">2</span>' in response.content.decode()


def test_there_is_no_badge_when_everything_is_read(client_of, alice):
    notify(alice, read=True)
    response = client_of(alice).get(reverse("home"))
    (item,) = [i for i in response.context["nav_items"] if i["label"] == "消息"]
    assert item["badge"] is None


def test_marking_one_read(client_of, alice):
    notification = notify(alice)
    response = client_of(alice).post(
        reverse("tracking:notification_read", args=[notification.pk]), follow=True
    )
    assert read_state(notification)
    assert MARKED_READ in [str(m) for m in response.context["messages"]]


def test_marking_read_needs_a_post(client_of, alice):
    notification = notify(alice)
    response = client_of(alice).get(reverse("tracking:notification_read", args=[notification.pk]))
    assert response.status_code == 405
    assert not read_state(notification)


def test_bob_cannot_mark_alices_notification_read(client_of, alice, bob):
    notification = notify(alice)
    response = client_of(bob).post(reverse("tracking:notification_read", args=[notification.pk]))
    assert response.status_code == 404
    assert not read_state(notification)


def test_a_reviewer_cannot_open_a_staff_members_notification(client_of, alice, rita):
    notification = notify(alice)
    response = client_of(rita).get(reverse("tracking:notification_detail", args=[notification.pk]))
    assert response.status_code == 404
    assert not read_state(notification)


def test_marking_all_read_touches_only_ones_own(client_of, alice, bob):
    mine = [notify(alice, n=1), notify(alice, n=2), notify(alice, n=3, read=True)]
    theirs = notify(bob, n=4)
    response = client_of(alice).post(reverse("tracking:notification_read_all"), follow=True)
    assert all(read_state(n) for n in mine)
    assert not read_state(theirs)
    assert ALL_MARKED_READ.format(count=2) in [str(m) for m in response.context["messages"]]


def test_a_notification_page_shows_it_and_links_to_its_subject_but_a_get_leaves_it_unread(
    client_of, alice, unit_a
):
    project = ProjectFactory(unit=unit_a)
    notification = notify(
        alice, "【红色预警】项目", kind=NotificationKind.EXECUTION_RED, project=project
    )
    detail = reverse("tracking:notification_detail", args=[notification.pk])
    response = client_of(alice).get(detail)
    html = response.content.decode()
    assert response.status_code == 200
    assert "正文第一行<br>正文第二行" in html
    assert f'href="{reverse("budgets:project_detail", args=[project.pk])}"' in html
    assert f'action="{reverse("tracking:notification_read", args=[notification.pk])}"' in html
    assert not read_state(notification)


def test_opening_an_unread_notification_from_the_inbox_reads_it_by_a_post(client_of, alice):
    notification = notify(alice)
    client = client_of(alice)
    read = reverse("tracking:notification_read", args=[notification.pk])
    detail = reverse("tracking:notification_detail", args=[notification.pk])
    html = client.get(INBOX).content.decode()
    assert f'<form method="post" action="{read}"' in html
    assert f'name="next" value="{detail}"' in html
    assert not read_state(notification)
    response = client.post(read, {"next": detail})
    assert response.url == detail
    assert read_state(notification)


def test_a_next_address_on_another_site_is_ignored(client_of, alice):
    notification = notify(alice)
    response = client_of(alice).post(
        reverse("tracking:notification_read", args=[notification.pk]),
        {"next": "https://evil.example.com/"},
    )
    assert response.url == INBOX


def test_the_inbox_runs_the_same_queries_for_5_and_50_notifications(client_of, alice):
    client = client_of(alice)

    def queries_with(rows: int) -> int:
        for n in range(Notification.objects.count(), rows):
            notify(alice, f"消息{n}", n=n, read=n % 2 == 0)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INBOX).status_code == 200
        return len(queries)

    assert queries_with(5) == queries_with(50)
