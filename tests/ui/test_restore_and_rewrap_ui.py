"""SECURITY test 31 in the app: F7 on the unlock screen restores only this store's backup;
a passphrase change (F8) removes damaged kept-aside files only after a confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    add_area,
    create_store,
    fill,
    make_app,
    open_store,
    running,
    settle,
    static_text,
    unlock,
)
from textual.pilot import Pilot

from tpsdesk.store.vault import Vault, WrongPassphrase, aside_paths
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.settings import SettingsScreen
from tpsdesk.ui.screens.unlock import RecoverScreen, UnlockScreen

NEW_PASSPHRASE = "pohon mangga di halaman kantor"


def damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-40] ^= 0x01  # inside the sealed body, past the header
    path.write_bytes(bytes(data))


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.endswith(".lock")}


async def test_f7_refuses_another_stores_file_in_the_backup_place(
    store_path: Path, tmp_path: Path
) -> None:
    create_store(store_path)
    with open_store(store_path) as store:
        add_area(store)
    other = tmp_path / "other" / "tpsdesk.store"
    Vault.create(other, PASSPHRASE, b"another laptop", kdf=FAST_KDF)[0].close()
    backup = store_path.with_name(store_path.name + ".bak1")
    backup.write_bytes(other.read_bytes())  # planted where the app looks for backups
    damage(store_path)
    before = files(store_path.parent)

    app = make_app(store_path)
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert app.screen.backup == backup
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert app.store is None
        assert "another store" in static_text(app, "#error")
    assert files(store_path.parent) == before


async def test_f7_asks_for_the_passphrase(store_path: Path) -> None:
    create_store(store_path)
    with open_store(store_path) as store:
        add_area(store)
    damage(store_path)
    before = files(store_path.parent)
    app = make_app(store_path)
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        await fill(pilot, "#passphrase", "")
        await pilot.press("f7")
        await settle(pilot)
        assert "Enter the passphrase" in static_text(app, "#error")
        await fill(pilot, "#passphrase", "not the passphrase at all")
        await pilot.press("f7")
        await settle(pilot)
        assert app.store is None
        assert "Wrong passphrase" in static_text(app, "#error")
    assert files(store_path.parent) == before


async def change(pilot: Pilot[None]) -> None:
    await fill(pilot, "#current", PASSPHRASE)
    await fill(pilot, "#new", NEW_PASSPHRASE)
    await fill(pilot, "#confirm", NEW_PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)


async def test_passphrase_change_confirms_removing_a_damaged_kept_aside_file(
    store_path: Path,
) -> None:
    create_store(store_path)
    with open_store(store_path) as store:
        add_area(store)
    damage(store_path)
    Vault.restore_backup(store_path, store_path.with_name(store_path.name + ".bak1"), PASSPHRASE)
    (aside,) = aside_paths(store_path)

    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        await change(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert str(aside) in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert "not changed" in static_text(app, "#error")
        assert aside.exists()
        assert app.require_store().check_passphrase(PASSPHRASE)

        await change(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert static_text(app, "#error") == ""
    assert not aside.exists()
    with pytest.raises(WrongPassphrase):
        open_store(store_path)
    open_store(store_path, NEW_PASSPHRASE).close()


async def test_f6_recovery_confirms_removing_a_damaged_kept_aside_file(store_path: Path) -> None:
    recovery_key = create_store(store_path)
    with open_store(store_path) as store:
        add_area(store)
    damage(store_path)
    Vault.restore_backup(store_path, store_path.with_name(store_path.name + ".bak1"), PASSPHRASE)
    (aside,) = aside_paths(store_path)

    app = make_app(store_path)
    async with running(app) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, RecoverScreen)
        await fill(pilot, "#recovery", recovery_key)
        await fill(pilot, "#passphrase", NEW_PASSPHRASE)
        await fill(pilot, "#confirm", NEW_PASSPHRASE)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert str(aside) in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.store is not None
    assert not aside.exists()
