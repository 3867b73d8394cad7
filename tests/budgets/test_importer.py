"""The importer framework: refusing bad files, reading cells, all or nothing, row numbers."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from budgets import importer
from budgets.importer import (
    AMOUNT_TOO_LARGE,
    FILE_EMPTY,
    FILE_EXPANDS_TOO_MUCH,
    FILE_NOT_XLSX,
    FILE_TOO_LARGE,
    MAX_LISTED_RUNS,
    MISSING_COLUMN,
    MUST_NOT_BE_NEGATIVE,
    NO_KNOWN_SHEETS,
    NO_PERMISSION_DEPARTMENT,
    NOT_A_DATE,
    NOT_A_NUMBER,
    NOT_A_YEAR,
    NOT_YES_NO,
    TEXT_TOO_LONG,
    TOO_MANY_DECIMALS,
    TOO_MANY_PROBLEMS,
    VALUE_REQUIRED,
    ImportContext,
    Problem,
    Row,
    group_problems,
    row_ranges,
    run_import,
    sheet_classes,
)
from budgets.models import Payment, Project

from .workbooks import (
    PAYMENT_HEADER,
    PROJECT_HEADER,
    database_state,
    make_workbook,
    payment_row,
    project_row,
)

KNOWN_SHEETS = "、".join(cls.name for cls in sheet_classes())


def messages(result) -> list[str]:
    return [str(problem) for problem in result.problems]


def a_row(**values) -> tuple[Row, ImportContext]:
    ctx = ImportContext()
    return Row(ctx, "支出", 7, values), ctx


# --- Problem --------------------------------------------------------------------------------


def test_a_problem_reads_sheet_row_column_and_message():
    assert str(Problem("支出", 12, "金额", "不能为空")) == "支出, 第12行, 金额: 不能为空"


def test_a_problem_of_the_whole_file_names_the_file():
    assert str(Problem(None, None, None, FILE_EMPTY)) == "文件: 文件为空"


def test_a_problem_of_a_sheet_without_a_row_leaves_the_row_out():
    assert str(Problem("项目", None, None, "x")) == "项目: x"


# --- cell readers (no database) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (50.55, Decimal("50.55")),
        (0.1, Decimal("0.1")),
        (12, Decimal(12)),
        ("1,234.5", Decimal("1234.5")),
        (" 7.000001 ", Decimal("7.000001")),
        ("1.2345670", Decimal("1.234567")),
        (-3.5, Decimal("-3.5")),
    ],
)
def test_it_reads_amounts_as_exact_decimals(value, expected):
    row, ctx = a_row(金额=value)
    assert row.decimal("金额") == expected
    assert ctx.problems == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", NOT_A_NUMBER.format(value="abc")),
        (True, NOT_A_NUMBER.format(value=True)),
        ("NaN", NOT_A_NUMBER.format(value="NaN")),
        ("Infinity", NOT_A_NUMBER.format(value="Infinity")),
        (0.1234567, TOO_MANY_DECIMALS.format(value="0.1234567")),
        (1e-7, TOO_MANY_DECIMALS.format(value="0.0000001")),
        ("0.1234567", TOO_MANY_DECIMALS.format(value="0.1234567")),
        ("1000000000000", AMOUNT_TOO_LARGE.format(value="1000000000000")),
        # Once crashed with decimal.Overflow / InvalidOperation instead of a problem.
        ("1e999999999", AMOUNT_TOO_LARGE.format(value="1e999999999")),
        (
            "1000000000000000000000000.1234567",
            AMOUNT_TOO_LARGE.format(value="1000000000000000000000000.1234567"),
        ),
    ],
)
def test_it_reports_a_bad_amount_with_its_value(value, message):
    row, ctx = a_row(金额=value)
    assert row.decimal("金额") is None
    assert [str(p) for p in ctx.problems] == [f"支出, 第7行, 金额: {message}"]


def test_it_refuses_a_negative_amount_where_only_positive_ones_make_sense():
    row, ctx = a_row(年初预算=-1)
    assert row.decimal("年初预算", non_negative=True) is None
    assert [p.message for p in ctx.problems] == [MUST_NOT_BE_NEGATIVE.format(value=-1)]


def test_a_required_blank_cell_is_a_problem_and_an_optional_one_is_none():
    row, ctx = a_row(金额="  ", 摘要=None)
    assert row.decimal("金额", required=True) is None
    assert row.text("摘要") == ""
    assert [str(p) for p in ctx.problems] == [f"支出, 第7行, 金额: {VALUE_REQUIRED}"]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 7, 31, 0, 0),
        date(2024, 7, 31),
        "2024-07-31",
        "2024/07/31",
        "2024.07.31",
        "2024年07月31日",
        " 2024-07-31 ",
    ],
)
def test_it_reads_excel_dates_and_written_dates(value):
    row, ctx = a_row(日期=value)
    assert row.date("日期") == date(2024, 7, 31)
    assert ctx.problems == []


def test_it_reports_a_date_it_cannot_read():
    row, ctx = a_row(日期="七月底")
    assert row.date("日期") is None
    assert [p.message for p in ctx.problems] == [NOT_A_DATE.format(value="七月底")]


@pytest.mark.parametrize(("value", "year"), [(2024, 2024), (2024.0, 2024), ("2024年", 2024)])
def test_it_reads_a_year(value, year):
    row, ctx = a_row(年度=value)
    assert row.year("年度") == year
    assert ctx.problems == []


@pytest.mark.parametrize("value", [24, 2024.5, "二〇二四", 3000])
def test_it_reports_a_year_it_cannot_read(value):
    row, ctx = a_row(年度=value)
    assert row.year("年度") is None
    assert [p.message for p in ctx.problems] == [NOT_A_YEAR.format(value=value)]


def test_codes_keep_their_leading_zeros_and_lose_a_float_tail():
    row, ctx = a_row(部门编码="060", 单位编码=60001.0)
    assert row.text("部门编码") == "060"
    assert row.text("单位编码") == "60001"
    assert ctx.problems == []


def test_too_long_text_is_a_problem():
    row, ctx = a_row(摘要="长" * 11)
    assert row.text("摘要", max_length=10) == ""
    assert [p.message for p in ctx.problems] == [TEXT_TOO_LONG.format(limit=10)]


@pytest.mark.parametrize(
    ("value", "expected"), [("是", True), ("否", False), (None, False), (True, True)]
)
def test_it_reads_yes_and_no(value, expected):
    row, ctx = a_row(三公经费=value)
    assert row.yes_no("三公经费") is expected
    assert ctx.problems == []


def test_it_reports_a_yes_no_cell_with_anything_else():
    row, ctx = a_row(三公经费="可能")
    assert row.yes_no("三公经费") is None
    assert [p.message for p in ctx.problems] == [NOT_YES_NO.format(value="可能")]


# --- files that are refused before any row is read ------------------------------------------


def refused(result) -> list[str]:
    assert not result.ok
    return messages(result)


@pytest.mark.django_db
def test_it_refuses_an_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert refused(run_import(path)) == [f"文件: {FILE_EMPTY}"]


@pytest.mark.django_db
def test_it_refuses_random_bytes(tmp_path):
    path = tmp_path / "noise.xlsx"
    path.write_bytes(os.urandom(4096))
    assert refused(run_import(path)) == [f"文件: {FILE_NOT_XLSX}"]


@pytest.mark.django_db
def test_it_refuses_a_csv_file_renamed_to_xlsx(tmp_path):
    path = tmp_path / "payments.xlsx"
    path.write_text("部门编码,凭证号,日期,金额\n309,记-1,2024-03-01,1.5\n", encoding="utf-8")
    assert refused(run_import(path)) == [f"文件: {FILE_NOT_XLSX}"]


@pytest.mark.django_db
def test_it_refuses_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert refused(run_import(path)) == [f"文件: {FILE_NOT_XLSX}"]


@pytest.mark.django_db
def test_it_refuses_a_workbook_with_a_broken_part(tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-closed")
    assert refused(run_import(path)) == [f"文件: {FILE_NOT_XLSX}"]


@pytest.mark.django_db
def test_it_refuses_a_file_over_the_upload_limit(tmp_path):
    path = make_workbook(tmp_path / "big.xlsx", {"项目": [PROJECT_HEADER]})
    limit = path.stat().st_size - 1
    with override_settings(IMPORT_MAX_UPLOAD_BYTES=limit):
        result = run_import(path)
    assert refused(result) == [f"文件: {FILE_TOO_LARGE.format(limit=f'{limit} 字节')}"]


@pytest.mark.django_db
def test_the_upload_limit_is_shown_in_megabytes(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"x" * (1024 * 1024 + 1))
    with override_settings(IMPORT_MAX_UPLOAD_BYTES=1024 * 1024):
        result = run_import(path)
    assert refused(result) == [f"文件: {FILE_TOO_LARGE.format(limit='1 MB')}"]


@pytest.mark.django_db
def test_it_refuses_a_decompression_bomb_without_expanding_it(tmp_path):
    path = make_workbook(tmp_path / "bomb.xlsx", {"项目": [PROJECT_HEADER]})
    # A valid workbook plus one entry of zeros that deflates about 1000 to 1.
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w") as entry,
    ):
        block = b"\0" * (1024 * 1024)
        for _ in range(60):
            entry.write(block)
    size = path.stat().st_size
    assert size < 1024 * 1024
    result = run_import(path)
    assert refused(result) == [f"文件: {FILE_EXPANDS_TOO_MUCH.format(limit='50 MB')}"]


@pytest.mark.django_db
def test_it_reads_an_uploaded_file_object_as_well_as_a_path(tmp_path):
    path = make_workbook(tmp_path / "p.xlsx", {"项目": [PROJECT_HEADER, project_row("P1")]})
    result = run_import(io.BytesIO(path.read_bytes()))
    assert result.ok, messages(result)
    assert Project.objects.filter(code="P1").exists()


@pytest.mark.django_db
def test_a_workbook_with_none_of_the_known_sheets_is_refused(tmp_path):
    path = make_workbook(tmp_path / "other.xlsx", {"Sheet1": [["a", "b"], [1, 2]]})
    assert refused(run_import(path)) == [f"文件: {NO_KNOWN_SHEETS.format(names=KNOWN_SHEETS)}"]


# --- reading sheets -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_required_column_is_named_on_the_header_row(tmp_path):
    header = [c for c in PAYMENT_HEADER if c not in ("凭证号", "金额")]
    path = make_workbook(tmp_path / "p.xlsx", {"支出": [header, ["309", "2024-03-01"]]})
    assert refused(run_import(path)) == [
        f"支出, 第1行, 凭证号: {MISSING_COLUMN.format(column='凭证号')}",
        f"支出, 第1行, 金额: {MISSING_COLUMN.format(column='金额')}",
    ]


@pytest.mark.django_db
def test_headers_may_have_spaces_extra_columns_and_any_order(tmp_path):
    header = [
        " 项目编码",
        "备注",
        *reversed(PROJECT_HEADER[:5]),
        "项目名称 ",
        "年初预算",
        " 区划编码",
    ]
    row = ["P1", "ignored", "本级", "309002", "新乡市医疗保障局", "309", 2024, "项目一", 5, 410700]
    path = make_workbook(tmp_path / "p.xlsx", {" 项目 ": [header, row]})
    result = run_import(path)
    assert result.ok, messages(result)
    project = Project.objects.get(code="P1")
    assert (project.name, project.initial_budget, project.unit.code) == (
        "项目一",
        Decimal(5),
        "309002",
    )


@pytest.mark.django_db
def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(tmp_path):
    path = make_workbook(
        tmp_path / "gap.xlsx",
        {
            "项目": [
                PROJECT_HEADER,  # row 1
                project_row("P1"),  # row 2
                [],  # rows 3 and 4 blank
                [],
                [None, "  ", None],  # row 5: only blanks in cells
                project_row("P2", initial="很多"),  # row 6
            ]
        },
    )
    result = run_import(path)
    assert messages(result) == [f"项目, 第6行, 年初预算: {NOT_A_NUMBER.format(value='很多')}"]


@pytest.mark.django_db
def test_blank_rows_above_the_header_are_tolerated(tmp_path):
    path = make_workbook(
        tmp_path / "p.xlsx",
        {"项目": [[], [], [h for h in PROJECT_HEADER if h != "项目名称"], ["x"]]},
    )
    assert messages(run_import(path)) == [
        f"项目, 第3行, 项目名称: {MISSING_COLUMN.format(column='项目名称')}"
    ]


@pytest.mark.django_db
def test_rows_outside_a_stale_dimension_record_are_still_read(tmp_path):
    good = make_workbook(
        tmp_path / "good.xlsx",
        {"项目": [PROJECT_HEADER, project_row("P1"), project_row("P2")]},
    )
    # Some generators write <dimension ref="A1"/>; openpyxl's read-only mode trusts it.
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(stale, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<dimension ref="A1:K3" />', b'<dimension ref="A1" />')
                assert b'<dimension ref="A1" />' in data
            out.writestr(info, data)
    result = run_import(stale)
    assert result.ok, messages(result)
    assert sorted(Project.objects.values_list("code", flat=True)) == ["P1", "P2"]


@pytest.mark.django_db
def test_a_problem_in_the_last_sheet_undoes_the_sheets_written_before_it(tmp_path):
    path = make_workbook(
        tmp_path / "p.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row("P1")],
            "支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", "x", project="P1")],
        },
    )
    before = database_state()
    result = run_import(path)
    assert messages(result) == [f"支出, 第2行, 金额: {NOT_A_NUMBER.format(value='x')}"]
    assert database_state() == before


@pytest.mark.django_db
def test_a_dry_run_validates_counts_and_writes_nothing(tmp_path):
    path = make_workbook(
        tmp_path / "p.xlsx",
        {
            "项目": [PROJECT_HEADER, project_row("P1"), project_row("P2")],
            "支出": [PAYMENT_HEADER, payment_row("记-1", "2024-03-01", 1, project="P1")],
        },
    )
    before = database_state()
    result = run_import(path, dry_run=True)
    assert result.ok, messages(result)
    assert result.summary() == (
        "校验通过（未写入）：部门 新增1 更新0 未变0；单位 新增1 更新0 未变0；"
        "项目 新增2 更新0 未变0；支出 新增1 更新0 未变0"
    )
    assert database_state() == before


@pytest.mark.django_db
def test_the_summary_of_a_workbook_without_data_rows_says_so(tmp_path):
    path = make_workbook(tmp_path / "p.xlsx", {"项目": [PROJECT_HEADER]})
    result = run_import(path)
    assert result.ok
    assert result.summary() == "导入成功：没有数据行"


@pytest.mark.django_db
def test_progress_is_reported_per_chunk_and_at_the_end_of_each_sheet(tmp_path, monkeypatch):
    from budgets.workbook import ProjectSheet

    monkeypatch.setattr(ProjectSheet, "chunk_size", 2)
    rows = [project_row(f"P{i}") for i in range(5)]
    path = make_workbook(tmp_path / "p.xlsx", {"项目": [PROJECT_HEADER, *rows]})
    calls = []
    result = run_import(path, progress=lambda sheet, n: calls.append((sheet, n)))
    assert result.ok, messages(result)
    assert calls == [("项目", 2), ("项目", 4), ("项目", 5)]
    assert Project.objects.count() == 5


@pytest.mark.django_db
def test_problems_are_capped_with_a_final_note(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_PROBLEMS", 3)
    rows = [payment_row(f"记-{i}", "2024-03-01", "x") for i in range(5)]
    path = make_workbook(tmp_path / "p.xlsx", {"支出": [PAYMENT_HEADER, *rows]})
    result = run_import(path)
    assert len(result.problems) == 4
    assert str(result.problems[-1]) == f"文件: {TOO_MANY_PROBLEMS.format(limit=3)}"
    assert Payment.objects.count() == 0


def test_a_long_code_saved_as_a_number_is_refused_rather_than_imported_wrong(db, tmp_path):
    from budgets.importer import NUMBER_LOST_DIGITS
    from tests.budgets.workbooks import PROJECT_HEADER, project_row

    row = project_row("x")
    row[PROJECT_HEADER.index("项目编码")] = 410702220000000012237  # an int Excel keeps as float
    path = make_workbook(tmp_path / "w.xlsx", {"项目": [PROJECT_HEADER, row]})
    result = run_import(path)
    value = f"{float(410702220000000012237):.0f}"
    assert [str(p) for p in result.problems] == [
        f"项目, 第2行, 项目编码: {NUMBER_LOST_DIGITS.format(value=value)}"
    ]


# --- problems that repeat: one line on the pages, one line each in the contract ----------------


@pytest.mark.parametrize(
    ("rows", "shown"),
    [
        ([7], "第7行"),
        ([2, 3], "第2、3行"),
        ([9, 2, 3, 4, 5], "第2–5、9行"),
        ([2, 3, 4, 6, 7, 10, 11, 12, 13], "第2–4、6、7、10–13行"),
        ([5, 5, 6, 7], "第5–7行"),
    ],
)
def test_rows_are_listed_with_runs_compressed(rows, shown):
    assert row_ranges(rows) == shown


def test_a_long_row_list_is_cut_and_counted():
    rows = list(range(2, 162, 2))  # 80 rows, none next to another
    listed = "、".join(str(n) for n in rows[:MAX_LISTED_RUNS])
    assert row_ranges(rows) == f"第{listed}行等80行"


def test_problems_with_the_same_sheet_column_and_message_become_one_line():
    foreign = NO_PERMISSION_DEPARTMENT.format(code="044")
    problems = [Problem("支出", n, "部门编码", foreign) for n in (2, 3, 4, 5)]
    problems.insert(2, Problem("支出", 4, "金额", NOT_A_NUMBER.format(value="x")))
    problems += [
        Problem("支出", 9, "部门编码", foreign),
        Problem("项目", 9, "部门编码", foreign),
        Problem(None, None, None, FILE_EMPTY),
        "导入过程中发生内部错误",
    ]
    assert group_problems(problems) == [
        f"支出, 第2–5、9行, 部门编码: {foreign}",
        f"支出, 第4行, 金额: {NOT_A_NUMBER.format(value='x')}",
        f"项目, 第9行, 部门编码: {foreign}",
        f"文件: {FILE_EMPTY}",
        "导入过程中发生内部错误",
    ]


def test_a_problem_reads_back_from_its_json():
    problem = Problem("支出", 12, "金额", NOT_A_NUMBER.format(value="x"))
    assert Problem.from_json(problem.as_json()) == problem
    assert Problem.from_json(Problem(None, None, None, FILE_EMPTY).as_json()).row is None


def test_the_result_and_the_command_keep_one_line_per_problem(tmp_path, alice, department_b):
    from io import StringIO

    from django.core.management import CommandError, call_command

    rows = [payment_row(f"记-{n}", "2024-03-01", 1, department="044") for n in range(80)]
    path = make_workbook(tmp_path / "p.xlsx", {"支出": [PAYMENT_HEADER, *rows]})
    foreign = NO_PERMISSION_DEPARTMENT.format(code="044")
    expected = [f"支出, 第{n}行, 部门编码: {foreign}" for n in range(2, 82)]
    assert messages(run_import(path, user=alice)) == expected
    err = StringIO()
    with pytest.raises(CommandError, match="共80个问题"):
        call_command("import_workbook", str(path), "--user", "alice", stderr=err)
    assert err.getvalue().splitlines() == expected
    assert group_problems(run_import(path, user=alice).problems) == [
        f"支出, 第2–81行, 部门编码: {foreign}"
    ]
