"""Forms of the budgets pages: list filters, payments, adjustments and the workbook upload.

Every text field is a budgets.text.TextField: text no xlsx or database can hold is refused.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from .choices import AdjustmentKind, ProjectType, Warning
from .importer import FILE_TOO_LARGE, ImportRefused, Problem, check_file, human_size
from .models import Department
from .services import validate_amount
from .text import TextField

AMOUNT_INVALID = "请输入有效的金额（数字，单位万元）"
PLAIN_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
AS_OF_OUTSIDE_YEAR = "截至日期须在所选年度（{year}年）内"

SORTS = {
    "code": "项目编码",
    "name": "项目名称",
    "department": "部门",
    "initial": "年初预算数",
    "adjusted": "全年预算数",
    "executed": "执行数",
    "rate": "执行率",
}
SORT_CHOICES = [("", "默认")] + [
    (f"{prefix}{key}", f"{label}{arrow}")
    for key, label in SORTS.items()
    for prefix, arrow in (("", "↑"), ("-", "↓"))
]


def department_label(department: Department, with_division: bool = False) -> str:
    """`060 医疗保障局`, or `西峡县 · 060 医疗保障局` where departments of several 区划 mix."""
    text = f"{department.code} {department.name}"
    return f"{department.division.name} · {text}" if with_division else text


class DepartmentChoiceField(forms.ModelChoiceField):
    """A department filter; `with_division` names each department's 区划 in its label."""

    with_division = False

    def label_from_instance(self, obj: Department) -> str:
        return department_label(obj, self.with_division)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class AmountField(forms.DecimalField):
    """An amount in 万元: exact Decimal, up to 6 decimals, separators tolerated."""

    default_error_messages = {"invalid": AMOUNT_INVALID}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(max_digits=None, decimal_places=None, **kwargs)
        self.validators.append(validate_amount)

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            # "1,200.50" and "1，200.50" are how amounts are usually written.
            value = value.replace(",", "").replace("，", "").replace(" ", "")
            # Plain decimals only: "1e5", "Infinity" and "NaN" are typing slips, not amounts.
            if value.strip() and not PLAIN_DECIMAL.fullmatch(value.strip()):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class PaymentForm(forms.Form):
    voucher = TextField(label="凭证号", max_length=100)
    date = forms.DateField(label="日期", widget=DateInput())
    amount = AmountField(label="金额（万元）", help_text="退款或冲销填负数")
    three_public = forms.BooleanField(label="三公经费", required=False)
    procurement = forms.BooleanField(label="政府采购", required=False)
    summary = TextField(label="摘要", max_length=500, required=False)
    # Shown (by the view) only when the payment would take 执行数 above 全年预算数.
    confirm_over_budget = forms.BooleanField(label="确认超预算支出", required=False)


class AdjustmentForm(forms.Form):
    document_number = TextField(label="调整文号", max_length=100)
    date = forms.DateField(label="日期", widget=DateInput())
    amount = AmountField(label="调整金额（万元）", help_text="追加填正数，追减填负数")
    kind = forms.ChoiceField(
        label="调整类型",
        choices=AdjustmentKind.choices,
        initial=AdjustmentKind.GENERAL,
        required=False,  # left out: 一般调整
        help_text="政策性调整（落实国家政策、不可抗力、上级或本级党委政府临时交办）计入全年预算数，"
        "不计入预算调整率",
    )
    note = TextField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ProjectFilterForm(forms.Form):
    """Filters of the project list; staff have no department choice (always their own)."""

    year = forms.TypedChoiceField(label="年度", coerce=int, required=False)
    department = DepartmentChoiceField(
        label="部门", queryset=Department.objects.none(), required=False, empty_label="全部部门"
    )
    q = TextField(label="搜索", max_length=100, required=False)
    warning = forms.ChoiceField(
        label="预警", choices=[("", "全部"), *Warning.choices], required=False
    )
    type = forms.ChoiceField(
        label="项目类型", choices=[("", "全部"), *ProjectType.choices], required=False
    )
    as_of = forms.DateField(label="截至日期", required=False, widget=DateInput())
    sort = forms.ChoiceField(label="排序", choices=SORT_CHOICES, required=False)

    def __init__(
        self,
        data: Any,
        *,
        years: list[int],
        departments: QuerySet[Department] | None,
        default_year: int,
        with_division: bool = False,
    ) -> None:
        super().__init__(data)
        self.default_year = default_year
        self.fields["year"].choices = [(y, f"{y}年") for y in years] or [
            (default_year, f"{default_year}年")
        ]
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments
            self.fields["department"].with_division = with_division
        self.fields["q"].widget.attrs["placeholder"] = "项目编码或名称"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        year = cleaned.get("year") or self.default_year
        as_of: date | None = cleaned.get("as_of")
        if as_of is not None and as_of.year != year:
            self.add_error("as_of", AS_OF_OUTSIDE_YEAR.format(year=year))
        return cleaned


class PaymentFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False)
    department = DepartmentChoiceField(
        label="部门", queryset=Department.objects.none(), required=False, empty_label="全部部门"
    )
    kind = forms.ChoiceField(
        label="类别",
        choices=[("", "全部"), ("basic", "基本支出"), ("project", "项目支出")],
        required=False,
    )
    q = TextField(label="搜索", max_length=100, required=False)

    def __init__(
        self,
        data: Any,
        *,
        years: list[int],
        departments: QuerySet[Department] | None,
        with_division: bool = False,
    ) -> None:
        super().__init__(data)
        self.fields["year"].choices = [(y, f"{y}年") for y in years]
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments
            self.fields["department"].with_division = with_division
        self.fields["q"].widget.attrs["placeholder"] = "凭证号或摘要"


def refusal(message: str) -> str:
    """A file-level problem as the importer words it: “文件: …”."""
    return str(Problem(None, None, None, message))


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="工作簿（.xlsx）",
        allow_empty_file=True,  # check_file words the empty-file message like every other
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    background = forms.BooleanField(
        label="后台导入",
        required=False,
        help_text="大文件会自动转入后台导入，并显示进度",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        # Refuse by the declared size before reading a byte of the content.
        if upload.size > limit:
            raise ValidationError(refusal(FILE_TOO_LARGE.format(limit=human_size(limit))))
        try:
            check_file(upload.file, upload.size)
        except ImportRefused as exc:
            raise ValidationError(str(exc.problem)) from exc
        upload.seek(0)
        return upload
