"""Notifications: creation exactly once, the daily reminder pass, e-mail delivery.

Exactly once: a notification is identified by (recipient, kind, subject_key, day) and the
database enforces it (constraint `notification_once`). Every row is inserted in its own
transaction (a savepoint when a caller already holds one); a conflict means another run
created it first, so it is skipped and not reported. On PostgreSQL a concurrent insert of
the same key waits for the other transaction and then conflicts; on SQLite writers are
serialized (BEGIN IMMEDIATE). A duplicated beat tick, a retried or redelivered task, or two
workers at once therefore never create a second row, and each run reports only its own.

E-mail is at most once: a task claims the row by setting `email_sent_at` with a conditional
UPDATE (only where it is still NULL) before talking to the SMTP server. A transient failure
gives the claim back and the task retries with backoff; a worker lost in the middle of the
SMTP conversation leaves the row marked sent (never a second copy, at worst a lost e-mail).
"""

from __future__ import annotations

import logging
import os
import smtplib
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from budgets.access import covers_division
from budgets.choices import Role
from budgets.models import Project, User
from budgets.rates import OVER, RED, format_amount, format_rate, time_progress
from budgets.selectors import project_figures, warning_thresholds

from .choices import SUBMITTED_STATUSES, NotificationKind, ReportStatus
from .models import Notification, Report, ReportTransition, Round
from .services import WorkflowError, check_may_manage_rounds

logger = logging.getLogger(__name__)

# --- the rules --------------------------------------------------------------------------------
DUE_SOON_DAYS = (7, 3, 1)  # days before the deadline
OVERDUE_EVERY = 7  # the day after the deadline, then every 7 days
DIGEST_KEY = "digest"  # one digest per reviewer per day, whatever the rounds
PROJECTS_LISTED = 20  # a body names at most this many projects

# --- messages (subjects fit Notification.subject, 200 characters) ------------------------------
DUE_SOON_SUBJECT = "【即将到期】{round}将于{days}天后截止"
DUE_SOON_BODY = (
    "{department}：{round}的填报截止日期为{deadline}，还有{days}天。"
    "本部门尚有{count}未提交：\n{projects}\n请在截止日期前完成填报并提交。"
)
OVERDUE_SUBJECT = "【已逾期】{round}已逾期{days}天，尚有{count}未提交"
OVERDUE_BODY = (
    "{department}：{round}的填报截止日期为{deadline}，已逾期{days}天。"
    "本部门尚有{count}未提交：\n{projects}\n请尽快完成填报并提交。"
)
DIGEST_SUBJECT = "【逾期汇总】{day}共有{count}个部门逾期未提交"
DIGEST_BODY = "截至{day}，以下部门逾期未提交：\n{lines}"
DIGEST_LINE = "{round}：{department}（{code}）{count}未提交，已逾期{days}天"
# What a late department still owes: its projects' reports and its own (部门整体).
DEPARTMENT_REPORT = "部门整体绩效报告"
RETURNED_SUBJECT = "【报告被退回】{project}（{round}）"
RETURNED_BODY = (
    "您提交的“{project}”{round}报告已被{reviewer}退回。\n退回原因：{reason}\n请修改后重新提交。"
)
EXECUTION_RED_SUBJECT = "【红色预警】{project}预算执行率{rate}%，序时进度{progress}%"
EXECUTION_RED_BODY = (
    "{department}：截至{day}，项目“{project}”（{code}）全年预算数{adjusted}万元，"
    "执行数{executed}万元，预算执行率{rate}%，低于序时进度{progress}%的{fraction}%，"
    "为执行进度红色预警。请加快预算执行。"
)
EXECUTION_OVER_SUBJECT = "【超支预警】{project}预算执行率{rate}%，超过全年预算数"
EXECUTION_OVER_BODY = (
    "{department}：截至{day}，项目“{project}”（{code}）全年预算数{adjusted}万元，"
    "执行数{executed}万元，预算执行率{rate}%，超过全年预算数，为超支预警。"
    "请核实支出或办理预算调整。"
)
MORE_PROJECTS = "……等共{count}个项目"
EMAIL_LINK = "查看详情：{url}"
CHASE_ROUND_CLOSED = "{round}已关闭，不能催办"
CHASE_NOT_OVERDUE = "{round}的填报截止日期为{deadline}，尚未逾期，不能催办"

# --- e-mail -----------------------------------------------------------------------------------
# The catch-up re-enqueues e-mails left unsent this long after creation (the normal path has
# had its chance by then), at most this many per run, and stops after this many attempts
# (three tasks' worth of retries) or once the notification is a week old.
EMAIL_CATCH_UP_AFTER = timedelta(minutes=10)
EMAIL_CATCH_UP_WITHIN = timedelta(days=7)
EMAIL_CATCH_UP_LIMIT = 500
EMAIL_MAX_ATTEMPTS = 18

# For tests only: seconds to pause after each department's reminders, so a test can kill the
# worker in the middle of a pass. Unset (0) in every real deployment.
SLEEP_ENV = "TRACKING_REMIND_SLEEP_PER_DEPARTMENT"


class EmailTemporaryError(Exception):
    """The SMTP server could not take the message now; the task retries later."""


# --- pure rules -------------------------------------------------------------------------------


def staff_reminder_kind(deadline: date, today: date) -> str | None:
    """`due_soon`, `overdue` or None: what a department that has not submitted gets today."""
    days_left = (deadline - today).days
    if days_left in DUE_SOON_DAYS:
        return NotificationKind.DUE_SOON
    days_late = -days_left
    if days_late >= 1 and (days_late - 1) % OVERDUE_EVERY == 0:
        return NotificationKind.OVERDUE
    return None


def is_overdue(deadline: date, today: date) -> bool:
    return today > deadline


def chinese_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _subject(text: str) -> str:
    # The command prints one line per notification: keep the subject on one line and short.
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


def _project_lines(projects: list[tuple[str, str]]) -> str:
    lines = [f"· {name}（{code}）" for code, name in projects[:PROJECTS_LISTED]]
    if len(projects) > PROJECTS_LISTED:
        lines.append(MORE_PROJECTS.format(count=len(projects)))
    return "\n".join(lines)


def _link(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None)


def round_link(round_id: int | None) -> str:
    if round_id is None:
        return _link("tracking:round_list")
    return _link("tracking:round_detail", pk=round_id)


def notification_link(notification: Notification) -> str:
    """Where a notification leads: its stored link, or one rebuilt from what it concerns."""
    if notification.link and notification.link != "/":
        return notification.link
    if notification.kind == NotificationKind.EXECUTION_RED and notification.project_id:
        return _link("budgets:project_detail", pk=notification.project_id)
    return round_link(notification.round_id)


# --- creation exactly once --------------------------------------------------------------------


Key = tuple[int, str, str, date]


def _key(n: Notification) -> Key:
    return (n.recipient_id, n.kind, n.subject_key, n.day)


def _existing_keys(day: date) -> set[Key]:
    return set(
        Notification.objects.filter(day=day).values_list(
            "recipient_id", "kind", "subject_key", "day"
        )
    )


def create_once(
    candidates: Iterable[Notification], existing: set[Key] | None = None
) -> list[Notification]:
    """Insert each candidate unless it exists; returns those this call created.

    `existing` (keys read beforehand) only saves inserts; the unique constraint decides.
    """
    created: list[Notification] = []
    for notification in candidates:
        key = _key(notification)
        if existing is not None and key in existing:
            continue
        try:
            with transaction.atomic():
                notification.save(force_insert=True)
        except IntegrityError as exc:
            # Another run (or worker) created the same notification first.
            notification.pk = None
            logger.info("notification %s not created, it exists already: %s", key, exc)
            continue
        if existing is not None:
            existing.add(key)
        created.append(notification)
    return created


class Outbox:
    """Enqueues the e-mails of new notifications after commit; the first broker failure
    leaves the rest of this run to the catch-up instead of waiting on the broker again."""

    def __init__(self) -> None:
        self.broken = False

    def add(self, notifications: Iterable[Notification]) -> None:
        ids = [n.pk for n in notifications if n.recipient.email and n.recipient.is_active]
        if ids:
            transaction.on_commit(partial(self.enqueue, ids))

    def enqueue(self, ids: list[int]) -> int:
        from .tasks import send_notification_email_task

        sent = 0
        for notification_id in ids:
            if self.broken:
                break
            try:
                send_notification_email_task.delay(notification_id)
            except Exception:
                # The broker is unreachable: the rows stay unsent and the catch-up takes them.
                logger.warning(
                    "could not enqueue the e-mail of notification %s",
                    notification_id,
                    exc_info=True,
                )
                self.broken = True
                break
            sent += 1
        return sent


# --- the daily pass ---------------------------------------------------------------------------


@dataclass
class Pending:
    """A department that has not submitted every project of an open round."""

    round: Round
    department_id: int
    department_code: str
    department_name: str
    projects: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    # The department's own report (部门整体) of the round is not submitted either.
    department_report: bool = False

    @property
    def owed(self) -> str:
        """What is not submitted, as the messages say it: “2个项目”, “部门整体绩效报告”."""
        parts = [f"{len(self.projects)}个项目"] if self.projects else []
        if self.department_report:
            parts.append(DEPARTMENT_REPORT)
        return "和".join(parts)

    @property
    def lines(self) -> str:
        text = _project_lines(self.projects) if self.projects else ""
        if self.department_report:
            text = f"{text}\n· {DEPARTMENT_REPORT}" if text else f"· {DEPARTMENT_REPORT}"
        return text


def pending_departments(rounds: Iterable[Round]) -> list[Pending]:
    """Per round, the departments of its 区划 with projects whose report is not submitted, or
    whose own department report is not (two queries each)."""
    result: list[Pending] = []
    for round_ in rounds:
        submitted = Report.objects.filter(
            round=round_, project=OuterRef("pk"), status__in=SUBMITTED_STATUSES
        )
        rows = (
            Project.objects.filter(year=round_.year, department__division_id=round_.division_id)
            .filter(~Exists(submitted))
            .order_by("department__code", "code")
            .values_list("department_id", "department__code", "department__name", "code", "name")
        )
        by_department: dict[int, Pending] = {}
        for dept_id, dept_code, dept_name, code, name in rows:
            pending = by_department.get(dept_id)
            if pending is None:
                pending = by_department[dept_id] = Pending(round_, dept_id, dept_code, dept_name)
            pending.projects.append((code, name))
        for dept_id, dept_code, dept_name in (
            Report.objects.filter(round=round_, department__isnull=False)
            .exclude(status__in=SUBMITTED_STATUSES)
            .values_list("department_id", "department__code", "department__name")
        ):
            pending = by_department.get(dept_id)
            if pending is None:
                pending = by_department[dept_id] = Pending(round_, dept_id, dept_code, dept_name)
            pending.department_report = True
        result += sorted(by_department.values(), key=lambda p: p.department_code)
    return result


def _staff_by_department(department_ids: Iterable[int]) -> dict[int, list[User]]:
    staff: dict[int, list[User]] = defaultdict(list)
    users = User.objects.filter(
        is_active=True, role=Role.STAFF, department_id__in=set(department_ids)
    ).order_by("username")
    for user in users:
        staff[user.department_id].append(user)
    return staff


def _reviewers() -> list[User]:
    return list(
        User.objects.filter(is_active=True, role=Role.REVIEWER)
        .select_related("division")
        .order_by("username")
    )


def _staff_notification(pending: Pending, kind: str, today: date, user: User) -> Notification:
    round_ = pending.round
    values = {
        "round": str(round_),
        "department": pending.department_name,
        "deadline": chinese_day(round_.deadline),
        "count": pending.owed,
        "projects": pending.lines,
    }
    if kind == NotificationKind.DUE_SOON:
        values["days"] = (round_.deadline - today).days
        subject, body = DUE_SOON_SUBJECT.format(**values), DUE_SOON_BODY.format(**values)
    else:
        values["days"] = (today - round_.deadline).days
        subject, body = OVERDUE_SUBJECT.format(**values), OVERDUE_BODY.format(**values)
    return Notification(
        recipient=user,
        kind=kind,
        round=round_,
        department_id=pending.department_id,
        subject_key=f"round:{round_.pk}",
        day=today,
        subject=_subject(subject),
        body=body,
        link=round_link(round_.pk),
    )


def _digest_notifications(overdue: list[Pending], today: date) -> list[Notification]:
    """Each reviewer's digest of the late departments of the 区划 it covers (none: no digest)."""
    if not overdue:
        return []
    digests = []
    for reviewer in _reviewers():
        covered = [p for p in overdue if covers_division(reviewer, p.round.division)]
        if covered:
            digests.append(_digest(reviewer, covered, today))
    return digests


def _digest(reviewer: User, overdue: list[Pending], today: date) -> Notification:
    # Department codes repeat across 区划: a digest spanning several names them 区划/部门编码.
    several = len({p.round.division_id for p in overdue}) > 1
    lines = [
        DIGEST_LINE.format(
            round=p.round,
            department=p.department_name,
            code=f"{p.round.division.code}/{p.department_code}" if several else p.department_code,
            count=p.owed,
            days=(today - p.round.deadline).days,
        )
        for p in overdue
    ]
    rounds = {p.round.pk for p in overdue}
    single_round = overdue[0].round if len(rounds) == 1 else None
    subject = DIGEST_SUBJECT.format(
        day=chinese_day(today), count=len({p.department_id for p in overdue})
    )
    # One round: its page shows which departments are late; several: the list of rounds.
    return Notification(
        recipient=reviewer,
        kind=NotificationKind.OVERDUE_DIGEST,
        round=single_round,
        subject_key=DIGEST_KEY,
        day=today,
        subject=_subject(subject),
        body=DIGEST_BODY.format(day=chinese_day(today), lines="\n".join(lines)),
        link=round_link(single_round.pk if single_round else None),
    )


def _execution_red_notifications(today: date) -> list[list[Notification]]:
    """On the 1st of a month: per department, red warnings of this year's projects as of today."""
    if today.day != 1:
        return []
    projects = Project.objects.filter(year=today.year)
    figures = project_figures(projects, today)
    thresholds = warning_thresholds()
    progress = time_progress(today)
    # 超支 (over 100 %) is as urgent as red: it goes out the same way, with its own words.
    warnings = {pk: f.warning(progress, thresholds) for pk, f in figures.items()}
    red = {pk for pk, warning in warnings.items() if warning in (RED, OVER)}
    if not red:
        return []
    rows = [
        row
        for row in projects.order_by("department__code", "code").values_list(
            "pk", "code", "name", "department_id", "department__name"
        )
        if row[0] in red
    ]
    staff = _staff_by_department(row[3] for row in rows)
    groups: dict[int, list[Notification]] = {}
    for pk, code, name, dept_id, dept_name in rows:
        f = figures[pk]
        values = {
            "department": dept_name,
            "day": chinese_day(today),
            "project": name,
            "code": code,
            "adjusted": format_amount(f.adjusted),
            "executed": format_amount(f.executed),
            "rate": format_rate(f.execution_rate),
            "progress": format_rate(progress),
            "fraction": format_amount(thresholds.yellow_fraction * 100),
        }
        over = warnings[pk] == OVER
        for user in staff.get(dept_id, []):
            groups.setdefault(dept_id, []).append(
                Notification(
                    recipient=user,
                    kind=NotificationKind.EXECUTION_RED,
                    project_id=pk,
                    department_id=dept_id,
                    subject_key=f"project:{pk}",
                    day=today,
                    subject=_subject(
                        (EXECUTION_OVER_SUBJECT if over else EXECUTION_RED_SUBJECT).format(**values)
                    ),
                    body=(EXECUTION_OVER_BODY if over else EXECUTION_RED_BODY).format(**values),
                    link=_link("budgets:project_detail", pk=pk),
                )
            )
    return list(groups.values())


def _pause_for_tests() -> None:
    seconds = float(os.environ.get(SLEEP_ENV) or 0)
    if seconds > 0:
        time.sleep(seconds)


def reminder_pass(*, today: date) -> list[Notification]:
    """The daily pass: due_soon/overdue to staff, the reviewers' overdue digest, and on the 1st
    execution_red; returns the notifications this run created (a rerun returns none)."""
    outbox = Outbox()
    existing = _existing_keys(today)
    created: list[Notification] = []

    rounds = (
        Round.objects.filter(is_open=True).select_related("division").order_by("deadline", "pk")
    )
    pending = pending_departments(rounds)
    due = [(p, staff_reminder_kind(p.round.deadline, today)) for p in pending]
    due = [(p, kind) for p, kind in due if kind]
    staff = _staff_by_department(p.department_id for p, _ in due)
    for p, kind in due:
        batch = create_once(
            (_staff_notification(p, kind, today, user) for user in staff.get(p.department_id, [])),
            existing,
        )
        outbox.add(batch)
        created += batch
        _pause_for_tests()

    overdue = [p for p in pending if is_overdue(p.round.deadline, today)]
    batch = create_once(_digest_notifications(overdue, today), existing)
    outbox.add(batch)
    created += batch

    for group in _execution_red_notifications(today):
        batch = create_once(group, existing)
        outbox.add(batch)
        created += batch
    return created


# --- 催办: the reviewer chases a round's late departments now ----------------------------------


def round_chase(*, round_: Round, user=None, today: date | None = None) -> list[Notification]:
    """Send the `overdue` reminder to the staff of the round's late departments at once;
    returns those created. Same key as the daily pass: at most one `overdue` per recipient,
    round and day, however often either runs."""
    check_may_manage_rounds(user, round_.division)
    today = today or timezone.localdate()
    if not round_.is_open:
        raise WorkflowError(CHASE_ROUND_CLOSED.format(round=round_))
    if not is_overdue(round_.deadline, today):
        raise WorkflowError(
            CHASE_NOT_OVERDUE.format(round=round_, deadline=chinese_day(round_.deadline))
        )
    outbox = Outbox()
    existing = _existing_keys(today)
    pending = pending_departments([round_])
    staff = _staff_by_department(p.department_id for p in pending)
    created: list[Notification] = []
    for p in pending:
        batch = create_once(
            (
                _staff_notification(p, NotificationKind.OVERDUE, today, member)
                for member in staff.get(p.department_id, [])
            ),
            existing,
        )
        outbox.add(batch)
        created += batch
    return created


# --- returned reports -------------------------------------------------------------------------


def notify_returned(*, report_id: int) -> Notification | None:
    """Tell the submitter at once that the report was returned; once per return.

    The key is the return's transition ("return:<id>"), so a repeated call creates nothing,
    while a report returned a second time the same day (after a resubmission) is a new
    notification carrying the new reason.
    """
    try:
        return _notify_returned(report_id)
    except DatabaseError:
        # Runs after the return committed: the return stands; the lost notice is logged.
        logger.exception("could not notify the return of report %s", report_id)
        return None


def _notify_returned(report_id: int) -> Notification | None:
    report = (
        Report.objects.select_related(
            "round", "project", "department", "submitted_by", "reviewed_by"
        )
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return None
    transition = (
        ReportTransition.objects.filter(report=report, to_status=ReportStatus.RETURNED)
        .order_by("-at", "-pk")
        .first()
    )
    if transition is None:
        return None
    submitter = report.submitted_by
    if submitter is not None and submitter.is_active:
        recipients = [submitter]
    else:
        # The submitter left: the department's staff take over the report.
        recipients = _staff_by_department([report.owner_department_id]).get(
            report.owner_department_id, []
        )
    reviewer = report.reviewed_by.display_name if report.reviewed_by else "财政局审核人"
    values = {
        "project": report.subject_name,
        "round": str(report.round),
        "reviewer": reviewer,
        "reason": transition.reason or report.return_reason,
    }
    link = _link("tracking:report_detail", pk=report.pk)
    today = timezone.localdate()
    candidates = [
        Notification(
            recipient=user,
            kind=NotificationKind.RETURNED,
            round=report.round,
            project=report.project,
            department_id=report.owner_department_id,
            subject_key=f"return:{transition.pk}",
            day=today,
            subject=_subject(RETURNED_SUBJECT.format(**values)),
            body=RETURNED_BODY.format(**values),
            link=link,
        )
        for user in recipients
    ]
    created = create_once(candidates, _existing_keys(today))
    Outbox().add(created)
    return created[0] if created else None


# --- e-mail -----------------------------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """Whether an SMTP failure may go away by itself (network, 4xx) rather than stay (5xx)."""
    if isinstance(exc, smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPNotSupportedError)):
        return False
    # smtplib.SMTPServerDisconnected, refused connections, timeouts, DNS failures.
    return isinstance(exc, OSError)


def _email_message(notification: Notification) -> EmailMessage:
    url = notification_link(notification)
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    body = notification.body
    if url and url != "/":
        body += "\n\n" + EMAIL_LINK.format(url=f"{base}{url}")
    return EmailMessage(
        subject=notification.subject,
        body=body,
        to=[notification.recipient.email],
        # Lets operators (and tests) match a message to its row.
        headers={"X-Notification-Id": str(notification.pk)},
    )


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification unless it was sent already; True when this call sent it.

    Raises EmailTemporaryError (claim given back) when the SMTP server may accept it later.
    """
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.email_sent_at is not None:
        return False
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        return False
    claimed_at = timezone.now()
    claimed = Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=True).update(
        email_sent_at=claimed_at, email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return False  # another worker has it
    try:
        _email_message(notification).send()
    except Exception as exc:
        Notification.objects.filter(pk=notification.pk, email_sent_at=claimed_at).update(
            email_sent_at=None
        )
        if is_transient(exc):
            logger.warning("e-mail of notification %s failed, will retry: %s", notification.pk, exc)
            raise EmailTemporaryError(str(exc)) from exc
        logger.error("e-mail of notification %s refused: %s", notification.pk, exc)
        return False
    return True


def emails_retry_unsent(*, now: datetime | None = None) -> int:
    """Enqueue again the e-mails still unsent a while after creation (bounded); returns how many."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            email_sent_at__isnull=True,
            email_attempts__lt=EMAIL_MAX_ATTEMPTS,
            created_at__lt=now - EMAIL_CATCH_UP_AFTER,
            created_at__gte=now - EMAIL_CATCH_UP_WITHIN,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)[:EMAIL_CATCH_UP_LIMIT]
    )
    if not ids:
        return 0
    return Outbox().enqueue(ids)


# --- the inbox ----------------------------------------------------------------------------------


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications (all, or those ids) read; returns how many."""
    query = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        query = query.filter(pk__in=list(ids))
    return query.update(read_at=timezone.now())
