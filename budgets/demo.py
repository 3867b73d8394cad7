"""Demo data of the budgets app: the sample workbooks, generated spending, one user per role."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import openpyxl

from .importer import run_import
from .models import Department, DepartmentBudget, Project, User
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


def _ensure_users(report: DemoReport) -> None:
    departments = list(Department.objects.order_by("-code")[:2])
    specs = [
        ("reviewer", "财政局审核人", None, "财政局 王审核"),
        ("admin", "管理员", None, "系统管理员"),
    ]
    for department in departments:
        specs.append(
            (f"staff{department.code}", "单位经办人", department.code, f"{department.name} 经办人")
        )
    existing = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}
    for username, role, department_code, name in specs:
        label = role + (f"（部门 {department_code}）" if department_code else "")
        report.users.append((username, DEMO_PASSWORD, label))
        user = existing.get(username)
        if user is not None and user.check_password(DEMO_PASSWORD):
            continue  # already there as the demo needs it: loading twice changes nothing
        user_save(
            username=username,
            role_text=role,
            department_code=department_code,
            password=DEMO_PASSWORD,
            name=name,
            email=f"{username}@example.gov.cn",
        )


def _spending_workbook(year: int) -> bytes:
    """支出 rows spread over the year for every project, deterministic from a fixed seed."""
    rng = random.Random(20240731)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "支出"
    sheet.append(["部门编码", "凭证号", "日期", "金额", "项目编码", "三公经费", "政府采购", "摘要"])
    projects = Project.objects.filter(year=year).select_related("department").order_by("code")
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
                ]
            )
    for budget in DepartmentBudget.objects.filter(year=year).select_related("department"):
        code = budget.department.code
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
