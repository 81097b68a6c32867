"""At 80×24, in both languages, every main screen's footer shows its keys whole."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import (
    SIZE,
    footer_keys,
    make_app,
    running,
    screen_text,
    settle,
    unlock,
)
from textual.pilot import Pilot

from tpsdesk.i18n import _
from tpsdesk.ui.app import TpsDeskApp


def expect_footer(app: TpsDeskApp, *items: tuple[str, str]) -> None:
    """Each (key, English description) appears whole, in the app's language, within 80 columns."""
    footer = footer_keys(app)
    assert len(footer.rstrip()) <= SIZE[0]
    for key, description in items:
        assert f"{key} {_(description)}" in footer, (app.screen, footer)


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def test_every_main_screen_shows_its_keys_at_80x24(
    tmp_path: Path, sample_store: Path
) -> None:
    """In Indonesian, the default and the longer language (English footers are shorter)."""
    language = "id"
    fresh = make_app(tmp_path / "new" / "tpsdesk.store", language=language)
    async with running(fresh) as first:
        expect_footer(fresh, ("f9", "Language"), ("f1", "Help"), ("f10", "Quit"))
        await press(first, "1")
        expect_footer(fresh, ("f2", "Create store"), ("f9", "Language"), ("f1", "Help"))
        expect_footer(fresh, ("f10", "Quit"))

    app = make_app(sample_store, language=language)
    async with running(app) as pilot:
        expect_footer(app, ("f6", "Forgot passphrase"), ("f1", "Help"), ("f10", "Quit"))
        await unlock(pilot)
        common = (("f1", "Help"), ("f3", "Search"), ("f10", "Quit"))
        expect_footer(app, ("⏎", "Open"), ("f2", "Area"), ("f4", "Import"), ("f6", "Export"))
        expect_footer(app, ("f7", "Sync"), *common)

        await press(pilot, "enter")
        expect_footer(app, ("⏎", "Edit"), ("n", "Add"), ("del", "Delete"), ("esc", "Back"))
        expect_footer(app, *common)

        await press(pilot, "n")
        expect_footer(app, ("f2", "Save"), ("f4", "Save + next"), ("esc", "Cancel"))
        await press(pilot, "escape", "escape")

        await press(pilot, "f2")
        expect_footer(app, ("k l t", "Add"), ("e", "Edit TPS"), ("i", "Import list"))
        expect_footer(app, ("esc", "Back"), *common)
        # Keys left out of a footer are in F1 help, with only tpsdesk's own keys.
        await press(pilot, "f1")
        shown = screen_text(app)
        deletes = "Delete TPS, or remove an empty kelurahan or kecamatan"
        for description in (deletes, "Rename", "Language", "Kecamatan", "Import list"):
            assert _(description) in shown
        assert "Cursor up" not in shown and "Focus Next" not in shown
        await press(pilot, "escape", "escape")

        await press(pilot, "f3")
        expect_footer(app, ("esc", "Back"), ("f1", "Help"), ("f10", "Quit"))
        assert _("Search") not in footer_keys(app)  # F3 does nothing on the search screen
