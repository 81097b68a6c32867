"""Versions, change log and audit trail written by every mutation."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from tpsdesk.store import areas, officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import AuditEntry, ChangeLog, Officer, Tps
from tpsdesk.store.versioning import changes_since, last_seq

from .conftest import KEL_A, FieldsFactory


def change_log(store: Store) -> list[ChangeLog]:
    with store.read() as session:
        return list(session.exec(select(ChangeLog).order_by(col(ChangeLog.id))))


def audit_trail(store: Store) -> list[AuditEntry]:
    with store.read() as session:
        query = select(AuditEntry).where(AuditEntry.table_name != "").order_by(col(AuditEntry.id))
        return list(session.exec(query))


def test_every_mutation_logs_a_change_with_increasing_seq_and_an_audit_without_values(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    fields = make_fields(name="SITI AMINAH", phone="081299998888")
    log_before = len(change_log(store))
    officer = officers.add_officer(store, fields, tps_id=area["a1"].id)
    officers.update_officer(store, officer.id, make_fields(nik=fields.nik, name="SITI AMINAH S"))
    officers.delete_officer(store, officer.id)
    officers.undo_delete(store, officer.id)

    entries = change_log(store)
    assert len(entries) == log_before + 4
    seqs = [e.seq for e in entries]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(e.device_id == store.device_id for e in entries)
    mine = [e for e in entries if e.row_id == officer.id]
    assert [e.action for e in mine] == ["create", "update", "delete", "restore"]
    assert [e.version_counter for e in mine] == sorted(e.version_counter for e in mine)

    trail = [a for a in audit_trail(store) if a.row_id == officer.id]
    assert [a.action for a in trail] == ["create", "update", "delete", "restore"]
    assert all(a.actor == "Bu Sri" and a.device_id == store.device_id for a in trail)
    assert json.loads(trail[1].detail) == ["name", "phone"]
    every_detail = " ".join(a.detail for a in audit_trail(store))
    for value in (fields.nik, "SITI", "AMINAH", "081299998888", "Mawar"):
        assert value not in every_detail


def test_area_mutations_are_logged_too(store: Store, area: dict[str, Tps]) -> None:
    entries = change_log(store)
    tables = [e.table_name for e in entries]
    assert tables == ["kecamatan", "kelurahan", "kelurahan", "tps", "tps", "tps", "tps"]
    assert [e.seq for e in entries] == list(range(1, 8))
    areas.update_tps(store, area["a1"].id, voters=250)
    assert change_log(store)[-1].table_name == "tps"
    assert change_log(store)[-1].seq == 8


def test_versions_chain_to_their_base(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    officer = officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    assert officer.base_device is None and officer.base_counter is None
    first = (officer.version_device, officer.version_counter)
    assert first[0] == store.device_id

    updated = officers.update_officer(store, officer.id, make_fields(name="BUDI S"))
    assert (updated.base_device, updated.base_counter) == first
    assert updated.version_counter > first[1]
    assert updated.updated_by == "Bu Sri"
    assert updated.updated_at.tzinfo is not None


def test_actor_of_a_transaction_is_recorded(store: Store, area: dict[str, Tps]) -> None:
    with store.transaction(actor="Pak Joko"):
        tps = areas.update_tps(store, area["a1"].id, address="Jl. Baru 9")
    assert tps.updated_by == "Pak Joko"
    assert audit_trail(store)[-1].actor == "Pak Joko"


def test_no_change_writes_nothing(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory, store_path: object
) -> None:
    fields = make_fields()
    officer = officers.add_officer(store, fields, tps_id=area["a1"].id)
    log_before, trail_before = len(change_log(store)), len(audit_trail(store))
    same = officers.update_officer(store, officer.id, fields)
    assert same.version_counter == officer.version_counter
    areas.update_tps(store, area["a1"].id, address=area["a1"].address)
    officers.delete_officer(store, officer.id)
    officers.delete_officer(store, officer.id)  # already deleted: nothing more
    officers.undo_delete(store, officer.id)
    officers.undo_delete(store, officer.id)  # already live: nothing more
    assert len(change_log(store)) == log_before + 2
    assert len(audit_trail(store)) == trail_before + 2


def test_rolled_back_changes_give_their_numbers_back(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    before = last_seq_of(store)
    with pytest.raises(RuntimeError), store.transaction():
        officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
        raise RuntimeError("cancel")
    assert last_seq_of(store) == before
    officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    assert last_seq_of(store) == before + 1


def last_seq_of(store: Store) -> int:
    with store.read() as session:
        return last_seq(session, store.device_id)


def test_changes_since(store: Store, area: dict[str, Tps], make_fields: FieldsFactory) -> None:
    officer = officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    with store.read() as session:
        everything = changes_since(session, store.device_id)
        after_area = changes_since(session, store.device_id, 7)
        other = changes_since(session, "someone-else", 0)
    assert [e.seq for e in everything] == list(range(1, 9))
    assert [(e.row_id, e.action) for e in after_area] == [(officer.id, "create")]
    assert other == []


def test_counters_survive_reopen(
    store: Store, store_path: object, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    counter = last_seq_of(store)
    path = store.path
    store.close()
    with Store.open(path, "kata sandi yang cukup panjang") as reopened:
        officer = officers.add_officer(reopened, make_fields(), tps_id=area["a2"].id)
        assert officer.version_counter == counter + 1
        assert last_seq_of(reopened) == counter + 1


def test_tombstones_keep_the_row(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    officer = officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    officers.delete_officer(store, officer.id)
    with store.read() as session:
        row = session.get(Officer, officer.id)
        assert row is not None and row.deleted
    areas.delete_tps(store, area["a3"].id)
    assert [t.number for t in areas.list_tps(store, KEL_A)] == [1, 2]
    assert areas.get_tps(store, area["a3"].id) is not None
