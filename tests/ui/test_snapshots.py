"""SVG snapshots of the main screens at 80×24 (update with `pytest --snapshot-update` and look
at the images before committing them).

The store sits at a relative path inside tmp_path, so the path the screens show is the same
on every run; the day is fixed and the officers' NIKs are built, not drawn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    open_store,
    settle,
    type_into,
    type_text,
)
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.ui.app import TpsDeskApp

RELATIVE_STORE = Path("desk") / "tpsdesk.store"
Steps = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]


@pytest.fixture
def at_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return RELATIVE_STORE


@pytest.fixture
def sample(at_tmp: Path) -> Path:
    create_store(at_tmp)
    with open_store(at_tmp) as store:
        add_sample_officers(store, add_area(store))
    return at_tmp


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return lambda path: built_apps(path, language="en")


def steady(steps: Steps | None = None) -> Steps:
    """Run `steps`, wait for background work, and stop the cursors blinking."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if steps is not None:
            await steps(pilot)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


async def unlock(pilot: Pilot[Any]) -> None:
    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)


def test_role_choice_screen(at_tmp: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(at_tmp)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady())


def test_create_screen(at_tmp: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(at_tmp)

    async def field_desk(pilot: Pilot[Any]) -> None:
        await pilot.press("1")

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(field_desk))


def test_unlock_screen(sample: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(sample)

    async def wrong_passphrase(pilot: Pilot[Any]) -> None:
        await fill(pilot, "#passphrase", "not the passphrase")
        await pilot.press("enter")

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(wrong_passphrase))


def test_dashboard(sample: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(sample)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady(unlock))


def test_tps_roster(sample: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(sample)

    async def open_tps(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("enter")

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(open_tps))


def test_officer_form_with_error(
    sample: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    app = snapshot_app(sample)

    async def bad_nik(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "#name", "BUDI SANTOSO")
        await type_into(pilot, "#nik", "357305140385000")  # 15 digits

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(bad_nik))


def test_search_results(sample: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(sample)

    async def search(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await type_text(pilot, "ri")

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(search))
