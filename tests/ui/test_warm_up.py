"""The warm-up after unlocking (ui/warm_up.py): what a first keystroke would pay, paid ahead."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.ui.conftest import FAST_KDF, create_store, running, settle, unlock

from tpsdesk.ui.app import WARM_UP_DELAY_S, build_app
from tpsdesk.ui.warm_up import release, ui_modules, warm_up


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()  # each test starts from nothing frozen, whatever ran before on this worker
    yield
    gc.unfreeze()  # whatever a failed test left frozen goes back to the collector


def test_ui_modules_lists_the_screens_opened_on_a_key() -> None:
    modules = ui_modules()
    assert "tpsdesk.ui.screens.help" in modules
    assert "tpsdesk.ui.district.finding_detail" in modules
    assert "tpsdesk.ui.widgets.places" in modules
    assert "tpsdesk.ui.warm_up" in modules
    assert all(name.startswith("tpsdesk.ui.") for name in modules)


def test_warm_up_imports_every_screen_and_freezes_until_released() -> None:
    warm_up()
    assert set(ui_modules()) <= set(sys.modules)
    assert "babel.numbers" in sys.modules
    assert gc.get_freeze_count() > 0
    release()
    assert gc.get_freeze_count() == 0


async def test_the_program_warms_up_after_unlocking_and_releases_when_closed(
    store_path: Path,
) -> None:
    create_store(store_path)
    app = build_app(store_path, language="id", kdf=FAST_KDF, warm_up=True)
    app.animation_level = "none"
    async with running(app) as pilot:
        assert gc.get_freeze_count() == 0  # nothing before the store is open
        await unlock(pilot)
        await pilot.pause(WARM_UP_DELAY_S + 0.5)  # it waits a moment after the store opens
        await settle(pilot)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


async def test_tests_and_scripts_start_without_the_warm_up(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm_ups: list[str] = []
    monkeypatch.setattr("tpsdesk.ui.warm_up.warm_up", lambda *_args: warm_ups.append("warmed up"))
    create_store(store_path)
    app = build_app(store_path, language="en", kdf=FAST_KDF)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.pause(WARM_UP_DELAY_S + 0.5)
        await settle(pilot)
        assert warm_ups == []
        assert gc.get_freeze_count() == 0


def test_a_warm_up_called_off_by_a_closing_app_freezes_nothing() -> None:
    # The app closed (released) while its warm-up still imported: nothing stays frozen.
    warm_up(lambda: True)
    assert gc.get_freeze_count() == 0
