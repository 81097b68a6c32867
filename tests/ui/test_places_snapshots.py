"""SVG snapshots of the place picker at 80×24 in Indonesian (update with `pytest
--snapshot-update` and look at the images before committing them).

The fake stick lives at a fixed path under the temporary folder and the list of places is
given, so the picture does not depend on the machine; file times are fixed and shown in UTC."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import SIZE, fill, make_app, settle
from tests.ui.test_places import make_world, world_places
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.widgets.places import PlacePicker, PlaceTree, remember_place

SnapCompare = Callable[..., bool]


@pytest.fixture
def fixed_world(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Path]]:
    root = Path(tempfile.gettempdir()) / f"tpsdesk-places-{request.node.name}"
    shutil.rmtree(root, ignore_errors=True)
    monkeypatch.setenv("TZ", "UTC")
    if hasattr(time, "tzset"):
        time.tzset()
    yield make_world(root)
    shutil.rmtree(root, ignore_errors=True)
    monkeypatch.undo()
    if hasattr(time, "tzset"):
        time.tzset()


@pytest.fixture
def picker_app(tmp_path: Path) -> Iterator[TpsDeskApp]:
    app = make_app(tmp_path / "desk" / "tpsdesk.store", language="id")
    yield app
    app.close_store()


def open_picker(
    screen: PlacePicker, line: int, then: Callable[[Pilot[Any]], Any] | None = None
) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.push_screen(screen)
        await settle(pilot)
        tree = pilot.app.screen.query_one(PlaceTree)
        tree.cursor_line = line
        await settle(pilot)
        if then is not None:
            await then(pilot)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def test_folder_picker(
    fixed_world: dict[str, Path], picker_app: TpsDeskApp, snap_compare: SnapCompare
) -> None:
    remember_place("inbox", fixed_world["stick"])
    screen = PlacePicker(
        "inbox", title="Pilih folder paket masuk", places=lambda: world_places(fixed_world)
    )
    assert snap_compare(picker_app, terminal_size=SIZE, run_before=open_picker(screen, 2))


def test_file_picker(
    fixed_world: dict[str, Path], picker_app: TpsDeskApp, snap_compare: SnapCompare
) -> None:
    screen = PlacePicker(
        "setup-file",
        title="Pilih berkas penyiapan",
        kind="file",
        suffixes=(".tpsb",),
        places=lambda: world_places(fixed_world),
    )
    assert snap_compare(picker_app, terminal_size=SIZE, run_before=open_picker(screen, 3))


def test_new_folder_refused(
    fixed_world: dict[str, Path], picker_app: TpsDeskApp, snap_compare: SnapCompare
) -> None:
    screen = PlacePicker(
        "receipts", title="Pilih folder tanda terima", places=lambda: world_places(fixed_world)
    )

    async def bad_name(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+n")
        await settle(pilot)
        await fill(pilot, "#name", "kirim:2024")
        await pilot.press("f2")

    assert snap_compare(picker_app, terminal_size=SIZE, run_before=open_picker(screen, 0, bad_name))


def test_typing(
    fixed_world: dict[str, Path], picker_app: TpsDeskApp, snap_compare: SnapCompare
) -> None:
    for name in ("data", "desa-1", "desa-2", "Dokumen", "foto"):
        (fixed_world["stick"] / name).mkdir()
    screen = PlacePicker(
        "inbox",
        title="Pilih folder paket masuk",
        places=lambda: world_places(fixed_world),
        clock=lambda: 1.0,
    )

    async def type_des(pilot: Pilot[Any]) -> None:
        await pilot.press("d", "e", "s")

    assert snap_compare(picker_app, terminal_size=SIZE, run_before=open_picker(screen, 0, type_des))


def test_typing_no_match(
    fixed_world: dict[str, Path], picker_app: TpsDeskApp, snap_compare: SnapCompare
) -> None:
    screen = PlacePicker(
        "inbox",
        title="Pilih folder paket masuk",
        places=lambda: world_places(fixed_world),
        clock=lambda: 1.0,
    )

    async def type_xyz(pilot: Pilot[Any]) -> None:
        await pilot.press("x", "y", "z")

    assert snap_compare(picker_app, terminal_size=SIZE, run_before=open_picker(screen, 1, type_xyz))
