"""Exports in the app (F6): files written and every path shown, CSV side files, overwrite asked
first, bad names refused; on a real store with five officers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import fill, make_app, running, settle, static_text, unlock
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.ui.screens import exports
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.exports import ExportsScreen
from tpsdesk.ui.screens.pay_settings import PaySettingsScreen

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
        # The defaults: dated names in the documents folder.
        bpjs_default = documents / "bpjs-2024-10-01.xlsx"
        assert app.screen.query_one("#out-bpjs", Input).value == str(bpjs_default)
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

        budget = tmp_path / "anggaran.xlsx"
        await fill(pilot, "#out-budget", str(budget))
        await pilot.press("f4")
        await settle(pilot)
        assert budget.read_bytes().startswith(ZIP_MAGIC)
        assert f"Wrote {budget}" in static_text(app, "#export-result")

        completion = tmp_path / "kelengkapan.csv"
        await fill(pilot, "#out-completion", str(completion))
        await pilot.press("enter")  # Enter in the file name writes that export
        await settle(pilot)
        units = tmp_path / "kelengkapan-units.csv"
        assert completion.exists() and units.exists()
        result = static_text(app, "#export-result")
        assert f"Wrote {completion}" in result and f"Wrote {units}" in result
        assert "of 3 TPS complete" in result


async def test_an_existing_file_is_replaced_only_when_confirmed(
    sample_store: Path, tmp_path: Path
) -> None:
    target = tmp_path / "bpjs.xlsx"
    target.write_bytes(b"the export of last week")
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        await fill(pilot, "#out-bpjs", str(target))
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


async def test_bad_names_and_refusals_are_explained(sample_store: Path, tmp_path: Path) -> None:
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        await fill(pilot, "#out-budget", str(tmp_path / "budget.csv"))  # budget is xlsx only
        await pilot.press("f4")
        await settle(pilot)
        assert "unknown file type .csv" in static_text(app, "#export-result")
        assert not (tmp_path / "budget.csv").exists()

        await fill(pilot, "#out-bpjs", str(tmp_path / "no-such-folder" / "b.xlsx"))
        await pilot.press("f2")
        await settle(pilot)
        assert "does not exist" in static_text(app, "#export-result")

        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, PaySettingsScreen)


async def test_a_store_without_officers_is_told(area_store: Path, tmp_path: Path) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        await fill(pilot, "#out-bpjs", str(tmp_path / "b.xlsx"))
        await pilot.press("f2")
        await settle(pilot)
        assert "There are no officers to export." in static_text(app, "#export-result")
        assert not (tmp_path / "b.xlsx").exists()


async def test_an_unforeseen_failure_shows_no_personal_data(
    sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SECURITY 29: an error's own text may quote a cell (an address); only its kind is shown.
    from tpsdesk.exchange import bpjs_export

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("Jl. RAHASIA No. 5")

    monkeypatch.setattr(bpjs_export, "export_bpjs", broken)
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_exports(pilot)
        out = tmp_path / "b.xlsx"
        await fill(pilot, "#out-bpjs", str(out))
        await pilot.press("f2")
        await settle(pilot)
        shown = static_text(app, "#export-result")
        assert f"The export to {out} failed (ValueError); nothing was written." in shown
        assert "RAHASIA" not in shown
        assert isinstance(app.screen, ExportsScreen) and not app.screen.busy
        assert not out.exists()
