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
    create_store,
    make_app,
    officer_fields,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
    table_rows,
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
