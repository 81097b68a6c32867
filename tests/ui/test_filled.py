"""Issue 10 point 8: one meaning of "filled" on the dashboard and the roster (places filled post
by post, from store/completion.py); point 5: the same NIK twice in one TPS cannot be saved."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from tests.ui.conftest import (
    KEC,
    KEL,
    NIK_BUDI,
    NIK_SITI,
    create_store,
    fill,
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

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.problems import Sex
from tpsdesk.store import areas, officers
from tpsdesk.ui.screens.officer_form import OfficerFormScreen
from tpsdesk.ui.screens.unit import UnitScreen


def _nik(serial: int, born: date = date(1990, 1, 2)) -> str:
    return synthetic_nik(random.Random(serial), region=KEC, birth_date=born, sex=Sex.MALE)


@pytest.fixture
def crowded_store(store_path: Path) -> Path:
    """TPS 001 with eleven Anggota KPPS and nobody else; TPS 002 of 500 voters, empty."""
    create_store(store_path)
    with open_store(store_path) as store:
        areas.add_kecamatan(store, KEC, "Sukun")
        areas.add_kelurahan(store, KEL, "Bandungrejosari", KEC)
        first = areas.add_tps(store, KEL, 1, "Jl. Mawar 1")
        areas.add_tps(store, KEL, 2, "Jl. Mawar 2", voters=500)
        with store.transaction():
            for serial in range(1, 12):
                officers.add_officer(
                    store,
                    officer_fields(
                        _nik(serial), f"ANGGOTA {chr(64 + serial)}", date(1990, 1, 2), Sex.MALE
                    ),
                    tps_id=first.id,
                )
    return store_path


async def test_dashboard_counts_places_not_officers(crowded_store: Path) -> None:
    app = make_app(crowded_store)
    async with running(app) as pilot:
        await unlock(pilot)
        rows = {row[1]: row for row in table_rows(app, "#tps-table")}
        first = rows["001"]
        # Eleven officers in one post fill its six places: 6 of 11, 5 extra, no ✓.
        assert first[2] == "6/11 +5  "
        assert "✓" not in "".join(first)
        heading = ["Kelurahan", "TPS", "Filled", "KPPS", "Linmas", "Pantarlih", "PTPS"]
        kpps, linmas, pantarlih, ptps = first[heading.index("KPPS") :]
        assert kpps == "6/7 +5  "
        assert (linmas, pantarlih, ptps) == ("0/2  ", "0/1  ", "0/1  ")
        assert rows["002"][2] == "0/12  "  # 500 voters: two Pantarlih places
        # Two TPS (11 + 12), the kelurahan's 7 and the kecamatan's 11 places.
        assert "2 TPS, 2 incomplete · posts filled 6 of 41" in static_text(app, "#summary")


async def test_roster_shows_the_empty_places_beside_the_extra_officers(
    crowded_store: Path,
) -> None:
    app = make_app(crowded_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        summary = static_text(app, "#summary")
        assert "Posts filled 6 of 11" in summary
        assert "5 officers beyond their post's places" in summary
        rows = table_rows(app, "#officers")
        assert sum(1 for row in rows if row[0] == "Anggota KPPS" and row[1]) == 11
        empty = [row[0] for row in rows if row[2] == "— empty —"]
        assert empty == ["Ketua KPPS", "Linmas", "Linmas", "Pantarlih", "PTPS"]

        # N starts the first empty place, not a twelfth Anggota KPPS.
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, OfficerFormScreen)
        assert app.screen.initial_post == "kpps_ketua"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

        # A TPS of 500 voters has two Pantarlih places in its roster, as on the dashboard.
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        assert app.screen.title.startswith("TPS 002")
        rows = table_rows(app, "#officers")
        assert [row[0] for row in rows].count("Pantarlih") == 2
        assert "Posts filled 0 of 12" in static_text(app, "#summary")
        assert "beyond" not in screen_text(app)


async def test_same_nik_in_the_same_tps_cannot_be_saved(store_path: Path) -> None:
    """Point 5: a hard refusal naming the other officer's post; no "Save anyway"."""
    create_store(store_path)
    with open_store(store_path) as store:
        areas.add_kecamatan(store, KEC, "Sukun")
        areas.add_kelurahan(store, KEL, "Bandungrejosari", KEC)
        first = areas.add_tps(store, KEL, 1, "Jl. Mawar 1")
        areas.add_tps(store, KEL, 2, "Jl. Mawar 2")
        officers.add_officer(
            store,
            officer_fields(NIK_BUDI, "BUDI SANTOSO", date(1985, 3, 14), Sex.MALE, "kpps_ketua"),
            tps_id=first.id,
        )
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("enter")  # TPS 001
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficerFormScreen)
        await type_into(pilot, "#nik", NIK_BUDI)
        await settle(pilot)
        line = static_text(app, "#duplicate")
        assert "✗ This NIK is already Ketua KPPS at TPS 001, Bandungrejosari" in line
        assert "cannot be saved twice in one TPS" in line
        await fill(pilot, "#name", "BUDI SANTOSO")
        await fill(pilot, "#birth_place", "MALANG")
        await fill(pilot, "#address", "Jl. Mawar 1 RT 02 RW 03")

        for key in ("f2", "f4"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is form, key  # no "Save anyway" question, no saving
            assert "cannot be saved twice in one TPS" in static_text(app, "#form-errors")
            assert form.focused is not None and form.focused.id == "nik"
        assert len(officers.find_by_nik(app.require_store(), NIK_BUDI)) == 1

        # Another NIK saves.
        await fill(pilot, "#birth_date", "")
        await fill(pilot, "#sex", "")
        await type_into(pilot, "#nik", NIK_SITI)
        await settle(pilot)
        assert not app.screen.query_one("#duplicate").display
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        assert len(officers.find_by_nik(app.require_store(), NIK_SITI)) == 1


async def test_the_store_refuses_what_the_form_had_no_time_to_see(store_path: Path) -> None:
    """Saved before the NIK look-up answered: the store's refusal shows on the form."""
    create_store(store_path)
    with open_store(store_path) as store:
        areas.add_kecamatan(store, KEC, "Sukun")
        areas.add_kelurahan(store, KEL, "Bandungrejosari", KEC)
        first = areas.add_tps(store, KEL, 1, "Jl. Mawar 1")
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficerFormScreen)
        await type_into(pilot, "#nik", NIK_BUDI)
        await settle(pilot)
        await fill(pilot, "#name", "BUDI SANTOSO")
        await fill(pilot, "#birth_place", "MALANG")
        await fill(pilot, "#address", "Jl. Mawar 1 RT 02 RW 03")
        # Someone else's save lands after the form looked the NIK up.
        officers.add_officer(
            app.require_store(),
            officer_fields(NIK_BUDI, "BUDI SANTOSO", date(1985, 3, 14), Sex.MALE, "linmas"),
            tps_id=first.id,
        )
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is form
        assert "already Linmas at TPS 001" in static_text(app, "#form-errors")
        assert len(officers.find_by_nik(app.require_store(), NIK_BUDI)) == 1


async def test_undo_delete_into_a_tps_that_has_the_nik_again_is_refused(store_path: Path) -> None:
    create_store(store_path)
    with open_store(store_path) as store:
        areas.add_kecamatan(store, KEC, "Sukun")
        areas.add_kelurahan(store, KEL, "Bandungrejosari", KEC)
        first = areas.add_tps(store, KEL, 1, "Jl. Mawar 1")
        officers.add_officer(
            store,
            officer_fields(NIK_BUDI, "BUDI SANTOSO", date(1985, 3, 14), Sex.MALE, "kpps_ketua"),
            tps_id=first.id,
        )
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert officers.find_by_nik(app.require_store(), NIK_BUDI) == []
        officers.add_officer(
            app.require_store(),
            officer_fields(NIK_BUDI, "BUDI SANTOSO", date(1985, 3, 14), Sex.MALE, "linmas"),
            tps_id=first.id,
        )
        await pilot.press("u")
        await settle(pilot)
        messages = [notice.message for notice in app._notifications]
        assert any("already Linmas at TPS 001" in message for message in messages)
        (hit,) = officers.find_by_nik(app.require_store(), NIK_BUDI)
        assert hit.post_code == "linmas"
        screen = app.screen
        assert isinstance(screen, UnitScreen) and screen.deleted  # U can try again later
