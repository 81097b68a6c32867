"""Field side: the rows a bundle carries, and what happens to them once sent or acknowledged.

A bundle carries every synced row that this store changed after the district acknowledged its
changes, once, at its current values (a row edited five times since travels once, as it is
now). Deleted rows travel as tombstones. A store copied or restored from a backup has a new
device id (store layer); the changes its earlier ids made that the district never
acknowledged travel too, so nothing is lost in the move.

Rows on the wire (docs/sync-design.md): `{"table": name, "seq": n, "values": {...}}` with every
column of the model; dates as ISO text, datetimes as ISO text in UTC. `seq` is the highest
change-log sequence number of the row under the sending device id, or 0 for a row carried over
from an earlier device id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store
from tpsdesk.store.models import (
    SYNCED_TABLES,
    ChangeLog,
    Officer,
    OfficerStatus,
    SyncFields,
)
from tpsdesk.store.versioning import audit, get_meta, last_seq, set_meta, state_of

# StoreMeta keys: {device_id: last seq the district acknowledged} and the last seq exported.
META_ACKED_SEQ = "sync.acked_seq"
META_SENT_SEQ = "sync.sent_seq"
# {device_id: last seq exported under it}: a receipt acknowledging more than that for the id
# shows the store was put back to an older copy (sync.receipt).
META_SENT_SEQS = "sync.sent_seqs"

MODELS: dict[str, type[SyncFields]] = {str(model.__tablename__): model for model in SYNCED_TABLES}

_TABLE_LABELS = {
    "kecamatan": N_("kecamatan"),
    "kelurahan": N_("kelurahan"),
    "tps": N_("TPS"),
    "officer": N_("officer"),
}


def table_label(table: str) -> str:
    """A kind of synced row as people read it, in the user's language."""
    label = _TABLE_LABELS.get(table)
    return _(label) if label else table


# Rows are sent parents first, so that a reader applying them in order never meets a
# reference to a row further down (the district does not depend on it: foreign keys are
# deferred to commit).
TABLE_ORDER: tuple[str, ...] = ("kecamatan", "kelurahan", "tps", "officer")

_CHUNK = 500


def wire_value(value: Any) -> Any:
    """A column value as JSON: dates as ISO text, datetimes as ISO text in UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_to_wire(row: SyncFields, seq: int, history: dict[str, int] | None = None) -> dict[str, Any]:
    """One row on the wire, with every column of its model; `history` (optional) lists, per
    device id, the highest counter of the row's versions the current one was made knowing."""
    values = {name: wire_value(getattr(row, name)) for name in type(row).model_fields}
    wire: dict[str, Any] = {"table": str(type(row).__tablename__), "seq": seq, "values": values}
    if history:
        wire["history"] = [[device, history[device]] for device in sorted(history)]
    return wire


def _histories(session: Session, devices: list[str]) -> dict[str, dict[str, int]]:
    """row id → {device id: highest version counter} from this store's change log.

    One store edits a row one change after the other, so every version of a row in its change
    log is an ancestor of the row's current version: the district learns the row's history
    even when it never saw the versions in between (a store copied or restored, two edits
    between bundles).
    """
    query = (
        select(ChangeLog.row_id, ChangeLog.device_id, func.max(ChangeLog.version_counter))
        .where(col(ChangeLog.device_id).in_(devices))
        .group_by(col(ChangeLog.row_id), col(ChangeLog.device_id))
    )
    out: dict[str, dict[str, int]] = {}
    for row_id, device, counter in session.exec(query):
        out.setdefault(row_id, {})[device] = int(counter)
    # The district's versions a resolved correction was decided knowing (sync.corrections).
    from tpsdesk.sync.corrections import known_versions

    for row_id, known in known_versions(session).items():
        row = out.setdefault(row_id, {})
        for device, counter in known.items():
            row[device] = max(row.get(device, 0), counter)
    return out


def acked_seqs(session: Session) -> dict[str, int]:
    """The last sequence number the district acknowledged, per device id of this store."""
    value = get_meta(session, META_ACKED_SEQ, {})
    if not isinstance(value, dict):
        return {}
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int)}


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _pending_entries(
    session: Session, store: Store, after_seq: int, upto: int | None
) -> dict[tuple[str, str], int]:
    """(table, row id) → the highest seq under the current device (0 for earlier ids) of
    every row changed after what the district acknowledged."""
    acked = acked_seqs(session)
    pending: dict[tuple[str, str], int] = {}
    current = store.device_id
    for history in store.device_history():
        device = history.device_id
        after = after_seq if device == current else acked.get(device, 0)
        query = select(ChangeLog.table_name, ChangeLog.row_id, ChangeLog.seq).where(
            ChangeLog.device_id == device, col(ChangeLog.seq) > after
        )
        if device == current and upto is not None:
            query = query.where(col(ChangeLog.seq) <= upto)
        for table_name, row_id, seq in session.exec(query):
            key = (table_name, row_id)
            mine = seq if device == current else 0
            pending[key] = max(pending.get(key, 0), mine)
    return pending


def rows_to_send(
    store: Store, *, after_seq: int | None = None
) -> tuple[list[dict[str, Any]], int, int]:
    """Every synced row this store changed after `after_seq` (default: what the district
    acknowledged for the current device id), plus the unacknowledged changes of the store's
    earlier device ids; each row once, at its current values.

    Returns (rows, seq_from, seq_to): the bundle's sequence range under the current device id,
    `seq_from = after_seq + 1` and `seq_to` = the device's last sequence number (an empty range,
    `seq_from > seq_to`, when it changed nothing since).
    """
    with store.read() as session:
        if after_seq is None:
            after_seq = acked_seqs(session).get(store.device_id, 0)
        seq_to = max(after_seq, last_seq(session, store.device_id))
        pending = _pending_entries(session, store, after_seq, seq_to)
        histories = _histories(session, [h.device_id for h in store.device_history()])
        rows: list[dict[str, Any]] = []
        for table_name in TABLE_ORDER:
            ids = {row_id: seq for (table, row_id), seq in pending.items() if table == table_name}
            rows.extend(_wire_rows(session, table_name, ids, histories))
    return rows, after_seq + 1, seq_to


def _wire_rows(
    session: Session, table_name: str, ids: dict[str, int], histories: dict[str, dict[str, int]]
) -> Iterator[dict[str, Any]]:
    """The rows as `row_to_wire` makes them, read as plain rows: building ORM objects cost
    half the export time at 10k officers."""
    model = MODELS[table_name]
    table = model.__table__  # type: ignore[attr-defined]
    names = list(model.model_fields)
    columns = [table.c[name] for name in names]
    for chunk in _chunks(sorted(ids)):
        query = sa_select(*columns).where(table.c.id.in_(chunk)).order_by(table.c.id)
        for record in session.execute(query):
            values = {name: wire_value(value) for name, value in zip(names, record, strict=True)}
            wire: dict[str, Any] = {"table": table_name, "seq": ids[values["id"]], "values": values}
            history = histories.get(values["id"])
            if history:
                wire["history"] = [[device, history[device]] for device in sorted(history)]
            yield wire


def mark_sent(store: Store, seq_to: int) -> int:
    """After a bundle up to `seq_to` was written: its officers that were ready become sent,
    and so do those the district asked to fix that were changed since (the fix travels; the
    district's next receipt says what it thinks of it).

    The status is this laptop's own bookkeeping, so it changes without a new version (a new
    version would make the next bundle carry the row again, for ever). Returns how many
    officers changed.
    """
    with store.transaction() as session:
        after = acked_seqs(session).get(store.device_id, 0)
        pending = _pending_entries(session, store, after, seq_to)
        ids = [row_id for (table, row_id) in pending if table == "officer"]
        changed = 0
        for chunk in _chunks(ids):
            result = session.execute(
                update(Officer)
                .where(
                    col(Officer.id).in_(chunk),
                    col(Officer.deleted).is_(False),
                    col(Officer.status).in_(
                        [OfficerStatus.READY.value, OfficerStatus.NEEDS_FIX.value]
                    ),
                )
                .values(status=OfficerStatus.SENT.value, status_reason="")
                .execution_options(synchronize_session="evaluate")
            )
            changed += int(getattr(result, "rowcount", 0) or 0)
        previous = int(get_meta(session, META_SENT_SEQ, 0) or 0)
        set_meta(session, META_SENT_SEQ, max(previous, seq_to))
        sent = dict(get_meta(session, META_SENT_SEQS, {}) or {})
        sent[store.device_id] = max(int(sent.get(store.device_id, 0)), seq_to)
        set_meta(session, META_SENT_SEQS, sent)
        audit(session, state_of(session), "bundle_sent", note=json.dumps({"seq_to": seq_to}))
    return changed


def acknowledge(store: Store, device_id: str, seq: int) -> bool:
    """Record that the district has everything of `device_id` up to `seq` (from a receipt).

    Never goes backwards; an id this store never had is refused with ValueError (a receipt
    for another laptop must be caught before this). Returns whether anything changed.
    """
    known = {history.device_id for history in store.device_history()}
    if device_id not in known:
        raise ValueError("not a device id of this store")
    if seq < 0:
        raise ValueError("sequence numbers are not negative")
    with store.transaction() as session:
        acked = acked_seqs(session)
        if acked.get(device_id, 0) >= seq:
            return False
        acked[device_id] = seq
        set_meta(session, META_ACKED_SEQ, acked)
        audit(
            session,
            state_of(session),
            "bundle_acknowledged",
            note=json.dumps({"device_id": device_id, "seq": seq}),
        )
    return True
