"""Several SQL statements in one round trip: how a transition costs two queries, not twelve.

On PostgreSQL the statements are bound on the client (Django's psycopg ClientCursor does
the quoting) and sent as one simple-protocol query, which the server runs in order inside
the current transaction. On SQLite they run one by one, and a callable in the list runs in
its place (the hash chain is computed in Python there).

Values must be prepared for the database by the caller (`Field.get_db_prep_save`), as the
ORM would: `insert` and `update` below do it for model instances.
"""

from __future__ import annotations

import functools
import hashlib
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Sequence | Mapping = ()
    rows: bool = False  # the caller reads the rows it returns
    # On PostgreSQL, prepared once per session and then only executed: for statements
    # whose planning costs more than their running (the item's lock).
    prepare: bool = False

    @property
    def name(self) -> str:
        """The prepared statement's name: one per SQL text ("" when not prepared)."""
        return _name(self.sql) if self.prepare and _preparing() else ""


@functools.lru_cache(maxsize=1024)
def _name(sql: str) -> str:
    return "itaflow_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:16]


def _preparing() -> bool:
    """False behind a transaction-mode pooler: a PREPARE would stay on a server connection
    that the next transaction may not get (settings: DATABASE_TRANSACTION_POOLING)."""
    from django.conf import settings

    return not settings.DATABASE_TRANSACTION_POOLING


Step = Statement | Callable[[], object]


def run(steps: Sequence[Step]) -> list[list[tuple] | None]:
    """Run `steps` in order; for each, its rows if it asked for them, else None."""
    results: list[list[tuple] | None] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            bind = _client_cursor(cursor.cursor).mogrify
            _prepare([s for s in steps if s.name], cursor)
            cursor.execute(";\n".join(_executable(s, bind) for s in steps))
            for index, step in enumerate(steps):
                if index:
                    cursor.nextset()
                results.append(cursor.fetchall() if step.rows else None)
            return results
        for step in steps:
            if isinstance(step, Statement):
                cursor.execute(step.sql, step.params)
                results.append(cursor.fetchall() if step.rows else None)
            else:
                step()
                results.append(None)
    return results


def _client_cursor(cursor):
    """A cursor that binds on the client, whatever binding the settings chose."""
    if hasattr(cursor, "mogrify"):  # Django's default: a psycopg ClientCursor
        return cursor
    import psycopg

    return psycopg.ClientCursor(cursor.connection)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s")
_POSITIONAL: dict[str, tuple[str, list]] = {}
# names prepared on each PostgreSQL session (a PREPARE outlives a rolled-back transaction)
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _positional(sql: str) -> tuple[str, list]:
    """`sql` with $1, $2… for its placeholders, and the parameter each number stands for."""
    if sql not in _POSITIONAL:
        order: list = []

        def number(match) -> str:
            key = match.group(1) or len(order)  # a name, or the position in a list
            if key not in order:
                order.append(key)
            return f"${order.index(key) + 1}"

        _POSITIONAL[sql] = (_PLACEHOLDER.sub(number, sql), order)
    return _POSITIONAL[sql]


def _prepare(named: list[Statement], cursor) -> None:
    prepared = _PREPARED.setdefault(cursor.cursor.connection, set())
    missing = {s.name: s for s in named if s.name not in prepared}
    if missing:
        cursor.execute(
            ";\n".join(f"PREPARE {n} AS {_positional(s.sql)[0]}" for n, s in missing.items())
        )
        prepared.update(missing)


def _executable(step: Statement, bind) -> str:
    if not step.name:
        return bind(step.sql, step.params)
    _sql, order = _positional(step.sql)
    values = [step.params[key] for key in order]
    if not values:
        return f"EXECUTE {step.name}"
    return bind(f"EXECUTE {step.name}(" + ", ".join(["%s"] * len(values)) + ")", values)


def _database():
    """This thread's connection itself: `django.db.connection` is a proxy that looks it up
    on every attribute access, which adds up over every column of every row."""
    return connections[DEFAULT_DB_ALIAS]


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def next_id(model: type[models.Model]) -> str:
    """SQL for a fresh primary key of `model`, so the caller knows ids before it inserts.

    SQLite has no sequences; its transactions take the write lock when they begin
    (settings: transaction_mode IMMEDIATE), so the next number cannot be taken twice.
    """
    table, column = quote(model._meta.db_table), quote(model._meta.pk.column)
    if connection.vendor == "postgresql":
        return f"nextval(pg_get_serial_sequence('{table}', '{model._meta.pk.column}'))"
    return f"((SELECT COALESCE(MAX({column}), 0) FROM {table}) + ROW_NUMBER() OVER ())"


_INSERT: dict = {}


def insert(objects: Sequence[models.Model]) -> Statement:
    """One INSERT of every column (the primary key too) of instances of one model."""
    model = type(objects[0])
    fields = model._meta.concrete_fields
    key = (model, connection.vendor)
    if key not in _INSERT:
        columns = ", ".join(quote(f.column) for f in fields)
        _INSERT[key] = (
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ",
            len(fields),
        )
    head, width = _INSERT[key]
    row = "(" + ", ".join(["%s"] * width) + ")"
    db = _database()
    params = [f.get_db_prep_save(getattr(o, f.attname), db) for o in objects for f in fields]
    return Statement(head + ", ".join([row] * len(objects)), params, prepare=True)


def update(instance: models.Model, field_names: Sequence[str]) -> Statement:
    """UPDATE the named fields of one row, found by its primary key."""
    meta = instance._meta
    fields = [meta.get_field(name) for name in field_names]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    db = _database()
    params = [f.get_db_prep_save(getattr(instance, f.attname), db) for f in fields]
    params.append(instance.pk)
    return Statement(
        f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",
        params,
        prepare=True,
    )


_CONVERTERS: dict = {}


def from_row(model: type[models.Model], fields: Sequence[models.Field], values: Sequence):
    """A model instance from raw column values, converted as the ORM converts them."""
    key = (model, tuple(f.attname for f in fields), connection.vendor)
    if key not in _CONVERTERS:
        columns = [f.get_col(model._meta.db_table) for f in fields]
        _CONVERTERS[key] = [
            (column, connection.ops.get_db_converters(column) + f.get_db_converters(connection))
            for f, column in zip(fields, columns, strict=True)
        ]
    converted = []
    db = _database()
    for value, (column, converters) in zip(values, _CONVERTERS[key], strict=True):
        for converter in converters:
            value = converter(value, column, db)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)
