"""The daily catch-up (config/schedule.py): a daily pass whose own run was lost (sent while
Redis was down) runs once later the same day, and only today's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from budgets import tasks as budget_tasks
from budgets.models import ScheduledRun
from budgets.tasks import RECOMPUTE_TIME_LIMIT, daily_catch_up_task, recompute_rates_task
from config.celery import app
from config.schedule import (
    CATCH_UP_GRACE,
    CATCH_UP_SOFT_TIME_LIMIT,
    CATCH_UP_STALE_AFTER,
    CATCH_UP_TIME_LIMIT,
    DAILY_CATCH_UP,
    RECOMPUTE_NIGHTLY,
    REMIND_DAILY,
    SCHEDULE,
    DailyEntry,
    DailyRunRecord,
    daily_catch_up,
    daily_runs_due,
    first_run_on,
)
from tests.factories import ProjectFactory
from tests.tracking.season import bureau
from tracking import tasks as tracking_tasks
from tracking.choices import Stage
from tracking.models import Notification, Round
from tracking.notifications import reminder_pass
from tracking.tasks import REMIND_TIME_LIMIT, remind_task

CHINA = ZoneInfo("Asia/Shanghai")
DAY = date(2024, 8, 16)  # a Friday, the day after the round's deadline


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


def entry(name: str, minute: str, hour: str, **days: str) -> DailyEntry:
    return DailyEntry(name, crontab(minute=minute, hour=hour, **days), CHINA)


REMIND = entry(REMIND_DAILY, "30", "7")
RECOMPUTE = entry(RECOMPUTE_NIGHTLY, "0", "2")


# --- the pure rule --------------------------------------------------------------------------


def test_the_first_run_of_a_day_is_the_crontabs_earliest_time_that_day():
    assert first_run_on(REMIND.schedule, DAY, CHINA) == at(7, 30)
    assert first_run_on(crontab(minute="45,15", hour="19,7"), DAY, CHINA) == at(7, 15)


@pytest.mark.parametrize(
    ("days", "runs"),
    [
        ({"day_of_week": "mon-thu"}, False),  # DAY is a Friday
        ({"day_of_week": "fri"}, True),
        ({"day_of_month": "1"}, False),
        ({"day_of_month": "16"}, True),
        ({"month_of_year": "1-7"}, False),
        # Celery wants both days to match, unlike Unix cron.
        ({"day_of_month": "16", "day_of_week": "sat"}, False),
    ],
)
def test_a_crontab_that_skips_the_day_has_no_first_run(days, runs):
    first = first_run_on(crontab(minute="30", hour="7", **days), DAY, CHINA)
    assert first == (at(7, 30) if runs else None)


def due(now: datetime, runs: dict | None = None) -> list[str]:
    return daily_runs_due(now=now, today=DAY, entries=[RECOMPUTE, REMIND], runs=runs or {})


def test_nothing_is_due_before_its_time_and_its_grace():
    assert due(at(1, 0)) == []
    assert due(at(2, 0) + CATCH_UP_GRACE - timedelta(seconds=1)) == []
    assert due(at(2, 0) + CATCH_UP_GRACE) == [RECOMPUTE_NIGHTLY]
    assert due(at(7, 35)) == [RECOMPUTE_NIGHTLY]


def test_a_pass_without_a_run_today_is_due_until_the_end_of_the_day():
    assert due(at(8, 0)) == [RECOMPUTE_NIGHTLY, REMIND_DAILY]
    assert due(at(23, 59)) == [RECOMPUTE_NIGHTLY, REMIND_DAILY]


def test_a_finished_run_today_is_never_due_again():
    runs = {
        REMIND_DAILY: DailyRunRecord(at(7, 30), at(7, 31)),
        RECOMPUTE_NIGHTLY: DailyRunRecord(at(9, 0), at(9, 5)),  # itself a catch-up
    }
    assert due(at(12, 0), runs) == []


def test_a_run_still_going_is_left_alone_until_it_must_have_been_lost():
    started = at(7, 30)
    runs = {REMIND_DAILY: DailyRunRecord(started)}
    assert due(started + CATCH_UP_STALE_AFTER - timedelta(seconds=1), runs) == [RECOMPUTE_NIGHTLY]
    assert due(started + CATCH_UP_STALE_AFTER, runs) == [RECOMPUTE_NIGHTLY, REMIND_DAILY]


# --- the schedule ----------------------------------------------------------------------------


def test_the_catch_up_runs_every_15_minutes_for_the_recompute_and_the_reminders():
    (catch_up,) = [e for e in SCHEDULE if e.name == DAILY_CATCH_UP]
    assert (catch_up.task, catch_up.minute, catch_up.hour) == (
        "budgets.tasks.daily_catch_up_task",
        "*/15",
        "*",
    )
    assert catch_up.expires < 15 * 60  # a tick still queued when the next comes is dropped
    assert {e.name for e in SCHEDULE if e.catch_up} == {REMIND_DAILY, RECOMPUTE_NIGHTLY}
    assert "budgets.tasks.daily_catch_up_task" in app.tasks


def test_the_catch_up_has_time_for_both_passes_and_outlives_their_runs():
    assert CATCH_UP_SOFT_TIME_LIMIT >= RECOMPUTE_TIME_LIMIT + REMIND_TIME_LIMIT
    assert CATCH_UP_SOFT_TIME_LIMIT < CATCH_UP_TIME_LIMIT
    assert daily_catch_up_task.time_limit == CATCH_UP_TIME_LIMIT
    assert CATCH_UP_STALE_AFTER >= timedelta(seconds=CATCH_UP_TIME_LIMIT)
    assert CATCH_UP_GRACE < timedelta(minutes=15)


# --- running it -------------------------------------------------------------------------------


@pytest.fixture
def overdue(alice, rita, unit_a):
    """A round due the day before DAY: the reminder pass of DAY tells alice and rita."""
    Round.objects.create(
        division=bureau(),
        year=2024,
        stage=Stage.MONITORING,
        as_of=date(2024, 7, 31),
        deadline=DAY - timedelta(days=1),
    )
    ProjectFactory(unit=unit_a)


@pytest.fixture
def passes(monkeypatch):
    """The two passes, counted (and still run)."""
    remind = mock.Mock(wraps=reminder_pass)
    recompute = mock.Mock(wraps=budget_tasks.rates_snapshot_save)
    monkeypatch.setattr(tracking_tasks, "reminder_pass", remind)
    monkeypatch.setattr(budget_tasks, "rates_snapshot_save", recompute)
    return {REMIND_DAILY: remind, RECOMPUTE_NIGHTLY: recompute}


def runs_of_day(day: date = DAY) -> dict[str, bool]:
    return {r.name: r.finished_at is not None for r in ScheduledRun.objects.filter(day=day)}


def calls(passes) -> dict[str, int]:
    return {name: spy.call_count for name, spy in passes.items()}


def set_time(name: str, *, hour: str, minute: str = "0") -> None:
    cron = CrontabSchedule.objects.create(minute=minute, hour=hour, timezone="Asia/Shanghai")
    PeriodicTask.objects.filter(name=name).update(crontab=cron)


@pytest.mark.django_db
def test_after_a_lost_morning_the_catch_up_runs_each_pass_once(overdue, passes):
    with time_machine.travel(at(8, 0), tick=False):
        assert sorted(daily_catch_up_task.apply().get()) == [RECOMPUTE_NIGHTLY, REMIND_DAILY]
        assert Notification.objects.count() == 2  # alice's 已逾期, rita's 逾期汇总
        with time_machine.travel(at(8, 15), tick=False):
            assert daily_catch_up_task.apply().get() == []
    assert calls(passes) == {REMIND_DAILY: 1, RECOMPUTE_NIGHTLY: 1}
    passes[REMIND_DAILY].assert_called_once_with(today=DAY)
    assert Notification.objects.count() == 2
    assert runs_of_day() == {REMIND_DAILY: True, RECOMPUTE_NIGHTLY: True}


@pytest.mark.django_db
def test_before_their_times_the_catch_up_runs_nothing(overdue, passes):
    with time_machine.travel(at(1, 55), tick=False):
        assert daily_catch_up() == []
    with time_machine.travel(at(7, 30), tick=False):  # 02:00 passed; 07:30 is now
        assert daily_catch_up() == [RECOMPUTE_NIGHTLY]
    assert calls(passes) == {REMIND_DAILY: 0, RECOMPUTE_NIGHTLY: 1}
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_passes_that_ran_on_time_are_not_run_again(overdue, passes):
    with time_machine.travel(at(2, 0), tick=False):
        recompute_rates_task.apply()
    with time_machine.travel(at(7, 30), tick=False):
        remind_task.apply()
    assert runs_of_day() == {REMIND_DAILY: True, RECOMPUTE_NIGHTLY: True}
    with time_machine.travel(at(12, 0), tick=False):
        assert daily_catch_up() == []
    assert calls(passes) == {REMIND_DAILY: 1, RECOMPUTE_NIGHTLY: 1}


@pytest.mark.django_db
def test_a_pass_run_for_another_day_records_nothing(overdue, passes):
    with time_machine.travel(at(7, 30), tick=False):
        remind_task.apply(kwargs={"today": (DAY - timedelta(days=1)).isoformat()})
        recompute_rates_task.apply(kwargs={"as_of": "2024-07-31"})
    assert not ScheduledRun.objects.exists()


@pytest.mark.django_db
def test_a_day_missed_entirely_is_not_caught_up_the_next_day(overdue, passes):
    with time_machine.travel(at(8, 0, DAY + timedelta(days=1)), tick=False):
        daily_catch_up()
    passes[REMIND_DAILY].assert_called_once_with(today=DAY + timedelta(days=1))
    assert runs_of_day(DAY) == {}


@pytest.mark.django_db
def test_a_time_changed_in_the_admin_site_counts(overdue, passes):
    set_time(REMIND_DAILY, hour="9")
    with time_machine.travel(at(8, 0), tick=False):
        assert daily_catch_up() == [RECOMPUTE_NIGHTLY]
    with time_machine.travel(at(9, 15), tick=False):
        assert daily_catch_up() == [REMIND_DAILY]
    assert calls(passes) == {REMIND_DAILY: 1, RECOMPUTE_NIGHTLY: 1}


@pytest.mark.django_db
def test_a_paused_or_deleted_entry_is_not_caught_up(overdue, passes):
    PeriodicTask.objects.filter(name=REMIND_DAILY).update(enabled=False)
    PeriodicTask.objects.filter(name=RECOMPUTE_NIGHTLY).delete()
    with time_machine.travel(at(12, 0), tick=False):
        assert daily_catch_up() == []
    assert calls(passes) == {REMIND_DAILY: 0, RECOMPUTE_NIGHTLY: 0}


@pytest.mark.django_db
def test_a_run_in_progress_is_left_alone_and_a_lost_one_is_run_again(overdue, passes):
    ScheduledRun.objects.create(name=REMIND_DAILY, day=DAY, started_at=at(7, 30))
    ScheduledRun.objects.create(name=RECOMPUTE_NIGHTLY, day=DAY, started_at=at(2, 0))
    with time_machine.travel(at(7, 45), tick=False):
        assert daily_catch_up() == [RECOMPUTE_NIGHTLY]  # 02:00 + 32 minutes is long past
    assert calls(passes) == {REMIND_DAILY: 0, RECOMPUTE_NIGHTLY: 1}
    assert runs_of_day() == {REMIND_DAILY: False, RECOMPUTE_NIGHTLY: True}


@pytest.mark.django_db
def test_a_failing_pass_is_logged_left_unfinished_and_does_not_stop_the_other(
    overdue, passes, caplog
):
    passes[RECOMPUTE_NIGHTLY].side_effect = RuntimeError("boom")
    with time_machine.travel(at(8, 0), tick=False):
        assert daily_catch_up() == [REMIND_DAILY]
    assert runs_of_day() == {REMIND_DAILY: True, RECOMPUTE_NIGHTLY: False}
    assert "catching up recompute-rates-nightly of 2024-08-16 failed" in caplog.text
    # Its claim holds off the next ticks; once stale, it is tried again.
    passes[RECOMPUTE_NIGHTLY].side_effect = None
    with time_machine.travel(at(8, 15), tick=False):
        assert daily_catch_up() == []
    with time_machine.travel(at(8, 0) + CATCH_UP_STALE_AFTER, tick=False):
        assert daily_catch_up() == [RECOMPUTE_NIGHTLY]
    assert calls(passes) == {REMIND_DAILY: 1, RECOMPUTE_NIGHTLY: 2}


# --- the admin site ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_runs_are_listed_read_only_in_chinese(client_of, adam):
    ScheduledRun.objects.create(
        name=REMIND_DAILY, day=DAY, started_at=at(7, 30), finished_at=at(7, 31)
    )
    client = client_of(adam)
    url = reverse("admin:budgets_scheduledrun_changelist")
    html = client.get(url).content.decode()
    for text in ("每日任务运行记录", "定时任务", "开始时间", "完成时间", REMIND_DAILY):
        assert text in html, text
    assert reverse("admin:budgets_scheduledrun_add") not in html
    assert client.get(reverse("admin:budgets_scheduledrun_add")).status_code == 403
