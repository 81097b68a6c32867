"""The device's signing key: made once, kept inside the store, new for a copied store."""

from __future__ import annotations

import shutil
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tpsdesk.store.db import Store
from tpsdesk.store.vault import KdfParams
from tpsdesk.sync.fingerprint import normalize_fingerprint
from tpsdesk.sync.identity import device_identity, ensure_device_identity, signing_key

FAST_KDF = KdfParams(iterations=1, memory_kib=64, lanes=1)
PASSPHRASE = "correct horse battery"


def test_identity_is_created_once_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "a.store"
    store, _recovery = Store.create(path, PASSPHRASE, role="district", kdf=FAST_KDF)
    assert device_identity(store) is None
    first = ensure_device_identity(store)
    assert first.role == "district"
    assert first.device_id == store.device_id
    assert normalize_fingerprint(first.fingerprint) is not None
    assert ensure_device_identity(store) == first
    key = signing_key(store)
    assert key is not None
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    store.close()

    reopened = Store.open(path, PASSPHRASE)
    try:
        assert device_identity(reopened) == first
        assert first.to_json() == {
            "role": "district",
            "device_id": reopened.device_id,
            "fingerprint": first.fingerprint,
        }
    finally:
        reopened.close()
    # The private key is sealed inside the store file, never in clear.
    assert seed not in path.read_bytes()


def test_a_copied_store_gets_a_new_key(tmp_path: Path) -> None:
    path = tmp_path / "a.store"
    store, _recovery = Store.create(path, PASSPHRASE, kdf=FAST_KDF)
    original = ensure_device_identity(store)
    store.close()
    (tmp_path / "copy").mkdir()
    copy_path = tmp_path / "copy" / "a.store"
    shutil.copy(path, copy_path)
    copy = Store.open(copy_path, PASSPHRASE)
    try:
        assert copy.device_id != original.device_id
        assert device_identity(copy) is None
        fresh = ensure_device_identity(copy)
        assert fresh.public_key != original.public_key
        assert fresh.fingerprint != original.fingerprint
    finally:
        copy.close()
