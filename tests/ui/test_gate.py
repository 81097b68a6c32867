"""First run (create the store, recovery key), unlock, locked and damaged stores, recovery."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import (
    KEC,
    PASSPHRASE,
    add_area,
    create_store,
    fill,
    make_app,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
)
from textual.widgets import Input

from tpsdesk.store import areas
from tpsdesk.store.db import Store
from tpsdesk.store.passphrase import passphrase_strength
from tpsdesk.store.vault import normalize_recovery_key
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.screens.create_store import CreateStoreScreen, RecoveryKeyScreen
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.district_settings import DistrictSettingsScreen
from tpsdesk.ui.screens.first_start import FirstStartScreen
from tpsdesk.ui.screens.role_choice import RoleChoiceScreen
from tpsdesk.ui.screens.unlock import RecoverScreen, UnlockScreen

WEAK = "aaaaaaaaaaaa"
NEW_PASSPHRASE = "lupa kata sandi lama sekali"


async def test_first_run_creates_the_store_and_checks_the_recovery_key(store_path: Path) -> None:
    assert not passphrase_strength(WEAK).acceptable
    app = make_app(store_path)
    async with running(app) as pilot:
        assert isinstance(app.screen, RoleChoiceScreen)
        await pilot.press("enter")  # the first choice: a kelurahan/kecamatan desk
        await settle(pilot)
        assert isinstance(app.screen, CreateStoreScreen)
        await fill(pilot, "#operator", "Bu Sri")

        await fill(pilot, "#passphrase", WEAK)
        assert "Strength:" in static_text(app, "#strength")
        await fill(pilot, "#confirm", WEAK)
        await pilot.press("f2")
        await settle(pilot)
        assert "This passphrase is too weak." in static_text(app, "#error")
        assert isinstance(app.screen, CreateStoreScreen)
        assert not store_path.exists()

        await fill(pilot, "#passphrase", PASSPHRASE)
        await fill(pilot, "#confirm", PASSPHRASE + "x")
        await pilot.press("enter")
        await settle(pilot)
        assert "The two passphrases differ." in static_text(app, "#error")
        # Both emptied (which one is mistyped is unknown), the first focused to type again.
        assert app.screen.query_one("#confirm", Input).value == ""
        assert app.screen.query_one("#passphrase", Input).value == ""
        assert app.screen.focused is app.screen.query_one("#passphrase", Input)
        assert static_text(app, "#strength") == ""
        assert not store_path.exists()

        await fill(pilot, "#passphrase", PASSPHRASE)
        await fill(pilot, "#confirm", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        recovery_key = app.screen.recovery_key
        assert recovery_key in screen_text(app)
        assert store_path.exists()
        await pilot.press("f9")  # would rebuild the screens and lose the key
        await settle(pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        assert recovery_key in screen_text(app)

        last_four = normalize_recovery_key(recovery_key)[-4:]
        wrong = "0000" if last_four != "0000" else "1111"
        await fill(pilot, "#check", wrong)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        assert "does not match the end of the key" in static_text(app, "#error")

        await fill(pilot, "#check", last_four.lower())
        await pilot.press("f2")
        await settle(pilot)
        # The first start (tests/ui/test_first_start.py) comes over the dashboard: put off.
        assert isinstance(app.screen, FirstStartScreen)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "No area yet" in screen_text(app)
    with Store.open(store_path, PASSPHRASE) as store:
        assert store.operator == "Bu Sri"
        assert store.role == "field"
    with Store.open_with_recovery(store_path, recovery_key, NEW_PASSPHRASE) as store:
        assert store.operator == "Bu Sri"


async def test_first_run_as_the_district_office_opens_the_desk(store_path: Path) -> None:
    app = make_app(store_path)
    async with running(app) as pilot:
        assert isinstance(app.screen, RoleChoiceScreen)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, CreateStoreScreen)
        assert "district office" in screen_text(app)
        await pilot.press("escape")  # back to the choice
        await settle(pilot)
        assert isinstance(app.screen, RoleChoiceScreen)
        await pilot.press("down", "enter")
        await settle(pilot)
        await fill(pilot, "#operator", "Pak Hadi")
        await fill(pilot, "#passphrase", PASSPHRASE)
        await fill(pilot, "#confirm", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        recovery_key = app.screen.recovery_key
        await fill(pilot, "#check", normalize_recovery_key(recovery_key)[-4:])
        await pilot.press("f2")
        await settle(pilot)
        # A new district store asks its name and code first, over the desk.
        assert isinstance(app.screen, DistrictSettingsScreen)
        await fill(pilot, "#name", "Kota Malang")
        await fill(pilot, "#code", "35.7")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DistrictSettingsScreen)
        assert static_text(app, "#error")
        await fill(pilot, "#code", "35.73")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert "Kota Malang (35.73)" in screen_text(app)
    with Store.open(store_path, PASSPHRASE) as store:
        assert store.role == "district"
        assert store.operator == "Pak Hadi"


async def test_unlock_refuses_a_wrong_passphrase_and_opens_with_the_right_one(
    store_path: Path,
) -> None:
    create_store(store_path)
    before = store_path.read_bytes()
    app = make_app(store_path)
    async with running(app) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press("enter")
        assert "Enter the passphrase." in static_text(app, "#error")

        await fill(pilot, "#passphrase", "not the passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert app.store is None
        assert "Wrong passphrase, or the store file was altered." in screen_text(app)
        # Caps Lock and the keyboard layout are suggested before any backup.
        error = static_text(app, "#error")
        assert error.index("Caps Lock") < error.index("keyboard") < error.index("backup")
        assert store_path.read_bytes() == before

        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.store is not None


async def test_a_store_open_elsewhere_is_reported_as_locked(store_path: Path) -> None:
    create_store(store_path)
    with open_store(store_path):
        app = make_app(store_path)
        async with running(app) as pilot:
            await fill(pilot, "#passphrase", PASSPHRASE)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, UnlockScreen)
            assert app.store is None
            assert "already open in another tpsdesk" in static_text(app, "#error")


async def test_a_damaged_store_names_its_backup_and_f7_restores_it(store_path: Path) -> None:
    create_store(store_path)
    with open_store(store_path) as store:
        add_area(store)
        device_before = store.device_id
        backups = store.backups()
    assert backups
    data = bytearray(store_path.read_bytes())
    data[-40] ^= 0x01  # inside the sealed body, past the header
    store_path.write_bytes(bytes(data))

    app = make_app(store_path)
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        error = static_text(app, "#error")
        assert "The store file is damaged." in error
        assert app.screen.backup is not None
        assert app.screen.backup.name in error.replace("\n", "")
        assert "Press F7" in error

        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        store = app.require_store()
        # The backup's version counters were used after it was taken: a new device id.
        assert store.device_id != device_before
        assert [k.code for k in areas.list_kecamatan(store)] == [KEC]
    assert list(store_path.parent.glob("*.damaged-*"))
    with open_store(store_path) as reopened:
        assert reopened.device_id != device_before


async def test_f6_resets_the_passphrase_with_the_recovery_key(store_path: Path) -> None:
    recovery_key = create_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, RecoverScreen)

        await fill(pilot, "#recovery", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
        await fill(pilot, "#passphrase", NEW_PASSPHRASE)
        await fill(pilot, "#confirm", NEW_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecoverScreen)
        assert static_text(app, "#error")
        assert app.store is None

        await fill(pilot, "#recovery", recovery_key.lower())
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.store is not None
    with Store.open(store_path, NEW_PASSPHRASE) as store:
        assert store.operator == "Bu Sri"
