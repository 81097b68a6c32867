"""The officer's stored name key (`officer.name_key`, store/models.py): every way a name is
written writes its key, on SQLite and PostgreSQL; the key is never on the wire and never taken
from a file."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from tpsdesk.domain.names import name_key
from tpsdesk.store.bulk import insert_rows, update_rows
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync.changes import row_to_wire
from tpsdesk.sync.merge import merge_bundle
from tpsdesk.sync.row_checks import check_bundle_rows

from .conftest import M_KEL_A, approved_laptop, make_bundle, officer_row, valid_nik

OFFICER = Officer.__table__  # type: ignore[attr-defined]


def stored(store: Store) -> dict[str, tuple[str, str]]:
    """{officer id: (name, stored key)} of every officer."""
    with store.read() as session:
        rows = session.connection().execute(
            OFFICER.select().with_only_columns(OFFICER.c.id, OFFICER.c.name, OFFICER.c.name_key)
        )
        return {row_id: (name, key) for row_id, name, key in rows}


def assert_every_key_is_its_names(store: Store) -> None:
    held = stored(store)
    assert held
    assert {i: key for i, (_n, key) in held.items()} == {
        i: name_key(n) for i, (n, _k) in held.items()
    }


def orm_officer(tps_id: str, name: str) -> Officer:
    return Officer(
        version_device="district-device",
        version_counter=1,
        updated_at=datetime(2024, 10, 1, tzinfo=UTC),
        updated_by="Bu Sri",
        nik=valid_nik(serial=int(uuid.uuid4().int % 9000) + 1),
        name=name,
        birth_date=date(1985, 3, 14),
        sex="P",
        post_code="kpps_member",
        tps_id=tps_id,
        kelurahan_code=M_KEL_A,
        kecamatan_code=M_KEL_A.rsplit(".", 1)[0],
    )


def test_a_merge_writes_the_key_of_new_rows_and_of_fast_forwards(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    first = officer_row(device=laptop, counter=1, tps_id=district_area["a1"], name="Désy Ràhma")
    merge_bundle(district_store, make_bundle(laptop, key, [first]))
    row_id = first["values"]["id"]
    assert stored(district_store)[row_id] == ("Désy Ràhma", "desy rahma")
    edit = officer_row(device=laptop, counter=2, tps_id=district_area["a1"], row_id=row_id,
                       base=(laptop, 1), nik=first["values"]["nik"], name="Hj. Désy Ràhma, S.Pd.",
                       seq=2)  # fmt: skip
    report = merge_bundle(district_store, make_bundle(laptop, key, [edit], seq_from=2))
    assert [r.row_id for r in report.accepted] == [row_id]
    assert stored(district_store)[row_id] == ("Hj. Désy Ràhma, S.Pd.", "hj desy rahma s pd")


def test_orm_and_bulk_writes_keep_the_key(
    district_store: Store, district_area: dict[str, str]
) -> None:
    tps = district_area["a1"]
    with district_store.transaction() as session:
        officer = orm_officer(tps, "Ni Luh Putu Ayu")
        session.add(officer)
    ids = [officer.id]
    with district_store.transaction() as session:
        found = session.get(Officer, officer.id)
        assert found is not None
        found.name = "NI LUH PUTU AYU."  # an ORM update of the name
        found.address = "Jl. Mawar 1"
    with district_store.transaction() as session:
        found = session.get(Officer, officer.id)
        assert found is not None
        found.address = "Jl. Mawar 2"  # an update that leaves the name: the key stays
    with district_store.transaction() as session:
        core = orm_officer(tps, "Straße")
        values = {c: getattr(core, c) for c in Officer.model_fields}
        session.connection().execute(insert(OFFICER), [values])  # a Core insert
        bulk = orm_officer(tps, "Muhammad Al-Fatih")
        insert_rows(session, "officer", [{c: getattr(bulk, c) for c in Officer.model_fields}])
        update_rows(session, "officer", [{"id": core.id, "name": "STRASSE"}])
        ids += [core.id, bulk.id]
    held = stored(district_store)
    assert [held[i] for i in ids] == [
        ("NI LUH PUTU AYU.", "ni luh putu ayu"),
        ("STRASSE", "strasse"),
        ("Muhammad Al-Fatih", "muhammad al fatih"),
    ]
    assert_every_key_is_its_names(district_store)


def test_the_key_is_never_on_the_wire_and_a_file_cannot_set_it(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"], name="Budi Santoso")
    assert "name_key" not in row["values"]  # row_to_wire of an Officer
    assert "name_key" not in row_to_wire(orm_officer(district_area["a1"], "X"), 1)["values"]
    # A hostile file claiming a key that hides the person from the duplicate check.
    forged = officer_row(device=laptop, counter=1, tps_id=district_area["a1"], name="Budi Santoso")
    forged["values"]["name_key"] = "someone else"
    checked = check_bundle_rows(M_KEL_A, [forged], area=M_KEL_A,
                                catalogue=district_store.catalogue, today=date.today())  # fmt: skip
    assert not checked.parsed and checked.rejected
    report = merge_bundle(district_store, make_bundle(laptop, key, [forged]))
    assert not report.accepted and report.rejected
    assert not stored(district_store)


@pytest.mark.parametrize("name", ["", " ", "...", "Ｆｕｌｌｗｉｄｔｈ"])
def test_odd_names_get_the_key_name_key_gives(
    district_store: Store, district_area: dict[str, str], name: str
) -> None:
    with district_store.transaction() as session:
        session.add(orm_officer(district_area["a1"], name))
    assert list(stored(district_store).values()) == [(name, name_key(name))]
