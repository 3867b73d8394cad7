"""Demo data of the budgets app: the sample workbooks, generated spending, one user per role."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import openpyxl

from .choices import role_from_text
from .importer import run_import
from .models import Department, DepartmentBudget, Division, Project, User
from .services import user_save
from .xlsx import as_text

DEMO_PASSWORD = "demo-2024-pass"
DEMO_YEAR = 2024
# Share of each project's budget spent by year end, cycled over the projects, so the demo
# shows every warning colour (as of 31 December: ≥80 % green, 60–80 % yellow, <60 % red).
SPENDING_SHARES = (
    Decimal("0.97"),
    Decimal("0.88"),
    Decimal("0.72"),
    Decimal("1.00"),
    Decimal("0.45"),
    Decimal("0.93"),
)


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)
    users: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    name: str
    label: str
    department: Department | None = None
    division: Division | None = None
    with_subordinates: bool = False


def _demo_users() -> list[DemoUser]:
    """Staff of the two sample departments, a reviewer per bureau (区划) holding departments,
    `reviewer` for the province above them all (含下级), and the admin."""
    departments = list(Department.objects.select_related("division").order_by("-code")[:2])
    bureaus = list(Division.objects.filter(departments__isnull=False).distinct())
    provinces = {bureau.code[:2] + "0000" for bureau in bureaus}
    # All bureaus in one province: its reviewer oversees them; otherwise one covers all.
    province = Division.ensure(provinces.pop()) if len(provinces) == 1 else None
    users = [
        DemoUser(
            "reviewer",
            "财政局审核人",
            f"{province.name}财政厅 王审核" if province else "财政局 王审核",
            f"财政局审核人（区划 {province.code} {province.name}，含下级）"
            if province
            else "财政局审核人（所有区划）",
            division=province,
            with_subordinates=province is not None,
        )
    ]
    users += [
        DemoUser(
            f"reviewer{bureau.code}",
            "财政局审核人",
            f"{bureau.name}财政局 审核人",
            f"财政局审核人（区划 {bureau.code} {bureau.name}）",
            division=bureau,
        )
        for bureau in bureaus
    ]
    users.append(DemoUser("admin", "管理员", "系统管理员", "管理员"))
    users += [
        DemoUser(
            f"staff{department.code}",
            "单位经办人",
            f"{department.name} 经办人",
            f"单位经办人（部门 {department.code}）",
            department=department,
        )
        for department in departments
    ]
    return users


def _ensure_users(report: DemoReport) -> None:
    specs = _demo_users()
    existing = {
        u.username: u for u in User.objects.filter(username__in=[s.username for s in specs])
    }
    for spec in specs:
        report.users.append((spec.username, DEMO_PASSWORD, spec.label))
        user = existing.get(spec.username)
        if (
            user is not None
            and user.check_password(DEMO_PASSWORD)
            and (user.role, user.department_id, user.division_id, user.with_subordinates)
            == (
                role_from_text(spec.role),
                spec.department.pk if spec.department else None,
                spec.division.pk if spec.division else None,
                spec.with_subordinates,
            )
        ):
            continue  # already there as the demo needs it: loading twice changes nothing
        user_save(
            username=spec.username,
            role_text=spec.role,
            department_code=spec.department.ref if spec.department else None,
            division_code=spec.division.code if spec.division else None,
            with_subordinates=spec.with_subordinates,
            password=DEMO_PASSWORD,
            name=spec.name,
            email=f"{spec.username}@example.gov.cn",
        )


def _spending_workbook(year: int) -> bytes:
    """支出 rows spread over the year for every project, deterministic from a fixed seed."""
    rng = random.Random(20240731)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "支出"
    sheet.append(
        [
            "部门编码",
            "凭证号",
            "日期",
            "金额",
            "项目编码",
            "三公经费",
            "政府采购",
            "摘要",
            "区划编码",
        ]
    )
    projects = (
        Project.objects.filter(year=year).select_related("department__division").order_by("code")
    )
    for index, project in enumerate(projects):
        total = (project.initial_budget + project.carryover) * SPENDING_SHARES[
            index % len(SPENDING_SHARES)
        ]
        months = sorted(rng.sample(range(1, 13), 6))
        remaining = total
        for n, month in enumerate(months):
            share = (
                remaining
                if n == len(months) - 1
                else (total / 6).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            )
            remaining -= share
            sheet.append(
                [
                    project.department.code,
                    f"DEMO-{project.code[-6:]}-{n + 1:02d}",
                    date(year, month, rng.randint(1, 28)),
                    share,
                    project.code,
                    "否",
                    "否",
                    f"{project.name} 第{n + 1}笔支付",
                    project.department.division.code,
                ]
            )
    budgets = DepartmentBudget.objects.filter(year=year).select_related("department__division")
    for budget in budgets:
        code, division = budget.department.code, budget.department.division.code
        monthly = ((budget.basic_expenditure or Decimal(0)) * Decimal("0.95") / 12).quantize(
            Decimal("0.01"), rounding=ROUND_DOWN
        )
        for month in range(1, 13):
            sheet.append(
                [
                    code,
                    f"DEMO-{code}-BASIC-{month:02d}",
                    date(year, month, 25),
                    monthly,
                    "",
                    "否",
                    "否",
                    f"{month}月基本支出（人员和公用经费）",
                    division,
                ]
            )
        if budget.three_public_budget:
            # 公务接待 and 公务用车 spending well inside the “三公” budget.
            for quarter in range(1, 5):
                sheet.append(
                    [
                        code,
                        f"DEMO-{code}-3P-{quarter}",
                        date(year, quarter * 3, 10),
                        (budget.three_public_budget * Decimal("0.2")).quantize(Decimal("0.01")),
                        "",
                        "是",
                        "否",
                        f"第{quarter}季度公务接待及公务用车运行费",
                        division,
                    ]
                )
    for row in sheet.iter_rows():
        for cell in row:
            as_text(cell)  # a project name starting with "=" must not become a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def load_budget_demo(samples: Path, report: DemoReport) -> None:
    """Import the sample workbooks and the generated spending; running it twice changes nothing."""
    for path in sorted(samples.glob("*.xlsx")):
        result = run_import(path)
        report.lines.append(f"{path.name}: {result.summary() if result.ok else result.problems}")
    result = run_import(io.BytesIO(_spending_workbook(DEMO_YEAR)))
    report.lines.append(f"生成的支出: {result.summary() if result.ok else result.problems}")
    _ensure_users(report)
