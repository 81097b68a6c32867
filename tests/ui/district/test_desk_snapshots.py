"""SVG snapshots of the first run and the desk's frame at 80×24 in Indonesian (update with
`pytest --snapshot-update` and look at the images before committing them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import FAST_KDF, PASSPHRASE, SIZE, fill, make_app, settle
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.store.db import Store
from tpsdesk.ui.app import TpsDeskApp

RELATIVE_STORE = Path("kantor") / "tpsdesk.store"
SnapCompare = Callable[..., bool]


@pytest.fixture
def at_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return RELATIVE_STORE


@pytest.fixture
def indonesian_app() -> Iterator[Callable[[Path], TpsDeskApp]]:
    apps: list[TpsDeskApp] = []

    def build(path: Path) -> TpsDeskApp:
        app = make_app(path, language=None)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close_store()


def steady(steps: Callable[[Pilot[Any]], Any] | None = None) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if steps is not None:
            await steps(pilot)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def test_role_choice(at_tmp: Path, indonesian_app: Any, snap_compare: SnapCompare) -> None:
    assert snap_compare(indonesian_app(at_tmp), terminal_size=SIZE, run_before=steady())


def test_district_store_creation(
    at_tmp: Path, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    async def district_office(pilot: Pilot[Any]) -> None:
        await pilot.press("2")

    assert snap_compare(
        indonesian_app(at_tmp), terminal_size=SIZE, run_before=steady(district_office)
    )


def test_district_name_asked_over_the_empty_desk(
    at_tmp: Path, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    store, _key = Store.create(
        at_tmp, PASSPHRASE, role="district", operator="Pak Hadi", kdf=FAST_KDF
    )
    store.close()

    async def unlock(pilot: Pilot[Any]) -> None:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        await fill(pilot, "#name", "Kota Malang")

    assert snap_compare(indonesian_app(at_tmp), terminal_size=SIZE, run_before=steady(unlock))
