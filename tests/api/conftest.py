"""Fixtures of the API tests."""

from __future__ import annotations

import pytest
from django.core import signals
from django.db import close_old_connections


@pytest.fixture
def wsgi_keeps_the_connection():
    """Requests sent straight to the WSGI application (schemathesis) close the database
    connection when they end, as in production; inside a test's transaction that would drop
    it on PostgreSQL. Django's test client disconnects these receivers the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
