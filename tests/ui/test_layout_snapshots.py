"""Indonesian snapshots of the field desk at its narrowest (60×20) and at 80×24: columns sized
to what they hold, footers that keep F1 and F10, help listing every key, the passphrase
message (update with `pytest --snapshot-update` and look at the images before committing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import (
    PASSPHRASE,
    SIZE,
    add_area,
    add_sample_officers,
    create_store,
    fill,
    make_app,
    open_store,
    settle,
)
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.store import officers
from tpsdesk.store.models import OfficerStatus
from tpsdesk.ui.app import TpsDeskApp

NARROW = (60, 20)
Steps = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample officers at a relative path (the same on every run); one needs fixing and
    one is registered with BPJS, the two longest statuses."""
    monkeypatch.chdir(tmp_path)
    path = Path("desk") / "tpsdesk.store"
    create_store(path)
    with open_store(path) as store:
        add_sample_officers(store, add_area(store))
        first, second = officers.list_officers(store)[:2]
        officers.set_status(store, first.id, OfficerStatus.NEEDS_FIX, "NIK ganda")
        officers.set_status(store, second.id, OfficerStatus.ENROLLED)
    return path


@pytest.fixture
def app(sample: Path) -> Iterator[TpsDeskApp]:
    desk = make_app(sample, language="id")
    yield desk
    desk.close_store()


def steady(*keys: str, open_store: bool = True) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if open_store:
            await fill(pilot, "#passphrase", PASSPHRASE)
            await pilot.press("enter")
            await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def test_roster_at_80x24(app: TpsDeskApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=steady("enter"))


def test_roster_at_60x20(app: TpsDeskApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=NARROW, run_before=steady("enter"))


def test_dashboard_at_60x20(app: TpsDeskApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=NARROW, run_before=steady())


def test_kelurahan_roster_at_60x20(app: TpsDeskApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=NARROW, run_before=steady("t", "down", "enter"))


def test_help_on_the_dashboard(app: TpsDeskApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=steady("f1"))


def test_wrong_passphrase(app: TpsDeskApp, snap_compare: SnapCompare) -> None:
    async def wrong(pilot: Pilot[Any]) -> None:
        await fill(pilot, "#passphrase", "BUKAN KATA SANDI")
        await pilot.press("enter")
        await settle(pilot)
        pilot.app.screen.query_one("#passphrase", Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=wrong)
