"""This store's identity for sync: its role, device id and Ed25519 signing key.

The private key lives only inside the encrypted store (StoreMeta, which is never synced). It
belongs to one device id: a store copied elsewhere or restored from a backup gets a new device
id from the store layer, and with it a new key here, so the copy cannot pass for the original
laptop.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from tpsdesk.store.versioning import audit, get_meta, set_meta, state_of
from tpsdesk.sync.fingerprint import fingerprint

if TYPE_CHECKING:
    from tpsdesk.store.db import Store

# StoreMeta key: {"device_id": str, "private_key": base64 of the raw 32-byte Ed25519 seed}.
META_SIGNING_KEY = "device_signing_key"


@dataclass(frozen=True)
class DeviceIdentity:
    role: str  # "field" | "district"
    device_id: str
    public_key: bytes  # raw Ed25519, 32 bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "device_id": self.device_id, "fingerprint": self.fingerprint}


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _load_key(value: Any, device_id: str) -> Ed25519PrivateKey | None:
    """The stored key if it is well formed and belongs to `device_id`, else None."""
    if not isinstance(value, dict) or value.get("device_id") != device_id:
        return None
    try:
        seed = base64.b64decode(str(value.get("private_key", "")), validate=True)
        return Ed25519PrivateKey.from_private_bytes(seed)
    except (binascii.Error, ValueError):
        return None


def signing_key(store: Store) -> Ed25519PrivateKey | None:
    """This device's signing key, or None if it has none yet (see `ensure_device_identity`)."""
    with store.read() as session:
        return _load_key(get_meta(session, META_SIGNING_KEY), store.device_id)


def device_identity(store: Store) -> DeviceIdentity | None:
    """The identity as it is now, without creating anything."""
    key = signing_key(store)
    if key is None:
        return None
    return DeviceIdentity(role=store.role, device_id=store.device_id, public_key=_raw_public(key))


def ensure_device_identity(store: Store) -> DeviceIdentity:
    """The identity, creating this device's signing key (and saving the store) if it has none."""
    identity = device_identity(store)
    if identity is not None:
        return identity
    with store.transaction() as session:
        key = _load_key(get_meta(session, META_SIGNING_KEY), store.device_id)
        if key is None:
            key = Ed25519PrivateKey.generate()
            seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            set_meta(
                session,
                META_SIGNING_KEY,
                {"device_id": store.device_id, "private_key": base64.b64encode(seed).decode()},
            )
            audit(session, state_of(session), "signing_key_create", table_name="store_meta")
    return DeviceIdentity(role=store.role, device_id=store.device_id, public_key=_raw_public(key))
