"""This store's identity for sync: its role, device id and keys.

Field store: an Ed25519 signing key belonging to the device id, and an X25519 key the district
encrypts its receipts to (announced, signed, in every bundle header). The private keys live
only inside the encrypted store (StoreMeta, which is never synced). A store copied elsewhere or
restored from a backup gets a new device id from the store layer, and with it new keys here,
so the copy cannot pass for the original laptop. The X25519 keys of earlier device ids are
kept: a receipt the district wrote for an earlier id must still open.

District store: the district identity — an Ed25519 signing key (setup files, receipts) and an
X25519 key (HPKE: laptops encrypt their bundles to it). Every enrolled laptop has pinned these
two public keys, so they belong to the district, not to the device id: a district store moved
to another computer keeps them (it still gets a new device id, which versions its own edits).
The fingerprint people compare by phone covers both keys. The district's name and kabupaten/kota
code are settings of the district store (`set_district_settings`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from tpsdesk.i18n import _
from tpsdesk.store.db import OFFICE_ROLES, StoreError
from tpsdesk.store.models import utcnow
from tpsdesk.store.versioning import audit, get_meta, set_meta, state_of
from tpsdesk.sync.fingerprint import fingerprint, fingerprint_digits, format_fingerprint
from tpsdesk.sync.hpke import x25519_fingerprint

if TYPE_CHECKING:
    from tpsdesk.store.db import Store

# StoreMeta key: {"device_id": str, "private_key": base64 of the raw 32-byte Ed25519 seed}.
META_SIGNING_KEY = "device_signing_key"
# StoreMeta key of a field store: {device_id: base64 raw X25519 private key} — the receipt keys
# of this store's device ids (earlier ones kept, see the module docstring).
META_RECEIPT_KEYS = "device_receipt_keys"
# StoreMeta key of a district store: {"signing_key": base64 raw Ed25519 seed, "encryption_key":
# base64 raw X25519 private key, "created_at": ISO UTC}. Not tied to the device id (see above).
META_DISTRICT_KEYS = "district_keys"
# Settings (Store.get_setting/set_setting) of a district store.
SETTING_DISTRICT_NAME = "district_name"
SETTING_DISTRICT_CODE = "district_code"

DISTRICT_FINGERPRINT_LABEL = b"tpsdesk/district-fingerprint/v1\x00"
KEY_BYTES = 32
MAX_DISTRICT_NAME = 100

_DISTRICT_CODE_DOTTED = re.compile(r"(?a)(\d{2})\.(\d{2})")
_DISTRICT_CODE_PLAIN = re.compile(r"(?a)(\d{2})(\d{2})")


class WrongRole(StoreError):
    """An operation for the other kind of store (district vs field)."""


def district_fingerprint(signing_public: bytes, encryption_public: bytes) -> str:
    """The district fingerprint people compare: digits of a labelled hash of both public keys.

    Both keys are raw 32-byte keys, concatenated with their algorithm names, so replacing either
    key changes the fingerprint.
    """
    if len(signing_public) != KEY_BYTES or len(encryption_public) != KEY_BYTES:
        raise ValueError("district public keys are 32 bytes each")
    material = b"ed25519\x00" + signing_public + b"x25519\x00" + encryption_public
    return format_fingerprint(fingerprint_digits(material, label=DISTRICT_FINGERPRINT_LABEL))


@dataclass(frozen=True)
class DeviceIdentity:
    role: str  # "field" | "district"
    device_id: str
    public_key: bytes  # raw Ed25519, 32 bytes
    # A district's X25519 key: then `fingerprint` is the district fingerprint of both keys.
    encryption_public: bytes | None = None
    # A laptop's X25519 key for receipts (raw public). Not part of its fingerprint: the bundle
    # header that announces it is signed by the key the fingerprint names.
    receipt_public: bytes | None = None

    @property
    def fingerprint(self) -> str:
        if self.encryption_public is not None:
            return district_fingerprint(self.public_key, self.encryption_public)
        return fingerprint(self.public_key)

    @property
    def encryption_fingerprint(self) -> str | None:
        if self.encryption_public is None:
            return None
        return x25519_fingerprint(self.encryption_public)

    def to_json(self) -> dict[str, str]:
        data = {"role": self.role, "device_id": self.device_id, "fingerprint": self.fingerprint}
        encryption = self.encryption_fingerprint
        if encryption is not None:
            data["encryption_fingerprint"] = encryption
        return data


@dataclass(frozen=True)
class DistrictIdentity:
    """A district store's public identity (its private keys never leave the store)."""

    device_id: str
    signing_public: bytes  # raw Ed25519
    encryption_public: bytes  # raw X25519

    @property
    def fingerprint(self) -> str:
        """What people compare by phone: covers both keys."""
        return district_fingerprint(self.signing_public, self.encryption_public)

    @property
    def encryption_fingerprint(self) -> str:
        """The fingerprint of the X25519 key alone (as a bundle header's recipient names it)."""
        return x25519_fingerprint(self.encryption_public)

    def to_json(self) -> dict[str, str]:
        return {
            "role": "district",
            "device_id": self.device_id,
            "fingerprint": self.fingerprint,
            "encryption_fingerprint": self.encryption_fingerprint,
            "signing_key": base64.b64encode(self.signing_public).decode("ascii"),
            "encryption_key": base64.b64encode(self.encryption_public).decode("ascii"),
        }


@dataclass(frozen=True)
class DistrictSettings:
    name: str
    code: str  # kabupaten/kota code "PP.KK"


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _raw_x25519_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _b64_private(value: Any) -> bytes | None:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == KEY_BYTES else None


def _load_key(value: Any, device_id: str) -> Ed25519PrivateKey | None:
    """The stored key if it is well formed and belongs to `device_id`, else None."""
    if not isinstance(value, dict) or value.get("device_id") != device_id:
        return None
    seed = _b64_private(value.get("private_key", ""))
    if seed is None:
        return None
    return Ed25519PrivateKey.from_private_bytes(seed)


def _load_district_keys(value: Any) -> tuple[Ed25519PrivateKey, X25519PrivateKey] | None:
    if not isinstance(value, dict):
        return None
    seed = _b64_private(value.get("signing_key", ""))
    secret = _b64_private(value.get("encryption_key", ""))
    if seed is None or secret is None:
        return None
    return Ed25519PrivateKey.from_private_bytes(seed), X25519PrivateKey.from_private_bytes(secret)


def _district_keys(store: Store) -> tuple[Ed25519PrivateKey, X25519PrivateKey] | None:
    if store.role not in OFFICE_ROLES:
        return None
    with store.read() as session:
        return _load_district_keys(get_meta(session, META_DISTRICT_KEYS))


# -- district ----------------------------------------------------------------------------------


def _require_district(store: Store) -> None:
    if store.role not in OFFICE_ROLES:
        raise WrongRole(
            _("This is a field store; only a district store (tpsdesk init --district) has that.")
        )


def district_identity(store: Store) -> DistrictIdentity | None:
    """The district identity as it is now, without creating anything (None on a field store)."""
    keys = _district_keys(store)
    if keys is None:
        return None
    signing, encryption = keys
    return DistrictIdentity(
        device_id=store.device_id,
        signing_public=_raw_public(signing),
        encryption_public=_raw_x25519_public(encryption),
    )


def ensure_district_identity(store: Store) -> DistrictIdentity:
    """The district identity, creating both key pairs (and saving the store) if it has none."""
    _require_district(store)
    identity = district_identity(store)
    if identity is not None:
        return identity
    with store.transaction() as session:
        if _load_district_keys(get_meta(session, META_DISTRICT_KEYS)) is None:
            signing = Ed25519PrivateKey.generate()
            encryption = X25519PrivateKey.generate()
            set_meta(
                session,
                META_DISTRICT_KEYS,
                {
                    "signing_key": base64.b64encode(
                        signing.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
                    ).decode("ascii"),
                    "encryption_key": base64.b64encode(
                        encryption.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
                    ).decode("ascii"),
                    "created_at": utcnow().isoformat(),
                },
            )
            audit(session, state_of(session), "district_keys_create", table_name="store_meta")
    identity = district_identity(store)
    assert identity is not None
    return identity


def district_signing_key(store: Store) -> Ed25519PrivateKey:
    """The district's Ed25519 private key (setup files, receipts); created if missing."""
    ensure_district_identity(store)
    keys = _district_keys(store)
    assert keys is not None
    return keys[0]


def district_encryption_key(store: Store) -> X25519PrivateKey:
    """The district's X25519 private key (to open bundles); created if missing."""
    ensure_district_identity(store)
    keys = _district_keys(store)
    assert keys is not None
    return keys[1]


def normalize_district_code(raw: str) -> str:
    """A kabupaten/kota code "PP.KK" from "35.73" or "3573"; ValueError (translated) otherwise."""
    text = "".join(raw.split()) if isinstance(raw, str) else ""
    m = _DISTRICT_CODE_DOTTED.fullmatch(text) or _DISTRICT_CODE_PLAIN.fullmatch(text)
    if m is None or int(m[1]) < 11 or m[2] == "00":
        raise ValueError(
            _("A kabupaten/kota code looks like 35.73 (province, then regency or city).")
        )
    return f"{m[1]}.{m[2]}"


def set_district_settings(
    store: Store, *, name: str | None = None, code: str | None = None
) -> None:
    """Set the district's name and/or code (district stores only), in one transaction."""
    _require_district(store)
    clean_name = None if name is None else " ".join(name.split())
    if clean_name is not None and not 0 < len(clean_name) <= MAX_DISTRICT_NAME:
        raise StoreError(
            _("The district name must be 1 to {n} characters.").format(n=MAX_DISTRICT_NAME)
        )
    try:
        clean_code = None if code is None else normalize_district_code(code)
    except ValueError as exc:
        raise StoreError(str(exc)) from exc
    with store.transaction():
        if clean_name is not None:
            store.set_setting(SETTING_DISTRICT_NAME, clean_name)
        if clean_code is not None:
            store.set_setting(SETTING_DISTRICT_CODE, clean_code)


def district_settings(store: Store) -> DistrictSettings | None:
    """A district store's own name and code, once both are set (else None).

    On a field store, the district it trusts is in `tpsdesk.sync.setup.installed_setup`.
    """
    if store.role not in OFFICE_ROLES:
        return None
    name = store.get_setting(SETTING_DISTRICT_NAME)
    code = store.get_setting(SETTING_DISTRICT_CODE)
    if not isinstance(name, str) or not isinstance(code, str) or not name or not code:
        return None
    return DistrictSettings(name=name, code=code)


# -- every store ---------------------------------------------------------------------------


def signing_key(store: Store) -> Ed25519PrivateKey | None:
    """This store's signing key (a district's is the district key), or None if it has none yet.

    See `ensure_device_identity`.
    """
    if store.role in OFFICE_ROLES:
        keys = _district_keys(store)
        return None if keys is None else keys[0]
    with store.read() as session:
        return _load_key(get_meta(session, META_SIGNING_KEY), store.device_id)


def device_identity(store: Store) -> DeviceIdentity | None:
    """The identity as it is now, without creating anything."""
    if store.role in OFFICE_ROLES:
        district = district_identity(store)
        if district is None:
            return None
        return DeviceIdentity(
            role=store.role,
            device_id=store.device_id,
            public_key=district.signing_public,
            encryption_public=district.encryption_public,
        )
    key = signing_key(store)
    if key is None:
        return None
    receipt = receipt_key(store)
    return DeviceIdentity(
        role=store.role,
        device_id=store.device_id,
        public_key=_raw_public(key),
        receipt_public=None if receipt is None else _raw_x25519_public(receipt),
    )


def receipt_keys(store: Store) -> dict[str, X25519PrivateKey]:
    """A field store's receipt keys by device id (the current one and earlier ones)."""
    if store.role != "field":
        return {}
    with store.read() as session:
        value = get_meta(session, META_RECEIPT_KEYS, {})
    keys: dict[str, X25519PrivateKey] = {}
    if isinstance(value, dict):
        for device_id, encoded in value.items():
            secret = _b64_private(encoded)
            if secret is not None:
                keys[str(device_id)] = X25519PrivateKey.from_private_bytes(secret)
    return keys


def receipt_key(store: Store) -> X25519PrivateKey | None:
    """The X25519 key of this laptop's current device id, or None if it has none yet."""
    return receipt_keys(store).get(store.device_id)


def _ensure_receipt_key(session: Any, device_id: str) -> None:
    value = get_meta(session, META_RECEIPT_KEYS, {})
    keys = dict(value) if isinstance(value, dict) else {}
    if _b64_private(keys.get(device_id, "")) is not None:
        return
    secret = X25519PrivateKey.generate()
    keys[device_id] = base64.b64encode(
        secret.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    ).decode("ascii")
    set_meta(session, META_RECEIPT_KEYS, keys)
    audit(session, state_of(session), "receipt_key_create", table_name="store_meta")


def ensure_device_identity(store: Store) -> DeviceIdentity:
    """The identity, creating its keys (and saving the store) if it has none.

    A district store gets the district identity (both key pairs).
    """
    if store.role in OFFICE_ROLES:
        ensure_district_identity(store)
        identity = device_identity(store)
        assert identity is not None
        return identity
    identity = device_identity(store)
    if identity is not None and identity.receipt_public is not None:
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
        # An enrolled laptop of an earlier tpsdesk has a signing key but no receipt key yet.
        _ensure_receipt_key(session, store.device_id)
    identity = device_identity(store)
    assert identity is not None and identity.receipt_public is not None
    return identity
