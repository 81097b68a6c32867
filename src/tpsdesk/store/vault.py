"""The encrypted store file: seals a SQLite image (bytes) into one file, saved atomically.

Format and save procedure are specified in docs/store-format.md; keep the two in step.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import os
import re
import secrets
import stat
import struct
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tpsdesk import durable
from tpsdesk.i18n import _, os_error_text
from tpsdesk.store.lock import StoreLock
from tpsdesk.store.passphrase import PassphraseStrength, passphrase_strength

__all__ = [
    "DamagedStore",
    "KdfParams",
    "NotAStore",
    "NotThisStore",
    "PassphraseRequired",
    "PassphraseStrength",
    "RewrapPlan",
    "SaveFailed",
    "StoreExists",
    "StoreLocked",
    "StoreMissing",
    "UnsafeParameters",
    "UnsupportedVersion",
    "Vault",
    "VaultError",
    "WrongPassphrase",
    "WrongRecoveryKey",
    "aside_paths",
    "backup_paths",
    "normalize_recovery_key",
    "passphrase_strength",
]

MAGIC = b"TPSDSTOR"
FORMAT_VERSION = 2  # written; version 1 (ChaCha20-Poly1305 payload) is still read
PREFIX = struct.Struct(">8sBI")  # magic, format version, header length
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_DEPTH = 8  # a header nests 3 deep (keys → passphrase → fields)
TAG_BYTES = 16
KEY_BYTES = 32
NONCE_BYTES = 12
STORE_ID_BYTES = 16
PAYLOAD_SALT_BYTES = 32
KDF_SALT_BYTES = 16
RECOVERY_KEY_BYTES = 20
BACKUP_COUNT = 3
KDF_NAME = "argon2id"
# The payload AEAD of each format version. Version 2 uses AES-256-GCM because the
# `cryptography` package can stream it: a save encrypts and writes in chunks, so the
# ciphertext never exists as a second whole copy of the image in memory.
AEAD_BY_VERSION = {1: "chacha20-poly1305", 2: "aes-256-gcm"}
AEAD_NAME = AEAD_BY_VERSION[FORMAT_VERSION]
CHUNK_BYTES = 1024 * 1024  # unit of streamed encryption, writing and read-back

# Bounds on KDF parameters read from a file, checked before any derivation.
MAX_MEMORY_KIB = 1024 * 1024  # 1 GiB
MAX_ITERATIONS = 16
MAX_LANES = 16
MIN_KDF_SALT, MAX_KDF_SALT = 16, 64
MAX_GENERATION = 2**63 - 1

LABEL_PASSPHRASE_WRAP = b"tpsdesk-store-v1 passphrase-wrap\n"
LABEL_RECOVERY_KEK = b"tpsdesk-store-v1 recovery-kek\n"
LABEL_RECOVERY_WRAP = b"tpsdesk-store-v1 recovery-wrap\n"
LABEL_PAYLOAD_KEY = {1: b"tpsdesk-store-v1 payload-key\n", 2: b"tpsdesk-store-v2 payload-key\n"}

_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
_RECOVERY_CHARS = RECOVERY_KEY_BYTES * 8 // 5

# --------------------------------------------------------------------------- errors


class VaultError(Exception):
    """A store problem whose `.message` is translated and safe to show to people."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message()
        super().__init__(self.message)

    def default_message(self) -> str:
        return _("The store could not be used.")

    @classmethod
    def io(cls, path: Path, exc: OSError) -> VaultError:
        reason = os_error_text(exc)
        return cls(
            _("Could not use the file {path}: {reason}. Check the folder and try again.").format(
                path=path, reason=reason
            )
        )


class WrongPassphrase(VaultError):
    """Wrong passphrase, or an altered key wrap: deliberately one message for both."""

    def default_message(self) -> str:
        return _(
            "Wrong passphrase, or the store file was altered. Is Caps Lock on, or the keyboard "
            "set to another layout? Check both and type the passphrase again; only if it is "
            "right, restore a backup."
        )


class WrongRecoveryKey(WrongPassphrase):
    """Wrong recovery key (or an altered recovery wrap), or text that is not a recovery key."""

    def default_message(self) -> str:
        return _(
            "Wrong recovery key, or the store file was altered. Check the key you wrote down "
            "and try again."
        )


class DamagedStore(VaultError):
    """The file is structurally broken, truncated, extended, or fails authentication."""

    def __init__(self, backup: Path | None, reason: str = "") -> None:
        self.backup = backup
        self.reason = reason  # for developers and tests; not translated, no personal data
        if backup is not None:
            message = _("The store file is damaged. Restore the newest backup: {backup}").format(
                backup=backup
            )
        else:
            message = _(
                "The store file is damaged and no backup was found. Contact your district "
                "office for help."
            )
        super().__init__(message)


class NotAStore(VaultError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            _("{path} is not a tpsdesk store. Choose the store file instead.").format(path=path)
        )


class UnsupportedVersion(VaultError):
    def default_message(self) -> str:
        return _("This store was made by a newer version of tpsdesk. Update tpsdesk to open it.")


class StoreLocked(VaultError):
    def default_message(self) -> str:
        return _("The store is already open in another tpsdesk. Close that one first.")


class UnsafeParameters(VaultError):
    def default_message(self) -> str:
        return _(
            "The store file asks for unsafe key settings, so it was not opened. It may have "
            "been tampered with: restore a backup."
        )


class NotThisStore(VaultError):
    """A file offered as a backup that is not one of this store's: refused, nothing changed."""

    def __init__(self, backup: Path, path: Path, *, unconfirmed: bool = False) -> None:
        self.backup = backup
        if unconfirmed:
            message = _(
                "{backup} cannot be checked against the store {path}: none of the store's "
                "files opens with what was typed. Nothing was changed. Choose one of this "
                "store's own backups."
            )
        else:
            message = _(
                "{backup} is not a backup of the store {path}: it belongs to another store. "
                "Nothing was changed. Choose one of this store's own backups."
            )
        super().__init__(message.format(backup=backup, path=path))


class StoreExists(VaultError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            _("A store already exists at {path}. Open it, or choose another file.").format(
                path=path
            )
        )


class StoreMissing(VaultError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            _("No store found at {path}. Check the path, or create a new store.").format(path=path)
        )


class PassphraseRequired(VaultError):
    def default_message(self) -> str:
        return _("A passphrase is required. Enter one.")


class SaveFailed(VaultError):
    """The save did not complete; the previous saved version is still in place."""

    def __init__(self, exc: BaseException) -> None:
        reason = os_error_text(exc)
        super().__init__(
            _(
                "Could not save the store: {reason}. The last saved version is safe; free disk "
                "space or check the folder, then try again."
            ).format(reason=reason)
        )


# --------------------------------------------------------------------------- header


@dataclass(frozen=True)
class KdfParams:
    iterations: int = 3
    memory_kib: int = 65536
    lanes: int = 4


def _check_kdf_bounds(iterations: int, memory_kib: int, lanes: int, salt_len: int) -> None:
    ok = (
        1 <= iterations <= MAX_ITERATIONS
        and 1 <= lanes <= MAX_LANES
        and 8 * lanes <= memory_kib <= MAX_MEMORY_KIB
        and MIN_KDF_SALT <= salt_len <= MAX_KDF_SALT
    )
    if not ok:
        raise UnsafeParameters()


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


class _Malformed(Exception):
    """Internal: the bytes do not follow the format. Becomes DamagedStore."""


def _malformed(reason: str) -> NoReturn:
    raise _Malformed(reason)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            _malformed("duplicate key")
        result[key] = value
    return result


def _reject_float(_text: str) -> NoReturn:
    _malformed("float in header")


def _nesting(raw: bytes) -> int:
    """Deepest nesting of objects and arrays in JSON bytes (brackets inside strings are text).

    Counted on the bytes, before parsing: how deep `json.loads` may go differs between Python
    versions (3.11 raises RecursionError at a few thousand levels, 3.13 parses them)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def parse_canonical_json(raw: bytes) -> Any:
    """Parse header JSON, accepting only the exact bytes `canonical_json` would produce."""
    if _nesting(raw) > MAX_HEADER_DEPTH:
        _malformed("header nested too deeply")
    try:
        value = json.loads(
            raw.decode("ascii"),
            object_pairs_hook=_no_duplicates,
            parse_float=_reject_float,
            parse_constant=_reject_float,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Malformed("header is not JSON") from exc
    if canonical_json(value) != raw:
        _malformed("header is not canonical")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, min_len: int, max_len: int | None = None) -> bytes:
    if not isinstance(value, str):
        _malformed("expected base64 text")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Malformed("bad base64") from exc
    if _b64(data) != value:  # only one spelling per value
        _malformed("non-canonical base64")
    if not min_len <= len(data) <= (min_len if max_len is None else max_len):
        _malformed("wrong field length")
    return data


def _obj(value: Any, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        _malformed("unexpected fields")
    return value


def _int(value: Any, low: int, high: int) -> int:
    # bool is an int subclass; a header never holds booleans.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        _malformed("bad integer")
    return value


@dataclass(frozen=True)
class _Wrap:
    nonce: bytes
    ct: bytes

    def to_json(self) -> dict[str, str]:
        return {"ct": _b64(self.ct), "nonce": _b64(self.nonce)}

    @classmethod
    def from_json(cls, value: Any) -> _Wrap:
        obj = _obj(value, {"ct", "nonce"})
        return cls(
            nonce=_unb64(obj["nonce"], NONCE_BYTES), ct=_unb64(obj["ct"], KEY_BYTES + TAG_BYTES)
        )


@dataclass(frozen=True)
class _Kdf:
    iterations: int
    memory_kib: int
    lanes: int
    salt: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "lanes": self.lanes,
            "memory_kib": self.memory_kib,
            "name": KDF_NAME,
            "salt": _b64(self.salt),
        }


@dataclass(frozen=True)
class _Header:
    kdf: _Kdf
    passphrase_wrap: _Wrap
    recovery_wrap: _Wrap
    store_id: bytes
    generation: int
    payload_salt: bytes
    payload_nonce: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "kdf": self.kdf.to_json(),
            "keys": {
                "passphrase": self.passphrase_wrap.to_json(),
                "recovery": self.recovery_wrap.to_json(),
            },
            "payload": {
                "aead": AEAD_NAME,
                "nonce": _b64(self.payload_nonce),
                "salt": _b64(self.payload_salt),
            },
            "store_id": _b64(self.store_id),
        }

    @classmethod
    def from_json(cls, value: Any, version: int = FORMAT_VERSION) -> _Header:
        top = _obj(value, {"generation", "kdf", "keys", "payload", "store_id"})
        kdf = _obj(top["kdf"], {"iterations", "lanes", "memory_kib", "name", "salt"})
        if kdf["name"] != KDF_NAME:
            _malformed("unknown KDF")
        keys = _obj(top["keys"], {"passphrase", "recovery"})
        payload = _obj(top["payload"], {"aead", "nonce", "salt"})
        if payload["aead"] != AEAD_BY_VERSION[version]:
            _malformed("unknown AEAD")
        # Wide structural limits only; the safety bounds are checked separately so that a
        # crafted file gets UnsafeParameters rather than "damaged".
        huge = 2**63
        return cls(
            kdf=_Kdf(
                iterations=_int(kdf["iterations"], 0, huge),
                memory_kib=_int(kdf["memory_kib"], 0, huge),
                lanes=_int(kdf["lanes"], 0, huge),
                salt=_unb64(kdf["salt"], 1, 1024),
            ),
            passphrase_wrap=_Wrap.from_json(keys["passphrase"]),
            recovery_wrap=_Wrap.from_json(keys["recovery"]),
            store_id=_unb64(top["store_id"], STORE_ID_BYTES),
            generation=_int(top["generation"], 0, MAX_GENERATION),
            payload_salt=_unb64(payload["salt"], PAYLOAD_SALT_BYTES),
            payload_nonce=_unb64(payload["nonce"], NONCE_BYTES),
        )


@dataclass(frozen=True)
class _Parsed:
    header: _Header
    aad: bytes  # everything before the payload: magic, version, length, header bytes
    payload_offset: int
    version: int


def _parse(data: bytes, path: Path, file_size: int | None = None) -> _Parsed:
    """Structure only, no keys. Raises NotAStore, UnsupportedVersion or _Malformed.

    `data` is the file, or with `file_size` given, a prefix of it holding at least the header.
    """
    size = len(data) if file_size is None else file_size
    if len(data) < len(MAGIC):
        if data and MAGIC.startswith(data):
            _malformed("truncated in magic")
        raise NotAStore(path)
    if not hmac.compare_digest(data[: len(MAGIC)], MAGIC):
        raise NotAStore(path)
    if len(data) < PREFIX.size:
        _malformed("truncated in prefix")
    _magic, version, header_len = PREFIX.unpack_from(data)
    if version > FORMAT_VERSION:
        raise UnsupportedVersion()
    if version not in AEAD_BY_VERSION:
        _malformed("bad format version")
    if not 2 <= header_len <= MAX_HEADER_BYTES:
        _malformed("bad header length")
    payload_offset = PREFIX.size + header_len
    if size < payload_offset + TAG_BYTES or len(data) < payload_offset:
        _malformed("truncated")
    raw_header = bytes(data[PREFIX.size : payload_offset])
    header = _Header.from_json(parse_canonical_json(raw_header), version)
    return _Parsed(
        header=header,
        aad=bytes(data[:payload_offset]),
        payload_offset=payload_offset,
        version=version,
    )


# --------------------------------------------------------------------------- crypto


def _normalize_passphrase(passphrase: str) -> bytes:
    # NFC: the same passphrase typed on another keyboard or OS must give the same bytes.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _passphrase_kek(passphrase: str, kdf: _Kdf) -> bytes:
    _check_kdf_bounds(kdf.iterations, kdf.memory_kib, kdf.lanes, len(kdf.salt))
    return Argon2id(
        salt=kdf.salt,
        length=KEY_BYTES,
        iterations=kdf.iterations,
        lanes=kdf.lanes,
        memory_cost=kdf.memory_kib,
    ).derive(_normalize_passphrase(passphrase))


def _recovery_kek(recovery: bytes, store_id: bytes) -> bytes:
    # 160 random bits need no password hashing; HKDF only separates the key's uses.
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=store_id, info=LABEL_RECOVERY_KEK
    ).derive(recovery)


def _payload_key(data_key: bytes, header: _Header, version: int) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=header.payload_salt,
        info=LABEL_PAYLOAD_KEY[version] + header.store_id,
    ).derive(data_key)


def _passphrase_wrap_aad(kdf: _Kdf, store_id: bytes) -> bytes:
    return LABEL_PASSPHRASE_WRAP + canonical_json(kdf.to_json()) + store_id


def _recovery_wrap_aad(store_id: bytes) -> bytes:
    return LABEL_RECOVERY_WRAP + store_id


def _wrap(kek: bytes, data_key: bytes, aad: bytes) -> _Wrap:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return _Wrap(nonce=nonce, ct=ChaCha20Poly1305(kek).encrypt(nonce, data_key, aad))


def _unwrap(kek: bytes, wrap: _Wrap, aad: bytes) -> bytes | None:
    try:
        return ChaCha20Poly1305(kek).decrypt(wrap.nonce, wrap.ct, aad)
    except InvalidTag:
        return None


def _seal_header(template: _Header) -> tuple[_Header, bytes]:
    """(header, prefix) for a save: `template` with a fresh payload salt and nonce, and the
    file's bytes before the payload (the payload's associated data)."""
    header = replace(
        template,
        payload_salt=secrets.token_bytes(PAYLOAD_SALT_BYTES),
        payload_nonce=secrets.token_bytes(NONCE_BYTES),
    )
    header_bytes = canonical_json(header.to_json())
    if len(header_bytes) > MAX_HEADER_BYTES:  # cannot happen with our own fields
        raise ValueError("header too large")
    prefix = PREFIX.pack(MAGIC, FORMAT_VERSION, len(header_bytes)) + header_bytes
    return header, prefix


def _payload_cipher(data_key: bytes, header: _Header) -> Cipher[modes.GCM]:
    """The streaming form of AES-256-GCM (format version 2) for this save's payload. Its
    output is byte for byte that of `AESGCM.encrypt`: ciphertext, then the 16-byte tag."""
    key = _payload_key(data_key, header, FORMAT_VERSION)
    return Cipher(algorithms.AES(key), modes.GCM(header.payload_nonce))


def _open_payload(data: bytes, parsed: _Parsed, data_key: bytes) -> bytes | None:
    header = parsed.header
    key = _payload_key(data_key, header, parsed.version)
    aead = AESGCM(key) if parsed.version == 2 else ChaCha20Poly1305(key)
    try:
        return aead.decrypt(
            header.payload_nonce, memoryview(data)[parsed.payload_offset :], parsed.aad
        )
    except InvalidTag:
        return None


# --------------------------------------------------------------------------- recovery key


def _format_recovery_key(raw: bytes) -> str:
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalize_recovery_key(text: str) -> str:
    """Canonical `ABCD-EFGH-…` form of a typed recovery key; `WrongRecoveryKey` if it is none.

    Tolerates lower case, spaces, missing dashes and the look-alikes 0→O, 1→I, 8→B.
    """
    compact = re.sub(r"[\s\-_.]+", "", text).upper().translate(_LOOKALIKES)
    if len(compact) != _RECOVERY_CHARS or any(c not in _B32_ALPHABET for c in compact):
        raise WrongRecoveryKey(
            _(
                "That is not a recovery key. A recovery key has 32 letters and digits in "
                "groups of four, like ABCD-EFGH-…"
            )
        )
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _recovery_bytes(text: str) -> bytes:
    return base64.b32decode(normalize_recovery_key(text).replace("-", ""))


# --------------------------------------------------------------------------- files


def _temp_pattern(path: Path) -> re.Pattern[str]:
    return durable.temp_pattern(path)


def _temp_name(path: Path) -> Path:
    return durable.temp_name(path)


def backup_paths(path: Path) -> list[Path]:
    """Backup slots, newest first (`<name>.bak1` … `<name>.bak3`), existing or not."""
    return [path.with_name(f"{path.name}.bak{i}") for i in range(1, BACKUP_COUNT + 1)]


def aside_paths(path: Path) -> list[Path]:
    """Damaged store files that a restore kept aside (`<name>.damaged-<UTC time>[-n]`)."""
    pattern = re.compile(re.escape(path.name) + r"\.damaged-\d{8}T\d{6}Z(?:-\d+)?")
    try:
        names = sorted(os.listdir(path.parent))
    except OSError:
        return []
    return [path.parent / name for name in names if pattern.fullmatch(name)]


def _fsync_dir(folder: Path) -> None:
    durable.fsync_dir(folder)


def _write_new_file(target: Path, chunks: list[bytes]) -> None:
    """Create `target` exclusively (mode 0600, no symlink followed), write `chunks`, fsync."""
    fd = durable.create_exclusive(target)
    try:
        for chunk in chunks:
            durable.write_all(fd, chunk)
        durable.fsync(fd)
    finally:
        os.close(fd)


def _write_sealed(
    target: Path, header: _Header, prefix: bytes, data_key: bytes, image: bytes
) -> None:
    """Create `target` exclusively (mode 0600) holding `prefix` and `image` sealed under
    `header`, encrypting and writing a chunk at a time; fsync, close."""
    encryptor = _payload_cipher(data_key, header).encryptor()
    encryptor.authenticate_additional_data(prefix)
    fd = durable.create_exclusive(target)
    try:
        durable.write_all(fd, prefix)
        chunk = bytearray(CHUNK_BYTES + 16)  # update_into wants a block of slack
        out = memoryview(chunk)
        source = memoryview(image)
        for start in range(0, len(source), CHUNK_BYTES):
            size = encryptor.update_into(source[start : start + CHUNK_BYTES], chunk)
            durable.write_all(fd, out[:size])
        encryptor.finalize()
        durable.write_all(fd, encryptor.tag)
        durable.fsync(fd)
    finally:
        os.close(fd)


def _replace(src: Path, dst: Path) -> None:
    durable.replace(src, dst)


def _remove_quietly(path: Path) -> None:
    durable.remove_quietly(path)


def _read(path: Path) -> bytes:
    """The whole file, opened and closed at once. Magic checked first: a wrong file that is
    huge (a video picked by mistake) is refused without reading it."""
    if not path.exists():
        raise StoreMissing(path)
    if not path.is_file():
        raise NotAStore(path)
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(MAGIC))
            if len(start) == len(MAGIC) and not hmac.compare_digest(start, MAGIC):
                raise NotAStore(path)
            handle.seek(0)
            return handle.read()
    except OSError as exc:
        raise VaultError.io(path, exc) from exc


def _copy_via_temp(data: bytes, dst: Path, store: Path) -> None:
    """Write `data` to `dst` atomically (temp file named after `store`, so open tidies it)."""
    temp = _temp_name(store)
    try:
        _write_new_file(temp, [data])
        _replace(temp, dst)
    except BaseException:
        _remove_quietly(temp)
        raise


def _newest_backup(path: Path) -> Path | None:
    """The newest backup that is at least structurally sound (no key needed to check)."""
    for candidate in backup_paths(path):
        if _header_of(candidate) is not None:
            return candidate
    return None


@dataclass
class _Unlocked:
    header: _Header
    data_key: bytes
    kek: bytes | None  # the passphrase KEK; None after opening with the recovery key
    image: bytes


def _unlock(
    data: bytes, path: Path, *, passphrase: str | None = None, recovery: str | None = None
) -> _Unlocked:
    """Decrypt `data`, the bytes of the file at `path` (which names backups in errors)."""
    recovery_raw = _recovery_bytes(recovery) if recovery is not None else None
    try:
        parsed = _parse(data, path)
    except _Malformed as exc:
        raise DamagedStore(_newest_backup(path), str(exc)) from None
    header = parsed.header
    kek: bytes | None = None
    if recovery_raw is not None:
        data_key = _unwrap(
            _recovery_kek(recovery_raw, header.store_id),
            header.recovery_wrap,
            _recovery_wrap_aad(header.store_id),
        )
        if data_key is None:
            raise WrongRecoveryKey()
    else:
        assert passphrase is not None
        kek = _passphrase_kek(passphrase, header.kdf)  # bounds checked inside, before deriving
        data_key = _unwrap(
            kek, header.passphrase_wrap, _passphrase_wrap_aad(header.kdf, header.store_id)
        )
        if data_key is None:
            raise WrongPassphrase()
    image = _open_payload(data, parsed, data_key)
    if image is None:
        raise DamagedStore(_newest_backup(path), "payload authentication failed")
    return _Unlocked(header=header, data_key=data_key, kek=kek, image=image)


def _clean_stray_temps(path: Path) -> None:
    pattern = _temp_pattern(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if pattern.fullmatch(name):
            _remove_quietly(path.parent / name)


def _rotate_backups(path: Path) -> None:
    """Shift `.bak1`→`.bak2`→`.bak3` and make `.bak1` the current live file.

    The live file is never moved: `.bak1` is a hard link to it (a copy where links fail, e.g.
    FAT32 USB sticks), so a crash at any point leaves the live file in place.
    """
    if not path.exists():
        return
    slots = backup_paths(path)
    for newer, older in zip(reversed(slots[:-1]), reversed(slots[1:]), strict=True):
        if newer.exists():
            _replace(newer, older)
    newest = slots[0]
    _remove_quietly(newest)  # normally already moved; a leftover would make os.link fail
    try:
        os.link(path, newest)
    except OSError:
        with open(path, "rb") as handle:
            current = handle.read()
        _copy_via_temp(current, newest, path)


def _mismatch() -> NoReturn:
    raise SaveFailed(OSError(0, "read-back mismatch"))


def _verify(temp: Path, header: _Header, prefix: bytes, data_key: bytes, image: bytes) -> None:
    """Read the temp file back from disk, a chunk at a time, and check that it parses to
    `header` and decrypts to exactly `image` (tag included), with nothing after the tag.

    Streamed like the write: no whole copy of the file or of the decrypted image is made.
    """
    expected_size = len(prefix) + len(image) + TAG_BYTES
    with open(temp, "rb", buffering=0) as handle:
        if os.fstat(handle.fileno()).st_size != expected_size:
            _mismatch()
        head = handle.read(len(prefix))
        if not hmac.compare_digest(head, prefix):
            _mismatch()
        parsed = _parse(head, temp, file_size=expected_size)
        if parsed.header != header or parsed.version != FORMAT_VERSION:
            _mismatch()
        decryptor = _payload_cipher(data_key, parsed.header).decryptor()
        decryptor.authenticate_additional_data(head)
        sealed = bytearray(CHUNK_BYTES)
        plain = bytearray(CHUNK_BYTES + 16)
        sealed_view, plain_view = memoryview(sealed), memoryview(plain)
        position = 0
        while position < len(image):
            got = handle.readinto(sealed_view[: min(CHUNK_BYTES, len(image) - position)])
            if not got:
                _mismatch()
            size = decryptor.update_into(sealed_view[:got], plain)
            # bytes.startswith(view, offset) is a memcmp, with no copy of either side.
            if size != got or not image.startswith(plain_view[:size], position):
                _mismatch()
            position += got
        tag = handle.read(TAG_BYTES + 1)
        if len(tag) != TAG_BYTES:
            _mismatch()
        try:
            decryptor.finalize_with_tag(tag)
        except InvalidTag:
            _mismatch()


@dataclass(frozen=True)
class RewrapPlan:
    """A store's other files as a passphrase change will treat them."""

    rewrap: tuple[Path, ...]  # re-wrapped under the new passphrase
    unreadable: tuple[Path, ...]  # damaged: cannot be re-wrapped, so removed once confirmed


def _header_of(path: Path) -> _Header | None:
    """The header of the store file at `path` if it is structurally sound (no key needed)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read
            return None
        with open(path, "rb") as handle:  # enough for any sound prefix and header
            data = handle.read(PREFIX.size + MAX_HEADER_BYTES)
        return _parse(data, path, file_size=info.st_size).header
    except (OSError, VaultError, _Malformed):
        return None


def _same_path(one: Path, other: Path) -> bool:
    return os.path.normcase(os.path.abspath(one)) == os.path.normcase(os.path.abspath(other))


def _check_same_store(
    store: Path, source: Path, unlocked: _Unlocked, passphrase: str | None, recovery: str | None
) -> None:
    """Refuse (`NotThisStore`) a backup that is not of the store at `store`.

    The store is known by its other files: the store file, its backups and the files kept
    aside, the first structurally sound one giving the store id. The backup must carry that
    id, and its data key must equal the one that the same passphrase (or recovery key)
    unwraps from one of those files. The store id alone is not enough: it is in clear in
    every header, so a file made elsewhere could copy it; the data key (random, fixed for the
    store's life) cannot be copied without opening one of the store's files.
    When no file of the store can be read at all, only a file in one of the store's own
    backup or kept-aside places, or any backup where no store file exists, is accepted.
    """
    places = (*backup_paths(store), *aside_paths(store))
    others = [other for other in (store, *places) if not _same_path(other, source)]
    headers = [header for other in others if (header := _header_of(other)) is not None]
    if not headers:
        if any(_same_path(source, place) for place in places) or not os.path.lexists(store):
            return
        raise NotThisStore(source, store, unconfirmed=True)
    store_id = headers[0].store_id
    if not hmac.compare_digest(store_id, unlocked.header.store_id):
        raise NotThisStore(source, store)
    recovery_raw = _recovery_bytes(recovery) if recovery is not None else None
    # The backup's KEK serves every file with the same KDF salt (one derivation, not two).
    keks: dict[_Kdf, bytes] = {}
    if unlocked.kek is not None:
        keks[unlocked.header.kdf] = unlocked.kek
    for header in headers:
        if not hmac.compare_digest(header.store_id, store_id):
            continue
        if recovery_raw is not None:
            kek = _recovery_kek(recovery_raw, store_id)
            data_key = _unwrap(kek, header.recovery_wrap, _recovery_wrap_aad(store_id))
        else:
            assert passphrase is not None
            try:
                if header.kdf not in keks:
                    keks[header.kdf] = _passphrase_kek(passphrase, header.kdf)
            except UnsafeParameters:
                continue
            wrap_aad = _passphrase_wrap_aad(header.kdf, store_id)
            data_key = _unwrap(keks[header.kdf], header.passphrase_wrap, wrap_aad)
        if data_key is not None:
            if hmac.compare_digest(data_key, unlocked.data_key):
                return
            raise NotThisStore(source, store)
    raise NotThisStore(source, store, unconfirmed=True)


def _utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


# --------------------------------------------------------------------------- vault


class Vault:
    """An open, locked store file. Holds the data key in memory until `close()`."""

    def __init__(self, path: Path, lock: StoreLock, unlocked: _Unlocked) -> None:
        self.path = path
        self._lock = lock
        self._header = unlocked.header
        self._data_key: bytes | None = unlocked.data_key
        self._kek = unlocked.kek
        self._mutex = threading.Lock()

    # ---- opening

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        passphrase: str,
        image: bytes,
        *,
        kdf: KdfParams = KdfParams(),
    ) -> tuple[Vault, str]:
        """Create a new store holding `image`; returns the open vault and the recovery key."""
        store = Path(path)
        if not passphrase:
            raise PassphraseRequired()
        _check_kdf_bounds(kdf.iterations, kdf.memory_kib, kdf.lanes, KDF_SALT_BYTES)
        if os.path.lexists(store):
            raise StoreExists(store)
        try:
            store.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise VaultError.io(store.parent, exc) from exc
        lock = StoreLock(store)
        lock.acquire()
        try:
            if os.path.lexists(store):  # created while we waited for nothing, but be sure
                raise StoreExists(store)
            _clean_stray_temps(store)
            data_key = secrets.token_bytes(KEY_BYTES)
            store_id = secrets.token_bytes(STORE_ID_BYTES)
            recovery = secrets.token_bytes(RECOVERY_KEY_BYTES)
            header_kdf = _Kdf(
                iterations=kdf.iterations,
                memory_kib=kdf.memory_kib,
                lanes=kdf.lanes,
                salt=secrets.token_bytes(KDF_SALT_BYTES),
            )
            kek = _passphrase_kek(passphrase, header_kdf)
            header = _Header(
                kdf=header_kdf,
                passphrase_wrap=_wrap(kek, data_key, _passphrase_wrap_aad(header_kdf, store_id)),
                recovery_wrap=_wrap(
                    _recovery_kek(recovery, store_id), data_key, _recovery_wrap_aad(store_id)
                ),
                store_id=store_id,
                generation=0,
                payload_salt=b"",
                payload_nonce=b"",
            )
            vault = cls(store, lock, _Unlocked(header, data_key, kek, b""))
            vault._write(header, image, kek=kek)
        except BaseException:
            lock.release()
            raise
        return vault, _format_recovery_key(recovery)

    @classmethod
    def open(cls, path: str | os.PathLike[str], passphrase: str) -> tuple[Vault, bytes]:
        """Open with the passphrase; returns the vault (locked) and the SQLite image."""
        return cls._open(Path(path), passphrase=passphrase)

    @classmethod
    def open_with_recovery(
        cls, path: str | os.PathLike[str], recovery_key: str
    ) -> tuple[Vault, bytes]:
        """Open with the recovery key. Follow with `change_passphrase` to reset it."""
        return cls._open(Path(path), recovery=recovery_key)

    @classmethod
    def _open(
        cls, store: Path, *, passphrase: str | None = None, recovery: str | None = None
    ) -> tuple[Vault, bytes]:
        if recovery is not None:
            normalize_recovery_key(recovery)  # refuse non-keys before touching anything
        if not os.path.lexists(store):
            raise StoreMissing(store)
        if not store.is_file():
            raise NotAStore(store)
        lock = StoreLock(store)
        _acquire_to_open(lock, store)
        try:
            unlocked = _unlock(_read(store), store, passphrase=passphrase, recovery=recovery)
            _clean_stray_temps(store)
            if os.name == "posix" and store.stat().st_mode & 0o077:
                os.chmod(store, 0o600)
        except BaseException:
            lock.release()
            raise
        image = unlocked.image
        unlocked.image = b""
        return cls(store, lock, unlocked), image

    # ---- state

    @property
    def generation(self) -> int:
        """Save counter of the file on disk; increments with every save."""
        return self._header.generation

    @property
    def store_id(self) -> str:
        """Random id fixed at creation (hex); the same in every backup of this store."""
        return self._header.store_id.hex()

    @property
    def closed(self) -> bool:
        return self._data_key is None

    def backups(self) -> list[Path]:
        """Existing backups, newest first."""
        return [p for p in backup_paths(self.path) if p.is_file()]

    # ---- saving

    def save(self, image: bytes) -> None:
        """Seal and write `image` atomically, keeping the previous versions as backups.

        The caller guarantees `image` was serialized with no transaction open.
        """
        with self._mutex:
            self._write(replace(self._header, generation=self._header.generation + 1), image)

    def check_passphrase(self, passphrase: str) -> bool:
        """Whether `passphrase` opens this store (asked again before changing it)."""
        with self._mutex:
            data_key = self._require_key()
            header = self._header
            kek = _passphrase_kek(passphrase, header.kdf)
            unwrapped = _unwrap(
                kek, header.passphrase_wrap, _passphrase_wrap_aad(header.kdf, header.store_id)
            )
            return unwrapped is not None and hmac.compare_digest(unwrapped, data_key)

    def rewrap_plan(self) -> RewrapPlan:
        """What a passphrase change will do to this store's other files (backups and damaged
        files kept aside): which it re-wraps, and which it cannot (to confirm their removal)."""
        with self._mutex:
            rewrap: list[Path] = []
            unreadable: list[Path] = []
            for other in self._other_files():
                (rewrap if self._reopen(other) is not None else unreadable).append(other)
            return RewrapPlan(rewrap=tuple(rewrap), unreadable=tuple(unreadable))

    def remove_unreadable(self) -> list[Path]:
        """Remove this store's other files that cannot be re-wrapped (see `rewrap_plan`),
        once the person confirmed it; returns those that could not be removed."""
        with self._mutex:
            left: list[Path] = []
            for other in self._other_files():
                if self._reopen(other) is None:
                    try:
                        os.unlink(other)
                    except OSError:
                        left.append(other)
            with contextlib.suppress(OSError):
                _fsync_dir(self.path.parent)
            return left

    def change_passphrase(
        self, new_passphrase: str, image: bytes, *, remove_unreadable: bool = False
    ) -> list[Path]:
        """Re-wrap the data key for `new_passphrase` (new salt) and save `image` with it.

        The backups and the damaged files kept aside are re-wrapped too, so the old
        passphrase opens none of this store's files: each holds the data key, which opens
        them all. A file that cannot be re-wrapped (damaged) is removed if
        `remove_unreadable` (the person confirmed it, see `rewrap_plan`). Returns the files
        left under an older passphrase (not removed, or not writable).
        """
        if not new_passphrase:
            raise PassphraseRequired()
        with self._mutex:
            data_key = self._require_key()
            old = self._header
            kdf = _Kdf(
                iterations=old.kdf.iterations,
                memory_kib=old.kdf.memory_kib,
                lanes=old.kdf.lanes,
                salt=secrets.token_bytes(KDF_SALT_BYTES),
            )
            kek = _passphrase_kek(new_passphrase, kdf)
            header = replace(
                old,
                kdf=kdf,
                passphrase_wrap=_wrap(kek, data_key, _passphrase_wrap_aad(kdf, old.store_id)),
                generation=old.generation + 1,
            )
            self._write(header, image, kek=kek)
            return self._rewrap_others(remove_unreadable)

    def _require_key(self) -> bytes:
        if self._data_key is None:
            raise RuntimeError("the vault is closed")
        return self._data_key

    def _write(self, header: _Header, image: bytes, *, kek: bytes | None = None) -> None:
        """The save procedure of docs/store-format.md. State changes only once replaced."""
        data_key = self._require_key()
        if not isinstance(image, bytes):
            image = bytes(image)
        header, prefix = _seal_header(header)
        temp = _temp_name(self.path)
        replaced = False
        try:
            _write_sealed(temp, header, prefix, data_key, image)
            _verify(temp, header, prefix, data_key, image)
            _rotate_backups(self.path)
            _replace(temp, self.path)
            replaced = True
            self._header = header
            if kek is not None:
                self._kek = kek
            _fsync_dir(self.path.parent)
        except BaseException as exc:
            if not replaced:
                _remove_quietly(temp)
            if isinstance(exc, OSError | _Malformed):
                raise SaveFailed(exc) from exc
            raise

    def _other_files(self) -> list[Path]:
        """Backups and kept-aside files of this store that exist (symlinks included)."""
        names = (*backup_paths(self.path), *aside_paths(self.path))
        return [other for other in names if os.path.lexists(other)]

    def _reopen(self, other: Path) -> tuple[_Parsed, bytes] | None:
        """(structure, image) of another file of this store, or None if it cannot be opened
        with this store's data key: damaged, not a store, or another store's file."""
        data_key = self._require_key()
        try:
            data = _read(other)
            parsed = _parse(data, other)
        except (VaultError, _Malformed):
            return None
        if not hmac.compare_digest(parsed.header.store_id, self._header.store_id):
            return None
        plain = _open_payload(data, parsed, data_key)
        return None if plain is None else (parsed, plain)

    def _rewrap_others(self, remove_unreadable: bool) -> list[Path]:
        """Reseal each backup and kept-aside file under the current header's key wraps."""
        data_key = self._require_key()
        left: list[Path] = []
        for other in self._other_files():
            opened = self._reopen(other)
            if opened is None:
                if remove_unreadable:
                    try:
                        os.unlink(other)
                        continue
                    except OSError:
                        pass
                left.append(other)
                continue
            parsed, plain = opened
            template = replace(self._header, generation=parsed.header.generation)
            header, prefix = _seal_header(template)
            temp = _temp_name(self.path)
            try:
                _write_sealed(temp, header, prefix, data_key, plain)
                _replace(temp, other)
            except OSError:
                _remove_quietly(temp)
                left.append(other)
        with contextlib.suppress(OSError):
            _fsync_dir(self.path.parent)
        return left

    # ---- shared use (a district keyring several clerks open at once)

    def share(self) -> None:
        """Release the file lock but keep the keys: other processes may open the same file
        (a PostgreSQL district keyring). Writes then go through `exclusive()`."""
        with self._mutex:
            self._lock.release()
        marker = shared_marker(self.path)
        if not marker.exists():
            with contextlib.suppress(OSError):  # only a hint for the next opener (see there)
                marker.touch(mode=0o600)

    @contextlib.contextmanager
    def exclusive(self, wait_seconds: float = 10.0) -> Iterator[bytes]:
        """Hold the file lock (waiting up to `wait_seconds`) and yield the image as it is on
        disk now: another process may have written the file since this one read it, so its
        header is taken as the current one. `save()`/`change_passphrase()` inside write it."""
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                self._lock.acquire()
                break
            except StoreLocked:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        try:
            with self._mutex:
                opened = self._reopen(self.path)
                if opened is None:
                    raise DamagedStore(None)
                parsed, image = opened
                self._header = parsed.header
            yield image
        finally:
            self._lock.release()

    # ---- closing

    def close(self) -> None:
        """Forget the keys (as far as Python allows) and release the lock."""
        with self._mutex:
            self._data_key = None
            self._kek = None
            self._lock.release()

    def __enter__(self) -> Vault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- backups

    @staticmethod
    def restore_backup(
        path: str | os.PathLike[str],
        backup: str | os.PathLike[str],
        passphrase: str | None = None,
        *,
        recovery: str | None = None,
    ) -> None:
        """Put `backup` in place of the (damaged) store at `path`.

        The backup must open with `passphrase` (or the `recovery` key) and be a backup of THIS
        store (`_check_same_store`); otherwise nothing changes. The old main file is kept
        beside it as `<name>.damaged-<UTC time>`; the store file is never absent during the
        swap.
        """
        if not passphrase and recovery is None:
            raise PassphraseRequired()
        if recovery is not None:
            normalize_recovery_key(recovery)
        store, source = Path(path), Path(backup)
        with StoreLock(store):
            data = _read(source)
            # raises if it does not open
            unlocked = _unlock(data, source, passphrase=passphrase, recovery=recovery)
            _check_same_store(store, source, unlocked, passphrase, recovery)
            try:
                if store.exists():
                    aside = store.with_name(f"{store.name}.damaged-{_utc_stamp()}")
                    counter = 1
                    while os.path.lexists(aside):
                        counter += 1
                        aside = store.with_name(f"{store.name}.damaged-{_utc_stamp()}-{counter}")
                    try:
                        os.link(store, aside)
                    except OSError:
                        with open(store, "rb") as handle:
                            _copy_via_temp(handle.read(), aside, store)
                _copy_via_temp(data, store, store)
                _fsync_dir(store.parent)
            except OSError as exc:
                raise SaveFailed(exc) from exc


# A shared keyring (PostgreSQL store) holds its lock only while a process opens it (reading and
# key derivation) or writes a secret: another clerk's process opening it at that moment waits
# instead of being told the store is open elsewhere. The marker beside the file says so; it
# holds nothing (a store that is not shared has none, and its lock refuses at once).
SHARED_SUFFIX = ".shared"
SHARED_OPEN_WAIT = 30.0


def shared_marker(store: Path) -> Path:
    return store.with_name(store.name + SHARED_SUFFIX)


def _acquire_to_open(lock: StoreLock, store: Path) -> None:
    deadline = time.monotonic() + SHARED_OPEN_WAIT
    while True:
        try:
            lock.acquire()
            return
        except StoreLocked:
            if not shared_marker(store).exists() or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
