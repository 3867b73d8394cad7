"""What the OpenAPI schema says besides each endpoint's own shape: the one error body, the
error responses an operation documents, request bodies that refuse unknown fields."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from budgets.filters import DATE_PATTERN
from budgets.params import FIRST_YEAR, LAST_YEAR


# The body of every error answer (4xx). Serializers of the schema carry no docstring: it
# would be published as the component's (English) description.
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="第一条错误消息（中文）")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="按字段（或查询参数）列出的全部错误消息；不针对某个字段的在 non_field_errors 中。"
        "未登录、无权限、对象不存在时没有此项",
    )


ERROR_DESCRIPTIONS = {
    400: "请求有误：参数、字段或业务规则不满足，消息说明原因",
    401: "未登录：使用会话，或在请求头中提供 Authorization: Token <key>",
    403: "无权执行此操作（如财政局审核人修改部门的绩效指标）",
    404: "对象不存在，或您无权访问（其他部门的数据一律如此回答）；列表的页码超出范围也是404",
    415: "请求内容的类型不支持（如上传文件须用 multipart/form-data）",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation: the given codes and always 401."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in sorted({*codes, 401})
    }


def with_errors(responses: dict, *codes: int) -> dict:
    """An operation's success responses plus its error responses."""
    return {**responses, **errors(*codes)}


class StrictRequestSchema(AutoSchema):
    """Request bodies of serializers that refuse unknown fields say so: additionalProperties
    is false, so the schema and the server agree on what is refused."""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema


class ApiSchema(StrictRequestSchema):
    """Besides, a blank optional query parameter is no filter (allowEmptyValue): the views of
    budgets and performance, whose filters ignore it, use this one."""

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            # `?year=&department=` is how a form sends what it leaves empty (django-filter
            # and the pages ignore it); a required one may not be blank.
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters


YEAR_SCHEMA = {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}

YEAR_PARAMETER = OpenApiParameter(
    "year", YEAR_SCHEMA, description=f"预算年度（{FIRST_YEAR}—{LAST_YEAR}）"
)
AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    {"type": "string", "pattern": DATE_PATTERN},
    description=(
        "截至日期 YYYY-MM-DD，须在项目（或所选）年度内；默认当年为今天，过去的年度为12月31日"
    ),
)
