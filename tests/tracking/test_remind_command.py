"""`manage.py remind [--today]`: exactly the reminders of the spec on the days around a deadline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from budgets.choices import Role
from tests.factories import DepartmentFactory, ProjectFactory, UnitFactory, UserFactory
from tests.tracking.season import bureau
from tracking.choices import ReportStatus, Stage
from tracking.models import Notification, Report, Round

DEADLINE = date(2024, 8, 15)
ROUND = "2024年运行监控（截至07月31日）"


def remind(day: date | None = None) -> list[str]:
    out = StringIO()
    args = ["--today", day.isoformat()] if day else []
    call_command("remind", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def season(alice, bob, rita, adam, unit_a, unit_b):
    """One open monitoring round; A and B have unsubmitted projects, C submitted everything."""
    round_ = Round.objects.create(
        division=bureau(),
        year=2024,
        stage=Stage.MONITORING,
        as_of=date(2024, 7, 31),
        deadline=DEADLINE,
    )
    draft = ProjectFactory(unit=unit_a)
    submitted = ProjectFactory(unit=unit_a)
    Report.objects.create(round=round_, project=draft, status=ReportStatus.DRAFT)
    Report.objects.create(round=round_, project=submitted, status=ReportStatus.SUBMITTED)
    ProjectFactory(unit=unit_b)  # no report at all: not submitted
    ProjectFactory(unit=unit_b, year=2023)  # another year: not part of the round
    unit_c = UnitFactory(department=DepartmentFactory(code="501", name="丙局"))
    approved = ProjectFactory(unit=unit_c)
    Report.objects.create(round=round_, project=approved, status=ReportStatus.APPROVED)
    UserFactory(username="carol", role=Role.STAFF, department=unit_c.department)
    UserFactory(username="anna", role=Role.STAFF, department=alice.department, is_active=False)
    UserFactory(username="rhea", role=Role.REVIEWER, department=None, is_active=False)
    return round_


def expected_lines(day: date) -> list[str]:
    """The spec written out by hand: B (044) before A (309), then the reviewers' digest."""
    offset = (day - DEADLINE).days
    lines = []
    if offset in (-7, -3, -1):
        subject = f"【即将到期】{ROUND}将于{-offset}天后截止"
        lines += [f"bob\tdue_soon\t{subject}", f"alice\tdue_soon\t{subject}"]
    if offset in (1, 8, 15):
        subject = f"【已逾期】{ROUND}已逾期{offset}天，尚有1个项目未提交"
        lines += [f"bob\toverdue\t{subject}", f"alice\toverdue\t{subject}"]
    if offset >= 1:
        subject = f"【逾期汇总】{day.year}年{day.month}月{day.day}日共有2个部门逾期未提交"
        lines.append(f"rita\toverdue_digest\t{subject}")
    return lines


@pytest.mark.django_db
def test_it_prints_exactly_the_reminders_of_each_day_around_the_deadline(season):
    for offset in range(-8, 17):
        day = DEADLINE + timedelta(days=offset)
        assert remind(day) == expected_lines(day), f"day {offset:+d}"


@pytest.mark.django_db
def test_running_it_again_the_same_day_prints_and_creates_nothing(season):
    for offset in range(-8, 17):
        day = DEADLINE + timedelta(days=offset)
        first = remind(day)
        count = Notification.objects.count()
        assert remind(day) == []
        assert Notification.objects.count() == count
        assert len(first) == len(expected_lines(day))


@pytest.mark.django_db
def test_a_round_closed_before_the_pass_creates_nothing(season):
    season.is_open = False
    season.save()
    for offset in (-7, 1, 2, 8):
        assert remind(DEADLINE + timedelta(days=offset)) == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_department_stops_getting_reminders_once_every_project_is_submitted(season, unit_b):
    Report.objects.filter(project__unit__department__code="309").update(
        status=ReportStatus.SUBMITTED
    )
    lines = remind(DEADLINE - timedelta(days=3))
    assert [line.split("\t")[0] for line in lines] == ["bob"]


@pytest.mark.django_db
def test_a_returned_report_still_counts_as_not_submitted(season):
    Report.objects.filter(status=ReportStatus.DRAFT).update(status=ReportStatus.RETURNED)
    lines = remind(DEADLINE - timedelta(days=1))
    assert [line.split("\t")[0] for line in lines] == ["bob", "alice"]


@pytest.mark.django_db
def test_without_today_it_uses_the_local_date(season):
    # 2024-08-07 20:00 UTC is already 8 August (deadline - 7) in Asia/Shanghai.
    with time_machine.travel(datetime(2024, 8, 7, 20, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        assert remind() == expected_lines(date(2024, 8, 8))


@pytest.mark.django_db
def test_it_refuses_a_today_that_is_not_a_date(season):
    with pytest.raises(CommandError, match="--today must be a date YYYY-MM-DD"):
        remind_text("2024-13-01")
    assert not Notification.objects.exists()


def remind_text(text: str) -> None:
    call_command("remind", "--today", text, stdout=StringIO())
