"""The pure rules on 区划 codes (GB/T 2260): levels, parents, names and who covers what."""

from __future__ import annotations

import pytest

from budgets.divisions import (
    CITY,
    COUNTY,
    PROVINCE,
    ancestors,
    covers,
    is_code,
    level_of,
    official_name,
    parent_code,
    project_code_division,
    split_department_ref,
    subtree_prefix,
)


@pytest.mark.parametrize("text", ["410702", "410000", "110101", "419001"])
def test_six_digits_with_a_province_part_are_a_code(text):
    assert is_code(text)


@pytest.mark.parametrize(
    "text", ["", "41070", "4107020", "41070a", "000000", "001234", "４１０７０２"]
)
def test_anything_else_is_not_a_code(text):
    assert not is_code(text)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("410000", PROVINCE),  # 河南省
        ("110000", PROVINCE),  # 北京市, a 直辖市, is a province
        ("410700", CITY),  # 新乡市
        ("410702", COUNTY),  # 红旗区
        ("411323", COUNTY),  # 西峡县
        ("110101", COUNTY),  # 东城区 of 北京市
        ("419001", COUNTY),  # 济源市, 省直辖
    ],
)
def test_the_level_follows_from_the_code(code, level):
    assert level_of(code) == level


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("410702", "410700"),
        ("411323", "411300"),
        ("410700", "410000"),
        ("410000", None),
        # A 直辖市's district: 110100 is not in GB/T 2260, so it hangs under 北京市 itself.
        ("110101", "110000"),
        ("500229", "500000"),
        # 省直辖县级 divisions hang under their province.
        ("419001", "410000"),
        ("469001", "460000"),
    ],
)
def test_the_parent_is_the_division_directly_above_as_gbt_2260_nests_them(code, parent):
    assert parent_code(code) == parent


def test_ancestors_run_from_the_nearest_up_to_the_province():
    assert ancestors("410702") == ["410700", "410000"]
    assert ancestors("410700") == ["410000"]
    assert ancestors("410000") == []
    assert ancestors("110101") == ["110000"]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("410000", "河南省"),
        ("410700", "新乡市"),
        ("410702", "红旗区"),
        ("411323", "西峡县"),
        ("110101", "东城区"),
        ("419001", "济源市"),
    ],
)
def test_names_come_from_the_gbt_2260_data(code, name):
    assert official_name(code) == name


def test_a_code_the_data_does_not_hold_is_named_by_its_number():
    assert official_name("410799") == "区划410799"
    assert official_name("999999") == "区划999999"


@pytest.mark.parametrize(
    ("code", "prefix"), [("410000", "41"), ("410700", "4107"), ("410702", "410702")]
)
def test_the_subtree_of_a_division_is_a_code_prefix(code, prefix):
    assert subtree_prefix(code) == prefix


def test_a_bureau_covers_its_own_division_with_or_without_subordinates():
    for code in ("410000", "410700", "410702"):
        assert covers(code, False, code)
        assert covers(code, True, code)


def test_without_subordinates_a_bureau_covers_nothing_below():
    assert not covers("410700", False, "410702")
    assert not covers("410000", False, "410700")


def test_with_subordinates_a_bureau_covers_every_division_below_at_any_depth():
    assert covers("410700", True, "410702")
    assert covers("410700", True, "410703")
    assert covers("410000", True, "410700")
    assert covers("410000", True, "410702")
    assert covers("410000", True, "411323")
    assert covers("410000", True, "419001")
    assert covers("110000", True, "110101")


def test_a_bureau_never_covers_a_sibling_or_a_division_above():
    assert not covers("410702", True, "410703")  # sibling county
    assert not covers("410700", True, "411300")  # sibling city
    assert not covers("410700", True, "411323")  # a county of the sibling city
    assert not covers("410000", True, "420100")  # another province
    assert not covers("410702", True, "410700")  # above
    assert not covers("410700", True, "410000")


def test_a_project_code_names_its_division_by_its_first_six_digits():
    assert project_code_division("410702220000000012237") == "410702"
    assert project_code_division("309-A1") is None
    assert project_code_division("000000123") is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("410702/060", ("410702", "060")),
        (" 411323 / 060 ", ("411323", "060")),
        ("060", (None, "060")),
        (" 309 ", (None, "309")),
    ],
)
def test_a_department_reference_is_a_code_optionally_after_its_division(text, parts):
    assert split_department_ref(text) == parts
