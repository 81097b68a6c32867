"""SVG snapshots of Files out (F7 on the district desk) at 80×24 in Indonesian (update with
`pytest --snapshot-update` and look at the images before committing them).

The sample world is built with seeded keys and ids and sits at relative paths inside
tmp_path, so fingerprints, file names and folders are the same on every run."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from tests.ui.conftest import SIZE, screen_text
from tests.ui.district.test_files_out import kpj_file, make_world, open_files_out, quiet
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.sync import identity
from tpsdesk.sync.outbox import ALL_KELURAHAN
from tpsdesk.ui.app import TpsDeskApp

RELATIVE_STORE = Path("desk") / "tpsdesk.store"
Steps = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]


class _SeededEd25519:
    rng = random.Random(9)

    @classmethod
    def generate(cls) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(cls.rng.randbytes(32))

    from_private_bytes = staticmethod(Ed25519PrivateKey.from_private_bytes)


class _SeededX25519:
    rng = random.Random(10)

    @classmethod
    def generate(cls) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(cls.rng.randbytes(32))

    from_private_bytes = staticmethod(X25519PrivateKey.from_private_bytes)


@pytest.fixture
def seeded_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    _SeededEd25519.rng.seed(9)
    _SeededX25519.rng.seed(10)
    ids = random.Random(11)
    monkeypatch.setattr(identity, "Ed25519PrivateKey", _SeededEd25519)
    monkeypatch.setattr(identity, "X25519PrivateKey", _SeededX25519)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=ids.getrandbits(128), version=4))
    make_world(RELATIVE_STORE)
    return RELATIVE_STORE


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return lambda path: built_apps(path, language="id")


def steady(steps: Steps) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await steps(pilot)
        await quiet(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def test_files_out_list(seeded_world: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(seeded_world)

    async def steps(pilot: Pilot[Any]) -> None:
        await open_files_out(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(steps))


def test_setup_area_list(seeded_world: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(seeded_world)

    async def steps(pilot: Pilot[Any]) -> None:
        await open_files_out(pilot)
        await pilot.press("s")

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(steps))


def test_setup_files_written(
    seeded_world: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    app = snapshot_app(seeded_world)
    Path("stick").mkdir()

    async def steps(pilot: Pilot[Any]) -> None:
        pane = await open_files_out(pilot)
        pane.write_setup_files(ALL_KELURAHAN, Path("stick"))
        await quiet(pilot)
        text = screen_text(pilot.app)
        assert "Bacakan sidik jari ini" in text

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(steps))


def test_receipts_written(seeded_world: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(seeded_world)
    Path("receipts").mkdir()

    async def steps(pilot: Pilot[Any]) -> None:
        pane = await open_files_out(pilot)
        pane.write_receipts(Path("receipts"))
        await quiet(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(steps))


def test_kpj_preview(seeded_world: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    app = snapshot_app(seeded_world)
    kpj_file(seeded_world, Path("kpj.csv"))

    async def steps(pilot: Pilot[Any]) -> None:
        pane = await open_files_out(pilot)
        pane.preview_participants(Path("kpj.csv"))

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(steps))
