"""Planning and applying an officer import against a real store."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tpsdesk.domain.officer import OfficerDraft
from tpsdesk.i18n import set_language
from tpsdesk.store import officer_import
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.models import Tps
from tpsdesk.store.officer_import import (
    ImportRow,
    ImportStale,
    RowStatus,
    SourceColumn,
    apply_import,
    plan_import,
)
from tpsdesk.store.officers import add_officer, count_officers, find_by_nik, get_officer

from .conftest import KEL_A, KEL_B, FieldsFactory

TODAY = date(2024, 10, 1)
COLUMNS = {
    "nik": SourceColumn("B", "NIK"),
    "name": SourceColumn("C", "Nama"),
    "phone": SourceColumn("H", "No HP"),
    "tps": SourceColumn("J", "TPS"),
    "kelurahan": SourceColumn("K", "Kelurahan"),
}


@pytest.fixture(autouse=True)
def english() -> Any:
    set_language("en")
    yield
    set_language("en")


def nik(serial: int, *, female: bool = False) -> str:
    return f"357305{57 if female else 17}0880{serial:04d}"


def row(number: int, serial: int, **changes: Any) -> ImportRow:
    draft = OfficerDraft(
        nik=nik(serial),
        name="BUDI SANTOSO",
        birth_place="MALANG",
        birth_date="17-08-1980",
        sex="L",
        address="Jl. Mawar 1",
        phone="081234567890",
        post_code="Anggota KPPS",
    )
    place = {"tps": "1", "kelurahan": "Tunggulwulung", "kecamatan": ""}
    for key, value in changes.items():
        if key in place:
            place[key] = value
        else:
            setattr(draft, key, value)
    return ImportRow(number, draft, **place)


def plan(store: Store, rows: list[ImportRow], **kwargs: Any) -> officer_import.ImportPlan:
    return plan_import(store, rows, columns=COLUMNS, today=TODAY, **kwargs)


def test_new_then_unchanged_then_updated(store: Store, area: dict[str, Tps]) -> None:
    rows = [row(2, 1), row(3, 2, tps="002"), row(4, 3, kelurahan=KEL_B)]
    first = plan(store, rows)
    assert [r.status for r in first.rows] == [RowStatus.NEW] * 3
    counts = apply_import(store, first)
    assert (counts.new, counts.updated, counts.invalid) == (3, 0, 0)
    hits = {h.nik: h for h in find_by_nik(store, nik(1)) + find_by_nik(store, nik(2))}
    assert hits[nik(1)].tps_id == area["a1"].id
    assert hits[nik(2)].tps_id == area["a2"].id
    assert find_by_nik(store, nik(3))[0].tps_id == area["b1"].id

    again = plan(store, rows)
    assert [r.status for r in again.rows] == [RowStatus.UNCHANGED] * 3
    saves = store.backups()
    assert apply_import(store, again).unchanged == 3
    assert store.backups() == saves  # nothing written at all

    changed = plan(store, [row(2, 1, phone="0812 9999 0000"), rows[1], rows[2]])
    assert [r.status for r in changed.rows] == [
        RowStatus.UPDATED,
        RowStatus.UNCHANGED,
        RowStatus.UNCHANGED,
    ]
    assert changed.rows[0].changed == ("phone",)
    apply_import(store, changed)
    officer = get_officer(store, hits[nik(1)].id)
    assert officer is not None and officer.phone == "081299990000"
    assert count_officers(store) == 3


def test_nik_already_in_store_updates_that_officer(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    existing = add_officer(store, make_fields(nik=nik(5), name="BUDI"), tps_id=area["a3"].id)
    result = plan(store, [row(2, 5)])
    [planned] = result.rows
    assert planned.status is RowStatus.UPDATED and planned.officer_id == existing.id
    assert "tps_id" in planned.changed and "name" in planned.changed
    apply_import(store, result)
    moved = get_officer(store, existing.id)
    assert moved is not None and moved.tps_id == area["a1"].id and moved.name == "BUDI SANTOSO"
    assert count_officers(store) == 1


def test_nik_twice_in_store_is_invalid(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    for tps in ("a1", "a2"):
        add_officer(store, make_fields(nik=nik(6)), tps_id=area[tps].id)
    [planned] = plan(store, [row(7, 6)]).rows
    assert planned.status is RowStatus.INVALID
    [problem] = planned.errors
    assert problem.describe() == (
        "Row 7, column B (NIK): This NIK (3573…0006) is already in the store 2 times: resolve "
        "the duplicate first"
    )


def test_same_nik_twice_in_file(store: Store, area: dict[str, Tps]) -> None:
    result = plan(store, [row(2, 1), row(3, 2), row(9, 1, tps="002")])  # another TPS
    statuses = [r.status for r in result.rows]
    assert statuses == [RowStatus.INVALID, RowStatus.NEW, RowStatus.INVALID]
    assert [p.message for p in result.rows[0].errors] == [
        "The same NIK is also on row 9 of this file"
    ]
    assert [p.message for p in result.rows[2].errors] == [
        "The same NIK is also on row 2 of this file"
    ]


def test_invalid_rows_name_row_column_and_reason(store: Store, area: dict[str, Tps]) -> None:
    rows = [
        row(2, 1, phone="12ab"),
        row(3, 2, tps="9"),
        row(4, 3, kelurahan="Atlantis"),
        row(5, 4, name=""),
        row(6, 5, post_code="Ketua PPK", kelurahan=""),  # a kecamatan post: fine
    ]
    result = plan(store, rows)
    described = {r.row: [p.describe() for p in r.errors] for r in result.invalid_rows}
    assert described == {
        2: [
            "Row 2, column H (No HP): Phone number contains letters; use digits only, e.g. "
            "0812-3456-7890"
        ],
        3: ["Row 3, column J (TPS): Kelurahan Tunggulwulung has no TPS 009 in the store"],
        4: ["Row 4, column K (Kelurahan): There is no kelurahan “Atlantis” in the store"],
        5: ["Row 5, column C (Nama): Name is required"],
    }
    assert result.rows[4].status is RowStatus.NEW
    assert result.rows[4].placement is not None
    assert result.rows[4].placement.kecamatan_code == "35.73.05"
    apply_import(store, result)
    assert count_officers(store) == 1  # the invalid rows are skipped


def test_kelurahan_by_code_default_or_missing(store: Store, area: dict[str, Tps]) -> None:
    by_code = plan(store, [row(2, 1, kelurahan=KEL_B.replace(".", ""))])
    assert by_code.rows[0].placement is not None
    assert by_code.rows[0].placement.tps_id == area["b1"].id

    missing = plan(store, [row(2, 1, kelurahan="")])
    assert [p.code for p in missing.rows[0].errors] == ["kelurahan.missing"]

    default = plan(store, [row(2, 1, kelurahan="")], default_kelurahan=KEL_B)
    assert default.rows[0].placement is not None
    assert default.rows[0].placement.tps_id == area["b1"].id

    with pytest.raises(StoreError, match=r"no kelurahan with code 35\.73\.05\.1999"):
        plan(store, [], default_kelurahan="35.73.05.1999")


@pytest.mark.parametrize(
    "written", ["Tunggulwulung", "TUNGGULWULUNG", "Kel. Tunggulwulung", "Desa Tunggulwulung"]
)
def test_kelurahan_names_as_lists_write_them(
    store: Store, area: dict[str, Tps], written: str
) -> None:
    planned = plan(store, [row(2, 1, kelurahan=written, tps="TPS 001", post_code="KPPS 3")])
    assert planned.rows[0].errors == []
    assert planned.rows[0].placement is not None
    assert planned.rows[0].placement.kelurahan_code == KEL_A


def test_single_kelurahan_store_needs_no_column(store: Store) -> None:
    from tpsdesk.store import areas

    areas.add_kecamatan(store, "35.73.05", "Lowokwaru")
    areas.add_kelurahan(store, KEL_A, "Tunggulwulung", "35.73.05")
    tps = areas.add_tps(store, KEL_A, 1)
    result = plan(store, [row(2, 1, kelurahan="")])
    assert result.rows[0].placement is not None and result.rows[0].placement.tps_id == tps.id


def test_failure_part_way_leaves_the_store_as_it_was(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = add_officer(store, make_fields(nik=nik(1)), tps_id=area["a3"].id)
    result = plan(store, [row(n, n) for n in range(1, 8)])
    assert (result.counts.new, result.counts.updated) == (6, 1)
    before = store.path.read_bytes()
    real = officer_import.new_id
    calls = 0

    def failing() -> str:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("disk on fire")
        return real()

    monkeypatch.setattr(officer_import, "new_id", failing)
    with pytest.raises(RuntimeError):
        apply_import(store, result)
    assert calls == 4
    assert count_officers(store) == 1
    unchanged = get_officer(store, existing.id)
    assert unchanged is not None and unchanged.tps_id == area["a3"].id  # the update is undone
    assert store.path.read_bytes() == before
    # And the store still works.
    monkeypatch.setattr(officer_import, "new_id", real)
    assert apply_import(store, plan(store, [row(2, 2)])).new == 1


def test_bulk_creation_stamps_like_add_officer(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    from sqlmodel import select

    from tpsdesk.store.models import AuditEntry, Officer
    from tpsdesk.store.versioning import changes_since

    first = add_officer(store, make_fields(nik=nik(9)), tps_id=area["a2"].id)
    apply_import(store, plan(store, [row(2, 1), row(3, 2)]))
    after = add_officer(store, make_fields(nik=nik(8)), tps_id=area["a2"].id)
    with store.read() as session:
        officers = {o.nik: o for o in session.exec(select(Officer))}
        log = changes_since(session, store.device_id)
        audits = [a for a in session.exec(select(AuditEntry)) if a.table_name == "officer"]
    imported = [officers[nik(1)], officers[nik(2)]]
    counters = [o.version_counter for o in (first, *imported, after)]
    assert counters == sorted(counters) and len(set(counters)) == 4
    assert counters[1:] == [counters[0] + 1, counters[0] + 2, counters[0] + 3]
    for officer in imported:
        assert officer.version_device == store.device_id and officer.base_device is None
        assert officer.status == "ready" and not officer.deleted
    by_row = {entry.row_id: entry for entry in log}
    assert [by_row[o.id].version_counter for o in imported] == counters[1:3]
    assert [entry.seq for entry in log] == list(range(log[0].seq, log[0].seq + len(log)))
    assert {a.row_id for a in audits if a.action == "create"} >= {o.id for o in imported}


def test_bulk_update_stamps_like_update_officer(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    from sqlmodel import select

    from tpsdesk.store.models import AuditEntry
    from tpsdesk.store.versioning import changes_since

    apply_import(store, plan(store, [row(2, 1), row(3, 2)]))
    [before] = find_by_nik(store, nik(1))
    old = get_officer(store, before.id)
    assert old is not None
    # One row changes its phone; the other is the same as stored.
    changed = plan(store, [row(2, 1, phone="081299998888"), row(3, 2)])
    assert (changed.counts.updated, changed.counts.unchanged) == (1, 1)
    apply_import(store, changed)
    now = get_officer(store, before.id)
    assert now is not None and now.phone == "081299998888"
    assert (now.base_device, now.base_counter) == (old.version_device, old.version_counter)
    assert (now.version_device, now.version_counter) == (store.device_id, old.version_counter + 2)
    with store.read() as session:
        last = changes_since(session, store.device_id)[-1]
        audits = [a for a in session.exec(select(AuditEntry)) if a.row_id == before.id]
    assert (last.row_id, last.action, last.version_counter) == (
        before.id, "update", now.version_counter
    )  # fmt: skip
    assert audits[-1].action == "update" and audits[-1].detail == '["phone"]'
    # The next stamp continues from the counters the bulk update left.
    later = add_officer(store, make_fields(nik=nik(7)), tps_id=area["a2"].id)
    assert later.version_counter == now.version_counter + 1


def test_stale_plan_is_refused(store: Store, area: dict[str, Tps]) -> None:
    result = plan(store, [row(2, 1)])
    apply_import(store, result)
    with pytest.raises(ImportStale, match="preview the file again"):
        apply_import(store, result)  # the same plan twice
    assert count_officers(store) == 1

    other = plan(store, [row(2, 2)])
    store.set_setting("something", 1)
    with pytest.raises(ImportStale):
        apply_import(store, other)
    assert count_officers(store) == 1


def test_progress_is_reported(store: Store, area: dict[str, Tps]) -> None:
    seen: list[tuple[int, int]] = []
    rows = [row(n, n) for n in range(2, 602)]
    result = plan(store, rows, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (600, 600) and (250, 600) in seen
    written: list[tuple[int, int]] = []
    apply_import(store, result, progress=lambda done, total: written.append((done, total)))
    assert written[-1] == (600, 600) and (500, 600) in written
    assert count_officers(store) == 600


def test_same_nik_twice_in_one_tps_of_the_file_names_the_other_post(
    store: Store, area: dict[str, Tps]
) -> None:
    """Issue 10 point 5: refused with the reason, as the officer form refuses it."""
    result = plan(store, [row(2, 1, post_code="Ketua KPPS"), row(3, 2), row(4, 1)])
    assert [r.status for r in result.rows] == [RowStatus.INVALID, RowStatus.NEW, RowStatus.INVALID]
    [first] = result.rows[0].errors
    assert first.code == "nik.duplicate_in_tps"
    assert first.describe() == (
        "Row 2, column B (NIK): The same NIK is also on row 4 of this file, as Anggota KPPS in "
        "the same TPS: one person cannot be saved twice in one TPS"
    )
    [last] = result.rows[2].errors
    assert "row 2 of this file, as Ketua KPPS in the same TPS" in last.message
    assert apply_import(store, result).new == 1
    assert find_by_nik(store, nik(1)) == []


def test_a_column_the_file_does_not_have_keeps_the_stored_value(
    store: Store, area: dict[str, Tps]
) -> None:
    apply_import(store, plan(store, [row(2, 1, email="budi@example.org")]))
    [hit] = find_by_nik(store, nik(1))
    without_phone = {key: column for key, column in COLUMNS.items() if key != "phone"}
    # The same officer from a list with no phone (and no e-mail) column: nothing to change.
    again = plan_import(store, [row(2, 1, phone="", email="")], columns=without_phone, today=TODAY)
    assert [r.status for r in again.rows] == [RowStatus.UNCHANGED]
    # A column the file has, left empty in a row, still empties that field.
    emptied = plan(store, [row(2, 1, phone="")])
    assert emptied.rows[0].changed == ("phone",)
    apply_import(store, plan_import(store, [row(2, 1, phone="", name="BUDI S")],
                                    columns=without_phone, today=TODAY))  # fmt: skip
    officer = get_officer(store, hit.id)
    assert officer is not None
    assert (officer.name, officer.phone, officer.email) == (
        "BUDI S",
        "081234567890",
        "budi@example.org",
    )
