"""The merge's staging tables: a bundle's rows go into temporary tables in one bulk step
(`executemany` on SQLite, COPY on PostgreSQL), and the merge's set-based steps are SQL over
them (`sync/merge_sql.py`).

The tables are TEMPORARY: per connection on SQLite (the store's one in-memory connection;
temp_store=MEMORY, so nothing is spilled to disk), per session on PostgreSQL (several merging
processes never see each other's rows). They are emptied before and after each bundle, inside
the bundle's transaction: a merge that fails leaves them as they were, and a bundle's personal
data does not stay in them.

On PostgreSQL they are emptied with TRUNCATE and ANALYZEd once filled. Autovacuum never visits
temporary tables: emptied with DELETE, each bundle's rows stayed behind as dead tuples, every
scan of a stage walked all the bundles merged before, and the planner, reading the table's size
as hundreds of thousands of rows, hashed the whole officer and version tables to join a
thousand staged rows — the merge slowed with every bundle (benchmarks/RESULTS-scale.md).

- `tpsdesk_stage_version`: every accepted-by-check row of the bundle as the version it is
  (the columns of `sync_row_version`, without its key), with `stage_idx` its position in the
  bundle.
- `tpsdesk_stage_tps`, `tpsdesk_stage_officer`: the rows of the tables a bundle may change,
  as the district would show them (the model's columns; an officer's district-owned review
  status as for a row new to the district), with `stage_idx`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Date, Dialect, Integer, MetaData, String, Table, delete
from sqlalchemy.schema import CreateTable
from sqlmodel import SQLModel

from tpsdesk.store.bulk import insert_records
from tpsdesk.sync.district_models import RowVersion

STAGE_INDEX = "stage_idx"
_metadata = MetaData()


def _stage_of(name: str, source: Table, skip: frozenset[str] = frozenset()) -> Table:
    columns = [Column(STAGE_INDEX, Integer, nullable=False)]
    # Types only: no key, no default, no constraint (the target table checks its own).
    columns += [Column(c.name, c.type) for c in source.columns if c.name not in skip]
    return Table(name, _metadata, *columns, prefixes=["TEMPORARY"])


VERSION_STAGE = _stage_of(
    "tpsdesk_stage_version", SQLModel.metadata.tables[RowVersion.__tablename__], frozenset({"id"})
)
ROW_STAGES: dict[str, Table] = {
    table: _stage_of(f"tpsdesk_stage_{table}", SQLModel.metadata.tables[table])
    for table in ("tps", "officer")
}
STAGES: tuple[Table, ...] = (VERSION_STAGE, *ROW_STAGES.values())


def prepare_stages(connection: Connection) -> None:
    """Make the staging tables exist on this connection, empty."""
    for create, empty in _statements(connection.dialect, STAGES):
        connection.exec_driver_sql(create)
        connection.exec_driver_sql(empty)


@lru_cache(maxsize=16)
def _statements(dialect: Dialect, tables: tuple[Table, ...]) -> tuple[tuple[str, str], ...]:
    """(CREATE … IF NOT EXISTS, empty it) of each table, compiled once (no values in them)."""
    return tuple(
        (
            str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)),
            _empty(dialect, table),
        )
        for table in tables
    )


def _empty(dialect: Dialect, table: Table) -> str:
    if dialect.name == "postgresql":
        return f"TRUNCATE {dialect.identifier_preparer.format_table(table)}"
    return str(delete(table).compile(dialect=dialect))


def empty_stage(connection: Connection, table: Table) -> None:
    connection.exec_driver_sql(_empty(connection.dialect, table))


def clear_stages(connection: Connection) -> None:
    for table in STAGES:
        empty_stage(connection, table)


def stage(
    connection: Connection, table: Table, names: Sequence[str], records: Iterable[list[Any]]
) -> None:
    """Rows into a staging table in one bulk step: each record holds the values of `names`
    (Python values, converted by the columns' own bind processors). On PostgreSQL the table is
    then analysed, so the merge's joins are planned for the rows it holds (a few ms)."""
    insert_records(connection, table, tuple(names), records)
    dialect = connection.dialect
    if dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {dialect.identifier_preparer.format_table(table)}")


def drop_staged(connection: Connection, indexes: Iterable[int]) -> None:
    """Take the bundle rows at these positions out of every staging table."""
    wanted = sorted(set(indexes))
    if not wanted:
        return
    for table in STAGES:
        column = table.c[STAGE_INDEX]
        for start in range(0, len(wanted), 500):
            connection.execute(delete(table).where(column.in_(wanted[start : start + 500])))


# The keys of the officers whose duplicate groups are recomputed (`findings.refresh_duplicates`):
# kind "nik" (value: a NIK) or "name" (value: a name key, with the birth date).
KEY_STAGE = Table(
    "tpsdesk_stage_keys",
    _metadata,
    Column("kind", String, nullable=False),
    Column("value", String, nullable=False),
    Column("born", Date),
    prefixes=["TEMPORARY"],
)


def prepare_key_stage(connection: Connection) -> None:
    for create, empty in _statements(connection.dialect, (KEY_STAGE,)):
        connection.exec_driver_sql(create)
        connection.exec_driver_sql(empty)
