"""Identities: a field device's signing key (new for a copied store) and the district's two
key pairs (kept when the district store moves), both sealed inside the store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from tests.factories import FAST_KDF

from tpsdesk.store.db import Store, StoreError
from tpsdesk.sync.fingerprint import fingerprint, fingerprints_match, normalize_fingerprint
from tpsdesk.sync.hpke import x25519_fingerprint
from tpsdesk.sync.identity import (
    WrongRole,
    device_identity,
    district_encryption_key,
    district_fingerprint,
    district_identity,
    district_settings,
    district_signing_key,
    ensure_device_identity,
    ensure_district_identity,
    normalize_district_code,
    set_district_settings,
    signing_key,
)

PASSPHRASE = "correct horse battery"


def test_field_identity_is_created_once_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "a.store"
    store, _recovery = Store.create(path, PASSPHRASE, kdf=FAST_KDF)
    assert device_identity(store) is None
    first = ensure_device_identity(store)
    assert first.role == "field"
    assert first.device_id == store.device_id
    assert first.fingerprint == fingerprint(first.public_key)
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
            "role": "field",
            "device_id": reopened.device_id,
            "fingerprint": first.fingerprint,
        }
        assert district_identity(reopened) is None
        with pytest.raises(WrongRole):
            ensure_district_identity(reopened)
        with pytest.raises(WrongRole):
            set_district_settings(reopened, name="Kota Malang", code="35.73")
    finally:
        reopened.close()
    # The private key is sealed inside the store file, never in clear.
    assert seed not in path.read_bytes()


def test_a_copied_field_store_gets_a_new_key(tmp_path: Path) -> None:
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


def test_district_identity_has_two_keys_and_one_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "d.store"
    store, _recovery = Store.create(path, PASSPHRASE, role="district", kdf=FAST_KDF)
    assert district_identity(store) is None and device_identity(store) is None
    district = ensure_district_identity(store)
    assert ensure_district_identity(store) == district
    assert district.device_id == store.device_id
    assert len(district.signing_public) == 32 and len(district.encryption_public) == 32
    # The fingerprint covers both keys; the encryption key has its own as well.
    assert district.fingerprint == district_fingerprint(
        district.signing_public, district.encryption_public
    )
    assert district.fingerprint != fingerprint(district.signing_public)
    assert district.encryption_fingerprint == x25519_fingerprint(district.encryption_public)
    assert normalize_fingerprint(district.fingerprint) is not None
    # The device identity of a district store is the district identity.
    device = ensure_device_identity(store)
    assert device.role == "district"
    assert device.public_key == district.signing_public
    assert device.fingerprint == district.fingerprint
    data = device.to_json()
    assert {"role", "device_id", "fingerprint"} <= set(data)
    assert data["encryption_fingerprint"] == district.encryption_fingerprint
    # The private keys are the ones the public keys come from.
    sign = district_signing_key(store)
    assert sign.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == (
        district.signing_public
    )
    enc = district_encryption_key(store)
    assert enc.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == (
        district.encryption_public
    )
    secret = enc.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    seed = sign.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    assert signing_key(store) is not None
    store.close()
    data_file = path.read_bytes()
    assert secret not in data_file and seed not in data_file


def test_district_keys_stay_when_the_store_moves(tmp_path: Path) -> None:
    path = tmp_path / "d.store"
    store, _recovery = Store.create(path, PASSPHRASE, role="district", kdf=FAST_KDF)
    original = ensure_district_identity(store)
    store.close()
    (tmp_path / "new-pc").mkdir()
    moved_path = tmp_path / "new-pc" / "d.store"
    shutil.copy(path, moved_path)
    moved = Store.open(moved_path, PASSPHRASE)
    try:
        assert moved.device_id != original.device_id
        again = district_identity(moved)
        assert again is not None
        assert again.fingerprint == original.fingerprint
    finally:
        moved.close()


def test_district_fingerprint_changes_with_either_key() -> None:
    a, b = bytes(range(32)), bytes(range(1, 33))
    base = district_fingerprint(a, b)
    assert district_fingerprint(b, a) != base
    assert district_fingerprint(a, bytes(32)) != base
    assert district_fingerprint(bytes(32), b) != base
    digits = normalize_fingerprint(base)
    assert digits is not None
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert not fingerprints_match(base, typo)
    with pytest.raises(ValueError):
        district_fingerprint(a[:31], b)


def test_district_settings(tmp_path: Path) -> None:
    store, _recovery = Store.create(tmp_path / "d.store", PASSPHRASE, role="district", kdf=FAST_KDF)
    try:
        assert district_settings(store) is None
        set_district_settings(store, name="  Kota   Malang ", code="3573")
        assert district_settings(store) is not None
        settings = district_settings(store)
        assert settings is not None
        assert (settings.name, settings.code) == ("Kota Malang", "35.73")
        set_district_settings(store, code="35.07")
        settings = district_settings(store)
        assert settings is not None and settings.code == "35.07"
        with pytest.raises(StoreError):
            set_district_settings(store, code="35")
        with pytest.raises(StoreError):
            set_district_settings(store, name="   ")
    finally:
        store.close()


@pytest.mark.parametrize("raw", ["35.73", "3573", " 35.73 "])
def test_district_code_forms(raw: str) -> None:
    assert normalize_district_code(raw) == "35.73"


@pytest.mark.parametrize("raw", ["", "35", "35.00", "05.73", "35.7", "35.73.05", "3a.73"])
def test_bad_district_codes(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_district_code(raw)
