"""The district desk: what a district store opens on, its tabs and keys, in Indonesian."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.factories import BACKENDS, backend_url
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    fill,
    make_app,
    running,
    screen_text,
    settle,
    unlock,
)
from textual.widgets import ContentSwitcher

from tpsdesk.exchange.demo_world import WorldSummary, build_world
from tpsdesk.store.db import Store
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.settings import SettingsScreen


@pytest.fixture(params=BACKENDS)
def world(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, WorldSummary]:
    """A district with the demo world, on SQLite and on PostgreSQL."""
    path = tmp_path / "kantor" / "tpsdesk.store"
    store, _key = Store.create(
        path,
        PASSPHRASE,
        role="district",
        operator="Pak Hadi",
        kdf=FAST_KDF,
        database_url=backend_url(request),
    )
    try:
        summary = build_world(store, PASSPHRASE, tmp_path / "world", kdf=FAST_KDF)
    finally:
        store.close()
    return path, summary


def active_tab(app: object) -> str:
    return str(app.screen.query_one("#desk-tabs", ContentSwitcher).current)  # type: ignore[attr-defined]


async def test_a_district_store_opens_the_desk_with_a_key_per_tab(
    world: tuple[Path, WorldSummary],
) -> None:
    path, summary = world
    app = make_app(path, language=None)  # Indonesian, the default
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        shown = screen_text(app)
        assert "Kota Contoh (35.73)" in shown
        assert "1 laptop menunggu persetujuan" in shown
        assert f"{sum(summary.findings.values())} temuan terbuka" in shown
        for label in ("Kotak masuk F2", "Laptop F4", "Temuan F5", "Cakupan F6"):
            assert label in shown
        assert active_tab(app) == "tab-inbox"
        for key, tab in (("f4", "laptops"), ("f5", "findings"), ("f6", "coverage")):
            await pilot.press(key)
            await settle(pilot)
            assert active_tab(app) == f"tab-{tab}"
        await pilot.press("f7")
        await settle(pilot)
        assert active_tab(app) == "tab-files"
        await pilot.press("f2")
        await settle(pilot)
        assert active_tab(app) == "tab-inbox"

        await pilot.press("f1")
        await settle(pilot)
        help_text = screen_text(app)
        for label in ("Kotak masuk", "Laptop", "Temuan", "Cakupan", "Berkas keluar"):
            assert label in help_text
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "Nama dan kode kabupaten/kota" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)

        await pilot.press("f6", "f9")  # the language changes, the desk stays
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert "Coverage F6" in screen_text(app)


async def test_a_field_store_still_opens_the_dashboard(world: tuple[Path, WorldSummary]) -> None:
    _path, summary = world
    app = make_app(summary.laptops[0].store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_closed_tabs_are_read_in_the_background_without_taking_focus(
    world: tuple[Path, WorldSummary],
) -> None:
    from textual.widgets import DataTable

    path, _summary = world
    app = make_app(path, language=None)
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert active_tab(app) == "tab-inbox"
        # Rows already there before F4/F6: opening a tab only shows it.
        for tab in ("laptops", "findings", "coverage"):
            pane = app.screen.query_one(f"#tab-{tab}")
            assert pane.stale is False  # type: ignore[attr-defined]
            assert pane.query_one(DataTable).row_count > 0, tab
        focused = app.focused
        assert focused is not None
        assert app.screen.query_one("#tab-inbox") in focused.ancestors
        # Read while closed (no width yet), the findings' columns fit the screen once opened.
        await pilot.press("f5")
        await settle(pilot)
        table = app.screen.query_one("#findings-table", DataTable)
        widths = {str(column.key.value): column.width for column in table.columns.values()}
        assert widths["place"] + widths["who"] + widths["about"] >= 50, widths
