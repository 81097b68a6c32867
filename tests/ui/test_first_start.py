"""First start of a new field store (the area, then the election's settings, each can be put
off), the dashboard's election banner, and the pay settings drawn only once loaded."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    TODAY,
    add_area,
    add_sample_officers,
    create_store,
    fill,
    make_app,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
    unlock,
)
from tests.ui.test_sync_screen import SETUP_NAME, World, choose_file, flat, world  # noqa: F401
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.domain.election import DONE, LATER
from tpsdesk.domain.pay import PaySettings
from tpsdesk.store import pay_settings as pay_store
from tpsdesk.store.db import Store
from tpsdesk.store.election import (
    begin_first_start,
    election_saved_on,
    first_start_state,
)
from tpsdesk.store.pay_settings import save_pay_settings, set_duty_period
from tpsdesk.ui.app import build_app
from tpsdesk.ui.screens.area import AreaScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.first_start import FirstStartScreen
from tpsdesk.ui.screens.pay_settings import PaySettingsScreen
from tpsdesk.ui.screens.sync_screen import FingerprintDialog, SyncScreen
from tpsdesk.ui.widgets.places import remember_place


def new_field_store(path: Path) -> None:
    """A field store as the create screen makes it: its first start still to come."""
    create_store(path)
    with open_store(path) as store:
        begin_first_start(store)


def state(path: Path) -> dict[str, str | None] | None:
    with open_store(path) as store:
        return first_start_state(store)


async def to_first_start(pilot: Pilot[Any]) -> FirstStartScreen:
    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FirstStartScreen)
    return screen


def banner(app: Any) -> str:
    return " ".join(static_text(app, "#election-banner").split())


# -- the first start --------------------------------------------------------------------------


async def test_put_off_twice_the_dashboard_says_so_and_e_opens_the_settings(
    store_path: Path,
) -> None:
    new_field_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await to_first_start(pilot)
        text = screen_text(app)
        assert "Step 1 of 2" in text and "setup file" in text
        await pilot.press("l")
        await settle(pilot)
        assert "Step 2 of 2" in screen_text(app)
        await pilot.press("2")  # the second choice of step 2 is "Later" too
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        said = banner(app)
        assert "No area yet (put off at the first start)" in said and "F7" in said
        assert "Election settings put off" in said and "Press E" in said
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, PaySettingsScreen)
    assert state(store_path) == {"area": LATER, "election": LATER}


async def test_put_off_steps_are_not_asked_again_and_an_unfinished_one_is(
    store_path: Path,
) -> None:
    new_field_store(store_path)
    with open_store(store_path) as store:
        from tpsdesk.store.election import set_first_start_step

        set_first_start_step(store, "area", LATER)
    app = make_app(store_path)
    async with running(app) as pilot:
        await to_first_start(pilot)
        assert "Step 2 of 2" in screen_text(app)  # step 1 was put off before


async def test_by_hand_then_settings_saved_ends_on_a_quiet_dashboard(store_path: Path) -> None:
    new_field_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await to_first_start(pilot)
        await pilot.press("2")  # set up by hand
        await settle(pilot)
        assert isinstance(app.screen, AreaScreen)
        await pilot.press("escape")  # back without an area: the step is still open
        await settle(pilot)
        assert isinstance(app.screen, FirstStartScreen)
        text = screen_text(app)
        assert "Step 1 of 2" in text and "No area yet. Choose again" in text

        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, AreaScreen)
        add_area(app.require_store())  # as the area screen's forms would
        await pilot.press("escape")
        await settle(pilot)
        assert "Step 2 of 2" in screen_text(app)

        await pilot.press("enter")  # the first choice: open the election settings
        await settle(pilot)
        assert isinstance(app.screen, PaySettingsScreen)
        assert "Not saved yet" in static_text(app, "#source")
        await pilot.press("escape")  # nothing saved: the step stays open
        await settle(pilot)
        assert "The settings are not saved yet" in screen_text(app)
        await pilot.press("1")
        await settle(pilot)
        await fill(pilot, "#hon-ptps", "750.000")
        await pilot.press("f2")
        await settle(pilot)
        assert "Saved on this laptop on 01-10-2024" in static_text(app, "#source")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert not app.screen.query_one("#election-banner").display
        store = app.require_store()
        assert election_saved_on(store) == TODAY
    assert state(store_path) == {"area": DONE, "election": DONE}


async def test_enrol_from_the_first_start_then_the_setup_files_periods(world: World) -> None:  # noqa: F811
    remember_place("setup-file", world.usb)
    with Store.open(world.laptop_path, PASSPHRASE) as store:
        begin_first_start(store)
    app = make_app(world.laptop_path)
    async with running(app) as pilot:
        await to_first_start(pilot)
        await pilot.press("1")  # enrol: the sync screen's picker opens at once
        await choose_file(pilot, SETUP_NAME)
        assert isinstance(app.screen, FingerprintDialog)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "enrolled with Kota Malang" in flat(screen_text(app))
        await pilot.press("escape")  # the message: back to the first start at once
        await settle(pilot)
        assert not isinstance(app.screen, SyncScreen)
        assert "Step 2 of 2" in screen_text(app)
        await pilot.press("1")
        await settle(pilot)
        assert "from the district's setup file" in static_text(app, "#source")


async def test_a_store_without_a_first_start_opens_on_the_dashboard(area_store: Path) -> None:
    app = make_app(area_store)  # made before the first start existed, or by `tpsdesk init`
    async with running(app) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert not app.screen.query_one("#election-banner").display


# -- the settings -----------------------------------------------------------------------------


async def test_every_post_has_an_honorarium_and_a_past_period_is_warned(
    area_store: Path,
) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PaySettingsScreen)
        store = app.require_store()
        for post in store.catalogue.posts:
            field = screen.query_one(f"#hon-{post.code}", Input)
            assert field.display
        # Where the values come from, and what has none (DOMAIN.md gives five amounts).
        source = " ".join(static_text(app, "#source").split())
        assert "those of Pilkada 2024" in source
        # A post with no places to fill needs no honorarium (Sekretariat Panwascam: 0).
        assert "Sekretariat Panwascam" not in source and "PTPS" in source
        assert "No honorarium yet for: Anggota PPK" in source and "PTPS" in source
        assert screen.query_one("#hon-ppk_ketua", Input).value == "2,500,000"
        assert screen.query_one("#hon-ptps", Input).placeholder == "not set"

        await fill(pilot, "#start-ptps", "01-09-2024")
        await fill(pilot, "#end-ptps", "30-09-2024")  # the day before TODAY
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = flat(static_text(app, "#question"))
        assert "ended before today (01-10-2024): PTPS 30-09-2024." in question
        assert "Save them anyway?" in screen_text(app)
        await pilot.press("n")  # check again: nothing saved
        await settle(pilot)
        assert app.screen is screen
        assert election_saved_on(store) is None
        ptps = store.catalogue.get("ptps")
        assert ptps is not None and ptps.duty_end == date(2024, 12, 4)

        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("y")  # saved anyway: late registrations of a past election
        await settle(pilot)
        ptps = store.catalogue.get("ptps")
        assert ptps is not None and ptps.duty_end == date(2024, 9, 30)
        assert election_saved_on(store) == TODAY


async def test_pay_settings_show_nothing_before_the_saved_values(
    area_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(area_store) as store:
        save_pay_settings(store, PaySettings(honoraria={"kpps_anggota": 123456}))
    release = threading.Event()
    real_load = pay_store.load_pay_settings

    def slow_load(store: Store) -> PaySettings:
        release.wait(10)
        return real_load(store)

    monkeypatch.setattr("tpsdesk.ui.screens.pay_settings.load_pay_settings", slow_load)
    app = make_app(area_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("e")
        for _round in range(5):
            await pilot.pause(0.02)
        screen = app.screen
        assert isinstance(screen, PaySettingsScreen)
        assert not screen.query_one("#pay").display  # no default drawn meanwhile
        assert "Reading the saved settings" in screen_text(app)
        assert "850,000" not in screen_text(app)
        await pilot.press("f2")  # nothing to save yet
        release.set()
        await settle(pilot)
        assert screen.query_one("#pay").display
        assert screen.query_one("#hon-kpps_anggota", Input).value == "123,456"
        assert "Reading the saved settings" not in screen_text(app)


# -- the banners --------------------------------------------------------------------------------


async def test_settings_saved_more_than_a_year_ago_get_a_banner(store_path: Path) -> None:
    create_store(store_path)
    with open_store(store_path) as store:
        add_area(store)
        save_pay_settings(store, PaySettings(), today=date(2023, 9, 30))  # 367 days before
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        said = banner(app)
        assert "saved on 30-09-2023, more than a year ago" in said and "Press E" in said

    with open_store(store_path) as store:
        save_pay_settings(store, PaySettings(), today=date(2023, 10, 1))  # 366 days: still old
        save_pay_settings(store, PaySettings(), today=date(2023, 10, 2))  # 365 days: not
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        assert not app.screen.query_one("#election-banner").display


async def test_never_saved_defaults_of_a_past_election_get_a_banner(area_store: Path) -> None:
    app = build_app(area_store, language="en", kdf=FAST_KDF, today=date(2026, 12, 6))
    async with running(app) as pilot:
        await unlock(pilot)
        assert "those of a past election (Pilkada 2024)" in banner(app)
        await pilot.press("e")
        await settle(pilot)
        source = " ".join(static_text(app, "#source").split())
        assert "Every duty period shown ended more than a year ago" in source
        await pilot.press("f2")  # nothing typed, but every period is a past election's
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = flat(static_text(app, "#question"))
        assert "Every duty period ended more than a year ago (the last on 24-01-2025)" in question
        await pilot.press("n")
        await settle(pilot)
        assert election_saved_on(app.require_store()) is None


async def test_officers_changed_after_a_period_ended_get_a_banner(sample_store: Path) -> None:
    # The sample's PTPS (HENDRA GUNAWAN) was added today (the real clock): after 01-09-2024.
    with open_store(sample_store) as store:
        set_duty_period(store, "ptps", date(2024, 8, 1), date(2024, 9, 1), today=TODAY)
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        said = banner(app)
        assert "Officers added or changed after their duty period ended" in said
        assert "PTPS: 1 officer after 01-09-2024" in said
        assert "Ketua KPPS" not in said  # its period is not over


async def test_a_period_over_without_later_changes_says_nothing(store_path: Path) -> None:
    create_store(store_path)
    with open_store(store_path) as store:
        add_sample_officers(store, add_area(store))
        set_duty_period(store, "ptps", date(2024, 8, 1), date(2099, 9, 1), today=TODAY)
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        assert not app.screen.query_one("#election-banner").display


async def test_f9_keeps_the_first_start(store_path: Path) -> None:
    new_field_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await to_first_start(pilot)
        await pilot.press("l")  # step 1 put off
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, FirstStartScreen)
        assert "Langkah 2 dari 2" in screen_text(app)


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (200, 50)])
async def test_first_start_and_banners_fit_every_width_in_indonesian(
    store_path: Path, size: tuple[int, int]
) -> None:
    new_field_store(store_path)
    app = make_app(store_path, language="id")
    try:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await to_first_start(pilot)
            text = flat(screen_text(app))
            assert "Langkah 1 dari 2" in text
            assert "(biasanya)" in text and "secara manual" in text and "3 Nanti" in text
            await pilot.press("l")
            await settle(pilot)
            await pilot.press("l")
            await settle(pilot)
            text = flat(screen_text(app))
            assert "F2 mengisinya secara manual." in text
            assert "Tekan E untuk mengisinya." in text
    finally:
        app.close_store()
