"""The client's address as the reverse proxies the environment trusts report it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind N trusted proxies the address the outermost one was reached from.

    Each proxy appends the address it was reached from to X-Forwarded-For, and the last
    proxy's own address is REMOTE_ADDR: with N proxies the client is the N-th entry from the
    right. Entries further left were sent by the client and may be forged.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if len(forwarded) < count:
        return remote  # the request did not pass through every trusted proxy
    candidate = forwarded[-count]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote  # a proxy that writes something else is misconfigured; don't store it
    return candidate
