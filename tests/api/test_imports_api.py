"""Workbook imports over HTTP: the import page's code path (a dry run first, then confirm, or
the import at once), its refusals, its problems, its background jobs polled for progress."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets import services
from budgets.importer import FILE_EMPTY, FILE_NOT_XLSX, FILE_TOO_LARGE, NO_PERMISSION_DEPARTMENT
from budgets.models import ImportJob, Payment, Project
from budgets.tasks import import_workbook_task
from budgets.views.imports import IMPORT_NOT_CONFIRMABLE
from tests.budgets.workbooks import (
    PAYMENT_HEADER,
    PROJECT_HEADER,
    database_state,
    make_workbook,
    payment_row,
    project_row,
)

from .test_budgets_api import api, conforms, refused

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEMO = Path(__file__).resolve().parents[2] / "demo" / "xinxiang-center-2024.xlsx"
NAMES = {"309": "新乡市医疗保障局", "044": "西峡县医疗保障局本级"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def data_state() -> dict:
    """The database apart from the upload bookkeeping itself."""
    state = database_state()
    state.pop("budgets.ImportJob", None)
    return state


def workbook(tmp_path: Path, department: str = "309") -> Path:
    named = {"department": department, "department_name": NAMES[department]}
    return make_workbook(
        tmp_path / "good.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row("P-1", **named),
                project_row("P-2", **named, initial=Decimal("20.5")),
            ],
            "支出": [
                PAYMENT_HEADER,
                payment_row("记-1", "2024-03-01", 5, department=department, project="P-1"),
            ],
        },
    )


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type=XLSX)


def post(client, **data):
    return client.post("/api/imports/", data, format="multipart")


# --- permissions ----------------------------------------------------------------------------


def test_anonymous_callers_can_neither_upload_nor_poll(alice, tmp_path):
    client = api()
    refused(post(client, file=upload(workbook(tmp_path))), 401)
    job = services.import_job_create(user=alice, upload=upload(workbook(tmp_path)))
    refused(client.get(f"/api/imports/{job.pk}/"), 401)
    refused(client.post(f"/api/imports/{job.pk}/confirm/"), 401)
    refused(client.get("/api/imports/"), 401)


def test_only_the_uploader_sees_polls_or_confirms_a_job(alice, bob, rita, adam, unit_a, tmp_path):
    response = post(api(alice), file=upload(workbook(tmp_path), "预算.xlsx"))
    job_id = conforms(response, "POST")["id"]
    for other in (bob, rita, adam):
        client = api(other)
        refused(client.get(f"/api/imports/{job_id}/"), 404)
        refused(client.post(f"/api/imports/{job_id}/confirm/"), 404)
        assert conforms(client.get("/api/imports/"))["results"] == []
    listed = conforms(api(alice).get("/api/imports/"))["results"]
    assert [job["original_name"] for job in listed] == ["预算.xlsx"]
    assert not Project.objects.exists()


# --- a dry run, then confirm; or the import at once -----------------------------------------


def test_a_dry_run_previews_and_confirm_imports(alice, unit_a, tmp_path):
    client = api(alice)
    before = data_state()
    response = post(client, file=upload(workbook(tmp_path)))
    assert response.status_code == 201
    job = conforms(response, "POST")
    assert (job["status"], job["dry_run"], job["finished"], job["percent"]) == (
        "done",
        True,
        True,
        "100.00",
    )
    assert job["summary"].startswith("校验通过（未写入）")
    assert {(c["entity"], c["action"], c["count"]) for c in job["counts"]} >= {
        ("项目", "created", 2),
        ("支出", "created", 1),
    }
    assert job["problems"] == [] and job["rows_done"] == job["rows_total"] == 3
    assert {s["label"] for s in job["samples"] if s["entity"] == "项目"} >= {"项目P-1（P-1）"}
    assert data_state() == before

    polled = conforms(client.get(f"/api/imports/{job['id']}/"))
    assert polled["status"] == "done" and polled["token"] == job["token"]

    confirmed = conforms(client.post(f"/api/imports/{job['id']}/confirm/"), "POST")
    assert (confirmed["status"], confirmed["dry_run"]) == ("done", False)
    assert confirmed["summary"].startswith("导入成功")
    assert sorted(Project.objects.values_list("code", flat=True)) == ["P-1", "P-2"]
    assert Payment.objects.get().amount == Decimal("5")
    # The audit trail names the uploader, as for the page.
    assert Project.history.filter(code="P-1").get().history_user == alice

    again = client.post(f"/api/imports/{job['id']}/confirm/")
    assert refused(again)["detail"] == IMPORT_NOT_CONFIRMABLE
    conforms(again, "POST")
    assert Project.objects.count() == 2


def test_dry_run_false_imports_at_once(alice, unit_a, tmp_path):
    job = conforms(post(api(alice), file=upload(workbook(tmp_path)), dry_run="false"), "POST")
    assert (job["status"], job["dry_run"]) == ("done", False)
    assert job["summary"].startswith("导入成功")
    assert Project.objects.count() == 2
    assert ImportJob.objects.get().dry_run is False


def test_the_demo_workbook_validates_over_http(adam):
    job = conforms(post(api(adam), file=upload(DEMO)), "POST")
    assert job["status"] == "done", job["problems"][:3]
    assert any(c["entity"] == "项目" and c["count"] > 0 for c in job["counts"])


# --- problems and refusals -------------------------------------------------------------------


def test_another_departments_rows_fail_the_job_with_every_problem(
    alice, department_b, unit_b, tmp_path
):
    before = data_state()
    job = conforms(post(api(alice), file=upload(workbook(tmp_path, department="044"))), "POST")
    assert job["status"] == "failed" and job["finished"]
    message = NO_PERMISSION_DEPARTMENT.format(code="044")
    assert {"sheet": "项目", "row": 2, "column": "部门编码", "message": message} in job["problems"]
    assert f"项目, 第2、3行, 部门编码: {message}" in job["problem_lines"]
    assert data_state() == before
    refused(api(alice).post(f"/api/imports/{job['id']}/confirm/"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", f"文件: {FILE_EMPTY}"),
        (b"year,code\n2024,P-1\n", f"文件: {FILE_NOT_XLSX}"),
        (b"PK\x03\x04 not really a zip", f"文件: {FILE_NOT_XLSX}"),
    ],
)
def test_a_file_that_is_no_workbook_is_a_400_like_the_page(alice, content, message):
    response = post(api(alice), file=SimpleUploadedFile("data.xlsx", content))
    assert refused(response)["errors"]["file"] == [message]
    conforms(response, "POST")
    assert not ImportJob.objects.exists()


def test_an_oversize_file_is_refused(alice, settings, tmp_path):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    response = post(api(alice), file=upload(workbook(tmp_path)))
    expected = f"文件: {FILE_TOO_LARGE.format(limit='100 字节')}"
    assert refused(response)["errors"]["file"] == [expected]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "file"),
        ({"file": "not a file"}, "file"),
        ({"dry_run": "maybe"}, "dry_run"),
        ({"background": "1"}, "background"),
        ({"other": "x"}, "other"),
    ],
)
def test_bad_upload_fields_are_a_400_naming_them(alice, tmp_path, data, field):
    if field != "file":
        data = {"file": upload(workbook(tmp_path)), **data}
    response = post(api(alice), **data)
    assert field in refused(response)["errors"]
    conforms(response, "POST")
    assert not ImportJob.objects.exists()


def test_json_is_not_how_a_file_is_sent(alice):
    response = api(alice).post("/api/imports/", {"file": "x"}, format="json")
    refused(response, 415)
    conforms(response, "POST")


def test_a_job_id_that_is_no_id_is_a_404(alice):
    for pk in ("9" * 30, "-1", "abc", "1.5"):
        refused(api(alice).get(f"/api/imports/{pk}/"), 404)
        refused(api(alice).post(f"/api/imports/{pk}/confirm/"), 404)


def test_a_job_stored_with_text_problems_shows_them_as_problems_of_the_file(alice):
    job = ImportJob.objects.create(
        user=alice, file="imports/x.xlsx", status=ImportJob.Status.FAILED, problems=["出错了"]
    )
    body = conforms(api(alice).get(f"/api/imports/{job.pk}/"))
    assert body["problems"] == [{"sheet": None, "row": None, "column": None, "message": "出错了"}]
    assert body["problem_lines"] == ["出错了"]


# --- background jobs --------------------------------------------------------------------------


def test_a_background_job_is_pending_until_the_worker_runs_it(
    alice, unit_a, tmp_path, django_capture_on_commit_callbacks
):
    client = api(alice)
    with (
        mock.patch.object(import_workbook_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(client, file=upload(workbook(tmp_path)), background="true")
    job = conforms(response, "POST")
    delay.assert_called_once_with(job["id"])
    assert (job["status"], job["finished"], job["background"]) == ("pending", False, True)
    assert job["percent"] is None and not job["interrupted"]

    import_workbook_task(job["id"])  # what the worker does, run here synchronously
    polled = conforms(client.get(f"/api/imports/{job['id']}/"))
    assert (polled["status"], polled["percent"], polled["rows_done"]) == ("done", "100.00", 3)
    assert not Project.objects.exists()

    with (
        mock.patch.object(import_workbook_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        confirmed = conforms(client.post(f"/api/imports/{job['id']}/confirm/"), "POST")
    assert confirmed["status"] == "pending"
    delay.assert_called_once_with(job["id"])
    import_workbook_task(job["id"])
    assert Project.objects.count() == 2


def test_a_running_job_reports_its_progress(alice, tmp_path):
    job = services.import_job_create(user=alice, upload=upload(workbook(tmp_path)))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, rows_total=4)
    progress = services.import_job_path(job).with_suffix(".progress")
    progress.write_text("1")
    body = conforms(api(alice).get(f"/api/imports/{job.pk}/"))
    assert (body["status"], body["rows_done"], body["percent"]) == ("running", 1, "25.00")


def test_the_job_list_filters_by_status(alice, unit_a, tmp_path, department_b):
    client = api(alice)
    post(client, file=upload(workbook(tmp_path)))
    post(client, file=upload(workbook(tmp_path, department="044")))
    failed = conforms(client.get("/api/imports/", {"status": "failed"}))["results"]
    assert [job["status"] for job in failed] == ["failed"]
    refused(client.get("/api/imports/", {"status": "lost"}))
    refused(client.get("/api/imports/", {"dry_run": "maybe"}))
