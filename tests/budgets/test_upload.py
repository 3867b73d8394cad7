"""The workbook upload page: refusals, dry-run preview, confirmation, background jobs."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from budgets import services
from budgets.importer import (
    FILE_EMPTY,
    FILE_EXPANDS_TOO_MUCH,
    FILE_NOT_XLSX,
    FILE_TOO_LARGE,
    NO_KNOWN_SHEETS,
    NO_PERMISSION_DEPARTMENT,
    sheet_classes,
)
from budgets.models import ImportJob, Payment, Project
from budgets.services import IMPORT_CRASHED, IMPORT_FILE_MISSING
from budgets.tasks import import_workbook_task
from budgets.views.imports import IMPORT_NOT_CONFIRMABLE

from .workbooks import (
    PAYMENT_HEADER,
    PROJECT_HEADER,
    database_state,
    make_workbook,
    payment_row,
    project_row,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD = reverse("budgets:import_upload")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def data_state() -> dict:
    """The database apart from the upload bookkeeping itself."""
    state = database_state()
    state.pop("budgets.ImportJob", None)
    return state


def upload_of(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type=XLSX)


NAMES = {"309": "新乡市医疗保障局", "044": "西峡县医疗保障局本级"}


def good_workbook(tmp_path: Path, department: str = "309") -> Path:
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


def file_errors(response) -> list[str]:
    assert response.status_code == 200
    html = response.content.decode()
    lists = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', html, re.S)
    return [item for block in lists for item in re.findall(r"<li>([^<]*)</li>", block)]


def job_html(client, job: ImportJob, **headers) -> str:
    response = client.get(reverse("budgets:import_job", args=[job.token]), **headers)
    assert response.status_code == 200
    return response.content.decode()


# --- refusals: a form error naming the file, nothing written ---------------------------------


def test_anonymous_visitors_cannot_upload(client, db, tmp_path):
    response = client.post(UPLOAD, {"file": upload_of(good_workbook(tmp_path))})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Project.objects.exists()


def test_anonymous_visitors_cannot_see_or_confirm_a_job(client, alice, tmp_path):
    job = services.import_job_create(user=alice, upload=upload_of(good_workbook(tmp_path)))
    for response in (
        client.get(reverse("budgets:import_job", args=[job.token])),
        client.post(reverse("budgets:import_confirm", args=[job.token])),
    ):
        assert response.status_code == 302 and "/login/" in response["Location"]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and job.dry_run


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", f"文件: {FILE_EMPTY}"),
        (b"year,code\n2024,P-1\n", f"文件: {FILE_NOT_XLSX}"),
        (b"PK\x03\x04 not really a zip", f"文件: {FILE_NOT_XLSX}"),
    ],
)
def test_a_file_that_is_not_a_workbook_gets_a_form_error(client_of, alice, content, message):
    client = client_of(alice)
    before = data_state()
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("data.xlsx", content)})
    assert file_errors(response) == [message]
    assert data_state() == before and not ImportJob.objects.exists()


def test_an_oversize_file_is_refused_before_it_is_read(client_of, alice, settings, tmp_path):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    client = client_of(alice)
    before = data_state()
    with mock.patch("budgets.forms.check_file") as check:
        response = client.post(UPLOAD, {"file": upload_of(good_workbook(tmp_path))})
    assert file_errors(response) == [f"文件: {FILE_TOO_LARGE.format(limit='100 字节')}"]
    check.assert_not_called()
    assert data_state() == before and not ImportJob.objects.exists()


def test_a_file_that_expands_far_beyond_its_size_is_refused(client_of, alice):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    client = client_of(alice)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("bomb.xlsx", buffer.getvalue())})
    expected = f"文件: {FILE_EXPANDS_TOO_MUCH.format(limit='50 MB')}"
    assert file_errors(response) == [expected]
    assert not ImportJob.objects.exists()


def test_a_workbook_without_known_sheets_lists_the_problem_and_writes_nothing(
    client_of, alice, tmp_path
):
    path = make_workbook(tmp_path / "other.xlsx", {"Sheet1": [["年度"], [2024]]})
    client = client_of(alice)
    before = data_state()
    response = client.post(UPLOAD, {"file": upload_of(path)})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("budgets:import_job", args=[job.token])
    html = job_html(client, job)
    names = "、".join(cls.name for cls in sheet_classes())
    assert f"文件: {NO_KNOWN_SHEETS.format(names=names)}" in html
    assert "确认导入" not in html and "校验未通过" in html
    assert data_state() == before


def test_staff_importing_another_departments_rows_see_the_problem_and_nothing_is_written(
    client_of, alice, department_b, unit_b, tmp_path
):
    path = good_workbook(tmp_path, department="044")
    client = client_of(alice)
    before = data_state()
    response = client.post(UPLOAD, {"file": upload_of(path)}, follow=True)
    html = response.content.decode()
    # Both project rows name department 044: one line lists them.
    assert f"项目, 第2、3行, 部门编码: {NO_PERMISSION_DEPARTMENT.format(code='044')}" in html
    assert "确认导入" not in html
    assert data_state() == before
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and job.dry_run


# --- preview, then confirm ------------------------------------------------------------------


def test_a_valid_upload_is_previewed_then_imported_on_confirmation(
    client_of, alice, unit_a, tmp_path, media
):
    client = client_of(alice)
    before = data_state()
    client.post(UPLOAD, {"file": upload_of(good_workbook(tmp_path))})
    job = ImportJob.objects.get()
    assert (Path(media) / job.file).is_file() and re.fullmatch(
        r"imports/[0-9a-f-]{36}\.xlsx", job.file
    )
    preview = job_html(client, job)
    assert data_state() == before
    assert "校验通过（未写入）" in preview and "确认导入" in preview
    counts = re.sub(
        r"\s+", "", re.search(r'<table class="grid counts">.*?</table>', preview, re.S).group(0)
    )
    # entity, will create, will update, unchanged
    for entity, created, updated, unchanged in [("项目", 2, 0, 0), ("支出", 1, 0, 0)]:
        cells = "".join(f'<tdclass="num">{n}</td>' for n in (created, updated, unchanged))
        assert f"<tr><td>{entity}</td>{cells}</tr>" in counts

    confirmed = client.post(reverse("budgets:import_confirm", args=[job.token]), follow=True)
    html = confirmed.content.decode()
    assert "导入成功" in html and "确认导入" not in html
    assert sorted(Project.objects.values_list("code", flat=True)) == ["P-1", "P-2"]
    assert Payment.objects.get().amount == Decimal("5")
    assert Project.history.filter(code="P-1").get().history_user == alice

    again = client.post(reverse("budgets:import_confirm", args=[job.token]), follow=True)
    assert IMPORT_NOT_CONFIRMABLE in again.content.decode()
    assert Project.objects.count() == 2 and Payment.objects.count() == 1


def test_only_the_uploader_sees_or_confirms_a_job(client_of, alice, bob, rita, unit_a, tmp_path):
    client_of(alice).post(UPLOAD, {"file": upload_of(good_workbook(tmp_path))})
    job = ImportJob.objects.get()
    for other in (bob, rita):
        client = client_of(other)
        assert client.get(reverse("budgets:import_job", args=[job.token])).status_code == 404
        confirm = client.post(reverse("budgets:import_confirm", args=[job.token]))
        assert confirm.status_code == 404
    assert not Project.objects.exists()
    job.refresh_from_db()
    assert job.dry_run


def test_a_failed_dry_run_cannot_be_confirmed(client_of, alice, tmp_path):
    path = make_workbook(tmp_path / "other.xlsx", {"Sheet1": [["x"]]})
    client = client_of(alice)
    client.post(UPLOAD, {"file": upload_of(path)})
    job = ImportJob.objects.get()
    response = client.post(reverse("budgets:import_confirm", args=[job.token]), follow=True)
    assert IMPORT_NOT_CONFIRMABLE in response.content.decode()
    job.refresh_from_db()
    assert job.dry_run and job.status == ImportJob.Status.FAILED


def test_the_upload_page_lists_the_users_recent_jobs(client_of, alice, bob, unit_a, tmp_path):
    client_of(alice).post(UPLOAD, {"file": upload_of(good_workbook(tmp_path), "预算.xlsx")})
    assert "预算.xlsx" in client_of(alice).get(UPLOAD).content.decode()
    assert "预算.xlsx" not in client_of(bob).get(UPLOAD).content.decode()


# --- background jobs ------------------------------------------------------------------------


def test_ticking_background_queues_a_task_after_commit_and_the_page_polls(
    client_of, alice, unit_a, tmp_path, django_capture_on_commit_callbacks
):
    client = client_of(alice)
    with (
        mock.patch.object(import_workbook_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(UPLOAD, {"file": upload_of(good_workbook(tmp_path)), "background": "on"})
    job = ImportJob.objects.get()
    delay.assert_called_once_with(job.pk)
    assert job.background and job.status == ImportJob.Status.PENDING

    partial = job_html(client, job, HTTP_HX_REQUEST="true")
    assert partial.startswith('<div id="job-status"')
    assert 'hx-trigger="every 1s"' in partial and "<html" not in partial
    assert 'hx-trigger="every 1s"' in job_html(client, job)

    import_workbook_task(job.pk)  # what the worker does, run here synchronously
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.rows_done == job.rows_total == 3
    finished = job_html(client, job, HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in finished and "确认导入" in finished
    assert not Project.objects.exists()

    with (
        mock.patch.object(import_workbook_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("budgets:import_confirm", args=[job.token]))
    delay.assert_called_once_with(job.pk)
    import_workbook_task(job.pk)
    assert Project.objects.count() == 2


def test_a_file_over_the_threshold_goes_to_the_background(
    client_of, alice, unit_a, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BACKGROUND_THRESHOLD_BYTES", 10)
    with (
        mock.patch.object(import_workbook_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client_of(alice).post(UPLOAD, {"file": upload_of(good_workbook(tmp_path))})
    job = ImportJob.objects.get()
    assert job.background and job.status == ImportJob.Status.PENDING
    delay.assert_called_once_with(job.pk)


def test_the_task_runs_a_job_once_and_tolerates_a_missing_one(alice, unit_a, tmp_path):
    job = services.import_job_create(
        user=alice, upload=upload_of(good_workbook(tmp_path)), background=True
    )
    job.dry_run = False
    job.save()
    import_workbook_task(job.pk)
    state = data_state()
    job.refresh_from_db()
    finished_at = job.finished_at
    import_workbook_task(job.pk)  # a second delivery changes nothing
    job.refresh_from_db()
    assert data_state() == state and job.finished_at == finished_at
    import_workbook_task(job.pk + 1000)  # no such job: nothing happens


def test_the_progress_callback_reports_rows_read_so_far(
    alice, unit_a, tmp_path, monkeypatch, media
):
    job = services.import_job_create(user=alice, upload=upload_of(good_workbook(tmp_path)))
    seen: list[int] = []
    original = services._ProgressFile.__call__

    def spy(self, sheet: str, rows: int) -> None:
        original(self, sheet, rows)
        seen.append(services.import_job_rows_done(ImportJob.objects.get(pk=job.pk)))

    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0)
    monkeypatch.setattr(services._ProgressFile, "__call__", spy)
    services.import_job_run(job_id=job.pk)
    assert seen == [2, 3]  # 项目 (2 rows), then 支出 (1 more)
    job.refresh_from_db()
    assert job.rows_done == 3
    assert not (Path(media) / job.file).with_suffix(".progress").exists()


def test_a_crash_fails_the_job_with_a_message_and_writes_nothing(
    client_of, alice, unit_a, tmp_path
):
    job = services.import_job_create(user=alice, upload=upload_of(good_workbook(tmp_path)))
    with mock.patch("budgets.services.run_import", side_effect=RuntimeError("boom")):
        services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.problems == [IMPORT_CRASHED]
    assert IMPORT_CRASHED in job_html(client_of(alice), job)
    assert not Project.objects.exists()


def test_a_job_whose_file_is_gone_fails_with_a_message(alice, tmp_path, media):
    job = services.import_job_create(user=alice, upload=upload_of(good_workbook(tmp_path)))
    (Path(media) / job.file).unlink()
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.problems == [IMPORT_FILE_MISSING]


def test_the_reviewer_may_import_any_departments_rows(client_of, rita, unit_b, tmp_path):
    client = client_of(rita)
    client.post(UPLOAD, {"file": upload_of(good_workbook(tmp_path, department="044"))})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    client.post(reverse("budgets:import_confirm", args=[job.token]))
    assert set(Project.objects.values_list("department__code", flat=True)) == {"044"}


def test_cleanup_deletes_old_uploads_keeps_the_records_and_spares_recent_ones(
    alice, tmp_path, settings
):
    from datetime import timedelta

    from django.utils import timezone

    settings.MEDIA_ROOT = tmp_path / "media"
    old = services.import_job_create(user=alice, upload=upload_of(good_workbook(tmp_path)))
    recent = services.import_job_create(user=alice, upload=upload_of(good_workbook(tmp_path)))
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    old_path, recent_path = services.import_job_path(old), services.import_job_path(recent)
    assert old_path.exists() and recent_path.exists()

    assert services.import_files_cleanup() == 1
    assert not old_path.exists() and recent_path.exists()
    old.refresh_from_db()
    assert old.file == "" and ImportJob.objects.count() == 2
    assert services.import_files_cleanup() == 0  # a second run changes nothing


def test_cleanup_leaves_a_running_import_alone(alice, tmp_path, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.MEDIA_ROOT = tmp_path / "media"
    job = services.import_job_create(user=alice, upload=upload_of(good_workbook(tmp_path)))
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(days=30), status=ImportJob.Status.RUNNING
    )
    assert services.import_files_cleanup() == 0
    assert services.import_job_path(job).exists()


# --- problems that repeat, what will change, the template ------------------------------------


def test_repeated_problems_read_as_one_line_naming_the_rows(client_of, alice, unit_b, tmp_path):
    rows = [payment_row(f"记-{n}", "2024-03-01", 1, department="044") for n in range(80)]
    rows[7][3] = "x"  # row 9: a bad amount as well
    path = make_workbook(tmp_path / "p.xlsx", {"支出": [PAYMENT_HEADER, *rows]})
    client = client_of(alice)
    client.post(UPLOAD, {"file": upload_of(path)})
    job = ImportJob.objects.get()
    # Stored one per problem, as the contract lists them; grouped only on the page.
    assert len(job.problems) == 80
    assert job.problems[0] == {
        "sheet": "支出",
        "row": 2,
        "column": "部门编码",
        "message": NO_PERMISSION_DEPARTMENT.format(code="044"),
    }
    html = job_html(client, job)
    assert (
        re.findall(r'<ul class="errorlist problems">(.*?)</ul>', html, re.S)[0].count("<li>") == 2
    )
    foreign = NO_PERMISSION_DEPARTMENT.format(code="044")
    assert f"<li>支出, 第2–8、10–81行, 部门编码: {foreign}</li>" in html
    assert "<li>支出, 第9行, 金额: “x”不是有效的数字</li>" in html
    assert "共80个问题" in html


def test_a_job_stored_with_text_problems_still_shows_them(client_of, alice):
    job = ImportJob.objects.create(
        file="imports/x.xlsx",
        user=alice,
        status=ImportJob.Status.FAILED,
        problems=["支出, 第2行, 金额: 旧的问题", "支出, 第3行, 金额: 旧的问题"],
    )
    html = job_html(client_of(alice), job)
    assert "<li>支出, 第2行, 金额: 旧的问题</li><li>支出, 第3行, 金额: 旧的问题</li>" in html


def test_the_preview_lists_the_rows_it_will_create_and_update(client_of, alice, unit_a, tmp_path):
    client = client_of(alice)
    client.post(UPLOAD, {"file": upload_of(good_workbook(tmp_path))})
    client.post(reverse("budgets:import_confirm", args=[ImportJob.objects.get().token]))
    changed = make_workbook(
        tmp_path / "changed.xlsx",
        {
            "项目": [
                PROJECT_HEADER,
                project_row("P-1", initial=120),
                project_row("P-2", initial=Decimal("20.5")),
            ],
            "支出": [
                PAYMENT_HEADER,
                payment_row("记-1", "2024-03-01", 5, project="P-1"),
                payment_row("记-2", "2024-04-01", "7.25", project="P-1", summary="四月拨款"),
            ],
        },
    )
    before = data_state()
    client.post(UPLOAD, {"file": upload_of(changed)})
    job = ImportJob.objects.latest("created_at")
    assert job.dry_run and job.status == ImportJob.Status.DONE
    assert [(s["entity"], s["action"], s["label"]) for s in job.samples] == [
        ("项目", "updated", "项目P-1（P-1）"),
        ("支出", "created", "记-2"),
    ]
    html = re.sub(r"\s+", " ", job_html(client, job))
    assert data_state() == before
    assert "<h3>项目：将写入的数据</h3>" in html and "<h3>支出：将写入的数据</h3>" in html
    assert "<td>将更新</td><td>项目P-1（P-1）</td>" in html
    assert "<li>年初预算（万元）：100.00 → 120.00</li>" in html
    assert "<td>将新增</td><td>记-2</td>" in html
    assert "<li>金额（万元）：7.25</li>" in html and "<li>摘要：四月拨款</li>" in html

    client.post(reverse("budgets:import_confirm", args=[job.token]))
    job.refresh_from_db()
    assert not job.dry_run
    assert [s["label"] for s in job.samples] == ["项目P-1（P-1）", "记-2"]
    html = re.sub(r"\s+", " ", job_html(client, job))
    assert "<td>更新</td><td>项目P-1（P-1）</td>" in html


def test_the_preview_says_how_many_rows_it_does_not_list(client_of, alice, unit_a, tmp_path):
    from budgets.importer import SAMPLE_LIMIT

    rows = [payment_row(f"记-{n}", "2024-03-01", 1) for n in range(SAMPLE_LIMIT + 3)]
    path = make_workbook(tmp_path / "p.xlsx", {"支出": [PAYMENT_HEADER, *rows]})
    client = client_of(alice)
    client.post(UPLOAD, {"file": upload_of(path)})
    html = job_html(client, ImportJob.objects.get())
    assert html.count("<td>将新增</td>") == SAMPLE_LIMIT
    assert f"每类新增、更新各列出前{SAMPLE_LIMIT}条，另有3条未列出。" in html


def test_the_upload_page_links_the_template_which_downloads_at_once(client_of, alice):
    import openpyxl

    client = client_of(alice)
    link = reverse("budgets:import_template")
    assert f'<a class="button" href="{link}" download>下载导入模板</a>' in (
        client.get(UPLOAD).content.decode()
    )
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E6%A0%87%E5%87%86" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    for cls in sheet_classes():
        assert [cell.value for cell in book[cls.name][1]] == [c.name for c in cls.columns]
    assert client.post(link).status_code == 405


def test_anonymous_visitors_cannot_download_the_template(client, db):
    response = client.get(reverse("budgets:import_template"))
    assert response.status_code == 302 and "/login/" in response["Location"]
