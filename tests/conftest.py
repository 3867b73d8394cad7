"""Shared fixtures: the named actors of every permission test, and service helpers."""

from __future__ import annotations

import pytest

from budgets.choices import Role

from .factories import DepartmentFactory, UnitFactory, UserFactory


@pytest.fixture
def department_a(db):
    return DepartmentFactory(code="309", name="新乡市医疗保障局")


@pytest.fixture
def department_b(db):
    return DepartmentFactory(code="044", name="西峡县医疗保障局本级")


@pytest.fixture
def unit_a(department_a):
    return UnitFactory(department=department_a, code="309002", name="新乡市医疗保险中心")


@pytest.fixture
def unit_b(department_b):
    return UnitFactory(department=department_b, code="044002", name="西峡县医疗保险中心")


@pytest.fixture
def alice(department_a):
    """Staff (单位经办人) of department A."""
    return UserFactory(username="alice", name="爱丽丝", role=Role.STAFF, department=department_a)


@pytest.fixture
def bob(department_b):
    """Staff (单位经办人) of department B."""
    return UserFactory(username="bob", name="鲍勃", role=Role.STAFF, department=department_b)


@pytest.fixture
def rita(db):
    """A finance-bureau reviewer (财政局审核人)."""
    return UserFactory(username="rita", name="丽塔", role=Role.REVIEWER, department=None)


@pytest.fixture
def adam(db):
    """An administrator (管理员), with the Django admin site."""
    return UserFactory(
        username="adam",
        name="亚当",
        role=Role.ADMIN,
        department=None,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def client_of(client):
    """Return a logged-in test client for a user: `client_of(alice)`."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright, for the tests marked `browser`."""
    from .services import require_binary

    executable = require_binary("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
