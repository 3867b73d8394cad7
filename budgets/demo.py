"""Demo data for `make run`: the sample workbooks, generated spending and one user per role."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .models import Department
from .services import user_save

DEMO_PASSWORD = "demo-2024-pass"


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)
    users: list[tuple[str, str, str]] = field(default_factory=list)


def _ensure_users(report: DemoReport) -> None:
    departments = list(Department.objects.order_by("code")[:2])
    specs = [
        ("reviewer", "财政局审核人", None, "财政局 王审核"),
        ("admin", "管理员", None, "系统管理员"),
    ]
    for department in departments:
        specs.append(
            (f"staff{department.code}", "单位经办人", department.code, f"{department.name} 经办人")
        )
    for username, role, department_code, name in specs:
        user_save(
            username=username,
            role_text=role,
            department_code=department_code,
            password=DEMO_PASSWORD,
            name=name,
            email=f"{username}@example.gov.cn",
        )
        label = role + (f"（部门 {department_code}）" if department_code else "")
        report.users.append((username, DEMO_PASSWORD, label))


def load_demo(samples: Path) -> DemoReport:
    """Load everything the demo shows; running it twice changes nothing."""
    report = DemoReport()
    if not Department.objects.exists():
        # Until the workbook importer lands, seed the two sample departments directly.
        Department.objects.get_or_create(code="309", defaults={"name": "新乡市医疗保障局"})
        Department.objects.get_or_create(code="044", defaults={"name": "西峡县医疗保障局本级"})
    _ensure_users(report)
    return report
