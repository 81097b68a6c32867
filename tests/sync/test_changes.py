"""Field side: what a bundle carries, marking it sent, acknowledgements, earlier device ids."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from tpsdesk.domain.officer import OfficerFields
from tpsdesk.domain.problems import Sex
from tpsdesk.store import areas, officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import ChangeLog, Officer
from tpsdesk.sync import changes
from tpsdesk.sync.changes import acknowledge, mark_sent, rows_to_send
from tpsdesk.sync.merge import merge_bundle

from .conftest import (
    M_KEC,
    M_KEL_A,
    MERGE_PASSPHRASE,
    approved_laptop,
    load_area,
    make_bundle,
    make_store,
    valid_nik,
)


def fields(name: str = "BUDI SANTOSO", serial: int = 0) -> OfficerFields:
    birth = date(1985, 3, 14)
    return OfficerFields(
        nik=valid_nik(birth, serial=serial),
        name=name,
        birth_place="MALANG",
        birth_date=birth,
        sex=Sex.MALE,
        address="Jl. Mawar 1",
        postcode="65141",
        phone="081234567890",
        email=None,
        mother_name=None,
        marital_status="Y",
        post_code="kpps_anggota",
        duty_start=date(2024, 11, 7),
        duty_end=date(2024, 12, 8),
    )


@pytest.fixture
def field(tmp_path: Path) -> Iterator[Store]:
    store = make_store(tmp_path / "field" / "tpsdesk.store", "field")
    yield store
    if not store.closed:
        store.close()


def field_area(store: Store) -> str:
    areas.add_kecamatan(store, M_KEC, "Lowokwaru")
    areas.add_kelurahan(store, M_KEL_A, "Tunggulwulung", M_KEC)
    return areas.add_tps(store, M_KEL_A, 1, "Jl. Mawar 1").id


def test_every_changed_row_once_at_current_values(field: Store) -> None:
    tps = field_area(field)
    first = officers.add_officer(field, fields(), tps_id=tps)
    officers.update_officer(field, first.id, fields(name="BUDI SANTOSA", serial=1))
    gone = officers.add_officer(field, fields(serial=2), tps_id=tps)
    officers.delete_officer(field, gone.id)
    rows, seq_from, seq_to = rows_to_send(field)
    assert seq_from == 1
    with field.read() as session:
        assert seq_to == max(e.seq for e in session.exec(select(ChangeLog)))
    by_id = {r["values"]["id"]: r for r in rows}
    assert len(by_id) == len(rows) == 5  # kecamatan, kelurahan, TPS, two officers: once each
    assert [r["table"] for r in rows][:3] == ["kecamatan", "kelurahan", "tps"]
    edited = by_id[first.id]
    assert edited["values"]["name"] == "BUDI SANTOSA"
    assert edited["values"]["version_counter"] == edited["values"]["base_counter"] + 1
    assert edited["seq"] == seq_to - 2
    assert by_id[gone.id]["values"]["deleted"] is True  # a tombstone travels
    values = edited["values"]
    assert values["birth_date"] == "1985-03-14" and values["duty_start"] == "2024-11-07"
    assert datetime.fromisoformat(values["updated_at"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert set(values) == set(Officer.model_fields)
    # Read as plain rows, each is exactly what row_to_wire makes of the ORM object.
    with field.read() as session:
        for officer_id in (first.id, gone.id):
            row = session.get(Officer, officer_id)
            assert row is not None
            expected = changes.row_to_wire(row, by_id[officer_id]["seq"])
            assert {k: v for k, v in by_id[officer_id].items() if k != "history"} == expected


def test_after_acknowledgement_only_later_changes(field: Store) -> None:
    tps = field_area(field)
    rows, _from, seq_to = rows_to_send(field)
    assert acknowledge(field, field.device_id, seq_to)
    assert not acknowledge(field, field.device_id, seq_to - 1)  # never backwards
    assert rows_to_send(field) == ([], seq_to + 1, seq_to)
    officer = officers.add_officer(field, fields(), tps_id=tps)
    rows, seq_from, new_to = rows_to_send(field)
    assert (seq_from, new_to) == (seq_to + 1, seq_to + 1)
    assert [r["values"]["id"] for r in rows] == [officer.id]
    # An explicit after_seq overrides the acknowledgement.
    assert len(rows_to_send(field, after_seq=0)[0]) == 4
    with pytest.raises(ValueError):
        acknowledge(field, "someone-else", 3)


def test_mark_sent_changes_status_without_a_new_version(field: Store) -> None:
    tps = field_area(field)
    ready = officers.add_officer(field, fields(), tps_id=tps)
    draft = officers.add_officer(field, fields(serial=5), tps_id=tps, status="draft")  # type: ignore[arg-type]
    _rows, _from, seq_to = rows_to_send(field)
    assert mark_sent(field, seq_to) == 1
    assert officers.get_officer(field, ready.id).status == "sent"  # type: ignore[union-attr]
    assert officers.get_officer(field, draft.id).status == "draft"  # type: ignore[union-attr]
    assert rows_to_send(field)[2] == seq_to  # no new change was logged
    assert field.get_setting("x") is None
    with field.read() as session:
        from tpsdesk.store.versioning import get_meta

        assert get_meta(session, changes.META_SENT_SEQ) == seq_to


def test_a_moved_store_sends_the_unacknowledged_changes_of_its_earlier_id(
    field: Store, tmp_path: Path
) -> None:
    tps = field_area(field)
    _rows, _from, seq_to = rows_to_send(field)
    acknowledge(field, field.device_id, seq_to)
    late = officers.add_officer(field, fields(), tps_id=tps)  # never acknowledged
    old_id = field.device_id
    path = field.path
    field.close()
    copy = tmp_path / "elsewhere" / "tpsdesk.store"
    copy.parent.mkdir()
    shutil.copy2(path, copy)
    moved = Store.open(copy, MERGE_PASSPHRASE)
    try:
        assert moved.device_id != old_id
        rows, seq_from, seq_to2 = rows_to_send(moved)
        assert (seq_from, seq_to2) == (1, 0)
        assert [(r["values"]["id"], r["seq"]) for r in rows] == [(late.id, 0)]
        assert rows[0]["values"]["version_device"] == old_id
        counter = rows[0]["values"]["version_counter"]
        assert rows[0]["history"] == [[old_id, counter]]  # the row's change log, per device id
        acknowledge(moved, old_id, 10**6)
        assert rows_to_send(moved)[0] == []
    finally:
        moved.close()


def test_field_rows_merge_at_the_district(field: Store, tmp_path: Path) -> None:
    tps = field_area(field)
    kept = officers.add_officer(field, fields(), tps_id=tps)
    officers.update_officer(field, kept.id, fields(name="BUDI SANTOSA", serial=9))
    district = make_store(tmp_path / "district" / "d.store", "district")
    try:
        load_area(district)
        laptop, key = approved_laptop(district)
        rows, seq_from, seq_to = rows_to_send(field)
        bundle = make_bundle(laptop, key, rows, seq_from=seq_from, seq_to=seq_to)
        report = merge_bundle(district, bundle)
        assert report.merged, report.summary()
        assert {r.table for r in report.accepted} == {"tps", "officer"}
        assert {r.table for r in report.ignored} == {"kecamatan", "kelurahan"}
        assert report.gaps == ()
        with district.read() as session:
            shown = session.get(Officer, kept.id)
            assert shown is not None and shown.name == "BUDI SANTOSA"
    finally:
        district.close()
