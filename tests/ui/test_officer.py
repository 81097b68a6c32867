"""Officers by keyboard: add (the NIK fills birth date and sex), edit, delete and undo, save +
next; validation as you type; the duplicate-NIK warning."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.ui.conftest import (
    KEC,
    KEL,
    NIK_BUDI,
    NIK_SITI,
    TpsDeskApp,
    fill,
    footer_keys,
    make_app,
    officer_fields,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
    table_rows,
    type_into,
    unlock,
)
from textual.pilot import Pilot
from textual.widgets import Input, Select
from textual.widgets.select import InvalidSelectValueError

from tpsdesk.domain.posts import Unit
from tpsdesk.domain.problems import Sex
from tpsdesk.store import areas, officers
from tpsdesk.store.area_scope import SETUP_INSTALLED_META
from tpsdesk.store.versioning import set_meta
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.officer_form import OfficerFormScreen
from tpsdesk.ui.screens.unit import UnitScreen
from tpsdesk.ui.units import UnitRef


async def open_tps(pilot: Pilot[None], number: int = 1) -> None:
    """From the dashboard, move to TPS `number` (rows are TPS 001, 002, 003) and press Enter."""
    for _step in range(number - 1):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, UnitScreen)
    assert pilot.app.screen.title.startswith(f"TPS {number:03d}")


async def fill_person(pilot: Pilot[None], name: str) -> None:
    await fill(pilot, "#name", name)
    await fill(pilot, "#birth_place", "MALANG")
    await fill(pilot, "#address", "Jl. Mawar 1 RT 02 RW 03")


def live_officers(app: TpsDeskApp, tps_index: int = 0) -> list[officers.Officer]:
    store = app.require_store()
    tps = areas.list_tps(store)[tps_index]
    return officers.officers_for_tps(store, tps.id)


async def test_add_edit_delete_undo_and_save_next(area_store: Path) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await open_tps(pilot, 1)
        assert "Posts filled 0 of 11" in screen_text(app)

        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficerFormScreen)
        assert form.query_one("#post_code", Select).value == "kpps_ketua"
        await type_into(pilot, "#nik", NIK_BUDI)
        await settle(pilot)
        assert form.query_one("#birth_date", Input).value == "14-03-1985"
        assert form.query_one("#sex", Input).value == "L"
        assert "From the NIK: born 14-03-1985, male" in static_text(app, "#nik-info")
        assert "From the NIK" in screen_text(app)
        await fill_person(pilot, "BUDI SANTOSO")
        await fill(pilot, "#phone", "0812-3456-7890")
        await pilot.press("f2")
        await settle(pilot)

        assert isinstance(app.screen, UnitScreen)
        [stored] = live_officers(app)
        assert (stored.nik, stored.name, stored.birth_date, stored.sex, stored.post_code) == (
            NIK_BUDI,
            "BUDI SANTOSO",
            date(1985, 3, 14),
            "L",
            "kpps_ketua",
        )
        assert stored.phone == "081234567890"
        assert table_rows(app, "#officers")[0][:5] == [
            "Ketua KPPS",
            NIK_BUDI,
            "BUDI SANTOSO",
            "L",
            "14-03-1985",
        ]
        assert "Posts filled 1 of 11" in screen_text(app)

        # Enter on the row edits it.
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficerFormScreen)
        assert form.officer_id == stored.id
        assert form.query_one("#name", Input).value == "BUDI SANTOSO"
        await fill(pilot, "#name", "BUDI SETIAWAN")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        assert [o.name for o in live_officers(app)] == ["BUDI SETIAWAN"]
        assert table_rows(app, "#officers")[0][2] == "BUDI SETIAWAN"

        # Delete asks first; the record becomes a tombstone; U brings it back.
        assert "Undo delete" not in footer_keys(app)
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "BUDI SETIAWAN" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        gone = officers.get_officer(app.require_store(), stored.id)
        assert gone is not None and gone.deleted
        assert live_officers(app) == []
        assert "BUDI SETIAWAN" not in screen_text(app)
        assert "Undo delete" in footer_keys(app)
        await pilot.press("u")
        await settle(pilot)
        back = officers.get_officer(app.require_store(), stored.id)
        assert back is not None and not back.deleted
        assert table_rows(app, "#officers")[0][2] == "BUDI SETIAWAN"

        # F4 saves and opens the form again for the next empty post.
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#post_code", Select).value == "kpps_anggota"
        await type_into(pilot, "#nik", NIK_SITI)
        await settle(pilot)
        assert app.screen.query_one("#sex", Input).value == "P"
        await fill_person(pilot, "SITI AMINAH")
        await pilot.press("f4")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficerFormScreen)
        assert form.officer_id is None
        assert form.query_one("#nik", Input).value == ""
        assert form.query_one("#post_code", Select).value == "kpps_anggota"
        assert sorted(o.name for o in live_officers(app)) == ["BUDI SETIAWAN", "SITI AMINAH"]
        await pilot.press("escape")  # nothing typed: leaves without asking
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        assert "SITI AMINAH" in screen_text(app)
        assert "Posts filled 2 of 11" in screen_text(app)
    with open_store(area_store) as reopened:
        names = sorted(hit.name for hit in officers.list_officers(reopened))
        assert names == ["BUDI SETIAWAN", "SITI AMINAH"]


CHILD_NIK = "3573050101100003"  # male, 01-01-2010: 14 years old when KPPS duty starts

BAD_INPUT = [
    ("nik", "3573051403850A01", "#msg-nik", "NIK may contain only digits"),
    ("nik", "357305140385000", "#msg-nik", "NIK has 15 digits"),
    ("birth_date", "21-08-1990", "#msg-birth_date", "does not match the NIK"),
    ("phone", "0812abc4567", "#msg-phone", "Phone number contains letters"),
    ("birth_date", "01-01-2030", "#msg-birth_date", "Date of birth is in the future"),
    ("nik", CHILD_NIK, "#msg-post_code", "Too young for Ketua KPPS"),
]


async def test_bad_input_is_flagged_as_you_type_and_not_saved(area_store: Path) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await open_tps(pilot, 1)
        await pilot.press("n")
        await settle(pilot)
        await fill_person(pilot, "SITI AMINAH")
        valid = {"nik": NIK_SITI, "birth_date": "12-08-1990", "sex": "P", "phone": ""}
        changed = list(valid)
        for field, text, where, message in BAD_INPUT:
            case = f"{field}={text!r}"
            # A valid form first, so the message can only come from the bad value.
            for name in changed:
                await fill(pilot, f"#{name}", valid[name])
            await settle(pilot)
            assert static_text(app, where) == "", case
            changed = [field]
            if field == "nik":  # let the new NIK fill birth date and sex
                await fill(pilot, "#birth_date", "")
                await fill(pilot, "#sex", "")
                changed = ["nik", "birth_date", "sex"]
            await type_into(pilot, f"#{field}", text)
            await settle(pilot)
            assert message in static_text(app, where), case

            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, OfficerFormScreen), case
            assert "Cannot save yet" in static_text(app, "#form-errors"), case
            assert message in static_text(app, where), case
            assert officers.list_officers(app.require_store()) == [], case


async def test_duplicate_nik_warns_with_the_place_and_asks(area_store: Path) -> None:
    with open_store(area_store) as store:
        first = areas.list_tps(store)[0]
        officers.add_officer(
            store,
            officer_fields(NIK_BUDI, "BUDI SANTOSO", date(1985, 3, 14), Sex.MALE, "kpps_ketua"),
            tps_id=first.id,
        )
    app = make_app(area_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await open_tps(pilot, 2)
        await pilot.press("n")
        await settle(pilot)
        await type_into(pilot, "#nik", NIK_BUDI)
        await settle(pilot)
        warning = static_text(app, "#duplicate")
        assert "This NIK is already registered" in warning
        assert "Ketua KPPS, TPS 001, Bandungrejosari" in warning
        await fill_person(pilot, "BUDI SANTOSO")

        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "TPS 001" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, OfficerFormScreen)
        assert len(officers.find_by_nik(app.require_store(), NIK_BUDI)) == 1

        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        hits = officers.find_by_nik(app.require_store(), NIK_BUDI)
        assert sorted(hit.tps_number for hit in hits) == [1, 2]
        assert "BUDI SANTOSO" in screen_text(app)


async def test_a_unit_outside_the_enrolled_area_offers_no_post(area_store: Path) -> None:
    """Issue 8 point 5: a kelurahan laptop offered the kecamatan's PPK posts, which the
    district then refused with the whole bundle."""
    with open_store(area_store) as store, store.transaction() as session:
        set_meta(session, SETUP_INSTALLED_META, {"version": 1, "area": KEL})
    app = make_app(area_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await app.push_screen(OfficerFormScreen(UnitRef(Unit.KECAMATAN, KEC, "Sukun")))
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficerFormScreen)
        select = form.query_one("#post_code", Select)
        assert select.is_blank()
        with pytest.raises(InvalidSelectValueError):
            select.value = "ppk_anggota"
        assert static_text(app, "#status-line") == (
            f"Kecamatan Sukun ({KEC}) lies outside this laptop's area ({KEL}): no officer can "
            "be registered here"
        )
        await app.pop_screen()
        await settle(pilot)
        # Its own kelurahan's TPS still offers every TPS post.
        await open_tps(pilot, 1)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#post_code", Select).value == "kpps_ketua"
