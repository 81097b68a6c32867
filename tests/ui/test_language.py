"""Indonesian by default, English with --lang en or F9; F9 remembers the choice."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ui.conftest import (
    create_store,
    footer_keys,
    make_app,
    running,
    screen_text,
    settle,
    unlock,
)

from tpsdesk import prefs
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.unlock import UnlockScreen


async def test_indonesian_is_the_default(store_path: Path) -> None:
    app = make_app(store_path, language=None)
    async with running(app) as pilot:
        shown = screen_text(app)
        assert "Selamat datang di tpsdesk" in shown
        assert "Komputer ini untuk apa?" in shown
        assert "Bantuan" in footer_keys(app)
        await pilot.press("1")
        await settle(pilot)
        assert "Buat penyimpanan" in footer_keys(app)


async def test_lang_en_shows_english(store_path: Path) -> None:
    app = make_app(store_path, language="en")
    async with running(app) as pilot:
        assert "Welcome to tpsdesk" in screen_text(app)
        await pilot.press("2")
        await settle(pilot)
        assert "New store of the district office" in screen_text(app)
        assert "Create store" in footer_keys(app)
        await pilot.press("f9")  # the language changes, the choice stays
        await settle(pilot)
        assert "Penyimpanan baru kantor kabupaten/kota" in screen_text(app)


async def test_f9_switches_language_and_remembers_it(store_path: Path, config_dir: Path) -> None:
    create_store(store_path)
    app = make_app(store_path, language=None)
    async with running(app) as pilot:
        assert "Buka penyimpanan" in screen_text(app)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert "Open the store" in screen_text(app)
        assert "Forgot passphrase" in footer_keys(app)
        assert json.loads((config_dir / prefs.PREFS_FILENAME).read_text()) == {"language": "en"}

        await unlock(pilot)
        assert "Completion per TPS" in screen_text(app)
        assert "f1 Help" in footer_keys(app)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.store is not None  # the store stays open across the switch
        assert "Kelengkapan per TPS" in screen_text(app)
        assert "f1 Bantuan" in footer_keys(app)
        assert prefs.preferred_language() == "id"
        await pilot.press("f9")
        await settle(pilot)
        assert prefs.preferred_language() == "en"

    # The next start follows the saved preference.
    again = make_app(store_path, language=None)
    async with running(again):
        assert "Open the store" in screen_text(again)
