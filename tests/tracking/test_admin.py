"""Admin pages of rounds, reports (with their lines and transitions) and notifications."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission

from budgets.text import UNWRITABLE_CHARACTER
from tests.budgets.workbooks import database_state
from tracking.choices import NotificationKind, ReportStatus
from tracking.models import Notification, Report
from tracking.services import report_save, report_submit

from .season import ON_TRACK, monitoring_round, project_with_targets, report_input, report_of, spend

pytestmark = pytest.mark.django_db

REPORTS = "/admin/tracking/report/"


@pytest.fixture
def reports(alice, rita, unit_a, unit_b):
    """A submitted report of department A and a draft of department B."""
    round_ = monitoring_round()
    mine = project_with_targets(unit_a, name="甲部门项目")
    spend(mine, "50")
    report = report_save(
        report=report_of(round_, mine), user=alice, version=1, data=report_input(mine, ON_TRACK)
    )
    report_submit(report=report, user=alice)
    report_of(round_, project_with_targets(unit_b, name="乙部门项目"))
    return Report.objects.order_by("pk")


def test_the_admin_lists_every_report_with_lines_and_transitions(client_of, adam, reports):
    client = client_of(adam)
    html = client.get(REPORTS).content.decode()
    assert "甲部门项目" in html and "乙部门项目" in html
    mine = reports[0]
    page = client.get(f"{REPORTS}{mine.pk}/change/").content.decode()
    assert "参保人员培训人数" in page and "60人" in page  # a line, inline
    assert "草稿" in page and "已提交" in page  # its transition, inline
    assert client.get(f"{REPORTS}{mine.pk}/history/").status_code == 200


def test_the_admin_cannot_move_a_reports_status_around_the_workflow(client_of, adam, reports):
    mine = reports[0]
    page = client_of(adam).get(f"{REPORTS}{mine.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="score"' not in page
    assert client_of(adam).get(f"{REPORTS}add/").status_code == 403


def test_admin_staff_see_only_their_departments_reports(client_of, alice, reports):
    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(*Permission.objects.filter(codename__endswith="_report"))
    client = client_of(alice)
    html = client.get(REPORTS).content.decode()
    assert "甲部门项目" in html and "乙部门项目" not in html
    theirs = reports[1]
    assert client.get(f"{REPORTS}{theirs.pk}/change/").status_code in (302, 403, 404)
    assert Report.objects.get(pk=theirs.pk).status == ReportStatus.DRAFT


def test_rounds_are_managed_in_the_admin(client_of, adam):
    round_ = monitoring_round()
    client = client_of(adam)
    assert str(round_) in client.get("/admin/tracking/round/").content.decode()
    assert client.get(f"/admin/tracking/round/{round_.pk}/change/").status_code == 200


def test_notifications_are_read_only_in_the_admin(client_of, adam, alice):
    note = Notification.objects.create(
        recipient=alice,
        kind=NotificationKind.DUE_SOON,
        subject_key="round:1",
        day=date(2024, 8, 18),
        subject="【即将到期】2024年运行监控",
    )
    client = client_of(adam)
    assert note.subject in client.get("/admin/tracking/notification/").content.decode()
    assert client.get("/admin/tracking/notification/add/").status_code == 403
    page = client.get(f"/admin/tracking/notification/{note.pk}/change/").content.decode()
    assert 'name="subject"' not in page
    response = client.post(f"/admin/tracking/notification/{note.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Notification.objects.filter(pk=note.pk).exists()


def _posted(page) -> dict:
    """The change form's data as the browser would post it back unchanged."""
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for n, form in enumerate(formset.forms):
            for name, value in form.initial.items():
                if value is not None and name in form.fields:
                    data[f"{formset.prefix}-{n}-{name}"] = value
            data[f"{formset.prefix}-{n}-id"] = form.instance.pk
    return data


def test_a_value_changed_in_the_admin_is_recomputed_and_outdates_open_forms(
    client_of, adam, unit_a
):
    project = project_with_targets(unit_a)
    spend(project, "50")
    report = report_save(
        report=report_of(monitoring_round(), project),
        user=None,
        version=1,
        data=report_input(project, ON_TRACK),
    )
    client = client_of(adam)
    page = client.get(f"{REPORTS}{report.pk}/change/")
    data = _posted(page)
    lines = page.context["inline_admin_formsets"][0].formset
    index = next(
        n for n, f in enumerate(lines.forms) if f.instance.indicator.name == "参保人员培训人数"
    )
    data[f"{lines.prefix}-{index}-expected_raw"] = "50人"
    assert client.post(f"{REPORTS}{report.pk}/change/", data).status_code == 302
    report.refresh_from_db()
    assert (report.version, report.target_light) == (3, "red")


@pytest.mark.parametrize("char", ["\x0b", "\x00"])
def test_a_line_edited_in_the_admin_refuses_control_characters(client_of, adam, unit_a, char):
    project = project_with_targets(unit_a)
    report = report_save(
        report=report_of(monitoring_round(), project),
        user=None,
        version=1,
        data=report_input(project, ON_TRACK),
    )
    client = client_of(adam)
    page = client.get(f"{REPORTS}{report.pk}/change/")
    data = _posted(page)
    lines = page.context["inline_admin_formsets"][0].formset
    data[f"{lines.prefix}-0-cause"] = f"培训{char}场地不足"
    before = database_state()
    response = client.post(f"{REPORTS}{report.pk}/change/", data)
    assert response.status_code == 200
    assert UNWRITABLE_CHARACTER in response.content.decode()
    assert database_state() == before
