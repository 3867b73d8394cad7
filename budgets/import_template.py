"""The empty 标准导入模板 the import page offers: every registered sheet, its headers and an
example row per sheet that imports cleanly into an empty system (import-workbook.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .exporter import (
    AMOUNT_COLUMNS,
    AMOUNT_FORMAT,
    DATE_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    TEXT_COLUMNS,
    column_width,
)
from .importer import Sheet, sheet_classes
from .xlsx import as_text

TEMPLATE_FILENAME = "标准导入模板.xlsx"
NOTES_SHEET = "填写说明"
DATE_COLUMNS = {"日期", "截至日期"}

# One department of 新乡市红旗区 (区划 410702) with one 2024 project, its budget, an
# adjustment, a payment, an indicator, a department indicator and a yearly task: the rows
# name one another, so the example imports as it is. 实际完成 has no example: its rows belong
# to a round the finance bureau opens (a row for a round never opened is an error).
PROJECT_CODE = "410702240000000000101"
EXAMPLES: dict[str, dict[str, Any]] = {
    "项目": {
        "年度": 2024,
        "部门编码": "060",
        "部门名称": "新乡市红旗区医疗保障局",
        "单位编码": "060001",
        "单位名称": "新乡市红旗区医疗保障局本级",
        "项目编码": PROJECT_CODE,
        "项目名称": "城乡居民医疗救助补助资金",
        "项目类型": "特定目标类",
        "年初预算": Decimal("120"),
        "上年结转": Decimal("10"),
        "财政专户管理资金": Decimal("0"),
        "单位资金": Decimal("0"),
        "区划编码": "410702",
    },
    "部门预算": {
        "年度": 2024,
        "部门编码": "060",
        "基本支出": Decimal("350.5"),
        "三公经费预算": Decimal("12"),
        "政府采购预算": Decimal("30"),
        # 基本支出 + the project's 年初预算 and 上年结转: the department review finds no gap.
        "部门预算总额": Decimal("480.5"),
        "区划编码": "410702",
    },
    "预算调整": {
        "项目编码": PROJECT_CODE,
        "调整文号": "红财预〔2024〕15号",
        "日期": date(2024, 6, 15),
        "调整金额": Decimal("20"),
        "调整类型": "一般调整",
        "说明": "追加下半年医疗救助资金",
    },
    "支出": {
        "部门编码": "060",
        "凭证号": "记-2024-0001",
        "日期": date(2024, 3, 15),
        "金额": Decimal("35.2"),
        "项目编码": PROJECT_CODE,
        "三公经费": "否",
        "政府采购": "否",
        "摘要": "拨付一季度城乡居民医疗救助资金",
        "区划编码": "410702",
    },
    "绩效指标": {
        "项目编码": PROJECT_CODE,
        "一级指标": "产出指标",
        "二级指标": "数量指标",
        "三级指标": "医疗救助人次",
        "指标值": "≥1200人次",
        "指标值说明": "全年对特困人员、低保对象等困难群众实施门诊和住院救助的人次",
    },
    "部门整体目标": {
        "年度": 2024,
        "部门编码": "060",
        "一级指标": "投入管理指标",
        "二级指标": "预算和财务管理",
        "三级指标": "预算执行率",
        "指标值": "≥90%",
        "指标值说明": "预算执行率=实际支出/全年预算数×100%（系统计算）",
        "区划编码": "410702",
    },
    "部门年度目标": {
        "年度": 2024,
        "部门编码": "060",
        "类别": "主要任务",
        "序号": 1,
        "名称": "城乡居民医疗救助",
        "主要内容": "对特困人员、低保对象等困难群众参保给予资助，落实门诊和住院救助",
        "项目编码": PROJECT_CODE,
        "区划编码": "410702",
    },
}

NOTES = (
    "标准导入模板",
    "",
    "每个工作表的第一行是列标题，请勿修改；从第二行起每行一条数据，列的顺序不限，多余的列会被忽略。",
    "各表的第二行是示例：可以照原样导入试用，正式填写时请删除或覆盖。",
    "金额单位为万元，最多6位小数；日期填写 Excel 日期或 YYYY-MM-DD。",
    "编码列（部门编码、单位编码、项目编码、区划编码、凭证号、调整文号）已设为文本格式，"
    "请保留前导零（如 060）。",
    "“区划编码”可不填：系统按项目编码前六位等规则确定部门所属区划，无法确定时会提示填写。",
    "“实际完成”只有列标题：其数据属于财政局开启的运行监控或绩效自评轮次，"
    "轮次未开启时填写的行会被拒绝；也可在轮次页面下载预填好全部指标的“实际完成”表。",
    "上传后系统先校验并列出将新增、更新的数据；任何一行有问题，整个文件都不会写入，确认后才导入。",
    "",
    "各表的必填列：",
)


def _notes(workbook: Workbook, classes: list[type[Sheet]]) -> None:
    sheet = workbook.create_sheet(NOTES_SHEET)
    sheet.column_dimensions["A"].width = 120
    lines = list(NOTES)
    for cls in classes:
        required = "、".join(c.name for c in cls.columns if c.required)
        lines.append(f"{cls.name}：{required}")
    for text in lines:
        sheet.append([text])
        as_text(sheet.cell(sheet.max_row, 1)).alignment = Alignment(wrap_text=True)
    sheet["A1"].font = Font(bold=True, size=14)


def _sheet(workbook: Workbook, cls: type[Sheet]) -> None:
    """Headers (every column, optional ones too) and the example row, codes kept as text."""
    sheet = workbook.create_sheet(cls.name)
    header = [c.name for c in cls.columns]
    example = EXAMPLES.get(cls.name)
    sheet.freeze_panes = "A2"
    for index, title in enumerate(header, start=1):
        letter = get_column_letter(index)
        # Column formats apply to the rows typed later too: a code typed as 060 stays 060.
        dimension = sheet.column_dimensions[letter]
        dimension.width = column_width(title)
        if title in TEXT_COLUMNS:
            dimension.number_format = "@"
        elif title in DATE_COLUMNS:
            dimension.number_format = DATE_FORMAT
        elif title in AMOUNT_COLUMNS:
            dimension.number_format = AMOUNT_FORMAT
        cell = as_text(sheet.cell(1, index, title))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        if example is not None:
            cell = as_text(sheet.cell(2, index, example.get(title)))
            cell.number_format = dimension.number_format


def template_workbook() -> bytes:
    """The template as xlsx bytes: 填写说明, then the sheets in import order."""
    classes = sheet_classes()
    workbook = Workbook()
    workbook.remove(workbook.active)
    _notes(workbook, classes)
    for cls in classes:
        _sheet(workbook, cls)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
