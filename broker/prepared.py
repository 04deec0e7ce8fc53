"""Hot, fixed-shape ORM reads and inserts compiled to SQL once instead of on every request.

Django turns a queryset into SQL each time it runs; for a ``select_related``
over four tables that costs several times more than the query itself, and
the API's warm path runs two such reads per request (the token, the
grants). A ``PreparedQuery`` is built from an ordinary queryset with
markers where the parameters go; it compiles once per thread (a database
connection belongs to one thread), then runs the same SQL with fresh
parameters, converts the columns with the backend's own converters and
builds model instances linked as ``select_related`` would. Nothing is
cached but SQL text: every call reads the database.

A ``chain`` names the models a row holds: ``("", Grant)`` for the
queryset's own model, then ``("role", Role)``, ``("role__account",
AwsAccount)``; each is attached to the one before it by the last part of
its path. A nullable relation whose columns are all NULL is attached as
``None``.

A ``PreparedInsert`` writes one row of named fields with an INSERT written
once per backend; each value is adapted by its own field as ``save()``
would. No signals are sent and ``auto_now_add`` is the caller's to fill: it
serves append-only tables (the audit trail, the ledger) whose rows the hot
paths write on every delivery.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet

Chain = Sequence[tuple[str, type[Model]]]


class _Marker(str):
    """A string parameter we can find again in the compiled query's parameters."""

    __slots__ = ()


def _marker(kind: type, number: int) -> Any:
    """A value no caller sends, of the type the field expects (``str`` or ``int``)."""
    return _Marker(f"\x00p{number}") if kind is str else -(2**62) - number


def _fields(chain: Chain) -> list[str]:
    return [
        f"{path}__{field.attname}" if path else field.attname
        for path, model in chain
        for field in model._meta.concrete_fields
    ]


class PreparedQuery:
    def __init__(self, build: Callable[..., QuerySet[Any]], chain: Chain) -> None:
        self._build = build
        self._chain = chain
        self._local = threading.local()

    def _compiled(self, shape: tuple[Any, ...]) -> tuple[list[Any], str, list[Any], str]:
        """The SQL, its converters and where each parameter comes from, for this argument shape."""
        cache = self._local.__dict__.setdefault("compiled", {})
        if shape not in cache:
            numbers = itertools.count()
            markers = [
                _marker(kind, next(numbers))
                if n is None
                else tuple(_marker(kind, next(numbers)) for _ in range(n))
                for kind, n in shape
            ]
            queryset = self._build(*markers).values_list(*_fields(self._chain))
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
            converters = list(compiler.get_converters(columns).items())
            cache[shape] = (converters, sql, [_slot(p, markers) for p in params], queryset.db)
        return cache[shape]

    def __call__(self, *args: Any) -> list[Model]:
        flat = [tuple(arg) if isinstance(arg, tuple | list | frozenset | set) else arg for arg in args]
        if any(arg == () for arg in flat):
            return []  # "IN ()" matches nothing
        shape = tuple(_shape(arg) for arg in flat)
        converters, sql, slots, db = self._compiled(shape)
        params = [flat[i] if j is None else flat[i][j] for i, j in slots]
        connection = connections[db]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [self._instances(db, _convert(list(row), converters, connection)) for row in rows]

    def _instances(self, db: str, row: list[Any]) -> Model:
        loaded: dict[str, Model | None] = {}
        start = 0
        for path, model in self._chain:
            width = len(model._meta.concrete_fields)
            values = row[start : start + width]
            start += width
            parent, _, name = path.rpartition("__")
            if not path:
                loaded[path] = _load(model, db, values)
            elif loaded[parent] is not None:
                loaded[path] = None if values[0] is None else _load(model, db, values)
                setattr(loaded[parent], name, loaded[path])
            else:
                loaded[path] = None
        return loaded[""]  # type: ignore[return-value]


def _shape(arg: Any) -> tuple[type, int | None]:
    values = arg if isinstance(arg, tuple) else (arg,)
    kinds = {int if isinstance(value, int) else str for value in values}
    if len(kinds) != 1 or not all(isinstance(value, int | str) for value in values):
        raise TypeError("prepared query parameters are strings or integers, or tuples of one of them")
    return kinds.pop(), len(arg) if isinstance(arg, tuple) else None


def _convert(row: list[Any], converters: list[Any], connection: Any) -> list[Any]:
    """The backend's and the fields' own conversions (dates, JSON, booleans), as the ORM applies them."""
    for position, (functions, column) in converters:
        for function in functions:
            row[position] = function(row[position], column, connection)
    return row


def _load(model: type[Model], db: str, values: list[Any]) -> Model:
    return model.from_db(db, [f.attname for f in model._meta.concrete_fields], values)


def _slot(param: Any, markers: list[Any]) -> tuple[int, int | None]:
    for i, marker in enumerate(markers):
        if param == marker:
            return i, None
        if isinstance(marker, tuple) and param in marker:
            return i, marker.index(param)
    raise ValueError(f"a prepared query may only take its parameters from markers, not {param!r}")


class PreparedInsert:
    def __init__(self, model: type[Model], columns: Sequence[str]) -> None:
        self._model = model
        self._fields = [model._meta.get_field(name) for name in columns]
        self._statements: dict[str, str] = {}

    def _statement(self, connection: BaseDatabaseWrapper) -> str:
        if connection.vendor not in self._statements:
            quote = connection.ops.quote_name
            names = ", ".join(quote(field.column) for field in self._fields)
            slots = ", ".join(["%s"] * len(self._fields))
            table = quote(self._model._meta.db_table)
            self._statements[connection.vendor] = f"INSERT INTO {table} ({names}) VALUES ({slots})"  # noqa: S608 - names from the model, values bound
        return self._statements[connection.vendor]

    def __call__(self, connection: BaseDatabaseWrapper, values: dict[str, Any]) -> None:
        row = [field.get_db_prep_save(values[field.name], connection) for field in self._fields]
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection), row)
