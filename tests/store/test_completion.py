"""Posts filled against posts needed, per TPS and per kelurahan/kecamatan."""

from __future__ import annotations

from typing import Any

from tpsdesk.domain.posts import DEFAULT_CATALOGUE, Unit
from tpsdesk.store import officers
from tpsdesk.store.completion import (
    AreaFill,
    area_completion,
    tps_completion,
    unit_completion,
    unit_fills,
)
from tpsdesk.store.db import Store
from tpsdesk.store.models import Tps

from .conftest import KEC, KEL_A, KEL_B, FieldsFactory


def _post_name(code: str) -> str:
    post = DEFAULT_CATALOGUE.get(code)
    assert post is not None
    return post.name


TPS_POSTS = {"pantarlih": 1, "kpps_ketua": 1, "kpps_anggota": 6, "linmas": 2, "ptps": 1}


def fill(store: Store, make_fields: FieldsFactory, counts: dict[str, int], **where: Any) -> None:
    with store.transaction():
        for post, count in counts.items():
            for _ in range(count):
                officers.add_officer(store, make_fields(post_code=post), **where)


def test_tps_completion(store: Store, area: dict[str, Tps], make_fields: FieldsFactory) -> None:
    fill(store, make_fields, TPS_POSTS, tps_id=area["a1"].id)
    fill(store, make_fields, {"kpps_ketua": 3, "linmas": 1}, tps_id=area["a2"].id)
    gone = officers.add_officer(store, make_fields(post_code="ptps"), tps_id=area["a2"].id)
    officers.delete_officer(store, gone.id)
    fill(store, make_fields, {"pps_ketua": 1}, kelurahan_code=KEL_A)  # not a TPS post

    result = tps_completion(store)
    assert [(t.kelurahan_code, t.number, t.complete) for t in result] == [
        (KEL_A, 2, False),
        (KEL_A, 3, False),
        (KEL_B, 1, False),
        (KEL_A, 1, True),
    ]
    a2, a3, b1, a1 = result
    assert (a1.needed, a1.filled, a1.missing, a1.extra) == (11, 11, 0, 0)
    assert (a1.tps_id, a1.kecamatan_code, a1.kelurahan_name) == (
        area["a1"].id,
        KEC,
        "Tunggulwulung",
    )

    by_post = {p.post_code: p for p in a2.posts}
    catalogue_order = [p.code for p in DEFAULT_CATALOGUE.for_unit(Unit.TPS)]
    assert [p.post_code for p in a2.posts] == catalogue_order
    assert by_post["pantarlih"].needed == 2  # 500 voters: a large TPS
    kpps_ketua = by_post["kpps_ketua"]
    assert (kpps_ketua.placed, kpps_ketua.filled, kpps_ketua.extra) == (3, 1, 2)
    assert (by_post["linmas"].filled, by_post["linmas"].missing) == (1, 1)
    assert by_post["ptps"].filled == 0  # the deleted officer does not count
    assert (a2.needed, a2.filled, a2.placed, a2.missing, a2.extra) == (12, 2, 4, 10, 2)
    assert b1.filled == 0 and b1.missing == 11
    assert by_post["kpps_ketua"].post_name == _post_name("kpps_ketua")
    assert a3.voters is None and a2.voters == 500


def test_overfilled_tps_is_complete(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    fill(store, make_fields, {**TPS_POSTS, "linmas": 4}, tps_id=area["b1"].id)
    (b1,) = [t for t in tps_completion(store) if t.tps_id == area["b1"].id]
    assert b1.complete and b1.extra == 2


def test_unit_completion(store: Store, area: dict[str, Tps], make_fields: FieldsFactory) -> None:
    fill(
        store,
        make_fields,
        {"pps_ketua": 1, "pps_anggota": 2, "pps_sekretariat": 3, "pkd": 1},
        kelurahan_code=KEL_B,
    )
    fill(store, make_fields, {"pps_ketua": 1}, kelurahan_code=KEL_A)
    fill(store, make_fields, {"ppk_ketua": 1, "panwascam": 3}, kecamatan_code=KEC)
    fill(store, make_fields, {"kpps_ketua": 1}, tps_id=area["a1"].id)  # not a unit post

    result = unit_completion(store)
    assert [(u.unit, u.code, u.complete) for u in result] == [
        (Unit.KECAMATAN, KEC, False),
        (Unit.KELURAHAN, KEL_A, False),
        (Unit.KELURAHAN, KEL_B, True),
    ]
    kec, kel_a, kel_b = result
    assert (kec.needed, kec.filled, kec.missing) == (11, 4, 7)
    assert kec.name == "Lowokwaru"
    assert (kel_a.needed, kel_a.filled, kel_a.kecamatan_code) == (7, 1, KEC)
    assert kel_b.filled == 7


def test_completion_follows_the_catalogue_override(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    fill(store, make_fields, {"ppk_ketua": 1}, kecamatan_code=KEC)
    override = DEFAULT_CATALOGUE.with_overrides(
        {"panwascam_sekretariat": {"per_unit": 8}, "linmas": {"per_unit": 0}}
    )
    store.set_setting("catalogue", override.to_dict())
    (kec,) = [u for u in unit_completion(store) if u.unit == Unit.KECAMATAN]
    assert kec.needed == 19
    assert "linmas" not in {p.post_code for t in tps_completion(store) for p in t.posts}
    needed = {t.number: t.needed for t in tps_completion(store) if t.kelurahan_code == KEL_A}
    assert needed == {1: 9, 2: 10, 3: 9}  # TPS 2 has 500 voters: two Pantarlih


def test_officers_in_posts_no_longer_needed_still_show(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    fill(store, make_fields, {"linmas": 2}, tps_id=area["a1"].id)
    override = DEFAULT_CATALOGUE.with_overrides({"linmas": {"per_unit": 0}})
    store.set_setting("catalogue", override.to_dict())
    (a1,) = [t for t in tps_completion(store) if t.tps_id == area["a1"].id]
    linmas = [p for p in a1.posts if p.post_code == "linmas"]
    assert [(p.needed, p.placed, p.filled, p.extra) for p in linmas] == [(0, 2, 0, 2)]


def test_empty_store(store: Store) -> None:
    assert tps_completion(store) == []
    assert unit_completion(store) == []


def test_eleven_officers_in_one_post_fill_six_places_not_eleven(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    """Issue 10 point 8: eleven Anggota KPPS and nobody else showed "11/11 ✓"."""
    fill(store, make_fields, {"kpps_anggota": 11}, tps_id=area["a1"].id)
    (a1,) = [t for t in tps_completion(store) if t.tps_id == area["a1"].id]
    assert (a1.needed, a1.filled, a1.placed, a1.missing, a1.extra) == (11, 6, 11, 5, 5)
    assert not a1.complete
    by_post = {p.post_code: p for p in a1.posts}
    anggota = by_post["kpps_anggota"]
    assert (anggota.needed, anggota.placed, anggota.filled, anggota.extra) == (6, 11, 6, 5)
    assert anggota.complete
    # The extra five fill none of the other posts' places.
    for code in ("kpps_ketua", "linmas", "pantarlih", "ptps"):
        assert (by_post[code].filled, by_post[code].complete) == (0, False), code
    assert sum(by_post[code].missing for code in by_post) == 5

    # The roster's numbers and the district's sums are the same ones.
    roster = unit_fills(store, Unit.TPS, area["a1"].id)
    assert (roster.needed, roster.filled, roster.missing, roster.extra) == (11, 6, 5, 5)
    assert [(p.post_code, p.missing) for p in roster.posts] == [
        (p.post_code, p.missing) for p in a1.posts
    ]
    (place,) = [t for t in area_completion(store).tps if t.tps_id == area["a1"].id]
    assert place.fill == AreaFill(needed=11, filled=6, missing=5, extra=5)
    assert not place.fill.complete


def test_a_full_tps_with_extra_officers_is_complete(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    fill(store, make_fields, {**TPS_POSTS, "kpps_anggota": 8}, tps_id=area["a3"].id)
    (a3,) = [t for t in tps_completion(store) if t.tps_id == area["a3"].id]
    assert (a3.needed, a3.filled, a3.missing, a3.extra, a3.complete) == (11, 11, 0, 2, True)


def test_unit_fills_of_a_large_tps_and_of_units(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    """The roster counts two Pantarlih places at a TPS of 500 voters, as the dashboard does."""
    fill(store, make_fields, {"pantarlih": 1}, tps_id=area["a2"].id)
    fill(store, make_fields, {"pps_ketua": 2, "pps_anggota": 1}, kelurahan_code=KEL_A)
    fill(store, make_fields, {"panwascam": 1}, kecamatan_code=KEC)
    large = unit_fills(store, Unit.TPS, area["a2"].id)
    pantarlih = {p.post_code: p for p in large.posts}["pantarlih"]
    assert (pantarlih.needed, pantarlih.filled, pantarlih.missing) == (2, 1, 1)
    assert large.needed == 12
    kel = unit_fills(store, Unit.KELURAHAN, KEL_A)
    (kel_a,) = [u for u in unit_completion(store) if u.code == KEL_A]
    assert (kel.needed, kel.filled, kel.missing, kel.extra) == (7, 2, 5, 1)
    assert (kel_a.needed, kel_a.filled, kel_a.missing, kel_a.extra) == (7, 2, 5, 1)
    kec = unit_fills(store, Unit.KECAMATAN, KEC)
    assert (kec.filled, kec.missing) == (1, 10)


def test_area_fill_totals_are_the_sum_of_the_posts() -> None:
    from tpsdesk.domain.completion import PostFill, post_fills

    posts = post_fills({"a": 2, "b": 1}, {"a": 5, "c": 1}, {"a": "Post A", "b": "Post B"})
    assert posts == (
        PostFill("a", "Post A", 2, 5),
        PostFill("b", "Post B", 1, 0),
        PostFill("c", "c", 0, 1),
    )
    total = AreaFill.total(posts)
    assert total == AreaFill.of({"a": 2, "b": 1}, {"a": 5, "c": 1})
    assert total == AreaFill(needed=3, filled=2, missing=1, extra=4)
    assert AreaFill() + total == total
