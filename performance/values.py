"""The indicator value grammar (spec/indicator-values.md): text in, structured meaning out.

Pure functions only: no Django imports, so the rules are testable without a database.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime
from decimal import Decimal, localcontext

from performance.choices import LEVEL1_SATISFACTION

QUANTITATIVE = "quantitative"
DEADLINE = "deadline"
RELATIVE = "relative"
QUALITATIVE = "qualitative"

KIND_LABELS = {
    QUANTITATIVE: "定量",
    DEADLINE: "时限",
    RELATIVE: "与上年比较",
    QUALITATIVE: "定性",
}

TIER_ACHIEVED = "达成"
TIER_PARTIAL = "部分达成"
TIER_MISSED = "未达成"
TIERS = (TIER_ACHIEVED, TIER_PARTIAL, TIER_MISSED)

# The share of an indicator's weight a tier may earn (rates-and-scoring.md), in percent.
TIER_BANDS: dict[str, tuple[Decimal, Decimal]] = {
    TIER_ACHIEVED: (Decimal(80), Decimal(100)),
    TIER_PARTIAL: (Decimal(60), Decimal(80)),
    TIER_MISSED: (Decimal(0), Decimal(60)),
}
# The share a tier earns when no percentage is written.
TIER_DEFAULT_PERCENT: dict[str, Decimal] = {
    TIER_ACHIEVED: Decimal(100),
    TIER_PARTIAL: Decimal(70),
    TIER_MISSED: Decimal(30),
}

GE, LE, GT, LT, EQ, RANGE = ">=", "<=", ">", "<", "=", "range"

MAX_LENGTH = 500
# The largest number a value may hold: 12 digits before the decimal point, as many as an
# amount in 万元 has (budgets.fields). More is a slip of the keyboard, not a target.
MAX_INTEGER_DIGITS = 12

# Messages shown to users. The caller prefixes the location (sheet, row, indicator).
VALUE_EMPTY = "指标值不能为空"
VALUE_TOO_LONG = "指标值过长（最多500个字符）"
VALUE_NEGATIVE_BOUND = "指标值“{raw}”有误：带比较（≥、≤、以上、以内等）的数字不能为负数"
VALUE_NUMBER_TOO_LARGE = "指标值“{raw}”中的数字过大（整数部分最多12位）"
ACTUAL_EMPTY = "实际完成值不能为空"
ACTUAL_TOO_LONG = "实际完成值过长（最多500个字符）"
ACTUAL_NUMBER_TOO_LARGE = "实际完成值“{raw}”中的数字过大（整数部分最多12位）"
ACTUAL_NEEDS_NUMBER = "定量指标的实际完成值应为数字（如“{example}”），不能是“{raw}”"
ACTUAL_UNIT_MISMATCH = "实际完成值的单位“{unit}”与指标值的单位“{target_unit}”不同，且无法换算"
ACTUAL_SATISFACTION_OVER_100 = "满意度不能超过100%，不能是“{raw}”"
ACTUAL_NEEDS_DATE = (
    "时限指标的实际完成值应为完成日期（如“2024-12-20”或“2024年12月20日”）或“未完成”，不能是“{raw}”"
)
ACTUAL_BAD_DATE = "“{raw}”不是有效的日期"
ACTUAL_NEEDS_TIER = (
    "定性指标的实际完成值应为“达成”“部分达成”或“未达成”，"
    "可附得分比例（如“达成 90%”），不能是“{raw}”"
)
ACTUAL_RELATIVE_NEEDS = (
    "与上年比较的指标，实际完成值应为“达成”“部分达成”或“未达成”，"
    "或写出上年和本年的数值（如“上年95%，本年97%”），不能是“{raw}”"
)
ACTUAL_TIER_OUT_OF_BAND = "“{tier}”的得分比例应在{low}%至{high}%之间，不能是{percent}%"


class ValueError_(ValueError):
    """A value that cannot be read; `message` is the Chinese text shown to users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TargetValue:
    """The structured meaning of a target value, as the spec's contract table."""

    raw: str
    kind: str
    comparator: str | None
    value: Decimal | date | None
    upper: Decimal | None
    unit: str | None


@dataclass(frozen=True)
class ActualValue:
    """An actual value as recorded against a target (number, date or tier)."""

    raw: str
    number: Decimal | None = None
    unit: str | None = None
    day: date | None = None
    tier: str | None = None
    # Percentage of the weight a person gave within the tier's band, when written.
    tier_percent: Decimal | None = None
    # For a relative target given as numbers: last year's and this year's values.
    previous: Decimal | None = None
    # A deadline target that is not finished (written 未完成): scores zero.
    unfinished: bool = False


# --- normalisation -------------------------------------------------------------------------

# Zero-width characters are not `\s` in Python but do turn up in pasted PDF text.
_SPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")

_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # full-width ASCII block
_FOLD.update(
    {
        ord("≧"): "≥",
        ord("⩾"): "≥",
        ord("≦"): "≤",
        ord("⩽"): "≤",
        ord("〜"): "~",  # wave dash, often typed for ～
        ord("−"): "-",  # minus sign, from PDFs
        ord("﹪"): "%",
        ord("﹤"): "<",
        ord("﹥"): ">",
        ord("﹦"): "=",
    }
)


def without_spaces(text: str) -> str:
    """The text with every space and line break removed (PDF line breaks, stray spaces), as
    the official tables print a 指标值; the stored value stays as written."""
    return _SPACE_RE.sub("", text)


def normalize(text: str) -> str:
    """Drop all whitespace and fold full-width forms; `>=`/`<=` become `≥`/`≤`.

    Used to read a value, never to store it: `raw` keeps the text as written.
    """
    text = _SPACE_RE.sub("", text).translate(_FOLD)
    for written, symbol in ((">=", "≥"), ("=>", "≥"), ("<=", "≤"), ("=<", "≤")):
        text = text.replace(written, symbol)
    return text


# --- numbers and units ---------------------------------------------------------------------

# Comma-grouped thousands ("2,640") or plain digits, with an optional fraction.
_NUMBER = r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"

# Magnitude prefixes a unit may carry; the rest of the unit is its base ("万元" → "元").
_MAGNITUDES = (("亿", 8), ("千万", 7), ("百万", 6), ("万", 4), ("千", 3))
_UNIT_SYNONYMS = {"日": "天"}

# Sentence punctuation after a number is not part of its unit.
_TRAILING_PUNCTUATION = ".,;!。、"


def _to_decimal(number: str) -> Decimal:
    return Decimal(number.replace(",", ""))


def _too_large(number: Decimal) -> bool:
    """More than MAX_INTEGER_DIGITS digits before the decimal point (leading zeros aside)."""
    return not number.is_finite() or (number != 0 and number.adjusted() >= MAX_INTEGER_DIGITS)


def _check_size(message: str, raw: str, *numbers: Decimal) -> None:
    if any(_too_large(number) for number in numbers):
        raise ValueError_(message.format(raw=raw))


def _plain(number: Decimal) -> Decimal:
    """Give a Decimal a non-positive exponent, so it prints without `E+`."""
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        with localcontext() as ctx:
            ctx.prec = max(28, number.adjusted() + 2)
            return number.quantize(Decimal(1))
    return number


def format_decimal(number: Decimal) -> str:
    """Write a Decimal as plain digits, keeping the places it has: "95", "0.3", "157609.01"."""
    return format(_plain(number), "f")


def _split_unit(unit: str) -> tuple[str, int]:
    for prefix, exponent in _MAGNITUDES:
        if unit.startswith(prefix):
            base = unit[len(prefix) :]
            return _UNIT_SYNONYMS.get(base, base), exponent
    return _UNIT_SYNONYMS.get(unit, unit), 0


def convert(number: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """Express `number` given in `from_unit` in `to_unit`; None when they cannot be converted.

    Only magnitude prefixes convert (万元↔元, 万人↔人, 万↔"", 亿元↔万元, 日↔天), exactly.
    """
    if from_unit == to_unit:
        return number
    from_base, from_exponent = _split_unit(from_unit)
    to_base, to_exponent = _split_unit(to_unit)
    if from_base != to_base:
        return None
    # Trailing zeros from the shift mean nothing: 380000 "" is 38 万, not 38.0000 万.
    return _plain(number.scaleb(from_exponent - to_exponent).normalize())


def _clean_unit(unit: str) -> str:
    return unit.rstrip(_TRAILING_PUNCTUATION)


# --- parsing a target ----------------------------------------------------------------------

# Longest words first, so that 不低于 is not read as 低于.
_PREFIX_WORDS = {
    "大于或等于": GE,
    "小于或等于": LE,
    "大于等于": GE,
    "小于等于": LE,
    "不低于": GE,
    "不少于": GE,
    "不小于": GE,
    "不高于": LE,
    "不超过": LE,
    "不大于": LE,
    "不多于": LE,
    "高于": GT,
    "大于": GT,
    "超过": GT,
    "多于": GT,
    "低于": LT,
    "小于": LT,
    "少于": LT,
    "等于": EQ,
    "≥": GE,
    "≤": LE,
    ">": GT,
    "<": LT,
    "=": EQ,
}
_PREFIX = "|".join(re.escape(w) for w in sorted(_PREFIX_WORDS, key=len, reverse=True))

_QUANTITATIVE_RE = re.compile(rf"(?P<cmp>{_PREFIX})?(?P<num>{_NUMBER})(?P<unit>[^0-9]*)")
_RANGE_RE = re.compile(
    rf"(?P<low>{_NUMBER})(?P<low_unit>[^0-9~至到—–-]*)(?:~|至|到|—|–|-)"
    rf"(?P<high>{_NUMBER})(?P<unit>[^0-9]*)"
)
# "90%以上" means ≥ 90 %, "5万元以内" ≤ 5 万元; "(含)" only stresses that the bound counts.
_SUFFIX_RE = re.compile(r"(?:\(含\))?(?:及|或)?(?P<word>以上|以下|以内)$")
_SUFFIX_WORDS = {"以上": GE, "以下": LE, "以内": LE}
_UPWARD = {GE, GT}
_DOWNWARD = {LE, LT}

_DEADLINE_PREFIX = r"(?:于|在|截至|截止到|截止至|截止)?"
_DEADLINE_SUFFIX = r"(?P<before>前|之前|以前)?(?:全部)?(?:完成)?"
_DEADLINE_RES = (
    # 2024年6月30日前, 12月31日之前, 12月底前
    re.compile(
        _DEADLINE_PREFIX + r"(?:(?P<year>[0-9]{4})年)?(?P<month>[0-9]{1,2})月"
        r"(?:(?P<day>[0-9]{1,2})[日号]|(?P<end>底|末|份))?" + _DEADLINE_SUFFIX
    ),
    # 2024-06-30前, 2024/6/30, 2024.6.30
    re.compile(
        _DEADLINE_PREFIX + r"(?P<year>[0-9]{4})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)"
        r"(?P<day>[0-9]{1,2})日?" + _DEADLINE_SUFFIX
    ),
    # 年底前, 2024年底前, 年末前
    re.compile(
        _DEADLINE_PREFIX + r"(?:(?P<year>[0-9]{4})年|年)(?P<yearend>底|末)" + _DEADLINE_SUFFIX
    ),
)

_LAST_YEAR = r"(?:上一年度|上一年|上年度|上年|去年|前一年)(?:同期)?(?:平均)?(?:实际)?(?:水平|标准)?"
_RELATIVE_PREFIX_RE = re.compile(rf"(?P<cmp>{_PREFIX}){_LAST_YEAR}")
_RELATIVE_FIXED = (
    (re.compile(rf"(?:与|和|同|较|比)?{_LAST_YEAR}(?:基本)?持平"), EQ),
    (re.compile(rf"(?:较|比){_LAST_YEAR}(?:有所)?(?:提高|提升|增长|增加|上升)"), GT),
    (re.compile(rf"(?:较|比){_LAST_YEAR}(?:有所)?(?:下降|降低|减少)"), LT),
    (re.compile(rf"(?:较|比){_LAST_YEAR}(?:不降低|不下降|不减少)"), GE),
    (re.compile(rf"(?:较|比){_LAST_YEAR}(?:不提高|不增长|不增加|不上升)"), LE),
)

_RELATIVE_WORDS = {
    GE: "不低于上年",
    GT: "高于上年",
    LE: "不高于上年",
    LT: "低于上年",
    EQ: "与上年持平",
}
_COMPARATOR_SYMBOLS = {GE: "≥", LE: "≤", GT: ">", LT: "<", EQ: "="}


def _check_length(raw: str, message: str) -> None:
    if len(raw) > MAX_LENGTH:
        raise ValueError_(message)


def _date_or_none(year: int, month: int, day: int | None) -> date | None:
    # Year 0000 is date-shaped too, but no calendar day: date() would raise a bare ValueError.
    if not (1 <= month <= 12 and MINYEAR <= year <= MAXYEAR):
        return None
    last = calendar.monthrange(year, month)[1]
    if day is None:
        return date(year, month, last)
    if not 1 <= day <= last:
        return None
    return date(year, month, day)


def _match_deadline(text: str, year: int) -> date | bool | None:
    """The deadline a text names: False when not date-shaped, None when no such day exists."""
    for pattern in _DEADLINE_RES:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        groups = match.groupdict()
        if groups.get("month") and not (groups.get("day") or groups.get("end") or groups["before"]):
            continue  # a bare "12月" is a month count, not a deadline
        in_year = int(groups["year"]) if groups.get("year") else year
        if groups.get("yearend"):
            return date(in_year, 12, 31)
        day = groups.get("day")
        return _date_or_none(in_year, int(groups["month"]), int(day) if day else None)
    return False


def _match_relative(text: str) -> str | None:
    match = _RELATIVE_PREFIX_RE.fullmatch(text)
    if match:
        return _PREFIX_WORDS[match["cmp"]]
    for pattern, comparator in _RELATIVE_FIXED:
        if pattern.fullmatch(text):
            return comparator
    return None


def _qualitative(raw: str) -> TargetValue:
    return TargetValue(
        raw=raw, kind=QUALITATIVE, comparator=None, value=None, upper=None, unit=None
    )


def parse_target(text: str, year: int) -> TargetValue:
    """Read a target value as written (`≥95%`, `12月底前`, `不低于上年`, `及时`).

    Shapes, tried in order on the normalised text (see normalize):
    - deadline: `[YYYY年]M月D日|M月底` or `YYYY-MM-DD`, or `[YYYY年]年底`, then optional
      `前/之前/以前` and `完成`; a missing year is `year`; `M月前` means by the month's end;
    - relative: a comparator word then 上年/上年度/去年 (`不低于上年度`), or 与上年持平,
      较上年提高/下降;
    - range: `60-80人`, `60~80人`, `60至80人`, `60%-80%` (lower and upper sorted);
    - quantitative: an optional comparator word or sign, a number, then the unit — any run of
      non-digit characters, written as is (`3个工作日内完成` has unit `个工作日内完成`),
      except that a final 以上/以下/以内 is read as `>=`/`<=` (`90%以上` is `>=` 90 `%`);
    - anything else non-empty is qualitative, including words before a number (`约95%`).
    Raises ValueError_ for an empty text or one longer than 500 characters, a comparator
    followed by a negative number (`≤-1万元`) and a number of more than 12 integer digits.
    """
    _check_length(text, VALUE_TOO_LONG)
    compact = normalize(text)
    if not compact:
        raise ValueError_(VALUE_EMPTY)

    deadline = _match_deadline(compact, year)
    if deadline is None:
        return _qualitative(text)  # date-shaped but no such day, e.g. 2月30日前
    if deadline is not False:
        return TargetValue(
            raw=text, kind=DEADLINE, comparator=LE, value=deadline, upper=None, unit=None
        )

    relative = _match_relative(compact)
    if relative is not None:
        return TargetValue(
            raw=text, kind=RELATIVE, comparator=relative, value=None, upper=None, unit=None
        )

    match = _RANGE_RE.fullmatch(compact)
    if match:
        unit = _clean_unit(match["unit"])
        if match["low_unit"] in ("", unit):
            low, high = sorted((_to_decimal(match["low"]), _to_decimal(match["high"])))
            _check_size(VALUE_NUMBER_TOO_LARGE, text.strip(), low, high)
            return TargetValue(
                raw=text, kind=QUANTITATIVE, comparator=RANGE, value=low, upper=high, unit=unit
            )
        return _qualitative(text)

    match = _QUANTITATIVE_RE.fullmatch(compact)
    if match:
        comparator = _PREFIX_WORDS[match["cmp"]] if match["cmp"] else None
        unit = match["unit"]
        suffix = _SUFFIX_RE.search(unit)
        if suffix:
            implied = _SUFFIX_WORDS[suffix["word"]]
            agrees = (implied in _UPWARD and comparator in _UPWARD) or (
                implied in _DOWNWARD and comparator in _DOWNWARD
            )
            if comparator is None or agrees:
                comparator = comparator or implied
                unit = unit[: suffix.start()]
        number = _to_decimal(match["num"])
        _check_size(VALUE_NUMBER_TOO_LARGE, text.strip(), number)
        # A bare number is a count to reach (`1050元`); "at most -1 万元" is a slip.
        if comparator is not None and number < 0:
            raise ValueError_(VALUE_NEGATIVE_BOUND.format(raw=text.strip()))
        return TargetValue(
            raw=text,
            kind=QUANTITATIVE,
            comparator=comparator or EQ,
            value=number,
            upper=None,
            unit=_clean_unit(unit),
        )

    return _qualitative(text)


def target_to_contract(target: TargetValue) -> dict[str, str | None]:
    """The export shape {raw, kind, comparator, value, upper, unit}: decimals as strings."""
    value = target.value
    if isinstance(value, date):
        value_text: str | None = value.isoformat()
    elif isinstance(value, Decimal):
        value_text = format_decimal(value)
    else:
        value_text = None
    return {
        "raw": target.raw,
        "kind": target.kind,
        "comparator": target.comparator,
        "value": value_text,
        "upper": format_decimal(target.upper) if target.upper is not None else None,
        "unit": target.unit,
    }


def describe_target(target: TargetValue) -> str:
    """A short Chinese reading of a target for previews, e.g. "定量 · ≥ 95 %"."""
    label = KIND_LABELS[target.kind]
    if target.kind == QUALITATIVE:
        return f"{label}，评价时人工判定"
    if target.kind == RELATIVE:
        return f"{label} · {_RELATIVE_WORDS.get(target.comparator or '', '与上年比较')}"
    if target.kind == DEADLINE:
        assert isinstance(target.value, date)
        return f"{label} · {target.value.isoformat()} 前完成"
    assert isinstance(target.value, Decimal)
    unit = f" {target.unit}" if target.unit else ""
    if target.comparator == RANGE:
        assert target.upper is not None
        return f"{label} · {format_decimal(target.value)} 至 {format_decimal(target.upper)}{unit}"
    symbol = _COMPARATOR_SYMBOLS[target.comparator or EQ]
    return f"{label} · {symbol} {format_decimal(target.value)}{unit}"


# --- parsing an actual value ---------------------------------------------------------------

_ACTUAL_NUMBER_RE = re.compile(rf"(?P<num>{_NUMBER})(?P<unit>[^0-9]*)")
_ACTUAL_DATE_RES = (
    re.compile(
        r"(?:已于|已在|于|在)?(?P<year>[0-9]{4})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)"
        r"(?P<day>[0-9]{1,2})日?(?:T?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?(?:已?完成)?"
    ),
    re.compile(
        r"(?:已于|已在|于|在)?(?:(?P<year>[0-9]{4})年)?(?P<month>[0-9]{1,2})月"
        r"(?P<day>[0-9]{1,2})[日号](?:已?完成)?"
    ),
)
_UNFINISHED_WORDS = ("未完成", "尚未完成")
_TIER_RE = re.compile(rf"(?P<tier>部分达成|未达成|达成)(?:[(:,]?(?P<pct>{_NUMBER})%?\)?)?")
_LAST_YEAR_WORD = r"(?:上一年度|上一年|上年度|上年|去年)"
_THIS_YEAR_WORD = r"(?:本年度|本年|今年|当年)"
_RELATIVE_NUMBERS_RE = re.compile(
    rf"{_LAST_YEAR_WORD}(?:为|是|:)?(?P<previous>{_NUMBER})(?P<previous_unit>[^0-9,;、]*?)"
    rf"[,;、]?{_THIS_YEAR_WORD}(?:为|是|:)?(?P<number>{_NUMBER})(?P<unit>[^0-9]*)"
)


def excel_cell_text(value: object, number_format: str = "") -> str:
    """Turn a spreadsheet cell into the text a person sees ("100%" for 1 formatted as %)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        number = _cell_decimal(value)
        if number is None:
            return str(value)
        if "%" in number_format:
            return f"{format_decimal(_plain(number.scaleb(2)))}%"
        return format_decimal(number)
    return str(value)


def _cell_decimal(value: int | float | Decimal) -> Decimal | None:
    # repr() gives the shortest text that round-trips, so 0.1 stays 0.1, not 0.1000000000000000055.
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number if number.is_finite() else None


def _actual_example(target: TargetValue) -> str:
    unit = target.unit or ""
    if isinstance(target.value, Decimal):
        return f"{format_decimal(target.value)}{unit}"
    return f"96{unit}"


def _parse_date(compact: str, year: int, raw: str) -> date | None:
    for pattern in _ACTUAL_DATE_RES:
        match = pattern.fullmatch(compact)
        if match:
            in_year = int(match["year"]) if match["year"] else year
            day = _date_or_none(in_year, int(match["month"]), int(match["day"]))
            if day is None:
                raise ValueError_(ACTUAL_BAD_DATE.format(raw=raw))
            return day
    return None


def _parse_tier(compact: str) -> tuple[str, Decimal | None] | None:
    match = _TIER_RE.fullmatch(compact)
    if match is None:
        return None
    tier = match["tier"]
    if match["pct"] is None:
        return tier, None
    percent = _to_decimal(match["pct"])
    low, high = TIER_BANDS[tier]
    if not low <= percent <= high:
        raise ValueError_(
            ACTUAL_TIER_OUT_OF_BAND.format(
                tier=tier, low=low, high=high, percent=format_decimal(percent)
            )
        )
    return tier, percent


def _check_satisfaction(number: Decimal, unit: str, level1: str | None, raw: str) -> None:
    if level1 == LEVEL1_SATISFACTION and unit == "%" and number > 100:
        raise ValueError_(ACTUAL_SATISFACTION_OVER_100.format(raw=raw))


def _in_unit(number: Decimal, unit: str, target_unit: str) -> Decimal:
    converted = convert(number, unit, target_unit)
    if converted is None:
        raise ValueError_(ACTUAL_UNIT_MISMATCH.format(unit=unit, target_unit=target_unit))
    return converted


def parse_actual(
    text: str | date | datetime | int | float | Decimal | None,
    target: TargetValue,
    *,
    year: int,
    level1: str | None = None,
) -> ActualValue:
    """Read an actual value against its target; raises ValueError_ with a Chinese message.

    - quantitative: a number, its unit written or omitted (omitted = the target's unit); another
      unit only when convertible (1380万元 against 元), stored in the target's unit; a
      满意度指标 above 100 % is rejected;
    - deadline: a date (2024-12-20, 2024/12/20, 2024年12月20日, 12月20日 in `year`, or an
      Excel date), or 未完成 (unfinished=True);
    - qualitative: 达成/部分达成/未达成, optionally with a percentage inside the tier's band
      (`达成 90%`, `达成（90%）`);
    - relative: a tier as above, or last year's and this year's numbers written
      `上年95%，本年97%` (number = this year, previous = last year, in this year's unit).
    Excel cells may be passed as they come (dates, numbers; a float is read via repr); a cell
    formatted as a percentage should go through excel_cell_text first.
    """
    if text is None:
        raise ValueError_(ACTUAL_EMPTY)
    cell_day: date | None = None
    cell_number: Decimal | None = None
    if isinstance(text, str):
        raw = text
    elif isinstance(text, datetime):
        cell_day = text.date()
        raw = cell_day.isoformat()
    elif isinstance(text, date):
        cell_day = text
        raw = text.isoformat()
    elif isinstance(text, (int, float, Decimal)) and not isinstance(text, bool):
        cell_number = _cell_decimal(text)
        raw = format_decimal(cell_number) if cell_number is not None else str(text)
    else:
        raw = str(text)

    _check_length(raw, ACTUAL_TOO_LONG)
    compact = normalize(raw)
    if not compact:
        raise ValueError_(ACTUAL_EMPTY)
    shown = raw.strip()

    if target.kind == DEADLINE:
        if cell_day is not None:
            return ActualValue(raw=raw, day=cell_day)
        if compact in _UNFINISHED_WORDS:
            return ActualValue(raw=raw, unfinished=True)
        day = None if cell_number is not None else _parse_date(compact, year, shown)
        if day is None:
            raise ValueError_(ACTUAL_NEEDS_DATE.format(raw=shown))
        return ActualValue(raw=raw, day=day)

    if target.kind == QUANTITATIVE:
        target_unit = target.unit or ""
        if cell_number is not None:
            number, unit = cell_number, target_unit
        else:
            match = _ACTUAL_NUMBER_RE.fullmatch(compact) if cell_day is None else None
            if match is None:
                raise ValueError_(
                    ACTUAL_NEEDS_NUMBER.format(example=_actual_example(target), raw=shown)
                )
            number = _to_decimal(match["num"])
            unit = _clean_unit(match["unit"]) or target_unit
        _check_size(ACTUAL_NUMBER_TOO_LARGE, shown, number)
        number = _in_unit(number, unit, target_unit)
        _check_satisfaction(number, target_unit, level1, shown)
        return ActualValue(raw=raw, number=number, unit=target_unit)

    tier = _parse_tier(compact) if cell_day is None and cell_number is None else None
    if tier is not None:
        return ActualValue(raw=raw, tier=tier[0], tier_percent=tier[1])

    if target.kind == RELATIVE:
        match = _RELATIVE_NUMBERS_RE.fullmatch(compact)
        if match is None:
            raise ValueError_(ACTUAL_RELATIVE_NEEDS.format(raw=shown))
        previous_unit = _clean_unit(match["previous_unit"])
        unit = _clean_unit(match["unit"]) or previous_unit
        _check_size(
            ACTUAL_NUMBER_TOO_LARGE,
            shown,
            _to_decimal(match["previous"]),
            _to_decimal(match["number"]),
        )
        previous = _in_unit(_to_decimal(match["previous"]), previous_unit or unit, unit)
        number = _to_decimal(match["number"])
        _check_satisfaction(previous, unit, level1, shown)
        _check_satisfaction(number, unit, level1, shown)
        return ActualValue(raw=raw, number=number, unit=unit, previous=previous)

    raise ValueError_(ACTUAL_NEEDS_TIER.format(raw=shown))
