"""Every main screen at every width from 60×20 to 200×50: footers that keep their keys, tables
sized to what they hold, F9 on the screen you are on, F1 listing every key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from rich.text import Text
from tests.ui.conftest import (
    PASSPHRASE,
    fill,
    footer_keys,
    make_app,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
    unlock,
)
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from tpsdesk.i18n import _
from tpsdesk.store import officers
from tpsdesk.store.models import OfficerStatus
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.help import HelpScreen
from tpsdesk.ui.screens.officer_form import OfficerFormScreen
from tpsdesk.ui.screens.unit import UnitScreen
from tpsdesk.ui.screens.unlock import UnlockScreen
from tpsdesk.ui.widgets.columns import Column, FitTable, fit_columns
from tpsdesk.ui.widgets.key_bar import fit_items


def expect_footer(app: TpsDeskApp, *items: tuple[str, str]) -> None:
    """Each (key, English description) appears whole, in the app's language, on the line."""
    footer = footer_keys(app)
    assert len(footer.rstrip()) <= app.size.width
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
        # The second tab's key takes F3's room (F3 is in F1 help, and / searches too).
        expect_footer(app, ("f7", "Sync"), ("t", "Other tab"), ("f1", "Help"), ("f10", "Quit"))

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


# -- every width from 60×20 to 200×50 (issue 10, point 7) -----------------------------------

SIZES = [(60, 20), (80, 24), (200, 50)]


@asynccontextmanager
async def running_at(app: TpsDeskApp, size: tuple[int, int]) -> AsyncIterator[Pilot[None]]:
    try:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            yield pilot
    finally:
        app.close_store()


def expect_keys_kept(app: TpsDeskApp) -> None:
    """F1 and F10 whole in the footer, whatever the width."""
    footer = footer_keys(app)
    for key, description in (("f1", "Help"), ("f10", "Quit")):
        assert f"{key} {_(description)}" in footer, (app.screen, footer)


def expect_tables_fit(app: TpsDeskApp, *, wide: bool) -> list[FitTable]:
    """No table scrolls sideways; on a wide screen the tables take the whole width."""
    tables = [table for table in app.screen.query(FitTable) if table.display and table.size.width]
    for table in tables:
        room = table.scrollable_content_region.width
        assert table.virtual_size.width <= room, (app.screen, table.id, table.shown_columns)
        if wide:
            assert table.virtual_size.width == room, (app.screen, table.id)
    return tables


def shown(app: TpsDeskApp, *texts: str) -> None:
    lines = screen_text(app).splitlines()
    for text in texts:
        assert any(text in line for line in lines), (app.screen, text)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_field_screens_at_every_width(sample_store: Path, size: tuple[int, int]) -> None:
    """In Indonesian: what matters is whole (post names, statuses, TPS, filled), F1 and F10
    stay in the footer, no table scrolls sideways, and at 200 columns the tables grow."""
    with open_store(sample_store) as store:
        first = officers.list_officers(store)[0]
        officers.set_status(store, first.id, OfficerStatus.NEEDS_FIX, "NIK sama terdaftar dua kali")
    wide = size[0] >= 200
    app = make_app(sample_store, language="id")
    async with running_at(app, size) as pilot:
        expect_keys_kept(app)
        await unlock(pilot)
        expect_keys_kept(app)
        expect_tables_fit(app, wide=wide)
        shown(app, "001", "3/11", "2/11")
        if size[0] >= 80:
            expect_footer(app, ("t", "Other tab"), ("f7", "Sync"))

        await press(pilot, "t")  # kecamatan Sukun, kelurahan Bandungrejosari
        expect_tables_fit(app, wide=wide)
        await press(pilot, "down", "enter")
        assert isinstance(app.screen, UnitScreen), app.screen
        expect_tables_fit(app, wide=wide)
        shown(app, "Sekretariat PPS", _("— empty —"))
        expect_keys_kept(app)
        await press(pilot, "escape", "t", "enter")  # TPS 001

        assert isinstance(app.screen, UnitScreen), app.screen
        (roster,) = expect_tables_fit(app, wide=wide)
        shown(app, _("needs fixing"), "Ketua KPPS", "Anggota KPPS", "AHMAD FAUZI")
        expect_keys_kept(app)
        if size[0] >= 80:
            assert {"nik", "born"} <= set(roster.shown_columns)
        if wide:
            assert roster.shown_columns == ["post", "nik", "name", "sex", "born", "status"]
        await press(pilot, "n")
        expect_keys_kept(app)
        await press(pilot, "escape", "escape")

        await press(pilot, "f3")
        await fill(pilot, "#query", "ahmad")
        await settle(pilot)
        expect_tables_fit(app, wide=wide)
        shown(app, "Ketua KPPS", _("needs fixing"), "AHMAD FAUZI")
        expect_keys_kept(app)
        await press(pilot, "escape")

        await press(pilot, "p")  # the officers the district asks to fix
        expect_tables_fit(app, wide=wide)
        shown(app, "Ketua KPPS", "AHMAD FAUZI")
        expect_keys_kept(app)
        await press(pilot, "escape")

        await press(pilot, "f2")
        expect_tables_fit(app, wide=wide)
        shown(app, "35.73.05.1001", "Bandungrejosari", "Jl. Mawar 3")
        expect_keys_kept(app)
        await press(pilot, "escape")

        for key in ("f4", "f6", "f7", "f8"):
            await press(pilot, key)
            expect_keys_kept(app)
            await press(pilot, "escape")
        assert isinstance(app.screen, DashboardScreen), app.screen


def test_fit_columns_rule() -> None:
    """Natural widths when there is room; cut, then left out, when there is not."""
    columns = [
        Column("post", "Post"),
        Column("nik", "NIK", drop=1),
        Column("name", "Name", shrink_to=6, grow=True),
        Column("status", "Status"),
    ]
    natural = [15, 16, 20, 15]
    # Each column takes its width plus a blank each side (8 in all for four columns).
    assert fit_columns(columns, natural, 74) == [15, 16, 20, 15]
    # 26 to spare: the name takes three shares of six (and what is left), the others one.
    assert fit_columns(columns, natural, 100) == [19, 20, 34, 19]
    assert fit_columns(columns, natural, 64) == [15, 16, 10, 15]
    assert fit_columns(columns, natural, 60) == [15, 16, 6, 15]
    assert fit_columns(columns, natural, 58) == [15, None, 22, 15]
    # Never narrower than what cannot be cut: the table scrolls instead.
    assert fit_columns(columns, natural, 20) == [15, None, 6, 15]


async def test_f9_keeps_the_screen_and_what_it_holds(sample_store: Path) -> None:
    """The language changes on the screen you are on: the dashboard's tab, the roster, and
    the unsaved input of the officer being added all stay."""
    app = make_app(sample_store, language="id")
    async with running(app) as pilot:
        await unlock(pilot)
        await press(pilot, "t", "f9")
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.query_one("#tabs", TabbedContent).active == "tab-units"
        assert "Kelurahan and kecamatan" in screen_text(app)
        await press(pilot, "t", "enter")
        assert isinstance(app.screen, UnitScreen)
        await press(pilot, "down", "f9")  # back to Indonesian, on the roster
        assert isinstance(app.screen, UnitScreen)
        assert "Jabatan terisi 3 dari 11" in screen_text(app)
        assert app.screen.query_one("#officers", FitTable).cursor_row == 1

        await press(pilot, "n")
        assert isinstance(app.screen, OfficerFormScreen)
        await fill(pilot, "#name", "SITI AMINAH")
        await press(pilot, "f9")
        assert isinstance(app.screen, OfficerFormScreen)
        assert app.screen.query_one("#name", Input).value == "SITI AMINAH"
        assert "New officer" in screen_text(app)
        expect_footer(app, ("f2", "Save"), ("esc", "Cancel"))
        # Still unsaved: leaving asks first.
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, OfficerFormScreen)
        # F1 and F10 work on the form too; F10 asks before losing what was typed.
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        shown(app, "Save + next", "Language", "Quit")
        await press(pilot, "escape", "f10")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Quit without saving?" in screen_text(app)
        await press(pilot, "n", "escape", "y")  # no; then leave the form
        assert isinstance(app.screen, UnitScreen), app.screen
        assert "Posts filled 3 of 11" in screen_text(app)


async def test_f9_keeps_the_unlock_screen_and_the_typed_passphrase(sample_store: Path) -> None:
    app = make_app(sample_store, language="id")
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", "setengah")
        await press(pilot, "f9")
        assert isinstance(app.screen, UnlockScreen)
        assert "Open the store" in screen_text(app)
        assert app.screen.query_one("#passphrase", Input).value == "setengah"


async def test_help_lists_every_key_of_the_screen(sample_store: Path) -> None:
    """Also the keys a footer hides for now: pages, fixes, undo, the backup on unlock."""
    app = make_app(sample_store, language="id")
    async with running(app) as pilot:
        await press(pilot, "f1")
        shown(app, _("Use backup"), _("Forgot passphrase"), _("Language"), _("Quit"))
        await press(pilot, "escape")
        await unlock(pilot)
        await press(pilot, "f1")
        shown(app, _("Next page"), _("Previous page"), _("Other tab"), _("Fixes"))
        shown(app, _("Settings"), _("Refresh"), _("Search"), _("Language"), _("Quit"))
        help_text = screen_text(app)
        assert "[/b]" not in help_text  # "[" is a key, not the start of a tag
        assert any(line.split()[1:2] == ["]"] for line in help_text.splitlines())
        assert any(line.split()[1:2] == ["["] for line in help_text.splitlines())
        await press(pilot, "escape", "enter", "f1")
        assert isinstance(app.screen, HelpScreen)
        shown(app, _("Undo delete"), _("Add"), _("Delete"), _("Back"))


async def test_mismatched_recovery_passphrases_empty_both(sample_store: Path) -> None:
    app = make_app(sample_store, language="id")
    async with running(app) as pilot:
        await press(pilot, "f6")
        await fill(pilot, "#recovery", "ABCD-EFGH")
        await fill(pilot, "#passphrase", PASSPHRASE + " baru")
        await fill(pilot, "#confirm", PASSPHRASE + " lain")
        await press(pilot, "enter")
        assert _("The two passphrases differ. Type them again.") in static_text(app, "#error")
        first = app.screen.query_one("#passphrase", Input)
        assert first.value == "" and app.screen.query_one("#confirm", Input).value == ""
        assert app.screen.focused is first


async def test_f9_on_every_field_screen_keeps_it(sample_store: Path) -> None:
    """Each screen the dashboard opens is still there after F9, in the other language, and
    Esc still leads back to the dashboard."""
    with open_store(sample_store) as store:
        first = officers.list_officers(store)[0]
        officers.set_status(store, first.id, OfficerStatus.NEEDS_FIX, "NIK ganda")
    app = make_app(sample_store, language="id")
    async with running(app) as pilot:
        await unlock(pilot)
        for key in ("f2", "f4", "f6", "f7", "f8", "p", "f3", "enter"):
            await press(pilot, key)
            opened = type(app.screen)
            before = screen_text(app)
            await press(pilot, "f9")
            assert type(app.screen) is opened, (key, app.screen)
            after = screen_text(app)
            assert after != before and after.splitlines()[-1] != before.splitlines()[-1], key
            expect_keys_kept(app)
            await press(pilot, "escape")
            if key == "f4":  # the import opens on its file picker: Esc closes that first
                await press(pilot, "escape")
            assert isinstance(app.screen, DashboardScreen), (key, app.screen)
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_a_roster_refits_when_the_terminal_is_resized(sample_store: Path) -> None:
    app = make_app(sample_store, language="id")
    async with running(app) as pilot:
        await unlock(pilot)
        await press(pilot, "down", "enter")  # TPS 002
        table = app.screen.query_one("#officers", FitTable)
        assert table.cursor_row == 0
        await press(pilot, "down")
        everything = ["post", "nik", "name", "sex", "born", "status"]
        assert table.shown_columns == everything
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        assert table.shown_columns == ["post", "nik", "name", "status"]  # sex, born make way
        assert table.cursor_row == 1  # the same row stays selected
        expect_tables_fit(app, wide=False)
        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        assert table.shown_columns == everything
        expect_tables_fit(app, wide=True)


def test_footer_keys_make_way_in_order() -> None:
    """The app's keys go first, then the screen's from the right, then Esc; F1 and F10 stay."""
    items = [
        (Text("⏎ Open "), 2),
        (Text("n Add "), 2),
        (Text("esc Back "), 1),
        (Text("f1 Help "), 0),
        (Text("f3 Search "), 3),
        (Text("f10 Quit "), 0),
    ]

    def line(width: int) -> str:
        return "".join(item.plain for item in fit_items(items, width)).rstrip()

    assert line(80) == "⏎ Open n Add esc Back f1 Help f3 Search f10 Quit"
    assert line(40) == "⏎ Open n Add esc Back f1 Help f10 Quit"
    assert line(33) == "⏎ Open esc Back f1 Help f10 Quit"
    assert line(20) == "f1 Help f10 Quit"
    assert line(5) == "f1 Help f10 Quit"  # never less than F1 and F10
