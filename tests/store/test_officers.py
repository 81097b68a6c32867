"""Officer repository: placement rules, tombstones, duplicate lookup, search and lists."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tpsdesk.domain.posts import DEFAULT_CATALOGUE, Unit
from tpsdesk.store import areas, officers
from tpsdesk.store.db import Conflict, NotFound, Store
from tpsdesk.store.models import OfficerStatus, Tps
from tpsdesk.store.officers import PlacementError

from .conftest import KEC, KEL_A, KEL_B, PASSPHRASE, FieldsFactory


def test_tps_post_takes_its_place_from_the_tps(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    officer = officers.add_officer(store, make_fields(), tps_id=area["b1"].id)
    assert (officer.tps_id, officer.kelurahan_code, officer.kecamatan_code) == (
        area["b1"].id,
        KEL_B,
        KEC,
    )
    assert officer.status == OfficerStatus.READY
    assert officer.sex == "L"


def test_unit_posts_take_their_codes(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    pps = officers.add_officer(store, make_fields(post_code="pps_ketua"), kelurahan_code=KEL_A)
    assert (pps.tps_id, pps.kelurahan_code, pps.kecamatan_code) == (None, KEL_A, KEC)
    ppk = officers.add_officer(store, make_fields(post_code="ppk_ketua"), kecamatan_code=KEC)
    assert (ppk.tps_id, ppk.kelurahan_code, ppk.kecamatan_code) == (None, None, KEC)
    assert [o.id for o in officers.officers_for_unit(store, Unit.KELURAHAN, KEL_A)] == [pps.id]
    assert [o.id for o in officers.officers_for_unit(store, Unit.KECAMATAN, KEC)] == [ppk.id]


@pytest.mark.parametrize(
    ("post", "where"),
    [
        ("kpps_ketua", {}),
        ("kpps_ketua", {"kelurahan_code": KEL_A}),
        ("pps_ketua", {"tps_id": "a1"}),
        ("pps_ketua", {"kecamatan_code": KEC}),
        ("ppk_ketua", {"kelurahan_code": KEL_A}),
        ("ppk_ketua", {"tps_id": "a1"}),
        ("ppk_ketua", {}),
        ("no_such_post", {"tps_id": "a1"}),
        ("kpps_ketua", {"tps_id": "a1", "kelurahan_code": KEL_B}),
    ],
)
def test_post_in_the_wrong_place_is_refused(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory, post: str, where: dict[str, Any]
) -> None:
    if "tps_id" in where:
        where = {**where, "tps_id": area[where["tps_id"]].id}
    fields = make_fields(post_code=post)
    with pytest.raises(PlacementError) as raised:
        officers.add_officer(store, fields, **where)
    assert raised.value.message
    assert fields.nik not in raised.value.message and fields.name not in raised.value.message
    assert officers.count_officers(store) == 0


def test_unknown_tps_or_area_is_not_found(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    with pytest.raises(NotFound):
        officers.add_officer(store, make_fields(), tps_id="no-such-tps")
    with pytest.raises(NotFound):
        officers.add_officer(
            store, make_fields(post_code="pps_ketua"), kelurahan_code="35.73.05.1999"
        )


def test_update_keeps_or_changes_the_place(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    fields = make_fields()
    officer = officers.add_officer(store, fields, tps_id=area["a1"].id)
    same_place = officers.update_officer(store, officer.id, make_fields(nik=fields.nik, name="X"))
    assert same_place.tps_id == area["a1"].id
    moved = officers.update_officer(store, officer.id, fields, tps_id=area["b1"].id)
    assert (moved.tps_id, moved.kelurahan_code) == (area["b1"].id, KEL_B)
    # A post of a wider unit: the officer stays in the kelurahan / kecamatan they were in.
    pps = officers.update_officer(store, officer.id, make_fields(post_code="pps_anggota"))
    assert (pps.tps_id, pps.kelurahan_code, pps.post_code) == (None, KEL_B, "pps_anggota")
    ppk = officers.update_officer(store, officer.id, make_fields(post_code="ppk_anggota"))
    assert (ppk.tps_id, ppk.kelurahan_code, ppk.kecamatan_code) == (None, None, KEC)
    # Back to a TPS post: which TPS is not known, so it must be given.
    with pytest.raises(PlacementError):
        officers.update_officer(store, officer.id, fields)
    back = officers.update_officer(store, officer.id, fields, tps_id=area["a3"].id)
    assert (back.tps_id, back.kelurahan_code) == (area["a3"].id, KEL_A)


def test_delete_and_undo(store: Store, area: dict[str, Tps], make_fields: FieldsFactory) -> None:
    officer = officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    officers.delete_officer(store, officer.id)
    assert officers.count_officers(store) == 0
    assert officers.officers_for_tps(store, area["a1"].id) == []
    assert officers.search_officers(store, "budi") == []
    assert officers.get_officer(store, officer.id).deleted  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        officers.update_officer(store, officer.id, make_fields())

    back = officers.undo_delete(store, officer.id)
    assert not back.deleted
    assert back.version_counter > officer.version_counter
    assert [o.id for o in officers.officers_for_tps(store, area["a1"].id)] == [officer.id]


def test_tps_with_officers_cannot_be_deleted(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    officer = officers.add_officer(store, make_fields(), tps_id=area["a3"].id)
    with pytest.raises(Conflict):
        areas.delete_tps(store, area["a3"].id)
    officers.delete_officer(store, officer.id)
    areas.delete_tps(store, area["a3"].id)
    with pytest.raises(NotFound):  # its TPS is gone: undo must not resurrect into nowhere
        officers.undo_delete(store, officer.id)


def test_find_by_nik_reports_the_other_place(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    first = officers.add_officer(
        store, make_fields(post_code="kpps_ketua", name="ANI"), tps_id=area["a2"].id
    )
    nik = first.nik
    second = officers.add_officer(
        store, make_fields(nik=nik, post_code="ptps", name="ANI"), tps_id=area["b1"].id
    )
    spaced = f"{nik[:6]} {nik[6:12]}.{nik[12:]}"
    (hit,) = officers.find_by_nik(store, spaced, exclude_id=second.id)
    assert hit.id == first.id
    post = DEFAULT_CATALOGUE.get("kpps_ketua")
    assert post is not None
    assert (hit.post_code, hit.post_name) == ("kpps_ketua", post.name)
    assert (hit.tps_number, hit.kelurahan_code, hit.kelurahan_name) == (2, KEL_A, "Tunggulwulung")
    assert hit.kecamatan_code == KEC and not hit.deleted
    assert len(officers.find_by_nik(store, nik)) == 2
    officers.delete_officer(store, first.id)
    assert officers.find_by_nik(store, nik, exclude_id=second.id) == []


def test_search_by_name_orders_exact_then_prefix_then_word_then_rest(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    for name in ("ABDUL RAHMAN", "RAHMAN", "SITI RAHMANIA", "RAHMAT HIDAYAT", "FIRRAHMAN", "DEWI"):
        officers.add_officer(store, make_fields(name=name), tps_id=area["a1"].id)
    names = [hit.name for hit in officers.search_officers(store, "  rahman ")]
    assert names == ["RAHMAN", "ABDUL RAHMAN", "SITI RAHMANIA", "FIRRAHMAN"]
    assert [h.name for h in officers.search_officers(store, "rahma", limit=2)] == [
        "RAHMAN",
        "RAHMAT HIDAYAT",
    ]
    assert [h.name for h in officers.search_officers(store, "RAHMA", limit=2, offset=2)] == [
        "ABDUL RAHMAN",
        "SITI RAHMANIA",
    ]
    assert officers.search_officers(store, "100%") == []  # LIKE wildcards are literal
    assert officers.search_officers(store, "a_d") == []
    assert len(officers.search_officers(store, "")) == 6


def test_search_by_nik_orders_exact_then_prefix_then_rest(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    # Names sort the other way round, so only the NIK ranking can give this order.
    inside = officers.add_officer(
        store, make_fields(nik="3573051111111403", name="A"), tps_id=area["a1"].id
    )
    prefix = officers.add_officer(
        store, make_fields(nik="1403850001000001", name="B"), tps_id=area["a1"].id
    )
    exact = officers.add_officer(
        store, make_fields(nik="140385000100", name="C"), tps_id=area["a1"].id
    )
    officers.add_officer(store, make_fields(nik="3573059999990000", name="D"), tps_id=area["a1"].id)
    assert [h.id for h in officers.search_officers(store, "1403.8500 0100")] == [
        exact.id,
        prefix.id,
    ]
    assert [h.id for h in officers.search_officers(store, "1403")] == [
        exact.id,
        prefix.id,
        inside.id,
    ]
    assert [h.id for h in officers.search_officers(store, "1403", limit=1, offset=2)] == [inside.id]


def test_list_officers_by_tps_reference(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    ketua = officers.add_officer(
        store, make_fields(post_code="kpps_ketua", name="ZAINAL"), tps_id=area["a2"].id
    )
    anggota = officers.add_officer(store, make_fields(name="ANDI"), tps_id=area["a2"].id)
    other = officers.add_officer(store, make_fields(), tps_id=area["a1"].id)
    for ref in (area["a2"].id, f"{KEL_A}/2", f"{KEL_A}/002"):
        assert [h.id for h in officers.list_officers(store, ref)] == [ketua.id, anggota.id]
    assert [h.id for h in officers.list_officers(store)] == [other.id, ketua.id, anggota.id]
    assert [h.id for h in officers.list_officers(store, limit=1, offset=1)] == [ketua.id]
    with pytest.raises(NotFound):
        officers.list_officers(store, f"{KEL_A}/9")


def test_set_status(store: Store, area: dict[str, Tps], make_fields: FieldsFactory) -> None:
    officer = officers.add_officer(
        store, make_fields(), tps_id=area["a1"].id, status=OfficerStatus.DRAFT
    )
    assert officer.status == "draft"
    fixed = officers.set_status(store, officer.id, OfficerStatus.NEEDS_FIX, "name differs from KTP")
    assert (fixed.status, fixed.status_reason) == ("needs_fix", "name differs from KTP")


def test_data_survives_reopen(
    store: Store, store_path: Path, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    fields = make_fields(birth_date=date(1990, 1, 2), email="a@b.id")
    officer = officers.add_officer(store, fields, tps_id=area["a1"].id)
    store.close()
    with Store.open(store_path, PASSPHRASE) as reopened:
        again = officers.get_officer(reopened, officer.id)
        assert again is not None
        assert again.birth_date == date(1990, 1, 2)
        assert again.email == "a@b.id"
        assert again.nik == fields.nik


def _fill(store: Store, make_fields: FieldsFactory, count: int) -> list[Tps]:
    """`count` officers over count / 10 TPS, in one transaction (one save)."""
    given = ["ADI", "BUDI", "CITRA", "DEWI", "EKO", "FITRI", "GUNAWAN", "HANI", "IWAN", "JOKO"]
    family = ["SANTOSO", "WIJAYA", "LESTARI", "HIDAYAT", "RAHAYU", "SAPUTRA", "PRATAMA"]
    with store.transaction():
        tps = [areas.add_tps(store, KEL_B, n) for n in range(2, 2 + count // 10)]
        for i in range(count):
            name = f"{given[i % 10]} {family[(i // 10) % 7]} {i}"
            officers.add_officer(store, make_fields(name=name), tps_id=tps[i // 10].id)
    return tps


@pytest.mark.slow
def test_search_and_save_at_10k(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    """Search and one save among 10,000 officers; their speed is benchmarks/run.py's
    (search ≤ 50 ms a keystroke, one save ≤ 25 ms at 10k), not asserted here."""
    _fill(store, make_fields, 10_000)
    hits = officers.search_officers(store, "budi")
    assert len(hits) == officers.DEFAULT_SEARCH_LIMIT
    assert all("BUDI" in hit.name for hit in hits)
    assert officers.search_officers(store, "9999") != []
    one = officers.search_officers(store, "joko", limit=1)[0]
    officers.update_officer(store, one.id, make_fields(nik=one.nik, name="JOKO S"))
    found = officers.search_officers(store, "joko s")[0]  # the exact name comes first
    assert (found.id, found.name) == (one.id, "JOKO S")
