"""A large, realistic workbook for the benchmark: projects, 部门预算, 预算调整 and 支出.

Streamed with openpyxl's write-only mode, so 200,000 payments take little memory. The data
is deterministic (seeded), valid, and uses the sheets and headers of import-workbook.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

PROJECT_HEADER = [
    "年度",
    "部门编码",
    "部门名称",
    "单位编码",
    "单位名称",
    "项目编码",
    "项目名称",
    "项目类型",
    "年初预算",
    "上年结转",
]
BUDGET_HEADER = ["年度", "部门编码", "基本支出", "三公经费预算", "政府采购预算"]
ADJUSTMENT_HEADER = ["项目编码", "调整文号", "日期", "调整金额", "说明"]
PAYMENT_HEADER = ["部门编码", "凭证号", "日期", "金额", "项目编码", "三公经费", "政府采购", "摘要"]
TEXT_COLUMNS = {"部门编码", "单位编码", "项目编码", "凭证号", "调整文号"}
NAMES = ["信息网络费", "医保经办经费", "宣传培训费", "聘用人员经费", "医疗救助资金", "稽核检查费"]
SUMMARIES = ["办公用品", "差旅费", "网络服务费", "印刷费", "公务接待", "设备购置", "劳务费"]


@dataclass(frozen=True)
class Size:
    departments: int = 20
    projects: int = 2000
    payments: int = 200_000
    adjustments: int = 1000
    year: int = 2024

    @property
    def label(self) -> str:
        return f"{self.departments}d-{self.projects}p-{self.payments}pay-{self.adjustments}adj"


def _money(rng: random.Random, low: float, high: float) -> float:
    # Amounts in 万元 with up to 6 decimals (one fen), typed as Excel numbers.
    return round(rng.uniform(low, high), rng.choice((2, 4, 6)))


def _day(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def generate(path: Path, size: Size = Size(), seed: int = 2024) -> Path:
    """Write the workbook to `path` and return it."""
    rng = random.Random(seed)
    year = size.year
    departments = [f"{i + 1:03d}" for i in range(size.departments)]  # "001": leading zeros
    projects: list[tuple[str, str]] = []  # (department code, project code)
    workbook = Workbook(write_only=True)

    def sheet(name: str, header: list[str]):
        ws = workbook.create_sheet(name)
        ws.append(header)
        text_positions = {i for i, title in enumerate(header) if title in TEXT_COLUMNS}

        def append(values: list) -> None:
            cells = []
            for i, value in enumerate(values):
                cell = WriteOnlyCell(ws, value=value)
                if i in text_positions:
                    cell.number_format = "@"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            ws.append(cells)

        return append

    budget: dict[str, float] = {}  # 全年预算数 so far, so that a cut never takes it below 0
    add = sheet("项目", PROJECT_HEADER)
    for i in range(size.projects):
        dept = departments[i % len(departments)]
        unit = f"{dept}{1 + (i // len(departments)) % 3:03d}"
        code = f"41070{year % 100:02d}{i:014d}"
        projects.append((dept, code))
        initial = _money(rng, 5, 3000)
        carryover = _money(rng, 0, 50) if rng.random() < 0.2 else None
        budget[code] = initial + (carryover or 0)
        add(
            [
                year,
                dept,
                f"测试市第{dept}医疗保障局",
                unit,
                f"测试单位{unit}",
                code,
                f"{year}年{rng.choice(NAMES)}{i}",
                rng.choice(("特定目标类", "其他运转类")),
                initial,
                carryover,
            ]
        )

    add = sheet("部门预算", BUDGET_HEADER)
    for dept in departments:
        add(
            [
                year,
                dept,
                _money(rng, 100, 1000),
                _money(rng, 1, 20),
                _money(rng, 0, 200) if rng.random() < 0.8 else None,
            ]
        )

    add = sheet("预算调整", ADJUSTMENT_HEADER)
    for i in range(size.adjustments):
        _, code = rng.choice(projects)
        amount = _money(rng, 0.5, 200) * (1 if rng.random() < 0.7 else -0.1)
        # The import refuses a cut below a 全年预算数 of zero: cut at most half what is left.
        amount = max(amount, -round(budget[code] / 2, 2))
        budget[code] += amount
        add(
            [
                code,
                f"财预〔{year}〕{i + 1}号",
                _day(rng, year),
                round(amount, 6),
                "追加" if amount > 0 else "追减",
            ]
        )

    add = sheet("支出", PAYMENT_HEADER)
    for i in range(size.payments):
        dept, code = rng.choice(projects)
        basic = rng.random() < 0.2  # a fifth is basic expenditure, without project
        refund = rng.random() < 0.01
        amount = _money(rng, 0.01, 5)
        add(
            [
                dept,
                f"记-{i + 1:07d}",
                _day(rng, year),
                -amount if refund else amount,
                None if basic else code,
                "是" if basic and rng.random() < 0.1 else "否",
                "是" if rng.random() < 0.05 else "否",
                rng.choice(SUMMARIES),
            ]
        )

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out/bench.xlsx")
    print(generate(target))
