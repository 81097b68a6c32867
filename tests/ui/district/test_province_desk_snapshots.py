"""SVG snapshots of the province desk at 80×24 in Indonesian: its Districts tab (F4) and Files
out (F7) (update with `pytest --snapshot-update` and look at the images before committing).

The province world is built with seeded keys and ids, fixed dates, at relative paths inside
tmp_path, so fingerprints, names and dates are the same on every run."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import SIZE, make_app
from tests.ui.district.test_files_out import quiet
from tests.ui.district.test_files_out_snapshots import _SeededEd25519, _SeededX25519
from tests.ui.district.test_province_desk import ProvinceWorld, build_province_world, open_desk
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.sync import identity
from tpsdesk.ui.app import TpsDeskApp

Steps = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]


@pytest.fixture
def seeded_province(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProvinceWorld]:
    monkeypatch.chdir(tmp_path)
    _SeededEd25519.rng.seed(21)
    _SeededX25519.rng.seed(22)
    ids = random.Random(23)
    monkeypatch.setattr(identity, "Ed25519PrivateKey", _SeededEd25519)
    monkeypatch.setattr(identity, "X25519PrivateKey", _SeededX25519)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=ids.getrandbits(128), version=4))
    world = build_province_world(Path("."))
    yield world
    world.merged.store.close()
    world.waiting.store.close()


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


def steady(key: str) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await open_desk(pilot, key)
        await quiet(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def test_province_districts(
    seeded_province: ProvinceWorld, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    app = indonesian_app(seeded_province.path)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady("f4"))


def test_province_files_out(
    seeded_province: ProvinceWorld, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    app = indonesian_app(seeded_province.path)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady("f7"))
