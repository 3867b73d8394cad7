"""Budget adjustments and payments: read, and written through the pages' services with their
rules (FACTS, 全年预算数 never negative, overspending confirmed) and their audit trail."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from budgets.access import FACTS, restrict
from budgets.choices import AdjustmentKind
from budgets.filters import AdjustmentFilterSet, PaymentFilterSet
from budgets.models import Adjustment, Department, Payment, Project
from budgets.services import (
    adjustment_delete,
    adjustment_save,
    payment_delete,
    payment_save,
)

from .base import ScopedMixin
from .common import DetailMixin
from .fields import (
    AmountField,
    ScopedIdField,
    StrictBooleanField,
    StrictCharField,
    StrictDateField,
    StrictSerializerMixin,
)
from .schema import with_errors

PROJECT_OF_ANOTHER_DEPARTMENT = "项目“{code}”属于部门“{owner}”，与所填部门不一致"
PROJECT_OR_DEPARTMENT_REQUIRED = "请填写项目（项目支出），或填写部门（基本支出）"
NOTE_MAX = 2000


def visible_projects(request) -> Any:
    return restrict(Project.objects.select_related("department__division"), request.user)


def visible_departments(request) -> Any:
    departments = Department.objects.select_related("division")
    return restrict(departments, request.user, department_field="pk")


class MoneyViewSet(DetailMixin, ScopedMixin, viewsets.ModelViewSet):
    """Read for whoever sees the department; create, change and delete through a service."""

    write_action = FACTS
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    create_serializer_class: type[serializers.Serializer]
    update_serializer_class: type[serializers.Serializer]

    def validated(self, serializer_class, *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def answer(self, instance, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(instance).data, status=code)


# --- adjustments ------------------------------------------------------------------------------


class AdjustmentSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    department_code = serializers.CharField(source="department.code", read_only=True)
    division_code = serializers.CharField(source="department.division.code", read_only=True)
    amount = AmountField(read_only=True, help_text="调整金额（万元）：追加为正，追减为负")

    class Meta:
        model = Adjustment
        fields = [
            "id",
            "project",
            "project_code",
            "department",
            "department_code",
            "division_code",
            "year",
            "document_number",
            "date",
            "amount",
            "kind",
            "note",
        ]
        read_only_fields = fields


# An adjustment's own fields; its project stays (its year follows the date).
class AdjustmentUpdateSerializer(StrictSerializerMixin, serializers.Serializer):
    read_only_names = tuple(AdjustmentSerializer.Meta.fields)

    document_number = StrictCharField(max_length=100, help_text="调整文号，部门和年度内唯一")
    date = StrictDateField(help_text="日期 YYYY-MM-DD；年度按日期所在年份确定")
    amount = AmountField(help_text="调整金额（万元，字符串）：追加填正数，追减填负数")
    kind = serializers.ChoiceField(
        choices=AdjustmentKind.choices,
        required=False,
        help_text="调整类型，缺省为一般调整；政策性调整计入全年预算数，不计入预算调整率",
    )
    note = StrictCharField(max_length=NOTE_MAX, required=False, allow_blank=True, help_text="说明")


class AdjustmentCreateSerializer(AdjustmentUpdateSerializer):
    project = ScopedIdField(scope=visible_projects, noun="项目", help_text="项目 id")


ADJUSTMENT_RULES = (
    "写权限与页面相同：本部门经办人、覆盖该部门的财政局审核人、管理员。"
    "调整后（截至年末）全年预算数不能为负数；调整文号在部门和年度内唯一。"
)


@extend_schema_view(
    list=extend_schema(
        summary="预算调整列表",
        description="用户可查看部门的预算调整，可按年度、区划、部门、项目、调整类型筛选或搜索。",
        responses=with_errors({200: AdjustmentSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="预算调整详情",
        description="一笔预算调整；其他部门的回答404。",
        responses=with_errors({200: AdjustmentSerializer}, 404),
    ),
    create=extend_schema(
        summary="录入预算调整",
        description="与页面“录入预算调整”相同的服务。" + ADJUSTMENT_RULES,
        request=AdjustmentCreateSerializer,
        responses=with_errors({201: AdjustmentSerializer}, 400, 403),
    ),
    update=extend_schema(
        summary="修改预算调整",
        description="修改一笔预算调整的全部字段（项目不变）。" + ADJUSTMENT_RULES,
        request=AdjustmentUpdateSerializer,
        responses=with_errors({200: AdjustmentSerializer}, 400, 403, 404),
    ),
    partial_update=extend_schema(
        summary="修改预算调整（部分字段）",
        description="只修改提供的字段（项目不变）。" + ADJUSTMENT_RULES,
        request=AdjustmentUpdateSerializer,
        responses=with_errors({200: AdjustmentSerializer}, 400, 403, 404),
    ),
    destroy=extend_schema(
        summary="删除预算调整",
        description="删除一笔预算调整（审计记录保留删除人）；删除后全年预算数不能为负数。",
        responses=with_errors({204: OpenApiResponse(description="已删除")}, 400, 403, 404),
    ),
)
class AdjustmentViewSet(MoneyViewSet):
    serializer_class = AdjustmentSerializer
    filterset_class = AdjustmentFilterSet
    department_field = "project__department"
    ordering_fields = ["date", "document_number", "amount"]
    ordering = ["date", "document_number", "pk"]

    def get_queryset(self):
        return self.scoped(Adjustment.objects.select_related("project", "department__division"))

    def create(self, request, *args, **kwargs):
        data = self.validated(AdjustmentCreateSerializer)
        adjustment = adjustment_save(user=request.user, **data)
        return self.answer(adjustment, status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs):
        adjustment = self.get_object()
        self.check_write(adjustment.project.department)
        # PATCH keeps what it does not name; PUT names every field, the optional ones
        # left out take their defaults.
        base = {"kind": AdjustmentKind.GENERAL, "note": ""}
        if partial:
            base = {
                "document_number": adjustment.document_number,
                "date": adjustment.date,
                "amount": adjustment.amount,
                "kind": adjustment.kind,
                "note": adjustment.note,
            }
        data = self.validated(AdjustmentUpdateSerializer, partial=partial)
        saved = adjustment_save(
            user=request.user,
            project=adjustment.project,
            adjustment=adjustment,
            **{**base, **data},
        )
        return self.answer(saved)

    def destroy(self, request, *args, **kwargs):
        adjustment = self.get_object()
        self.check_write(adjustment.project.department)
        adjustment_delete(user=request.user, adjustment=adjustment)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- payments ---------------------------------------------------------------------------------


class PaymentSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(
        source="project.code", read_only=True, allow_null=True, help_text="基本支出为 null"
    )
    department_code = serializers.CharField(source="department.code", read_only=True)
    division_code = serializers.CharField(source="department.division.code", read_only=True)
    amount = AmountField(read_only=True, help_text="金额（万元）：退款或冲销为负")

    class Meta:
        model = Payment
        fields = [
            "id",
            "department",
            "department_code",
            "division_code",
            "year",
            "voucher",
            "date",
            "amount",
            "project",
            "project_code",
            "three_public",
            "procurement",
            "summary",
        ]
        read_only_fields = fields


# A payment's own fields; its department and project stay (the project's year follows the
# date, as on the page).
class PaymentUpdateSerializer(StrictSerializerMixin, serializers.Serializer):
    read_only_names = tuple(PaymentSerializer.Meta.fields)

    voucher = StrictCharField(max_length=100, help_text="凭证号，部门和年度内唯一")
    date = StrictDateField(help_text="日期 YYYY-MM-DD；年度按日期所在年份确定")
    amount = AmountField(help_text="金额（万元，字符串）：退款或冲销填负数")
    three_public = StrictBooleanField(required=False, help_text="三公经费")
    procurement = StrictBooleanField(required=False, help_text="政府采购")
    summary = StrictCharField(max_length=500, required=False, allow_blank=True, help_text="摘要")
    confirm_over_budget = StrictBooleanField(
        required=False,
        help_text="确认超预算支出：本次支出使执行数超过全年预算数时须为 true，否则回答400",
    )


class PaymentCreateSerializer(PaymentUpdateSerializer):
    project = ScopedIdField(
        scope=visible_projects,
        noun="项目",
        required=False,
        allow_null=True,
        help_text="项目 id（项目支出）；基本支出不填或为 null",
    )
    department = ScopedIdField(
        scope=visible_departments,
        noun="部门",
        required=False,
        help_text="部门 id：基本支出必填；项目支出可不填（取项目的部门）",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        project, department = attrs.get("project"), attrs.get("department")
        if project is None and department is None:
            raise serializers.ValidationError({"department": [PROJECT_OR_DEPARTMENT_REQUIRED]})
        if project is not None and department is not None and project.department != department:
            message = PROJECT_OF_ANOTHER_DEPARTMENT.format(
                code=project.code, owner=project.department.name
            )
            raise serializers.ValidationError({"department": [message]})
        attrs["department"] = department or project.department
        return attrs


PAYMENT_RULES = (
    "写权限与页面相同：本部门经办人、覆盖该部门的财政局审核人、管理员。"
    "凭证号在部门和年度内唯一；项目支出使执行数超过全年预算数时，须同时提交 "
    '"confirm_over_budget": true，否则回答400（消息与页面相同）。'
)


@extend_schema_view(
    list=extend_schema(
        summary="支出列表",
        description="用户可查看部门的支出凭证（含基本支出），可按年度、区划、部门、项目、"
        "类别（basic 基本支出 / project 项目支出）、日期筛选或搜索凭证号、摘要。",
        responses=with_errors({200: PaymentSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="支出详情",
        description="一笔支出；其他部门的回答404。",
        responses=with_errors({200: PaymentSerializer}, 404),
    ),
    create=extend_schema(
        summary="录入支出",
        description="与页面“录入支出”相同的服务：填项目为项目支出，只填部门为基本支出。"
        + PAYMENT_RULES,
        request=PaymentCreateSerializer,
        responses=with_errors({201: PaymentSerializer}, 400, 403),
    ),
    update=extend_schema(
        summary="修改支出",
        description="修改一笔支出的全部字段（部门和项目不变）。" + PAYMENT_RULES,
        request=PaymentUpdateSerializer,
        responses=with_errors({200: PaymentSerializer}, 400, 403, 404),
    ),
    partial_update=extend_schema(
        summary="修改支出（部分字段）",
        description="只修改提供的字段（部门和项目不变）。" + PAYMENT_RULES,
        request=PaymentUpdateSerializer,
        responses=with_errors({200: PaymentSerializer}, 400, 403, 404),
    ),
    destroy=extend_schema(
        summary="删除支出",
        description="删除一笔支出（审计记录保留删除人）。",
        responses=with_errors({204: OpenApiResponse(description="已删除")}, 403, 404),
    ),
)
class PaymentViewSet(MoneyViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    ordering_fields = ["date", "voucher", "amount"]
    ordering = ["-date", "voucher", "pk"]

    def get_queryset(self):
        return self.scoped(Payment.objects.select_related("department__division", "project"))

    def create(self, request, *args, **kwargs):
        data = self.validated(PaymentCreateSerializer)
        payment = payment_save(user=request.user, **data)
        return self.answer(payment, status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs):
        payment = self.get_object()
        self.check_write(payment.department)
        # PATCH keeps what it does not name; PUT names every field, the optional ones
        # left out take their defaults.
        base = {"three_public": False, "procurement": False, "summary": ""}
        if partial:
            base = {
                "voucher": payment.voucher,
                "date": payment.date,
                "amount": payment.amount,
                "three_public": payment.three_public,
                "procurement": payment.procurement,
                "summary": payment.summary,
            }
        data = self.validated(PaymentUpdateSerializer, partial=partial)
        saved = payment_save(
            user=request.user,
            department=payment.department,
            project=payment.project,
            payment=payment,
            # Basic expenditure stays in the year it was entered for; a project payment may
            # move to the same project of another year (as on the page).
            year=None if payment.project_id else payment.year,
            **{**base, **data},
        )
        return self.answer(saved)

    def destroy(self, request, *args, **kwargs):
        payment = self.get_object()
        self.check_write(payment.department)
        payment_delete(user=request.user, payment=payment)
        return Response(status=status.HTTP_204_NO_CONTENT)
