"""The beat schedule of config/schedule.py and its sync into django-celery-beat."""

from __future__ import annotations

import json

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db.models.signals import post_migrate
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from config.celery import app
from config.schedule import SCHEDULE, sync_beat_schedule, sync_beat_schedule_after_migrate

NAMES = [entry.name for entry in SCHEDULE]


def entry(name: str):
    return next(e for e in SCHEDULE if e.name == name)


@pytest.fixture
def fresh(db):
    """No entry of the code's schedule in the database (migrate has synced them already)."""
    PeriodicTask.objects.filter(name__in=NAMES).delete()


def test_every_entry_has_a_unique_name_a_comment_and_an_expiry():
    assert len(set(NAMES)) == len(NAMES)
    for item in SCHEDULE:
        assert item.comment
        assert 0 < item.expires < 24 * 3600


def test_the_nightly_recompute_and_the_daily_reminders_are_scheduled():
    rates = entry("recompute-rates-nightly")
    assert (rates.task, rates.hour, rates.minute, rates.day_of_week) == (
        "budgets.tasks.recompute_rates_task",
        "2",
        "0",
        "*",
    )
    remind = entry("remind-daily")
    assert (remind.task, remind.hour, remind.minute) == ("tracking.tasks.remind_task", "7", "30")


def test_the_budgets_task_of_the_schedule_is_registered_with_celery():
    app.loader.import_default_modules()
    assert "budgets.tasks.recompute_rates_task" in app.tasks


@pytest.mark.django_db
def test_a_first_sync_creates_every_entry_with_the_codes_crontab(fresh, settings):
    result = sync_beat_schedule()
    assert sorted(result.created) == sorted(NAMES)
    task = PeriodicTask.objects.get(name="recompute-rates-nightly")
    assert task.task == "budgets.tasks.recompute_rates_task"
    assert json.loads(task.kwargs) == {}
    assert task.expire_seconds == entry("recompute-rates-nightly").expires
    assert task.description == entry("recompute-rates-nightly").comment
    assert task.enabled
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week, cron.day_of_month, cron.month_of_year) == (
        "0",
        "2",
        "*",
        "*",
        "*",
    )
    assert str(cron.timezone) == settings.CELERY_TIMEZONE == "Asia/Shanghai"


@pytest.mark.django_db
def test_a_second_sync_creates_nothing_new(fresh):
    sync_beat_schedule()
    tasks, crontabs = PeriodicTask.objects.count(), CrontabSchedule.objects.count()
    changed = {t.pk: t.date_changed for t in PeriodicTask.objects.all()}
    result = sync_beat_schedule()
    assert (result.created, result.updated) == ([], [])
    assert sorted(result.unchanged) == sorted(NAMES)
    assert (PeriodicTask.objects.count(), CrontabSchedule.objects.count()) == (tasks, crontabs)
    assert {t.pk: t.date_changed for t in PeriodicTask.objects.all()} == changed


@pytest.mark.django_db
def test_a_time_and_a_pause_set_by_an_admin_survive_a_sync(fresh):
    sync_beat_schedule()
    task = PeriodicTask.objects.get(name="recompute-rates-nightly")
    later = CrontabSchedule.objects.create(minute="15", hour="3", timezone="Asia/Shanghai")
    task.crontab = later
    task.enabled = False
    task.save()
    sync_beat_schedule()
    task.refresh_from_db()
    assert task.crontab == later
    assert task.enabled is False


@pytest.mark.django_db
def test_a_sync_restores_the_task_path_kwargs_and_expiry_of_the_code(fresh):
    sync_beat_schedule()
    PeriodicTask.objects.filter(name="remind-daily").update(
        task="tracking.tasks.old_name", kwargs='{"x": 1}', expire_seconds=None
    )
    result = sync_beat_schedule()
    assert result.updated == ["remind-daily"]
    task = PeriodicTask.objects.get(name="remind-daily")
    assert (task.task, task.kwargs, task.expire_seconds) == (
        "tracking.tasks.remind_task",
        "{}",
        entry("remind-daily").expires,
    )


@pytest.mark.django_db
def test_tasks_added_in_the_admin_site_are_left_alone(fresh):
    cron = CrontabSchedule.objects.create(minute="0", hour="12")
    mine = PeriodicTask.objects.create(name="admin-added", task="budgets.ping", crontab=cron)
    sync_beat_schedule()
    assert PeriodicTask.objects.filter(pk=mine.pk, task="budgets.ping").exists()


@pytest.mark.django_db
def test_migrate_syncs_the_schedule(fresh):
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert set(PeriodicTask.objects.filter(name__in=NAMES).values_list("name", flat=True)) == set(
        NAMES
    )


def test_the_migrate_hook_is_connected_once():
    from django.apps import apps

    budgets = apps.get_app_config("budgets")
    budgets.ready()  # a second ready() must not connect it twice
    receivers = [
        r for r in post_migrate._live_receivers(budgets)[0] if r is sync_beat_schedule_after_migrate
    ]
    assert len(receivers) == 1
