"""Many rows into one table at once, for the bulk paths (a district merging bundles, a
spreadsheet import): the ORM's per-object bookkeeping costs more than the inserts."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, SQLModel


def insert_rows(session: Session, table_name: str, rows: list[dict[str, Any]]) -> None:
    """One executemany of whole rows into a table, the values converted by the columns' own
    SQLAlchemy bind processors (as a Core insert would) but once per value, without Core's
    per-row parameter bookkeeping, which costs more than the insert itself. Columns a row
    leaves out get the column's Python-side default, as with `insert()`."""
    if not rows:
        return
    connection = session.connection()
    table = SQLModel.metadata.tables[table_name]
    dialect = connection.dialect
    names: list[str] = []
    defaults: list[Any] = []
    processors: list[tuple[int, Any]] = []
    for column in table.columns:
        default = getattr(column.default, "arg", None)
        if column.name not in rows[0] and (default is None or callable(default)):
            continue  # left to SQLite (an autoincrement key); callable defaults are given
        process = column.type.bind_processor(dialect)
        if process is not None:
            processors.append((len(names), process))
        names.append(column.name)
        defaults.append(default)
    pairs = list(zip(names, defaults, strict=True))
    values = []
    for row in rows:
        record = [row.get(name, default) for name, default in pairs]
        for index, process in processors:
            record[index] = process(record[index])
        values.append(tuple(record))
    listed = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(f'INSERT INTO "{table_name}" ({listed}) VALUES ({marks})', values)
