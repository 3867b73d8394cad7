"""Insert many new rows and their audit-trail rows with plain multi-row INSERTs.

The import writes up to millions of rows in one transaction. Django's `bulk_create` and
django-simple-history's `bulk_history_create` cost about 250 µs a row between them, most of
it compiling SQL value by value and building a history instance per row — more than reading
the row from the workbook. `insert_with_history` writes the same rows (same values, same
history rows: type “+”, the importing user, one timestamp) with one statement per batch and
per-field converters chosen once. Anything it does not know how to write — a history model
with extra fields, a backend that cannot return the new keys — falls back to the library
path, so the result never differs; tests compare both paths row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

from .fields import MoneyField, to_fen

# The columns simple-history adds to a tracked model's fields (HistoricalRecords defaults).
HISTORY_COLUMNS = frozenset(
    {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
)
# Field classes whose value, when it already has the type below, is what the driver takes
# (exact classes: a subclass may convert in get_prep_value, as MoneyField does).
PLAIN: dict[type[models.Field], tuple[type, ...]] = {
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
}


def _converter(field: models.Field) -> Callable[[Any], Any]:
    """Python value → database parameter for one field (what get_db_prep_save does)."""
    ops = connection.ops
    if isinstance(field, MoneyField):
        return lambda v: None if v is None else to_fen(v)
    if isinstance(field, models.ForeignKey):
        return _converter(field.target_field)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    kinds = PLAIN.get(type(field))
    if kinds:
        return lambda v: (
            v if v is None or type(v) in kinds else field.get_db_prep_save(v, connection)
        )
    return lambda v: field.get_db_prep_save(v, connection)


def _unnest_types(fields: Sequence[models.Field]) -> list[str] | None:
    """PostgreSQL array types to send each column as one array, or None where a field
    cannot be (Django's own test for its UNNEST bulk insert)."""
    if connection.vendor != "postgresql":
        return None
    if any(
        hasattr(f, "get_placeholder")
        or (f.target_field if f.is_relation else f).get_internal_type() not in connection.data_types
        for f in fields
    ):
        return None
    # Without the length: varchar[], not varchar(100)[] (nothing is cut).
    return [f.db_type(connection).split("(")[0] for f in fields]


# Array literals built here instead of by psycopg, which dumps a list element by element in
# Python (a regular-expression test per element for quoting: 0.3 s for 20,000 snapshot rows).
# Only for values whose text form needs no escaping; anything else goes as a list.
_BARE = (int, Decimal)
_QUOTED = (date, datetime)


def _pg_array(values: list[Any]) -> str | list[Any]:
    """`values` as a PostgreSQL array literal, or unchanged when one cannot be written safely."""
    kinds = {type(v) for v in values} - {type(None)}
    if kinds <= {bool}:
        return "{" + ",".join("NULL" if v is None else ("t" if v else "f") for v in values) + "}"
    if all(issubclass(k, _BARE) and k is not bool for k in kinds):
        # str() of a Decimal NaN or Infinity is what numeric reads, as psycopg would send it.
        return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"
    if all(issubclass(k, _QUOTED) for k in kinds):
        return "{" + ",".join("NULL" if v is None else f'"{v}"' for v in values) + "}"
    return values


def _insert(
    table: str,
    fields: Sequence[models.Field],
    rows: list[list[Any]],
    returning: str | None,
    conflict: str = "",
) -> list[Any]:
    """INSERT the rows in batches; the RETURNING column's values in row order, if asked.

    PostgreSQL gets one array per column (INSERT … SELECT * FROM UNNEST(…)): psycopg parses
    a statement's placeholders in Python, which for 1,000 rows of VALUES costs more than the
    insert itself; SQLite parses its own `?` in C and gets multi-row VALUES.
    """
    ops = connection.ops
    quoted = ", ".join(ops.quote_name(f.column) for f in fields)
    suffix = conflict + (f" RETURNING {ops.quote_name(returning)}" if returning else "")
    head = f"INSERT INTO {ops.quote_name(table)} ({quoted})"
    types = _unnest_types(fields)
    returned: list[Any] = []
    with connection.cursor() as cursor:
        if types is not None:
            arrays = ", ".join(f"(%s)::{t}[]" for t in types)
            for start in range(0, len(rows), 5000):
                columns = [
                    _pg_array(list(c)) for c in zip(*rows[start : start + 5000], strict=True)
                ]
                # The rows come back in the arrays' order, as Django's UNNEST insert relies on.
                cursor.execute(f"{head} SELECT * FROM UNNEST({arrays}){suffix}", columns)
                if returning:
                    returned.extend(row[0] for row in cursor.fetchall())
            return returned
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        # Far below SQLite's 32,766 parameters.
        batch = max(1, min(1000, 30000 // len(fields)))
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params = [value for row in chunk for value in row]
            cursor.execute(f"{head} VALUES {', '.join([one] * len(chunk))}{suffix}", params)
            if returning:
                # SQLite returns the rows of a multi-row VALUES in its order; Django's own
                # bulk_create relies on the same.
                returned.extend(row[0] for row in cursor.fetchall())
    return returned


def upsert_rows(model, names: Sequence[str], rows: list[list[Any]], unique: Sequence[str]) -> None:
    """INSERT rows (Python values of the fields `names`, in order); a row whose `unique`
    fields match a stored row updates that row's other fields instead (ON CONFLICT DO UPDATE,
    the same statement on SQLite and PostgreSQL). No audit trail: for derived tables."""
    if not rows:
        return
    meta = model._meta
    ops = connection.ops
    fields = [meta.get_field(name) for name in names]
    convert = [_converter(f) for f in fields]
    keys = [meta.get_field(n).column for n in unique]
    target = ", ".join(ops.quote_name(c) for c in keys)
    updates = ", ".join(
        f"{ops.quote_name(f.column)} = excluded.{ops.quote_name(f.column)}"
        for f in fields
        if f.column not in keys
    )
    _insert(
        meta.db_table,
        fields,
        [[c(v) for c, v in zip(convert, row, strict=True)] for row in rows],
        None,
        f" ON CONFLICT ({target}) DO UPDATE SET {updates}",
    )


def _fast(model) -> bool:
    """The plain path writes exactly what the library would for this model."""
    history = get_history_manager_for_model(model).model
    tracked = {f.name for f in history.tracked_fields}
    extra = {f.name for f in history._meta.concrete_fields} - tracked
    return (
        connection.features.can_return_rows_from_bulk_insert
        and extra == HISTORY_COLUMNS
        and model._meta.pk.name in tracked
        and not model._meta.parents
    )


def _write(model, fields: list[models.Field], rows: list[list[Any]], user) -> list[Any]:
    """INSERT the rows (Python values of `fields`, in order) and their “+” history rows, as
    simple-history's bulk_history_create writes them; returns the new keys in row order."""
    meta = model._meta
    convert = [_converter(f) for f in fields]
    keys = _insert(
        meta.db_table,
        fields,
        [[c(v) for c, v in zip(convert, row, strict=True)] for row in rows],
        meta.pk.column,
    )
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return keys
    history = get_history_manager_for_model(model).model
    hmeta = history._meta
    position = {f.attname: i for i, f in enumerate(fields)}
    # Every tracked field: the new key for the primary key, the row's value for the others.
    copied = [
        f for f in hmeta.concrete_fields if f.name in {t.name for t in history.tracked_fields}
    ]
    sources = [None if f.attname == meta.pk.attname else position[f.attname] for f in copied]
    copy_convert = [_converter(f) for f in copied]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = getattr(user, "pk", None)
    columns = copied + [
        hmeta.get_field(name)
        for name in ("history_date", "history_change_reason", "history_type", "history_user")
    ]
    history_rows = [
        [c(key if i is None else row[i]) for i, c in zip(sources, copy_convert, strict=True)]
        + [now, None, "+", user_id]
        for key, row in zip(keys, rows, strict=True)
    ]
    _insert(hmeta.db_table, columns, history_rows, None)
    return keys


def insert_with_history(objs: list[models.Model], model, *, user=None) -> list[models.Model]:
    """Insert unsaved instances of `model` and their “+” history rows; sets their pks."""
    if not objs:
        return objs
    if not _fast(model):
        return bulk_create_with_history(objs, model, batch_size=500, default_user=user)
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    auto = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    rows = []
    for obj in objs:
        for field in auto:
            field.pre_save(obj, add=True)  # sets the attribute, as save() would
        rows.append([getattr(obj, f.attname) for f in fields])
    for obj, key in zip(objs, _write(model, fields, rows, user), strict=True):
        setattr(obj, meta.pk.attname, key)
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_rows_with_history(model, rows: list[dict[str, Any]], *, user=None) -> list[Any]:
    """Insert rows given as {field name or attname: value} — fields left out take their
    defaults, as `model(**row)` would — and their history rows; returns the new keys.

    No model instance is built: at a million rows that alone costs more than the insert.
    """
    if not rows:
        return []
    if not _fast(model):
        objs = bulk_create_with_history(
            [model(**row) for row in rows], model, batch_size=500, default_user=user
        )
        return [obj.pk for obj in objs]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    # How each field gets its value: from the row (by attname or name) or a default.
    getters = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now if isinstance(field, models.DateTimeField) else timezone.localdate(now)
            getters.append(lambda row, v=value: v)
            continue
        if field.has_default() and callable(field.default):
            default = field.get_default  # a new value for each row (a dict, a list)
        else:
            constant = field.get_default()
            default = lambda v=constant: v  # noqa: E731
        attname, name = field.attname, field.name

        def get(row, attname=attname, name=name, default=default):
            if attname in row:
                return row[attname]
            if name in row:
                value = row[name]
                return value.pk if isinstance(value, models.Model) else value
            return default()

        getters.append(get)
    return _write(model, fields, [[get(row) for get in getters] for row in rows], user)
