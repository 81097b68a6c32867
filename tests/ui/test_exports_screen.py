"""Exports in the app (F6): files written and every path shown, CSV side files, overwrite asked
first, bad names refused, the folder chosen with the place picker and remembered; on a real
store with five officers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import fill, make_app, running, screen_text, settle, static_text, unlock
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.ui.screens import exports
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.exports import EXPORTS_PLACE, ExportsScreen
from tpsdesk.ui.screens.pay_settings import PaySettingsScreen
from tpsdesk.ui.widgets.places import PlacePicker, last_place, remember_place

ZIP_MAGIC = b"PK\x03\x04"


@pytest.fixture(autouse=True)
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "Documents"
    folder.mkdir()
    monkeypatch.setattr(exports, "export_folder", lambda: folder)
    return folder


async def open_exports(pilot: Pilot[Any]) -> None:
    await unlock(pilot)
    await pilot.press("f6")
    await settle(pilot)


async def test_every_export_writes_and_shows_its_files(
    sample_store: Path, tmp_path: Path, documents: Path
) -> None:
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        assert isinstance(app.screen, ExportsScreen)
        # The defaults: dated names in the documents folder; no path to type.
        bpjs_default = documents / "bpjs-2024-10-01.xlsx"
        assert app.screen.query_one("#out-bpjs", Input).value == "bpjs-2024-10-01.xlsx"
        assert static_text(app, "#export-folder") == f"Folder: {documents}"
        assert "honorarium of the post" in static_text(app, "#pay-line")

        await pilot.press("f2")
        await settle(pilot)
        assert bpjs_default.read_bytes().startswith(ZIP_MAGIC)
        result = static_text(app, "#export-result")
        assert f"Wrote {bpjs_default}" in result
        # The PTPS officer has no honorarium under the default settings: left out, and said why.
        assert "4 officers exported." in result
        assert "1 officer left out:" in result and "no wage basis" in result
        assert "Not exported" in result
        assert "personal data" in result

        budget = documents / "anggaran.xlsx"
        await fill(pilot, "#out-budget", budget.name)
        await pilot.press("f4")
        await settle(pilot)
        assert budget.read_bytes().startswith(ZIP_MAGIC)
        assert f"Wrote {budget}" in static_text(app, "#export-result")

        completion = documents / "kelengkapan.csv"
        await fill(pilot, "#out-completion", completion.name)
        await pilot.press("enter")  # Enter in the file name writes that export
        await settle(pilot)
        units = documents / "kelengkapan-units.csv"
        assert completion.exists() and units.exists()
        result = static_text(app, "#export-result")
        assert f"Wrote {completion}" in result and f"Wrote {units}" in result
        assert "of 3 TPS complete" in result


async def test_an_existing_file_is_replaced_only_when_confirmed(
    sample_store: Path, documents: Path
) -> None:
    target = documents / "bpjs.xlsx"
    target.write_bytes(b"the export of last week")
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        await fill(pilot, "#out-bpjs", target.name)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert str(target) in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert target.read_bytes() == b"the export of last week"

        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert target.read_bytes().startswith(ZIP_MAGIC)
        assert f"Wrote {target}" in static_text(app, "#export-result")


async def test_bad_names_and_refusals_are_explained(
    sample_store: Path, tmp_path: Path, documents: Path
) -> None:
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        await fill(pilot, "#out-budget", "budget.csv")  # budget is xlsx only
        await pilot.press("f4")
        await settle(pilot)
        assert "unknown file type .csv" in static_text(app, "#export-result")
        assert not (documents / "budget.csv").exists()

        for typed in ("", "   "):
            await fill(pilot, "#out-bpjs", typed)
            await pilot.press("f2")
            await settle(pilot)
            assert static_text(app, "#export-result") == "Type the name of the file to write."
        for typed in (str(tmp_path / "b.xlsx"), "sub\\b.xlsx", "D:b.xlsx", ".."):
            await fill(pilot, "#out-bpjs", typed)
            await pilot.press("f2")
            await settle(pilot)
            assert static_text(app, "#export-result") == (
                "Type only the file name; Ctrl+O chooses the folder or drive."
            )
            assert app.screen.focused is app.screen.query_one("#out-bpjs", Input)
        assert not (tmp_path / "b.xlsx").exists()

        documents.rmdir()  # the folder went away (a stick pulled out)
        await fill(pilot, "#out-bpjs", "b.xlsx")
        await pilot.press("f2")
        await settle(pilot)
        assert "does not exist" in static_text(app, "#export-result")

        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, PaySettingsScreen)


async def test_a_store_without_officers_is_told(area_store: Path, documents: Path) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        await fill(pilot, "#out-bpjs", "b.xlsx")
        await pilot.press("f2")
        await settle(pilot)
        assert "There are no officers to export." in static_text(app, "#export-result")
        assert not (documents / "b.xlsx").exists()


async def test_an_unforeseen_failure_shows_no_personal_data(
    sample_store: Path, documents: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SECURITY 29: an error's own text may quote a cell (an address); only its kind is shown.
    from tpsdesk.exchange import bpjs_export

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("Jl. RAHASIA No. 5")

    monkeypatch.setattr(bpjs_export, "export_bpjs", broken)
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        out = documents / "b.xlsx"
        await fill(pilot, "#out-bpjs", out.name)
        await pilot.press("f2")
        await settle(pilot)
        shown = static_text(app, "#export-result")
        assert f"The export to {out} failed (ValueError); nothing was written." in shown
        assert "RAHASIA" not in shown
        assert isinstance(app.screen, ExportsScreen) and not app.screen.busy
        assert not out.exists()


async def wait_for_picker(pilot: Pilot[Any]) -> PlacePicker:
    """The PlacePicker just opened (not `settle`: its tree's loader runs while it is shown)."""
    for _round in range(300):
        await pilot.pause(0.02)
        if isinstance(pilot.app.screen, PlacePicker):
            return pilot.app.screen
    raise AssertionError("no place picker")


async def test_the_folder_is_chosen_in_the_picker_and_used_next_time(
    sample_store: Path, tmp_path: Path, documents: Path
) -> None:
    drives = tmp_path / "drives"
    stick = drives / "stick"
    stick.mkdir(parents=True)
    remember_place(EXPORTS_PLACE, drives)  # the picker opens where it was left
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        assert static_text(app, "#export-folder") == f"Folder: {drives}"  # the last used
        await pilot.press("ctrl+o")
        picker = await wait_for_picker(pilot)
        assert picker.purpose == EXPORTS_PLACE
        await pilot.press("escape")  # cancelled: nothing changes
        await settle(pilot)
        assert isinstance(app.screen, ExportsScreen)
        assert static_text(app, "#export-folder") == f"Folder: {drives}"

        await pilot.press("ctrl+o")
        await wait_for_picker(pilot)
        await pilot.press("down", "f2")  # the tree: drives/, then stick/ below it
        await settle(pilot)
        assert isinstance(app.screen, ExportsScreen)
        assert static_text(app, "#export-folder") == f"Folder: {stick}"
        assert app.screen.query_one("#out-bpjs", Input).value == "bpjs-2024-10-01.xlsx"
        await pilot.press("f2")
        await settle(pilot)
        out = stick / "bpjs-2024-10-01.xlsx"
        assert out.read_bytes().startswith(ZIP_MAGIC)
        assert f"Wrote {out}" in static_text(app, "#export-result")
        assert not (documents / out.name).exists()
    assert last_place(EXPORTS_PLACE) == stick

    # The next time, the exports go to the folder used last, not the documents folder.
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        assert static_text(app, "#export-folder") == f"Folder: {stick}"
        assert "Ctrl+O" in screen_text(app)


@pytest.mark.parametrize("size", [(60, 20), (200, 50)])
async def test_folder_and_names_whole_at_every_width(
    sample_store: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    deep = tmp_path / "Dokumen" / "Pemilu 2029" / "Kelurahan Bandungrejosari" / "BPJS"
    deep.mkdir(parents=True)
    remember_place(EXPORTS_PLACE, deep)
    app = make_app(sample_store, language="id")
    try:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await unlock(pilot)
            await pilot.press("f6")
            await settle(pilot)
            assert isinstance(app.screen, ExportsScreen)
            # The folder line wraps rather than cuts; every file name is shown whole.
            shown = "".join(screen_text(app).split())
            assert "".join(f"Folder: {deep}".split()) in shown
            for name in ("bpjs", "anggaran", "kelengkapan"):
                assert f"{name}-2024-10-01.xlsx" in shown
            for field in app.screen.query(Input):
                assert field.region.width >= len(field.value) + 1
    finally:
        app.close_store()


async def test_the_picker_opens_at_the_folder_shown_when_none_is_remembered(
    sample_store: Path, documents: Path
) -> None:
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        await pilot.press("ctrl+o")
        picker = await wait_for_picker(pilot)
        for _round in range(200):
            if picker.current is not None:
                break
            await pilot.pause(0.02)
        assert picker.current == documents  # not the home folder or the first drive
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ExportsScreen)
        assert static_text(app, "#export-folder") == f"Folder: {documents}"
    assert last_place(EXPORTS_PLACE) == documents
