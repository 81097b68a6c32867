"""SVG snapshots of the desk's Coverage tab at 80×24 in Indonesian (update with
`pytest --snapshot-update` and look at the images before committing them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import PASSPHRASE, SIZE, fill, settle
from tests.ui.district.test_coverage import district_store
from textual.pilot import Pilot

from tpsdesk.ui.app import TpsDeskApp

RELATIVE_STORE = Path("desk") / "tpsdesk.store"
SnapCompare = Callable[..., bool]
Steps = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the header shows the store's path: the same on every run
    district_store(RELATIVE_STORE)
    return RELATIVE_STORE


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return lambda path: built_apps(path, language="id")


def to_coverage(*keys: str) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


def test_coverage_kecamatan(world: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(world)
    assert snap_compare(app, terminal_size=SIZE, run_before=to_coverage())


def test_coverage_tps(world: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(world)
    assert snap_compare(app, terminal_size=SIZE, run_before=to_coverage("down", "enter", "enter"))


def test_coverage_never_sent(world: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(world)
    assert snap_compare(app, terminal_size=SIZE, run_before=to_coverage("n", "down", "enter"))
