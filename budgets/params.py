"""Integers, years, dates and ids read from a request's query string or form data.

Every view reads them through here, so that `-1`, `abc`, a 25-digit id (past what SQLite and
PostgreSQL integers hold) or a 5,000-digit number (past what `int()` parses) is refused with a
Chinese message instead of a server error. The `parse_*` functions take the text and return
the value (None when blank) or raise BadParameter: views call them for what a write uses, and
answer 400. The `*_param` functions read a filter of the query string, where a bad value is
ignored with a message and the page shows its default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from . import divisions

if TYPE_CHECKING:
    from .models import Department

# The fiscal years the system plans, records and reports; the importer reads the same range.
FIRST_YEAR = 2000
LAST_YEAR = 2100
# Primary keys are signed 64-bit integers at most: larger ids overflow the database driver.
MAX_ID = 2**63 - 1
# More digits than any 64-bit integer has; checked before int(), which refuses past 4,300.
MAX_DIGITS = 19
# A value shown in a message is cut to this many characters.
SHOWN = 20

NOT_AN_INTEGER = "{label}“{value}”无效，应为整数"
INTEGER_TOO_SMALL = "{label}“{value}”无效，不能小于{minimum}"
INTEGER_TOO_LARGE = "{label}“{value}”无效，不能大于{maximum}"
NOT_A_YEAR = "{label}“{value}”无效，应为{first}—{last}年之间的年份"
NOT_A_DATE = "{label}“{value}”无效，应为{first}—{last}年之间的日期（YYYY-MM-DD）"
DATE_IMPLAUSIBLE = "日期{day}无效，应在{first}—{last}年之间"
NOT_AN_ID = "{label}“{value}”无效"
NOT_A_DIVISION = "{label}“{value}”无效，应为6位数字的区划编码（GB/T 2260，如410702）"
DEPARTMENT_AMBIGUOUS = "部门编码“{code}”在多个区划中都有：{refs}，请写成“区划编码/部门编码”"
IGNORED = "{message}，已忽略"

INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

T = TypeVar("T")


class BadParameter(ValueError):
    """A request parameter that is not what the page expects; `.message` says so in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(text: str) -> str:
    """The value as a message quotes it: cut short, so a 5,000-digit number stays readable."""
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}…"


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def parse_int(
    text: str | None,
    *,
    label: str = "数值",
    minimum: int = -MAX_ID,
    maximum: int = MAX_ID,
) -> int | None:
    """A whole number written in ASCII digits within [minimum, maximum]; None when blank."""
    if _blank(text):
        return None
    value = text.strip()
    if not INTEGER.fullmatch(value) or len(value.lstrip("-").lstrip("0")) > MAX_DIGITS:
        raise BadParameter(NOT_AN_INTEGER.format(label=label, value=shown(value)))
    number = int(value)
    if number < minimum:
        raise BadParameter(
            INTEGER_TOO_SMALL.format(label=label, value=shown(value), minimum=minimum)
        )
    if number > maximum:
        raise BadParameter(
            INTEGER_TOO_LARGE.format(label=label, value=shown(value), maximum=maximum)
        )
    return number


def parse_year(text: str | None, *, label: str = "年度") -> int | None:
    """A fiscal year between FIRST_YEAR and LAST_YEAR; None when blank."""
    try:
        return parse_int(text, label=label, minimum=FIRST_YEAR, maximum=LAST_YEAR)
    except BadParameter:
        value = shown(text.strip())
        message = NOT_A_YEAR.format(label=label, value=value, first=FIRST_YEAR, last=LAST_YEAR)
        raise BadParameter(message) from None


def is_plausible(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def parse_date(text: str | None, *, label: str = "日期") -> date | None:
    """A YYYY-MM-DD date of a year between FIRST_YEAR and LAST_YEAR; None when blank."""
    if _blank(text):
        return None
    value = text.strip()
    day = None
    if ISO_DATE.fullmatch(value):
        with suppress(ValueError):  # 9999-99-99 has the shape of a date but is none
            day = date.fromisoformat(value)
    if day is None or not is_plausible(day):
        raise BadParameter(
            NOT_A_DATE.format(label=label, value=shown(value), first=FIRST_YEAR, last=LAST_YEAR)
        )
    return day


def parse_id(text: str | None, *, label: str = "编号") -> int | None:
    """A primary key: a positive integer that fits a 64-bit database integer; None when blank."""
    try:
        return parse_int(text, label=label, minimum=1, maximum=MAX_ID)
    except BadParameter:
        raise BadParameter(NOT_AN_ID.format(label=label, value=shown(text.strip()))) from None


def parse_division(text: str | None, *, label: str = "区划") -> str | None:
    """A 区划 code of six digits (GB/T 2260); None when blank."""
    if _blank(text):
        return None
    value = text.strip()
    if not divisions.is_code(value):
        raise BadParameter(NOT_A_DIVISION.format(label=label, value=shown(value)))
    return value


def find_department(text: str, departments: Iterable[Department]) -> Department | None:
    """The department named by `区划/部门编码` or by a bare code among `departments` (those the
    user may see); None when none is. A bare code found in several 区划 is a BadParameter
    naming them, as is a malformed 区划."""
    division, code = divisions.split_department_ref(text)
    if division is not None and not divisions.is_code(division):
        raise BadParameter(NOT_A_DIVISION.format(label="区划", value=shown(division)))
    found = [
        d
        for d in departments
        if d.code == code and (division is None or d.division.code == division)
    ]
    if len(found) > 1:
        refs = "、".join(d.ref for d in found)
        raise BadParameter(DEPARTMENT_AMBIGUOUS.format(code=shown(code), refs=refs))
    return found[0] if found else None


def validate_plausible_date(day: date) -> None:
    """Form field validator: a date the system can mean (0001-01-01 and 9999-12-31 are not)."""
    if not is_plausible(day):
        raise ValidationError(
            DATE_IMPLAUSIBLE.format(day=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR),
            code="implausible",
        )


def _param(request: HttpRequest, name: str, parse: Callable[..., T | None], label: str) -> T | None:
    try:
        return parse(request.GET.get(name), label=label)
    except BadParameter as exc:
        messages.warning(request, IGNORED.format(message=exc.message))
        return None


def int_param(
    request: HttpRequest,
    name: str,
    *,
    label: str = "数值",
    minimum: int = -MAX_ID,
    maximum: int = MAX_ID,
) -> int | None:
    """The integer ?name= of the query string; None when absent or bad (with a message)."""

    def parse(text: str | None, label: str) -> int | None:
        return parse_int(text, label=label, minimum=minimum, maximum=maximum)

    return _param(request, name, parse, label)


def year_param(request: HttpRequest, name: str = "year", *, label: str = "年度") -> int | None:
    """The fiscal year ?name= of the query string."""
    return _param(request, name, parse_year, label)


def date_param(request: HttpRequest, name: str, *, label: str = "日期") -> date | None:
    """The date ?name= of the query string."""
    return _param(request, name, parse_date, label)


def id_param(request: HttpRequest, name: str, *, label: str = "编号") -> int | None:
    """The id ?name= of the query string."""
    return _param(request, name, parse_id, label)


def division_param(
    request: HttpRequest, name: str = "division", *, label: str = "区划"
) -> str | None:
    """The 区划 code ?name= of the query string."""
    return _param(request, name, parse_division, label)


def page_param(request: HttpRequest) -> int:
    """The page number ?page= for Paginator.get_page, which shows the last page for one out
    of range (0 and -1 included); one that is not a number is page 1, with a message."""
    page = int_param(request, "page", label="页码")
    return 1 if page is None else page


def bad_request(exc: BadParameter) -> HttpResponse:
    """The answer to a bad parameter of a write or a fragment: 400 with the message."""
    return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
