"""Two finance bureaus whose departments share the code 060, for the “no access” page tests.

红旗区 (410702, under 新乡市 410700) and 西峡县 (411323, under 南阳市 411300) each have a
`060 医疗保障局` with one project, one payment and one indicator, staff and a reviewer; a
新乡市 reviewer with 含下级 covers 红旗区 only, a 河南省 reviewer with 含下级 covers both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from budgets.choices import Role
from budgets.models import Department, Payment, Project, User
from performance.models import Indicator
from performance.values import parse_target
from tests.factories import (
    DepartmentFactory,
    DivisionFactory,
    PaymentFactory,
    ProjectFactory,
    UnitFactory,
    UserFactory,
)

HONGQI = "410702"
XIXIA = "411323"


@dataclass(frozen=True)
class Bureau:
    department: Department
    project: Project
    payment: Payment
    indicator: Indicator
    staff: User
    reviewer: User


@dataclass(frozen=True)
class Bureaus:
    hongqi: Bureau
    xixia: Bureau
    # 新乡市 with 含下级: 红旗区, not 西峡县.
    city: User
    # 河南省 with 含下级: both.
    province: User


def reviewer(username: str, division: str, *, subordinates: bool = False) -> User:
    return UserFactory(
        username=username,
        name=username,
        role=Role.REVIEWER,
        department=None,
        division=DivisionFactory(code=division),
        with_subordinates=subordinates,
    )


def bureau(division: str, place: str, username: str) -> Bureau:
    department = DepartmentFactory(
        division=DivisionFactory(code=division), code="060", name=f"{place}医疗保障局"
    )
    unit = UnitFactory(department=department, code="060001", name=f"{place}医疗保障局本级")
    project = ProjectFactory(
        unit=unit,
        code=f"{division}240000000000060",
        name=f"{place}医保信息化",
        initial_budget=Decimal("80"),
    )
    payment = PaymentFactory(project=project, voucher="记-0060", amount=Decimal("8"))
    indicator = Indicator(project=project, level1="产出指标", name=f"{place}参保人数")
    indicator.set_target(parse_target("≥1000人", project.year))
    indicator.save()
    staff = UserFactory(username=f"staff-{username}", role=Role.STAFF, department=department)
    return Bureau(department, project, payment, indicator, staff, reviewer(username, division))


def two_bureaus() -> Bureaus:
    return Bureaus(
        hongqi=bureau(HONGQI, "红旗区", "hongqi"),
        xixia=bureau(XIXIA, "西峡县", "xixia"),
        city=reviewer("xinxiang", "410700", subordinates=True),
        province=reviewer("henan", "410000", subordinates=True),
    )
