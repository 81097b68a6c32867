"""An enrolled laptop registers officers of its own area only (issue 8 point 5, field side).

A kelurahan laptop that saved an "Anggota PPK" (a kecamatan post) or an officer at another
kelurahan's TPS sent a bundle the district refused whole, again and again. Entry
(`store.officers`), import (`store.officer_import`) and `tpsdesk demo` now refuse such a
placement on the laptop, with the reason; a store never set up behaves as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tpsdesk.exchange.demo import fill_demo
from tpsdesk.i18n import set_language
from tpsdesk.store import area_scope, areas
from tpsdesk.store.area_scope import SETUP_INSTALLED_META
from tpsdesk.store.db import Store
from tpsdesk.store.models import Tps
from tpsdesk.store.officer_import import ImportRow, NoArea, RowStatus, SourceColumn, plan_import
from tpsdesk.store.officers import (
    OutsideAreaError,
    add_officer,
    count_officers,
    list_officers,
    unit_outside_area,
    update_officer,
)
from tpsdesk.store.versioning import set_meta

from .conftest import FAST_KDF, KEC, KEL_A, KEL_B, PASSPHRASE, FieldsFactory
from .test_officer_import import COLUMNS, TODAY, row

PPK_REFUSED = (
    "Anggota PPK is a post of the kecamatan, and this laptop works for kelurahan "
    f"{KEL_A} only: the kecamatan's officers are registered by the kecamatan or the district"
)
OTHER_KELURAHAN = (
    f"Kelurahan {KEL_B} lies outside this laptop's area ({KEL_A}): officers can be "
    f"registered here only for TPS and posts of {KEL_A}"
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def enrol(store: Store, area: str) -> None:
    """What `sync.setup.enroll` records of the setup file (the test below uses the real one)."""
    with store.transaction() as session:
        set_meta(session, SETUP_INSTALLED_META, {"file_id": "f", "version": 1, "area": area})


def test_the_meta_key_is_the_one_sync_setup_writes() -> None:
    from tpsdesk.sync.setup import META_SETUP_INSTALLED

    assert SETUP_INSTALLED_META == META_SETUP_INSTALLED


def test_within() -> None:
    assert area_scope.within(KEL_A, KEC) and area_scope.within(KEL_A, KEL_A)
    assert not area_scope.within(KEC, KEL_A)
    assert not area_scope.within("35.73.05.10010", KEL_A)  # a prefix is not a parent
    assert not area_scope.within(KEL_B, KEL_A)


# -- entry ------------------------------------------------------------------------------------


def test_entry_on_a_kelurahan_laptop(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    enrol(store, KEL_A)
    add_officer(store, make_fields(), tps_id=area["a1"].id)  # its own TPS: fine
    add_officer(store, make_fields(post_code="pps_anggota"), kelurahan_code=KEL_A)

    with pytest.raises(OutsideAreaError) as caught:
        add_officer(store, make_fields(post_code="ppk_anggota"), kecamatan_code=KEC)
    assert caught.value.message == PPK_REFUSED and caught.value.field == "post_code"

    with pytest.raises(OutsideAreaError) as caught:
        add_officer(store, make_fields(), tps_id=area["b1"].id)  # another kelurahan's TPS
    assert caught.value.message == OTHER_KELURAHAN and caught.value.field == "kelurahan"

    with pytest.raises(OutsideAreaError):
        add_officer(store, make_fields(post_code="pps_anggota"), kelurahan_code=KEL_B)
    assert count_officers(store) == 2


def test_an_update_cannot_move_an_officer_out_of_the_area(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    enrol(store, KEL_A)
    fields = make_fields()
    officer = add_officer(store, fields, tps_id=area["a1"].id)
    with pytest.raises(OutsideAreaError):
        update_officer(store, officer.id, fields, tps_id=area["b1"].id)
    with pytest.raises(OutsideAreaError):
        update_officer(store, officer.id, make_fields(post_code="ppk_ketua"), kecamatan_code=KEC)
    assert [hit.tps_id for hit in list_officers(store)] == [area["a1"].id]


def test_a_kecamatan_laptop_takes_its_kecamatan_posts(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    enrol(store, KEC)
    add_officer(store, make_fields(post_code="ppk_anggota"), kecamatan_code=KEC)
    add_officer(store, make_fields(), tps_id=area["b1"].id)
    assert count_officers(store) == 2


def test_a_store_never_set_up_keeps_todays_behaviour(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    add_officer(store, make_fields(post_code="ppk_anggota"), kecamatan_code=KEC)
    add_officer(store, make_fields(), tps_id=area["b1"].id)
    assert unit_outside_area(store, kecamatan_code=KEC) is None
    assert count_officers(store) == 2


def test_the_form_learns_which_units_offer_no_post(store: Store, area: dict[str, Tps]) -> None:
    enrol(store, KEL_A)
    assert unit_outside_area(store, kecamatan_code=KEC) == KEL_A
    assert unit_outside_area(store, kelurahan_code=KEL_B) == KEL_A
    assert unit_outside_area(store, kelurahan_code=KEL_A) is None


# -- import -----------------------------------------------------------------------------------


def _plan(store: Store, rows: list[ImportRow]) -> dict[int, Any]:
    columns = {**COLUMNS, "post_code": SourceColumn("I", "Jabatan")}
    planned = plan_import(store, rows, columns=columns, today=TODAY)
    return {p.row: p for p in planned.rows}


def test_import_on_a_kelurahan_laptop(store: Store, area: dict[str, Tps]) -> None:
    enrol(store, KEL_A)
    rows = [
        row(2, 1),  # TPS 1 of Tunggulwulung (KEL_A): fine
        row(3, 2, post_code="Anggota PPK", tps="", kelurahan=""),
        row(4, 3, kelurahan="Tlogomas"),  # TPS 1 of KEL_B
    ]
    planned = _plan(store, rows)
    assert planned[2].status is RowStatus.NEW

    assert planned[3].status is RowStatus.INVALID
    (ppk,) = planned[3].errors
    assert (ppk.code, ppk.field, ppk.column) == (
        "place.outside_area", "post_code", SourceColumn("I", "Jabatan"),
    )  # fmt: skip
    assert ppk.message == PPK_REFUSED
    assert ppk.describe().startswith("Row 3, column I (Jabatan): Anggota PPK is a post of")

    assert planned[4].status is RowStatus.INVALID
    (other,) = planned[4].errors
    assert other.field == "kelurahan" and other.column == SourceColumn("K", "Kelurahan")
    assert other.message == OTHER_KELURAHAN


def test_import_without_enrolment_places_rows_as_before(store: Store, area: dict[str, Tps]) -> None:
    rows = [row(2, 1), row(3, 2, kelurahan="Tlogomas")]
    assert {p.status for p in _plan(store, rows).values()} == {RowStatus.NEW}


def test_import_on_a_store_with_no_area_says_what_to_do_first(store: Store) -> None:
    with pytest.raises(NoArea) as caught:
        plan_import(store, [row(2, 1), row(3, 2)], columns=COLUMNS, today=TODAY)
    assert caught.value.message.startswith(
        "This store has no area yet, so no officer can be placed: import the area list"
    )
    assert "enrol the laptop with the district's setup file first" in caught.value.message


# -- demo ---------------------------------------------------------------------------------------


def test_demo_on_an_enrolled_kelurahan_laptop(store: Store, area: dict[str, Tps]) -> None:
    enrol(store, KEL_A)
    summary = fill_demo(store, 60, today=date(2025, 3, 1))
    assert not summary.area_created
    hits = list_officers(store)
    assert hits and all(hit.kelurahan_code == KEL_A for hit in hits)  # no PPK, nothing of B


def test_demo_on_an_enrolled_laptop_without_area_creates_nothing_outside(
    tmp_path: Path,
) -> None:
    """The sample area for a few officers is one kelurahan, 35.73.01.1001: only a laptop of
    that kelurahan (or its kecamatan) gets it; a laptop of elsewhere gets nothing."""
    for area, expected in (("35.73.01.1001", True), ("35.73.03.1001", False)):
        store, _r = Store.create(tmp_path / f"{area}.store", PASSPHRASE, kdf=FAST_KDF)
        try:
            enrol(store, area)
            summary = fill_demo(store, 30, today=date(2025, 3, 1))
            hits = list_officers(store)
            assert summary.area_created is expected and bool(hits) is expected
            assert all(hit.kelurahan_code == area for hit in hits)
            assert all(area_scope.within(k.code, area) for k in areas.list_kelurahan(store))
            assert summary.kecamatan == (1 if expected else 0)
        finally:
            store.close()


# -- with the real setup file -----------------------------------------------------------------


def test_enrolled_with_a_real_setup_file(tmp_path: Path, make_fields: FieldsFactory) -> None:
    from tpsdesk.sync.identity import ensure_device_identity, set_district_settings
    from tpsdesk.sync.setup import build_setup_file, enroll, read_setup_file

    district, _r = Store.create(tmp_path / "d.store", PASSPHRASE, role="district", kdf=FAST_KDF)
    field, _r = Store.create(tmp_path / "f.store", PASSPHRASE, kdf=FAST_KDF)
    try:
        set_district_settings(district, name="Kota Malang", code="35.73")
        areas.add_kecamatan(district, KEC, "Lowokwaru")
        areas.add_kelurahan(district, KEL_A, "Tunggulwulung", KEC)
        areas.add_tps(district, KEL_A, 1, "Jl. Mawar 1")
        data = build_setup_file(district, KEL_A)
        ensure_device_identity(field)
        enroll(field, data, confirm_fingerprint=read_setup_file(data).fingerprint)

        tps = areas.list_tps(field, KEL_A)[0]
        add_officer(field, make_fields(), tps_id=tps.id)
        with pytest.raises(OutsideAreaError):
            add_officer(field, make_fields(post_code="ppk_anggota"), kecamatan_code=KEC)
        assert count_officers(field) == 1
    finally:
        district.close()
        field.close()
