"""The one binary container of every travelling file (setup, bundle, receipt): build, parse,
verify. Byte-level specification: docs/formats.md.

    magic "TPSDFILE" | version 0x01 | u32 H | header (H) | u32 P | payload (P) | u32 64 | sig

The parser is strict in the way age and minisign are: exact lengths, no trailing bytes, each
cap checked before the bytes it guards are read, a header that must re-serialise to itself.
It needs no key, so `tpsdesk bundle inspect` can show any header; trust comes from
`verify_container` with a key the caller chose.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import struct
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tpsdesk.i18n import N_, _
from tpsdesk.sync.errors import (
    TRUNCATED,
    BadSignature,
    Malformed,
    NotATpsdeskFile,
    OlderRollup,
    TooLarge,
    UnsupportedFormat,
)
from tpsdesk.sync.fingerprint import fingerprint
from tpsdesk.sync.hpke import is_low_order, x25519_fingerprint

MAGIC = b"TPSDFILE"
FORMAT_VERSION = 1
# Header "format" of a receipt encrypted to the laptop's X25519 key (docs/formats.md,
# "Receipts"); format 1 receipts are signed only and hold no personal data.
RECEIPT_FORMAT_ENCRYPTED = 2
MiB = 1024 * 1024
KiB = 1024
MAX_FILE = 64 * MiB
MAX_HEADER = 16 * KiB
MAX_PAYLOAD = 64 * MiB
# A kecamatan of ~50,000 officers at up to ~2 KB a row on the wire (~0.9 KB typical) is up to
# ~100 MB unpacked; its first bundle also holds the area's TPS rows. A laptop cannot split its
# changes over several bundles, so a cap below that would refuse every bundle it ever sends.
MAX_DECOMPRESSED = 128 * MiB  # payload.size may claim no more than this
MAX_ROWS = 100_000  # payload.rows may claim no more than this
MAX_DEPTH = 8  # nesting of JSON objects/arrays, header and rows alike
MAX_TEXT = 200  # characters in any header string
MAX_INT = 2**53 - 1  # integers stay exact in every JSON reader (RFC 7493 I-JSON)
SIGNATURE_LENGTH = 64
SIGNATURE_LABEL = b"tpsdesk-file-v1\x00"

_LEN = struct.Struct(">I")
_PREFIX = len(MAGIC) + 1  # magic + version byte

ENCODING_JSONL_ZLIB = "jsonl+zlib"
ENCRYPTION_NONE = "none"
ENCRYPTION_HPKE = "hpke-x25519-sha256-chacha20poly1305"


class Kind(StrEnum):
    SETUP = "setup"
    BUNDLE = "bundle"
    RECEIPT = "receipt"
    ROLLUP = "rollup"  # district → province (sync/rollup.py)


FILE_SUFFIX = {
    Kind.SETUP: ".tpss",
    Kind.BUNDLE: ".tpsb",
    Kind.RECEIPT: ".tpsr",
    Kind.ROLLUP: ".tpsu",
}

_KIND_LABELS = {
    Kind.SETUP: N_("setup file"),
    Kind.BUNDLE: N_("bundle"),
    Kind.RECEIPT: N_("receipt"),
    Kind.ROLLUP: N_("roll-up file"),
}


def kind_label(kind: Kind | str) -> str:
    """A kind of file as people read it, in the user's language."""
    try:
        return _(_KIND_LABELS[Kind(kind)])
    except ValueError:
        return str(kind)


# --- canonical JSON -------------------------------------------------------------------------


def _check_value(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("JSON nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("JSON object keys must be text")
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise ValueError("integer out of range")
    else:  # floats included: they have no single spelling
        raise TypeError(f"{type(value).__name__} has no canonical JSON form")


# One encoder for every call: json.dumps would build a new one each time.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, integers only: one spelling for every value.

    Raises TypeError/ValueError (a programming error) for floats, non-text keys, integers
    beyond ±(2^53-1) or nesting deeper than MAX_DEPTH."""
    _check_value(value, 0)
    return _dumps(value).encode("utf-8")


def _malformed(reason: str, **params: Any) -> NoReturn:
    raise Malformed(reason, **params)


def _pairs_no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        _malformed(N_("a JSON object has the same key twice"))
    return result


def _reject_float(_text: str) -> NoReturn:
    _malformed(N_("a JSON number is not an integer"))


def _parse_int(text: str) -> int:
    if len(text) > 17:  # len(str(-MAX_INT)) == 17: cheap bound before int()
        _malformed(N_("a JSON integer is out of range"))
    value = int(text)
    if not -MAX_INT <= value <= MAX_INT:
        _malformed(N_("a JSON integer is out of range"))
    return value


def json_depth(value: Any) -> int:
    """Nesting of objects and arrays (a scalar is 0, `{}` is 1), level by level: only
    containers are visited, so a wide row costs a few steps, not one per value."""
    depth = 0
    level = [value] if type(value) in _CONTAINERS else []
    while level:
        depth += 1
        below: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            below += [child for child in children if type(child) in _CONTAINERS]
        level = below
    return depth


# Exact types: what json.loads builds (no subclasses), and a set lookup is the quickest test.
_CONTAINERS = frozenset({dict, list})


def _loads(text: str, *, check_duplicates: bool) -> Any:
    try:
        return json.loads(
            text,
            object_pairs_hook=_pairs_no_duplicates if check_duplicates else None,
            parse_float=_reject_float,
            parse_constant=_reject_float,
            parse_int=_parse_int,
        )
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, Malformed):
            raise
        raise Malformed(N_("the JSON cannot be read")) from exc


def parse_canonical_json(data: bytes, *, check_duplicates: bool = True) -> dict[str, Any]:
    """A JSON object from bytes that are exactly what `canonical_json` would write.

    Rejects (Malformed) invalid UTF-8, duplicate keys, floats, NaN, integers out of range,
    nesting deeper than MAX_DEPTH, a top level that is not an object, and any other spelling
    than the canonical one (whitespace, key order, escapes). `check_duplicates=False` skips
    the per-object hook for speed; the re-serialisation check still catches duplicates,
    because a repeated key collapses and the bytes no longer match."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Malformed(N_("the JSON is not UTF-8")) from exc
    value = _loads(text, check_duplicates=check_duplicates)
    if not isinstance(value, dict):
        _malformed(N_("the JSON is not an object"))
    if json_depth(value) > MAX_DEPTH + 1:
        _malformed(N_("the JSON is nested too deeply"))
    if _dumps(value) != text:
        _malformed(N_("the JSON is not in canonical form"))
    return value


# --- header fields --------------------------------------------------------------------------

COMMON_FIELDS = frozenset(
    {"kind", "format", "file_id", "created_at", "sender", "recipient", "district", "area",
     "payload"}
)  # fmt: skip
KIND_FIELDS: dict[Kind, frozenset[str]] = {
    Kind.BUNDLE: frozenset({"seq_from", "seq_to", "counts"}),
    Kind.SETUP: frozenset({"version", "expires_at"}),
    Kind.RECEIPT: frozenset({"version", "for_seq_to"}),
    Kind.ROLLUP: frozenset({"seq_from", "seq_to", "counts"}),
}
# Fields a header of that kind may hold or leave out (older writers did not have them).
OPTIONAL_FIELDS: dict[Kind, frozenset[str]] = {
    Kind.BUNDLE: frozenset(
        {
            "encryption_key",  # the laptop's X25519 key for receipts
            "setup",  # file id of the setup file the laptop installed
        }
    ),
    Kind.ROLLUP: frozenset({"setup"}),  # file id of the province setup file installed
}
# Who may send each kind: a setup file comes from a district (to a laptop) or from a province
# (to a district, sync/province.py); a roll-up file from a district (to its province).
SENDER_ROLE: dict[Kind, frozenset[str]] = {
    Kind.BUNDLE: frozenset({"field"}),
    Kind.SETUP: frozenset({"district", "province"}),
    Kind.RECEIPT: frozenset({"district"}),
    Kind.ROLLUP: frozenset({"district"}),
}
# The sender's fields: its id, role and signing key; a roll-up's sender (a district) also
# names its X25519 encryption key, so the province sees the district fingerprint of both keys
# (`identity.district_fingerprint`), the one the district reads from `tpsdesk identity`.
_SENDER_FIELDS = frozenset({"id", "role", "signing_key"})
SENDER_FIELDS: dict[Kind, frozenset[str]] = {
    Kind.ROLLUP: _SENDER_FIELDS | {"encryption_key"},
}
ENCRYPTIONS = {
    Kind.BUNDLE: frozenset({ENCRYPTION_HPKE}),
    Kind.SETUP: frozenset({ENCRYPTION_NONE}),
    Kind.RECEIPT: frozenset({ENCRYPTION_NONE, ENCRYPTION_HPKE}),
    Kind.ROLLUP: frozenset({ENCRYPTION_HPKE}),
}
RECIPIENT_ALL = "all"
_FINGERPRINT = re.compile(r"[0-9]{5}( [0-9]{5}){5}")
# Characters a header may not hold: they could rewrite a terminal line or reorder text when
# `bundle inspect` prints an attacker's header (ANSI escapes, bidi overrides).
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _bad_field(field: str) -> NoReturn:
    _malformed(N_("header field {field} is missing or invalid"), field=field)


def _fields(value: Any, name: str, keys: frozenset[str] | set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _bad_field(name)
    if set(value) != set(keys):
        extra = sorted(set(value) - set(keys))
        missing = sorted(set(keys) - set(value))
        where = f"{name}." if name else ""
        _bad_field(where + (extra or missing)[0])
    return value


def _text(value: Any, field: str, *, max_len: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= max_len:
        _bad_field(field)
    if any(unicodedata.category(ch) in _BAD_CATEGORIES for ch in value):
        _bad_field(field)
    return value


def _integer(value: Any, field: str, low: int, high: int = MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _bad_field(field)
    return value


def _utc_time(value: Any, field: str) -> datetime:
    text = _text(value, field, max_len=40)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _bad_field(field)
    if moment.utcoffset() != timedelta(0):
        _bad_field(field)
    return moment


def _raw_key(value: Any, field: str) -> bytes:
    if not isinstance(value, str) or len(value) != 44:
        _bad_field(field)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        _bad_field(field)
    if len(raw) != 32 or base64.b64encode(raw).decode("ascii") != value:
        _bad_field(field)
    return raw


def validate_header(header: Any) -> Kind:
    """Check every field of a header (docs/formats.md, "Header"); Malformed names the first
    bad one. Returns the kind."""
    if not isinstance(header, dict):
        _bad_field("header")
    raw_kind = header.get("kind")
    if raw_kind not in {k.value for k in Kind}:
        _bad_field("kind")
    kind = Kind(raw_kind)
    optional = OPTIONAL_FIELDS.get(kind, frozenset()) & set(header)
    _fields(header, "", COMMON_FIELDS | KIND_FIELDS[kind] | optional)
    formats = {FORMAT_VERSION, RECEIPT_FORMAT_ENCRYPTED} if kind is Kind.RECEIPT else {1}
    if isinstance(header["format"], bool) or header["format"] not in formats:
        _bad_field("format")
    # A low-order key would make what is encrypted to it readable by anyone.
    if "encryption_key" in header and is_low_order(
        _raw_key(header["encryption_key"], "encryption_key")
    ):
        _bad_field("encryption_key")
    file_id = header["file_id"]
    try:
        if not isinstance(file_id, str) or str(uuid.UUID(file_id)) != file_id:
            _bad_field("file_id")
    except ValueError:
        _bad_field("file_id")
    _utc_time(header["created_at"], "created_at")

    sender_fields = SENDER_FIELDS.get(kind, _SENDER_FIELDS)
    if (
        kind is Kind.ROLLUP
        and isinstance(header["sender"], dict)
        and set(header["sender"]) == _SENDER_FIELDS
    ):
        # A roll-up's sender names both district keys (the province approves the district
        # by the fingerprint of both); an older tpsdesk named only the signing key.
        raise OlderRollup()
    sender = _fields(header["sender"], "sender", sender_fields)
    _text(sender["id"], "sender.id", max_len=64)
    if sender["role"] not in SENDER_ROLE[kind]:
        _bad_field("sender.role")
    _raw_key(sender["signing_key"], "sender.signing_key")
    if "encryption_key" in sender_fields and is_low_order(
        _raw_key(sender["encryption_key"], "sender.encryption_key")
    ):
        _bad_field("sender.encryption_key")

    recipient = _fields(header["recipient"], "recipient", {"id", "fingerprint"})
    _text(recipient["id"], "recipient.id", max_len=64)
    if not isinstance(recipient["fingerprint"], str) or not _FINGERPRINT.fullmatch(
        recipient["fingerprint"]
    ):
        _bad_field("recipient.fingerprint")

    district = _fields(header["district"], "district", {"code", "name"})
    _text(district["code"], "district.code", max_len=32)
    _text(district["name"], "district.name")
    _text(header["area"], "area", max_len=32)

    payload = _fields(header["payload"], "payload", {"encoding", "encryption", "size", "rows"})
    if payload["encoding"] != ENCODING_JSONL_ZLIB:
        _bad_field("payload.encoding")
    if payload["encryption"] not in ENCRYPTIONS[kind]:
        _bad_field("payload.encryption")
    if kind is Kind.RECEIPT and (payload["encryption"] == ENCRYPTION_HPKE) != (
        header["format"] == RECEIPT_FORMAT_ENCRYPTED
    ):
        _bad_field("payload.encryption")  # format 2 receipts are encrypted, format 1 never
    _integer(payload["size"], "payload.size", 0, MAX_DECOMPRESSED)
    _integer(payload["rows"], "payload.rows", 0, MAX_ROWS)

    if kind in (Kind.BUNDLE, Kind.ROLLUP):
        seq_from = _integer(header["seq_from"], "seq_from", 1)
        _integer(header["seq_to"], "seq_to", seq_from)
        counts = header["counts"]
        if not isinstance(counts, dict) or len(counts) > 32:
            _bad_field("counts")
        for key, count in counts.items():
            _text(key, "counts", max_len=32)
            _integer(count, "counts", 0, MAX_ROWS)
        if "setup" in header:
            _text(header["setup"], "setup", max_len=64)
    else:
        _integer(header["version"], "version", 1)
        if kind is Kind.SETUP:
            _utc_time(header["expires_at"], "expires_at")
        else:
            _integer(header["for_seq_to"], "for_seq_to", 0)
    return kind


# --- container ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    header: dict[str, Any]  # parsed and validated
    header_bytes: bytes  # exactly as signed
    payload: bytes  # still encrypted and/or compressed
    signature: bytes
    signed_bytes: bytes  # everything the signature covers: label ‖ the file up to the signature

    @property
    def kind(self) -> Kind:
        return Kind(self.header["kind"])

    @property
    def sender_id(self) -> str:
        return str(self.header["sender"]["id"])

    @property
    def sender_key(self) -> bytes:
        """The raw Ed25519 key the header says signed the file (not yet verified)."""
        return base64.b64decode(self.header["sender"]["signing_key"])

    @property
    def sender_encryption_key(self) -> bytes | None:
        """The raw X25519 key a roll-up's header names for its sending district (signed with
        the header); None for the other kinds."""
        encoded = self.header["sender"].get("encryption_key")
        return None if encoded is None else base64.b64decode(encoded)

    @property
    def file_id(self) -> str:
        return str(self.header["file_id"])


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def encode_key(raw: bytes) -> str:
    """A raw 32-byte key as header text (standard base64 with padding)."""
    return base64.b64encode(raw).decode("ascii")


def assemble(header_bytes: bytes, payload: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    """The container bytes around an already serialised header. Used by `build_container`;
    public only so test vectors can wrap deliberately wrong headers in valid signatures."""
    body = (
        MAGIC
        + bytes([FORMAT_VERSION])
        + _LEN.pack(len(header_bytes))
        + header_bytes
        + _LEN.pack(len(payload))
        + payload
        + _LEN.pack(SIGNATURE_LENGTH)
    )
    signature = sign(SIGNATURE_LABEL + body)
    if len(signature) != SIGNATURE_LENGTH:
        raise ValueError("signature has the wrong length")
    return body + signature


def build_container(
    header: dict[str, Any], payload: bytes, signing_key: Ed25519PrivateKey
) -> bytes:
    """Serialise, check and sign. The header must name `signing_key` as sender.signing_key.

    A header or payload the reader would refuse is a programming error here: ValueError."""
    try:
        validate_header(header)
    except Malformed as exc:
        raise ValueError(f"invalid header: {exc.reason_text()}") from exc
    if header["sender"]["signing_key"] != encode_key(raw_public_key(signing_key)):
        raise ValueError("header sender.signing_key is not the signing key's public key")
    header_bytes = canonical_json(header)
    if len(header_bytes) > MAX_HEADER:
        raise ValueError("header too large")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("payload too large")
    data = assemble(header_bytes, payload, signing_key.sign)
    if len(data) > MAX_FILE:
        raise ValueError("file too large")
    return data


class _Reader:
    """Reads fields in order; every read is bounds-checked before it happens."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            _malformed(TRUNCATED)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def length(self) -> int:
        value: int = _LEN.unpack(self.take(_LEN.size))[0]
        return value


def parse_container(data: bytes) -> Container:
    """The structure and header of a file, checked; nothing is verified or decrypted.

    Raises TooLarge, NotATpsdeskFile, UnsupportedFormat or Malformed (without a file name:
    callers add it with `.with_file`)."""
    if len(data) > MAX_FILE:
        raise TooLarge(N_("the file"), len(data), MAX_FILE)
    if data[: len(MAGIC)] != MAGIC:
        if data and MAGIC.startswith(data):
            _malformed(TRUNCATED)
        raise NotATpsdeskFile()
    reader = _Reader(data)
    reader.take(len(MAGIC))
    version = reader.take(1)[0]
    if version != FORMAT_VERSION:
        raise UnsupportedFormat(version)
    header_len = reader.length()
    if header_len > MAX_HEADER:
        raise TooLarge(N_("the header"), header_len, MAX_HEADER)
    header_bytes = reader.take(header_len)
    payload_len = reader.length()
    if payload_len > MAX_PAYLOAD:
        raise TooLarge(N_("the payload"), payload_len, MAX_PAYLOAD)
    payload = reader.take(payload_len)
    if reader.length() != SIGNATURE_LENGTH:
        _malformed(N_("the signature length is not 64"))
    signature = reader.take(SIGNATURE_LENGTH)
    if reader.pos != len(data):
        _malformed(N_("there are extra bytes after the signature"))
    header = parse_canonical_json(header_bytes)
    validate_header(header)
    return Container(
        header=header,
        header_bytes=header_bytes,
        payload=payload,
        signature=signature,
        signed_bytes=SIGNATURE_LABEL + data[: len(data) - SIGNATURE_LENGTH],
    )


def verify_container(container: Container, public_key: bytes) -> None:
    """Raise BadSignature unless `public_key` (raw Ed25519) signed the file and is the key
    the header names as sender."""
    if not hmac.compare_digest(container.sender_key, public_key):
        raise BadSignature()
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            container.signature, container.signed_bytes
        )
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature() from exc


# --- names and display ----------------------------------------------------------------------


def _name_part(text: str, max_len: int = 16) -> str:
    cleaned = "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch == "-"))
    return cleaned[:max_len] or "x"


def suggested_file_name(header: dict[str, Any]) -> str:
    """A name that suits a USB stick and e-mail (ASCII letters, digits, '-', '_', '.').

    bundle   <area digits>_<sender id, 8 chars>_<seq_from>-<seq_to>.tpsb
    setup    <area digits>_setup_v<version>.tpss
    receipt  <area digits>_<recipient id, 8 chars>_receipt_v<version>.tpsr
    roll-up  <kab/kota digits>_rollup_<seq_from>-<seq_to>.tpsu"""
    kind = Kind(header["kind"])
    area = _name_part(header["area"])
    if kind is Kind.ROLLUP:
        stem = f"{area}_rollup_{header['seq_from']}-{header['seq_to']}"
    elif kind is Kind.BUNDLE:
        short = _name_part(header["sender"]["id"], 8)
        stem = f"{area}_{short}_{header['seq_from']}-{header['seq_to']}"
    elif kind is Kind.SETUP:
        stem = f"{area}_setup_v{header['version']}"
    else:
        short = _name_part(header["recipient"]["id"], 8)
        stem = f"{area}_{short}_receipt_v{header['version']}"
    return stem + FILE_SUFFIX[kind]


def _kind_label(kind: Kind) -> str:
    return {
        Kind.SETUP: _("setup file (district → laptop)"),
        Kind.BUNDLE: _("bundle (laptop → district)"),
        Kind.RECEIPT: _("receipt (district → laptop)"),
        Kind.ROLLUP: _("roll-up file (district → province)"),
    }[kind]


def _when(text: str) -> str:
    """A header time as people read it: 30-11-2026 04:09 (UTC, as written in the file)."""
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%d-%m-%Y %H:%M")
    except ValueError:
        return text


def _role_label(role: str) -> str:
    labels = {
        "field": N_("laptop"),
        "district": N_("district office"),
        "province": N_("province office"),
    }
    return _(labels[role]) if role in labels else role


DISTRICT_FINGERPRINT_LABEL = N_("District fingerprint (the one read over the phone)")


def describe_header(
    header: dict[str, Any], *, district_fingerprint: str | None = None
) -> list[tuple[str, str]]:
    """(label, value) pairs for `bundle inspect`, labels translated, in reading order.

    Only one number is called "the district fingerprint": the one people read over the phone
    (both district keys; a setup file for all laptops names it as its recipient, and
    `district_fingerprint` gives it when the caller read it from a setup file's payload). The
    other key fingerprints are labelled as technical checks, so nobody reads the wrong one.
    The header must have passed `validate_header` (parse_container does that)."""
    from tpsdesk.sync.changes import table_label

    kind = Kind(header["kind"])
    sender, recipient, payload = header["sender"], header["recipient"], header["payload"]
    sender_fingerprint = fingerprint(_raw_key(sender["signing_key"], "sender"))
    if kind is Kind.BUNDLE:
        sender_label = _("Laptop fingerprint (compared when the district approves it)")
        recipient_label = _(
            "District encryption key (a technical check, not the fingerprint read over the phone)"
        )
    elif kind is Kind.ROLLUP:
        from tpsdesk.sync.identity import district_fingerprint as both_keys

        # The district fingerprint of both keys: the one `tpsdesk identity` prints at the
        # district and the province approves it by.
        sender_fingerprint = both_keys(
            _raw_key(sender["signing_key"], "sender"),
            _raw_key(sender["encryption_key"], "sender"),
        )
        sender_label = _("District fingerprint (compared when the province approves it)")
        recipient_label = _("Province encryption key (a technical check)")
    elif sender["role"] == "province":  # a province's setup file for a district
        sender_label = _("Province signing key (a technical check)")
        recipient_label = _("Province fingerprint (the one read over the phone)")
    else:
        sender_label = _(
            "District signing key (a technical check, not the fingerprint read over the phone)"
        )
        recipient_label = (
            _(DISTRICT_FINGERPRINT_LABEL)
            if recipient["id"] == RECIPIENT_ALL
            else _("Recipient laptop fingerprint")
        )
    province = sender["role"] == "province"
    everyone = _("all districts") if province else _("all laptops")
    rows: list[tuple[str, str]] = [
        (
            _("Kind"),
            _("setup file (province → district)") if province else _kind_label(kind),
        ),
        (_("Format version"), str(header["format"])),
        (_("File id"), header["file_id"]),
        (_("Created (UTC)"), _when(header["created_at"])),
        (
            _("Province") if province else _("District"),
            f"{header['district']['name']} ({header['district']['code']})",
        ),
        (_("Area"), header["area"]),
        (_("Sender"), f"{sender['id']} ({_role_label(sender['role'])})"),
        (sender_label, sender_fingerprint),
        (_("Recipient"), everyone if recipient["id"] == RECIPIENT_ALL else recipient["id"]),
        (recipient_label, recipient["fingerprint"]),
    ]
    if district_fingerprint is not None and recipient_label != _(DISTRICT_FINGERPRINT_LABEL):
        rows.append((_(DISTRICT_FINGERPRINT_LABEL), district_fingerprint))
    if kind in (Kind.BUNDLE, Kind.ROLLUP):
        rows.append((_("Sequence numbers"), f"{header['seq_from']}–{header['seq_to']}"))
        counts = ", ".join(
            f"{table_label(name)}: {n}" for name, n in sorted(header["counts"].items())
        )
        rows.append((_("Counts"), counts or "—"))
        if "encryption_key" in header:
            key = _raw_key(header["encryption_key"], "encryption_key")
            rows.append((_("Receipt key fingerprint"), x25519_fingerprint(key)))
    else:
        rows.append((_("Version"), str(header["version"])))
        if kind is Kind.SETUP:
            rows.append((_("Expires (UTC)"), _when(header["expires_at"])))
        else:
            rows.append((_("Acknowledges up to sequence"), str(header["for_seq_to"])))
    encrypted = payload["encryption"] != ENCRYPTION_NONE
    rows.append(
        (_("Encrypted"), _("yes (only the recipient can read it)") if encrypted else _("no"))
    )
    rows.append((_("Rows"), str(payload["rows"])))
    rows.append((_("Unpacked size (bytes)"), str(payload["size"])))
    return rows
