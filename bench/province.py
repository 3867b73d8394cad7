"""A province-size workbook: N projects over N/100 departments in several 区划.

Each project has 8 indicators (all four groups) and 100 payments; each department also has
basic expenditure (payments without a project, a tenth of its projects' count); half the
projects have one adjustment, never taking 全年预算数 below zero (the import refuses that).
Department codes repeat across 区划 (`001` is a department of every 区划), as they do in a
real province, so every row that names a department carries `区划编码`.

Streamed with openpyxl's write-only mode (2,000,000 payments take little memory); the data is
deterministic (seeded), valid, and uses the sheets and headers of docs/workbook.md.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

# Bump when what is written changes, so a cached workbook is not reused.
VERSION = 2

# County-level 区划 of 新乡 and 焦作 (GB/T 2260), in order of use.
DIVISIONS = [
    "410702", "410703", "410704", "410711", "410721", "410724", "410725", "410726",
    "410727", "410781", "410782", "410783", "410802", "410803", "410804", "410811",
    "410821", "410822", "410823", "410825", "410882", "410883",
]  # fmt: skip

PROJECT_HEADER = [
    "年度", "区划编码", "部门编码", "部门名称", "单位编码", "单位名称", "项目编码", "项目名称",
    "项目类型", "年初预算", "上年结转",
]  # fmt: skip
INDICATOR_HEADER = ["项目编码", "一级指标", "二级指标", "三级指标", "指标值", "权重"]
BUDGET_HEADER = ["年度", "区划编码", "部门编码", "基本支出", "三公经费预算", "政府采购预算"]
ADJUSTMENT_HEADER = ["项目编码", "调整文号", "日期", "调整金额", "说明"]
PAYMENT_HEADER = [
    "区划编码", "部门编码", "凭证号", "日期", "金额", "项目编码", "三公经费", "政府采购", "摘要",
]  # fmt: skip
TEXT_COLUMNS = {"区划编码", "部门编码", "单位编码", "项目编码", "凭证号", "调整文号"}

# (一级, 二级, 三级, target, actual): the cost target is written per project (see below).
INDICATORS = [
    ("成本指标", "经济成本指标", "项目成本", None, None),
    ("产出指标", "数量指标", "培训人次", "≥500人次", "520人次"),
    ("产出指标", "质量指标", "验收合格率", "≥95%", "96%"),
    ("产出指标", "时效指标", "完成时间", "12月底前", "11月20日"),
    ("效益指标", "社会效益指标", "医保政策知晓度", "明显提升", "达成"),
    ("效益指标", "经济效益指标", "基金使用效率", "≥90%", "92%"),
    ("效益指标", "可持续影响指标", "制度建设", "≥3项", "4项"),
    ("满意度指标", "服务对象满意度指标", "参保群众满意度", "≥90%", "92%"),
]
WEIGHTS = [10, 10, 10, 10, 15, 15, 10, 10]  # of 90: 成本 to 满意度; the other 10 is execution
NAMES = ["信息网络费", "医保经办经费", "宣传培训费", "聘用人员经费", "医疗救助资金", "稽核检查费"]
SUMMARIES = ["办公用品", "差旅费", "网络服务费", "印刷费", "公务接待", "设备购置", "劳务费"]
PAYMENTS_PER_PROJECT = 100
PROJECTS_PER_DEPARTMENT = 100


@dataclass(frozen=True)
class Province:
    """The shape of a generated province."""

    projects: int
    year: int = 2024

    @property
    def departments(self) -> int:
        return max(1, math.ceil(self.projects / PROJECTS_PER_DEPARTMENT))

    @property
    def divisions(self) -> int:
        # √departments 区划 (at least 2, so codes repeat): 20 → 4, 200 → 14.
        wanted = max(2, round(math.sqrt(self.departments)))
        return min(wanted, len(DIVISIONS), self.departments)

    @property
    def label(self) -> str:
        return f"v{VERSION}-{self.projects}p"

    def department_keys(self) -> list[tuple[str, str]]:
        """(区划编码, 部门编码) of every department, dealt round-robin over the 区划."""
        per_division: dict[str, int] = {}
        keys = []
        for i in range(self.departments):
            division = DIVISIONS[i % self.divisions]
            per_division[division] = per_division.get(division, 0) + 1
            keys.append((division, f"{per_division[division]:03d}"))
        return keys


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    # Amounts in 万元 with up to 6 decimals (one fen); written as Excel numbers.
    return round(Decimal(str(rng.uniform(low, high))), rng.choice((2, 4, 6)))


def _day(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def cost_target(initial: Decimal) -> str:
    """The cost indicator's target of a project: at most its year-start budget."""
    return f"≤{initial:.2f}万元"


def generate(path: Path, province: Province, seed: int = 2024) -> dict[str, int]:
    """Write the workbook to `path`; returns the rows written per sheet."""
    rng = random.Random(seed)
    year = province.year
    departments = province.department_keys()
    workbook = Workbook(write_only=True)
    counts: dict[str, int] = {}

    def sheet(name: str, header: list[str]):
        ws = workbook.create_sheet(name)
        ws.append(header)
        text = {i for i, title in enumerate(header) if title in TEXT_COLUMNS}
        counts[name] = 0

        def append(values: list) -> None:
            cells = []
            for i, value in enumerate(values):
                cell = WriteOnlyCell(
                    ws, value=float(value) if isinstance(value, Decimal) else value
                )
                if i in text:
                    cell.number_format = "@"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            ws.append(cells)
            counts[name] += 1

        return append

    # (区划, 部门, 项目编码, 年初预算)
    projects: list[tuple[str, str, str, Decimal]] = []
    add = sheet("项目", PROJECT_HEADER)
    for i in range(province.projects):
        division, dept = departments[i % len(departments)]
        unit = f"{dept}{1 + (i // len(departments)) % 3:03d}"
        # 21 digits like the real ones: 区划 + year + a running number.
        code = f"{division}{year % 100:02d}{i:013d}"
        initial = _money(rng, 50, 3000)
        projects.append((division, dept, code, initial))
        add(
            [
                year,
                division,
                dept,
                f"测试{division}第{dept}医疗保障局",
                unit,
                f"测试单位{division}-{unit}",
                code,
                f"{year}年{rng.choice(NAMES)}{i}",
                rng.choice(("特定目标类", "其他运转类")),
                initial,
                _money(rng, 0, 50) if rng.random() < 0.2 else None,
            ]
        )

    add = sheet("绩效指标", INDICATOR_HEADER)
    for _, _, code, initial in projects:
        for (level1, level2, name, target, _), weight in zip(INDICATORS, WEIGHTS, strict=True):
            add([code, level1, level2, name, target or cost_target(initial), weight])

    add = sheet("部门预算", BUDGET_HEADER)
    for division, dept in departments:
        add(
            [
                year,
                division,
                dept,
                _money(rng, 100, 1000),
                _money(rng, 1, 20),
                _money(rng, 0, 200) if rng.random() < 0.8 else None,
            ]
        )

    # Half the projects get one adjustment; a cut is at most a tenth of the year-start budget,
    # so 全年预算数 stays positive.
    add = sheet("预算调整", ADJUSTMENT_HEADER)
    for n, (_, _, code, initial) in enumerate(projects[::2]):
        if rng.random() < 0.7:
            amount = _money(rng, 0.5, 200)
        else:
            amount = -round(initial * Decimal(str(rng.uniform(0.01, 0.1))), 2)
        add(
            [
                code,
                f"财预〔{year}〕{n + 1}号",
                _day(rng, year),
                amount,
                "追加" if amount > 0 else "追减",
            ]
        )

    add = sheet("支出", PAYMENT_HEADER)
    voucher = 0

    def payment(division: str, dept: str, code: str | None) -> None:
        nonlocal voucher
        voucher += 1
        refund = rng.random() < 0.01
        amount = _money(rng, 0.01, 5)
        add(
            [
                division,
                dept,
                f"记-{voucher:08d}",
                _day(rng, year),
                -amount if refund else amount,
                code,
                "是" if code is None and rng.random() < 0.1 else "否",
                "是" if rng.random() < 0.05 else "否",
                rng.choice(SUMMARIES),
            ]
        )

    for division, dept, code, _ in projects:
        for _ in range(PAYMENTS_PER_PROJECT):
            payment(division, dept, code)
    # Basic expenditure: a tenth as many payments again, without a project.
    for n in range(province.projects * PAYMENTS_PER_PROJECT // 10):
        division, dept = departments[n % len(departments)]
        payment(division, dept, None)

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    workbook.save(partial)
    widths = {
        name: len(header)
        for name, header in (
            ("项目", PROJECT_HEADER),
            ("绩效指标", INDICATOR_HEADER),
            ("部门预算", BUDGET_HEADER),
            ("预算调整", ADJUSTMENT_HEADER),
            ("支出", PAYMENT_HEADER),
        )
    }
    with_dimensions(partial, path, [(name, widths[name], n + 1) for name, n in counts.items()])
    partial.unlink()
    return counts


def with_dimensions(source: Path, target: Path, sheets: list[tuple[str, int, int]]) -> None:
    """Copy the workbook adding each sheet's <dimension> record, as Excel writes it.

    openpyxl's write-only mode leaves it out, and its read-only mode then parses a whole
    sheet just to size it when the workbook is opened: a file without the record costs any
    reader a second pass that a file saved by Excel does not. `sheets` is (name, columns,
    rows) in the order the sheets were created (sheet1.xml, sheet2.xml, …).
    """
    import zipfile

    from openpyxl.utils import get_column_letter

    refs = {
        f"xl/worksheets/sheet{i}.xml": f"A1:{get_column_letter(columns)}{rows}"
        for i, (_, columns, rows) in enumerate(sheets, start=1)
    }
    with (
        zipfile.ZipFile(source) as zin,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for item in zin.infolist():
            if item.filename not in refs:
                zout.writestr(item, zin.read(item.filename))
                continue
            with zin.open(item) as src, zout.open(item.filename, "w", force_zip64=True) as dst:
                head = src.read(1 << 16)
                marker = b"<sheetViews>"
                assert marker in head, f"{item.filename}: no <sheetViews> at its start"
                record = f'<dimension ref="{refs[item.filename]}" />'.encode()
                dst.write(head.replace(marker, record + marker, 1))
                while chunk := src.read(1 << 20):
                    dst.write(chunk)


if __name__ == "__main__":
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    target = Path(sys.argv[2] if len(sys.argv) > 2 else f"bench/out/province-{n}.xlsx")
    print(generate(target, Province(n)), target)
