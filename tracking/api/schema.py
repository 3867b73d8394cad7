"""OpenAPI pieces of the tracking API on top of budgets/api/schema.py (the one error body,
strict request bodies): the 409 of a stale version, PATCH bodies documented as validated
whole, and components described in Chinese."""

from __future__ import annotations

from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse

from budgets.api.schema import ERROR_DESCRIPTIONS, ErrorSerializer, StrictRequestSchema

STALE_DESCRIPTION = "版本冲突：报告已被他人修改，请重新读取后再保存或提交"
JSON_ONLY_DESCRIPTION = "请求内容须为 JSON（Content-Type: application/json）"


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses of an operation: 401 always, plus the given codes (409: a stale
    version; 415: a body that is not JSON)."""
    descriptions = {**ERROR_DESCRIPTIONS, 409: STALE_DESCRIPTION, 415: JSON_ONLY_DESCRIPTION}
    return {
        code: OpenApiResponse(ErrorSerializer, description=descriptions[code])
        for code in sorted({401, *codes})
    }


class TrackingAutoSchema(StrictRequestSchema):
    """Strict request bodies as budgets' schema has them; besides, PATCH bodies keep their
    required fields, and components are described by `schema_description` (in Chinese)."""

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        # The docstrings are for developers (in English); the docs show `schema_description`.
        description = getattr(force_instance(serializer), "schema_description", "")
        if description:
            schema["description"] = description
        else:
            schema.pop("description", None)
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        instance = force_instance(serializer)
        if self.method != "PATCH" or not getattr(instance, "refuses_unknown_fields", False):
            return super()._get_request_for_media_type(serializer, direction)
        # This API validates a PATCH body whole (its version is required), not as DRF's
        # partial update: document its required fields.
        component = self.resolve_serializer(instance, direction)
        return component.ref, bool(component.schema.get("required"))
