"""Posts filled against posts needed, per TPS and per kelurahan/kecamatan."""

from __future__ import annotations

from typing import Any

from tpsdesk.domain.posts import DEFAULT_CATALOGUE, Unit
from tpsdesk.store import officers
from tpsdesk.store.completion import tps_completion, unit_completion
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
    assert (by_post["kpps_ketua"].filled, by_post["kpps_ketua"].extra) == (3, 2)
    assert (by_post["linmas"].filled, by_post["linmas"].missing) == (1, 1)
    assert by_post["ptps"].filled == 0  # the deleted officer does not count
    assert (a2.needed, a2.filled, a2.missing, a2.extra) == (12, 4, 10, 2)
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
    assert [(p.needed, p.filled, p.extra) for p in linmas] == [(0, 2, 2)]


def test_empty_store(store: Store) -> None:
    assert tps_completion(store) == []
    assert unit_completion(store) == []
