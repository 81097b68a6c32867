"""Renaming and removing kecamatan and kelurahan: the code stays, removal only when empty,
everything stamped so it travels in a bundle, and an enrolled laptop kept to its area."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from tpsdesk.i18n import set_language
from tpsdesk.store import area_changes, areas
from tpsdesk.store.area_changes import OutsideEnrolledArea
from tpsdesk.store.area_scope import SETUP_INSTALLED_META
from tpsdesk.store.areas import InvalidText
from tpsdesk.store.db import Conflict, NotFound, Store, StoreError
from tpsdesk.store.models import ChangeLog, Kecamatan, Kelurahan, Officer, Tps
from tpsdesk.store.officers import add_officer, delete_officer
from tpsdesk.store.versioning import set_meta

from .conftest import KEC, KEL_A, KEL_B, FieldsFactory


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def changes(store: Store) -> list[tuple[str, str]]:
    with store.read() as session:
        return [(c.table_name, c.action) for c in session.exec(select(ChangeLog))]


def test_rename_keeps_the_code_and_is_stamped(store: Store, area: dict[str, Tps]) -> None:
    before = len(changes(store))
    assert area_changes.rename_kecamatan(store, KEC, "  Lowok  Waru ")
    assert area_changes.rename_kelurahan(store, KEL_A, "Tunggul Wulung")
    assert [(k.code, k.name) for k in areas.list_kecamatan(store)] == [(KEC, "Lowok Waru")]
    assert areas.list_kelurahan(store)[0].name == "Tunggul Wulung"
    logged = changes(store)[before:]
    assert [table for table, _action in logged] == ["kecamatan", "kelurahan"]
    assert {action for _table, action in logged} == {"update"}
    with store.read() as session:
        kec = session.exec(select(Kecamatan)).one()
        assert kec.base_counter is not None  # a new version on top of the old one
    # The same name again changes and stamps nothing.
    assert not area_changes.rename_kecamatan(store, KEC, "Lowok Waru")
    assert len(changes(store)) == before + 2


def test_rename_refusals(store: Store, area: dict[str, Tps]) -> None:
    with pytest.raises(StoreError, match="The name is missing"):
        area_changes.rename_kelurahan(store, KEL_A, "   ")
    with pytest.raises(StoreError, match="too long"):
        area_changes.rename_kelurahan(store, KEL_A, "x" * 101)
    with pytest.raises(InvalidText):
        area_changes.rename_kecamatan(store, KEC, "Lowok\u202ewaru")
    with pytest.raises(NotFound):
        area_changes.rename_kecamatan(store, "35.73.09", "Nowhere")
    assert areas.list_kecamatan(store)[0].name == "Lowokwaru"


def test_remove_an_empty_kelurahan_takes_its_tps(store: Store, area: dict[str, Tps]) -> None:
    contents = area_changes.kelurahan_contents(store, KEL_A)
    assert (contents.tps, contents.officers, contents.empty) == (3, 0, True)
    assert contents.what_goes() == (
        f"Remove kelurahan Tunggulwulung ({KEL_A}), kecamatan Lowokwaru ({KEC}) and its 3 TPS?"
    )
    before = len(changes(store))
    area_changes.remove_kelurahan(store, KEL_A)
    assert [k.code for k in areas.list_kelurahan(store)] == [KEL_B]
    assert [t.kelurahan_code for t in areas.list_tps(store)] == [KEL_B]
    assert changes(store)[before:] == [("tps", "delete")] * 3 + [("kelurahan", "delete")]
    # Added again, it comes back (a tombstone restored), without its TPS.
    areas.add_kelurahan(store, KEL_A, "Tunggulwulung", KEC)
    assert area_changes.kelurahan_contents(store, KEL_A).tps == 0


def test_remove_refused_while_officers_are_registered(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    officer = add_officer(store, make_fields(), tps_id=area["a2"].id)
    add_officer(store, make_fields(post_code="pps_anggota"), kelurahan_code=KEL_B)
    with pytest.raises(Conflict) as refused:
        area_changes.remove_kelurahan(store, KEL_A)
    assert refused.value.message == (
        f"Kelurahan Tunggulwulung ({KEL_A}), kecamatan Lowokwaru ({KEC}) still has 1 officer "
        "registered (at its TPS or its posts): move or delete them first; nothing is removed."
    )
    with pytest.raises(Conflict, match="2 officers"):
        area_changes.remove_kecamatan(store, KEC)
    with pytest.raises(Conflict, match="1 officer registered"):
        area_changes.remove_kelurahan(store, KEL_B)  # a post of the kelurahan (PPS)
    assert len(areas.list_tps(store)) == 4 and len(areas.list_kelurahan(store)) == 2
    # A deleted officer does not hold the place.
    delete_officer(store, officer.id)
    area_changes.remove_kelurahan(store, KEL_A)
    assert [k.code for k in areas.list_kelurahan(store)] == [KEL_B]


def test_remove_an_empty_kecamatan_with_everything_in_it(
    store: Store, area: dict[str, Tps]
) -> None:
    contents = area_changes.kecamatan_contents(store, KEC)
    assert contents.what_goes() == (
        f"Remove kecamatan Lowokwaru ({KEC}) with its 2 kelurahan and 4 TPS?"
    )
    area_changes.remove_kecamatan(store, KEC)
    assert areas.list_kecamatan(store) == []
    assert areas.list_kelurahan(store) == [] and areas.list_tps(store) == []
    with store.read() as session:
        for model in (Kecamatan, Kelurahan, Tps):
            assert all(row.deleted for row in session.exec(select(model)))
        assert session.exec(select(Officer)).all() == []
    with pytest.raises(NotFound):
        area_changes.remove_kecamatan(store, KEC)


def test_tps_contents_names_its_place(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    add_officer(store, make_fields(), tps_id=area["a1"].id)
    add_officer(store, make_fields(post_code="kpps_ketua"), tps_id=area["a1"].id)
    contents = area_changes.tps_contents(store, area["a1"].id)
    assert contents.refusal() == (
        f"TPS 001 of kelurahan Tunggulwulung ({KEL_A}), kecamatan Lowokwaru ({KEC}) still has "
        "2 officers: move or delete them first; the TPS is not deleted."
    )
    empty = area_changes.tps_contents(store, area["a3"].id)
    assert empty.empty
    assert empty.what_goes() == (
        f"Delete TPS 003 of kelurahan Tunggulwulung ({KEL_A}), kecamatan Lowokwaru ({KEC})?"
    )


def enrol(store: Store, area: str) -> None:
    with store.transaction() as session:
        set_meta(session, SETUP_INSTALLED_META, {"file_id": "f", "version": 1, "area": area})


def test_an_enrolled_laptop_leaves_the_districts_list_alone(
    store: Store, area: dict[str, Tps]
) -> None:
    # The district never applies a bundle's kecamatan or kelurahan rows (its own list).
    from tpsdesk.sync.merge import APPLIED_TABLES

    assert "kecamatan" not in APPLIED_TABLES and "kelurahan" not in APPLIED_TABLES
    assert area_changes.change_refusal(store, "kecamatan", KEC) == ""  # not enrolled: free
    for enrolled_for in (KEL_A, KEC):
        enrol(store, enrolled_for)
        with pytest.raises(OutsideEnrolledArea, match="only the district renames or removes"):
            area_changes.rename_kecamatan(store, KEC, "Other")
        with pytest.raises(OutsideEnrolledArea, match=KEL_B.replace(".", r"\.")):
            area_changes.rename_kelurahan(store, KEL_B, "Other")
        with pytest.raises(OutsideEnrolledArea, match="Ask the district for a new setup file"):
            area_changes.remove_kelurahan(store, KEL_B)
        with pytest.raises(OutsideEnrolledArea):
            area_changes.remove_kecamatan(store, KEC)
        assert "Ask the district" in area_changes.change_refusal(store, "kelurahan", KEL_A)
        contents = area_changes.kelurahan_contents(store, KEL_B)
        assert contents.empty and not contents.removable
        assert "district's own list" in contents.refusal()
    assert len(areas.list_kelurahan(store)) == 2 and len(areas.list_tps(store)) == 4
    assert areas.list_kecamatan(store)[0].name == "Lowokwaru"
