"""What an officer import's plan says it changes (issue 10 point 2): each updated officer's
fields old → new, the place and post included, and NIKs the district removed as duplicates
flagged instead of brought back."""

from __future__ import annotations

from typing import Any

import pytest

from tpsdesk.i18n import set_language
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer, Tps
from tpsdesk.store.officer_import import (
    KEPT_WHEN_ABSENT,
    RowStatus,
    SourceColumn,
    apply_import,
    plan_import,
)
from tpsdesk.store.officers import add_officer, count_officers, delete_officer, find_by_nik
from tpsdesk.sync.receipt import _adopt_tombstone

from .conftest import FieldsFactory
from .test_officer_import import COLUMNS, TODAY, nik, plan, row


@pytest.fixture(autouse=True)
def english() -> Any:
    set_language("en")
    yield
    set_language("en")


def remove_as_district(store: Store, officer_id: str) -> None:
    """What a receipt does when the district removed the officer as a duplicate."""
    with store.transaction() as session:
        officer = session.get(Officer, officer_id)
        assert officer is not None
        tombstone = {
            "version_device": "district-device",
            "version_counter": 7,
            "base_device": officer.version_device,
            "base_counter": officer.version_counter,
        }
        assert _adopt_tombstone(officer, tombstone, "receipt.tpsr") is True
        officer.status = "needs_fix"
        session.add(officer)


def test_a_moved_officer_shows_post_and_tps_old_to_new(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    add_officer(store, make_fields(nik=nik(1), post_code="kpps_ketua"), tps_id=area["a1"].id)
    result = plan(store, [row(5, 1, post_code="Linmas", tps="002")])
    [planned] = result.rows
    assert planned.status is RowStatus.UPDATED
    changes = {c.field: (c.old, c.new) for c in planned.changes}
    assert changes["post_code"] == ("Ketua KPPS", "Linmas")
    assert changes["tps"] == ("TPS 001 (Tunggulwulung)", "TPS 002 (Tunggulwulung)")
    # The place and post come first: what moved is what the clerk looks for.
    assert [c.field for c in planned.changes][:2] == ["post_code", "tps"]
    assert planned.changes[0].describe() == "Post: Ketua KPPS → Linmas"
    assert planned.name == "BUDI SANTOSO"


def test_every_kind_of_field_change_is_listed(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    from datetime import date

    add_officer(
        store,
        make_fields(
            nik=nik(2), name="BUDI", birth_place="BATU", birth_date=date(1980, 8, 17),
            address="Jl. Lama 9", phone=None, email="budi@example.id", postcode="65141",
            marital_status="Y", post_code="kpps_anggota",
        ),
        tps_id=area["b1"].id,
    )  # fmt: skip
    # A file with every column (a column the file lacks keeps the stored value).
    columns = {**COLUMNS, **{name: SourceColumn("Z", name) for name in KEPT_WHEN_ABSENT}}
    rows = [row(3, 2, email="", marital_status="T", postcode="65142")]
    result = plan_import(store, rows, columns=columns, today=TODAY)
    [planned] = result.rows
    changes = {c.field: (c.old, c.new) for c in planned.changes}
    assert changes == {
        "tps": ("TPS 001 (Tlogomas)", "TPS 001 (Tunggulwulung)"),
        "kelurahan": ("35.73.05.1002 Tlogomas", "35.73.05.1001 Tunggulwulung"),
        "name": ("BUDI", "BUDI SANTOSO"),
        "birth_place": ("BATU", "MALANG"),
        "address": ("Jl. Lama 9", "Jl. Mawar 1"),
        "postcode": ("65141", "65142"),
        "phone": ("—", "081234567890"),
        "email": ("budi@example.id", "—"),
        "marital_status": ("Y", "T"),
    }
    assert sorted(planned.changed) == sorted(
        ["tps_id", "kelurahan_code", "name", "birth_place", "address", "postcode", "phone",
         "email", "marital_status"]
    )  # fmt: skip


def test_dates_are_shown_as_the_app_writes_them(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    from datetime import date

    fields = make_fields(
        nik=nik(3), birth_date=date(1980, 8, 17), duty_start=date(2024, 1, 2), duty_end=None
    )
    add_officer(store, fields, tps_id=area["a1"].id)
    draft_row = row(4, 3, duty_start="05-01-2024", duty_end="14-02-2024")
    columns = {
        **COLUMNS,
        "duty_start": SourceColumn("Y", "Mulai"),
        "duty_end": SourceColumn("Z", "Selesai"),
    }
    [planned] = plan_import(store, [draft_row], columns=columns, today=TODAY).rows
    assert planned.status is RowStatus.UPDATED, planned.problems
    changes = {c.field: (c.old, c.new) for c in planned.changes}
    assert changes["duty_start"] == ("02-01-2024", "05-01-2024")
    assert changes["duty_end"] == ("—", "14-02-2024")


def test_an_unchanged_row_lists_no_change(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    apply_import(store, plan(store, [row(2, 4)]))
    [planned] = plan(store, [row(2, 4)]).rows
    assert planned.status is RowStatus.UNCHANGED and planned.changes == ()


def test_a_nik_the_district_removed_is_flagged_not_added(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    removed = add_officer(store, make_fields(nik=nik(6)), tps_id=area["a1"].id)
    remove_as_district(store, removed.id)
    result = plan(store, [row(2, 6), row(3, 7)])
    flagged, new = result.rows
    assert flagged.status is RowStatus.REMOVED and new.status is RowStatus.NEW
    assert [p.code for p in flagged.problems] == ["nik.removed_by_district"]
    assert "district removed this NIK as a duplicate" in flagged.problems[0].describe()
    counts = result.counts
    assert (counts.new, counts.removed, counts.total) == (1, 1, 2)
    assert result.removed_rows == [flagged]

    apply_import(store, result)
    assert find_by_nik(store, nik(6)) == []  # not brought back
    assert count_officers(store) == 1


def test_adding_removed_rows_again_is_an_explicit_choice(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    removed = add_officer(store, make_fields(nik=nik(8)), tps_id=area["a1"].id)
    remove_as_district(store, removed.id)
    chosen = plan(store, [row(2, 8)]).adding_removed()
    assert chosen.counts.new == 1 and chosen.counts.removed == 0
    apply_import(store, chosen)
    [back] = find_by_nik(store, nik(8))
    assert back.id != removed.id  # a new record: the district reviews the NIK again


def test_an_officer_deleted_here_is_new_again(
    store: Store, area: dict[str, Tps], make_fields: FieldsFactory
) -> None:
    """Deleted on this laptop (not by the district): importing the row adds it, as before."""
    officer = add_officer(store, make_fields(nik=nik(9)), tps_id=area["a1"].id)
    delete_officer(store, officer.id)
    [planned] = plan(store, [row(2, 9)]).rows
    assert planned.status is RowStatus.NEW
