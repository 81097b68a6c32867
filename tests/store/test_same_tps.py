"""Issue 10 point 5: the same NIK twice in one TPS is refused by the store itself (add, update,
undo), naming the other officer's post; the same NIK in another TPS is still allowed (the form
warns with the place, the district reviews it)."""

from __future__ import annotations

from typing import Any

import pytest

from tpsdesk.i18n import set_language
from tpsdesk.store import officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import Tps
from tpsdesk.store.officers import DuplicateInTps

from .conftest import KEL_A, FieldsFactory


@pytest.fixture(autouse=True)
def english() -> Any:
    set_language("en")
    yield
    set_language("en")


SAME_TPS = (
    "This NIK is already Ketua KPPS at TPS 001, Tunggulwulung: one person cannot be saved twice "
    "in one TPS. Correct the NIK, or edit that officer instead."
)


def test_add_refuses_the_same_nik_in_the_same_tps(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    first = officers.add_officer(store, make_fields(post_code="kpps_ketua"), tps_id=area["a1"].id)
    saves = store.backups()
    with pytest.raises(DuplicateInTps) as refused:
        officers.add_officer(
            store, make_fields(nik=first.nik, post_code="linmas"), tps_id=area["a1"].id
        )
    assert refused.value.message == SAME_TPS
    assert first.nik not in refused.value.message and "BUDI" not in refused.value.message
    assert [hit.id for hit in officers.find_by_nik(store, first.nik)] == [first.id]
    assert store.backups() == saves  # nothing written

    # Another TPS, a kelurahan post: allowed (the form warns with the place).
    elsewhere = officers.add_officer(
        store, make_fields(nik=first.nik, post_code="ptps"), tps_id=area["a2"].id
    )
    officers.add_officer(
        store, make_fields(nik=first.nik, post_code="pps_ketua"), kelurahan_code=KEL_A
    )
    assert len(officers.find_by_nik(store, first.nik)) == 3
    # Editing an officer keeps its own NIK: no refusal against itself.
    officers.update_officer(store, first.id, make_fields(nik=first.nik, post_code="kpps_anggota"))
    assert elsewhere.tps_id == area["a2"].id


def test_update_refuses_moving_or_renumbering_into_a_tps_that_has_the_nik(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    first = officers.add_officer(store, make_fields(post_code="kpps_ketua"), tps_id=area["a1"].id)
    other = officers.add_officer(store, make_fields(post_code="linmas"), tps_id=area["a1"].id)
    moving = officers.add_officer(store, make_fields(nik=first.nik), tps_id=area["a2"].id)
    with pytest.raises(DuplicateInTps, match="already Ketua KPPS at TPS 001"):
        officers.update_officer(store, other.id, make_fields(nik=first.nik, post_code="linmas"))
    with pytest.raises(DuplicateInTps, match="already Ketua KPPS at TPS 001"):
        officers.update_officer(store, moving.id, make_fields(nik=first.nik), tps_id=area["a1"].id)
    kept = officers.get_officer(store, other.id)
    assert kept is not None and kept.nik == other.nik
    still = officers.get_officer(store, moving.id)
    assert still is not None and still.tps_id == area["a2"].id


def test_undo_delete_refuses_bringing_back_a_second_nik_into_the_tps(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    first = officers.add_officer(store, make_fields(post_code="kpps_ketua"), tps_id=area["a1"].id)
    officers.delete_officer(store, first.id)
    again = officers.add_officer(
        store, make_fields(nik=first.nik, post_code="kpps_anggota"), tps_id=area["a1"].id
    )
    with pytest.raises(DuplicateInTps, match="already Anggota KPPS at TPS 001"):
        officers.undo_delete(store, first.id)
    gone = officers.get_officer(store, first.id)
    assert gone is not None and gone.deleted
    officers.delete_officer(store, again.id)
    assert not officers.undo_delete(store, first.id).deleted


def test_same_tps_picks_the_hit_of_this_tps(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    first = officers.add_officer(store, make_fields(post_code="ptps"), tps_id=area["a2"].id)
    hits = officers.find_by_nik(store, first.nik)
    assert officers.same_tps(hits, area["a1"].id) is None
    assert officers.same_tps(hits, None) is None
    here = officers.same_tps(hits, area["a2"].id)
    assert here is not None and here.id == first.id
    assert officers.same_tps_message(here).startswith("This NIK is already PTPS at TPS 002")
