"""SVG snapshots at 80×24 in Indonesian of what issue 10 points 5 and 8 change: a TPS of eleven
Anggota KPPS on the dashboard and in its roster (places filled, not officers counted), and the
officer form refusing the same NIK twice in one TPS (update with `pytest --snapshot-update` and
look at the images before committing them)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import (
    KEC,
    KEL,
    NIK_BUDI,
    SIZE,
    create_store,
    fill,
    officer_fields,
    open_store,
    settle,
    steady_after_unlock,
    type_into,
)
from textual.pilot import Pilot

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.problems import Sex
from tpsdesk.store import areas, officers
from tpsdesk.ui.app import TpsDeskApp

RELATIVE_STORE = Path("desk") / "tpsdesk.store"
Steps = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]


@pytest.fixture
def crowded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TPS 001: Ketua KPPS BUDI and ten Anggota KPPS; TPS 002 of 500 voters, empty."""
    monkeypatch.chdir(tmp_path)
    create_store(RELATIVE_STORE)
    with open_store(RELATIVE_STORE) as store:
        areas.add_kecamatan(store, KEC, "Sukun")
        areas.add_kelurahan(store, KEL, "Bandungrejosari", KEC)
        first = areas.add_tps(store, KEL, 1, "Jl. Mawar 1")
        areas.add_tps(store, KEL, 2, "Jl. Mawar 2", voters=500)
        with store.transaction():
            officers.add_officer(
                store,
                officer_fields(NIK_BUDI, "BUDI SANTOSO", date(1985, 3, 14), Sex.MALE, "kpps_ketua"),
                tps_id=first.id,
            )
            for serial in range(1, 11):
                born = date(1990, 1, serial)
                nik = synthetic_nik(
                    random.Random(serial), region=KEC, birth_date=born, sex=Sex.MALE
                )
                officers.add_officer(
                    store,
                    officer_fields(nik, f"ANGGOTA {chr(64 + serial)}", born, Sex.MALE),
                    tps_id=first.id,
                )
    return RELATIVE_STORE


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return built_apps


steady = steady_after_unlock


async def nothing(pilot: Pilot[Any]) -> None:
    return None


async def open_first_tps(pilot: Pilot[Any]) -> None:
    await pilot.press("enter")
    await settle(pilot)


async def same_nik_in_the_tps(pilot: Pilot[Any]) -> None:
    await open_first_tps(pilot)
    await pilot.press("n")
    await settle(pilot)
    await type_into(pilot, "#nik", NIK_BUDI)
    await settle(pilot)
    await fill(pilot, "#name", "BUDI SANTOSO")
    await fill(pilot, "#birth_place", "MALANG")
    await fill(pilot, "#address", "Jl. Mawar 1 RT 02 RW 03")
    await pilot.press("f2")  # refused: the NIK field has the focus, its reason under it
    await settle(pilot)


def test_dashboard_counts_places(
    crowded: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    app = snapshot_app(crowded)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady(nothing))


def test_roster_of_an_overfilled_post(
    crowded: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    app = snapshot_app(crowded)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady(open_first_tps))


def test_form_refuses_the_same_nik_in_the_tps(
    crowded: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    app = snapshot_app(crowded)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady(same_nik_in_the_tps))
