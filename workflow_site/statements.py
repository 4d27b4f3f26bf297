"""The hot paths' statements (a task completion, a task response), built once per model.

Completing a task runs the same few statements over and over, and the ORM compiles each afresh:
a few hundred microseconds of Python apiece, more than PostgreSQL needs to run it. The helpers
here build the SQL text once from the models' metadata and convert values with the fields' own
methods (``pre_save``, ``get_db_prep_save``, the read converters), so what they write and read is
exactly what the ORM would; they run through Django's cursor, in the caller's transaction.

Model ``save`` signals are not sent: nothing listens for them on the models these serve.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields import Field

Converter = Callable[[Any, Any, Any], Any]


def _database() -> BaseDatabaseWrapper:
    """This thread's connection itself: every ``django.db.connection.x`` is a lookup by thread
    and alias, and the values of one row would make dozens."""
    return connections[DEFAULT_DB_ALIAS]


def _quote(name: str | None) -> str:
    return _database().ops.quote_name(str(name))


def _field(model: type[models.Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


class Columns:
    """The concrete columns of ``model`` (less ``deferred``) in a SELECT, and the rows read back
    as instances (``read``), converted as the ORM converts them."""

    def __init__(self, model: type[models.Model], deferred: Sequence[str] = ()):
        self.model = model
        self.table = _quote(model._meta.db_table)
        self.fields: tuple[Field[Any, Any], ...] = tuple(
            field for field in model._meta.concrete_fields if field.name not in deferred
        )
        self.attnames = [field.attname for field in self.fields]
        self.pk_index = self.attnames.index(model._meta.pk.attname)
        self.sql = ", ".join(f"{self.table}.{_quote(field.column)}" for field in self.fields)
        self._converters: list[tuple[int, list[Converter], Any]] | None = None

    def __len__(self) -> int:
        return len(self.fields)

    def converters(self, db: BaseDatabaseWrapper) -> list[tuple[int, list[Converter], Any]]:
        if self._converters is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                chain = db.ops.get_db_converters(column) + field.get_db_converters(db)
                if chain:
                    found.append((index, chain, column))
            self._converters = found
        return self._converters

    def read(self, row: Sequence[Any], start: int = 0) -> Any:
        """The instance in ``row[start:start + len(self)]``; None when its key is NULL (the
        missing side of an outer join)."""
        db = _database()
        values = list(row[start : start + len(self.fields)])
        if values[self.pk_index] is None:
            return None
        for index, chain, column in self.converters(db):
            value = values[index]
            for convert in chain:
                value = convert(value, column, db)
            values[index] = value
        return self.model.from_db(db.alias, self.attnames, values)


class WithRelated:
    """Rows of ``model`` with the object that its foreign key ``field`` names, read by one join
    built once. ``select`` ends with the FROM clause (callers add WHERE and ORDER BY over
    ``rows.table``); ``read`` gives the row's instance with the related object cached on it."""

    def __init__(self, model: type[models.Model], field: str, deferred: Sequence[str] = ()):
        key = model._meta.get_field(field)
        related = key.related_model
        if not isinstance(key, models.ForeignKey) or not isinstance(related, type):
            raise TypeError(f"{model.__name__}.{field} is not a foreign key")
        self.key = key
        self.rows = Columns(model)
        self.related = Columns(related, deferred=deferred)
        target = _quote(related._meta.pk.column)
        self.select = (
            f"SELECT {self.rows.sql}, {self.related.sql} FROM {self.rows.table} "  # noqa: S608 - names from the models
            f"INNER JOIN {self.related.table} "
            f"ON {self.related.table}.{target} = {self.rows.table}.{_quote(self.key.column)}"
        )

    def read(self, row: Sequence[Any]) -> Any:
        obj = self.rows.read(row)
        self.key.set_cached_value(obj, self.related.read(row, len(self.rows)))
        return obj


def for_update(*locked: Columns) -> str:
    """The clause that locks the rows of ``locked``'s tables, in that order (nothing on SQLite,
    whose write transaction locks the database)."""
    features = _database().features
    if not features.has_select_for_update:
        return ""
    if features.has_select_for_update_of:
        return " FOR UPDATE OF " + ", ".join(columns.table for columns in locked)
    return " FOR UPDATE"


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with _database().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with _database().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.cache
def _insert_plan(model: type[models.Model], vendor: str) -> tuple[str, tuple[Field[Any, Any], ...]]:
    meta = model._meta
    fields = tuple(field for field in meta.local_concrete_fields if field is not meta.auto_field)
    columns = ", ".join(_quote(field.column) for field in fields)
    return f"INSERT INTO {_quote(meta.db_table)} ({columns}) VALUES ", fields  # noqa: S608 - names from the model


def insert(objects: Sequence[models.Model]) -> None:
    """INSERT the new ``objects`` (all of one model) in one statement; an auto key is read back
    into each."""
    if not objects:
        return
    db = _database()
    model = type(objects[0])
    head, fields = _insert_plan(model, db.vendor)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [
        field.get_db_prep_save(field.pre_save(obj, True), db) for obj in objects for field in fields
    ]
    sql = head + ", ".join([row] * len(objects))
    auto = model._meta.auto_field
    with db.cursor() as cursor:
        if auto is None:
            cursor.execute(sql, params)
        else:
            cursor.execute(f"{sql} RETURNING {_quote(auto.column)}", params)
            for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                setattr(obj, auto.attname, pk)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = db.alias


@functools.cache
def _update_plan(
    model: type[models.Model], fields: tuple[str, ...], where: tuple[str, ...], vendor: str
) -> tuple[str, tuple[Field[Any, Any], ...], tuple[Field[Any, Any], ...]]:
    meta = model._meta
    set_fields = tuple(_field(model, name) for name in fields)
    where_fields = (_field(model, meta.pk.name), *(_field(model, name) for name in where))
    assignments = ", ".join(f"{_quote(field.column)} = %s" for field in set_fields)
    condition = " AND ".join(f"{_quote(field.column)} = %s" for field in where_fields)
    return (
        f"UPDATE {_quote(meta.db_table)} SET {assignments} WHERE {condition}",  # noqa: S608 - names from the model
        set_fields,
        where_fields,
    )


def update(
    obj: models.Model, fields: Sequence[str], *, expected: dict[str, Any] | None = None
) -> int:
    """UPDATE ``fields`` of ``obj``'s row to the object's values; with ``expected``, only if the
    row still holds those values (an optimistic check). The number of rows changed."""
    db = _database()
    expected = expected or {}
    sql, set_fields, where_fields = _update_plan(
        type(obj), tuple(fields), tuple(expected), db.vendor
    )
    params = [field.get_db_prep_save(field.pre_save(obj, False), db) for field in set_fields]
    params.append(obj.pk)
    params.extend(field.get_db_prep_save(expected[field.name], db) for field in where_fields[1:])
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
