"""Many rows into one table at once, for the bulk paths (stamping rows, a district merging
bundles, a spreadsheet import): the ORM's per-object bookkeeping costs more than the SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlmodel import Session, SQLModel

from .models import DERIVED_COLUMNS

_Processors = tuple[tuple[int, Callable[[Any], Any]], ...]


def insert_rows(session: Session, table_name: str, rows: list[dict[str, Any]]) -> None:
    """One executemany of whole rows into a table, the values converted by the columns' own
    SQLAlchemy bind processors (as a Core insert would) but once per value, without Core's
    per-row parameter bookkeeping, which costs more than the insert itself. Columns the first
    row leaves out get the column's Python-side default, as with `insert()`."""
    if not rows:
        return
    rows = with_derived(table_name, rows)
    connection = session.connection()
    names, defaults, processors = _insert_plan(connection.dialect, table_name, frozenset(rows[0]))
    pairs = list(zip(names, defaults, strict=True))
    convert = _Converter(processors)
    values = [convert([row.get(name, default) for name, default in pairs]) for row in rows]
    listed = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join(_mark(connection.dialect) for _ in names)
    connection.exec_driver_sql(f'INSERT INTO "{table_name}" ({listed}) VALUES ({marks})', values)


def update_rows(session: Session, table_name: str, rows: list[dict[str, Any]]) -> None:
    """Set the given columns of rows found by their `id`, in the order given: one executemany
    UPDATE per run of consecutive rows naming the same columns (a batch whose rows all name
    the same columns is one statement; a row changed twice keeps its last values). Values are
    converted as by `insert_rows`. Raises LookupError when an id is not in the table (the
    caller's transaction then rolls back whatever it wrote: a change is never recorded for a
    row that is not there)."""
    runs: list[tuple[tuple[str, ...], list[dict[str, Any]]]] = []
    for row in with_derived(table_name, rows):
        names = tuple(name for name in row if name != "id")
        if not runs or runs[-1][0] != names:
            runs.append((names, []))
        runs[-1][1].append(row)
    if not runs:
        return
    connection = session.connection()
    for names, group in runs:
        convert = _Converter(_processors(connection.dialect, table_name, names))
        values = [convert([*(row[name] for name in names), row["id"]]) for row in group]
        mark = _mark(connection.dialect)
        assignments = ", ".join(f'"{name}" = {mark}' for name in names)
        result = connection.exec_driver_sql(
            f'UPDATE "{table_name}" SET {assignments} WHERE "id" = {mark}', values
        )
        if result.rowcount != len(values):
            raise LookupError(f"{len(values) - result.rowcount} row(s) not in {table_name}")


def with_derived(table_name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the derived columns (`models.DERIVED_COLUMNS`, e.g. an officer's name key)
    of those whose source column they give; the callers' dicts are left as they were."""
    derived = DERIVED_COLUMNS.get(table_name)
    if not derived:
        return rows
    out = []
    for row in rows:
        made = {
            name: make(row[source]) for name, (source, make) in derived.items() if source in row
        }
        out.append({**row, **made} if made else row)
    return out


def _mark(dialect: Dialect) -> str:
    """The driver's positional parameter mark: sqlite3's `?`, psycopg's `%s`."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def insert_records(
    connection: Connection,
    table: Table,
    names: tuple[str, ...],
    records: Iterable[list[Any]],
) -> None:
    """Records (lists of the values of `names`, in that order; changed in place) into a table
    in one bulk step, the values converted by the columns' bind processors: one `executemany`
    on SQLite, one COPY on PostgreSQL (psycopg 3). Values are always bound, never written
    into the SQL text."""
    convert = _Converter(_table_processors(connection.dialect, table, names))
    if connection.dialect.name == "postgresql":
        from psycopg import sql

        raw: Any = connection.connection.driver_connection
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for record in records:
                copy.write_row(convert(record))
        return
    values = [convert(record) for record in records]
    if not values:
        return
    listed = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join(_mark(connection.dialect) for _ in names)
    connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({listed}) VALUES ({marks})', values)


@lru_cache(maxsize=64)
def _table_processors(dialect: Dialect, table: Table, names: tuple[str, ...]) -> _Processors:
    found = []
    for index, name in enumerate(names):
        process = table.columns[name].type.bind_processor(dialect)
        if process is not None:
            found.append((index, process))
    return tuple(found)


class _Converter:
    """A record's values through their columns' bind processors. A value that is the very
    object the previous record had in that column (a batch's one timestamp) is converted once:
    every record exists before the first is converted, so that object is the same in both.
    """

    def __init__(self, processors: _Processors) -> None:
        self.processors = processors
        self.last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(processors)

    def __call__(self, record: list[Any]) -> tuple[Any, ...]:
        last = self.last
        for slot, (index, process) in enumerate(self.processors):
            value = record[index]
            before, converted = last[slot]
            if value is not before:
                converted = process(value)
                last[slot] = (value, converted)
            record[index] = converted
        return tuple(record)


_NOTHING = object()


@lru_cache(maxsize=256)
def _insert_plan(
    dialect: Dialect, table_name: str, given: frozenset[str]
) -> tuple[tuple[str, ...], tuple[Any, ...], _Processors]:
    """The columns an insert names, their defaults and their bind processors."""
    table = SQLModel.metadata.tables[table_name]
    names: list[str] = []
    defaults: list[Any] = []
    for column in table.columns:
        default = getattr(column.default, "arg", None)
        if column.name not in given and (default is None or callable(default)):
            continue  # left to SQLite (an autoincrement key); callable defaults are given
        names.append(column.name)
        defaults.append(default)
    return tuple(names), tuple(defaults), _processors(dialect, table_name, tuple(names))


@lru_cache(maxsize=256)
def _processors(dialect: Dialect, table_name: str, names: tuple[str, ...]) -> _Processors:
    """(position, bind processor) of the columns `names` that have one."""
    table = SQLModel.metadata.tables[table_name]
    found = []
    for index, name in enumerate(names):
        process = table.columns[name].type.bind_processor(dialect)
        if process is not None:
            found.append((index, process))
    return tuple(found)
