"""SECURITY.md store test 8: one tpsdesk per store; a lock left by a killed process never blocks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from tests.factories import FAST_KDF

from tpsdesk.store import vault as vault_module
from tpsdesk.store.lock import StoreLock, lock_path_for, store_lock
from tpsdesk.store.vault import StoreLocked, Vault, WrongPassphrase

FAST = FAST_KDF
PASS = "kopi susu pagi hari"


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    path = tmp_path / "tpsdesk.store"
    vault, _ = Vault.create(path, PASS, b"image", kdf=FAST)
    vault.close()
    return path


def test_lock_file_sits_beside_the_store(tmp_path: Path) -> None:
    assert lock_path_for(tmp_path / "tpsdesk.store") == tmp_path / "tpsdesk.store.lock"


def test_second_open_is_refused(store_file: Path) -> None:
    vault, _ = Vault.open(store_file, PASS)
    with pytest.raises(StoreLocked) as caught:
        Vault.open(store_file, PASS)
    assert caught.value.message
    with pytest.raises(StoreLocked):
        Vault.open_with_recovery(store_file, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    vault.close()
    vault, _ = Vault.open(store_file, PASS)
    vault.close()


def test_create_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "tpsdesk.store"
    vault, _ = Vault.create(path, PASS, b"x", kdf=FAST)
    with pytest.raises(StoreLocked):
        Vault.open(path, PASS)
    vault.close()


def test_failed_open_releases_the_lock(store_file: Path) -> None:
    with pytest.raises(WrongPassphrase):
        Vault.open(store_file, "wrong")
    with StoreLock(store_file):
        pass


def test_lock_on_its_own(store_file: Path) -> None:
    with store_lock(store_file) as held:
        assert held.held
        with pytest.raises(StoreLocked):
            Vault.open(store_file, PASS)
        with pytest.raises(StoreLocked), StoreLock(store_file):
            pass
        with pytest.raises(StoreLocked):
            held.acquire()
    assert not held.held
    vault, _ = Vault.open(store_file, PASS)
    vault.close()


def test_lock_released_from_another_thread(store_file: Path) -> None:
    vault, _ = Vault.open(store_file, PASS)
    closer = threading.Thread(target=vault.close)
    closer.start()
    closer.join()
    vault, _ = Vault.open(store_file, PASS)
    vault.close()


def test_leftover_lock_file_does_not_block(store_file: Path) -> None:
    lock_path_for(store_file).write_text("left behind by a crash")
    vault, _ = Vault.open(store_file, PASS)
    vault.close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from tpsdesk.store.vault import Vault
    vault, _ = Vault.open(sys.argv[1], sys.argv[2])
    print("open", flush=True)
    time.sleep(60)
    """
)


def test_another_process_is_refused_and_its_death_frees_the_lock(
    store_file: Path, tmp_path: Path
) -> None:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    env = {**os.environ, "PYTHONPATH": str(Path(vault_module.__file__).parents[2])}
    child = subprocess.Popen(
        [sys.executable, str(script), str(store_file), PASS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"open"
        with pytest.raises(StoreLocked):
            Vault.open(store_file, PASS)
    finally:
        child.kill()  # SIGKILL: no cleanup code runs in the child
        child.communicate()
    assert lock_path_for(store_file).exists()  # the file stays; the OS lock went with the process
    vault, image = Vault.open(store_file, PASS)
    vault.close()
    assert image == b"image"
