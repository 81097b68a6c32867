"""SECURITY test 31: a backup is restored only into its own store, with its passphrase; a
passphrase change leaves no file of the store (backups, damaged files kept aside) that the old
passphrase opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.factories import FAST_KDF

from tpsdesk.store import vault as vault_module
from tpsdesk.store.vault import (
    NotThisStore,
    PassphraseRequired,
    Vault,
    WrongPassphrase,
    WrongRecoveryKey,
    aside_paths,
)

FAST = FAST_KDF
PASS = "kopi susu pagi hari"
NEW = "teh manis sore hari"


def make_store(folder: Path, saves: int = 2, passphrase: str = PASS) -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tpsdesk.store"
    vault, recovery = Vault.create(path, passphrase, b"first", kdf=FAST)
    for number in range(saves):
        vault.save(f"save {number}".encode())
    vault.close()
    return path, recovery


def listing(folder: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.endswith(".lock")
    }


def read_image(path: Path, passphrase: str = PASS) -> bytes:
    vault, image = Vault.open(path, passphrase)
    vault.close()
    return image


def damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x10
    path.write_bytes(bytes(data))


# -- restore-backup -----------------------------------------------------------------------


def test_another_stores_file_with_the_same_passphrase_is_refused(tmp_path: Path) -> None:
    """Two laptops with one office passphrase: the other's file opens, but is not ours."""
    path, _ = make_store(tmp_path / "mine")
    other, _ = make_store(tmp_path / "theirs")
    damage(path)
    before = listing(path.parent)
    with pytest.raises(NotThisStore) as caught:
        Vault.restore_backup(path, other, PASS)
    assert "another store" in caught.value.message and str(other) in caught.value.message
    assert listing(path.parent) == before


def test_another_stores_file_is_refused_even_when_the_store_file_is_unreadable(
    tmp_path: Path,
) -> None:
    """The store's header is gone; its backups still say which store this is."""
    path, _ = make_store(tmp_path / "mine")
    other, _ = make_store(tmp_path / "theirs")
    path.write_bytes(b"TPSDSTOR" + b"\0" * 40)
    before = listing(path.parent)
    with pytest.raises(NotThisStore):
        Vault.restore_backup(path, other, PASS)
    assert listing(path.parent) == before


def test_a_file_copying_the_store_id_but_not_the_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store id is in clear in every header: a file made elsewhere may carry ours, sealed
    with a key of its maker's. The data keys differ, and that is what is compared."""
    path, _ = make_store(tmp_path / "mine")
    vault, _image = Vault.open(path, PASS)
    our_id = bytes.fromhex(vault.store_id)
    vault.close()
    real = vault_module.secrets.token_bytes

    def copied_id(size: int | None = None) -> bytes:
        return our_id if size == vault_module.STORE_ID_BYTES else real(size)

    forged = tmp_path / "forged" / "tpsdesk.store"
    with monkeypatch.context() as patch:
        patch.setattr(vault_module.secrets, "token_bytes", copied_id)
        Vault.create(forged, PASS, b"forged", kdf=FAST)[0].close()
    forged_vault, _image = Vault.open(forged, PASS)
    assert forged_vault.store_id == our_id.hex()
    forged_vault.close()
    damage(path)
    before = listing(path.parent)
    with pytest.raises(NotThisStore):
        Vault.restore_backup(path, forged, PASS)
    assert listing(path.parent) == before


def test_restore_without_a_passphrase_is_refused(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    before = listing(tmp_path)
    with pytest.raises(PassphraseRequired):
        Vault.restore_backup(path, tmp_path / "tpsdesk.store.bak1", "")
    assert listing(tmp_path) == before


def test_restore_with_a_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    damage(path)
    before = listing(tmp_path)
    with pytest.raises(WrongPassphrase):
        Vault.restore_backup(path, tmp_path / "tpsdesk.store.bak1", "not the passphrase")
    assert listing(tmp_path) == before


def test_own_backup_copied_elsewhere_is_restored(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path / "desk")
    usb = tmp_path / "usb.store"
    usb.write_bytes((path.parent / "tpsdesk.store.bak1").read_bytes())
    damage(path)
    Vault.restore_backup(path, usb, PASS)
    assert read_image(path) == b"save 0"
    assert len(aside_paths(path)) == 1


def test_restore_with_the_recovery_key(tmp_path: Path) -> None:
    path, recovery = make_store(tmp_path / "mine")
    other, _ = make_store(tmp_path / "theirs")
    damage(path)
    with pytest.raises(WrongRecoveryKey):
        Vault.restore_backup(path, other, recovery=recovery)
    Vault.restore_backup(path, path.parent / "tpsdesk.store.bak1", recovery=recovery)
    assert read_image(path) == b"save 0"


def test_unconfirmable_outside_file_is_refused(tmp_path: Path) -> None:
    """Nothing of the store can be read, yet a store file is there: an outside file cannot be
    checked against it, so it is refused; the store's own backup place is trusted."""
    path, _ = make_store(tmp_path / "desk", saves=0)
    usb = tmp_path / "usb.store"
    usb.write_bytes(path.read_bytes())
    path.write_bytes(b"TPSDSTOR" + b"\0" * 40)
    with pytest.raises(NotThisStore) as caught:
        Vault.restore_backup(path, usb, PASS)
    assert "cannot be checked" in caught.value.message


# -- passphrase change: kept-aside files and backups ------------------------------------


def restore_after_damage(path: Path) -> Path:
    """A damaged store restored from its backup; returns the file kept aside."""
    damage(path)
    Vault.restore_backup(path, path.parent / "tpsdesk.store.bak1", PASS)
    (aside,) = aside_paths(path)
    return aside


def test_kept_aside_file_does_not_open_with_the_old_passphrase(tmp_path: Path) -> None:
    """A kept-aside file whose payload is damaged cannot be re-wrapped: it goes, once the
    person confirmed; before the fix it kept the old passphrase (and with it the data key)."""
    path, _ = make_store(tmp_path)
    aside = restore_after_damage(path)
    vault, image = Vault.open(path, PASS)
    plan = vault.rewrap_plan()
    assert aside in plan.unreadable
    left = vault.change_passphrase(NEW, image, remove_unreadable=True)
    vault.close()
    assert left == []
    assert not aside.exists()
    for other in path.parent.iterdir():
        if other.name.endswith(".lock"):
            continue
        with pytest.raises(WrongPassphrase):
            Vault.restore_backup(path, other, PASS)
    assert read_image(path, NEW) == b"save 0"


def test_sound_kept_aside_file_is_rewrapped(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    aside = path.with_name(path.name + ".damaged-20260101T000000Z")
    aside.write_bytes(path.read_bytes())  # restored for another reason: the file is sound
    vault, image = Vault.open(path, PASS)
    assert vault.rewrap_plan().rewrap[-1] == aside
    assert vault.change_passphrase(NEW, image) == []
    vault.close()
    assert read_image(aside, NEW) == b"save 1"
    with pytest.raises(WrongPassphrase):
        read_image(aside, PASS)


def test_unconfirmed_damaged_file_is_kept_and_reported(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    aside = restore_after_damage(path)
    vault, image = Vault.open(path, PASS)
    left = vault.change_passphrase(NEW, image)
    vault.close()
    assert left == [aside] and aside.exists()


def test_backups_are_rewrapped(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, saves=3)
    vault, image = Vault.open(path, PASS)
    assert vault.change_passphrase(NEW, image) == []
    vault.close()
    backups = sorted(tmp_path.glob("tpsdesk.store.bak*"))
    assert len(backups) == 3
    for backup in backups:
        with pytest.raises(WrongPassphrase):
            read_image(backup, PASS)
        read_image(backup, NEW)


def test_damaged_backup_is_removed_once_confirmed(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, saves=3)
    damage(path.with_name(path.name + ".bak1"))
    vault, image = Vault.open(path, PASS)
    (damaged,) = vault.rewrap_plan().unreadable
    assert damaged.name == "tpsdesk.store.bak1"
    # The save rotates bak1 to bak2 first: the damaged file is found again, by its content.
    assert vault.change_passphrase(NEW, image, remove_unreadable=True) == []
    vault.close()
    for backup in tmp_path.glob("tpsdesk.store.bak*"):
        read_image(backup, NEW)
