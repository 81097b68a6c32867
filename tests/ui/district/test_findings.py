"""The desk's Findings tab and the side-by-side screen, driven by keyboard on the sample
district world (`exchange.demo_world`): every kind opened and decided, field-by-field taking
and editing, a refused edit, bulk keep-both, filters, paging, and a decision carried back to
the laptop by its receipt."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    fill,
    make_app,
    running,
    screen_text,
    settle,
    table_rows,
)
from textual.pilot import Pilot
from textual.widgets import DataTable

from tpsdesk.exchange.demo_world import build_world
from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync.district_models import Finding, FindingKind, FindingStatus
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.district.finding_detail import FindingDetailScreen
from tpsdesk.ui.district.findings import FindingsPane


@dataclass(frozen=True)
class World:
    folder: Path
    store: Path
    laptops: list[Path]


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("findings-world")
    path = folder / "district" / "tpsdesk.store"
    store, _key = Store.create(path, PASSPHRASE, role="district", operator="Bu Ani",
                               kdf=FAST_KDF)  # fmt: skip
    try:
        summary = build_world(store, PASSPHRASE, folder / "world", kdf=FAST_KDF)
    finally:
        store.close()
    return World(folder, path, [laptop.store_path for laptop in summary.laptops])


@pytest.fixture
def world(world_template: World, tmp_path: Path) -> World:
    """A fresh copy of the sample world for each test."""
    folder = tmp_path / "w"
    shutil.copytree(world_template.folder, folder)
    moved = [folder / p.relative_to(world_template.folder) for p in world_template.laptops]
    return World(folder, folder / world_template.store.relative_to(world_template.folder), moved)


def findings_of(path: Path, kind: str, status: str = "open") -> list[Finding]:
    with Store.open(path, PASSPHRASE) as store:
        return [f for f in district.list_findings(store) if f.kind == kind and f.status == status]


async def open_findings(pilot: Pilot[Any], kind: str | None = None) -> FindingsPane:
    """Unlock the district store, open the Findings tab (F5), choose a kind."""
    app = pilot.app
    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, DistrictDeskScreen), app.screen
    await pilot.press("f5")
    await settle(pilot)
    pane = app.screen.query_one(FindingsPane)
    if kind is not None:
        pane.choose_kind(kind)
        await settle(pilot)
    pane.query_one("#findings-table", DataTable).focus()
    await pilot.pause()
    return pane


async def open_first(pilot: Pilot[Any]) -> FindingDetailScreen:
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FindingDetailScreen), screen
    return screen


def text(app: TpsDeskApp) -> str:
    return screen_text(app)
