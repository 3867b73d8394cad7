"""The indicator value grammar (spec/indicator-values.md), tested without a database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from performance.choices import LEVEL1_OUTPUT, LEVEL1_SATISFACTION
from performance.values import (
    ACTUAL_BAD_DATE,
    ACTUAL_EMPTY,
    ACTUAL_NEEDS_DATE,
    ACTUAL_NEEDS_NUMBER,
    ACTUAL_NEEDS_TIER,
    ACTUAL_NUMBER_TOO_LARGE,
    ACTUAL_RELATIVE_NEEDS,
    ACTUAL_SATISFACTION_OVER_100,
    ACTUAL_TIER_OUT_OF_BAND,
    ACTUAL_TOO_LONG,
    ACTUAL_UNIT_MISMATCH,
    DEADLINE,
    QUALITATIVE,
    QUANTITATIVE,
    RELATIVE,
    VALUE_EMPTY,
    VALUE_NEGATIVE_BOUND,
    VALUE_NUMBER_TOO_LARGE,
    VALUE_TOO_LONG,
    ActualValue,
    TargetValue,
    ValueError_,
    convert,
    describe_target,
    excel_cell_text,
    format_decimal,
    normalize,
    parse_actual,
    parse_target,
    target_to_contract,
)

YEAR = 2024
SAMPLES = Path(__file__).resolve().parents[2] / "demo"  # the sample workbooks `make run` loads


def contract(text: str, year: int = YEAR) -> dict[str, str | None]:
    return target_to_contract(parse_target(text, year))


def meaning(text: str, year: int = YEAR) -> dict[str, str | None]:
    """The contract without `raw`: what a text means, whatever its spelling."""
    result = contract(text, year)
    del result["raw"]
    return result


def quantitative(comparator: str, value: str, unit: str, upper: str | None = None) -> dict:
    return {
        "kind": QUANTITATIVE,
        "comparator": comparator,
        "value": value,
        "upper": upper,
        "unit": unit,
    }


def deadline(day: str) -> dict:
    return {"kind": DEADLINE, "comparator": "<=", "value": day, "upper": None, "unit": None}


def relative(comparator: str) -> dict:
    return {"kind": RELATIVE, "comparator": comparator, "value": None, "upper": None, "unit": None}


QUALITATIVE_MEANING = {
    "kind": QUALITATIVE,
    "comparator": None,
    "value": None,
    "upper": None,
    "unit": None,
}

# Every example of the spec's grammar table, row by row.
SPEC_TABLE = [
    ("≥95%", quantitative(">=", "95", "%")),
    ("≤5万元", quantitative("<=", "5", "万元")),
    ("≥10次", quantitative(">=", "10", "次")),
    ("≥37万", quantitative(">=", "37", "万")),
    ("≥11500人次", quantitative(">=", "11500", "人次")),
    ("≤480万人", quantitative("<=", "480", "万人")),
    ("1050元", quantitative("=", "1050", "元")),
    ("100%", quantitative("=", "100", "%")),
    ("1人", quantitative("=", "1", "人")),
    ("1年", quantitative("=", "1", "年")),
    ("15万册", quantitative("=", "15", "万册")),
    ("≤1小时", quantitative("<=", "1", "小时")),
    (">=90%", quantitative(">=", "90", "%")),
    ("不低于90%", quantitative(">=", "90", "%")),
    ("不少于90%", quantitative(">=", "90", "%")),
    ("大于等于90%", quantitative(">=", "90", "%")),
    ("<=10%", quantitative("<=", "10", "%")),
    ("不高于10%", quantitative("<=", "10", "%")),
    ("不超过10%", quantitative("<=", "10", "%")),
    ("小于等于10%", quantitative("<=", "10", "%")),
    (">90%", quantitative(">", "90", "%")),
    ("高于90%", quantitative(">", "90", "%")),
    ("大于90%", quantitative(">", "90", "%")),
    ("超过90%", quantitative(">", "90", "%")),
    ("<10%", quantitative("<", "10", "%")),
    ("低于10%", quantitative("<", "10", "%")),
    ("小于10%", quantitative("<", "10", "%")),
    ("60-80人", quantitative("range", "60", "人", upper="80")),
    ("60～80人", quantitative("range", "60", "人", upper="80")),
    ("60~80人", quantitative("range", "60", "人", upper="80")),
    ("60至80人", quantitative("range", "60", "人", upper="80")),
    ("12月31日前", deadline("2024-12-31")),
    ("12月31日之前", deadline("2024-12-31")),
    ("12月底前", deadline("2024-12-31")),
    ("2024年6月30日前", deadline("2024-06-30")),
    ("不低于上年", relative(">=")),
    ("不低于上年度", relative(">=")),
    ("高于上年", relative(">")),
    ("低于上年", relative("<")),
    ("及时", QUALITATIVE_MEANING),
    ("明显提升", QUALITATIVE_MEANING),
    ("健全", QUALITATIVE_MEANING),
    ("有效缓解", QUALITATIVE_MEANING),
    ("全覆盖", QUALITATIVE_MEANING),
    ("全部", QUALITATIVE_MEANING),
    ("每年", QUALITATIVE_MEANING),
    ("通过", QUALITATIVE_MEANING),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_TABLE)
def test_every_example_of_the_spec_table_has_its_documented_meaning(text, expected):
    assert contract(text) == {"raw": text, **expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Line breaks and spaces from PDF extraction, as in the spec's normalisation rule.
        ("≤1433.6万\n元", quantitative("<=", "1433.6", "万元")),
        ("≤1300 万元", quantitative("<=", "1300", "万元")),
        ("≥1650万元", quantitative(">=", "1650", "万元")),
        ("380元", quantitative("=", "380", "元")),
        ("≥69种", quantitative(">=", "69", "种")),
        ("≤50.55万元", quantitative("<=", "50.55", "万元")),
        ("10000册", quantitative("=", "10000", "册")),
        ("157609.01", quantitative("=", "157609.01", "")),
        ("0.3", quantitative("=", "0.3", "")),
        ("95", quantitative("=", "95", "")),
        ("95.0%", quantitative("=", "95.0", "%")),
        ("2,640", quantitative("=", "2640", "")),
        ("≤2,640.5万元", quantitative("<=", "2640.5", "万元")),
        ("-5%", quantitative("=", "-5", "%")),
        ("≥0%", quantitative(">=", "0", "%")),
        ("3个工作日内完成", quantitative("=", "3", "个工作日内完成")),
        ("1小时内", quantitative("=", "1", "小时内")),
        ("60%-80%", quantitative("range", "60", "%", upper="80")),
        ("60到80人", quantitative("range", "60", "人", upper="80")),
        ("60—80人", quantitative("range", "60", "人", upper="80")),
        ("1.5-2.5万元", quantitative("range", "1.5", "万元", upper="2.5")),
        ("80-60人", quantitative("range", "60", "人", upper="80")),
        ("90%以上", quantitative(">=", "90", "%")),
        ("90%及以上", quantitative(">=", "90", "%")),
        ("5万元以内", quantitative("<=", "5", "万元")),
        ("10%以下", quantitative("<=", "10", "%")),
        ("≥90%以上", quantitative(">=", "90", "%")),
        ("不小于90%", quantitative(">=", "90", "%")),
        ("不大于10%", quantitative("<=", "10", "%")),
        ("等于100%", quantitative("=", "100", "%")),
        ("=100%", quantitative("=", "100", "%")),
        ("≥95%。", quantitative(">=", "95", "%")),
    ],
)
def test_real_world_values_and_traps_have_the_expected_meaning(text, expected):
    assert meaning(text) == expected


@pytest.mark.parametrize(
    ("text", "year", "day"),
    [
        ("12月31日前", 2023, "2023-12-31"),
        ("12月底前", 2025, "2025-12-31"),
        ("2月底前", 2024, "2024-02-29"),
        ("2月底前", 2023, "2023-02-28"),
        ("6月底之前", 2024, "2024-06-30"),
        ("9月30日以前", 2024, "2024-09-30"),
        ("12月31日前完成", 2024, "2024-12-31"),
        ("2025年3月31日前", 2024, "2025-03-31"),
        ("2024-12-31前", 2024, "2024-12-31"),
        ("2024/6/30前", 2024, "2024-06-30"),
        ("年底前", 2024, "2024-12-31"),
        ("2024年底前完成", 2023, "2024-12-31"),
        ("12月前", 2024, "2024-12-31"),
        ("11月份前", 2024, "2024-11-30"),
        ("12月31日", 2024, "2024-12-31"),
        ("截至6月30日", 2024, "2024-06-30"),
    ],
)
def test_a_deadline_reads_its_date_with_the_fiscal_year_when_missing(text, year, day):
    assert meaning(text, year) == deadline(day)


def test_a_date_that_does_not_exist_is_judged_by_a_person():
    assert meaning("2月30日前") == QUALITATIVE_MEANING
    assert meaning("13月底前") == QUALITATIVE_MEANING


def test_a_bare_month_count_is_a_quantity_not_a_deadline():
    assert meaning("12月") == quantitative("=", "12", "月")


@pytest.mark.parametrize(
    ("text", "comparator"),
    [
        ("不少于上年", ">="),
        ("≥上年", ">="),
        ("不低于上年水平", ">="),
        ("不低于上年同期", ">="),
        ("不低于去年", ">="),
        ("不高于上年", "<="),
        ("不超过上年度", "<="),
        ("超过上年", ">"),
        ("少于上年", "<"),
        ("等于上年", "="),
        ("与上年持平", "="),
        ("较上年有所提高", ">"),
        ("比上年下降", "<"),
    ],
)
def test_a_comparison_with_last_year_is_relative(text, comparator):
    assert meaning(text) == relative(comparator)


@pytest.mark.parametrize(
    "text",
    [
        "约95%",
        "达到95%",
        "明显提高",
        "安全",
        "有效保障",
        "满足",
        "提高工作效率",
        "第1名",
        "95%、100%",
        "1,2",
        "—",
        "-",
        "/",
        "较上年提高5%",
        "60人-80次",
        "全年12次",
    ],
)
def test_anything_else_is_qualitative_and_never_an_error(text):
    assert meaning(text) == QUALITATIVE_MEANING


def test_raw_keeps_the_text_exactly_as_written():
    assert parse_target(" ≤1433.6万\n元 ", YEAR).raw == " ≤1433.6万\n元 "


def test_decimals_are_kept_exactly_as_written_never_through_float():
    target = parse_target("≤0.1万元", YEAR)
    assert target.value == Decimal("0.1")
    assert str(target.value) == "0.1"
    assert parse_target("95", YEAR).value.as_tuple() == Decimal("95").as_tuple()


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u3000", "\xa0 \u200b"])
def test_an_empty_value_is_an_error(text):
    with pytest.raises(ValueError_) as caught:
        parse_target(text, YEAR)
    assert caught.value.message == VALUE_EMPTY == "指标值不能为空"


def test_a_value_longer_than_500_characters_is_an_error():
    assert parse_target("好" * 500, YEAR).kind == QUALITATIVE
    with pytest.raises(ValueError_) as caught:
        parse_target("好" * 501, YEAR)
    assert caught.value.message == VALUE_TOO_LONG == "指标值过长（最多500个字符）"


def target_error(text: str) -> str:
    with pytest.raises(ValueError_) as caught:
        parse_target(text, YEAR)
    return caught.value.message


@pytest.mark.parametrize(
    "text", ["≤-1万元", "≥-5%", "不低于-3人", "< -0.5", "=-1", "-1万元以内", "-10%以上"]
)
def test_a_comparator_followed_by_a_negative_number_is_an_error(text):
    assert target_error(text) == VALUE_NEGATIVE_BOUND.format(raw=text)
    assert VALUE_NEGATIVE_BOUND.format(raw="≤-1万元") == (
        "指标值“≤-1万元”有误：带比较（≥、≤、以上、以内等）的数字不能为负数"
    )


def test_a_bare_negative_number_is_still_a_quantity():
    assert meaning("-5%") == quantitative("=", "-5", "%")
    assert meaning("≤-0万元") == quantitative("<=", "-0", "万元")


@pytest.mark.parametrize(
    "text",
    [
        "1" * 13,
        "≤" + "9" * 30 + "万元",
        "1,000,000,000,000元",
        "≥1000000000000.5%",
        "1-" + "9" * 13 + "人",
        "9" * 13 + "至1人",
    ],
)
def test_a_number_of_more_than_12_integer_digits_is_an_error(text):
    assert target_error(text) == VALUE_NUMBER_TOO_LARGE.format(raw=text)
    assert VALUE_NUMBER_TOO_LARGE.format(raw="1") == "指标值“1”中的数字过大（整数部分最多12位）"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("≤999999999999.999999万元", "999999999999.999999"),
        ("000000000000001人", "1"),
        ("0.000000000000001", "0.000000000000001"),
    ],
)
def test_twelve_integer_digits_and_leading_zeros_are_fine(text, value):
    assert meaning(text)["value"] == value


@pytest.mark.parametrize("text", ["0000-12-31前", "0000年12月31日前"])
def test_a_deadline_in_the_year_0000_is_judged_by_a_person_not_a_crash(text):
    assert parse_target(text, YEAR).kind == QUALITATIVE


# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("≥ 95 %", "≥95%"),
        ("≤1433.6万\n元", "≤1433.6万元"),
        ("１００％", "100%"),
        ("＞９０％", ">90%"),
        ("＜１０％", "<10%"),
        ("＝１００％", "=100%"),
        ("≧９５％", "≥95%"),
        ("≦１０％", "≤10%"),
        (">=90%", "≥90%"),
        ("<= 10%", "≤10%"),
        ("＞＝90%", "≥90%"),
        ("６０～８０人", "60~80人"),
        ("１．５", "1.5"),
        ("（含）：", "(含):"),
        ("2，640", "2,640"),
        ("\u3000≥95%\xa0\r\n", "≥95%"),
    ],
)
def test_normalize_removes_whitespace_and_folds_full_width_forms(text, expected):
    assert normalize(text) == expected


WHITESPACE = st.sampled_from([" ", "\n", "\r\n", "\t", "\u3000", "\xa0", "  "])
ALL_EXAMPLES = [text for text, _ in SPEC_TABLE] + ["≤1433.6万元", "2,640", "0.3", "1.5-2.5万元"]


@given(data=st.data(), text=st.sampled_from(ALL_EXAMPLES))
def test_whitespace_and_line_breaks_anywhere_do_not_change_the_meaning(data, text):
    pieces = []
    for char in text:
        pieces.append(char)
        pieces.extend(data.draw(st.lists(WHITESPACE, max_size=2)))
    spaced = data.draw(st.lists(WHITESPACE, max_size=2))
    noisy = "".join(spaced) + "".join(pieces)
    assert meaning(noisy) == meaning(text)


FULL_WIDTH = {chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)}
FULL_WIDTH.update({"≥": "≧", "≤": "≦"})


@given(data=st.data(), text=st.sampled_from(ALL_EXAMPLES))
def test_full_width_forms_do_not_change_the_meaning(data, text):
    wide = "".join(
        FULL_WIDTH[char] if char in FULL_WIDTH and data.draw(st.booleans()) else char
        for char in text
    )
    assert meaning(wide) == meaning(text)


@given(
    number=st.decimals(
        min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=3, allow_nan=False
    ),
    unit=st.sampled_from(["", "%", "万元", "元", "人次", "万人", "小时", "个"]),
    comparator=st.sampled_from([("≥", ">="), ("≤", "<="), (">", ">"), ("<", "<"), ("", "=")]),
)
def test_any_number_with_a_unit_reads_back_exactly(number, unit, comparator):
    written, expected = comparator
    # A comparator followed by a negative number is an error; a bare negative number is not.
    number = abs(number) if written else number
    text = f"{written}{format_decimal(number)}{unit}"
    target = parse_target(text, YEAR)
    assert target.kind == QUANTITATIVE
    assert target.comparator == expected
    assert target.value == number
    assert target.unit == unit


# --- the sample workbooks ------------------------------------------------------------------


def sample_targets() -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted(SAMPLES.glob("*.xlsx")):
        sheet = openpyxl.load_workbook(path, read_only=True)["绩效指标"]
        header, *body = sheet.iter_rows(values_only=True)
        column = [str(cell).strip() for cell in header].index("指标值")
        rows.extend((path.name, str(row[column]), row[1]) for row in body if row[column])
    return rows


def test_the_sample_workbooks_hold_indicator_values():
    assert len(sample_targets()) == 90


@pytest.mark.parametrize(("workbook", "text", "level1"), sample_targets())
def test_every_value_in_the_sample_workbooks_parses(workbook, text, level1):
    target = parse_target(text, YEAR)
    assert target.raw == text
    assert describe_target(target)


KNOWN_SAMPLE_KINDS = {
    "≤50.55万元": quantitative("<=", "50.55", "万元"),
    "≤480万人": quantitative("<=", "480", "万人"),
    "15万页": quantitative("=", "15", "万页"),
    "≥1650万元": quantitative(">=", "1650", "万元"),
    "1050元": quantitative("=", "1050", "元"),
    "≥37万": quantitative(">=", "37", "万"),
    "≤265人": quantitative("<=", "265", "人"),
    "≥10场": quantitative(">=", "10", "场"),
    "≤2天": quantitative("<=", "2", "天"),
    "满足": QUALITATIVE_MEANING,
    "有效保障": QUALITATIVE_MEANING,
    "有效提高": QUALITATIVE_MEANING,
    "明显提高": QUALITATIVE_MEANING,
    "安全": QUALITATIVE_MEANING,
    "增强": QUALITATIVE_MEANING,
    "提高工作效率": QUALITATIVE_MEANING,
}


def test_known_sample_values_get_the_expected_meaning():
    seen = {text for _, text, _ in sample_targets()}
    assert set(KNOWN_SAMPLE_KINDS) <= seen
    for text, expected in KNOWN_SAMPLE_KINDS.items():
        assert meaning(text) == expected, text


def test_the_sample_workbooks_have_only_these_qualitative_values():
    qualitative = {
        text for _, text, _ in sample_targets() if parse_target(text, YEAR).kind == QUALITATIVE
    }
    assert qualitative == {
        "满足",
        "有效保障",
        "有效提高",
        "及时",
        "明显提升",
        "健全",
        "明显提高",
        "安全",
        "通过",
        "有效缓解",
        "全部",
        "增强",
        "提高工作效率",
    }


# --- contract and description --------------------------------------------------------------


def test_the_contract_writes_decimals_as_plain_strings_and_dates_as_iso():
    assert contract("157609.01") == {
        "raw": "157609.01",
        "kind": QUANTITATIVE,
        "comparator": "=",
        "value": "157609.01",
        "upper": None,
        "unit": "",
    }
    assert contract("12月底前")["value"] == "2024-12-31"
    handmade = TargetValue("x", QUANTITATIVE, ">=", Decimal("1E+3"), Decimal("2E+3"), "人")
    assert target_to_contract(handmade)["value"] == "1000"
    assert target_to_contract(handmade)["upper"] == "2000"


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("≥95%", "定量 · ≥ 95 %"),
        ("≤1433.6万元", "定量 · ≤ 1433.6 万元"),
        ("1050元", "定量 · = 1050 元"),
        ("2,640", "定量 · = 2640"),
        ("<10%", "定量 · < 10 %"),
        ("60-80人", "定量 · 60 至 80 人"),
        ("12月底前", "时限 · 2024-12-31 前完成"),
        ("不低于上年", "与上年比较 · 不低于上年"),
        ("高于上年", "与上年比较 · 高于上年"),
        ("与上年持平", "与上年比较 · 与上年持平"),
        ("明显提升", "定性，评价时人工判定"),
    ],
)
def test_describe_target_reads_a_target_in_short_chinese(text, description):
    assert describe_target(parse_target(text, YEAR)) == description


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (Decimal("95"), "95"),
        (Decimal("0.3"), "0.3"),
        (Decimal("0.30"), "0.30"),
        (Decimal("157609.01"), "157609.01"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.380E+7"), "13800000"),
        (Decimal("-5"), "-5"),
    ],
)
def test_format_decimal_writes_plain_digits_without_exponent(number, text):
    assert format_decimal(number) == text


# --- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "from_unit", "to_unit", "expected"),
    [
        ("1380", "万元", "元", "13800000"),
        ("15", "元", "万元", "0.0015"),
        ("1.5", "万人", "人", "15000"),
        ("37", "万", "", "370000"),
        ("380000", "", "万", "38"),
        ("1", "亿元", "万元", "10000"),
        ("12000", "人次", "万人次", "1.2"),
        ("2", "日", "天", "2"),
        ("96", "%", "%", "96"),
    ],
)
def test_convert_changes_magnitude_exactly(number, from_unit, to_unit, expected):
    assert convert(Decimal(number), from_unit, to_unit) == Decimal(expected)
    assert format_decimal(convert(Decimal(number), from_unit, to_unit)) == expected


@pytest.mark.parametrize(
    ("from_unit", "to_unit"), [("%", ""), ("元", "人"), ("万人", "万元"), ("小时", "分钟")]
)
def test_convert_refuses_units_of_different_things(from_unit, to_unit):
    assert convert(Decimal(1), from_unit, to_unit) is None


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (None, "General", ""),
        ("≥95%", "General", "≥95%"),
        (1, "0%", "100%"),
        (0.96, "0.00%", "96%"),
        (0.3, "General", "0.3"),
        (2640, "#,##0.00", "2640"),
        (Decimal("50.55"), "General", "50.55"),
        (date(2024, 12, 20), "yyyy-mm-dd", "2024-12-20"),
        (datetime(2024, 12, 20, 0, 0), "yyyy-mm-dd", "2024-12-20"),
    ],
)
def test_excel_cell_text_gives_the_text_a_person_sees(value, number_format, text):
    assert excel_cell_text(value, number_format) == text


# --- actual values -------------------------------------------------------------------------


def target(text: str) -> TargetValue:
    return parse_target(text, YEAR)


def actual(text, written_target: str, level1: str | None = LEVEL1_OUTPUT) -> ActualValue:
    return parse_actual(text, target(written_target), year=YEAR, level1=level1)


def error_of(text, written_target: str, level1: str | None = LEVEL1_OUTPUT) -> str:
    with pytest.raises(ValueError_) as caught:
        actual(text, written_target, level1)
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "written_target", "number", "unit"),
    [
        ("96%", "≥95%", "96", "%"),
        ("96", "≥95%", "96", "%"),
        ("96 ％", "≥95%", "96", "%"),
        ("1380万元", "≤1433.6万元", "1380", "万元"),
        ("13800000元", "≤1433.6万元", "1380", "万元"),
        ("2,640", "≤2640万元", "2640", "万元"),
        ("0.105万元", "1050元", "1050", "元"),
        ("38万人", "≥37万", None, None),
        ("38", "≥37万", "38", "万"),  # no unit written: the target's
        ("38万", "≥37万", "38", "万"),
        ("12", "≥10次", "12", "次"),
        ("70人", "60-80人", "70", "人"),
        ("2日", "≤2天", "2", "天"),
        ("-3%", "≤10%", "-3", "%"),
    ],
)
def test_a_quantitative_actual_is_a_number_in_the_targets_unit(text, written_target, number, unit):
    if number is None:
        assert error_of(text, written_target) == ACTUAL_UNIT_MISMATCH.format(
            unit="万人", target_unit="万"
        )
        return
    value = actual(text, written_target)
    assert value == ActualValue(raw=text, number=Decimal(number), unit=unit)


@pytest.mark.parametrize(
    ("cell", "number"),
    [(96, "96"), (0.3, "0.3"), (95.5, "95.5"), (Decimal("96.00"), "96.00")],
)
def test_an_excel_number_is_read_exactly_in_the_targets_unit(cell, number):
    value = actual(cell, "≥95%")
    assert value.number == Decimal(number)
    assert str(value.number) == number
    assert value.unit == "%"


def test_a_quantitative_actual_in_another_kind_of_unit_is_an_error():
    assert error_of("96人", "≥95%") == ("实际完成值的单位“人”与指标值的单位“%”不同，且无法换算")


@pytest.mark.parametrize("text", ["达成", "完成", "约96%", "≥96%", "96%、97%"])
def test_a_quantitative_actual_must_be_a_number(text):
    assert error_of(text, "≥95%") == ACTUAL_NEEDS_NUMBER.format(example="95%", raw=text)


def test_the_number_needed_message_shows_an_example_in_the_targets_unit():
    assert error_of("很多", "≤1433.6万元") == (
        "定量指标的实际完成值应为数字（如“1433.6万元”），不能是“很多”"
    )


def test_a_date_is_not_a_quantitative_actual():
    assert error_of(date(2024, 12, 20), "≥95%") == ACTUAL_NEEDS_NUMBER.format(
        example="95%", raw="2024-12-20"
    )


def test_a_satisfaction_above_100_percent_is_rejected():
    assert error_of("120%", "≥95%", LEVEL1_SATISFACTION) == "满意度不能超过100%，不能是“120%”"
    assert error_of(120, "≥95%", LEVEL1_SATISFACTION) == ACTUAL_SATISFACTION_OVER_100.format(
        raw="120"
    )
    assert actual("100%", "≥95%", LEVEL1_SATISFACTION).number == Decimal(100)


def test_an_output_above_100_percent_is_accepted():
    assert actual("120%", "≥95%").number == Decimal(120)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-12-20", date(2024, 12, 20)),
        ("2024/12/20", date(2024, 12, 20)),
        ("2024.12.20", date(2024, 12, 20)),
        ("2024年12月20日", date(2024, 12, 20)),
        ("12月20日", date(2024, 12, 20)),
        ("１２月２０日", date(2024, 12, 20)),
        ("2025年1月5日", date(2025, 1, 5)),
        ("2024-12-20 00:00:00", date(2024, 12, 20)),
        ("12月20日完成", date(2024, 12, 20)),
        (date(2024, 12, 20), date(2024, 12, 20)),
        (datetime(2024, 12, 20, 15, 30), date(2024, 12, 20)),
    ],
)
def test_a_deadline_actual_is_the_day_it_was_finished(text, day):
    value = actual(text, "12月31日前")
    assert value.day == day
    assert value.unfinished is False
    assert value.tier is None


def test_a_deadline_actual_may_say_it_is_not_finished():
    value = actual("未完成", "12月31日前")
    assert value == ActualValue(raw="未完成", day=None, tier=None, unfinished=True)


@pytest.mark.parametrize("text", ["完成", "达成", "96%", "下个月"])
def test_a_deadline_actual_must_be_a_date(text):
    assert error_of(text, "12月31日前") == ACTUAL_NEEDS_DATE.format(raw=text)


def test_a_number_cell_is_not_a_date():
    assert error_of(45646, "12月31日前") == ACTUAL_NEEDS_DATE.format(raw="45646")


def test_a_day_that_does_not_exist_is_an_error():
    assert error_of("2月30日", "12月31日前") == ACTUAL_BAD_DATE.format(raw="2月30日")
    assert error_of("2024-13-01", "12月31日前") == "“2024-13-01”不是有效的日期"


@pytest.mark.parametrize(
    ("text", "tier", "percent"),
    [
        ("达成", "达成", None),
        ("部分达成", "部分达成", None),
        ("未达成", "未达成", None),
        ("达成 90%", "达成", "90"),
        ("达成（90%）", "达成", "90"),
        ("达成(90%)", "达成", "90"),
        ("达成：95%", "达成", "95"),
        ("部分达成 70%", "部分达成", "70"),
        ("部分达成 80%", "部分达成", "80"),
        ("未达成 0%", "未达成", "0"),
        ("未达成 59.5%", "未达成", "59.5"),
        ("达成 100", "达成", "100"),
    ],
)
def test_a_qualitative_actual_is_a_tier_with_an_optional_percentage(text, tier, percent):
    value = actual(text, "明显提升")
    assert value.tier == tier
    assert value.tier_percent == (Decimal(percent) if percent is not None else None)
    assert value.number is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("达成 70%", "“达成”的得分比例应在80%至100%之间，不能是70%"),
        ("部分达成 90%", "“部分达成”的得分比例应在60%至80%之间，不能是90%"),
        ("未达成 61%", "“未达成”的得分比例应在0%至60%之间，不能是61%"),
        ("达成 101%", "“达成”的得分比例应在80%至100%之间，不能是101%"),
    ],
)
def test_a_tier_percentage_outside_its_band_is_an_error(text, message):
    assert error_of(text, "明显提升") == message
    assert message.startswith(ACTUAL_TIER_OUT_OF_BAND.split("{")[0])


@pytest.mark.parametrize("text", ["完成", "基本达成", "96%", "达成了"])
def test_a_qualitative_actual_must_be_a_tier(text):
    assert error_of(text, "明显提升") == ACTUAL_NEEDS_TIER.format(raw=text)


def test_a_number_cell_is_not_a_tier():
    assert error_of(96, "明显提升") == ACTUAL_NEEDS_TIER.format(raw="96")


def test_a_relative_actual_may_be_a_tier():
    assert actual("部分达成", "不低于上年").tier == "部分达成"


@pytest.mark.parametrize(
    ("text", "previous", "number", "unit"),
    [
        ("上年95%，本年97%", "95", "97", "%"),
        ("上年95%,本年97%", "95", "97", "%"),
        ("上年 95% 本年 97%", "95", "97", "%"),
        ("上年度95，本年度97%", "95", "97", "%"),
        ("去年1.2万人；今年13000人", "12000", "13000", "人"),
        ("上年：120次，本年：130次", "120", "130", "次"),
        ("上年120，本年130", "120", "130", ""),
    ],
)
def test_a_relative_actual_may_give_last_years_and_this_years_numbers(text, previous, number, unit):
    value = actual(text, "不低于上年")
    assert value.previous == Decimal(previous)
    assert value.number == Decimal(number)
    assert value.unit == unit
    assert value.tier is None


@pytest.mark.parametrize("text", ["97%", "95→97", "本年97%，上年95%", "提高了"])
def test_a_relative_actual_in_another_shape_is_an_error(text):
    assert error_of(text, "不低于上年") == ACTUAL_RELATIVE_NEEDS.format(raw=text)


def test_a_relative_actual_with_units_that_cannot_be_converted_is_an_error():
    assert error_of("上年95%，本年97人", "不低于上年") == ACTUAL_UNIT_MISMATCH.format(
        unit="%", target_unit="人"
    )


def test_a_relative_satisfaction_above_100_percent_is_rejected():
    assert error_of(
        "上年95%，本年101%", "不低于上年", LEVEL1_SATISFACTION
    ) == ACTUAL_SATISFACTION_OVER_100.format(raw="上年95%，本年101%")


@pytest.mark.parametrize("text", [None, "", "  \n"])
def test_an_empty_actual_is_an_error(text):
    assert error_of(text, "≥95%") == ACTUAL_EMPTY == "实际完成值不能为空"


@pytest.mark.parametrize(
    ("value", "target", "shown"),
    [
        ("9" * 13 + "%", "≥95%", "9" * 13 + "%"),
        ("1,000,000,000,000元", "≤5万元", "1,000,000,000,000元"),
        (1e30, "≥95%", "1" + "0" * 30),
        (Decimal("1e13"), "≥95%", "1" + "0" * 13),
        ("上年1%，本年" + "9" * 13 + "%", "不低于上年", "上年1%，本年" + "9" * 13 + "%"),
    ],
)
def test_an_actual_of_more_than_12_integer_digits_is_an_error(value, target, shown):
    assert error_of(value, target) == ACTUAL_NUMBER_TOO_LARGE.format(raw=shown)
    assert ACTUAL_NUMBER_TOO_LARGE.format(raw="1") == (
        "实际完成值“1”中的数字过大（整数部分最多12位）"
    )


def test_an_actual_of_twelve_integer_digits_is_read():
    actual = parse_actual("999999999999.5万元", parse_target("≤5万元", YEAR), year=YEAR)
    assert actual.number == Decimal("999999999999.5")


def test_a_deadline_actual_in_the_year_0000_is_an_error_not_a_crash():
    assert error_of("0000-12-31", "12月31日前") == ACTUAL_BAD_DATE.format(raw="0000-12-31")


def test_an_actual_longer_than_500_characters_is_an_error():
    assert error_of("达" * 501, "明显提升") == ACTUAL_TOO_LONG == "实际完成值过长（最多500个字符）"
