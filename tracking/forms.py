"""Forms of the tracking pages: they read what people type; the services decide.

Every text field is a budgets.text.TextField: text no xlsx or database can hold is refused.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from budgets.errors import add_service_errors
from budgets.models import Division
from budgets.params import MAX_ID, validate_plausible_date
from budgets.text import TextField

from .choices import CauseCategory, Likelihood, Stage
from .models import Report
from .selectors import LineRow
from .services import RECTIFICATION_RESULT_NEEDS_TEXT, LineInput, ReportInput

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BLANK = [("", "请选择")]
SHEET_REQUIRED = "请选择要上传的“实际完成”表（.xlsx）"


# One adapter for every service error (budgets.errors); the old name stays for the views.
apply_workflow_error = add_service_errors


ALL_DIVISIONS = "全部（各有项目的区划各开一轮）"


class RoundForm(forms.Form):
    """Open a round: year, stage, cut-off date and deadline, for one 区划 the reviewer covers
    or for each of them that has projects that year."""

    division = forms.ChoiceField(label="区划", required=False)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    stage = forms.ChoiceField(label="阶段", choices=Stage.choices)
    as_of = forms.DateField(
        label="截至日期", widget=DATE_WIDGET, validators=[validate_plausible_date]
    )
    deadline = forms.DateField(
        label="填报截止日期", widget=DATE_WIDGET, validators=[validate_plausible_date]
    )

    def __init__(self, *args, divisions: list[Division] = (), **kwargs) -> None:
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)
        self.divisions = {d.code: d for d in divisions}
        choices = [(d.code, f"{d.code} {d.name}") for d in divisions]
        if len(choices) == 1:
            self.fields["division"].initial = choices[0][0]
        self.fields["division"].choices = [("", ALL_DIVISIONS), *choices]

    def clean_division(self) -> Division | None:
        return self.divisions.get(self.cleaned_data["division"])


class DeadlineForm(forms.Form):
    deadline = forms.DateField(
        label="新的截止日期", widget=DATE_WIDGET, validators=[validate_plausible_date]
    )


class SheetUploadForm(forms.Form):
    file = forms.FileField(
        label="实际完成表（.xlsx）",
        error_messages={"required": SHEET_REQUIRED},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


def _choice(label: str, choices) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=BLANK + list(choices), required=False)


def _text(
    label: str, *, rows: int | None = None, max_length: int = 2000, placeholder: str = ""
) -> TextField:
    attrs = {"placeholder": placeholder} if placeholder else {}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return TextField(label=label, required=False, max_length=max_length, widget=widget)


# Per-indicator inputs of each stage: (name, form field factory).
MONITORING_LINE_FIELDS = {
    "actual_raw": lambda: _text("截至目前完成值", max_length=500),
    "expected_raw": lambda: _text("全年预计完成值", max_length=500),
    "cause_category": lambda: _choice("偏差原因类别", CauseCategory.choices),
    "cause": lambda: _text("偏差原因", rows=2),
    "likelihood": lambda: _choice("完成可能性", Likelihood.choices),
    "measure": lambda: _text("改进措施", rows=2),
}
SELF_EVALUATION_LINE_FIELDS = {
    "actual_raw": lambda: _text("实际完成值", max_length=500),
    "explanation": lambda: _text(
        "偏差原因分析", rows=2, placeholder="偏差原因分析（未完成、超额完成时必填）"
    ),
    "measure": lambda: _text("改进措施", rows=1, placeholder="改进措施"),
}


class ReportForm(forms.Form):
    """The monitoring or self-evaluation form; per-indicator fields are `<attr>_<indicator id>`
    (e.g. `actual_raw_12`), as report_save's WorkflowError.field_errors name them."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_ID)

    def __init__(self, *args, report: Report, rows: list[LineRow], **kwargs) -> None:
        self.report = report
        self.rows = rows
        self.line_fields = (
            SELF_EVALUATION_LINE_FIELDS
            if report.round.is_self_evaluation
            else MONITORING_LINE_FIELDS
        )
        initial = {"version": report.version}
        for row in rows:
            value = row.value
            for name in self.line_fields:
                initial[f"{name}_{row.indicator.pk}"] = getattr(value, name)
        for name in self.report_field_names:
            initial[name] = getattr(report, name)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if report.round.is_self_evaluation:
            self.fields["low_execution_note"] = _text("执行率低于90%的原因说明", rows=2)
            self.fields["summary"] = _text("总体情况说明", rows=3, max_length=5000)
        else:
            self.fields["expected_executed"] = forms.DecimalField(
                label="全年预计执行数（万元）",
                required=False,
                max_digits=18,
                decimal_places=6,
                min_value=Decimal(0),
                widget=forms.NumberInput(attrs={"step": "any"}),
            )
            self.fields["budget_cause_category"] = _choice(
                "预算偏差原因类别", CauseCategory.choices
            )
            self.fields["budget_cause"] = _text("预算偏差原因", rows=2)
            self.fields["budget_likelihood"] = _choice("完成可能性", Likelihood.choices)
            self.fields["budget_measure"] = _text("改进措施", rows=2)
        for row in rows:
            for name, make in self.line_fields.items():
                self.fields[f"{name}_{row.indicator.pk}"] = make()
        for row in rows:
            row.fields = {name: self[f"{name}_{row.indicator.pk}"] for name in self.line_fields}

    @property
    def report_field_names(self) -> tuple[str, ...]:
        if self.report.round.is_self_evaluation:
            return ("low_execution_note", "summary")
        return (
            "expected_executed",
            "budget_cause_category",
            "budget_cause",
            "budget_likelihood",
            "budget_measure",
        )

    def to_input(self) -> ReportInput:
        """What the services store; fields this stage does not show keep their values."""
        data = self.cleaned_data
        values = {
            name: getattr(self.report, name)
            for name in (
                "expected_executed",
                "budget_cause_category",
                "budget_cause",
                "budget_likelihood",
                "budget_measure",
                "low_execution_note",
                "summary",
            )
        }
        values.update({name: data.get(name) for name in self.report_field_names})
        for name in values:
            if values[name] is None and name != "expected_executed":
                values[name] = ""
        lines = {}
        for row in self.rows:
            kept = {name: getattr(row.value, name) for name in vars(LineInput())}
            kept.update(
                {name: data.get(f"{name}_{row.indicator.pk}") or "" for name in self.line_fields}
            )
            lines[row.indicator.pk] = LineInput(**kept)
        return ReportInput(**values, lines=lines)


class ReturnForm(forms.Form):
    """Return a report: a reason, and optional comments on single indicators."""

    reason = TextField(
        label="退回原因",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "退回时必须填写退回原因"},
    )

    def __init__(self, *args, rows: list[LineRow], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # An indicator deleted since submission goes when the report is returned: no comment.
        self.rows = rows = [row for row in rows if row.indicator.pk is not None]
        for row in rows:
            self.fields[f"comment_{row.indicator.pk}"] = _text(
                f"对“{row.indicator.name}”的意见", rows=1
            )

    def comments(self) -> dict[int, str]:
        return {
            row.indicator.pk: self.cleaned_data.get(f"comment_{row.indicator.pk}", "")
            for row in self.rows
            if self.cleaned_data.get(f"comment_{row.indicator.pk}", "").strip()
        }


class ApproveForm(forms.Form):
    comment = _text("审核意见（可选）", rows=2)


class RectificationForm(forms.Form):
    requirements = TextField(
        label="整改要求", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class RectificationResultForm(forms.Form):
    result = TextField(
        label="整改结果",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": RECTIFICATION_RESULT_NEEDS_TEXT},
    )


class ReviewerScoreForm(forms.Form):
    """A reviewer's score of a qualitative indicator within its tier's band; empty clears it."""

    line = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    score = forms.DecimalField(
        label="调整后得分", required=False, max_digits=9, decimal_places=2, min_value=Decimal(0)
    )
    reason = _text("调整理由", rows=1)
