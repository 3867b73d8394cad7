"""Admin pages of the budgets app: 区划, departments by 区划, users with their 区划."""

from __future__ import annotations

import pytest

from budgets.divisions import BAD_CODE
from budgets.models import Division, User
from budgets.text import UNWRITABLE_CHARACTER
from tests.bureaus import HONGQI, XIXIA, two_bureaus
from tests.factories import DivisionFactory

DIVISIONS = "/admin/budgets/division/"
DEPARTMENTS = "/admin/budgets/department/"
USERS = "/admin/budgets/user/"


def html_of(response) -> str:
    return response.content.decode()


def test_admins_list_search_and_filter_divisions(client_of, adam):
    two_bureaus()
    client = client_of(adam)
    html = html_of(client.get(DIVISIONS))
    assert f'href="{DIVISIONS}add/"' in html
    for name in ("河南省", "新乡市", "红旗区", "南阳市", "西峡县"):
        assert name in html
    html = html_of(client.get(DIVISIONS, {"q": "西峡"}))
    assert "西峡县" in html and "红旗区" not in html
    html = html_of(client.get(DIVISIONS, {"q": HONGQI}))
    assert "红旗区" in html and "西峡县" not in html
    html = html_of(client.get(DIVISIONS, {"level": "市"}))
    assert "新乡市" in html and "南阳市" in html and "红旗区" not in html


def test_an_admin_renames_a_division_but_cannot_change_its_code(client_of, adam):
    division = DivisionFactory(code="410799")
    assert division.name == "区划410799"
    url = f"{DIVISIONS}{division.pk}/change/"
    response = client_of(adam).post(url, {"code": "410702", "name": "新乡市高新区"})
    assert response.status_code == 302
    division.refresh_from_db()
    assert (division.code, division.name) == ("410799", "新乡市高新区")
    assert division.history.first().name == "新乡市高新区"


def test_a_division_added_in_the_admin_gets_its_level_parent_and_gbt_name(client_of, adam):
    response = client_of(adam).post(f"{DIVISIONS}add/", {"code": XIXIA, "name": ""})
    assert response.status_code == 302
    xixia = Division.objects.get(code=XIXIA)
    assert (xixia.name, xixia.level, xixia.parent.name, xixia.parent.parent.name) == (
        "西峡县",
        "县",
        "南阳市",
        "河南省",
    )


def test_a_bad_division_code_is_refused_in_the_admin(client_of, adam):
    response = client_of(adam).post(f"{DIVISIONS}add/", {"code": "4113", "name": "x"})
    assert response.status_code == 200
    assert BAD_CODE.format(code="4113") in html_of(response)
    assert not Division.objects.exists()


def test_departments_show_and_filter_by_division(client_of, adam):
    bureaus = two_bureaus()
    client = client_of(adam)
    html = html_of(client.get(DEPARTMENTS))
    assert "红旗区医疗保障局" in html and "西峡县医疗保障局" in html
    assert f"{XIXIA} 西峡县" in html
    division = bureaus.xixia.department.division
    html = html_of(client.get(DEPARTMENTS, {"division__id__exact": division.pk}))
    assert "西峡县医疗保障局" in html and "红旗区医疗保障局" not in html
    html = html_of(client.get(DEPARTMENTS, {"q": "红旗区"}))
    assert "红旗区医疗保障局" in html and "西峡县医疗保障局" not in html


def test_users_show_their_division_and_subordinates(client_of, adam):
    bureaus = two_bureaus()
    client = client_of(adam)
    html = html_of(client.get(USERS, {"q": "henan"}))
    assert "410000 河南省" in html
    response = client.get(f"{USERS}{bureaus.province.pk}/change/")
    assert 'name="division"' in html_of(response)
    assert 'name="with_subordinates"' in html_of(response)
    html = html_of(client.get(USERS, {"with_subordinates__exact": "1"}))
    assert "henan" in html and "xinxiang" in html and "hongqi" not in html


@pytest.mark.parametrize("url", [DIVISIONS, f"{DIVISIONS}add/"])
def test_staff_without_admin_role_cannot_change_divisions(client_of, alice, url):
    from django.contrib.auth.models import Permission

    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(*Permission.objects.filter(codename__endswith="_division"))
    user = User.objects.get(pk=alice.pk)
    DivisionFactory()
    response = client_of(user).get(url)
    if url.endswith("add/"):
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert f'href="{DIVISIONS}add/"' not in html_of(response)


# --- the department-wide budget facts in the admin site ------------------------------------------

PROJECTS = "/admin/budgets/project/"
ADJUSTMENTS = "/admin/budgets/adjustment/"
DEPARTMENT_BUDGETS = "/admin/budgets/departmentbudget/"


def project_form(project, **changes) -> dict:
    data = {
        "year": project.year,
        "code": project.code,
        "name": project.name,
        "type": project.type,
        "department": project.department_id,
        "unit": project.unit_id,
        "initial_budget": "100",
        "carryover": "10",
        "special_account_funds": "0",
        "unit_funds": "0",
    }
    data.update(changes)
    return data


def test_an_admin_sets_a_projects_other_funds_within_its_total(client_of, adam, unit_a):
    from decimal import Decimal

    from tests.factories import ProjectFactory

    project = ProjectFactory(unit=unit_a)
    url = f"{PROJECTS}{project.pk}/change/"
    client = client_of(adam)
    response = client.post(url, project_form(project, special_account_funds="60", unit_funds="50"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.special_account_funds, project.unit_funds) == (Decimal(60), Decimal(50))


def test_the_admin_refuses_other_funds_above_the_total_with_the_message(client_of, adam, unit_a):
    from budgets.models import PROJECT_OTHER_FUNDS_OVER_TOTAL, Project
    from tests.factories import ProjectFactory

    project = ProjectFactory(unit=unit_a)
    before = list(Project.objects.values_list())
    response = client_of(adam).post(
        f"{PROJECTS}{project.pk}/change/",
        project_form(project, special_account_funds="60", unit_funds="50.000001"),
    )
    assert response.status_code == 200
    assert PROJECT_OTHER_FUNDS_OVER_TOTAL in html_of(response)
    assert list(Project.objects.values_list()) == before


def test_adjustments_list_and_filter_by_kind_and_budgets_show_the_stated_total(
    client_of, adam, unit_a
):
    from decimal import Decimal

    from tests.factories import AdjustmentFactory, DepartmentBudgetFactory, ProjectFactory

    project = ProjectFactory(unit=unit_a)
    AdjustmentFactory(project=project, document_number="文-政", kind="政策性调整")
    AdjustmentFactory(project=project, document_number="文-般")
    DepartmentBudgetFactory(department=unit_a.department, stated_total=Decimal("2762.41"))
    client = client_of(adam)
    html = html_of(client.get(ADJUSTMENTS, {"kind__exact": "政策性调整"}))
    assert "文-政" in html and "文-般" not in html
    assert "2762.41" in html_of(client.get(DEPARTMENT_BUDGETS)).replace(",", "")


# --- text no xlsx or database can hold (budgets.text) --------------------------------------------

PAYMENTS = "/admin/budgets/payment/"


def test_every_admin_of_the_projects_apps_refuses_unwritable_text():
    from django.contrib import admin

    from budgets.admin import WritableTextMixin

    checked = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("budgets", "performance", "tracking"):
            continue
        for each in (model_admin, *model_admin.inlines):
            assert issubclass(type(each) if each is model_admin else each, WritableTextMixin), each
            checked.append(each)
    assert len(checked) > 20


def payment_admin_form(payment, **changes) -> dict:
    data = {
        "department": payment.department_id,
        "year": payment.year,
        "voucher": payment.voucher,
        "date": payment.date.isoformat(),
        "amount": str(payment.amount),
        "project": payment.project_id,
        "summary": payment.summary,
        "confirm_over_budget": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("char", ["\x0b", "\x00"])
@pytest.mark.parametrize("field", ["voucher", "summary"])
def test_the_admin_refuses_control_characters_on_the_field_and_changes_nothing(
    client_of, adam, unit_a, field, char
):
    from tests.budgets.workbooks import database_state
    from tests.factories import PaymentFactory, ProjectFactory

    payment = PaymentFactory(project=ProjectFactory(unit=unit_a), voucher="记-1", summary="差旅")
    client = client_of(adam)
    before = database_state()
    url = f"{PAYMENTS}{payment.pk}/change/"
    response = client.post(url, payment_admin_form(payment, **{field: f"差旅{char}会议"}))
    assert response.status_code == 200
    html = html_of(response)
    assert f'<ul class="errorlist" id="id_{field}_error"><li>{UNWRITABLE_CHARACTER}</li>' in html
    assert html.count(UNWRITABLE_CHARACTER) == 1
    assert database_state() == before
    # The add form refuses the same, and adds no row.
    response = client.post(
        f"{PAYMENTS}add/", payment_admin_form(payment, **{"voucher": "记-2", field: f"x{char}y"})
    )
    assert response.status_code == 200 and UNWRITABLE_CHARACTER in html_of(response)
    assert database_state() == before


def test_the_admin_keeps_tabs_and_newlines(client_of, adam, unit_a):
    from budgets.models import Adjustment
    from tests.factories import ProjectFactory

    project = ProjectFactory(unit=unit_a, initial_budget=100)
    data = {
        "year": project.year,
        "document_number": "财预〔2024〕9号",
        "project": project.pk,
        "date": "2024-06-10",
        "amount": "5",
        "kind": "一般调整",
        "note": "第一行\r\n第二行\t说明",
    }
    assert client_of(adam).post(f"{ADJUSTMENTS}add/", data).status_code == 302
    assert Adjustment.objects.get().note == "第一行\r\n第二行\t说明"


def test_a_users_name_in_the_admin_refuses_control_characters(client_of, adam, alice):
    response = client_of(adam).get(f"{USERS}{alice.pk}/change/")
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update({"name": "爱\x0b丽丝", "groups": [], "last_login_0": "", "last_login_1": ""})
    data["date_joined_0"], data["date_joined_1"] = "2024-01-01", "00:00:00"
    response = client_of(adam).post(f"{USERS}{alice.pk}/change/", data)
    assert response.status_code == 200 and UNWRITABLE_CHARACTER in html_of(response)
    assert User.objects.get(pk=alice.pk).name == "爱丽丝"
