"""Text cells stay text in every xlsx the system writes: no formula, no error value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from openpyxl.cell import WriteOnlyCell

from budgets.xlsx import as_text, cell_value

from .workbooks import (
    ERROR_TEXT,
    FORMULA_INDICATOR_NAME,
    FORMULA_MEASURE,
    FORMULA_NOTE,
    FORMULA_SUMMARY,
    assert_cells_are_text,
)

TEXTS = [FORMULA_SUMMARY, FORMULA_INDICATOR_NAME, FORMULA_NOTE, FORMULA_MEASURE, ERROR_TEXT, "="]


def saved(workbook: openpyxl.Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_text_cell_of_a_write_only_workbook_is_text_and_reads_back_the_same():
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("支出")
    sheet.append([as_text(WriteOnlyCell(sheet, value=text)) for text in TEXTS])
    content = saved(workbook)
    assert_cells_are_text(content, TEXTS)
    # The importer reads in read-only mode with cached values only.
    read = openpyxl.load_workbook(BytesIO(content), read_only=True, data_only=True)
    assert list(next(read["支出"].iter_rows(values_only=True))) == TEXTS


def test_a_text_cell_of_a_normal_workbook_is_text_and_reads_back_the_same():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for column, text in enumerate(TEXTS, start=1):
        as_text(sheet.cell(row=1, column=column, value=text))
    content = saved(workbook)
    assert_cells_are_text(content, TEXTS)
    read = openpyxl.load_workbook(BytesIO(content), data_only=True).active
    assert [cell.value for cell in read[1]] == TEXTS


@pytest.mark.parametrize(
    ("value", "data_type"), [(Decimal("1.5"), "n"), (7, "n"), (date(2024, 1, 2), "d"), (None, "n")]
)
def test_numbers_dates_and_blanks_keep_their_type(value, data_type):
    sheet = openpyxl.Workbook().active
    assert as_text(sheet.cell(row=1, column=1, value=value)).data_type == data_type


def test_a_cell_value_loses_what_openpyxl_refuses_and_keeps_the_rest():
    assert cell_value("差\x00旅\x0b费\x1f") == "差旅费"
    assert cell_value("第一行\n第二行\t\r") == "第一行\n第二行\t\r"
    assert cell_value(12) == 12 and cell_value(None) is None
    workbook = openpyxl.Workbook()
    workbook.active.append([cell_value("医保\x0b项目")])
    assert openpyxl.load_workbook(BytesIO(saved(workbook))).active["A1"].value == "医保项目"
