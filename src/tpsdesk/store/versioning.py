"""Sync metadata: device counters, row versions, the change log and the audit trail.

Every mutation of a synced row is stamped inside the store's transaction, by `stamp_rows()`:
many rows at once (an import, the sample data), or one ORM row through `stamp()`, which calls
it. The device counter and the change-log sequence live in `StoreMeta`, so a rolled-back
transaction also rolls back the numbers it took: no gaps, no reuse.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session, col, select

from .bulk import insert_rows, update_rows
from .models import Action, AuditEntry, ChangeLog, StoreMeta, SyncFields, new_id, utcnow

# StoreMeta keys.
META_DEVICE_ID = "device_id"
META_DEVICE_COUNTER = "device_counter"  # last version counter this device gave out
META_DEVICE_SEQ = "device_seq"  # last change-log sequence number of this device

STATE_KEY = "tpsdesk.store_state"
_CHANGE_LOG = str(ChangeLog.__tablename__)
_AUDIT = str(AuditEntry.__tablename__)


@dataclass(frozen=True)
class StoreState:
    """What a write needs to know about the store: who writes, as which device."""

    device_id: str
    actor: str


def state_of(session: Session) -> StoreState:
    """The StoreState of a write session opened by `Store.transaction()`."""
    state = session.info.get(STATE_KEY)
    if not isinstance(state, StoreState):
        raise RuntimeError("not a write session: use Store.transaction()")
    return state


_META_CACHE = "tpsdesk.meta_rows"


def _meta_row(session: Session, key: str) -> StoreMeta | None:
    # The session's identity map holds unchanged rows only weakly; keep the meta rows of this
    # session alive so the counters are not read again from SQL at every stamp.
    cache: dict[str, StoreMeta | None] = session.info.setdefault(_META_CACHE, {})
    if key not in cache:
        cache[key] = session.get(StoreMeta, key)
    return cache[key]


# The private-key rows: on a PostgreSQL district store they live in the keyring file, never on
# the server. A session of such a store carries the keyring in `info[KEYRING_KEY]` (set by
# `Store`); `get_meta`/`set_meta` of these keys go to it, and the changes wait in
# `info[KEYRING_CHANGES]` ({key: (value before, new value)}) until the store commits.
SECRET_KEYS = frozenset({"district_keys", "device_signing_key", "device_receipt_keys"})
KEYRING_KEY = "tpsdesk.keyring"
KEYRING_CHANGES = "tpsdesk.keyring_changes"


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def get_meta(session: Session, key: str, default: Any = None) -> Any:
    ring = session.info.get(KEYRING_KEY)
    if ring is not None and key in SECRET_KEYS:
        changes = session.info.get(KEYRING_CHANGES, {})
        if key in changes:
            return _copy(changes[key][1])
        value = ring.get(key)
        return default if value is None else _copy(value)
    row = _meta_row(session, key)
    return default if row is None else json.loads(row.value)


def set_meta(session: Session, key: str, value: Any) -> None:
    ring = session.info.get(KEYRING_KEY)
    if ring is not None and key in SECRET_KEYS:
        changes = session.info.setdefault(KEYRING_CHANGES, {})
        before = changes[key][0] if key in changes else ring.get(key)
        changes[key] = (before, _copy(value))
        return
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    row = _meta_row(session, key)
    if row is None:
        row = StoreMeta(key=key, value=text)
        session.info[_META_CACHE][key] = row
        session.add(row)
    elif row.value != text:
        row.value = text
        session.add(row)


_COUNTERS_LOCKED = "tpsdesk.counters_locked"


def lock_counters(session: Session) -> None:
    """On PostgreSQL, lock the device counter rows until this transaction ends (SELECT … FOR
    UPDATE), read afresh: several clerks' processes share one device id and its counters, and
    each must take numbers after the other's, never the same ones. SQLite has one writer."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is None or session.info.get(_COUNTERS_LOCKED) is transaction:
        return
    keys = (META_DEVICE_COUNTER, META_DEVICE_SEQ)
    query = (
        select(StoreMeta)
        .where(col(StoreMeta.key).in_(keys))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    cache: dict[str, StoreMeta | None] = session.info.setdefault(_META_CACHE, {})
    for row in session.exec(query):
        cache[row.key] = row
    session.info[_COUNTERS_LOCKED] = session.get_transaction()


def content_of(row: SyncFields) -> dict[str, Any]:
    """The row's content columns (everything except sync metadata)."""
    return {
        name: getattr(row, name)
        for name in type(row).model_fields
        if name not in SyncFields.SYNC_COLUMNS
    }


@dataclass
class RowChange:
    """One row for `stamp_rows`: its columns and what happens to it.

    `values`: for a creation, every content column (an `id` is drawn if it has none); for any
    other action, the row's `id` and the columns that change. Stamping adds the sync columns
    to it (version, base, `deleted` for a creation, deletion or restore, `updated_at`/`_by`).
    `base`: the row's version before the change (device, counter); a creation has none.
    `changed`: the column names the audit entry lists (never values; a creation lists none).
    """

    action: Action
    values: dict[str, Any]
    base: tuple[str | None, int | None] = (None, None)
    changed: Iterable[str] = ()


def stamp_rows(
    session: Session,
    model: type[SyncFields],
    changes: Sequence[RowChange],
    *,
    state: StoreState | None = None,
    write: bool = True,
) -> None:
    """Give each row of `model` in `changes` a new version from this device, and record them.

    In order, each row takes the device's next version counter and change-log sequence
    number: its new version is (device id, counter) based on `base`; a change-log entry and an
    audit entry (naming `changed`, none for a creation) are written for it. Everything is
    written set-wise: one INSERT of the created rows, one UPDATE per run of the others naming
    the same columns (when `write`; `stamp()` leaves the row to the ORM), one INSERT of the
    change-log entries, one of the audit entries, and the two counters. Inside the store's
    transaction, so an exception part-way leaves nothing written and gives the numbers back:
    no gaps, no reuse.
    """
    if not changes:
        return
    state = state or state_of(session)
    if state.device_id != get_meta(session, META_DEVICE_ID):
        raise RuntimeError("store state does not match the store's device")
    lock_counters(session)
    counter = int(get_meta(session, META_DEVICE_COUNTER, 0))
    seq = int(get_meta(session, META_DEVICE_SEQ, 0))
    table_name = str(model.__tablename__)
    now = utcnow()
    log: list[dict[str, Any]] = []
    trail: list[dict[str, Any]] = []
    for change in changes:
        counter += 1
        seq += 1
        values = change.values
        action = change.action
        if action is Action.CREATE:
            if "id" not in values:
                values["id"] = new_id()
            base_device, base_counter = None, None
        else:
            base_device, base_counter = change.base
        values.update(
            version_device=state.device_id,
            version_counter=counter,
            base_device=base_device,
            base_counter=base_counter,
            updated_at=now,
            updated_by=state.actor,
        )
        if action is not Action.UPDATE:
            values["deleted"] = action is Action.DELETE
        row_id = values["id"]
        log.append(
            {
                "device_id": state.device_id,
                "seq": seq,
                "table_name": table_name,
                "row_id": row_id,
                "version_counter": counter,
                "action": action.value,
                "at": now,
            }
        )
        # A creation sets every field: naming them all would only make the store bigger.
        fields = () if action is Action.CREATE else change.changed
        trail.append(_audit_row(state, action.value, now, table_name, row_id, _detail(fields)))
    if write:
        created = [c.values for c in changes if c.action is Action.CREATE]
        insert_rows(session, table_name, created)
        update_rows(
            session, table_name, [c.values for c in changes if c.action is not Action.CREATE]
        )
    insert_rows(session, _CHANGE_LOG, log)
    insert_rows(session, _AUDIT, trail)
    set_meta(session, META_DEVICE_COUNTER, counter)
    set_meta(session, META_DEVICE_SEQ, seq)


def stamp(
    session: Session,
    state: StoreState,
    row: SyncFields,
    action: Action,
    *,
    changed: Iterable[str] = (),
) -> None:
    """`stamp_rows` for one ORM row: its new version, change-log and audit entries.

    The row's sync columns are set on the object, which is added to the session (the ORM
    writes it); the change-log and audit entries are written at once.
    """
    change = RowChange(
        action, {"id": row.id}, (row.version_device, row.version_counter), tuple(changed)
    )
    stamp_rows(session, type(row), [change], state=state, write=False)
    for name, value in change.values.items():
        if name != "id":
            setattr(row, name, value)
    session.add(row)


def audit(
    session: Session,
    state: StoreState,
    action: str,
    *,
    table_name: str = "",
    row_id: str = "",
    fields: Iterable[str] = (),
    note: str = "",
) -> None:
    """Append an audit entry. `detail` is `note` if given, else the JSON list of `fields`.

    Both must be names or codes, never personal values. Written at once, like the entries of
    `stamp_rows`, so the trail keeps the order of the calls.
    """
    row = _audit_row(state, action, utcnow(), table_name, row_id, note or _detail(fields))
    insert_rows(session, _AUDIT, [row])


def _detail(fields: Iterable[str]) -> str:
    names = sorted(set(fields))
    return json.dumps(names) if names else ""


def _audit_row(
    state: StoreState, action: str, at: datetime, table_name: str, row_id: str, detail: str
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": state.actor,
        "device_id": state.device_id,
        "action": action,
        "table_name": table_name,
        "row_id": row_id,
        "detail": detail,
    }


def changed_fields(row: SyncFields | Row[Any], values: dict[str, Any]) -> list[str]:
    """Names of the columns whose value in `values` differs from `row`'s (an ORM row, or a
    row of a SQL result naming the columns)."""
    return [name for name, value in values.items() if getattr(row, name) != value]


def changes_since(session: Session, device_id: str, seq: int = 0) -> list[ChangeLog]:
    """Change-log entries of `device_id` after `seq`, in sequence order."""
    query = (
        select(ChangeLog)
        .where(ChangeLog.device_id == device_id, col(ChangeLog.seq) > seq)
        .order_by(col(ChangeLog.seq))
    )
    return list(session.exec(query))


def last_seq(session: Session, device_id: str) -> int:
    """The highest sequence number `device_id` has in the change log (0 if none)."""
    query = (
        select(ChangeLog.seq)
        .where(ChangeLog.device_id == device_id)
        .order_by(col(ChangeLog.seq).desc())
        .limit(1)
    )
    return session.exec(query).first() or 0
