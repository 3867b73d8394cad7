"""Request and response shapes of the tracking API. Requests are read here (types, bounds,
unknown fields refused); what they mean is for the services to decide."""

from __future__ import annotations

import decimal
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from budgets.api.fields import (
    AmountField,
    StrictBooleanField,
    StrictCharField,
    StrictDateField,
    StrictSerializerMixin,
)
from budgets.choices import warning_label
from budgets.fields import MAX_DIGITS as MONEY_DIGITS
from budgets.fields import PLACES as MONEY_PLACES
from budgets.params import FIRST_YEAR, LAST_YEAR, MAX_ID, validate_plausible_date

from ..choices import CauseCategory, Light, Likelihood, ReportStatus, Stage
from ..filters import KIND_DEPARTMENT, KIND_PROJECT, KINDS
from ..models import Notification, Report, ReportTransition, Round
from ..selectors import LIGHT_LABELS, LineRow, ReportTable

# Lengths of what people type, as the pages' forms allow.
VALUE_LENGTH = 500
TEXT_LENGTH = 2000
LONG_TEXT_LENGTH = 5000
# Lines one save may carry (a report has a few dozen indicators at most).
MAX_LINES = 1000

MONEY_PATTERN = rf"^[0-9]{{1,{MONEY_DIGITS - MONEY_PLACES}}}(\.[0-9]{{1,{MONEY_PLACES}}})?$"
NEGATIVE_AMOUNT = "金额不能为负数"
BAD_ID = "{label}编号无效，应为正整数"
LINE_ERROR = "第{number}行“{label}”：{message}"
MARK_READ_WHICH = "请提供要标为已读的消息编号 ids，或 all: true"
SCORE_PATTERN = r"^[0-9]{1,7}(\.[0-9]{1,2})?$"
SCORE_NOT_A_STRING = '得分应以字符串填写（如 "18.50"），或为 null'
BAD_VERSION = "版本无效，应为读取报告时的版本号（整数）"
BAD_YEAR = f"年度无效，应为{FIRST_YEAR}—{LAST_YEAR}之间的整数"


# --- fields -------------------------------------------------------------------------------------


class Figure(serializers.DecimalField):
    """A computed Decimal shown as a string with fixed places, whatever its size."""

    def __init__(self, places: int, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(max_digits=None, decimal_places=places, **kwargs)

    def quantize(self, value: Decimal) -> Decimal:
        # Room for any figure: a rate of a tiny budget has many whole digits.
        context = decimal.Context(prec=200)
        return value.quantize(Decimal(1).scaleb(-self.decimal_places), context=context)


def money_figure() -> Figure:
    return Figure(MONEY_PLACES)


def rate_figure(**kwargs) -> Figure:
    return Figure(10, **kwargs)


def points_figure(**kwargs) -> Figure:
    return Figure(4, **kwargs)


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": MONEY_PATTERN, "nullable": True}
)
class MoneyInput(AmountField):
    """An amount in 万元 typed by people as on the pages: a decimal string, not negative."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_internal_value(self, data) -> Decimal:
        value = super().to_internal_value(data)
        if value < 0:
            raise serializers.ValidationError(NEGATIVE_AMOUNT, code="min_value")
        return value


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": SCORE_PATTERN, "nullable": True}
)
class ScoreInput(serializers.DecimalField):
    """A reviewer's score: a decimal string, not negative, at most two decimal places."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            max_digits=9, decimal_places=2, min_value=Decimal(0), allow_null=True, **kwargs
        )

    def to_internal_value(self, data) -> Decimal:
        if not isinstance(data, str):
            raise serializers.ValidationError(SCORE_NOT_A_STRING, code="invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: a string, a boolean or 1.0 is refused, not converted."""

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def integer(label: str, message: str, minimum: int, maximum: int, **kwargs) -> StrictIntegerField:
    """A bounded integer whose every refusal says `message`."""
    return StrictIntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        error_messages={code: message for code in ("invalid", "min_value", "max_value")},
        **kwargs,
    )


def id_field(label: str, **kwargs) -> StrictIntegerField:
    """An id in a body: a positive integer a database key can hold."""
    return integer(label, BAD_ID.format(label=label), 1, MAX_ID, **kwargs)


def version_field() -> StrictIntegerField:
    return integer("版本", BAD_VERSION, 0, MAX_ID, help_text="读取时的版本（乐观锁）")


def text(label: str, max_length: int = TEXT_LENGTH, **kwargs) -> StrictCharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return StrictCharField(label=label, max_length=max_length, **kwargs)


def choice(label: str, choices) -> serializers.ChoiceField:
    return serializers.ChoiceField(label=label, choices=choices, required=False, allow_blank=True)


def plausible_date(label: str, **kwargs) -> StrictDateField:
    return StrictDateField(label=label, validators=[validate_plausible_date], **kwargs)


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    """A request body: unknown (and read-only) fields are refused, as in budgets' API."""

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict):
                detail = {
                    name: _numbered(self.fields.get(name), errors)
                    for name, errors in detail.items()
                }
            raise serializers.ValidationError(_encodable(detail)) from exc


def _encodable(detail):
    """The errors with what they quote of the request made encodable: a lone surrogate
    ("\\ud800" in the JSON) echoed in a message could not be written as UTF-8."""
    if isinstance(detail, dict):
        return {_encodable(str(key)): _encodable(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_encodable(value) for value in detail]
    text = str(detail)
    clean = text.encode("utf-8", "replace").decode("utf-8")
    return detail if clean == text else clean


def _numbered(field, errors):
    """The errors of a list of objects (a report's lines) named by row and field: the one
    error body lists bare messages, which must say where they belong."""
    child = getattr(field, "child", None)
    if not isinstance(child, serializers.Serializer):
        return errors
    # DRF gives them as {index: {field: [...]}} (older versions: a list of such dicts).
    rows = errors.items() if isinstance(errors, dict) else enumerate(errors)
    messages = []
    for index, row in rows:
        if not isinstance(index, int) or not isinstance(row, dict):
            # The list itself is wrong (not a list, too long): its messages as they are.
            messages += [str(m) for m in (row if isinstance(row, list) else [row])]
            continue
        for name, found in row.items():
            for message in found if isinstance(found, list) else [found]:
                label = _label(child, name)
                messages.append(LINE_ERROR.format(number=index + 1, label=label, message=message))
    return messages


def _label(serializer: serializers.Serializer, name: str) -> str:
    field = serializer.fields.get(name)
    return str(field.label) if field is not None and field.label else name


# --- rounds -------------------------------------------------------------------------------------


class RoundSerializer(serializers.ModelSerializer):
    schema_description = "填报轮次"

    division_code = serializers.CharField(source="division.code", read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)
    name = serializers.CharField(
        source="__str__", read_only=True, help_text="如“2024年运行监控（截至07月31日）”"
    )

    class Meta:
        model = Round
        fields = [
            "id",
            "name",
            "division",
            "division_code",
            "division_name",
            "year",
            "stage",
            "as_of",
            "deadline",
            "is_open",
            "opened_by",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class RoundOpenedSerializer(RoundSerializer):
    schema_description = "开启或重新开放的填报轮次"

    created = serializers.BooleanField(
        read_only=True, help_text="新开启（false：已有的轮次被重新开放）"
    )

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "created"]
        read_only_fields = fields


class RoundsOpenedSerializer(serializers.Serializer):
    schema_description = "开启填报轮次的结果"

    detail = serializers.CharField(help_text="结果说明")
    rounds = RoundOpenedSerializer(many=True)


class RoundOpenSerializer(StrictSerializer):
    schema_description = "开启填报轮次：年度、阶段、截至日期和填报截止日期，可指定区划"

    year = integer("年度", BAD_YEAR, FIRST_YEAR, LAST_YEAR)
    stage = serializers.ChoiceField(label="阶段", choices=Stage.choices)
    as_of = plausible_date("截至日期")
    deadline = plausible_date("填报截止日期")
    division = id_field(
        "区划",
        required=False,
        allow_null=True,
        help_text="区划编号；不填则为您所覆盖的、当年有项目的每个区划各开一轮",
    )


class DeadlineSerializer(StrictSerializer):
    schema_description = "新的填报截止日期"

    deadline = plausible_date("填报截止日期")


class ChaseResultSerializer(serializers.Serializer):
    schema_description = "催办结果"

    detail = serializers.CharField(help_text="结果说明")
    notified = serializers.IntegerField(help_text="收到催办提醒的经办人数")
    departments = serializers.IntegerField(help_text="被催办的部门数")


# --- reports: responses ---------------------------------------------------------------------------


class ReportSerializer(serializers.Serializer):
    """A report as lists show it; lights and scores of a draft are computed when read."""

    schema_description = (
        "报告（列表）：草稿和已退回报告的灯、得分在读取时计算，已提交的为提交时的结果"
    )

    id = serializers.IntegerField(read_only=True)
    round = serializers.IntegerField(source="round_id", read_only=True, help_text="轮次编号")
    year = serializers.IntegerField(source="round.year", read_only=True)
    stage = serializers.ChoiceField(source="round.stage", choices=Stage.choices, read_only=True)
    as_of = serializers.DateField(source="round.as_of", read_only=True, help_text="截至日期")
    kind = serializers.SerializerMethodField(
        help_text="project：项目报告；department：部门整体报告"
    )
    project = serializers.IntegerField(
        source="project_id",
        read_only=True,
        allow_null=True,
        help_text="项目编号（部门整体报告为空）",
    )
    project_code = serializers.CharField(
        source="project.code", read_only=True, allow_null=True, default=None
    )
    department = serializers.IntegerField(
        source="owner_department_id", read_only=True, help_text="填报部门编号"
    )
    department_code = serializers.CharField(source="owner_department.code", read_only=True)
    department_name = serializers.CharField(source="owner_department.name", read_only=True)
    subject_name = serializers.CharField(
        read_only=True, help_text="项目名称，或“部门名称（部门整体）”"
    )
    status = serializers.ChoiceField(choices=ReportStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="版本（保存、提交时原样带回）")
    target_light = serializers.ChoiceField(
        choices=[("", "无"), *Light.choices], read_only=True, help_text="目标灯（最差的指标灯）"
    )
    budget_warning = serializers.CharField(
        read_only=True, help_text="预算预警：green/yellow/red/over，空为无预算"
    )
    budget_warning_label = serializers.SerializerMethodField()
    deviations = serializers.IntegerField(read_only=True, help_text="偏差数")
    execution_rate = rate_figure(help_text="预算执行率（%）")
    execution_score = points_figure(help_text="执行率得分（绩效自评）")
    score = points_figure(help_text="总分（绩效自评）")
    grade = serializers.CharField(read_only=True, help_text="等级：优/良/中/差，未评分为空")
    rectification_required = serializers.BooleanField(read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.ChoiceField(choices=KINDS))
    def get_kind(self, report: Report) -> str:
        return KIND_DEPARTMENT if report.is_department else KIND_PROJECT

    def get_budget_warning_label(self, report: Report) -> str:
        return warning_label(report.budget_warning, none="—")


class BudgetSerializer(serializers.Serializer):
    """The budget part as of the round's date (frozen once submitted), amounts in 万元."""

    schema_description = "预算部分（截至轮次日期；提交后为提交时的数据），金额单位万元"

    initial = money_figure()
    adjusted = money_figure()
    executed = money_figure()
    policy = money_figure()
    execution_rate = rate_figure(help_text="执行率（%），无预算为空")
    time_progress = rate_figure(help_text="序时进度（%）")
    warning = serializers.CharField(help_text="预算预警，空为无预算")
    warning_label = serializers.CharField()
    initial_budget = money_figure()
    carryover = money_figure()


class LineSerializer(serializers.Serializer):
    """One indicator of the report and what was filled in for it."""

    schema_description = "一个指标及其填写内容、灯、分值和得分"

    id = serializers.IntegerField(allow_null=True, help_text="指标行编号（尚未填写的为空）")
    indicator = serializers.IntegerField(
        allow_null=True, help_text="指标编号（部门整体报告为部门整体指标；提交后被删除的为空）"
    )
    level1 = serializers.CharField()
    level2 = serializers.CharField()
    name = serializers.CharField()
    target = serializers.CharField(help_text="年度指标值（原文）")
    target_text = serializers.CharField(help_text="指标值的含义")
    weight = Figure(3)
    actual_raw = serializers.CharField()
    expected_raw = serializers.CharField()
    actual_text = serializers.CharField(help_text="表格显示的实际完成值（系统计算的标明）")
    expected_text = serializers.CharField()
    cause_category = serializers.CharField()
    cause = serializers.CharField()
    likelihood = serializers.CharField()
    measure = serializers.CharField()
    explanation = serializers.CharField()
    light = serializers.CharField(help_text="blue/green/yellow/red，空为尚无")
    light_label = serializers.CharField()
    completion = rate_figure(help_text="完成比例（1 即 100%）")
    points = points_figure(help_text="分值")
    score = points_figure(help_text="得分")
    reviewer_score = points_figure(help_text="审核调整得分")
    reviewer_reason = serializers.CharField()
    reviewer_comment = serializers.CharField(help_text="退回时对该指标的意见")
    computed = serializers.BooleanField(help_text="系统计算的部门整体指标")
    computed_value = rate_figure(help_text="系统计算值（截至轮次日期；提交后为提交时的值）")


class TransitionSerializer(serializers.Serializer):
    schema_description = "审核记录：状态变化、操作人、时间和原因"

    from_status = serializers.ChoiceField(choices=ReportStatus.choices)
    to_status = serializers.ChoiceField(choices=ReportStatus.choices)
    user = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class ReportDetailSerializer(ReportSerializer):
    """A report with everything its page shows: typed values, budget part, lines, workflow."""

    schema_description = "报告的全部内容，与报告页面显示的相同"

    round_name = serializers.CharField(source="round.__str__", read_only=True)
    deadline = serializers.DateField(source="round.deadline", read_only=True)
    round_is_open = serializers.BooleanField(source="round.is_open", read_only=True)
    project_name = serializers.CharField(
        source="project.name", read_only=True, allow_null=True, default=None
    )
    unit_name = serializers.CharField(
        source="project.unit.name", read_only=True, allow_null=True, default=None
    )
    frozen = serializers.BooleanField(
        source="is_frozen", read_only=True, help_text="已提交或已审核：显示提交时的数据"
    )
    expected_executed = Figure(MONEY_PLACES, help_text="全年预计执行数（万元）")
    budget_cause_category = serializers.CharField(read_only=True)
    budget_cause = serializers.CharField(read_only=True)
    budget_likelihood = serializers.CharField(read_only=True)
    budget_measure = serializers.CharField(read_only=True)
    low_execution_note = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    return_reason = serializers.CharField(read_only=True)
    rectification_requirements = serializers.CharField(read_only=True)
    rectification_result = serializers.CharField(read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.display_name", read_only=True, allow_null=True, default=None
    )
    reviewed_by = serializers.CharField(
        source="reviewed_by.display_name", read_only=True, allow_null=True, default=None
    )
    created_at = serializers.DateTimeField(read_only=True)
    may_edit = serializers.SerializerMethodField(help_text="当前用户现在可以修改、提交")
    may_review = serializers.SerializerMethodField(help_text="当前用户现在可以审核")
    budget = serializers.SerializerMethodField()
    execution_points = serializers.SerializerMethodField(help_text="执行率分值（项目绩效自评）")
    lines = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()

    @property
    def table(self) -> ReportTable:
        return self.context["table"]

    def get_may_edit(self, report: Report) -> bool:
        return self.context["may_edit"]

    def get_may_review(self, report: Report) -> bool:
        return self.context["may_review"]

    @extend_schema_field(BudgetSerializer)
    def get_budget(self, report: Report) -> dict:
        budget = self.table.budget
        figures = budget.figures
        data = {
            "initial": figures.initial,
            "adjusted": figures.adjusted,
            "executed": figures.executed,
            "policy": figures.policy,
            "execution_rate": figures.execution_rate,
            "time_progress": budget.time_progress,
            "warning": budget.warning or "",
            "warning_label": warning_label(budget.warning, none="—"),
            "initial_budget": budget.initial_budget,
            "carryover": budget.carryover,
        }
        return BudgetSerializer(data).data

    @extend_schema_field(points_figure())
    def get_execution_points(self, report: Report) -> str | None:
        value = self.table.execution_points
        return None if value is None else points_figure().to_representation(value)

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, report: Report) -> list:
        return LineSerializer([line_data(row) for row in self.table.rows], many=True).data

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, report: Report) -> list:
        return TransitionSerializer(
            [transition_data(t) for t in self.table.transitions], many=True
        ).data


def line_data(row: LineRow) -> dict:
    """One row of the report's table as the API shows it (the values as the page shows them)."""
    value, indicator, line = row.value, row.indicator, row.line
    return {
        "id": line.pk if line is not None else None,
        "indicator": indicator.pk,
        "level1": indicator.level1,
        "level2": indicator.level2,
        "name": indicator.name,
        "target": indicator.raw,
        "target_text": row.target_text,
        "weight": indicator.weight,
        "actual_raw": value.actual_raw,
        "expected_raw": value.expected_raw,
        "actual_text": row.actual_text,
        "expected_text": row.expected_text,
        "cause_category": value.cause_category,
        "cause": value.cause,
        "likelihood": value.likelihood,
        "measure": value.measure,
        "explanation": value.explanation,
        "light": value.light,
        "light_label": LIGHT_LABELS.get(value.light, ""),
        "completion": value.completion,
        "points": value.points,
        "score": value.score,
        "reviewer_score": value.reviewer_score,
        "reviewer_reason": value.reviewer_reason,
        "reviewer_comment": value.reviewer_comment,
        "computed": row.computed,
        "computed_value": value.computed_value if row.computed else None,
    }


def transition_data(transition: ReportTransition) -> dict:
    return {
        "from_status": transition.from_status,
        "to_status": transition.to_status,
        "user": transition.user.display_name if transition.user else None,
        "at": transition.at,
        "reason": transition.reason,
    }


# --- reports: requests ----------------------------------------------------------------------------


class ReportStartSerializer(StrictSerializer):
    schema_description = "开始填报：轮次和项目"

    round = id_field("轮次")
    project = id_field("项目")


# The fields each stage's form shows; the API refuses the others' as the form never sends them.
MONITORING_FIELDS = (
    "expected_executed",
    "budget_cause_category",
    "budget_cause",
    "budget_likelihood",
    "budget_measure",
)
SELF_EVALUATION_FIELDS = ("low_execution_note", "summary")
MONITORING_LINE_FIELDS = (
    "actual_raw",
    "expected_raw",
    "cause_category",
    "cause",
    "likelihood",
    "measure",
)
SELF_EVALUATION_LINE_FIELDS = ("actual_raw", "explanation", "measure")
NOT_THIS_STAGE = "{stage}报告没有“{label}”，不能填写"
LINE_NOT_THIS_STAGE = "第{number}行：{stage}报告的指标没有“{label}”，不能填写"
LINE_UNKNOWN_INDICATOR = "第{number}行：指标{indicator}不属于该报告"
LINE_TWICE = "第{number}行：指标{indicator}重复出现"


class LineInputSerializer(StrictSerializer):
    """What is typed for one indicator; a field left out keeps its stored value."""

    schema_description = "一个指标的填写内容；未提供的字段保持原值"

    indicator = id_field("指标", help_text="指标编号（部门整体报告为部门整体指标编号）")
    actual_raw = text("实际完成值（运行监控：截至目前完成值）", VALUE_LENGTH)
    expected_raw = text("全年预计完成值", VALUE_LENGTH)
    cause_category = choice("偏差原因类别", CauseCategory.choices)
    cause = text("偏差原因")
    likelihood = choice("完成可能性", Likelihood.choices)
    measure = text("改进措施")
    explanation = text("偏差原因分析（绩效自评）")


class ReportUpdateSerializer(StrictSerializer):
    """Values to save; a field left out keeps its stored value, as do lines not listed."""

    schema_description = "保存报告：读取时的版本，以及要修改的字段和指标行；未提供的保持原值"

    version = version_field()
    expected_executed = MoneyInput(label="全年预计执行数（万元）", required=False)
    budget_cause_category = choice("预算偏差原因类别", CauseCategory.choices)
    budget_cause = text("预算偏差原因")
    budget_likelihood = choice("完成可能性", Likelihood.choices)
    budget_measure = text("预算偏差改进措施")
    low_execution_note = text("执行率低于90%的原因说明")
    summary = text("总体情况说明", LONG_TEXT_LENGTH)
    lines = LineInputSerializer(many=True, required=False, max_length=MAX_LINES)

    def validate(self, attrs: dict) -> dict:
        report: Report = self.context["report"]
        indicators: set[int] = self.context["indicators"]
        self_evaluation = report.round.is_self_evaluation
        stage = report.round.stage
        others = MONITORING_FIELDS if self_evaluation else SELF_EVALUATION_FIELDS
        errors: dict[str, list[str]] = {}
        for name in others:
            if name in attrs:
                label = self.fields[name].label
                errors[name] = [NOT_THIS_STAGE.format(stage=stage, label=label)]
        line_fields = SELF_EVALUATION_LINE_FIELDS if self_evaluation else MONITORING_LINE_FIELDS
        line_errors = []
        seen: set[int] = set()
        for number, line in enumerate(attrs.get("lines", []), start=1):
            indicator = line["indicator"]
            if indicator not in indicators:
                line_errors.append(
                    LINE_UNKNOWN_INDICATOR.format(number=number, indicator=indicator)
                )
            elif indicator in seen:
                line_errors.append(LINE_TWICE.format(number=number, indicator=indicator))
            seen.add(indicator)
            for name in line:
                if name != "indicator" and name not in line_fields:
                    label = self.fields["lines"].child.fields[name].label
                    line_errors.append(
                        LINE_NOT_THIS_STAGE.format(number=number, stage=stage, label=label)
                    )
        if line_errors:
            errors["lines"] = line_errors
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class VersionSerializer(StrictSerializer):
    schema_description = "读取时的版本"

    version = version_field()


class ReturnSerializer(StrictSerializer):
    schema_description = "退回：原因，以及对单个指标的意见"

    reason = StrictCharField(
        label="退回原因",
        max_length=LONG_TEXT_LENGTH,
        error_messages={"blank": "退回时必须填写退回原因", "required": "退回时必须填写退回原因"},
    )
    comments = serializers.DictField(
        label="对单个指标的意见",
        child=StrictCharField(max_length=TEXT_LENGTH, allow_blank=True),
        required=False,
        help_text="键为指标编号，值为意见",
    )


class ApproveSerializer(StrictSerializer):
    schema_description = "审核通过：可附审核意见"

    comment = text("审核意见")


class RectificationRequiredSerializer(StrictSerializer):
    schema_description = "整改要求"

    requirements = StrictCharField(
        label="整改要求",
        max_length=LONG_TEXT_LENGTH,
        error_messages={"blank": "请填写整改要求", "required": "请填写整改要求"},
    )


class RectificationResultSerializer(StrictSerializer):
    schema_description = "整改结果"

    result = StrictCharField(
        label="整改结果",
        max_length=LONG_TEXT_LENGTH,
        error_messages={"blank": "请填写整改结果", "required": "请填写整改结果"},
    )


class ReviewerScoreSerializer(StrictSerializer):
    schema_description = "调整得分：指标行、得分（null 取消调整）和理由"

    line = id_field("指标行", help_text="指标行编号（报告详情 lines[].id）")
    score = ScoreInput(label="调整后得分", help_text="在该指标档次对应的区间内；null 取消调整")
    reason = text("调整理由")


# --- notifications --------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    schema_description = "一条消息"

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    link = serializers.SerializerMethodField(help_text="页面链接")
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "subject",
            "body",
            "link",
            "round",
            "project",
            "department",
            "day",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_link(self, notification: Notification) -> str:
        from ..notifications import notification_link

        return notification_link(notification)

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class MarkReadSerializer(StrictSerializer):
    schema_description = "标为已读：all: true 为全部未读消息，否则为 ids 所列的消息"

    ids = serializers.ListField(
        label="消息编号",
        child=id_field("消息"),
        required=False,
        max_length=MAX_LINES,
        help_text="要标为已读的消息编号（all 为 true 时不看）",
    )
    all = StrictBooleanField(label="全部", required=False, help_text="true：把全部未读消息标为已读")

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("all") and "ids" not in attrs:
            raise serializers.ValidationError(MARK_READ_WHICH)
        return attrs


class MarkReadResultSerializer(serializers.Serializer):
    schema_description = "标为已读的结果"

    detail = serializers.CharField()
    count = serializers.IntegerField(help_text="本次标为已读的消息数")
