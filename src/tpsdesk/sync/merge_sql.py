"""The merge's set-based steps: SQL over the staging tables (`sync/staging.py`), portable
across SQLite and PostgreSQL (SQLAlchemy Core, every value bound).

In the order the merge runs them (docs/sync-design.md, "Merge rules"):

1. `stage_bundle`: the bundle's checked rows into the staging tables, one bulk step each.
2. `counters_reused`: a version of the sender with a counter the district holds for another
   row (the laptop's store went back in time) — one join.
3. `rows_needing_lineage`: the rows the district already knows (a version, or a shown row):
   only those go through Python's version lineage. Every other row is new to the district.
4. `tps_places`: where the TPS the bundle's officers point at lie (ownership, `authority`).
5. `insert_new_rows`, `insert_new_versions`: the new rows and their versions, INSERT … SELECT
   from the staging tables (rows the lineage handles, or refused, were taken out first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, and_, exists, insert, literal, select, union
from sqlmodel import Session, SQLModel

from tpsdesk.store.models import OfficerStatus
from tpsdesk.sync.district_models import RowVersion
from tpsdesk.sync.row_checks import ParsedRow
from tpsdesk.sync.staging import (
    ROW_STAGES,
    STAGE_INDEX,
    VERSION_STAGE,
    prepare_stages,
    stage,
)

_VERSIONS: Any = RowVersion.__table__  # type: ignore[attr-defined]
# The columns of a version the staging table carries (all but the version's own key).
VERSION_COLUMNS: tuple[str, ...] = tuple(c.name for c in VERSION_STAGE.columns)


def stage_bundle(
    session: Session,
    parsed: list[ParsedRow],
    *,
    file_id: str,
    sender_id: str,
    received_at: Any,
    applied: Iterable[str],
) -> None:
    """Every checked row of the bundle into the version stage, and the rows of the `applied`
    tables, as the district would show them if new, into their row stage."""
    connection = session.connection()
    prepare_stages(connection)
    stage(
        connection,
        VERSION_STAGE,
        VERSION_COLUMNS,
        (
            [p.index, p.table, p.row_id, p.device, p.counter,
             p.base[0] if p.base else None, p.base[1] if p.base else None, p.deleted,
             p.wire_json, p.history_json, file_id, sender_id, False, received_at]
            for p in parsed
        ),
    )  # fmt: skip
    for table in applied:
        rows = [p for p in parsed if p.table == table]
        if rows:
            names, values_of = _row_plan(table)
            stage(connection, ROW_STAGES[table], names, (values_of(p) for p in rows))


# District-owned officer columns: what a row new to the district shows (as `district_rows.show`
# makes it).
_NEW_OFFICER = {"status": OfficerStatus.SENT.value, "status_reason": "", "bpjs_number": None}


@lru_cache(maxsize=8)
def _row_plan(table: str) -> tuple[tuple[str, ...], Callable[[ParsedRow], list[Any]]]:
    """The columns of a table's row stage, and how a checked row gives their values."""
    names = tuple(c.name for c in ROW_STAGES[table].columns)
    model_names = names[1:]
    pick = itemgetter(*model_names)
    owned = _NEW_OFFICER if table == "officer" else {}
    fixed = [(1 + model_names.index(name), value) for name, value in owned.items()]

    def values_of(p: ParsedRow) -> list[Any]:
        record = [p.index, *pick(p.typed)]
        for position, value in fixed:
            record[position] = value
        return record

    return names, values_of


def counters_reused(session: Session, sender_id: str) -> bool:
    """Whether the district holds a version of the sender with the counter of one of the
    bundle's versions of the sender, for another row (served by ix_row_version_device)."""
    return session.connection().execute(counters_reused_query(sender_id)).first() is not None


def counters_reused_query(sender_id: str) -> Select[Any]:
    s, v = VERSION_STAGE.c, _VERSIONS.c
    return (
        select(literal(1))
        .select_from(VERSION_STAGE.join(_VERSIONS, and_(v.device == s.device,
                                                        v.counter == s.counter)))
        .where(s.device == sender_id, v.row_id != s.row_id)
        .limit(1)
    )  # fmt: skip


def rows_needing_lineage(session: Session) -> set[str]:
    """Ids of the bundle's rows the district knows already: it holds a version of them, or
    shows them (a row it made itself). Open conflicts need a version, so they are among them."""
    s = VERSION_STAGE.c
    known = select(s.row_id).where(exists().where(_VERSIONS.c.row_id == s.row_id))
    queries = [known]
    for table, target in ROW_STAGES.items():
        shown = SQLModel.metadata.tables[table]
        queries.append(select(target.c.id).where(exists().where(shown.c.id == target.c.id)))
    return {row_id for (row_id,) in session.connection().execute(union(*queries))}


def tps_places(session: Session) -> dict[str, str]:
    """{TPS id: kelurahan code} of the TPS the district holds that the bundle's officers
    point at."""
    tps = SQLModel.metadata.tables["tps"]
    officers = ROW_STAGES["officer"]
    query = select(tps.c.id, tps.c.kelurahan_code).where(
        tps.c.id.in_(select(officers.c.tps_id).where(officers.c.tps_id.is_not(None)))
    )
    return {tps_id: place for tps_id, place in session.connection().execute(query)}


def insert_new_rows(session: Session, table: str) -> int:
    """The rows left in the table's stage into the table itself, in id order (its indexes
    grow at one end). Returns how many."""
    target = SQLModel.metadata.tables[table]
    staged = ROW_STAGES[table]
    names = [c.name for c in target.columns]
    query = select(*(staged.c[n] for n in names)).order_by(staged.c.id)
    result = session.connection().execute(insert(target).from_select(names, query))
    return int(result.rowcount or 0)


def insert_new_versions(session: Session, tables: Iterable[str]) -> int:
    """The staged versions of the rows left in the row stages of `tables` into
    sync_row_version, in row id order."""
    s = VERSION_STAGE.c
    names = [n for n in VERSION_COLUMNS if n != STAGE_INDEX]
    left = union(*(select(ROW_STAGES[t].c[STAGE_INDEX]) for t in tables))
    query = select(*(s[n] for n in names)).where(s[STAGE_INDEX].in_(left)).order_by(s.row_id)
    result = session.connection().execute(insert(_VERSIONS).from_select(names, query))
    return int(result.rowcount or 0)
