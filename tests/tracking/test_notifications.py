"""Notifications: the reminder rules, creation exactly once, returned reports and e-mail."""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import current_app
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from budgets.choices import Role
from tests.factories import (
    DepartmentFactory,
    PaymentFactory,
    ProjectFactory,
    UnitFactory,
    UserFactory,
)
from tests.services import free_port
from tests.tracking.season import bureau
from tracking import notifications, tasks
from tracking.choices import NotificationKind, ReportStatus, Stage
from tracking.models import Notification, Report, Round
from tracking.notifications import (
    EmailTemporaryError,
    create_once,
    emails_retry_unsent,
    is_transient,
    notification_email_send,
    notify_returned,
    reminder_pass,
    staff_reminder_kind,
)
from tracking.services import report_return

DEADLINE = date(2024, 8, 15)


@pytest.fixture
def enqueued(monkeypatch):
    """E-mail tasks the code enqueues, recorded instead of sent to a broker."""
    calls: list[int] = []
    monkeypatch.setattr(tasks.send_notification_email_task, "delay", calls.append)
    return calls


@pytest.fixture
def eager():
    """Run tasks in-process, as a worker would (retries included, without the waits)."""
    current_app.conf.task_always_eager = True
    try:
        yield
    finally:
        current_app.conf.task_always_eager = False


def open_round(deadline: date = DEADLINE, as_of: date = date(2024, 7, 31)) -> Round:
    return Round.objects.create(
        division=bureau(), year=2024, stage=Stage.MONITORING, as_of=as_of, deadline=deadline
    )


def kinds(created: list[Notification]) -> list[tuple[str, str]]:
    return [(n.recipient.username, n.kind) for n in created]


# --- the pure rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "kind"),
    [
        (-8, None),
        (-7, "due_soon"),
        (-6, None),
        (-4, None),
        (-3, "due_soon"),
        (-2, None),
        (-1, "due_soon"),
        (0, None),
        (1, "overdue"),
        (2, None),
        (7, None),
        (8, "overdue"),
        (9, None),
        (15, "overdue"),
        (22, "overdue"),
        (99, "overdue"),
        (100, None),
    ],
)
def test_staff_are_reminded_7_3_1_days_before_and_weekly_from_the_day_after(offset, kind):
    assert staff_reminder_kind(DEADLINE, DEADLINE + timedelta(days=offset)) == kind


# --- the pass -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_due_soon_names_the_round_the_deadline_and_the_unsubmitted_projects(alice, unit_a):
    round_ = open_round()
    ProjectFactory(unit=unit_a, code="P2", name="医保基金监管")
    ProjectFactory(unit=unit_a, code="P1", name="医疗救助")
    (notification,) = reminder_pass(today=date(2024, 8, 12))
    assert notification.recipient == alice
    assert notification.kind == NotificationKind.DUE_SOON
    assert notification.round == round_
    assert notification.subject_key == f"round:{round_.pk}"
    assert notification.subject == "【即将到期】2024年运行监控（截至07月31日）将于3天后截止"
    assert notification.body == (
        "新乡市医疗保障局：2024年运行监控（截至07月31日）的填报截止日期为2024年8月15日，还有3天。"
        "本部门尚有2个项目未提交：\n· 医疗救助（P1）\n· 医保基金监管（P2）\n"
        "请在截止日期前完成填报并提交。"
    )


@pytest.mark.django_db
def test_the_reviewers_get_one_digest_a_day_listing_every_overdue_round(rita, alice, bob, unit_a):
    early = open_round(deadline=date(2024, 8, 10))
    late = Round.objects.create(
        division=bureau(),
        year=2024,
        stage=Stage.SELF_EVALUATION,
        as_of=date(2024, 8, 1),
        deadline=DEADLINE,
    )
    ProjectFactory(unit=unit_a)
    ProjectFactory(unit=unit_a)
    created = reminder_pass(today=date(2024, 8, 16))
    digest = [n for n in created if n.kind == NotificationKind.OVERDUE_DIGEST]
    assert [n.recipient for n in digest] == [rita]
    assert digest[0].subject == "【逾期汇总】2024年8月16日共有1个部门逾期未提交"
    assert digest[0].body == (
        "截至2024年8月16日，以下部门逾期未提交：\n"
        f"{early}：新乡市医疗保障局（309）2个项目未提交，已逾期6天\n"
        f"{late}：新乡市医疗保障局（309）2个项目未提交，已逾期1天"
    )
    assert reminder_pass(today=date(2024, 8, 16)) == []
    assert Notification.objects.filter(kind=NotificationKind.OVERDUE_DIGEST).count() == 1


@pytest.mark.django_db
def test_a_department_without_staff_is_still_in_the_digest(rita):
    open_round()
    unit = UnitFactory(department=DepartmentFactory(code="777", name="无人局"))
    ProjectFactory(unit=unit)
    created = reminder_pass(today=DEADLINE + timedelta(days=1))
    assert kinds(created) == [("rita", "overdue_digest")]
    assert "无人局（777）1个项目未提交" in created[0].body


@pytest.mark.django_db
def test_nothing_is_due_before_a_round_opens_or_when_no_project_is_late(alice, rita, unit_a):
    assert reminder_pass(today=DEADLINE + timedelta(days=1)) == []
    round_ = open_round()
    project = ProjectFactory(unit=unit_a)
    Report.objects.create(round=round_, project=project, status=ReportStatus.SUBMITTED)
    assert reminder_pass(today=DEADLINE + timedelta(days=1)) == []


@pytest.mark.django_db
def test_a_rerun_of_the_pass_runs_the_same_queries_for_3_departments_as_for_12(rita):
    open_round()

    def rerun_queries(departments: int) -> int:
        for _ in range(departments):
            dept = DepartmentFactory()
            UserFactory(role=Role.STAFF, department=dept)
            ProjectFactory(unit=UnitFactory(department=dept))
        today = DEADLINE + timedelta(days=1)
        reminder_pass(today=today)
        with CaptureQueriesContext(connection) as queries:
            assert reminder_pass(today=today) == []
        return len(queries)

    few = rerun_queries(3)
    assert rerun_queries(9) == few


@pytest.mark.django_db
def test_create_once_skips_a_notification_created_meanwhile_by_another_run(alice):
    round_ = open_round()

    def candidate() -> Notification:
        return Notification(
            recipient=alice,
            kind=NotificationKind.DUE_SOON,
            round=round_,
            subject_key=f"round:{round_.pk}",
            day=date(2024, 8, 8),
            subject="s",
        )

    assert len(create_once([candidate()])) == 1
    # No pre-read of existing keys: the unique constraint alone refuses the second one.
    assert create_once([candidate()]) == []
    assert Notification.objects.count() == 1


# --- execution_red ------------------------------------------------------------------------------


@pytest.fixture
def execution(alice, bob, unit_a, unit_b):
    """As of 1 August 2024 (序时进度 58.47%): one red, one yellow, one green project."""
    red = ProjectFactory(unit=unit_a, code="R1", name="红色项目", initial_budget=Decimal("100"))
    PaymentFactory(project=red, amount=Decimal("10"), date=date(2024, 7, 1))
    yellow = ProjectFactory(unit=unit_b, code="Y1", name="黄色项目", initial_budget=Decimal("100"))
    PaymentFactory(project=yellow, amount=Decimal("40"), date=date(2024, 7, 1))
    green = ProjectFactory(unit=unit_b, code="G1", name="绿色项目", initial_budget=Decimal("100"))
    PaymentFactory(project=green, amount=Decimal("50"), date=date(2024, 7, 1))
    ProjectFactory(unit=unit_b, initial_budget=Decimal("0"))  # no budget: no warning
    return red


@pytest.mark.django_db
def test_staff_hear_of_a_red_execution_warning_on_the_first_of_the_month(execution, alice):
    (notification,) = reminder_pass(today=date(2024, 8, 1))
    assert (notification.recipient, notification.kind) == (alice, "execution_red")
    assert notification.project == execution
    assert notification.subject_key == f"project:{execution.pk}"
    assert notification.subject == "【红色预警】红色项目预算执行率10.00%，序时进度58.47%"
    assert notification.body == (
        "新乡市医疗保障局：截至2024年8月1日，项目“红色项目”（R1）全年预算数100万元，"
        "执行数10万元，预算执行率10.00%，低于序时进度58.47%的60%，为执行进度红色预警。"
        "请加快预算执行。"
    )
    assert notification.link == f"/budgets/projects/{execution.pk}/"
    assert reminder_pass(today=date(2024, 8, 1)) == []


@pytest.mark.django_db
def test_staff_hear_of_an_overspent_project_on_the_first_of_the_month(alice, unit_a):
    over = ProjectFactory(unit=unit_a, code="O1", name="超支项目", initial_budget=Decimal("100"))
    PaymentFactory(project=over, amount=Decimal("100.5"), date=date(2024, 7, 1))
    (notification,) = reminder_pass(today=date(2024, 8, 1))
    assert (notification.recipient, notification.kind) == (alice, "execution_red")
    assert notification.project == over
    assert notification.subject == "【超支预警】超支项目预算执行率100.50%，超过全年预算数"
    assert notification.body == (
        "新乡市医疗保障局：截至2024年8月1日，项目“超支项目”（O1）全年预算数100万元，"
        "执行数100.5万元，预算执行率100.50%，超过全年预算数，为超支预警。"
        "请核实支出或办理预算调整。"
    )
    assert reminder_pass(today=date(2024, 8, 1)) == []


@pytest.mark.django_db
def test_red_warnings_are_not_sent_on_other_days_of_the_month(execution):
    assert reminder_pass(today=date(2024, 8, 2)) == []
    assert reminder_pass(today=date(2024, 7, 31)) == []


# --- returned -------------------------------------------------------------------------------------


@pytest.fixture
def submitted(alice, unit_a):
    round_ = open_round()
    project = ProjectFactory(unit=unit_a, name="医疗救助")
    return Report.objects.create(
        round=round_,
        project=project,
        status=ReportStatus.SUBMITTED,
        submitted_by=alice,
        submitted_at=timezone.now(),
    )


def return_report(report: Report, user, reason: str, capture) -> None:
    with capture(execute=True):
        report_return(report=report, user=user, reason=reason)


@pytest.mark.django_db
def test_the_submitter_is_told_at_once_when_a_report_is_returned(
    submitted, alice, rita, enqueued, django_capture_on_commit_callbacks
):
    return_report(submitted, rita, "指标值不完整", django_capture_on_commit_callbacks)
    (notification,) = Notification.objects.all()
    assert (notification.recipient, notification.kind) == (alice, "returned")
    assert notification.subject == "【报告被退回】医疗救助（2024年运行监控（截至07月31日））"
    assert notification.body == (
        "您提交的“医疗救助”2024年运行监控（截至07月31日）报告已被丽塔退回。\n"
        "退回原因：指标值不完整\n请修改后重新提交。"
    )
    assert notification.project == submitted.project
    assert enqueued == [notification.pk]


@pytest.mark.django_db
def test_notifying_the_same_return_again_creates_nothing(
    submitted, rita, enqueued, django_capture_on_commit_callbacks
):
    return_report(submitted, rita, "指标值不完整", django_capture_on_commit_callbacks)
    assert notify_returned(report_id=submitted.pk) is None
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_a_second_return_the_same_day_is_a_new_notification_with_its_reason(
    submitted, rita, enqueued, django_capture_on_commit_callbacks
):
    return_report(submitted, rita, "第一次退回", django_capture_on_commit_callbacks)
    Report.objects.filter(pk=submitted.pk).update(status=ReportStatus.SUBMITTED)
    return_report(submitted, rita, "第二次退回", django_capture_on_commit_callbacks)
    reasons = [n.body.split("\n")[1] for n in Notification.objects.order_by("pk")]
    assert reasons == ["退回原因：第一次退回", "退回原因：第二次退回"]


@pytest.mark.django_db
def test_when_the_submitter_left_the_department_staff_are_told(submitted, alice, enqueued):
    colleague = UserFactory(username="alan", role=Role.STAFF, department=alice.department)
    alice.is_active = False
    alice.save()
    submitted.status = ReportStatus.RETURNED
    submitted.save()
    submitted.transitions.create(from_status="submitted", to_status="returned", reason="补充材料")
    notification = notify_returned(report_id=submitted.pk)
    assert notification.recipient == colleague


@pytest.mark.django_db
def test_notifying_a_missing_report_does_nothing():
    assert notify_returned(report_id=987654) is None
    assert not Notification.objects.exists()


# --- e-mail ---------------------------------------------------------------------------------------


@pytest.fixture
def due(alice, bob, unit_a, unit_b):
    """Alice and Bob each have a due_soon reminder; Bob has no e-mail address."""
    bob.email = ""
    bob.save()
    open_round()
    ProjectFactory(unit=unit_a)
    ProjectFactory(unit=unit_b)
    return DEADLINE - timedelta(days=7)


@pytest.mark.django_db
def test_the_pass_enqueues_an_e_mail_only_for_users_with_an_address(
    due, alice, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = reminder_pass(today=due)
    assert kinds(created) == [("bob", "due_soon"), ("alice", "due_soon")]
    assert enqueued == [Notification.objects.get(recipient=alice).pk]


@pytest.mark.django_db
def test_an_e_mail_is_sent_once_whatever_the_number_of_attempts(due, alice):
    created = reminder_pass(today=due)
    notification = next(n for n in created if n.recipient == alice)
    assert notification_email_send(notification_id=notification.pk) is True
    assert notification_email_send(notification_id=notification.pk) is False
    (message,) = mail.outbox
    assert message.to == ["alice@example.gov.cn"]
    assert message.subject == notification.subject
    assert message.extra_headers["X-Notification-Id"] == str(notification.pk)
    notification.refresh_from_db()
    assert notification.email_sent_at is not None
    assert notification.email_attempts == 1


@pytest.mark.django_db
def test_a_user_without_e_mail_gets_the_inbox_notification_and_no_error(due, bob):
    reminder_pass(today=due)
    notification = Notification.objects.get(recipient=bob)
    assert notification_email_send(notification_id=notification.pk) is False
    assert mail.outbox == []
    notification.refresh_from_db()
    assert (notification.email_sent_at, notification.email_attempts) == (None, 0)


@pytest.mark.django_db
def test_a_missing_notification_is_not_an_error():
    assert notification_email_send(notification_id=123456) is False


@pytest.fixture
def unreachable_smtp(settings):
    """An SMTP server nobody listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2


@pytest.mark.django_db
def test_an_unreachable_smtp_server_gives_the_claim_back_for_a_retry(
    due, alice, unreachable_smtp, caplog
):
    reminder_pass(today=due)
    notification = Notification.objects.get(recipient=alice)
    with pytest.raises(EmailTemporaryError):
        notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.email_sent_at, notification.email_attempts) == (None, 1)
    assert f"e-mail of notification {notification.pk} failed, will retry" in caplog.text


@pytest.mark.django_db
def test_the_e_mail_task_retries_a_bounded_number_of_times(due, alice, unreachable_smtp, eager):
    reminder_pass(today=due)
    notification = Notification.objects.get(recipient=alice)
    result = tasks.send_notification_email_task.apply(args=[notification.pk])
    assert result.failed()
    notification.refresh_from_db()
    assert notification.email_sent_at is None
    assert notification.email_attempts == 1 + tasks.send_notification_email_task.max_retries


@pytest.mark.django_db
def test_an_unreachable_smtp_server_does_not_stop_the_pass(
    due, alice, unreachable_smtp, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = reminder_pass(today=due)
    assert kinds(created) == [("bob", "due_soon"), ("alice", "due_soon")]
    assert Notification.objects.filter(email_sent_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_refused_recipient_is_not_retried_at_once(due, alice, monkeypatch, caplog):
    reminder_pass(today=due)
    notification = Notification.objects.get(recipient=alice)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"alice@example.gov.cn": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert notification_email_send(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert (notification.email_sent_at, notification.email_attempts) == (None, 1)
    assert "refused" in caplog.text


def test_network_failures_and_4xx_replies_are_transient_5xx_are_not():
    assert is_transient(ConnectionRefusedError())
    assert is_transient(smtplib.SMTPServerDisconnected())
    assert is_transient(smtplib.SMTPConnectError(554, b"busy"))
    assert is_transient(smtplib.SMTPDataError(451, b"try later"))
    assert not is_transient(smtplib.SMTPDataError(554, b"rejected"))
    assert not is_transient(smtplib.SMTPRecipientsRefused({}))
    assert not is_transient(ValueError())


@pytest.mark.django_db
def test_a_broker_outage_leaves_the_e_mails_to_the_catch_up(
    due, alice, bob, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    bob.email = "bob@example.gov.cn"
    bob.save()
    attempts = []

    def broker_down(notification_id):
        attempts.append(notification_id)
        raise BrokerError("connection refused")

    monkeypatch.setattr(tasks.send_notification_email_task, "delay", broker_down)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        created = reminder_pass(today=due)
    assert len(created) == 2
    assert len(attempts) == 1  # no second wait on a broker known to be down
    assert "could not enqueue the e-mail" in caplog.text


@pytest.mark.django_db
def test_the_catch_up_re_enqueues_only_old_unsent_e_mails_of_users_with_an_address(
    due, alice, enqueued
):
    reminder_pass(today=due)
    old = Notification.objects.get(recipient=alice)
    now = timezone.now()
    Notification.objects.update(created_at=now - timedelta(minutes=30))
    assert emails_retry_unsent(now=now) == 1
    assert enqueued == [old.pk]

    enqueued.clear()
    Notification.objects.filter(pk=old.pk).update(email_attempts=notifications.EMAIL_MAX_ATTEMPTS)
    assert emails_retry_unsent(now=now) == 0
    Notification.objects.filter(pk=old.pk).update(email_attempts=0, email_sent_at=now)
    assert emails_retry_unsent(now=now) == 0
    Notification.objects.filter(pk=old.pk).update(email_sent_at=None, created_at=now)
    assert emails_retry_unsent(now=now) == 0
    assert enqueued == []


# --- tasks ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_remind_task_runs_the_pass_of_the_given_day(due, enqueued):
    result = tasks.remind_task.apply(kwargs={"today": due.isoformat()})
    assert result.successful()
    assert result.result == 2
    assert Notification.objects.filter(day=due).count() == 2


@pytest.mark.django_db
def test_the_remind_task_defaults_to_the_local_date(due, enqueued):
    # 16:30 UTC on 7 August is already 8 August in Asia/Shanghai: deadline - 7.
    with time_machine.travel(datetime(2024, 8, 7, 16, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        assert tasks.remind_task.apply().result == 2
    assert set(Notification.objects.values_list("day", flat=True)) == {due}


def test_the_tasks_are_registered_under_the_names_the_schedule_uses():
    assert "tracking.tasks.remind_task" in current_app.tasks
    assert "tracking.tasks.send_notification_email_task" in current_app.tasks
    remind = current_app.tasks["tracking.tasks.remind_task"]
    assert remind.acks_late and remind.reject_on_worker_lost
    assert remind.time_limit and remind.soft_time_limit
