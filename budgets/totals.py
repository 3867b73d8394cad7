"""Running money totals kept by the database: every project's payments and adjustments, and
every department's payments of a year, per calendar month of their dates.

At province scale (20,000 projects, 2,000,000 payments) every figure of a page or of the
nightly snapshot used to sum the payments again: 0.3–0.7 s of PostgreSQL per request even for
one hand-written query. `ProjectTotals` and `DepartmentTotals` hold those sums by month (about
a tenth as many rows), and triggers on `budgets_payment` and `budgets_adjustment` keep them in
the same transaction as the write, whatever writes it: the importer's multi-row inserts,
forms, the admin, the API, queryset updates; a rollback undoes both. Figures as of a day are
the months up to the day's month less what is dated after the day in that month (for today or
a month's end: nothing), so they stay exact to the fen for any date (budgets.selectors).

PostgreSQL runs one statement-level trigger per statement (the changed rows grouped first,
the totals upserted in key order so concurrent writers lock them in the same order); SQLite
has row triggers only (about 1.5 µs a payment). A delete only subtracts from a row that
exists: whatever deletes the totals row first (a project's cascade, a test's flush) is not
undone by the payments' own deletes. The price on PostgreSQL: two transactions writing the same
department's payments of one month update the same row, so the second waits for the first to
commit (a hand-entered payment waits for a running import of its department).

`totals_drift` compares them with the payments and adjustments themselves
(`manage.py check_totals`, `--repair` rewrites them from the rows: `totals_rebuild`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

PROJECT_TOTALS = "budgets_projecttotals"
DEPARTMENT_TOTALS = "budgets_departmenttotals"
POLICY = "政策性调整"  # AdjustmentKind.POLICY; the trigger text must not change with the code

# --- SQLite: row triggers -------------------------------------------------------------------
# A DateField is ISO text on SQLite: date(…, 'start of month') is the month's first day.

_SQLITE_PAYMENT_ADD = """
    INSERT INTO budgets_projecttotals (project_id, month, paid, adjustments, policy_adjustments)
        SELECT NEW.project_id, date(NEW.date, 'start of month'), NEW.amount, 0, 0
        WHERE NEW.project_id IS NOT NULL
        ON CONFLICT (project_id, month) DO UPDATE SET paid = paid + excluded.paid;
    INSERT INTO budgets_departmenttotals
            (department_id, year, month, paid, three_public_paid, procurement_paid)
        SELECT NEW.department_id, NEW.year, date(NEW.date, 'start of month'), NEW.amount,
               CASE WHEN NEW.three_public THEN NEW.amount ELSE 0 END,
               CASE WHEN NEW.procurement THEN NEW.amount ELSE 0 END
        WHERE true
        ON CONFLICT (department_id, year, month) DO UPDATE SET
            paid = paid + excluded.paid,
            three_public_paid = three_public_paid + excluded.three_public_paid,
            procurement_paid = procurement_paid + excluded.procurement_paid;
"""
_SQLITE_PAYMENT_SUBTRACT = """
    UPDATE budgets_projecttotals SET paid = paid - OLD.amount
        WHERE project_id = OLD.project_id AND month = date(OLD.date, 'start of month');
    UPDATE budgets_departmenttotals SET
            paid = paid - OLD.amount,
            three_public_paid = three_public_paid
                - CASE WHEN OLD.three_public THEN OLD.amount ELSE 0 END,
            procurement_paid = procurement_paid
                - CASE WHEN OLD.procurement THEN OLD.amount ELSE 0 END
        WHERE department_id = OLD.department_id AND year = OLD.year
            AND month = date(OLD.date, 'start of month');
"""
_SQLITE_ADJUSTMENT_ADD = f"""
    INSERT INTO budgets_projecttotals (project_id, month, paid, adjustments, policy_adjustments)
        SELECT NEW.project_id, date(NEW.date, 'start of month'), 0, NEW.amount,
               CASE WHEN NEW.kind = '{POLICY}' THEN NEW.amount ELSE 0 END
        WHERE true
        ON CONFLICT (project_id, month) DO UPDATE SET
            adjustments = adjustments + excluded.adjustments,
            policy_adjustments = policy_adjustments + excluded.policy_adjustments;
"""
_SQLITE_ADJUSTMENT_SUBTRACT = f"""
    UPDATE budgets_projecttotals SET
            adjustments = adjustments - OLD.amount,
            policy_adjustments = policy_adjustments
                - CASE WHEN OLD.kind = '{POLICY}' THEN OLD.amount ELSE 0 END
        WHERE project_id = OLD.project_id AND month = date(OLD.date, 'start of month');
"""
_PAYMENT_COLUMNS = "amount, date, project_id, department_id, year, three_public, procurement"
_ADJUSTMENT_COLUMNS = "amount, date, project_id, kind"

SQLITE_INSTALL = [
    f"""CREATE TRIGGER budgets_payment_totals_insert AFTER INSERT ON budgets_payment
        BEGIN {_SQLITE_PAYMENT_ADD} END""",
    f"""CREATE TRIGGER budgets_payment_totals_delete AFTER DELETE ON budgets_payment
        BEGIN {_SQLITE_PAYMENT_SUBTRACT} END""",
    f"""CREATE TRIGGER budgets_payment_totals_update
        AFTER UPDATE OF {_PAYMENT_COLUMNS} ON budgets_payment
        BEGIN {_SQLITE_PAYMENT_SUBTRACT} {_SQLITE_PAYMENT_ADD} END""",
    f"""CREATE TRIGGER budgets_adjustment_totals_insert AFTER INSERT ON budgets_adjustment
        BEGIN {_SQLITE_ADJUSTMENT_ADD} END""",
    f"""CREATE TRIGGER budgets_adjustment_totals_delete AFTER DELETE ON budgets_adjustment
        BEGIN {_SQLITE_ADJUSTMENT_SUBTRACT} END""",
    f"""CREATE TRIGGER budgets_adjustment_totals_update
        AFTER UPDATE OF {_ADJUSTMENT_COLUMNS} ON budgets_adjustment
        BEGIN {_SQLITE_ADJUSTMENT_SUBTRACT} {_SQLITE_ADJUSTMENT_ADD} END""",
]

# --- PostgreSQL: statement triggers over the transition tables --------------------------------

_PG_MONTH = "date_trunc('month', r.date)::date"


def _pg_payment_upsert(rows: str) -> str:
    """Add the signed amounts of `rows` (project_id, department_id, year, date, amount,
    three_public, procurement) to the totals, creating rows as needed. An update passes the
    old rows negated beside the new: a key whose sums all cancel out is left alone, a changed
    flag moves its amount between columns."""
    return f"""
    INSERT INTO budgets_projecttotals AS t
            (project_id, month, paid, adjustments, policy_adjustments)
        SELECT project_id, {_PG_MONTH}, SUM(amount), 0, 0 FROM {rows} AS r
        WHERE project_id IS NOT NULL
        GROUP BY 1, 2 HAVING SUM(amount) <> 0 ORDER BY 1, 2
        ON CONFLICT (project_id, month) DO UPDATE SET paid = t.paid + EXCLUDED.paid;
    INSERT INTO budgets_departmenttotals AS t
            (department_id, year, month, paid, three_public_paid, procurement_paid)
        SELECT department_id, year, {_PG_MONTH}, SUM(amount),
               COALESCE(SUM(amount) FILTER (WHERE three_public), 0),
               COALESCE(SUM(amount) FILTER (WHERE procurement), 0)
        FROM {rows} AS r
        GROUP BY 1, 2, 3
        HAVING SUM(amount) <> 0
            OR COALESCE(SUM(amount) FILTER (WHERE three_public), 0) <> 0
            OR COALESCE(SUM(amount) FILTER (WHERE procurement), 0) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (department_id, year, month) DO UPDATE SET
            paid = t.paid + EXCLUDED.paid,
            three_public_paid = t.three_public_paid + EXCLUDED.three_public_paid,
            procurement_paid = t.procurement_paid + EXCLUDED.procurement_paid;
    """


def _pg_adjustment_upsert(rows: str) -> str:
    return f"""
    INSERT INTO budgets_projecttotals AS t
            (project_id, month, paid, adjustments, policy_adjustments)
        SELECT project_id, {_PG_MONTH}, 0, SUM(amount),
               COALESCE(SUM(amount) FILTER (WHERE kind = '{POLICY}'), 0)
        FROM {rows} AS r
        GROUP BY 1, 2
        HAVING SUM(amount) <> 0
            OR COALESCE(SUM(amount) FILTER (WHERE kind = '{POLICY}'), 0) <> 0
        ORDER BY 1, 2
        ON CONFLICT (project_id, month) DO UPDATE SET
            adjustments = t.adjustments + EXCLUDED.adjustments,
            policy_adjustments = t.policy_adjustments + EXCLUDED.policy_adjustments;
    """


_PG_PAYMENT_SUBTRACT = f"""
    UPDATE budgets_projecttotals AS t SET paid = t.paid - d.s
        FROM (SELECT project_id, {_PG_MONTH} AS month, SUM(amount) AS s FROM old_rows AS r
              WHERE project_id IS NOT NULL GROUP BY 1, 2) AS d
        WHERE t.project_id = d.project_id AND t.month = d.month;
    UPDATE budgets_departmenttotals AS t SET
            paid = t.paid - d.s,
            three_public_paid = t.three_public_paid - d.tp,
            procurement_paid = t.procurement_paid - d.pr
        FROM (SELECT department_id, year, {_PG_MONTH} AS month, SUM(amount) AS s,
                     COALESCE(SUM(amount) FILTER (WHERE three_public), 0) AS tp,
                     COALESCE(SUM(amount) FILTER (WHERE procurement), 0) AS pr
              FROM old_rows AS r GROUP BY 1, 2, 3) AS d
        WHERE t.department_id = d.department_id AND t.year = d.year AND t.month = d.month;
"""
_PG_ADJUSTMENT_SUBTRACT = f"""
    UPDATE budgets_projecttotals AS t SET
            adjustments = t.adjustments - d.s,
            policy_adjustments = t.policy_adjustments - d.p
        FROM (SELECT project_id, {_PG_MONTH} AS month, SUM(amount) AS s,
                     COALESCE(SUM(amount) FILTER (WHERE kind = '{POLICY}'), 0) AS p
              FROM old_rows AS r GROUP BY 1, 2) AS d
        WHERE t.project_id = d.project_id AND t.month = d.month;
"""
# An update moves amounts: the old rows negated and the new rows, summed per key.
_PG_PAYMENT_MOVED = """(
    SELECT project_id, department_id, year, date, -amount AS amount, three_public, procurement
        FROM old_rows
    UNION ALL
    SELECT project_id, department_id, year, date, amount, three_public, procurement
        FROM new_rows)"""
_PG_ADJUSTMENT_MOVED = """(
    SELECT project_id, date, -amount AS amount, kind FROM old_rows
    UNION ALL
    SELECT project_id, date, amount, kind FROM new_rows)"""


def _pg_function(name: str, body: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN {body} RETURN NULL; END $body$"""


def _pg_trigger(name: str, event: str, table: str, referencing: str) -> str:
    return f"""CREATE TRIGGER {name} AFTER {event} ON {table}
        REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"""


POSTGRESQL_INSTALL = [
    _pg_function("budgets_payment_totals_insert", _pg_payment_upsert("new_rows")),
    _pg_function("budgets_payment_totals_delete", _PG_PAYMENT_SUBTRACT),
    _pg_function("budgets_payment_totals_update", _pg_payment_upsert(_PG_PAYMENT_MOVED)),
    _pg_function("budgets_adjustment_totals_insert", _pg_adjustment_upsert("new_rows")),
    _pg_function("budgets_adjustment_totals_delete", _PG_ADJUSTMENT_SUBTRACT),
    _pg_function("budgets_adjustment_totals_update", _pg_adjustment_upsert(_PG_ADJUSTMENT_MOVED)),
    _pg_trigger(
        "budgets_payment_totals_insert", "INSERT", "budgets_payment", "NEW TABLE AS new_rows"
    ),
    _pg_trigger(
        "budgets_payment_totals_delete", "DELETE", "budgets_payment", "OLD TABLE AS old_rows"
    ),
    _pg_trigger(
        "budgets_payment_totals_update",
        "UPDATE",
        "budgets_payment",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    ),
    _pg_trigger(
        "budgets_adjustment_totals_insert",
        "INSERT",
        "budgets_adjustment",
        "NEW TABLE AS new_rows",
    ),
    _pg_trigger(
        "budgets_adjustment_totals_delete",
        "DELETE",
        "budgets_adjustment",
        "OLD TABLE AS old_rows",
    ),
    _pg_trigger(
        "budgets_adjustment_totals_update",
        "UPDATE",
        "budgets_adjustment",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    ),
]

TRIGGERS = (
    ("budgets_payment_totals_insert", "budgets_payment"),
    ("budgets_payment_totals_delete", "budgets_payment"),
    ("budgets_payment_totals_update", "budgets_payment"),
    ("budgets_adjustment_totals_insert", "budgets_adjustment"),
    ("budgets_adjustment_totals_delete", "budgets_adjustment"),
    ("budgets_adjustment_totals_update", "budgets_adjustment"),
)

# --- the totals from the rows themselves ------------------------------------------------------

_MONTH = {"sqlite": "date(date, 'start of month')", "postgresql": "date_trunc('month', date)::date"}


def _project_from_rows(vendor: str) -> str:
    month = _MONTH[vendor]
    return f"""
    SELECT project_id, month, SUM(paid), SUM(adjustments), SUM(policy) FROM (
        SELECT project_id, {month} AS month, amount AS paid, 0 AS adjustments, 0 AS policy
            FROM budgets_payment WHERE project_id IS NOT NULL
        UNION ALL
        SELECT project_id, {month}, 0, amount,
               CASE WHEN kind = '{POLICY}' THEN amount ELSE 0 END
            FROM budgets_adjustment) AS r
    GROUP BY project_id, month
    """


def _department_from_rows(vendor: str) -> str:
    return f"""
    SELECT department_id, year, {_MONTH[vendor]} AS month, SUM(amount),
           SUM(CASE WHEN three_public THEN amount ELSE 0 END),
           SUM(CASE WHEN procurement THEN amount ELSE 0 END)
    FROM budgets_payment GROUP BY department_id, year, month
    """


def install(schema_editor) -> None:
    """Create the triggers (replacing them) and fill the totals from the rows (migrations)."""
    _install(schema_editor.connection)
    if schema_editor.connection.vendor == "sqlite":
        # Statistics for the planner after the index changes (the importer refreshes them
        # after each workbook too).
        schema_editor.execute("ANALYZE")


def _install(conn) -> None:
    statements = {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL}.get(conn.vendor)
    if statements is None:
        raise NotImplementedError(f"running totals need triggers written for {conn.vendor}")
    _uninstall(conn)
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    _rebuild(conn)


def triggers_missing(conn=connection) -> list[str]:
    """The names of the totals triggers the database does not have."""
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    return [name for name, _ in TRIGGERS if name not in present]


def triggers_ensure_after_migrate(sender, using="default", plan=None, **kwargs) -> None:
    """post_migrate: put back the triggers (and rebuild the totals) when a migration that
    rebuilt budgets_payment or budgets_adjustment on SQLite dropped them."""
    from django.db import connections

    conn = connections[using]
    with conn.cursor() as cursor:
        tables = set(conn.introspection.table_names(cursor))
    if PROJECT_TOTALS not in tables or not triggers_missing(conn):
        return
    with transaction.atomic(using=using):
        _install(conn)


def uninstall(schema_editor) -> None:
    """Drop the triggers (and on PostgreSQL their functions)."""
    _uninstall(schema_editor.connection)


def _uninstall(conn) -> None:
    with conn.cursor() as cursor:
        for name, table in TRIGGERS:
            if conn.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _rebuild(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PROJECT_TOTALS}")
        cursor.execute(f"DELETE FROM {DEPARTMENT_TOTALS}")
        cursor.execute(
            f"INSERT INTO {PROJECT_TOTALS} "
            "(project_id, month, paid, adjustments, policy_adjustments) "
            + _project_from_rows(conn.vendor)
        )
        cursor.execute(
            f"INSERT INTO {DEPARTMENT_TOTALS} "
            "(department_id, year, month, paid, three_public_paid, procurement_paid) "
            + _department_from_rows(conn.vendor)
        )


def totals_rebuild() -> None:
    """Rewrite every total from the payments and adjustments (in one transaction)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # No write may slip between the sums and the rewrite.
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE budgets_payment, budgets_adjustment IN SHARE MODE")
        _rebuild(connection)


@dataclass(frozen=True)
class Drift:
    """One total that differs from its rows: which, what is stored, what the rows add up to
    (in fen, the stored unit)."""

    table: str
    key: tuple
    columns: tuple[str, ...]
    stored: tuple
    expected: tuple


def _key(values) -> tuple:
    """A totals key with its month as ISO text (SQLite gives a date column as a date and the
    same expression as text)."""
    return tuple(v if isinstance(v, int) else str(v) for v in values)


def totals_drift() -> list[Drift]:
    """Every stored total that differs from the sum of its rows (empty when all agree)."""
    drift: list[Drift] = []
    with connection.cursor() as cursor:
        for table, key_columns, columns, from_rows in (
            (
                PROJECT_TOTALS,
                ("project_id", "month"),
                ("paid", "adjustments", "policy_adjustments"),
                _project_from_rows(connection.vendor),
            ),
            (
                DEPARTMENT_TOTALS,
                ("department_id", "year", "month"),
                ("paid", "three_public_paid", "procurement_paid"),
                _department_from_rows(connection.vendor),
            ),
        ):
            width = len(key_columns)
            cursor.execute(f"SELECT {', '.join(key_columns + columns)} FROM {table}")
            stored = {_key(row[:width]): tuple(row[width:]) for row in cursor.fetchall()}
            cursor.execute(from_rows)
            expected = {_key(row[:width]): tuple(row[width:]) for row in cursor.fetchall()}
            zero = (0,) * len(columns)
            for key in sorted(set(stored) | set(expected)):
                have = tuple(int(v or 0) for v in stored.get(key, zero))
                want = tuple(int(v or 0) for v in expected.get(key, zero))
                if have != want:
                    drift.append(Drift(table, key, columns, have, want))
    return drift
