"""Pages of one report: open, read, fill in (with live lights and scores), submit, record the
rectification, print the 项目支出绩效自评表 (HTML and xlsx) and read its audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from budgets.access import STATEMENTS, VIEW, may_access_department
from budgets.choices import warning_label
from budgets.params import BadParameter, bad_request, parse_id, parse_int
from budgets.rates import format_amount, format_rate, round_half_up
from budgets.xlsx import as_text, cell_value

from ..choices import EDITABLE_STATUSES, Light
from ..forms import RectificationResultForm, ReportForm, apply_workflow_error
from ..models import Report
from ..selectors import (
    ReportTable,
    line_preview,
    may_edit,
    report_history,
    report_indicators,
    report_table,
    reports_for_user,
    round_projects,
    rounds_visible,
)
from ..services import (
    REPORT_NOT_EDITABLE,
    ROUND_CLOSED,
    WorkflowError,
    report_get_or_create,
    report_record_rectification,
    report_save,
    report_submit,
)

REPORT_SAVED = "已保存"
REPORT_SUBMITTED = "报告已提交，等待财政局审核"
SUBMIT_REFUSED = "报告还不能提交，请先完成以下内容："
RECTIFICATION_RECORDED = "整改结果已记录"
REPORT_MISSING = "该项目尚未填报"
REPORT_NOT_STARTED = "该项目尚未填报。点击“开始填报”创建草稿后填写。"
REPORT_START_REFUSED = "只有本部门的单位经办人可以在轮次开放期间开始填报"


def _report(request: HttpRequest, pk: int, action: str = VIEW) -> Report:
    """The report if the user may see (or change) its department; 404 otherwise."""
    return get_object_or_404(reports_for_user(request.user, action), pk=pk)


def _user_may_change(request: HttpRequest, report: Report) -> bool:
    return may_access_department(request.user, report.owner_department_id, STATEMENTS)


def _not_editable_message(report: Report) -> str:
    if report.status not in EDITABLE_STATUSES:
        return REPORT_NOT_EDITABLE.format(status=report.get_status_display())
    return ROUND_CLOSED


@require_http_methods(["GET", "POST"])
def report_open(request: HttpRequest, round_pk: int, project_pk: int) -> HttpResponse:
    """The project's report of the round (the round page links here). A GET only reads: the
    report if there is one, else a page whose 开始填报 button POSTs to create the draft."""
    round_ = get_object_or_404(rounds_visible(request.user), pk=round_pk)
    project = get_object_or_404(round_projects(request.user, round_), pk=project_pk)
    # Reviewers, and everyone once the round is closed, must not leave empty drafts behind.
    may_start = round_.is_open and may_access_department(
        request.user, project.department_id, STATEMENTS
    )
    if request.method == "POST":
        if not may_start:
            raise PermissionDenied(REPORT_START_REFUSED)
        report = report_get_or_create(round_=round_, project=project)
    else:
        report = Report.objects.filter(round=round_, project=project).first()
    if report is None:
        return render(
            request,
            "tracking/report_missing.html",
            {
                "round": round_,
                "project": project,
                "message": REPORT_NOT_STARTED if may_start else REPORT_MISSING,
                "may_start": may_start,
            },
        )
    if may_start and may_edit(report):
        return redirect("tracking:report_edit", pk=report.pk)
    return redirect("tracking:report_detail", pk=report.pk)


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The report read-only: status, budget part, indicators, comments and the workflow trail."""
    report = _report(request, pk)
    may_change = _user_may_change(request, report)
    return render(
        request,
        "tracking/report_detail.html",
        {
            "table": report_table(report),
            "report": report,
            "may_edit": may_change and may_edit(report),
            "may_record_rectification": may_change and report.rectification_required,
            "rectification_form": RectificationResultForm(
                initial={"result": report.rectification_result}
            ),
        },
    )


def _render_form(
    request: HttpRequest,
    report: Report,
    table: ReportTable,
    form: ReportForm,
    *,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "tracking/report_edit.html",
        {
            "table": table,
            "report": report,
            "form": form,
            "problems": problems or [],
            "problems_title": SUBMIT_REFUSED,
        },
        status=status,
    )


def _save(request: HttpRequest, report: Report, form: ReportForm) -> Report | None:
    """Store the form through report_save; None (with errors on the form) when refused."""
    if not form.is_valid():
        return None
    try:
        return report_save(
            report=report,
            user=request.user,
            version=form.cleaned_data["version"],
            data=form.to_input(),
        )
    except WorkflowError as exc:
        apply_workflow_error(form, exc)
        return None


@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The form staff fill in while the report is a draft or returned and the round is open."""
    report = _report(request, pk, STATEMENTS)
    if request.method == "GET" and not may_edit(report):
        messages.error(request, _not_editable_message(report))
        return redirect("tracking:report_detail", pk=report.pk)
    table = report_table(report)
    form = ReportForm(request.POST or None, report=report, rows=table.rows)
    if request.method == "POST":
        saved = _save(request, report, form)
        if saved is None:
            return _render_form(request, report, table, form, status=400)
        messages.success(request, REPORT_SAVED)
        return redirect("tracking:report_edit", pk=report.pk)
    return _render_form(request, report, table, form)


@require_POST
def report_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit (saving the form first when it comes from the form); lists what is missing."""
    report = _report(request, pk, STATEMENTS)
    try:
        version = parse_int(request.POST.get("version"), label="版本", minimum=0)
    except BadParameter as exc:
        return bad_request(exc)
    table = report_table(report)
    if "save" in request.POST:
        form = ReportForm(request.POST, report=report, rows=table.rows)
        saved = _save(request, report, form)
        if saved is None:
            return _render_form(request, report, table, form, status=400)
        report, version = saved, saved.version
    try:
        report = report_submit(
            report=report,
            user=request.user,
            version=version,
        )
    except WorkflowError as exc:
        report.refresh_from_db()
        if not may_edit(report):
            for message in exc.messages:
                messages.error(request, message)
            return redirect("tracking:report_detail", pk=report.pk)
        table = report_table(report)
        form = ReportForm(report=report, rows=table.rows)
        return _render_form(request, report, table, form, problems=exc.messages, status=400)
    messages.success(request, REPORT_SUBMITTED)
    return redirect("tracking:report_detail", pk=report.pk)


@require_POST
def report_line_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The light or score of one indicator as its value is being typed (htmx partial)."""
    report = _report(request, pk, STATEMENTS)
    try:
        indicator_id = parse_id(request.POST.get("indicator"), label="指标")
    except BadParameter as exc:
        return bad_request(exc)
    if indicator_id is None:
        raise Http404
    indicator = report_indicators(report).get(indicator_id)
    if indicator is None:
        raise Http404
    stage_field = "actual_raw" if report.round.is_self_evaluation else "expected_raw"
    preview = line_preview(report, indicator, request.POST.get(f"{stage_field}_{indicator.pk}", ""))
    to_date = None
    if not report.round.is_self_evaluation:
        # The value to date is not lit, but a value that does not fit is shown at once.
        to_date = line_preview(
            report, indicator, request.POST.get(f"actual_raw_{indicator.pk}", "")
        )
    return render(
        request,
        "tracking/_line_preview.html",
        {
            "preview": preview,
            "to_date_error": to_date.error if to_date else None,
            "self_evaluation": report.round.is_self_evaluation,
        },
    )


@require_POST
def report_rectification(request: HttpRequest, pk: int) -> HttpResponse:
    """The department's rectification result, after the reviewer required it."""
    report = _report(request, pk, STATEMENTS)
    form = RectificationResultForm(request.POST)
    if form.is_valid():
        try:
            report_record_rectification(
                report=report, user=request.user, result=form.cleaned_data["result"]
            )
        except WorkflowError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, RECTIFICATION_RECORDED)
    else:
        # Blank, too long, or text no xlsx can hold: this page shows messages at the top.
        for message in form.errors["result"]:
            messages.error(request, message)
    return redirect("tracking:report_detail", pk=report.pk)


@require_GET
def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable 项目支出绩效自评表 (or 运行监控表 for a monitoring report)."""
    report = _report(request, pk)
    table = report_table(report)
    title, subtitle, rows = official_table(table)
    return render(
        request,
        "tracking/report_print.html",
        {"table": table, "title": title, "subtitle": subtitle, "rows": rows},
    )


@require_GET
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The same table as the printout, as an xlsx with merged cells and borders."""
    report = _report(request, pk)
    table = report_table(report)
    buffer = BytesIO()
    title, workbook = report_workbook(table)
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    code = report.department.code if report.is_department else report.project.code
    filename = f"{title}_{code}_{report.round.year}.xlsx"
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


@require_GET
def report_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The audit trail: every change of the report, its lines, indicators and payments."""
    report = _report(request, pk)
    return render(
        request,
        "tracking/report_history.html",
        {
            "report": report,
            "entries": report_history(report),
            "transitions": report.transitions.select_related("user"),
        },
    )


# --- the official table, laid out once for the printout and the xlsx -------------------------


@dataclass
class Cell:
    """One cell of the official table: where it starts and how far it is merged."""

    text: str
    col: int
    colspan: int = 1
    rowspan: int = 1
    head: bool = False
    num: bool = False
    light: str = ""
    wide: bool = False
    # An amount in 万元: the printout adds thousands separators, the xlsx keeps the plain text.
    money: bool = False


COLUMNS = 10
LIGHT_LABELS = dict(Light.choices)


def _amount(value: Decimal | None) -> str:
    return "—" if value is None else format_amount(value)


def _rate(value: Decimal | None) -> str:
    text = format_rate(value)
    return "—" if text is None else f"{text}%"


def _points(value: Decimal | None) -> str:
    return "—" if value is None else f"{round_half_up(value):.2f}"


def _indicator_rows(table: ReportTable, first_col: int) -> list[list[Cell]]:
    """The 一级/二级/三级 indicator rows with the merged 一级/二级 cells."""
    rows = []
    monitoring = not table.is_self_evaluation
    for row in table.rows:
        value, c = row.value, first_col
        cells = []
        if row.level1_span:
            cells.append(Cell(row.indicator.level1, c, rowspan=row.level1_span))
        if row.level2_span:
            cells.append(Cell(row.indicator.level2 or "—", c + 1, rowspan=row.level2_span))
        cells += [Cell(row.indicator.name, c + 2), Cell(row.indicator.raw, c + 3)]
        actual = row.actual_text or "—"
        if monitoring:
            cause = (
                f"【{value.cause_category}】{value.cause}" if value.cause_category else value.cause
            )
            cells += [
                Cell(actual, c + 4),
                Cell(row.expected_text or "—", c + 5),
                Cell(LIGHT_LABELS.get(value.light, "—"), c + 6, light=value.light),
                Cell(cause or "—", c + 7, wide=True),
                Cell(value.likelihood or "—", c + 8),
                Cell(value.measure or "—", c + 9, wide=True),
            ]
        else:
            notes = "；".join(t for t in (value.explanation, value.measure) if t.strip())
            cells += [
                Cell(actual, c + 4),
                Cell(_points(value.points), c + 5, num=True),
                Cell(_points(value.score), c + 6, num=True),
                Cell(notes or "—", c + 7, colspan=COLUMNS - c - 7, wide=True),
            ]
        rows.append(cells)
    return rows


def _department_table(table: ReportTable) -> tuple[str, str, list[list[Cell]]]:
    """(title, subtitle, rows) of 部门整体绩效自评表 or 部门整体运行监控表: the department's
    budget as of the round's date, then each indicator (computed ones marked 系统计算)."""
    report, figures, warning = table.report, table.budget.figures, table.budget.warning
    department = report.department
    rows: list[list[Cell]] = [
        [Cell("部门名称", 0, 2, head=True), Cell(f"{department.name}（{department.code}）", 2, 8)],
        [
            Cell("预算情况（万元）", 0, 2, head=True),
            Cell("年初预算数", 2, head=True),
            Cell(_amount(figures.initial), 3, num=True, money=True),
            Cell("全年预算数", 4, head=True),
            Cell(_amount(figures.adjusted), 5, num=True, money=True),
            Cell("执行数", 6, head=True),
            Cell(_amount(figures.executed), 7, num=True, money=True),
            Cell("执行率", 8, head=True),
            Cell(_rate(figures.execution_rate), 9, num=True),
        ],
    ]
    if table.is_self_evaluation:
        rows.append(
            [
                Cell("年度总体目标完成情况", 0, 2, head=True),
                Cell(report.summary or "—", 2, 8, wide=True),
            ]
        )
        head = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分")
        rows.append(
            [
                *(Cell(text, col, head=True) for col, text in enumerate(head)),
                Cell("偏差原因分析及改进措施", 7, 3, head=True),
            ]
        )
        rows += _indicator_rows(table, 0)
        rows.append(
            [
                Cell("总分", 0, 5, head=True),
                Cell("100.00", 5, num=True, head=True),
                Cell(_points(report.score), 6, num=True, head=True),
                Cell(f"等级：{report.grade or '—'}", 7, 3, head=True),
            ]
        )
        return "部门整体绩效自评表", f"（{report.round.year}年度）", rows
    rows.append(
        [
            Cell("序时进度", 0, 2, head=True),
            Cell(_rate(table.budget.time_progress), 2, num=True),
            Cell("预警", 3, head=True),
            Cell(warning_label(warning, none="—"), 4, light=warning or ""),
            Cell("偏差原因", 5, head=True),
            Cell(
                (f"【{report.budget_cause_category}】" if report.budget_cause_category else "")
                + report.budget_cause
                or "—",
                6,
                4,
                wide=True,
            ),
        ]
    )
    head = (
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "截至目前完成值",
        "全年预计完成值",
        "监控结果",
        "偏差原因",
        "完成可能性",
        "改进措施",
    )
    rows.append([Cell(text, col, head=True) for col, text in enumerate(head)])
    rows += _indicator_rows(table, 0)
    subtitle = f"（{report.round.year}年，截至{report.round.as_of:%m月%d日}）"
    return "部门整体运行监控表", subtitle, rows


def official_table(table: ReportTable) -> tuple[str, str, list[list[Cell]]]:
    """(title, subtitle, rows) of 项目支出绩效自评表 or 项目支出绩效运行监控表 (部门整体绩效自评表
    or 部门整体运行监控表 for a department report)."""
    if table.report.is_department:
        return _department_table(table)
    report, project, budget = table.report, table.report.project, table.budget
    figures = budget.figures
    rows: list[list[Cell]] = [
        [Cell("项目名称", 0, 2, head=True), Cell(f"{project.name}（{project.code}）", 2, 8)],
        [
            Cell("主管部门", 0, 2, head=True),
            Cell(project.department.name, 2, 4),
            Cell("实施单位", 6, 2, head=True),
            Cell(project.unit.name, 8, 2),
        ],
    ]
    if table.is_self_evaluation:
        title = "项目支出绩效自评表"
        subtitle = f"（{report.round.year}年度）"
        rows += [
            [
                Cell("项目资金（万元）", 0, 2, rowspan=4, head=True),
                Cell("", 2, head=True),
                Cell("年初预算数", 3, head=True),
                Cell("全年预算数", 4, head=True),
                Cell("全年执行数", 5, head=True),
                Cell("分值", 6, head=True),
                Cell("执行率", 7, head=True),
                Cell("得分", 8, 2, head=True),
            ],
            [
                Cell("年度资金总额", 2, head=True),
                Cell(_amount(figures.initial), 3, num=True, money=True),
                Cell(_amount(figures.adjusted), 4, num=True, money=True),
                Cell(_amount(figures.executed), 5, num=True, money=True),
                Cell(_points(table.execution_points), 6, num=True),
                Cell(_rate(figures.execution_rate), 7, num=True),
                Cell(_points(report.execution_score), 8, 2, num=True),
            ],
            [
                Cell("其中：当年财政拨款", 2, head=True),
                Cell(_amount(budget.initial_budget), 3, num=True, money=True),
                Cell("—", 4, 6),
            ],
            [
                Cell("上年结转资金", 2, head=True),
                Cell(_amount(budget.carryover), 3, num=True, money=True),
                Cell("—", 4, 6),
            ],
            [
                Cell("年度总体目标完成情况", 0, 2, head=True),
                Cell(report.summary or "—", 2, 8, wide=True),
            ],
        ]
        indicator_rows = _indicator_rows(table, 1)
        head = [
            Cell("绩效指标", 0, rowspan=len(indicator_rows) + 1, head=True),
            *(
                Cell(text, col, head=True)
                for col, text in enumerate(
                    (
                        "一级指标",
                        "二级指标",
                        "三级指标",
                        "年度指标值",
                        "实际完成值",
                        "分值",
                        "得分",
                    ),
                    start=1,
                )
            ),
            Cell("偏差原因分析及改进措施", 8, 2, head=True),
        ]
        rows += [head, *indicator_rows]
        rows.append(
            [
                Cell("总分", 0, 6, head=True),
                Cell("100.00", 6, num=True, head=True),
                Cell(_points(report.score), 7, num=True, head=True),
                Cell(f"等级：{report.grade or '—'}", 8, 2, head=True),
            ]
        )
        return title, subtitle, rows

    title = "项目支出绩效运行监控表"
    subtitle = f"（{report.round.year}年，截至{report.round.as_of:%m月%d日}）"
    rows += [
        [
            Cell(text, col, head=True)
            for col, text in enumerate(
                (
                    "年初预算数",
                    "全年预算数",
                    "执行数",
                    "执行率",
                    "序时进度",
                    "预警",
                    "全年预计执行数",
                    "偏差原因",
                    "完成可能性",
                    "改进措施",
                )
            )
        ],
        [
            Cell(_amount(figures.initial), 0, num=True, money=True),
            Cell(_amount(figures.adjusted), 1, num=True, money=True),
            Cell(_amount(figures.executed), 2, num=True, money=True),
            Cell(_rate(figures.execution_rate), 3, num=True),
            Cell(_rate(budget.time_progress), 4, num=True),
            Cell(warning_label(budget.warning, none="—"), 5, light=budget.warning or ""),
            Cell(_amount(report.expected_executed), 6, num=True, money=True),
            Cell(
                (f"【{report.budget_cause_category}】" if report.budget_cause_category else "")
                + report.budget_cause
                or "—",
                7,
                wide=True,
            ),
            Cell(report.budget_likelihood or "—", 8),
            Cell(report.budget_measure or "—", 9, wide=True),
        ],
        [
            Cell(text, col, head=True)
            for col, text in enumerate(
                (
                    "一级指标",
                    "二级指标",
                    "三级指标",
                    "年度指标值",
                    "截至目前完成值",
                    "全年预计完成值",
                    "监控结果",
                    "偏差原因",
                    "完成可能性",
                    "改进措施",
                )
            )
        ],
        *_indicator_rows(table, 0),
    ]
    return title, subtitle, rows


THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WIDTHS = (10, 12, 14, 22, 14, 14, 10, 12, 16, 16)


def _xlsx_number(cell: Cell) -> tuple[Decimal | None, str]:
    """A numeric cell's value and Excel format as the printout shows it ("1,234.50",
    "45.00%", "9.80"); (None, "") for text and for "—"."""
    if not cell.num:
        return None, ""
    text = cell.text.replace(",", "")
    percent = text.endswith("%")
    try:
        number = Decimal(text.removesuffix("%"))
    except ArithmeticError:
        return None, ""
    if percent:
        return number / 100, "0.00%"
    return number, "#,##0.00" if cell.money else "0.00"


def report_workbook(table: ReportTable) -> tuple[str, Workbook]:
    """The official table in a workbook: merged cells, thin borders, wrapped text."""
    title, subtitle, rows = official_table(table)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    as_text(sheet.cell(row=1, column=1, value=title)).font = Font(bold=True, size=16)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=COLUMNS)
    as_text(sheet.cell(row=2, column=1, value=subtitle))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=COLUMNS)
    for r in (1, 2):
        sheet.cell(row=r, column=1).alignment = Alignment(horizontal="center")
    offset = 3
    for index, cells in enumerate(rows):
        excel_row = offset + index
        for cell in cells:
            number, number_format = _xlsx_number(cell)
            if number is None:
                text = cell_value(cell.text)
                target = as_text(sheet.cell(row=excel_row, column=cell.col + 1, value=text))
            else:
                # Numbers as numbers (sums and charts work in Excel), shown as printed.
                target = sheet.cell(row=excel_row, column=cell.col + 1, value=number)
                target.number_format = number_format
            target.alignment = Alignment(
                horizontal="right" if cell.num else ("left" if cell.wide else "center"),
                vertical="center",
                wrap_text=True,
            )
            if cell.head:
                target.font = Font(bold=True)
            last_row = excel_row + cell.rowspan - 1
            last_col = cell.col + cell.colspan
            for rr in range(excel_row, last_row + 1):
                for cc in range(cell.col + 1, last_col + 1):
                    sheet.cell(row=rr, column=cc).border = BORDER
            if cell.rowspan > 1 or cell.colspan > 1:
                sheet.merge_cells(
                    start_row=excel_row,
                    start_column=cell.col + 1,
                    end_row=last_row,
                    end_column=last_col,
                )
    sheet.print_options.horizontalCentered = True
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    return title, workbook


urlpatterns = [
    path(
        "rounds/<int:round_pk>/projects/<int:project_pk>/",
        report_open,
        name="report_open",
    ),
    path("reports/<int:pk>/", report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", report_edit, name="report_edit"),
    path("reports/<int:pk>/submit/", report_submit_view, name="report_submit"),
    path("reports/<int:pk>/preview/", report_line_preview, name="report_line_preview"),
    path("reports/<int:pk>/rectification/", report_rectification, name="report_rectification"),
    path("reports/<int:pk>/print/", report_print, name="report_print"),
    path("reports/<int:pk>/table.xlsx", report_xlsx, name="report_xlsx"),
    path("reports/<int:pk>/history/", report_history_view, name="report_history"),
]
