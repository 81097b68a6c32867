"""`restore-backup`, `passphrase change` and `backups` on real stores (SECURITY test 31)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tpsdesk.cli import main
from tpsdesk.i18n import set_language
from tpsdesk.store.vault import aside_paths

from .conftest import PASSPHRASE

NEW = "kuda kedua lebih panjang lagi"


@pytest.fixture(autouse=True)
def _reset_language() -> Any:
    yield
    set_language("en")


def run(runner: CliRunner, *args: str, **kwargs: Any) -> Result:
    return runner.invoke(main, ["--lang", "en", *args], catch_exceptions=False, **kwargs)


def init(runner: CliRunner, *args: str) -> str:
    """A store with a few saves (so it has backups); returns its recovery key."""
    created = run(runner, "init", *args)
    assert created.exit_code == 0, created.output
    key = re.search(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)\s*$", created.stdout, re.M)
    assert key is not None
    assert run(runner, "demo", "--officers", "3", *args).exit_code == 0
    return key.group(1)


def damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x10
    path.write_bytes(bytes(data))


def files(folder: Path) -> dict[str, bytes]:
    """The folder's files but the lock file (created once by the first try, and harmless)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith(".lock")
    }


def test_restore_backup_prompts_for_the_passphrase(runner: CliRunner, store_path: Path) -> None:
    init(runner)
    damage(store_path)
    before = files(store_path.parent)
    no_env = {"TPSDESK_PASSPHRASE": None}
    wrong = run(runner, "restore-backup", "1", env=no_env, input="not the passphrase\n")
    assert wrong.exit_code == 1
    assert "Passphrase" in wrong.stderr and "Wrong passphrase" in wrong.stderr
    assert files(store_path.parent) == before
    right = run(runner, "restore-backup", "1", env=no_env, input=PASSPHRASE + "\n")
    assert right.exit_code == 0, right.output
    assert "Restored" in right.stdout
    assert run(runner, "identity").exit_code == 0


def test_restore_backup_of_another_store_is_refused(
    runner: CliRunner, store_path: Path, tmp_path: Path
) -> None:
    """Another laptop's store, same office passphrase: it opens, but it is not ours."""
    init(runner)
    other = tmp_path / "other" / "tpsdesk.store"
    init(runner, "--store", str(other))
    damage(store_path)
    before = files(store_path.parent)
    refused = run(runner, "restore-backup", str(other))
    assert refused.exit_code == 1
    assert "another store" in refused.stderr and "Nothing was changed" in refused.stderr
    assert "Traceback" not in refused.output
    assert files(store_path.parent) == before


def test_restore_backup_with_the_recovery_key(
    runner: CliRunner, store_path: Path, tmp_path: Path
) -> None:
    """Passphrase forgotten and store damaged: the recovery key restores this store's backup,
    a new passphrase is set, and the damaged file kept aside (under the forgotten passphrase)
    goes once confirmed."""
    key = init(runner)
    damage(store_path)
    key_file = tmp_path / "key.txt"
    key_file.write_text(key + "\n")
    restored = run(
        runner,
        "restore-backup",
        "1",
        "--recovery-key-file",
        str(key_file),
        env={"TPSDESK_PASSPHRASE": None, "TPSDESK_NEW_PASSPHRASE": NEW},
        input="y\n",
    )
    assert restored.exit_code == 0, restored.output
    assert "still opens with the old passphrase" in restored.stderr
    assert aside_paths(store_path) == []
    assert run(runner, "identity", env={"TPSDESK_PASSPHRASE": NEW}).exit_code == 0
    assert run(runner, "identity").exit_code == 1


def test_recover_names_damaged_files_it_leaves(
    runner: CliRunner, store_path: Path, tmp_path: Path
) -> None:
    key = init(runner)
    damage(store_path)
    assert run(runner, "restore-backup", "1").exit_code == 0
    (aside,) = aside_paths(store_path)
    key_file = tmp_path / "key.txt"
    key_file.write_text(key + "\n")
    args = ("recover", "--recovery-key-file", str(key_file))
    kept = run(runner, *args, env={"TPSDESK_NEW_PASSPHRASE": NEW}, input="n\n")
    assert kept.exit_code == 1
    assert "still open with the old passphrase" in kept.stderr and str(aside) in kept.stderr
    assert aside.exists()
    removed = run(runner, *args, "--yes", env={"TPSDESK_NEW_PASSPHRASE": NEW + " lagi"})
    assert removed.exit_code == 0, removed.output
    assert not aside.exists()


def damaged_aside(runner: CliRunner, store_path: Path) -> Path:
    init(runner)
    damage(store_path)
    assert run(runner, "restore-backup", "1").exit_code == 0
    (aside,) = aside_paths(store_path)
    return aside


def test_passphrase_change_asks_before_removing_a_damaged_kept_aside_file(
    runner: CliRunner, store_path: Path
) -> None:
    aside = damaged_aside(runner, store_path)
    listed = run(runner, "backups")
    assert str(aside) in listed.stdout
    new_env = {"TPSDESK_NEW_PASSPHRASE": NEW}
    declined = run(runner, "passphrase", "change", env=new_env, input="n\n")
    assert declined.exit_code == 1
    assert str(aside) in declined.stderr and "not changed" in declined.stderr
    assert aside.exists()
    assert run(runner, "identity").exit_code == 0  # still the old passphrase

    accepted = run(runner, "passphrase", "change", env=new_env, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert not aside.exists()
    assert run(runner, "identity", env={"TPSDESK_PASSPHRASE": NEW}).exit_code == 0


def test_passphrase_change_yes_removes_without_asking(runner: CliRunner, store_path: Path) -> None:
    aside = damaged_aside(runner, store_path)
    changed = run(
        runner, "passphrase", "change", "--yes", env={"TPSDESK_NEW_PASSPHRASE": NEW}, input=""
    )
    assert changed.exit_code == 0, changed.output
    assert not aside.exists()
    # No file of the store opens with the old passphrase any more.
    for other in store_path.parent.iterdir():
        if ".bak" in other.name:
            refused = run(runner, "restore-backup", str(other))
            assert refused.exit_code == 1 and "Wrong passphrase" in refused.stderr
