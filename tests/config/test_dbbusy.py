"""A database lock that outlasts the busy timeout answers 503 in Chinese, not a 500."""

from __future__ import annotations

import sqlite3

from django.db import OperationalError
from django.test import RequestFactory

from config.dbbusy import DATABASE_BUSY_PAGE, is_database_busy, server_error


def test_sqlites_lock_timeout_is_recognised_and_other_errors_are_not():
    assert is_database_busy(OperationalError("database is locked"))
    assert not is_database_busy(OperationalError("no such table: x"))
    assert not is_database_busy(ValueError("database is locked"))


def test_a_real_lock_timeout_is_answered_503_with_a_chinese_message(tmp_path):
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0.1)
    request = RequestFactory().get("/")
    try:
        try:
            waiter.execute("INSERT INTO t VALUES (1)")
        except sqlite3.OperationalError as exc:
            # What Django's sqlite3 backend raises for the same error.
            try:
                raise OperationalError(*exc.args) from exc
            except OperationalError:
                response = server_error(request)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiter.close()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert DATABASE_BUSY_PAGE in response.content.decode()


def test_any_other_error_is_the_ordinary_500(db):
    request = RequestFactory().get("/")
    try:
        raise OperationalError("no such table: x")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 500
