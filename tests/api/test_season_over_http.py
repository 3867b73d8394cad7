"""A whole season using only HTTP: import a real workbook, open a round, fill, submit,
return, fix, submit, approve, export — and the export and the report agree with what the
pages show (tracking.selectors.report_table, the report page)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from budgets.choices import Role
from budgets.models import Department
from performance.models import Indicator
from tests.factories import UserFactory
from tracking.demo import on_track_value
from tracking.models import Report
from tracking.selectors import report_table

pytestmark = pytest.mark.django_db

WORKBOOK = Path(settings.BASE_DIR) / "demo" / "xixia-2024.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_season_from_import_to_export_over_http(adam, rita):
    operator = client_for(adam)
    imported = operator.post(
        "/api/imports/",
        {
            "file": SimpleUploadedFile(WORKBOOK.name, WORKBOOK.read_bytes(), content_type=XLSX),
            "dry_run": "false",
        },
        format="multipart",
    )
    assert imported.status_code == 201, imported.json()
    job = operator.get(f"/api/imports/{imported.json()['id']}/").json()
    assert job["finished"] and job["problems"] == [], job

    department = Department.objects.order_by("pk").first()
    staff = client_for(UserFactory(username="xixia", role=Role.STAFF, department=department))
    projects = staff.get("/api/projects/?year=2024&page_size=1000").json()["results"]
    project = projects[0]
    indicators = Indicator.objects.filter(project_id=project["id"])

    rounds = client_for(rita).post(
        "/api/rounds/",
        {
            "year": 2024,
            "stage": "绩效自评",
            "as_of": "2024-12-31",
            "deadline": "2025-03-31",
            "division": department.division_id,
        },
        "json",
    )
    assert rounds.status_code == 201, rounds.json()
    round_id = rounds.json()["rounds"][0]["id"]

    report = staff.post("/api/reports/", {"round": round_id, "project": project["id"]}, "json")
    assert report.status_code == 201, report.json()
    report = report.json()
    lines = [{"indicator": i.pk, "actual_raw": on_track_value(i)} for i in indicators]
    body = {
        "version": report["version"],
        "lines": lines,
        "summary": "全年目标基本完成",
        "low_execution_note": "资金于年底拨付",
    }
    saved = staff.patch(f"/api/reports/{report['id']}/", body, "json")
    assert saved.status_code == 200, saved.json()
    url = f"/api/reports/{report['id']}/"
    submitted = staff.post(url + "submit/", {"version": saved.json()["version"]}, "json")
    assert submitted.status_code == 200, submitted.json()

    reviewer = client_for(rita)
    returned = reviewer.post(url + "return/", {"reason": "请补充佐证材料"}, "json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    fixed = staff.patch(
        url, {"version": returned.json()["version"], "summary": "已补充佐证材料"}, "json"
    )
    assert fixed.status_code == 200, fixed.json()
    again = staff.post(url + "submit/", {"version": fixed.json()["version"]}, "json")
    assert again.status_code == 200, again.json()
    approved = reviewer.post(url + "approve/", {"comment": "同意"}, "json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    # What the API shows is what the pages show.
    stored = Report.objects.get(pk=report["id"])
    table = report_table(stored)
    shown = reviewer.get(url).json()
    assert Decimal(shown["score"]) == table.report.score
    assert shown["grade"] == table.report.grade
    browser = Client()
    browser.force_login(rita)
    page = browser.get(f"/tracking/reports/{stored.pk}/")
    assert page.status_code == 200
    assert f"{table.report.score:.2f}" in page.content.decode()

    exported = operator.get("/api/export/?year=2024&as_of=2024-12-31&format=json")
    assert exported.status_code == 200
    entry = next(p for p in exported.json()["projects"] if p["code"] == project["code"])
    assert entry["self_evaluation"]["status"] == "approved"
    assert entry["self_evaluation"]["score"] == f"{table.report.score:.2f}"
    assert entry["self_evaluation"]["grade"] == table.report.grade
