"""The workbook importer framework: each app reads its own sheets, one transaction wraps all.

A sheet class (see budgets/workbook.py) parses rows into records and writes them in chunks.
The importer streams every sheet with openpyxl's read-only mode, collects every problem as
`sheet, row, column: message`, and rolls the whole transaction back when there is any
problem (or on a dry run) — all or nothing. Writes are upserts on the contract's natural
keys, so importing the same workbook twice leaves the same data as importing it once.
The first rows each kind of data creates and updates are kept as samples for the preview.
"""

from __future__ import annotations

import pickle
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import OperationalError, connection, reset_queries, transaction
from django.db.models import prefetch_related_objects
from django.utils.module_loading import import_string

from config.dbbusy import is_database_busy

from .access import FACTS, department_ids, is_reviewer
from .fields import MAX_AMOUNT, MoneyField
from .params import DATE_IMPLAUSIBLE, FIRST_YEAR, LAST_YEAR
from .rates import format_money

# --- messages shown to users (sheet, row and column are added by Problem) --------------------
FILE_EMPTY = "文件为空"
FILE_NOT_XLSX = "文件不是有效的 Excel 工作簿（.xlsx），请另存为 .xlsx 后再上传"
FILE_TOO_LARGE = "文件大小超过上限 {limit}"
FILE_EXPANDS_TOO_MUCH = "文件解压后超过 {limit}，疑似异常文件，已拒绝"
NO_KNOWN_SHEETS = "工作簿中没有可识别的工作表，至少应包含以下之一：{names}"
MISSING_COLUMN = "缺少必填列“{column}”"
VALUE_REQUIRED = "不能为空"
NOT_A_NUMBER = "“{value}”不是有效的数字"
TOO_MANY_DECIMALS = "“{value}”小数位数过多（金额最多6位小数，单位万元）"
AMOUNT_TOO_LARGE = "“{value}”超出允许的金额范围"
MUST_NOT_BE_NEGATIVE = "不能为负数（{value}）"
NOT_A_DATE = "“{value}”不是有效的日期（应为 Excel 日期或 YYYY-MM-DD）"
NOT_A_YEAR = "“{value}”不是有效的年度（如 2024）"
NOT_YES_NO = "“{value}”应为“是”或“否”"
TEXT_TOO_LONG = "内容过长（最多{limit}个字符）"
NUMBER_LOST_DIGITS = (
    "“{value}”是以数字格式保存的长编码，Excel 只保留15位有效数字，末几位可能已丢失；"
    "请将该列设为文本格式后重新填写"
)
NO_PERMISSION_DEPARTMENT = "无权导入部门“{code}”的数据"
SHEET_NOT_PERMITTED = (
    "您无权导入此工作表：{sheet}由单位经办人或管理员填报，财政局只能导入项目、部门预算、"
    "预算调整和支出；本次导入未写入任何数据"
)
DATABASE_BUSY = "系统正忙（另一项导入或保存正在写入数据），本次导入未写入任何数据，请稍后重试"
TOO_MANY_PROBLEMS = "问题过多，仅列出前{limit}条"

MAX_PROBLEMS = 1000
# A grouped problem names at most this many rows or runs of rows, then “等N行”.
MAX_LISTED_RUNS = 10
# Rows created and rows updated the preview shows per kind of data (ImportResult.samples).
SAMPLE_LIMIT = 10
# A text value shown in a sample is cut after this many characters.
SAMPLE_TEXT_LIMIT = 60
# A genuine xlsx compresses text roughly 5–20×; far more than that is a decompression bomb.
MAX_EXPANSION_RATIO = 100
MAX_EXPANDED_BYTES = 2 * 1024 * 1024 * 1024


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size} 字节"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the workbook, located as Excel shows it."""

    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.sheet or "文件"]
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(self.column)
        return f"{', '.join(parts)}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        """The problem as stored by an upload job (budgets.ImportJob.problems)."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        return cls(data.get("sheet"), data.get("row"), data.get("column"), data["message"])


def row_ranges(rows: Iterable[int]) -> str:
    """Row numbers as a page names them: `第2–5、9行`; a run of three or more rows is a range,
    and past MAX_LISTED_RUNS rows or runs the rest is counted: `第2、4、…、20行等80行`."""
    numbers = sorted(set(rows))
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    parts: list[str] = []
    for first, last in runs:
        if last - first >= 2:
            parts.append(f"{first}–{last}")
        else:
            parts.extend(str(n) for n in range(first, last + 1))
    text = f"第{'、'.join(parts[:MAX_LISTED_RUNS])}行"
    if len(parts) > MAX_LISTED_RUNS:
        text += f"等{len(numbers)}行"
    return text


def group_problems(problems: Iterable[Problem | str]) -> list[str]:
    """One line per sheet, column and message, naming every row it concerns, in the order
    the problems were found: 80 rows of another department read as one line. A text (an
    upload job's own failure, or a job stored before problems were structured) stays as is.

    For pages only: the command and ImportResult keep one `sheet, row, column` per problem.
    """
    groups: dict[tuple, list[int]] = {}
    lines: list[tuple | str] = []
    for problem in problems:
        if isinstance(problem, str):
            lines.append(problem)
            continue
        key = (problem.sheet, problem.column, problem.message)
        if key not in groups:
            groups[key] = []
            lines.append(key)
        if problem.row is not None:
            groups[key].append(problem.row)
    shown = []
    for line in lines:
        if isinstance(line, str):
            shown.append(line)
            continue
        sheet, column, message = line
        parts = [sheet or "文件"]
        if groups[line]:
            parts.append(row_ranges(groups[line]))
        if column:
            parts.append(column)
        shown.append(f"{', '.join(parts)}: {message}")
    return shown


class ImportRefused(Exception):
    """The file as a whole cannot be read (not xlsx, empty, too large)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(None, None, None, message)


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False


class Row:
    """One data row of a sheet; the readers record a problem and return None on bad cells."""

    def __init__(
        self,
        ctx: ImportContext,
        sheet: str,
        number: int,
        values: dict[str, Any],
        formats: dict[str, str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.sheet = sheet
        self.number = number
        self.values = values
        self.formats = formats or {}
        self.ok = True

    def problem(self, column: str | None, message: str) -> None:
        self.ok = False
        self.ctx.add_problem(Problem(self.sheet, self.number, column, message))

    def has(self, column: str) -> bool:
        """The sheet has this column (an optional column left out keeps what is stored)."""
        return column in self.values

    def raw(self, column: str) -> Any:
        value = self.values.get(column)
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def _missing(self, column: str, required: bool) -> bool:
        if self.raw(column) is None:
            if required:
                self.problem(column, VALUE_REQUIRED)
            return True
        return False

    def text(self, column: str, *, required: bool = False, max_length: int = 500) -> str:
        """Cell as text; numbers typed into code columns come back without a trailing .0."""
        if self._missing(column, required):
            return ""
        value = self.raw(column)
        if isinstance(value, float) and abs(value) >= 1e15:
            # Excel keeps 15 significant digits: a 21-digit 项目编码 typed as a number has
            # already lost its last digits, so refuse it instead of importing a wrong code.
            self.problem(column, NUMBER_LOST_DIGITS.format(value=f"{value:.0f}"))
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime):
            value = value.date().isoformat()
        text = str(value).strip()
        if len(text) > max_length:
            self.problem(column, TEXT_TOO_LONG.format(limit=max_length))
            return ""
        return text

    def decimal(
        self, column: str, *, required: bool = False, non_negative: bool = False, places: int = 6
    ) -> Decimal | None:
        """An exact decimal: floats from Excel are read through their shortest repr."""
        if self._missing(column, required):
            return None
        value = self.raw(column)
        shown = value
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            if isinstance(value, float):
                number = Decimal(repr(value))
                # Show 0.0000001 as typed, not Python's repr "1e-07".
                shown = f"{number:f}" if number.is_finite() else value
            elif isinstance(value, int | Decimal):
                number = Decimal(value)
            else:
                shown = str(value)
                number = Decimal(shown.replace(",", "").replace("，", ""))
            if not number.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            self.problem(column, NOT_A_NUMBER.format(value=shown))
            return None
        # Magnitude first, without context arithmetic: abs() or quantize() of a huge value
        # such as "1e999999999" would raise decimal.Overflow / InvalidOperation.
        if number.copy_abs() >= MAX_AMOUNT:
            self.problem(column, AMOUNT_TOO_LARGE.format(value=shown))
            return None
        if -number.as_tuple().exponent > places and number != number.quantize(
            Decimal(1).scaleb(-places)
        ):
            self.problem(column, TOO_MANY_DECIMALS.format(value=shown))
            return None
        if non_negative and number < 0:
            self.problem(column, MUST_NOT_BE_NEGATIVE.format(value=shown))
            return None
        return number

    def date(self, column: str, *, required: bool = False) -> date | None:
        """A date in the plausible fiscal years (2000–2100); 0001-01-01 is a typing error."""
        if self._missing(column, required):
            return None
        day = self._date(column)
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.problem(
                column,
                DATE_IMPLAUSIBLE.format(day=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR),
            )
            return None
        return day

    def _date(self, column: str) -> date | None:
        value = self.raw(column)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        for candidate in (text, text.replace("/", "-").replace(".", "-")):
            try:
                return date.fromisoformat(candidate)
            except ValueError:
                continue
        try:
            return datetime.strptime(text, "%Y年%m月%d日").date()
        except ValueError:
            self.problem(column, NOT_A_DATE.format(value=text))
            return None

    def year(self, column: str, *, required: bool = False) -> int | None:
        if self._missing(column, required):
            return None
        value = self.raw(column)
        try:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            year = (
                int(str(value).strip().removesuffix("年"))
                if not isinstance(value, int | float)
                else int(value)
            )
        except ValueError:
            self.problem(column, NOT_A_YEAR.format(value=value))
            return None
        if not FIRST_YEAR <= year <= LAST_YEAR:
            self.problem(column, NOT_A_YEAR.format(value=value))
            return None
        return year

    def yes_no(self, column: str) -> bool | None:
        value = self.raw(column)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        text = str(value).strip()
        if text in ("是", "Y", "y", "1", "TRUE", "true"):
            return True
        if text in ("否", "N", "n", "0", "FALSE", "false"):
            return False
        self.problem(column, NOT_YES_NO.format(value=text))
        return None


class Sheet:
    """Base class of a workbook sheet: parse rows to records, write records in chunks."""

    name: str = ""
    columns: tuple[Column, ...] = ()
    chunk_size: int = 2000
    # Sheets whose cells' number formats matter (a typed 96% is stored as 0.96).
    needs_formats: bool = False
    # Who may write this sheet's rows (budgets.access): budget facts or a department's statements.
    action: str = FACTS

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx

    def parse(self, row: Row) -> Any | None:
        """Validate one row into a record; reads only — nothing is written while parsing."""
        raise NotImplementedError

    def write(self, records: list[Any]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Called after the last chunk (cross-row work such as recomputing scores)."""


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    rows: int = 0
    dry_run: bool = False
    # Seconds spent validating (reads only) and writing (the one transaction, lock held).
    validate_seconds: float = 0.0
    write_seconds: float = 0.0
    # The first SAMPLE_LIMIT rows created and updated of each kind of data, for the preview:
    # {"entity", "action" ("created"/"updated"), "label", "changes": [[field, old, new]]}.
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: what was (or, on a dry run, would be) created and updated."""
        parts = []
        for entity in dict.fromkeys(key[0] for key in self.counts):
            created = self.counts[(entity, "created")]
            updated = self.counts[(entity, "updated")]
            unchanged = self.counts[(entity, "unchanged")]
            parts.append(f"{entity} 新增{created} 更新{updated} 未变{unchanged}")
        prefix = "校验通过（未写入）" if self.dry_run else "导入成功"
        return f"{prefix}：" + ("；".join(parts) if parts else "没有数据行")


CREATED = "created"
UPDATED = "updated"


@dataclass
class Sample:
    """A row created or updated by the import, described once the writes are done."""

    entity: str
    action: str
    instance: Any
    # (field name, stored value, imported value); the stored value is None for a new row.
    changes: list[tuple[str, Any, Any]]


class ImportContext:
    """State shared by the sheets of one import: who imports, problems, counts, lookups."""

    def __init__(self, *, user=None, dry_run: bool = False) -> None:
        self.user = user
        self.dry_run = dry_run
        self.problems: list[Problem] = []
        self.counts: Counter = Counter()
        self.samples: list[Sample] = []
        self._sampled: Counter = Counter()
        self._allowed: dict[str, set[int] | None] = {}
        self.cache: dict[str, Any] = {}
        self.sheets_present: set[str] = set()

    def allowed(self, action: str = FACTS) -> set[int] | None:
        """The department ids this import may write for the action; None: every department."""
        if self.user is None:
            return None
        if action not in self._allowed:
            self._allowed[action] = department_ids(self.user, action)
        return self._allowed[action]

    def refuses(self, action: str) -> bool:
        """The user may write no department's rows of this kind (a sheet refused whole)."""
        if self.allowed(action) != set():
            return False
        # A finance bureau whose 区划 has no department yet still brings in its first ones.
        return not (action == FACTS and is_reviewer(self.user))

    @property
    def allowed_departments(self) -> set[int] | None:
        return self.allowed(FACTS)

    def add_problem(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append(
                Problem(None, None, None, TOO_MANY_PROBLEMS.format(limit=MAX_PROBLEMS))
            )

    def may_change(self, department_id: int | None, action: str = FACTS) -> bool:
        allowed = self.allowed(action)
        if allowed is None:
            return True
        return department_id is not None and department_id in allowed

    def count(self, entity: str, action: str, n: int = 1) -> None:
        self.counts[(entity, action)] += n

    def wants_sample(self, entity: str, action: str) -> bool:
        return self._sampled[(entity, action)] < SAMPLE_LIMIT

    def add_sample(
        self, entity: str, action: str, instance: Any, changes: list[tuple[str, Any, Any]]
    ) -> None:
        """Keep a created or updated row for the preview (the first SAMPLE_LIMIT of each)."""
        if self.wants_sample(entity, action):
            self._sampled[(entity, action)] += 1
            self.samples.append(Sample(entity, action, instance, changes))


def sample_value(value: Any) -> str:
    """A value as the preview shows it: 是/否, exact decimals, ISO dates, short texts."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value.is_finite() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(sample_value(item) for item in value)
    text = str(value)
    if len(text) > SAMPLE_TEXT_LIMIT:
        text = text[: SAMPLE_TEXT_LIMIT - 1] + "…"
    return text


def describe_samples(samples: Collection[Sample]) -> list[dict[str, Any]]:
    """The samples as JSON for ImportResult, inside the write transaction (a dry run's rows
    still exist). Each is labelled with its model's str(); a changed relation is named by
    the related row's str(). A few queries in all, however many rows were written."""
    instances: dict[type, list[Any]] = defaultdict(list)
    related: dict[type, set[Any]] = defaultdict(set)
    for sample in samples:
        model = type(sample.instance)
        instances[model].append(sample.instance)
        for name, old, new in sample.changes:
            target = model._meta.get_field(name)
            if target.is_relation:
                related[target.related_model].update(pk for pk in (old, new) if pk is not None)
    for model, objects in instances.items():
        # str() of a row may name a related row (部门预算 names its department): fetched for
        # all samples of the model at once.
        relations = [f.name for f in model._meta.concrete_fields if f.many_to_one]
        prefetch_related_objects(objects, *relations)
    names = {
        model: {pk: str(obj) for pk, obj in model._default_manager.in_bulk(pks).items()}
        for model, pks in related.items()
    }

    def shown(model, name: str, value: Any) -> str:
        target = model._meta.get_field(name)
        if target.is_relation and value is not None:
            return names[target.related_model].get(value, str(value))
        if isinstance(target, MoneyField) and isinstance(value, Decimal):
            return format_money(value)
        return sample_value(value)

    described = []
    for sample in samples:
        model = type(sample.instance)
        described.append(
            {
                "entity": sample.entity,
                "action": sample.action,
                "label": sample_value(str(sample.instance)),
                "changes": [
                    [
                        str(model._meta.get_field(name).verbose_name),
                        "" if sample.action == CREATED else shown(model, name, old),
                        shown(model, name, new),
                    ]
                    for name, old, new in sample.changes
                ],
            }
        )
    return described


def sheet_classes() -> list[type[Sheet]]:
    """The sheets every app contributes, in import order (settings.WORKBOOK_SHEETS)."""
    return [import_string(path) for path in settings.WORKBOOK_SHEETS]


def check_file(handle: IO[bytes], size: int) -> None:
    """Refuse empty, oversized, non-xlsx files and decompression bombs before parsing."""
    if size == 0:
        raise ImportRefused(FILE_EMPTY)
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise ImportRefused(FILE_TOO_LARGE.format(limit=human_size(limit)))
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportRefused(FILE_NOT_XLSX) from exc
    finally:
        handle.seek(0)
    if "xl/workbook.xml" not in names:
        raise ImportRefused(FILE_NOT_XLSX)
    ceiling = min(MAX_EXPANDED_BYTES, max(size * MAX_EXPANSION_RATIO, 50 * 1024 * 1024))
    if expanded > ceiling:
        raise ImportRefused(FILE_EXPANDS_TOO_MUCH.format(limit=human_size(ceiling)))


def _open(handle: IO[bytes]):
    import openpyxl

    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    check_file(handle, size)
    try:
        return openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt package
        raise ImportRefused(FILE_NOT_XLSX) from exc


def _rows(worksheet, needs_formats: bool) -> Iterator[tuple[int, list[Any], list[str]]]:
    """(row number, values, number formats) of every row, numbered as Excel shows them."""
    if hasattr(worksheet, "reset_dimensions"):
        # Read-only mode trusts the sheet's <dimension> record and silently drops rows and
        # columns outside it; some generators write a stale one (e.g. A1:A1). Read them all.
        worksheet.reset_dimensions()
    if not needs_formats:
        # Plain values: no cell object per value (a fifth of the read at province scale).
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, values, []
        return
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        values = [getattr(cell, "value", None) for cell in cells]
        formats = (
            [getattr(cell, "number_format", "") or "" for cell in cells] if needs_formats else []
        )
        yield number, values, formats


class Spool:
    """One sheet's parsed records, pickled chunk by chunk to a temporary file.

    Validation reads the whole file before anything is written; keeping the records on disk
    instead of in memory keeps a 1,000,000-row import's memory bounded, and the write phase
    only unpickles them instead of parsing the workbook again.
    """

    def __init__(self) -> None:
        # Closed by close(), which run_import calls in its finally block.
        self.file = tempfile.TemporaryFile()  # noqa: SIM115
        self.chunks = 0

    def add(self, chunk: list[Any]) -> None:
        pickle.dump(chunk, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.chunks += 1

    def __iter__(self) -> Iterator[list[Any]]:
        self.file.seek(0)
        for _ in range(self.chunks):
            yield pickle.load(self.file)

    def close(self) -> None:
        self.file.close()


def _read_sheet(ctx: ImportContext, sheet: Sheet, worksheet, progress, spool: Spool) -> int:
    """Parse every row of one sheet, spooling valid records while the import has no problem."""
    rows = _rows(worksheet, sheet.needs_formats)
    # The header is the first non-blank row (blank rows above it are tolerated).
    header_number, header = 0, []
    while not any(v is not None and str(v).strip() for v in header):
        try:
            header_number, header, _ = next(rows)
        except StopIteration:
            return 0
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        if title is not None and str(title).strip() and str(title).strip() not in positions:
            positions[str(title).strip()] = index
    missing = [c.name for c in sheet.columns if c.required and c.name not in positions]
    for name in missing:
        ctx.add_problem(
            Problem(sheet.name, header_number, name, MISSING_COLUMN.format(column=name))
        )
    if missing:
        return 0
    wanted = [(c.name, positions[c.name]) for c in sheet.columns if c.name in positions]
    chunk: list[Any] = []
    count = 0
    for number, values, formats in rows:
        picked = {name: values[i] if i < len(values) else None for name, i in wanted}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in picked.values()):
            continue
        cell_formats = (
            {name: formats[i] if i < len(formats) else "" for name, i in wanted}
            if sheet.needs_formats
            else None
        )
        row = Row(ctx, sheet.name, number, picked, cell_formats)
        record = sheet.parse(row)
        count += 1
        if record is not None and row.ok:
            chunk.append(record)
        if len(chunk) >= sheet.chunk_size:
            # Once anything is wrong nothing will be written: keep validating, stop spooling.
            if not ctx.problems:
                spool.add(chunk)
            chunk = []
            if progress:
                progress(sheet.name, count)
    if chunk and not ctx.problems:
        spool.add(chunk)
    if progress:
        progress(sheet.name, count)
    return count


def _forget_queries() -> None:
    """With DEBUG on, Django keeps the last 9,000 statements: bulk inserts of 500 rows each
    would hold hundreds of MB. Kept when a test is counting them (force_debug_cursor)."""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


def _write(
    ctx: ImportContext, spooled: list[tuple[Sheet, Spool]], *, dry_run: bool
) -> list[dict[str, Any]]:
    """Write the validated records in one short transaction (rolled back on a dry run);
    returns the described samples of what was (or would be) written.

    On SQLite the transaction takes the write lock at its start (transaction_mode IMMEDIATE),
    so it waits at most the busy timeout for another writer and then reports DATABASE_BUSY.
    """
    try:
        with transaction.atomic():
            for sheet, spool in spooled:
                for chunk in spool:
                    sheet.write(chunk)
                    _forget_queries()
                sheet.finish()
            described = describe_samples(ctx.samples)
            if ctx.problems or dry_run:
                transaction.set_rollback(True)
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        ctx.add_problem(Problem(None, None, None, DATABASE_BUSY))
        return []
    return described


def _statistics_refresh() -> None:
    """SQLite plans from what ANALYZE last saw (PostgreSQL's autovacuum keeps its own): after
    a workbook's rows land, refresh it, so that the planner knows how many rows each index
    narrows to (0.2 s for 220,000 payments, once per import)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def run_import(
    source: str | Path | IO[bytes],
    *,
    user=None,
    dry_run: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> ImportResult:
    """Import a workbook all or nothing; `user` None is the unrestricted operator.

    Two phases: every sheet is parsed and validated with reads only (no lock held, however
    long the file), then — when nothing is wrong — the records are written in one transaction.
    A dry run writes too and rolls back, so that its summary counts what would change.
    """
    if isinstance(source, str | Path):
        # A file we open is ours to close (openpyxl leaves a passed-in handle open).
        with Path(source).open("rb") as handle:
            return run_import(handle, user=user, dry_run=dry_run, progress=progress)
    ctx = ImportContext(user=user, dry_run=dry_run)
    result = ImportResult(dry_run=dry_run)
    try:
        workbook = _open(source)
    except ImportRefused as exc:
        result.problems.append(exc.problem)
        return result
    spooled: list[tuple[Sheet, Spool]] = []
    try:
        present = {name.strip(): name for name in workbook.sheetnames}
        classes = sheet_classes()
        known = [cls for cls in classes if cls.name in present]
        if not known:
            names = "、".join(cls.name for cls in classes)
            result.problems.append(Problem(None, None, None, NO_KNOWN_SHEETS.format(names=names)))
            return result
        refused = [cls.name for cls in known if ctx.refuses(cls.action)]
        if refused:
            result.problems.extend(
                Problem(name, None, None, SHEET_NOT_PERMITTED.format(sheet=f"“{name}”"))
                for name in refused
            )
            return result
        ctx.sheets_present = {cls.name for cls in known}
        started = time.perf_counter()
        for cls in known:
            sheet, spool = cls(ctx), Spool()
            spooled.append((sheet, spool))
            result.rows += _read_sheet(ctx, sheet, workbook[present[cls.name]], progress, spool)
        workbook.close()
        result.validate_seconds = time.perf_counter() - started
        if not ctx.problems:
            started = time.perf_counter()
            samples = _write(ctx, spooled, dry_run=dry_run)
            result.samples = [] if ctx.problems else samples
            if not dry_run and not ctx.problems:
                _statistics_refresh()
            result.write_seconds = time.perf_counter() - started
    finally:
        workbook.close()
        for _, spool in spooled:
            spool.close()
    result.problems = ctx.problems
    result.counts = ctx.counts
    return result
