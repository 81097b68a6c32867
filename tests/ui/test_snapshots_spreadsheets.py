"""SVG snapshots of the import preview, the exports screen and the pay settings at 100×30
(update with `pytest --snapshot-update` and look at the images before committing them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from tests.ui.conftest import (
    NIK_BUDI,
    NIK_SITI,
    add_area,
    create_store,
    fill,
    open_store,
    settle,
)
from tests.ui.test_snapshots import steady, unlock
from textual.pilot import Pilot

from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.screens import exports
from tpsdesk.ui.screens.officer_import import OfficerImportScreen

SIZE = (100, 30)
SnapCompare = Callable[..., bool]
RELATIVE_STORE = Path("desk") / "tpsdesk.store"


@pytest.fixture
def area(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store at a relative path, exports defaulting to a relative folder: same on every run."""
    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()
    monkeypatch.setattr(exports, "export_folder", lambda: Path("out"))
    create_store(RELATIVE_STORE)
    with open_store(RELATIVE_STORE) as store:
        add_area(store)
    return RELATIVE_STORE


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return lambda path: built_apps(path, language="en")


def test_import_preview(area: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["No", "No. KTP", "Nama", "Tgl. Lahir", "L/P", "Alamat", "Jabatan", "TPS"])
    sheet.append([1, NIK_BUDI, "BUDI SANTOSO", "14-03-1985", "L", "Jl. Mawar 1", "kpps_ketua", 1])
    sheet.append([2, NIK_SITI, "SITI AMINAH", "12-08-1990", "P", "Jl. Mawar 2", "linmas", 1])
    sheet.append([3, "3573051403", "NIK PENDEK", "14-03-1985", "L", "Jl. Mawar 3", "ptps", 2])
    sheet.append([4, NIK_BUDI, "BUDI LAGI", "1985", "X", "", "bendahara", 9])
    workbook.save("petugas.xlsx")
    app = snapshot_app(area)

    async def preview(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("escape")  # the picker; the file as if chosen in it
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, OfficerImportScreen)
        screen.read_file(Path("petugas.xlsx"))

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(preview))


def test_exports_screen(area: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(area)

    async def open_exports(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("f6")

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(open_exports))


def test_pay_settings_screen(area: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(area)

    async def open_pay(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        await fill(pilot, "#jkk", "0,2x")

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(open_pay))
