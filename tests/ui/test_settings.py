"""Settings (F8 on the dashboard): operator name and a new passphrase."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.ui.conftest import (
    PASSPHRASE,
    create_store,
    fill,
    make_app,
    open_store,
    running,
    settle,
    static_text,
    unlock,
)
from textual.widgets import Input

from tpsdesk.store.vault import WrongPassphrase
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.settings import SettingsScreen

NEW_PASSPHRASE = "pohon mangga di halaman kantor"


async def test_operator_name_and_passphrase_change(store_path: Path) -> None:
    create_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)

        await fill(pilot, "#operator", "Pak Budi")
        await pilot.press("enter")
        await settle(pilot)
        assert app.require_store().operator == "Pak Budi"

        await fill(pilot, "#current", "not the passphrase")
        await fill(pilot, "#new", NEW_PASSPHRASE)
        await fill(pilot, "#confirm", NEW_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert "not right" in static_text(app, "#error")

        await fill(pilot, "#current", PASSPHRASE)
        await fill(pilot, "#new", NEW_PASSPHRASE)
        await fill(pilot, "#confirm", NEW_PASSPHRASE + "x")
        await pilot.press("enter")
        await settle(pilot)
        assert "differ" in static_text(app, "#error")
        assert app.screen.query_one("#new", Input).value == ""
        assert app.screen.query_one("#confirm", Input).value == ""
        assert app.screen.focused is app.screen.query_one("#new", Input)

        await fill(pilot, "#new", NEW_PASSPHRASE)
        await fill(pilot, "#confirm", NEW_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert static_text(app, "#error") == ""

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)

    with pytest.raises(WrongPassphrase):
        open_store(store_path)
    store = open_store(store_path, NEW_PASSPHRASE)
    try:
        assert store.operator == "Pak Budi"
    finally:
        store.close()
