"""Writes of the budgets app: users, payments, adjustments and workbook uploads."""

from __future__ import annotations

import logging
import os
import secrets
import string
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .access import FACTS, may_access_department
from .choices import AdjustmentKind, Role, role_from_text
from .fields import MAX_AMOUNT, QUANTUM
from .importer import check_file, run_import, sheet_classes
from .models import (
    Adjustment,
    Department,
    ImportJob,
    Payment,
    Project,
    User,
)
from .params import FIRST_YEAR, LAST_YEAR, is_plausible
from .rates import BudgetFigures, format_money
from .selectors import (
    department_by_ref,
    division_by_code,
    project_figures,
)

# The nightly snapshot has a module of its own; its entry points stay importable from here.
from .snapshots import SnapshotResult, rates_snapshot_save  # noqa: F401

UNKNOWN_ROLE = "未知角色“{role}”，可选：单位经办人、财政局审核人、管理员"
STAFF_NEEDS_DEPARTMENT = "单位经办人必须指定所属部门（--department 部门编码 或 区划编码/部门编码）"
DIVISION_ONLY_FOR_REVIEWERS = (
    "只有财政局审核人属于区划（--division）：单位经办人的区划即其部门的区划，管理员覆盖所有区划"
)
SUBORDINATES_NEED_DIVISION = (
    "含下级（--with-subordinates）需要同时指定所属区划（--division 区划编码）"
)
INVALID_USERNAME = "用户名不能为空，且只能包含字母、数字和 @/./+/-/_"


def generate_password(length: int = 14) -> str:
    """A random password of letters and digits, easy to read out and to type."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


@transaction.atomic
def user_save(
    *,
    username: str,
    role_text: str,
    department_code: str | None = None,
    division_code: str | None = None,
    with_subordinates: bool = False,
    email: str | None = None,
    password: str | None = None,
    name: str | None = None,
) -> tuple[User, bool]:
    """Create or update a user with a role; admins get the Django admin site too.

    `department_code` is `部门编码` or `区划编码/部门编码`. A reviewer belongs to the 区划 of
    `division_code` (set up from GB/T 2260 on first use), and with `with_subordinates` also
    covers the 区划 below it; a reviewer without one covers every 区划.
    """
    role = role_from_text(role_text)
    if role is None:
        raise ValidationError(UNKNOWN_ROLE.format(role=role_text))
    department = None
    if department_code:
        department = department_by_ref(department_code)
    if role == Role.STAFF and department is None:
        raise ValidationError(STAFF_NEEDS_DEPARTMENT)
    if division_code and role != Role.REVIEWER:
        raise ValidationError(DIVISION_ONLY_FOR_REVIEWERS)
    if with_subordinates and not division_code:
        raise ValidationError(SUBORDINATES_NEED_DIVISION)
    division = division_by_code(division_code, create=True) if division_code else None
    username = username.strip()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    user.role = role
    user.department = department
    user.division = division
    user.with_subordinates = with_subordinates
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    if email is not None:
        user.email = email.strip()
    if name is not None:
        user.name = name.strip()
    if password:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        if "username" in exc.message_dict:
            raise ValidationError(INVALID_USERNAME) from exc
        raise
    user.save()
    return user, created


# --- payments and adjustments ----------------------------------------------------------------

NO_CHANGE_PERMISSION = "您无权修改部门“{department}”的数据"
AMOUNT_TOO_PRECISE = "金额最多保留6位小数（单位万元）"
AMOUNT_TOO_LARGE = "金额超出允许范围（绝对值须小于1万亿万元）"
PROJECT_NOT_IN_YEAR = "项目“{code}”在{year}年度不存在（年度按日期所在年份确定），请检查日期"
PROJECT_OF_OTHER_DEPARTMENT = "项目“{code}”在{year}年度属于部门“{owner}”，不属于部门“{department}”"
VOUCHER_TAKEN = "凭证号“{voucher}”在部门“{department}”{year}年度已存在"
DOCUMENT_NUMBER_TAKEN = "调整文号“{number}”在部门“{department}”{year}年度已存在"
VALUE_REQUIRED = "不能为空"
DATE_OUTSIDE_FISCAL_YEARS = "日期{day}不在可录入的年度范围（{first}—{last}年）内，请检查日期"
DATE_OUTSIDE_YEAR = "日期{day}不在{year}年度内，请检查日期"
BUDGET_WOULD_BE_NEGATIVE = (
    "调整后全年预算数为{adjusted}万元，不能为负数"
    "（年初预算数{initial}万元，已有调整{existing}万元，本次调整{amount}万元）"
)
OVER_BUDGET = (
    "本次支出后执行数为{executed}万元，超过全年预算数{adjusted}万元"
    "（剩余预算{remaining}万元，本次支出{amount}万元）；"
    "如确需超预算支出，请勾选“确认超预算支出”后再保存"
)
BUDGET_WOULD_BE_NEGATIVE_AFTER_DELETE = (
    "删除后全年预算数为{adjusted}万元，不能为负数"
    "（年初预算数{initial}万元，其余调整{existing}万元）"
)

# MoneyField keeps 12 integer digits of 万元 (see budgets.fields.MAX_DIGITS).


def validate_amount(amount: Decimal) -> None:
    """Refuse amounts the MoneyField cannot hold exactly: more than 6 decimals or 12 digits."""
    # copy_abs, not abs(): abs() rounds in the context and overflows on "1e999999999".
    if not amount.is_finite() or amount.copy_abs() >= MAX_AMOUNT:
        raise ValidationError(AMOUNT_TOO_LARGE, code="too_large")
    if amount != amount.quantize(QUANTUM):
        raise ValidationError(AMOUNT_TOO_PRECISE, code="too_precise")


def _check_change(user: User, department: Department) -> None:
    if not may_access_department(user, department, FACTS):
        raise PermissionDenied(NO_CHANGE_PERMISSION.format(department=department.name))


def _check_amount(amount: Decimal) -> None:
    try:
        validate_amount(amount)
    except ValidationError as exc:
        raise ValidationError({"amount": exc.messages}) from exc


def _check_date(day: date, year: int | None) -> None:
    """A payment's or adjustment's date: in a fiscal year the system keeps (0001-01-01 and
    9999-12-31 are typing slips), and in `year` when the page says which year is entered."""
    if not is_plausible(day):
        message = DATE_OUTSIDE_FISCAL_YEARS.format(
            day=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR
        )
        raise ValidationError({"date": message})
    if year is not None and day.year != year:
        raise ValidationError({"date": DATE_OUTSIDE_YEAR.format(day=day.isoformat(), year=year)})


def _project_in_year(project: Project, year: int, department: Department) -> Project:
    """The project with the same code in the year of the date (a project exists per year)."""
    found = (
        project
        if project.year == year
        else Project.objects.filter(year=year, code=project.code).first()
    )
    if found is None:
        raise ValidationError({"date": PROJECT_NOT_IN_YEAR.format(code=project.code, year=year)})
    if found.department_id != department.pk:
        owner = Department.objects.get(pk=found.department_id)
        raise ValidationError(
            PROJECT_OF_OTHER_DEPARTMENT.format(
                code=found.code, year=year, owner=owner.name, department=department.name
            )
        )
    return found


def project_remaining_budget(project: Project) -> BudgetFigures:
    """The project's full-year figures: 全年预算数 and 执行数 as of the end of its year."""
    return project_figures(Project.objects.filter(pk=project.pk), date(project.year, 12, 31))[
        project.pk
    ]


def check_over_budget(project: Project, amount: Decimal, payment: Payment | None) -> None:
    """Refuse, unless confirmed, a payment that takes 执行数 above 全年预算数 (year end).

    `payment` is the stored payment being edited (its stored amount is replaced), or None.
    Shared by the pages (payment_save) and the admin's payment form.
    """
    figures = project_remaining_budget(project)
    executed = figures.executed
    if payment is not None and payment.pk is not None and payment.project_id == project.pk:
        executed -= Payment.objects.get(pk=payment.pk).amount
    after = executed + amount
    # Only a change that spends more is asked about (a refund of an overspent project is not).
    if after > figures.adjusted and after > figures.executed:
        raise ValidationError(
            {
                "confirm_over_budget": OVER_BUDGET.format(
                    executed=format_money(after),
                    adjusted=format_money(figures.adjusted),
                    remaining=format_money(figures.adjusted - executed),
                    amount=format_money(amount),
                )
            },
            code="over_budget",
        )


@transaction.atomic
def payment_save(
    *,
    user: User,
    department: Department,
    voucher: str,
    date: date,
    amount: Decimal,
    project: Project | None = None,
    three_public: bool = False,
    procurement: bool = False,
    summary: str = "",
    payment: Payment | None = None,
    year: int | None = None,
    confirm_over_budget: bool = False,
) -> Payment:
    """Create a payment, or update `payment`; its year is the year of its date.

    A project payment goes to the project with the same code in that year, which must exist
    and belong to the department; no project means basic expenditure (基本支出), which has
    no project year to check the date against: `year` is the year being entered.

    A project payment that takes 执行数 above 全年预算数 (both at year end) is refused with
    an error on `confirm_over_budget` unless that is true; basic expenditure is not checked.
    """
    if payment is not None and payment.department_id != department.pk:
        raise ValueError("a payment cannot move to another department")
    _check_change(user, department)
    voucher = voucher.strip()
    if not voucher:
        raise ValidationError({"voucher": VALUE_REQUIRED})
    _check_amount(amount)
    _check_date(date, year)
    year = date.year
    if project is not None:
        project = _project_in_year(project, year, department)
    taken = Payment.objects.filter(department=department, year=year, voucher=voucher)
    if payment is not None:
        taken = taken.exclude(pk=payment.pk)
    message = VOUCHER_TAKEN.format(voucher=voucher, department=department.name, year=year)
    if taken.exists():
        raise ValidationError({"voucher": message})
    if project is not None and not confirm_over_budget:
        check_over_budget(project, amount, payment)
    payment = payment or Payment(department=department)
    payment.year = year
    payment.voucher = voucher
    payment.date = date
    payment.amount = amount
    payment.project = project
    payment.three_public = three_public
    payment.procurement = procurement
    payment.summary = summary.strip()
    payment.full_clean(validate_unique=False, validate_constraints=False)
    payment._history_user = user
    try:
        # A concurrent save of the same voucher loses on the database constraint.
        with transaction.atomic():
            payment.save()
    except IntegrityError as exc:
        raise ValidationError({"voucher": message}) from exc
    return payment


@transaction.atomic
def payment_delete(*, user: User, payment: Payment) -> None:
    """Delete a payment (kept in its history with who deleted it)."""
    _check_change(user, payment.department)
    payment._history_user = user
    payment.delete()


def _full_year_budget(
    project: Project, *, excluding: Adjustment | None = None
) -> tuple[Decimal, Decimal]:
    """(年初预算数, the other adjustments up to year end) of the project: the figures of its
    全年预算数 without `excluding` (the adjustment being edited or deleted).

    The project row is locked first so that two concurrent adjustments cannot each pass.
    """
    locked = Project.objects.select_for_update().get(pk=project.pk)
    initial = (locked.initial_budget or Decimal(0)) + (locked.carryover or Decimal(0))
    others = Adjustment.objects.filter(project=locked, date__lte=date(locked.year, 12, 31))
    if excluding is not None and excluding.pk is not None:
        others = others.exclude(pk=excluding.pk)
    existing = sum(others.values_list("amount", flat=True), Decimal(0))
    return initial, existing


def check_budget_not_negative(
    project: Project, amount: Decimal, adjustment: Adjustment | None
) -> None:
    """Refuse an adjustment that leaves the project's 全年预算数 (at year end) negative.

    `adjustment` is the stored adjustment being edited (its stored amount is replaced), or
    None. Shared by the pages (adjustment_save) and the admin's adjustment form.
    """
    initial, existing = _full_year_budget(project, excluding=adjustment)
    adjusted = initial + existing + amount
    if adjusted < 0:
        message = BUDGET_WOULD_BE_NEGATIVE.format(
            adjusted=format_money(adjusted),
            initial=format_money(initial),
            existing=format_money(existing),
            amount=format_money(amount),
        )
        raise ValidationError({"amount": message}, code="negative_budget")


@transaction.atomic
def adjustment_save(
    *,
    user: User,
    project: Project,
    document_number: str,
    date: date,
    amount: Decimal,
    note: str = "",
    kind: str = AdjustmentKind.GENERAL,
    adjustment: Adjustment | None = None,
) -> Adjustment:
    """Create or update a budget adjustment (追加 positive, 追减 negative) of a project.

    Its year is the year of its date; the document number is unique within the project's
    department and that year (another department's numbers are neither seen nor matched).
    `kind` is 一般调整 or 政策性调整 (left out of 预算调整率).
    """
    department = project.department
    _check_change(user, department)
    document_number = document_number.strip()
    if not document_number:
        raise ValidationError({"document_number": VALUE_REQUIRED})
    _check_amount(amount)
    _check_date(date, None)
    year = date.year
    project = _project_in_year(project, year, department)
    taken = Adjustment.objects.filter(
        year=year, department=department, document_number=document_number
    )
    if adjustment is not None:
        taken = taken.exclude(pk=adjustment.pk)
    message = DOCUMENT_NUMBER_TAKEN.format(
        number=document_number, department=department.name, year=year
    )
    if taken.exists():
        raise ValidationError({"document_number": message})
    check_budget_not_negative(project, amount, adjustment)
    adjustment = adjustment or Adjustment()
    adjustment.year = year
    adjustment.document_number = document_number
    adjustment.project = project
    adjustment.date = date
    adjustment.amount = amount
    adjustment.kind = kind or AdjustmentKind.GENERAL
    adjustment.note = note.strip()
    adjustment.full_clean(validate_unique=False, validate_constraints=False)
    adjustment._history_user = user
    try:
        with transaction.atomic():
            adjustment.save()
    except IntegrityError as exc:
        raise ValidationError({"document_number": message}) from exc
    return adjustment


@transaction.atomic
def adjustment_delete(*, user: User, adjustment: Adjustment) -> None:
    """Delete an adjustment (kept in its history with who deleted it), unless that leaves the
    project's 全年预算数 negative."""
    _check_change(user, adjustment.project.department)
    initial, existing = _full_year_budget(adjustment.project, excluding=adjustment)
    if initial + existing < 0:
        raise ValidationError(
            BUDGET_WOULD_BE_NEGATIVE_AFTER_DELETE.format(
                adjusted=format_money(initial + existing),
                initial=format_money(initial),
                existing=format_money(existing),
            ),
            code="negative_budget",
        )
    adjustment._history_user = user
    adjustment.delete()


# --- workbook uploads ------------------------------------------------------------------------

IMPORTS_DIR = "imports"
# Larger uploads are validated and imported by a Celery worker, with a progress bar.
BACKGROUND_THRESHOLD_BYTES = 2 * 1024 * 1024
IMPORT_SOFT_TIME_LIMIT = 25 * 60
IMPORT_TIME_LIMIT = 30 * 60
# The progress file is rewritten at most this often (seconds).
PROGRESS_INTERVAL = 0.5

IMPORT_CRASHED = "导入过程中发生内部错误，未写入任何数据，请联系管理员"
IMPORT_TIMED_OUT = "导入超时，未写入任何数据；请将文件拆分后重试"
IMPORT_FILE_MISSING = "上传的文件已不存在，请重新上传"

logger = logging.getLogger(__name__)


def import_job_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / job.file


def _progress_path(job: ImportJob) -> Path:
    return import_job_path(job).with_suffix(".progress")


@transaction.atomic
def import_job_create(*, user: User, upload: UploadedFile, background: bool = False) -> ImportJob:
    """Store an upload as MEDIA_ROOT/imports/<uuid>.xlsx and record a dry-run job for it."""
    token = uuid.uuid4()
    relative = f"{IMPORTS_DIR}/{token}.xlsx"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return ImportJob.objects.create(
        token=token,
        file=relative,
        original_name=(upload.name or "")[:255],
        size=upload.size or 0,
        user=user,
        dry_run=True,
        background=background or (upload.size or 0) > BACKGROUND_THRESHOLD_BYTES,
    )


IMPORT_QUEUE_UNAVAILABLE = (
    "后台任务服务暂不可用（消息队列无法连接），文件未能开始处理。"
    "请稍后重新上传；管理员请检查 Redis。"
)


class ImportQueueUnavailable(Exception):
    """A background job could not be handed to a worker: the broker is unreachable. The job is
    marked failed with IMPORT_QUEUE_UNAVAILABLE before this is raised."""

    def __init__(self, job_id: int) -> None:
        super().__init__(IMPORT_QUEUE_UNAVAILABLE)
        self.job_id = job_id


def import_job_start(*, job: ImportJob) -> None:
    """Run the job now (small files) or hand it to a worker once the job row is committed.

    Raises ImportQueueUnavailable when the broker cannot take it: at once outside a
    transaction, else from the commit (the job row is committed either way)."""
    if job.background:
        transaction.on_commit(lambda: _import_job_enqueue(job.pk))
    else:
        import_job_run(job_id=job.pk)


def _import_job_enqueue(job_id: int) -> None:
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import import_workbook_task

    try:
        # A bounded wait: the task's class fails the send within about a second.
        import_workbook_task.delay(job_id)
    except BrokerError as exc:
        logger.warning("could not enqueue import job %s: %s", job_id, exc)
        # Only a job still pending: nothing can have taken it, as no message was sent.
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
            status=ImportJob.Status.FAILED,
            problems=[IMPORT_QUEUE_UNAVAILABLE],
            finished_at=timezone.now(),
        )
        raise ImportQueueUnavailable(job_id) from exc


def import_job_confirm(*, job: ImportJob, user: User) -> bool:
    """Turn a validated dry run into the real import; False when it is not (or no longer) due.

    The conditional update lets only one of two concurrent confirmations through.
    """
    if job.user_id != user.pk:
        raise PermissionDenied
    claimed = ImportJob.objects.filter(
        pk=job.pk, user=user, dry_run=True, status=ImportJob.Status.DONE
    ).update(
        dry_run=False,
        status=ImportJob.Status.PENDING,
        rows_done=0,
        summary="",
        counts=[],
        problems=[],
        samples=[],
        started_at=None,
        finished_at=None,
    )
    if not claimed:
        return False
    job.refresh_from_db()
    import_job_start(job=job)
    return True


class _ProgressFile:
    """run_import's progress callback: rows read so far, written beside the upload.

    Rows are counted while the file is validated, before its write transaction; a small file
    is visible at once to every process and costs the database no writes (on SQLite, no lock).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.by_sheet: dict[str, int] = {}
        self.written_at = 0.0

    @property
    def total(self) -> int:
        return sum(self.by_sheet.values())

    def __call__(self, sheet: str, rows: int) -> None:
        self.by_sheet[sheet] = rows
        now = time.monotonic()
        if now - self.written_at >= PROGRESS_INTERVAL:
            self.written_at = now
            tmp = self.path.with_suffix(".progress-tmp")
            tmp.write_text(str(self.total))
            os.replace(tmp, self.path)


def import_job_rows_done(job: ImportJob) -> int:
    """Rows read so far: live from the progress file while running, else the stored count."""
    if job.status != ImportJob.Status.RUNNING:
        return job.rows_done
    try:
        return int(_progress_path(job).read_text() or 0)
    except (OSError, ValueError):
        return job.rows_done


def _count_rows(path: Path) -> int:
    """Data rows of the known sheets, from each sheet's stored dimension (0 when unknown)."""
    import openpyxl

    try:
        with path.open("rb") as handle:
            check_file(handle, path.stat().st_size)
        workbook = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # run_import reports what is wrong with the file
        return 0
    try:
        names = {cls.name for cls in sheet_classes()}
        return sum(
            max((sheet.max_row or 1) - 1, 0)
            for sheet in workbook.worksheets
            if sheet.title.strip() in names
        )
    finally:
        workbook.close()


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a pending job once (dry run or real import); None when missing or already taken.

    A job still marked running after the hard time limit was lost with its worker and may be
    taken again: the import is all or nothing, so nothing of the lost run remains.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=IMPORT_TIME_LIMIT)
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ImportJob.Status.PENDING)
            | Q(status=ImportJob.Status.RUNNING, started_at__lt=stale)
        )
        .update(status=ImportJob.Status.RUNNING, started_at=now, rows_done=0)
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    path = import_job_path(job)
    # Problem.as_json() dicts from the import, or one text when the job itself failed.
    problems: list[dict | str] = []
    result = None
    if not path.is_file():
        problems = [IMPORT_FILE_MISSING]
    else:
        job.rows_total = _count_rows(path)
        job.save(update_fields=["rows_total"])
        progress = _ProgressFile(_progress_path(job))
        try:
            result = run_import(path, user=job.user, dry_run=job.dry_run, progress=progress)
        except SoftTimeLimitExceeded:
            problems = [IMPORT_TIMED_OUT]
        except Exception:
            logger.exception("import job %s failed", job_id)
            problems = [IMPORT_CRASHED]
        _progress_path(job).unlink(missing_ok=True)
    if result is not None:
        problems = [problem.as_json() for problem in result.problems]
        job.summary = result.summary() if result.ok else ""
        job.counts = [[entity, action, n] for (entity, action), n in result.counts.items()]
        job.samples = result.samples
        job.rows_done = result.rows
    job.problems = problems
    job.status = ImportJob.Status.FAILED if problems else ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "summary",
            "counts",
            "samples",
            "rows_done",
            "problems",
            "status",
            "finished_at",
        ]
    )
    return job


def import_job_interrupted(job: ImportJob, now: datetime | None = None) -> bool:
    """A job still running after the hard time limit was lost with its worker."""
    now = now or timezone.now()
    return (
        job.status == ImportJob.Status.RUNNING
        and job.started_at is not None
        and job.started_at < now - timedelta(seconds=IMPORT_TIME_LIMIT)
    )


# --- rate snapshots (the nightly recompute_rates): budgets/snapshots.py ----------------------

# Uploaded workbooks are kept this long after their job ends (to re-run or inspect them).
IMPORT_FILES_KEEP_DAYS = 7


def import_files_cleanup(*, now=None, keep_days: int = IMPORT_FILES_KEEP_DAYS) -> int:
    """Delete the uploaded files of jobs older than `keep_days`; the job rows stay as records."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=keep_days)
    jobs = (
        ImportJob.objects.exclude(file="")
        .filter(created_at__lt=cutoff)
        .exclude(status=ImportJob.Status.RUNNING)
    )
    removed = 0
    for job in jobs.only("pk", "file", "token"):
        # Claim first, conditionally: a job that started running meanwhile keeps its file.
        claimed = (
            ImportJob.objects.filter(pk=job.pk)
            .exclude(status=ImportJob.Status.RUNNING)
            .update(file="")
        )
        if claimed:
            for path in (import_job_path(job), _progress_path(job)):
                path.unlink(missing_ok=True)
            removed += 1
    return removed
