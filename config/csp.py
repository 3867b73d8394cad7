"""The Content-Security-Policy header on every response.

Django 5.2 has no CSP support of its own. The policy is one fixed header (no nonces: the
pages load every script from static files), so a few lines do it. The setting has the
shape of Django 6.0's `SECURE_CSP`; upgrading means swapping this middleware for
`django.middleware.csp.ContentSecurityPolicyMiddleware`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def policy_header(directives: dict[str, list[str]]) -> str:
    """`{"script-src": ["'self'"]}` → `script-src 'self'`; directives in the given order."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Add settings.SECURE_CSP to every response that does not carry a policy of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = policy_header(settings.SECURE_CSP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault(HEADER, self.header)
        return response
