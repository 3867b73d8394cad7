"""The client's address: REMOTE_ADDR unless the environment trusts proxies in front."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from config.proxies import client_address

PROXY = "10.0.0.2"


def request(forwarded: str | None = None):
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=PROXY, headers=headers)


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_address(request("203.0.113.9")) == PROXY


@override_settings(TRUSTED_PROXY_COUNT=1)
@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        # The client sent a forged entry; the proxy appended the address it saw.
        ("198.51.100.1, 203.0.113.9", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::1"),
        (None, PROXY),
        ("", PROXY),
        ("not-an-address", PROXY),
    ],
)
def test_behind_one_proxy_the_rightmost_forwarded_address_is_the_client(forwarded, expected):
    assert client_address(request(forwarded)) == expected


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_second_address_from_the_right_is_the_client():
    assert client_address(request("198.51.100.1, 203.0.113.9, 10.0.0.1")) == "203.0.113.9"
    # One entry only: the request skipped a proxy, so the header cannot be trusted.
    assert client_address(request("203.0.113.9")) == PROXY
