"""The REST API under /api/: one router for the viewsets every app registers from its own
`api` package, the OpenAPI schema (/api/schema/) and Swagger UI (/api/docs/).

The site's LoginRequiredMiddleware would redirect an anonymous API call to the login page;
the API answers for itself instead (401 with a Chinese message), so its views are exempt.
"""

from __future__ import annotations

from importlib import import_module

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

# Each module has `register(router)` and may have `urlpatterns` of its own (actions that
# are no viewset's, e.g. imports).
API_MODULES = (
    "budgets.api.views",
    "performance.api.views",
    "tracking.api.views",
    "reporting.api.views",
)


def _exempt(patterns: list) -> list:
    """The same patterns, each view exempt from the site's login redirect."""
    result = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            result.append(pattern)
        elif isinstance(pattern, URLPattern):
            pattern.callback = login_not_required(pattern.callback)
            result.append(pattern)
    return result


API_NOT_FOUND = "接口不存在：{path}（请查看 /api/docs/）"


@csrf_exempt  # a session client's PUT to an unknown path gets the JSON 404, not a CSRF page
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other path under /api/ (also an id that is no number, `/api/projects/0.5/`): a JSON
    404 in the API's error shape, not the site's HTML page."""
    return JsonResponse({"detail": API_NOT_FOUND.format(path=request.path)}, status=404)


def build_urlpatterns() -> list:
    router = SimpleRouter(trailing_slash=True)
    extra: list = []
    for name in API_MODULES:
        module = import_module(name)
        module.register(router)
        extra += getattr(module, "urlpatterns", [])
    return _exempt(
        [
            path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
            path(
                "docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"
            ),
            *extra,
            *router.urls,
            re_path(r"^(?P<rest>.*)$", api_not_found, name="api-not-found"),
        ]
    )


urlpatterns = build_urlpatterns()
