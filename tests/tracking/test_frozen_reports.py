"""A submitted or approved report shows what it was judged on — its budget part and its
targets as written — on its page, its printout, its xlsx and in the JSON export, whatever
changes later; a draft or returned one shows live figures, computed when read, and reading
writes nothing."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.export import build_export
from budgets.models import Project
from performance.services import indicator_delete, indicator_update
from performance.values import parse_target
from tests.factories import AdjustmentFactory
from tracking.choices import ReportStatus
from tracking.models import Report, ReportIndicator
from tracking.services import (
    line_set_reviewer_score,
    report_approve,
    report_return,
    report_save,
    report_submit,
)

from .season import (
    ALL_REACHED,
    ON_TRACK,
    indicators_of,
    monitoring_round,
    project_with_targets,
    report_input,
    report_of,
    self_evaluation_round,
    spend,
)

pytestmark = pytest.mark.django_db

PAGES = ("report_detail", "report_print", "report_xlsx")


def url(name: str, report: Report) -> str:
    return reverse(f"tracking:{name}", args=[report.pk])


def _as_shown(cell) -> str:
    """A cell as Excel shows it: numbers in their number format, like the printout."""
    value = cell.value
    if isinstance(value, str):
        return value
    if cell.number_format == "0.00%":
        return f"{value * 100:.2f}%"
    if cell.number_format == "#,##0.00":
        return f"{value:,.2f}"
    return f"{value:.2f}"


def xlsx_rows(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(BytesIO(content)).active
    return [[_as_shown(c) for c in row if c.value not in (None, "")] for row in sheet.iter_rows()]


def row_starting(rows: list[list[str]], label: str) -> list[str]:
    return next(row for row in rows if row and row[0] == label)


# A CSRF token is masked anew in every response.
CSRF_TOKEN = re.compile(r"[A-Za-z0-9]{64}")


def shown(client, report: Report) -> dict[str, str]:
    """The report as its page, its printout and its xlsx show it, each as one text."""
    texts = {
        name: CSRF_TOKEN.sub("", client.get(url(name, report)).content.decode())
        for name in PAGES
        if name != "report_xlsx"
    }
    content = client.get(url("report_xlsx", report)).content
    texts["report_xlsx"] = "\n".join(" ".join(row) for row in xlsx_rows(content))
    return texts


def exported(project: Project) -> dict:
    document = build_export(year=2024, as_of=date(2024, 12, 31))
    return next(p for p in document["projects"] if p["code"] == project.code)


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


# --- self-evaluation ---------------------------------------------------------------------------


@pytest.fixture
def project(unit_a):
    project = project_with_targets(unit_a, budget="100")
    spend(project, "3.9")  # 3.90 % by the year's end
    return project


def saved_evaluation(project, alice) -> Report:
    report = report_of(self_evaluation_round(), project)
    data = report_input(
        project, ALL_REACHED, low_execution_note="资金拨付滞后", summary="年度目标全部完成"
    )
    return report_save(report=report, user=alice, version=report.version, data=data)


@pytest.fixture
def evaluation(project, alice):
    # 10 × 3.90 % = 0.39 for the execution rate, every indicator reached: 90.39 (优).
    return report_submit(report=saved_evaluation(project, alice), user=alice)


def everything_changes(project: Project) -> None:
    """A backdated payment, an adjustment, a smaller budget, and a target rewritten with a
    weight (past the targets' lock, as a stray channel would)."""
    spend(project, "2.85", day=date(2024, 6, 30))
    AdjustmentFactory(project=project, amount=Decimal("50"), date=date(2024, 5, 1))
    Project.objects.filter(pk=project.pk).update(initial_budget=Decimal("50"))
    training = indicators_of(project)["参保人员培训人数"]
    training.set_target(parse_target("≥200人", 2024))
    training.weight = Decimal("40")
    training.save()


FROZEN_SELF_EVALUATION = {
    "status": "submitted",
    "score": "90.39",
    "grade": "优",
    "execution_score": "0.39",
    "budget": {
        "initial": "100",
        "adjusted": "100",
        "executed": "3.9",
        "execution_rate": "3.90",
        "adjustment_rate": "0.00",
        "carryover_rate": "96.10",
        "warning": "red",
        "time_progress": "100.00",
    },
}


def test_a_submitted_self_evaluation_shows_what_it_was_judged_on_whatever_changes_later(
    client_of, alice, rita, project, evaluation
):
    client = client_of(rita)
    before = shown(client, evaluation)
    everything_changes(project)

    after = shown(client, evaluation)
    assert after == before
    for text in after.values():
        assert "3.90%" in text and "6.75%" not in text
        assert "≥100人" in text and "≥200人" not in text
        assert "90.39" in text
    xlsx = xlsx_rows(client.get(url("report_xlsx", evaluation)).content)
    assert row_starting(xlsx, "年度资金总额") == [
        "年度资金总额",
        "100.00",
        "100.00",
        "3.90",
        "10.00",
        "3.90%",
        "0.39",
    ]
    assert row_starting(xlsx, "其中：当年财政拨款") == ["其中：当年财政拨款", "100.00", "—"]
    entry = exported(project)
    assert entry["self_evaluation"] == FROZEN_SELF_EVALUATION
    training = next(i for i in entry["indicators"] if i["name"] == "参保人员培训人数")
    assert (training["actual"]["completion"], training["actual"]["score"]) == ("100.00", "50.00")


def test_returning_a_self_evaluation_shows_live_figures_again(
    client_of, alice, rita, project, evaluation
):
    everything_changes(project)
    report_return(report=evaluation, user=rita, reason="请核对支出")
    client = client_of(rita)
    texts = shown(client, evaluation)
    for text in texts.values():
        assert "6.75%" in text and "≥200人" in text
    xlsx = xlsx_rows(client.get(url("report_xlsx", evaluation)).content)
    # 6.75 of 50 + 50 spent; 100人 of ≥200人 is half the 产出 points.
    assert row_starting(xlsx, "年度资金总额") == [
        "年度资金总额",
        "50.00",
        "100.00",
        "6.75",
        "10.00",
        "6.75%",
        "0.68",
    ]
    entry = exported(project)
    assert entry["self_evaluation"]["status"] == "returned"
    assert entry["self_evaluation"]["budget"]["execution_rate"] == "6.75"
    assert entry["self_evaluation"]["score"] == "65.68"
    report = Report.objects.get(pk=evaluation.pk)
    assert (report.frozen_adjusted, report.score) == (None, Decimal("65.68"))
    assert not report.lines.exclude(frozen_raw="").exists()


def test_an_approved_self_evaluation_keeps_its_frozen_figures(
    client_of, alice, rita, project, evaluation
):
    report_approve(report=evaluation, user=rita)
    everything_changes(project)
    for text in shown(client_of(alice), evaluation).values():
        assert "3.90%" in text and "≥100人" in text and "90.39" in text
    assert exported(project)["self_evaluation"] == {
        **FROZEN_SELF_EVALUATION,
        "status": "approved",
    }


def test_a_reviewer_band_score_on_a_submitted_report_uses_its_frozen_figures(
    rita, alice, project, evaluation
):
    everything_changes(project)
    line = ReportIndicator.objects.get(report=evaluation, indicator__name="经办服务水平")
    line_set_reviewer_score(line=line, user=rita, score=Decimal("25"), reason="成效略低于预期")
    report = Report.objects.get(pk=evaluation.pk)
    # 90.39 − 30 + 25: the execution score of 3.90 % stays, whatever was paid since.
    assert (report.score, report.execution_score) == (Decimal("85.39"), Decimal("0.39"))


# --- monitoring -----------------------------------------------------------------------------


@pytest.fixture
def monitored(unit_a, alice):
    project = project_with_targets(unit_a, budget="100")
    spend(project, "50")  # 50.00 % against 58.20 % of the year at 7月31日: green
    report = report_of(monitoring_round(), project)
    data = report_input(project, ON_TRACK)
    report = report_save(report=report, user=alice, version=report.version, data=data)
    return report_submit(report=report, user=alice)


def targets_change(report: Report, user) -> None:
    """A backdated payment, a target raised and an indicator deleted, through the services."""
    project = report.project
    spend(project, "30", day=date(2024, 7, 1))
    indicators = indicators_of(project)
    training = indicators["参保人员培训人数"]
    indicator_update(
        user=user,
        indicator=training,
        level1=training.level1,
        level2=training.level2,
        name=training.name,
        value="≥200人",
    )
    indicator_delete(user=user, indicator=indicators["经办服务水平"])


def test_a_submitted_monitoring_report_keeps_its_targets_even_edited_or_deleted(
    client_of, alice, rita, monitored
):
    client = client_of(rita)
    before = shown(client, monitored)
    targets_change(monitored, alice)

    after = shown(client, monitored)
    assert after == before
    for text in after.values():
        assert "50.00%" in text and "80.00%" not in text
        assert "≥100人" in text and "≥200人" not in text
        assert "经办服务水平" in text and "明显提升" in text
    line = ReportIndicator.objects.get(report=monitored, frozen_name="经办服务水平")
    assert line.indicator_id is None and line.expected_raw == "达成"
    monitoring = exported(monitored.project)["monitoring"]
    assert (monitoring["deviations"], monitoring["target_light"]) == (0, "green")
    assert monitoring["budget"]["execution_rate"] == "50.00"
    assert monitoring["budget"]["warning"] == "green"


def test_returning_a_monitoring_report_drops_the_line_of_a_deleted_indicator(
    client_of, alice, rita, monitored
):
    targets_change(monitored, alice)
    report_return(report=monitored, user=rita, reason="请按新目标填报")
    for text in shown(client_of(alice), monitored).values():
        assert "80.00%" in text and "≥200人" in text
        assert "经办服务水平" not in text
    assert not ReportIndicator.objects.filter(report=monitored, indicator=None).exists()
    monitoring = exported(monitored.project)["monitoring"]
    # 100人 expected of ≥200人: red.
    assert (monitoring["target_light"], monitoring["deviations"]) == ("red", 1)
    assert monitoring["budget"]["execution_rate"] == "80.00"


def test_deleting_an_indicator_takes_the_lines_of_drafts_with_it(unit_a, alice):
    project = project_with_targets(unit_a)
    report = report_of(monitoring_round(), project)
    report_save(
        report=report, user=alice, version=report.version, data=report_input(project, ON_TRACK)
    )
    indicator_delete(user=alice, indicator=indicators_of(project)["经办服务水平"])
    assert sorted(report.lines.values_list("indicator__name", flat=True)) == [
        "参保人员培训人数",
        "参保群众满意度",
    ]


# --- drafts: live, and reading writes nothing ----------------------------------------------


def test_reading_a_drafts_pages_writes_nothing_and_shows_live_figures(
    client_of, alice, rita, project
):
    draft = saved_evaluation(project, alice)
    spend(project, "2.85", day=date(2024, 6, 30))  # after the last save
    stored = Report.objects.get(pk=draft.pk)
    readers = (
        (client_of(alice), [*PAGES, "report_history", "report_edit"]),
        (client_of(rita), [*PAGES, "report_history"]),
    )
    for client, names in readers:
        for name in names:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url(name, draft))
            assert response.status_code == 200, name
            assert writes(queries) == [], name
    # Computed when read: 10 × 6.75 % = 0.675 → 0.68, total 90.675 → 90.68.
    for text in shown(client_of(alice), draft).values():
        assert "6.75%" in text and "90.68" in text
    assert "90.68" in client_of(alice).get(url("report_edit", draft)).content.decode()
    entry = exported(project)
    assert entry["self_evaluation"]["score"] == "90.68"
    assert entry["self_evaluation"]["execution_score"] == "0.68"
    assert Report.objects.get(pk=draft.pk).score == stored.score == Decimal("90.39")


def test_the_round_page_shows_a_drafts_live_score(client_of, alice, rita, project):
    draft = saved_evaluation(project, alice)
    spend(project, "2.85", day=date(2024, 6, 30))
    response = client_of(rita).get(reverse("tracking:round_detail", args=[draft.round_id]))
    html = response.content.decode()
    assert "90.68" in html and "90.39" not in html
    assert draft.status == ReportStatus.DRAFT
