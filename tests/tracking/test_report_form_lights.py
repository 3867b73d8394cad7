"""The report form shows each line's light (and tier, completion, score) when the page loads,
exactly as the live preview shows it while typing: after a save, after a refused save (the
values as typed) and for a self-evaluation, whose stored lines keep no light."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tracking.models import Report
from tracking.views.reports import REPORT_SAVED

from .season import (
    ON_TRACK,
    form_data,
    indicator,
    indicators_of,
    monitoring_round,
    project_with_targets,
    report_of,
    self_evaluation_round,
    spend,
)

pytestmark = pytest.mark.django_db

# Training 70 of ≥100 people: yellow; satisfaction 50 % of ≥90 %: red; the tier reached: green.
MONITORING = {
    "参保人员培训人数": {"actual_raw": "40人", "expected_raw": "70人"},
    "经办服务水平": {"actual_raw": "部分达成", "expected_raw": "达成"},
    "参保群众满意度": {"actual_raw": "40%", "expected_raw": "50%"},
}
MONITORING_LIGHTS = {
    "参保人员培训人数": ("yellow", "黄灯"),
    "经办服务水平": ("green", "绿灯"),
    "参保群众满意度": ("red", "红灯"),
}
SELF_EVALUATION = {
    "参保人员培训人数": {"actual_raw": "70人"},
    "经办服务水平": {"actual_raw": "部分达成"},
    "参保群众满意度": {"actual_raw": "40%"},
}
SELF_EVALUATION_LIGHTS = {
    "参保人员培训人数": ("yellow", "黄灯"),
    "经办服务水平": ("yellow", "黄灯"),
    "参保群众满意度": ("red", "红灯"),
}


@pytest.fixture
def project(unit_a):
    project = project_with_targets(unit_a)
    spend(project, "50")
    return project


def edit_url(report: Report) -> str:
    return reverse("tracking:report_edit", args=[report.pk])


def preview_cell(html: str, indicator_id: int) -> str:
    match = re.search(
        rf'<td class="preview" id="preview-{indicator_id}"[^>]*>(.*?)</td>', html, re.S
    )
    assert match, f"no preview cell for indicator {indicator_id}"
    return match.group(1)


def light_of(cell: str) -> tuple[str, str] | None:
    match = re.search(
        r'<span class="light (\w+)"></span><span class="light-label">(.*?)</span>', cell
    )
    return match.groups() if match else None


def squeezed(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def live_preview(client, report: Report, indicator_id: int, values: dict[str, str]) -> str:
    data = {"indicator": str(indicator_id)}
    data.update({f"{name}_{indicator_id}": value for name, value in values.items()})
    response = client.post(reverse("tracking:report_line_preview", args=[report.pk]), data)
    assert response.status_code == 200
    return response.content.decode()


def test_a_saved_monitoring_form_shows_every_lines_light_on_load(client_of, alice, project):
    report = report_of(monitoring_round(), project)
    client = client_of(alice)
    data = form_data(report, MONITORING, expected_executed="95")
    response = client.post(edit_url(report), data, follow=True)
    html = response.content.decode()
    assert REPORT_SAVED in html
    for name, indicator_ in indicators_of(project).items():
        cell = preview_cell(html, indicator_.pk)
        assert light_of(cell) == MONITORING_LIGHTS[name], name
        # Exactly what the live preview showed while the value was typed (tier, completion).
        expected = live_preview(client, report, indicator_.pk, MONITORING[name])
        assert squeezed(cell) == squeezed(expected), name
    assert "完成 70.00%" in preview_cell(html, indicators_of(project)["参保人员培训人数"].pk)
    assert "（达成）" in preview_cell(html, indicators_of(project)["经办服务水平"].pk)


def test_a_saved_self_evaluation_form_shows_lights_completion_and_score(client_of, alice, project):
    spend(project, "45", day=date(2024, 11, 30))
    report = report_of(self_evaluation_round(), project)
    client = client_of(alice)
    response = client.post(edit_url(report), form_data(report, SELF_EVALUATION), follow=True)
    html = response.content.decode()
    assert REPORT_SAVED in html
    for name, indicator_ in indicators_of(project).items():
        cell = preview_cell(html, indicator_.pk)
        assert light_of(cell) == SELF_EVALUATION_LIGHTS[name], name
        expected = live_preview(client, report, indicator_.pk, SELF_EVALUATION[name])
        assert squeezed(cell) == squeezed(expected), name
    cell = preview_cell(html, indicators_of(project)["参保人员培训人数"].pk)
    assert "完成 70.00%" in cell and "得分 <strong>35.00</strong> / 50.00" in cell


def test_an_empty_self_evaluation_line_shows_its_points(client_of, alice, project):
    report = report_of(self_evaluation_round(), project)
    html = client_of(alice).get(edit_url(report)).content.decode()
    cell = preview_cell(html, indicators_of(project)["参保人员培训人数"].pk)
    assert light_of(cell) is None and "待填写 · 分值 50.00" in squeezed(cell)


def test_a_refused_save_shows_the_lights_of_the_values_as_typed(client_of, alice, project):
    report = report_of(monitoring_round(), project)
    ids = {name: i.pk for name, i in indicators_of(project).items()}
    values = dict(MONITORING, 经办服务水平={"actual_raw": "部分达成", "expected_raw": "基本达成"})
    response = client_of(alice).post(edit_url(report), form_data(report, values))
    assert response.status_code == 400
    html = response.content.decode()
    assert light_of(preview_cell(html, ids["参保人员培训人数"])) == ("yellow", "黄灯")
    assert light_of(preview_cell(html, ids["参保群众满意度"])) == ("red", "红灯")
    # The refused value has its message under its input, and no light.
    assert light_of(preview_cell(html, ids["经办服务水平"])) is None
    # The deviation fields of a line lit yellow or red are open at once.
    for name in ("参保人员培训人数", "参保群众满意度"):
        deviation = re.search(
            rf'<tr class="deviation" id="deviation-{ids[name]}">\s*<td[^>]*>\s*<details( open)?',
            html,
        )
        assert deviation and deviation.group(1) == " open", name


def test_a_fresh_form_asks_for_the_expected_values(client_of, alice, project):
    report = report_of(monitoring_round(), project)
    html = client_of(alice).get(edit_url(report)).content.decode()
    for indicator_ in indicators_of(project).values():
        cell = preview_cell(html, indicator_.pk)
        assert light_of(cell) is None and "待填写全年预计完成值" in cell


@pytest.mark.parametrize("round_of", [monitoring_round, self_evaluation_round])
def test_the_form_runs_the_same_queries_for_3_and_12_indicators(
    client_of, alice, project, round_of
):
    report = report_of(round_of(), project)
    client = client_of(alice)
    client.post(edit_url(report), form_data(report, {**ON_TRACK}))
    client.get(edit_url(report))
    with CaptureQueriesContext(connection) as few:
        assert client.get(edit_url(report)).status_code == 200
    for n in range(9):
        indicator(project, "产出指标", f"指标{n}", "≥10个", level2="数量指标", position=10 + n)
    report.refresh_from_db()
    values = {f"指标{n}": {"actual_raw": "5个", "expected_raw": "8个"} for n in range(9)}
    client.post(edit_url(report), form_data(report, values))
    with CaptureQueriesContext(connection) as many:
        html = client.get(edit_url(report)).content.decode()
    assert html.count('<span class="light ') >= 9
    assert len(few) == len(many)
