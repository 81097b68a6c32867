"""Search by name or NIK from anywhere (F3); Enter opens the officer."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import (
    make_app,
    running,
    screen_text,
    settle,
    static_text,
    table_rows,
    type_into,
    type_text,
    unlock,
)
from textual.widgets import Input

from tpsdesk.store import officers
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.officer_form import OfficerFormScreen
from tpsdesk.ui.screens.search import SearchScreen
from tpsdesk.ui.screens.unit import UnitScreen


async def test_search_by_name_and_nik_then_open(sample_store: Path) -> None:
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)

        await type_text(pilot, "w")
        await settle(pilot)
        assert "Type at least two letters or digits." in static_text(app, "#result-info")
        assert table_rows(app, "#results") == []
        await type_text(pilot, "at")  # "wat": RINA WATI only
        await settle(pilot)
        rows = table_rows(app, "#results")
        assert [(row[1], row[3]) for row in rows] == [("RINA WATI", "002")]
        assert "1 match(es)" in static_text(app, "#result-info")
        assert "RINA WATI" in screen_text(app)

        supriyadi = next(
            hit for hit in officers.list_officers(app.require_store()) if hit.name == "SUPRIYADI"
        )
        await type_into(pilot, "#query", supriyadi.nik[6:12])  # the birth-date digits
        await settle(pilot)
        rows = table_rows(app, "#results")
        assert [(row[0], row[1]) for row in rows] == [(supriyadi.nik, "SUPRIYADI")]

        await pilot.press("down")  # to the results
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficerFormScreen)
        assert form.officer_id == supriyadi.id
        assert form.query_one("#name", Input).value == "SUPRIYADI"
        assert "TPS 001 — Bandungrejosari" in screen_text(app)

        await pilot.press("escape")  # unchanged: closes at once
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)

        # From a TPS roster too.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await type_into(pilot, "#query", "hendra")
        await settle(pilot)
        assert [row[1] for row in table_rows(app, "#results")] == ["HENDRA GUNAWAN"]
