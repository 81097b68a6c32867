"""The merge's set-based steps: SQL over the staging tables (`sync/staging.py`), portable
across SQLite and PostgreSQL (SQLAlchemy Core, or fixed SQL text where the engines' JSON
differs; every value bound, none written into the SQL).

In the order the merge runs them (docs/sync-design.md, "Merge rules"):

1. `stage_bundle`: the bundle's checked rows into the staging tables, one bulk step each.
2. `counters_reused`: a version of the sender with a counter the district holds for another
   row (the laptop's store went back in time) — one join.
3. `rows_needing_lineage`: the rows the district knows already (a version, or a shown row);
   every other row is new to the district. `fast_forwards`: those of them whose new version
   simply follows what the district shows; only the rest go through Python's lineage.
4. `tps_places`: where the TPS the bundle's officers point at lie (ownership, `authority`).
5. `update_shown_rows`, `insert_new_rows`, `insert_new_versions`: the fast-forwards applied
   (UPDATE … FROM the stage), the new rows inserted (INSERT … SELECT with an anti-join), and
   the versions of both (rows the lineage handles, or refused, were taken out first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, and_, exists, insert, literal, select, union, update
from sqlmodel import Session, SQLModel

from tpsdesk.store.models import DERIVED_COLUMNS, OfficerStatus
from tpsdesk.sync.district_models import RowVersion
from tpsdesk.sync.lineage import DISTRICT_OWNED
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
    derived = DERIVED_COLUMNS.get(table, {})  # never on the wire: made here, from the row
    columns = [c.name for c in ROW_STAGES[table].columns][1:]
    model_names = tuple(name for name in columns if name not in derived)
    names = (STAGE_INDEX, *model_names, *derived)
    pick = itemgetter(*model_names)
    makers = [(model_names.index(source), make) for source, make in derived.values()]
    owned = _NEW_OFFICER if table == "officer" else {}
    fixed = [(1 + model_names.index(name), value) for name, value in owned.items()]

    def values_of(p: ParsedRow) -> list[Any]:
        picked = pick(p.typed)
        record = [p.index, *picked, *(make(picked[at]) for at, make in makers)]
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


def _counter_in(history: str, device: str, dialect: str) -> str:
    """SQL for the counter a JSON history ({device: counter}) names for `device`, 0 if none
    (the device is a column: looked up as a key, never spliced into a JSON path)."""
    if dialect == "postgresql":
        return f"coalesce(({history}::jsonb ->> {device})::bigint, 0)"
    return f"coalesce((SELECT j.value FROM json_each({history}) AS j WHERE j.key = {device}), 0)"


def fast_forwards(session: Session) -> set[str]:
    """Ids of the bundle's TPS and officer rows whose new version P follows what the district
    shows with nothing else to weigh: P is new, its base is the shown row's version S (which
    `sync_row_version` holds), P knows every version V the district holds of the row, and
    none of them knows P. P is then the row's one head, so the lineage (`lineage.heads_of`)
    would make it the winner with no conflict; the merge applies it in SQL
    (`update_shown_rows`) without loading the row's versions.

    Each test is one step of `lineage.knows`, so a row passes only when the lineage would
    say the same. P knows V: P's own device with a lower counter, P's history, S's device
    with a counter up to S's, or S's history. V knows P (any of these keeps the row out):
    V's own device or its base's at P's counter or above, or V's history."""
    connection = session.connection()
    dialect = connection.dialect.name
    p_names_v = _counter_in("s.history", "v.device", dialect)
    s_names_v = _counter_in("r.history", "v.device", dialect)
    v_names_p = _counter_in("v.history", "s.device", dialect)
    out: set[str] = set()
    for table in ROW_STAGES:
        query = (
            f"SELECT s.row_id FROM tpsdesk_stage_version AS s JOIN {table} AS t ON t.id = s.row_id "
            "JOIN sync_row_version AS r ON r.row_id = s.row_id "
            "AND r.device = t.version_device AND r.counter = t.version_counter "
            f"WHERE s.table_name = '{table}' "
            "AND s.base_device = t.version_device AND s.base_counter = t.version_counter "
            "AND NOT EXISTS (SELECT 1 FROM sync_row_version AS v WHERE v.row_id = s.row_id AND ("
            "v.table_name <> s.table_name "
            "OR (v.device = s.device AND v.counter >= s.counter) "
            "OR (v.base_device = s.device AND v.base_counter >= s.counter) "
            f"OR {v_names_p} >= s.counter "
            "OR NOT ((v.device = s.device AND v.counter < s.counter) "
            "OR (v.device = r.device AND v.counter <= r.counter) "
            f"OR {p_names_v} >= v.counter OR {s_names_v} >= v.counter)))"
        )
        out.update(row_id for (row_id,) in connection.exec_driver_sql(query))
    return out


def update_shown_rows(session: Session, table: str) -> int:
    """Make the district's rows that are in the table's stage show the staged values (the
    fast-forwards: new rows are not in the table yet); district-owned columns stay."""
    target = SQLModel.metadata.tables[table]
    staged = ROW_STAGES[table]
    kept = DISTRICT_OWNED.get(table, frozenset()) | {"id"}
    values = {c.name: staged.c[c.name] for c in target.columns if c.name not in kept}
    statement = update(target).values(values).where(target.c.id == staged.c.id)
    return int(session.connection().execute(statement).rowcount or 0)


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
    """The rows left in the table's stage that the table does not have into the table, in id
    order (its indexes grow at one end). Returns how many."""
    target = SQLModel.metadata.tables[table]
    staged = ROW_STAGES[table]
    names = [c.name for c in target.columns]
    query = (
        select(*(staged.c[n] for n in names))
        .where(~exists().where(target.c.id == staged.c.id))
        .order_by(staged.c.id)
    )
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
