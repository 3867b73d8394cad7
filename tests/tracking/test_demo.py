"""load_demo: the data `make run` shows, loaded twice without changing anything."""

from __future__ import annotations

from pathlib import Path

from budgets.models import Payment, Project, User
from performance.models import Indicator, IndicatorTemplate
from tests.budgets.workbooks import database_state
from tracking.demo import load_demo
from tracking.models import Report, Round

SAMPLES = Path(__file__).resolve().parents[2] / "demo"


def test_the_demo_loads_samples_spending_users_rounds_and_the_library(db):
    report = load_demo(SAMPLES)
    assert Project.objects.count() == 12
    assert Indicator.objects.count() == 90
    assert Payment.objects.filter(project__isnull=True).exists()  # basic expenditure
    assert IndicatorTemplate.objects.exists()
    assert set(User.objects.values_list("username", flat=True)) >= {
        "reviewer",
        "admin",
        "staff309",
        "staff044",
    }
    # Each bureau of the demo (新乡市 410700, 西峡县 411323) has its own two rounds.
    assert sorted(Round.objects.values_list("division__code", "stage")) == [
        ("410700", "绩效自评"),
        ("410700", "运行监控"),
        ("411323", "绩效自评"),
        ("411323", "运行监控"),
    ]
    assert Report.objects.filter(status="submitted").count() == 1
    assert ("staff309", "demo-2024-pass", "单位经办人（部门 309）") in report.users


def test_loading_the_demo_twice_changes_nothing(db):
    load_demo(SAMPLES)
    before = database_state()
    load_demo(SAMPLES)
    assert database_state() == before
