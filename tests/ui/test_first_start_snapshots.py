"""SVG snapshots at 80×24, in Indonesian, of the first start (both steps), the dashboard's
election banner and the pay settings of a new store (where the values come from). Update with
`pytest --snapshot-update` and look at the images first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import (
    SIZE,
    TODAY,
    add_area,
    add_sample_officers,
    create_store,
    open_store,
    settle,
    steady_after_unlock,
)
from textual.pilot import Pilot

from tpsdesk.domain.pay import PaySettings
from tpsdesk.store.election import begin_first_start, set_first_start_step
from tpsdesk.store.pay_settings import save_pay_settings, set_duty_period
from tpsdesk.ui.app import TpsDeskApp

RELATIVE_STORE = Path("desk") / "tpsdesk.store"
Steps = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]


@pytest.fixture
def at_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the header shows the store's path: the same on every run
    return RELATIVE_STORE


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return built_apps


steady = steady_after_unlock


def test_first_start_area_step(at_tmp: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    create_store(at_tmp)
    with open_store(at_tmp) as store:
        begin_first_start(store)
    assert snap_compare(snapshot_app(at_tmp), terminal_size=SIZE, run_before=steady())


def test_first_start_election_step(
    at_tmp: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    create_store(at_tmp)
    with open_store(at_tmp) as store:
        begin_first_start(store)
        add_area(store)
    assert snap_compare(snapshot_app(at_tmp), terminal_size=SIZE, run_before=steady())


def test_dashboard_election_banners(
    at_tmp: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    """Settings saved more than a year ago and a PTPS added after the PTPS period ended."""
    create_store(at_tmp)
    with open_store(at_tmp) as store:
        add_sample_officers(store, add_area(store))
        set_duty_period(store, "ptps", date(2024, 8, 1), date(2024, 9, 1))
        save_pay_settings(store, PaySettings(), today=date(2023, 8, 17))
    assert snap_compare(snapshot_app(at_tmp), terminal_size=SIZE, run_before=steady())


def test_dashboard_steps_put_off(
    at_tmp: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    create_store(at_tmp)
    with open_store(at_tmp) as store:
        begin_first_start(store)
        set_first_start_step(store, "area", "later")
        set_first_start_step(store, "election", "later")
    assert snap_compare(snapshot_app(at_tmp), terminal_size=SIZE, run_before=steady())


def test_pay_settings_of_a_new_store(
    at_tmp: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    """The top: where the values come from and the posts without an honorarium."""
    create_store(at_tmp)
    with open_store(at_tmp) as store:
        add_area(store)

    async def open_settings(pilot: Pilot[Any]) -> None:
        await pilot.press("e")
        await settle(pilot)

    assert date(2024, 10, 1) == TODAY  # the snapshot's periods are Pilkada 2024's, not past
    assert snap_compare(snapshot_app(at_tmp), terminal_size=SIZE, run_before=steady(open_settings))


def test_pay_settings_posts(at_tmp: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    """Every post has an honorarium field; those without one say "belum diisi"."""
    create_store(at_tmp)
    with open_store(at_tmp) as store:
        add_area(store)

    async def open_and_scroll(pilot: Pilot[Any]) -> None:
        await pilot.press("e")
        await settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#pay").scroll_to_widget(
            screen.query_one(".post-heading"), top=True, animate=False
        )

    assert snap_compare(
        snapshot_app(at_tmp), terminal_size=SIZE, run_before=steady(open_and_scroll)
    )
