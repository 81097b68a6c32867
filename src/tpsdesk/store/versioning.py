"""Sync metadata: device counters, row versions, the change log and the audit trail.

Every repository mutation calls `stamp()` inside the store's transaction. The device counter
and the change-log sequence live in `StoreMeta`, so a rolled-back transaction also rolls back
the numbers it took: no gaps, no reuse.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from .models import Action, AuditEntry, ChangeLog, StoreMeta, SyncFields, utcnow

# StoreMeta keys.
META_DEVICE_ID = "device_id"
META_DEVICE_COUNTER = "device_counter"  # last version counter this device gave out
META_DEVICE_SEQ = "device_seq"  # last change-log sequence number of this device

STATE_KEY = "tpsdesk.store_state"


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


def get_meta(session: Session, key: str, default: Any = None) -> Any:
    row = _meta_row(session, key)
    return default if row is None else json.loads(row.value)


def set_meta(session: Session, key: str, value: Any) -> None:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    row = _meta_row(session, key)
    if row is None:
        row = StoreMeta(key=key, value=text)
        session.info[_META_CACHE][key] = row
        session.add(row)
    elif row.value != text:
        row.value = text
        session.add(row)


def _next(session: Session, key: str) -> int:
    value = int(get_meta(session, key, 0)) + 1
    set_meta(session, key, value)
    return value


def content_of(row: SyncFields) -> dict[str, Any]:
    """The row's content columns (everything except sync metadata)."""
    return {
        name: getattr(row, name)
        for name in type(row).model_fields
        if name not in SyncFields.SYNC_COLUMNS
    }


def stamp(
    session: Session,
    state: StoreState,
    row: SyncFields,
    action: Action,
    *,
    changed: Iterable[str] = (),
) -> ChangeLog:
    """Give `row` a new version from this device and record the change.

    The new version is (device id, next device counter), based on the row's previous
    version; a change-log entry with the device's next sequence number and an audit entry
    naming the `changed` fields (never their values; none for a creation) are added to the
    session.
    """
    if state.device_id != get_meta(session, META_DEVICE_ID):
        raise RuntimeError("store state does not match the store's device")
    counter = _next(session, META_DEVICE_COUNTER)
    seq = _next(session, META_DEVICE_SEQ)
    now = utcnow()
    if action is Action.CREATE:
        row.base_device, row.base_counter = None, None
    else:
        row.base_device, row.base_counter = row.version_device, row.version_counter
    row.version_device, row.version_counter = state.device_id, counter
    if action is Action.DELETE:
        row.deleted = True
    elif action is Action.RESTORE:
        row.deleted = False
    row.updated_at = now
    row.updated_by = state.actor
    session.add(row)
    table_name = str(type(row).__tablename__)
    entry = ChangeLog(
        device_id=state.device_id,
        seq=seq,
        table_name=table_name,
        row_id=row.id,
        version_counter=counter,
        action=action.value,
        at=now,
    )
    session.add(entry)
    # A creation sets every field: naming them all would only make the store bigger.
    fields = () if action is Action.CREATE else changed
    audit(session, state, action.value, table_name=table_name, row_id=row.id, fields=fields)
    return entry


def audit(
    session: Session,
    state: StoreState,
    action: str,
    *,
    table_name: str = "",
    row_id: str = "",
    fields: Iterable[str] = (),
    note: str = "",
) -> AuditEntry:
    """Append an audit entry. `detail` is `note` if given, else the JSON list of `fields`.

    Both must be names or codes, never personal values.
    """
    names = sorted(set(fields))
    entry = AuditEntry(
        at=utcnow(),
        actor=state.actor,
        device_id=state.device_id,
        action=action,
        table_name=table_name,
        row_id=row_id,
        detail=note or (json.dumps(names) if names else ""),
    )
    session.add(entry)
    return entry


def changed_fields(row: SyncFields, values: dict[str, Any]) -> list[str]:
    """Names of the columns whose value in `values` differs from `row`'s."""
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
