"""The one stamper: rows stamped one by one (`stamp`, the ORM path) and in bulk (`stamp_rows`)
give the same versions, change log and audit trail; a failure part-way writes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlmodel import Session, col, select

from tpsdesk.store import officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import Action, AuditEntry, ChangeLog, Officer, OfficerStatus, Tps
from tpsdesk.store.officers import Placement, _values
from tpsdesk.store.versioning import (
    META_DEVICE_COUNTER,
    META_DEVICE_SEQ,
    RowChange,
    audit,
    get_meta,
    last_seq,
    stamp,
    stamp_rows,
    state_of,
)

from .conftest import KEC, KEL_A, FieldsFactory

# Clock columns differ between two runs; everything else must be the same.
_CLOCKS = {"updated_at", "at"}


class _Undo(Exception):
    """Leaves a transaction, rolling it back, once what it wrote has been looked at."""


def _rows(session: Session, model: Any) -> list[dict[str, Any]]:
    # Fresh from the table: rows written by SQL leave the session's objects as they were.
    query = select(model).order_by(col(model.id)).execution_options(populate_existing=True)
    found = session.exec(query)
    return [
        {name: value for name, value in row.model_dump().items() if name not in _CLOCKS}
        for row in found
    ]


def _written(session: Session) -> dict[str, Any]:
    session.flush()
    return {
        "officers": _rows(session, Officer),
        "change_log": _rows(session, ChangeLog),
        "audit": _rows(session, AuditEntry),
        "counters": (
            get_meta(session, META_DEVICE_COUNTER),
            get_meta(session, META_DEVICE_SEQ),
        ),
    }


def _new_officers(make_fields: FieldsFactory, tps: Tps, count: int) -> list[dict[str, Any]]:
    placement = Placement(tps.id, KEL_A, KEC)
    made = []
    for n in range(count):
        values = _values(make_fields(name=f"PETUGAS {n}"), placement)
        values.update(id=str(uuid.UUID(int=n + 1)), status=OfficerStatus.READY.value)
        made.append(values)
    return made


def _one_by_one(store: Store, run: Any) -> dict[str, Any]:
    with pytest.raises(_Undo), store.transaction() as session:
        run(session)
        written = _written(session)
        raise _Undo
    return written


def test_creations_one_by_one_and_in_bulk_write_the_same(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    rows = _new_officers(make_fields, area["a1"], 5)

    def single(session: Session) -> None:
        for values in rows:
            stamp(session, state_of(session), Officer(**values), Action.CREATE, changed=["name"])

    def bulk(session: Session) -> None:
        stamp_rows(session, Officer, [RowChange(Action.CREATE, dict(values)) for values in rows])

    one, many = _one_by_one(store, single), _one_by_one(store, bulk)
    assert one == many
    assert len(many["officers"]) == 5 and len(many["change_log"]) == 7 + 5
    new = [entry for entry in many["change_log"] if entry["table_name"] == "officer"]
    assert [entry["seq"] for entry in new] == [8, 9, 10, 11, 12]
    assert [entry["version_counter"] for entry in new] == [8, 9, 10, 11, 12]
    assert all(officer["base_device"] is None for officer in many["officers"])
    created = [a for a in many["audit"] if a["table_name"] == "officer"]
    assert [a["detail"] for a in created] == [""] * 5  # a creation names no fields
    assert many["counters"] == (12, 12)


def test_updates_deletions_and_restores_one_by_one_and_in_bulk_write_the_same(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    made = [officers.add_officer(store, make_fields(), tps_id=area["a1"].id) for _ in range(4)]
    officers.delete_officer(store, made[3].id)
    ids = [officer.id for officer in made]
    # (officer, action, the columns set, the names the audit entry lists)
    plan: list[tuple[str, Action, dict[str, Any], list[str]]] = [
        (ids[0], Action.UPDATE, {"name": "SITI", "phone": "081299998888"}, ["phone", "name"]),
        (ids[1], Action.DELETE, {}, ["deleted"]),
        (ids[2], Action.UPDATE, {"address": "Jl. Baru 9"}, ["address"]),
        (ids[3], Action.RESTORE, {}, ["deleted"]),
        (ids[0], Action.UPDATE, {"postcode": "65144"}, ["postcode"]),  # the same row again
        (ids[0], Action.UPDATE, {"name": "SRI", "phone": "081311112222"}, ["name", "phone"]),
    ]  # fmt: skip

    def single(session: Session) -> None:
        for officer_id, action, values, names in plan:
            officer = session.get(Officer, officer_id)
            assert officer is not None
            for name, value in values.items():
                setattr(officer, name, value)
            stamp(session, state_of(session), officer, action, changed=names)
            session.flush()

    def bulk(session: Session) -> None:
        # Each change is based on the version the row has when it comes: the row's stored one,
        # or the one an earlier change of the batch gave it.
        versions = {}
        for officer_id in ids:
            officer = session.get(Officer, officer_id)
            assert officer is not None
            versions[officer_id] = (officer.version_device, officer.version_counter)
        changes = []
        for officer_id, action, values, names in plan:
            change = RowChange(action, {"id": officer_id, **values}, versions[officer_id], names)
            changes.append(change)
            counter = int(get_meta(session, META_DEVICE_COUNTER)) + len(changes)
            versions[officer_id] = (store.device_id, counter)
        stamp_rows(session, Officer, changes)

    one, many = _one_by_one(store, single), _one_by_one(store, bulk)
    assert one == many
    by_id = {officer["id"]: officer for officer in many["officers"]}
    first = by_id[ids[0]]
    # The last of three changes of the same row wins, although an earlier one set other columns.
    assert (first["name"], first["phone"], first["postcode"]) == ("SRI", "081311112222", "65144")
    assert by_id[ids[1]]["deleted"] and not by_id[ids[3]]["deleted"]
    last = many["change_log"][-6:]
    actions = ["update", "delete", "update", "restore", "update", "update"]
    assert [entry["action"] for entry in last] == actions
    assert first["version_counter"] == last[-1]["version_counter"]
    assert first["base_counter"] == last[-2]["version_counter"]  # chained within the batch
    details = [a["detail"] for a in many["audit"][-6:]]
    assert details == [
        '["name", "phone"]',
        '["deleted"]',
        '["address"]',
        '["deleted"]',
        '["postcode"]',
        '["name", "phone"]',
    ]


def test_a_failure_part_way_through_a_batch_writes_nothing(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    kept = officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    rows = _new_officers(make_fields, area["a2"], 4)
    rows[2]["nik"] = None  # the third row breaks the insert (NOT NULL)
    before = store.path.read_bytes()
    with store.read() as session:
        counted = _written(session)

    with pytest.raises(Exception, match="NOT NULL"), store.transaction() as session:
        stamp_rows(session, Officer, [RowChange(Action.CREATE, values) for values in rows])
    # An update of a row that is not there refuses the batch too (no log entry for nothing).
    updates = [
        RowChange(Action.UPDATE, {"id": kept.id, "name": "BARU"}, (store.device_id, 1)),
        RowChange(Action.UPDATE, {"id": "no-such-officer", "name": "BARU"}, (store.device_id, 1)),
    ]
    with pytest.raises(LookupError), store.transaction() as session:
        stamp_rows(session, Officer, updates)

    with store.read() as session:
        assert _written(session) == counted
    assert store.path.read_bytes() == before
    # The numbers were given back: the next change takes the next one, no gap.
    after = officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    assert after.version_counter == counted["counters"][0] + 1
    with store.read() as session:
        assert last_seq(session, store.device_id) == counted["counters"][1] + 1


def test_nothing_to_stamp_writes_nothing(store: Store, area: dict[str, Tps]) -> None:
    with store.read() as session:
        counted = _written(session)
    with store.transaction() as session:
        stamp_rows(session, Officer, [])
    with store.read() as session:
        assert _written(session) == counted


def test_bulk_and_single_stamps_share_the_counters(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    rows = _new_officers(make_fields, area["a1"], 3)
    with store.transaction() as session:
        stamp_rows(session, Officer, [RowChange(Action.CREATE, values) for values in rows[:2]])
        stamp(session, state_of(session), Officer(**rows[2]), Action.CREATE)
    later = officers.add_officer(store, make_fields(), tps_id=area["a2"].id)
    with store.read() as session:
        log = list(session.exec(select(ChangeLog).order_by(col(ChangeLog.seq))))
    assert [entry.seq for entry in log] == list(range(1, 12))
    assert [entry.version_counter for entry in log] == list(range(1, 12))
    assert log[-1].row_id == later.id


def test_audit_entries_keep_the_order_of_the_calls(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    rows = _new_officers(make_fields, area["a1"], 2)
    with store.transaction() as session:
        state = state_of(session)
        audit(session, state, "note", note="before")
        stamp(session, state, Officer(**rows[0]), Action.CREATE)
        audit(session, state, "note", note="between")
        stamp_rows(session, Officer, [RowChange(Action.CREATE, rows[1])])
        audit(session, state, "note", note="after")
    with store.read() as session:
        trail = list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
    assert [(a.action, a.detail or a.row_id) for a in trail[-5:]] == [
        ("note", "before"),
        ("create", rows[0]["id"]),
        ("note", "between"),
        ("create", rows[1]["id"]),
        ("note", "after"),
    ]
