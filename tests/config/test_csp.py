"""The Content-Security-Policy: on every response, scripts only from the site's own files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from config.csp import HEADER, policy_header

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)
HTMX_EVAL = re.compile(r"\bhx-on|\bhx-vars\b|[\"']js:|\bhx-trigger=\"[^\"]*\[", re.IGNORECASE)


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def test_the_policy_is_written_as_one_header_in_the_given_order():
    header = policy_header({"default-src": ["'self'"], "object-src": ["'none'"]})
    assert header == "default-src 'self'; object-src 'none'"


@pytest.mark.django_db
def test_the_login_page_carries_the_policy(client):
    response = client.get(reverse("login"))
    assert response[HEADER] == policy_header(settings.SECURE_CSP)


def test_pages_of_a_signed_in_user_carry_the_policy(client_of, alice):
    response = client_of(alice).get("/")
    assert response.status_code == 200
    policy = directives(response[HEADER])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe-eval" in source for sources in policy.values() for source in sources)


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_has_script_the_policy_would_block(template):
    html = template.read_text()
    assert not INLINE_SCRIPT.search(html), "inline <script>: move it to static/js/"
    assert not EVENT_ATTRIBUTE.search(html), "on*= handler: use a data- attribute and static/js/"
    assert not SCRIPT_URL.search(html), "javascript: URL"
    assert not HTMX_EVAL.search(html), "htmx feature that evaluates script"
