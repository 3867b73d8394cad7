"""Writes of the performance app: indicators and the indicator library."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from budgets.importer import run_import
from performance.models import Indicator, IndicatorTemplate
from performance.review import REVIEW_WEIGHTS_NOT_90
from performance.selectors import indicators_by_project, project_reviews
from performance.services import (
    INDICATOR_DUPLICATE,
    INDICATOR_LOCKED,
    INDICATOR_NAME_REQUIRED,
    INDICATOR_NO_PERMISSION,
    indicator_create,
    indicator_delete,
    indicator_library_seed_from_indicators,
    indicator_update,
    parse_weight,
    template_search,
)
from performance.values import VALUE_EMPTY, VALUE_TOO_LONG
from performance.workbook import UNKNOWN_LEVEL1, WEIGHT_NOT_POSITIVE
from tests.factories import ProjectFactory

from .conftest import complete_targets, make_indicator

SAMPLES = Path(settings.BASE_DIR) / "demo"
YEAR_END = date(2024, 12, 31)


def snapshot() -> list[tuple]:
    return list(
        Indicator.objects.order_by("pk").values_list("pk", "level1", "name", "raw", "weight")
    )


def add(user, project, **fields) -> Indicator:
    values = {"level1": "产出指标", "name": "印刷告知书", "value": "15万册"} | fields
    return indicator_create(user=user, project=project, **values)


def field_errors(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- creating ----------------------------------------------------------------------------------


def test_staff_add_an_indicator_with_its_meaning_stored_beside_the_raw_text(alice, project_a):
    indicator = add(alice, project_a, value="≥11500人次", level2="数量指标", weight=Decimal("10"))
    indicator.refresh_from_db()
    assert (indicator.raw, indicator.kind, indicator.comparator, indicator.value) == (
        "≥11500人次",
        "quantitative",
        ">=",
        "11500",
    )
    assert (indicator.unit, indicator.level2, indicator.weight) == ("人次", "数量指标", Decimal(10))
    assert indicator.history.first().history_user == alice


def test_a_deadline_without_a_year_is_read_in_the_projects_year(alice, project_a):
    indicator = add(alice, project_a, name="完成时间", value="12月底前")
    assert (indicator.kind, indicator.value) == ("deadline", "2024-12-31")


def test_new_indicators_go_after_the_existing_ones(alice, project_a):
    first = add(alice, project_a, name="一")
    second = add(alice, project_a, name="二")
    assert second.position > first.position
    assert [i.name for i in Indicator.objects.filter(project=project_a)] == ["一", "二"]


def test_a_short_level1_is_read_as_the_full_name(alice, project_a):
    assert add(alice, project_a, level1="满意度").level1 == "满意度指标"


def test_an_empty_value_is_refused_and_nothing_is_written(alice, project_a):
    with pytest.raises(ValidationError) as excinfo:
        add(alice, project_a, value="  ")
    assert field_errors(excinfo) == {"value": [VALUE_EMPTY]}
    assert snapshot() == []


def test_an_unknown_level1_is_refused(alice, project_a):
    with pytest.raises(ValidationError) as excinfo:
        add(alice, project_a, level1="过程指标")
    assert field_errors(excinfo) == {"level1": [UNKNOWN_LEVEL1.format(value="过程指标")]}
    assert UNKNOWN_LEVEL1.format(value="过程指标") == (
        "一级指标“过程指标”无效，应为成本指标、产出指标、效益指标或满意度指标"
    )
    assert snapshot() == []


def test_the_same_name_twice_in_one_project_and_group_is_refused(alice, project_a):
    add(alice, project_a, name="印刷告知书")
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        add(alice, project_a, name=" 印刷告知书 ", value="20万册")
    message = INDICATOR_DUPLICATE.format(level1="产出指标", name="印刷告知书")
    assert field_errors(excinfo) == {"name": [message]}
    assert message == "该项目的产出指标中已有三级指标“印刷告知书”，同一一级指标下的三级指标不能重复"
    assert snapshot() == before


def test_the_same_name_in_another_group_or_project_is_allowed(alice, project_a, unit_a):
    add(alice, project_a, name="资金支付及时率")
    add(alice, project_a, level1="效益指标", name="资金支付及时率", value="及时")
    add(alice, ProjectFactory(unit=unit_a), name="资金支付及时率")
    assert Indicator.objects.filter(name="资金支付及时率").count() == 3


@pytest.mark.parametrize("weight", [Decimal(0), Decimal(-5)])
def test_a_weight_that_is_not_positive_is_refused(alice, project_a, weight):
    with pytest.raises(ValidationError) as excinfo:
        add(alice, project_a, weight=weight)
    assert field_errors(excinfo) == {"weight": [WEIGHT_NOT_POSITIVE.format(value=weight)]}
    assert snapshot() == []


@pytest.mark.parametrize("text", ["abc", "-3", "0", "NaN", "Infinity"])
def test_a_typed_weight_that_is_not_a_positive_number_is_refused(text):
    with pytest.raises(ValidationError) as excinfo:
        parse_weight(text)
    assert excinfo.value.messages == [f"权重应为正数，不能是“{text}”"]


def test_a_blank_typed_weight_means_no_weight():
    assert parse_weight("  ") is None
    assert parse_weight(" 12.5 ") == Decimal("12.5")


def test_weights_that_do_not_add_up_are_saved_and_fail_review_instead(alice, project_a):
    for n, level1 in enumerate(["产出指标", "效益指标", "满意度指标"]):
        add(alice, project_a, level1=level1, name=f"指标{n}", value="≥95%", weight=Decimal(20))
    projects = type(project_a).objects.filter(pk=project_a.pk)
    review = project_reviews(projects, YEAR_END)[project_a.pk]
    assert not review.passed
    assert [p.message for p in review.problems] == [REVIEW_WEIGHTS_NOT_90.format(total="60")]


def test_a_value_of_5000_characters_is_refused(alice, project_a):
    with pytest.raises(ValidationError) as excinfo:
        add(alice, project_a, value="很" * 5000)
    assert field_errors(excinfo) == {"value": [VALUE_TOO_LONG]}
    assert VALUE_TOO_LONG == "指标值过长（最多500个字符）"
    assert snapshot() == []


def test_every_problem_of_a_form_is_reported_at_once(alice, project_a):
    with pytest.raises(ValidationError) as excinfo:
        add(alice, project_a, level1="其他", name="", value="", weight=Decimal(-1))
    assert set(field_errors(excinfo)) == {"level1", "name", "value", "weight"}
    assert field_errors(excinfo)["name"] == [INDICATOR_NAME_REQUIRED]


def test_bob_cannot_add_an_indicator_to_alices_project(bob, project_a):
    with pytest.raises(PermissionDenied) as excinfo:
        add(bob, project_a)
    assert str(excinfo.value) == INDICATOR_NO_PERMISSION.format(department="新乡市医疗保障局")
    assert snapshot() == []


def test_the_reviewer_reviews_targets_but_cannot_change_them(rita, project_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        add(rita, project_a)
    assert not project_a.indicators.exists()


def test_the_admin_may_change_any_departments_targets(adam, project_a):
    assert add(adam, project_a).pk is not None


# --- the lock ----------------------------------------------------------------------------------


@pytest.fixture
def locked(alice, project_a):
    indicator = add(alice, project_a)
    type(project_a).objects.filter(pk=project_a.pk).update(targets_locked=True)
    project_a.refresh_from_db()
    return indicator


def test_locked_targets_refuse_a_new_indicator(alice, project_a, locked):
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        add(alice, project_a, name="新指标")
    assert excinfo.value.messages == [INDICATOR_LOCKED]
    assert snapshot() == before


def test_locked_targets_refuse_a_change(alice, locked):
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        indicator_update(user=alice, indicator=locked, level1="产出指标", name="改", value="1")
    assert excinfo.value.messages == [INDICATOR_LOCKED]
    assert snapshot() == before


def test_locked_targets_refuse_a_deletion(alice, locked):
    with pytest.raises(ValidationError) as excinfo:
        indicator_delete(user=alice, indicator=locked)
    assert excinfo.value.messages == ["该项目的绩效自评已提交，绩效目标已锁定，不能修改"]
    assert Indicator.objects.filter(pk=locked.pk).exists()


def test_the_lock_is_read_from_the_database_not_from_a_stale_object(alice, project_a):
    stale = type(project_a).objects.get(pk=project_a.pk)
    type(project_a).objects.filter(pk=project_a.pk).update(targets_locked=True)
    with pytest.raises(ValidationError):
        add(alice, stale)


# --- updating and deleting ---------------------------------------------------------------------


def test_an_update_reparses_the_value_and_keeps_the_position(alice, project_a):
    indicator = add(alice, project_a)
    position = indicator.position
    indicator_update(
        user=alice, indicator=indicator, level1="产出指标", name="印刷告知书", value="≤20万册"
    )
    indicator.refresh_from_db()
    assert (indicator.raw, indicator.comparator, indicator.value, indicator.unit) == (
        "≤20万册",
        "<=",
        "20",
        "万册",
    )
    assert indicator.position == position


def test_an_update_to_a_name_already_used_in_the_group_is_refused(alice, project_a):
    add(alice, project_a, name="甲")
    second = add(alice, project_a, name="乙")
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        indicator_update(user=alice, indicator=second, level1="产出指标", name="甲", value="1")
    assert field_errors(excinfo) == {
        "name": [INDICATOR_DUPLICATE.format(level1="产出指标", name="甲")]
    }
    assert snapshot() == before


def test_bob_cannot_change_or_delete_alices_indicator(alice, bob, project_a):
    indicator = add(alice, project_a)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        indicator_update(user=bob, indicator=indicator, level1="产出指标", name="改", value="1")
    with pytest.raises(PermissionDenied):
        indicator_delete(user=bob, indicator=indicator)
    assert snapshot() == before


def test_a_deletion_is_kept_in_the_history_with_who_deleted(alice, project_a):
    indicator = add(alice, project_a)
    pk = indicator.pk
    indicator_delete(user=alice, indicator=indicator)
    assert not Indicator.objects.filter(pk=pk).exists()
    last = Indicator.history.filter(id=pk).order_by("-history_date").first()
    assert (last.history_type, last.history_user) == ("-", alice)


# --- the indicator library ---------------------------------------------------------------------


@pytest.fixture
def library(db):
    return [
        IndicatorTemplate.objects.create(
            level1="满意度指标",
            name="参保群众满意度",
            typical_value="≥95%",
            unit="%",
            usage_count=9,
        ),
        IndicatorTemplate.objects.create(
            level1="满意度指标",
            name="受训学员满意度",
            typical_value="≥95%",
            unit="%",
            usage_count=2,
        ),
        IndicatorTemplate.objects.create(
            level1="产出指标", name="培训场次", typical_value="≥10场", unit="场", usage_count=1
        ),
    ]


def test_the_library_search_matches_every_word_most_used_first(library):
    assert [t.name for t in template_search(query="满意度")] == ["参保群众满意度", "受训学员满意度"]
    assert [t.name for t in template_search(query="满意度 学员")] == ["受训学员满意度"]
    assert [t.name for t in template_search(query="培训", level1="产出")] == ["培训场次"]
    assert template_search(query="培训", level1="满意度指标") == []


def test_an_empty_search_offers_the_most_used_of_the_group_or_nothing(library):
    assert [t.name for t in template_search(query="", level1="满意度指标")] == [
        "参保群众满意度",
        "受训学员满意度",
    ]
    assert template_search(query="  ") == []


def test_seeding_builds_one_entry_per_group_and_name_from_the_indicators(project_a, project_b):
    make_indicator(project_a, "满意度指标", "参保人员满意度", "≥95%")
    make_indicator(project_b, "满意度指标", "参保人员满意度", "≥95%", level2="服务对象满意度指标")
    other = ProjectFactory(unit=project_b.unit)
    make_indicator(other, "满意度指标", "参保人员满意度", "≥90%")
    make_indicator(project_a, "产出指标", "参保人员满意度", "100%")
    result = indicator_library_seed_from_indicators()
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    entry = IndicatorTemplate.objects.get(level1="满意度指标", name="参保人员满意度")
    assert (entry.typical_value, entry.unit, entry.usage_count, entry.level2) == (
        "≥95%",
        "%",
        3,
        "服务对象满意度指标",
    )
    assert IndicatorTemplate.objects.get(level1="产出指标").usage_count == 1


def test_seeding_twice_changes_nothing_and_keeps_the_admins_descriptions(project_a):
    make_indicator(project_a, "产出指标", "培训场次", "≥10场")
    indicator_library_seed_from_indicators()
    IndicatorTemplate.objects.update(description="每年培训的场次")
    again = indicator_library_seed_from_indicators()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    make_indicator(ProjectFactory(unit=project_a.unit), "产出指标", "培训场次", "≥12场")
    third = indicator_library_seed_from_indicators()
    assert (third.created, third.updated) == (0, 1)
    entry = IndicatorTemplate.objects.get()
    assert (entry.usage_count, entry.description) == (2, "每年培训的场次")


def test_seeding_from_the_sample_workbooks_offers_every_indicator_in_them(db):
    for path in sorted(SAMPLES.glob("*.xlsx")):
        assert run_import(path).ok
    indicator_library_seed_from_indicators()
    names = set(Indicator.objects.values_list("level1", "name"))
    assert set(IndicatorTemplate.objects.values_list("level1", "name")) == names
    satisfaction = IndicatorTemplate.objects.get(level1="满意度指标", name="直接服务对象满意度")
    assert (satisfaction.typical_value, satisfaction.unit, satisfaction.usage_count) == (
        "≥95%",
        "%",
        2,
    )


def test_the_command_seeds_the_library_and_says_what_it_did(project_a):
    make_indicator(project_a, "产出指标", "培训场次", "≥10场")
    out = StringIO()
    call_command("seed_indicator_library", stdout=out)
    assert out.getvalue().strip() == "指标库：新增1个，更新0个，未变0个"
    assert IndicatorTemplate.objects.count() == 1


def test_complete_targets_pass_review(project_a):
    complete_targets(project_a)
    projects = type(project_a).objects.filter(pk=project_a.pk)
    indicators = indicators_by_project(projects)
    assert project_reviews(projects, YEAR_END, indicators=indicators)[project_a.pk].passed
