"""80×24 Indonesian snapshots of the area screen: the list, a TPS delete refused (its officers
said first), removing an empty kelurahan, renaming. Update with `pytest --snapshot-update`
and look at the images before committing them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import (
    SIZE,
    add_area,
    add_sample_officers,
    create_store,
    make_app,
    open_store,
    settle,
    unlock,
)
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.store import areas
from tpsdesk.ui.app import TpsDeskApp

RELATIVE_STORE = Path("desk") / "tpsdesk.store"
SnapCompare = Callable[..., bool]
Steps = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Kecamatan Sukun, kelurahan Bandungrejosari (TPS 001–003, five officers at 001 and 002)
    and an empty kelurahan Kebonsari, at a relative path: the same on every run."""
    monkeypatch.chdir(tmp_path)
    create_store(RELATIVE_STORE)
    with open_store(RELATIVE_STORE) as store:
        add_sample_officers(store, add_area(store))
        areas.add_kelurahan(store, "35.73.05.1002", "Kebonsari", "35.73.05")
        areas.add_tps(store, "35.73.05.1002", 1, "Balai RW 4")
    return RELATIVE_STORE


@pytest.fixture
def indonesian_app() -> Iterator[Callable[[Path], TpsDeskApp]]:
    apps: list[TpsDeskApp] = []

    def build(path: Path) -> TpsDeskApp:
        app = make_app(path, language="id")
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close_store()


def on_area(*keys: str) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await unlock(pilot)
        await pilot.press("f2")
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def test_area_screen(sample: Path, indonesian_app: Any, snap_compare: SnapCompare) -> None:
    assert snap_compare(indonesian_app(sample), terminal_size=SIZE, run_before=on_area())


def test_tps_delete_refused_first(
    sample: Path, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    steps = on_area("down", "down", "delete")
    assert snap_compare(indonesian_app(sample), terminal_size=SIZE, run_before=steps)


def test_remove_empty_kelurahan_asks(
    sample: Path, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    steps = on_area("down", "down", "down", "down", "down", "delete")
    assert snap_compare(indonesian_app(sample), terminal_size=SIZE, run_before=steps)


def test_rename_kelurahan(sample: Path, indonesian_app: Any, snap_compare: SnapCompare) -> None:
    steps = on_area("down", "r")
    assert snap_compare(indonesian_app(sample), terminal_size=SIZE, run_before=steps)


def test_office_sheet_problems(
    sample: Path, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    from openpyxl import Workbook

    from tpsdesk.ui.screens.area import AreaScreen

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DAFTAR TPS KECAMATAN SUKUN"])
    sheet.append(["Kode Kec.", "Kecamatan", "Kode Kel./Desa", "Kel./Desa", "No. TPS", "Alamat"])
    sheet.append(["35.73.05", "Sukun", "35.73.05.1003", "Gadang", 1, "Jl. Kenari"])
    sheet.append([None, None, "35.73.05.1003", "Gadang", 1, None])
    sheet.append([None, None, "35.73.05.1003", "[b]Gadang Baru[/b]", "x", None])
    sheet.merge_cells("A3:A5")
    sheet.merge_cells("B3:B5")
    workbook.save("daftar.xlsx")

    async def import_it(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, AreaScreen)
        screen.import_file(Path("daftar.xlsx"))

    async def run(pilot: Pilot[Any]) -> None:
        await on_area()(pilot)
        await import_it(pilot)
        await settle(pilot)
        await pilot.pause()

    assert snap_compare(indonesian_app(sample), terminal_size=SIZE, run_before=run)
