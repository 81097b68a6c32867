"""Payloads: canonical JSON lines, zlib-compressed; a manifest line first, then one row a line.

Decoding is bounded in every dimension an attacker controls — unpacked bytes, line length and
number of lines — and stops as soon as a bound is crossed, so a payload that would unpack to
gigabytes (or to millions of tiny objects) costs at most the caps, never the claim.
"""

from __future__ import annotations

import hmac
import itertools
import os
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from tpsdesk.i18n import N_
from tpsdesk.sync.container import (
    ENCODING_JSONL_ZLIB,
    ENCRYPTION_HPKE,
    ENCRYPTION_NONE,
    MAX_DECOMPRESSED,
    MAX_DEPTH,
    MAX_ROWS,
    Container,
    Kind,
    build_container,
    canonical_json,
    kind_label,
    parse_container,
    validate_header,
    verify_container,
)
from tpsdesk.sync.container import parse_canonical_json as _parse_line
from tpsdesk.sync.errors import (
    TRUNCATED,
    BadSignature,
    Malformed,
    ManifestMismatch,
    PayloadTooLarge,
    SenderNotAllowed,
    SyncError,
    WrongRecipient,
)
from tpsdesk.sync.fingerprint import fingerprint, fingerprints_match
from tpsdesk.sync.hpke import open_from, seal_to, x25519_fingerprint, x25519_raw

ZLIB_LEVEL = 6
MAX_LINE = 1024 * 1024  # one row (or manifest) line, newline excluded
_CHUNK = 256 * 1024  # decompression step: the most we unpack beyond a cap before stopping

MANIFEST_FIELDS = ("kind", "file_id", "sender_id", "recipient", "area", "seq_from", "seq_to")


def manifest_for(header: dict[str, Any]) -> dict[str, Any]:
    """The manifest a payload must start with, derived from its header: sender, recipient
    (id and key fingerprint), file id, area and — for bundles — the sequence range (null for
    the other kinds). Writers use this; readers compare against it (`check_manifest`)."""
    bundle = header.get("kind") in (Kind.BUNDLE.value, Kind.ROLLUP.value)
    return {
        "kind": header["kind"],
        "file_id": header["file_id"],
        "sender_id": header["sender"]["id"],
        "recipient": {
            "id": header["recipient"]["id"],
            "fingerprint": header["recipient"]["fingerprint"],
        },
        "area": header["area"],
        "seq_from": header["seq_from"] if bundle else None,
        "seq_to": header["seq_to"] if bundle else None,
    }


def encode_lines(
    manifest: dict[str, Any], rows: Iterable[dict[str, Any]]
) -> tuple[bytes, int, int]:
    """(compressed payload, unpacked size in bytes, number of rows) — the header needs the
    last two. Raises TypeError/ValueError for values with no canonical JSON form."""
    compressor = zlib.compressobj(ZLIB_LEVEL)
    parts: list[bytes] = []
    size = 0
    count = 0
    for position, value in enumerate(itertools.chain((manifest,), rows)):
        if not isinstance(value, dict):
            raise TypeError("every payload line must be a JSON object")
        line = canonical_json(value)
        if len(line) > MAX_LINE:
            raise ValueError("payload line too long")
        line += b"\n"
        size += len(line)
        count = position
        parts.append(compressor.compress(line))
    parts.append(compressor.flush())
    return b"".join(parts), size, count


def encode_rows(manifest: dict[str, Any], rows: Iterable[dict[str, Any]]) -> bytes:
    """zlib (level 6) of the manifest line followed by one canonical JSON line per row."""
    return encode_lines(manifest, rows)[0]


def _decompressed_chunks(data: bytes, max_size: int) -> Iterable[bytes]:
    """The unpacked payload in pieces of at most _CHUNK bytes, stopping past `max_size`."""
    decompressor = zlib.decompressobj()
    pending = data
    total = 0
    try:
        while True:
            chunk = decompressor.decompress(pending, _CHUNK)
            pending = decompressor.unconsumed_tail
            total += len(chunk)
            if total > max_size:
                raise PayloadTooLarge(N_("unpacked size"), max_size)
            if chunk:
                yield chunk
            if decompressor.eof:
                break
            if not chunk and not pending:
                raise Malformed(TRUNCATED)
    except zlib.error as exc:
        raise Malformed(N_("the compressed payload is damaged")) from exc
    if decompressor.unused_data or pending:
        raise Malformed(N_("there are extra bytes after the compressed payload"))


@dataclass(frozen=True)
class LineBounds:
    """What one payload may hold beyond its size and row count, checked on each line's bytes
    before `json.loads` builds anything from it (docs/formats.md, "Limits")."""

    max_line: int  # bytes in one line, newline excluded
    max_depth: int  # nesting of objects/arrays in one line (`{}` is 1)
    max_line_containers: int  # JSON objects and arrays in one line
    max_containers: int  # JSON objects and arrays in the whole payload


# Bundles come from laptops, so from whoever holds an approved laptop: tight bounds that fit
# what tpsdesk writes. A row is ~1 KB with 3 containers (row, values, history) plus one per
# device in its history, nested 3 deep (row → history → [device, counter]).
BUNDLE_BOUNDS = LineBounds(
    max_line=64 * 1024, max_depth=5, max_line_containers=64, max_containers=500_000
)
# Setup files and receipts are signed by the district key the laptop pinned; looser bounds
# (a setup file's post catalogue is one larger line), still far from what hurts.
FILE_BOUNDS = LineBounds(
    max_line=MAX_LINE,
    max_depth=MAX_DEPTH + 1,
    max_line_containers=4096,
    max_containers=1_000_000,
)

# A JSON string, escapes included, up to its closing quote — or to the end of the line when
# it has none, so that a broken line costs one pass (possessive: no backtracking).
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)')
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_OPENERS = frozenset(b"[{")


def _nesting(structure: bytes) -> int:
    """The deepest nesting of a run of brackets (nothing but `[]{}`)."""
    depth = deepest = 0
    for byte in structure:
        if byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _scan_line(line: bytes, bounds: LineBounds) -> int:
    """The JSON objects and arrays in a line, from its bytes alone, before it is parsed;
    PayloadTooLarge past the line's bounds.

    Counting brackets is a C-speed scan and an upper bound (a bracket inside a text counts
    too): when it is within the nesting cap, no cap can be crossed. Otherwise the texts are
    cut out (one regular-expression pass) and the brackets left are counted and their
    nesting measured exactly."""
    count = line.count(b"{") + line.count(b"[")
    if count <= bounds.max_depth:  # nesting ≤ count ≤ max_depth < max_line_containers
        return count
    structure = _STRING.sub(b"", line).translate(None, _NOT_BRACKETS)
    count = structure.count(b"{") + structure.count(b"[")
    if count > bounds.max_line_containers:
        raise PayloadTooLarge(N_("JSON objects and arrays in one line"), bounds.max_line_containers)
    if _nesting(structure) > bounds.max_depth:
        raise PayloadTooLarge(N_("nesting depth"), bounds.max_depth)
    return count


def decode_lines(
    data: bytes,
    *,
    max_size: int,
    max_rows: int = MAX_ROWS,
    bounds: LineBounds = FILE_BOUNDS,
) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """(manifest, rows, unpacked size). Every line must be a canonical JSON object ending in
    a newline. PayloadTooLarge, while unpacking and before a line is parsed, past `max_size`
    unpacked bytes, `max_rows` rows or any of `bounds`; Malformed for anything else wrong."""
    max_size = min(max_size, MAX_DECOMPRESSED)
    values: list[dict[str, Any]] = []
    partial = b""
    size = 0
    containers = 0
    for chunk in _decompressed_chunks(data, max_size):
        size += len(chunk)
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        if len(partial) > bounds.max_line:
            raise PayloadTooLarge(N_("line length"), bounds.max_line)
        for line in lines:
            if len(line) > bounds.max_line:
                raise PayloadTooLarge(N_("line length"), bounds.max_line)
            if len(values) > max_rows:  # the manifest is not a row
                raise PayloadTooLarge(N_("number of rows"), max_rows)
            containers += _scan_line(line, bounds)
            if containers > bounds.max_containers:
                raise PayloadTooLarge(N_("JSON objects and arrays in all"), bounds.max_containers)
            values.append(_parse_line(line, check_duplicates=False))
    if partial:
        raise Malformed(N_("the last line of the payload has no newline"))
    if not values:
        raise Malformed(N_("the payload has no manifest"))
    return values[0], values[1:], size


def decode_rows(
    data: bytes, *, max_size: int, max_rows: int = MAX_ROWS, bounds: LineBounds = FILE_BOUNDS
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(manifest, rows) from a payload made by `encode_rows`, bounded (see `decode_lines`)."""
    manifest, rows, _size = decode_lines(data, max_size=max_size, max_rows=max_rows, bounds=bounds)
    return manifest, rows


def check_manifest(manifest: dict[str, Any], header: dict[str, Any], kind: Kind | str) -> None:
    """ManifestMismatch unless the header is of `kind` and the manifest repeats its sender,
    recipient, file id, area and sequence range exactly (and has no other fields)."""
    if header.get("kind") != Kind(kind).value:
        raise ManifestMismatch("kind")
    expected = manifest_for(header)
    for field in MANIFEST_FIELDS:
        if field not in manifest or manifest[field] != expected[field]:
            raise ManifestMismatch(field)
        # 1 == True in Python: compare types too, so `true` cannot stand for seq 1.
        if type(manifest[field]) is not type(expected[field]):
            raise ManifestMismatch(field)
    extra = sorted(set(manifest) - set(MANIFEST_FIELDS))
    if extra:
        raise ManifestMismatch(extra[0])


# --- whole files: the writer's and the reader's order (SECURITY.md "Files that travel") ------

BUNDLE_INFO_LABEL = b"tpsdesk-bundle-v1\x00"

SenderCheck = Callable[[str, bytes], bool]


def _with_payload(
    header: dict[str, Any],
    manifest: dict[str, Any] | None,
    rows: Iterable[dict[str, Any]],
    encryption: str,
) -> tuple[dict[str, Any], bytes]:
    """The header with its `payload` field filled in, and the compressed payload."""
    if manifest is None:
        manifest = manifest_for(header)
    encoded, size, count = encode_lines(manifest, rows)
    header = {
        **header,
        "payload": {
            "encoding": ENCODING_JSONL_ZLIB,
            "encryption": encryption,
            "size": size,
            "rows": count,
        },
    }
    try:
        validate_header(header)
        check_manifest(manifest, header, header["kind"])
    except SyncError as exc:
        raise ValueError(f"inconsistent header or manifest: {exc.code} {exc.message}") from exc
    return header, encoded


def seal_bundle(
    header: dict[str, Any],
    rows_manifest: dict[str, Any] | None,
    rows: Iterable[dict[str, Any]],
    signing_key: Ed25519PrivateKey,
    district_x25519_public: bytes,
) -> bytes:
    """A bundle file: rows compressed, encrypted to the district (HPKE, `info` = label ‖ header
    bytes), signed by the laptop. `header` is complete except `payload`, which is filled in
    here; `rows_manifest` None means `manifest_for(header)`. A header that does not name the
    district key's fingerprint as recipient is a programming error (ValueError); a low-order
    district key is Malformed."""
    if header.get("kind") not in (Kind.BUNDLE.value, Kind.ROLLUP.value):
        raise ValueError("seal_bundle needs a bundle or roll-up header")
    recipient = header.get("recipient")
    if not isinstance(recipient, dict) or recipient.get("fingerprint") != x25519_fingerprint(
        district_x25519_public
    ):
        raise ValueError("header recipient.fingerprint is not the district key's fingerprint")
    header, encoded = _with_payload(header, rows_manifest, rows, ENCRYPTION_HPKE)
    ciphertext = seal_to(
        district_x25519_public, encoded, BUNDLE_INFO_LABEL + canonical_json(header)
    )
    return build_container(header, ciphertext, signing_key)


def seal_signed(
    header: dict[str, Any],
    manifest: dict[str, Any] | None,
    rows: Iterable[dict[str, Any]],
    signing_key: Ed25519PrivateKey,
) -> bytes:
    """A signed, unencrypted file (setup file, receipt); `payload` is filled in here."""
    if header.get("kind") in (Kind.BUNDLE.value, Kind.ROLLUP.value):
        raise ValueError("bundles are encrypted: use seal_bundle")
    header, encoded = _with_payload(header, manifest, rows, ENCRYPTION_NONE)
    return build_container(header, encoded, signing_key)


RECEIPT_INFO_LABEL = b"tpsdesk-receipt-v2\x00"


def seal_receipt(
    header: dict[str, Any],
    rows: Iterable[dict[str, Any]],
    signing_key: Ed25519PrivateKey,
    laptop_x25519_public: bytes,
) -> bytes:
    """A format 2 receipt: entries compressed, encrypted to the laptop's X25519 key (HPKE, the
    bundles' suite, `info` = receipt label ‖ header bytes), signed by the district. A low-order
    laptop key is Malformed."""
    if header.get("kind") != Kind.RECEIPT.value:
        raise ValueError("seal_receipt needs a receipt header")
    header, encoded = _with_payload(header, None, rows, ENCRYPTION_HPKE)
    ciphertext = seal_to(laptop_x25519_public, encoded, RECEIPT_INFO_LABEL + canonical_json(header))
    return build_container(header, ciphertext, signing_key)


def open_receipt(
    data: bytes,
    *,
    trusted_key: bytes,
    keys: dict[str, X25519PrivateKey],
    check_recipient: Callable[[dict[str, Any]], None] | None = None,
    file: str | os.PathLike[str] | None = None,
) -> tuple[Container, dict[str, Any], list[dict[str, Any]]]:
    """Read a receipt of either format, signed by `trusted_key` (the pinned district key):

    size cap → strict header → kind → signature → `check_recipient(header["recipient"])` (it
    raises to refuse) → (format 2) the recipient id is one of `keys` (the laptop's device ids),
    else WrongRecipient → decrypt with its key → bounded decompression → manifest and counts
    equal the header. Returns the container, manifest and entries."""
    try:
        container = parse_container(data)
        if container.kind is not Kind.RECEIPT:
            raise Malformed(
                N_("the file is a {kind}, not a {expected}"),
                kind=kind_label(container.kind),
                expected=kind_label(Kind.RECEIPT),
            )
        verify_container(container, trusted_key)
        if check_recipient is not None:
            check_recipient(container.header["recipient"])
        payload = container.payload
        if container.header["payload"]["encryption"] != ENCRYPTION_NONE:
            recipient = container.header["recipient"]
            key = keys.get(str(recipient["id"]))
            if key is None:
                raise WrongRecipient(recipient["fingerprint"])
            payload = open_from(key, payload, RECEIPT_INFO_LABEL + container.header_bytes)
        manifest, rows = _unpack(container, payload)
    except SyncError as exc:
        if file is not None:
            exc.with_file(file)
        raise
    return container, manifest, rows


def _unpack(container: Container, payload: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Bounded decompression, then the manifest and the counts against the header."""
    claimed = container.header["payload"]
    bounds = BUNDLE_BOUNDS if container.kind in (Kind.BUNDLE, Kind.ROLLUP) else FILE_BOUNDS
    manifest, rows, size = decode_lines(
        payload, max_size=claimed["size"], max_rows=claimed["rows"], bounds=bounds
    )
    check_manifest(manifest, container.header, container.kind)
    if size != claimed["size"]:
        raise ManifestMismatch("payload.size")
    if len(rows) != claimed["rows"]:
        raise ManifestMismatch("payload.rows")
    return manifest, rows


def parse_bundle(data: bytes) -> Container:
    """Steps 1–3 of reading a bundle: size cap, structure and strict header (`parse_container`),
    and the kind must be `bundle`. Done once: every later step takes this container."""
    container = parse_container(data)
    if container.kind is not Kind.BUNDLE:
        raise Malformed(N_("the file is a {kind}, not a bundle"), kind=kind_label(container.kind))
    return container


def check_recipient(
    container: Container,
    district_private_x25519: X25519PrivateKey,
    expected_recipient_fingerprint: str | None = None,
) -> None:
    """Step 6: WrongRecipient unless the header names our X25519 key (and, if given, the
    fingerprint the caller expects)."""
    ours = x25519_fingerprint(x25519_raw(district_private_x25519))
    named = container.header["recipient"]["fingerprint"]
    if not fingerprints_match(named, ours) or (
        expected_recipient_fingerprint is not None
        and not fingerprints_match(named, expected_recipient_fingerprint)
    ):
        raise WrongRecipient(named)


def decrypt_bundle(container: Container, district_private_x25519: X25519PrivateKey) -> bytes:
    """Step 7: the still compressed plaintext of a bundle whose container passed steps 1–6
    (the caller's job: `open_bundle`, or `bundle.receive_bundle` at the district). HPKE's
    `info` binds the header bytes, so a header swapped onto this payload does not open."""
    return open_from(
        district_private_x25519, container.payload, BUNDLE_INFO_LABEL + container.header_bytes
    )


def unpack_bundle(
    container: Container, plaintext: bytes, *, file: str | os.PathLike[str] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Steps 8–9: a decrypted bundle's manifest and rows, decoded within `BUNDLE_BOUNDS` and
    the header's claims, then the manifest and counts against the header (no key needed: it
    may run in another process)."""
    try:
        return _unpack(container, plaintext)
    except SyncError as exc:
        if file is not None:
            exc.with_file(file)
        raise


def open_bundle(
    data: bytes,
    *,
    expected_recipient_fingerprint: str,
    district_private_x25519: X25519PrivateKey,
    trusted_sender_key: bytes | None,
    is_sender_allowed: SenderCheck | None = None,
    file: str | os.PathLike[str] | None = None,
) -> tuple[Container, dict[str, Any], list[dict[str, Any]]]:
    """Read a bundle in SECURITY.md's order, refusing at the first failure:

    size cap → strict header → sender allowed (`is_sender_allowed(sender_id, signing_key)`,
    else SenderNotAllowed) and, if given, the sender key equals `trusted_sender_key` →
    signature → recipient fingerprint is ours → decrypt → bounded decompression → manifest
    and counts equal the header. Nothing is decrypted before the signature and recipient
    checks pass. Every refusal is a SyncError naming `file` (if given).

    The district's own reader (`bundle.receive_bundle`) runs the same steps, with its device
    list as the sender check and quarantine for laptops not yet approved."""
    try:
        container = parse_bundle(data)
        if is_sender_allowed is not None and not is_sender_allowed(
            container.sender_id, container.sender_key
        ):
            raise SenderNotAllowed(container.sender_id, fingerprint(container.sender_key))
        if trusted_sender_key is not None and not hmac.compare_digest(
            container.sender_key, trusted_sender_key
        ):
            raise BadSignature()
        verify_container(container, container.sender_key)
        check_recipient(container, district_private_x25519, expected_recipient_fingerprint)
        plaintext = decrypt_bundle(container, district_private_x25519)
        manifest, rows = _unpack(container, plaintext)
    except SyncError as exc:
        if file is not None:
            exc.with_file(file)
        raise
    return container, manifest, rows


def open_signed(
    data: bytes,
    *,
    trusted_key: bytes,
    kind: Kind | str | None = None,
    file: str | os.PathLike[str] | None = None,
) -> tuple[Container, dict[str, Any], list[dict[str, Any]]]:
    """Read a signed, unencrypted file (setup file, receipt) signed by `trusted_key` (the
    pinned district key; at first enrolment, the key whose fingerprint the person confirmed).

    size cap → strict header → kind (if given) → sender key is `trusted_key` → signature →
    bounded decompression → manifest and counts equal the header."""
    try:
        container = parse_container(data)
        if kind is not None and container.kind is not Kind(kind):
            raise Malformed(
                N_("the file is a {kind}, not a {expected}"),
                kind=kind_label(container.kind),
                expected=kind_label(kind),
            )
        if container.header["payload"]["encryption"] != ENCRYPTION_NONE:
            raise Malformed(N_("the payload is encrypted"))
        verify_container(container, trusted_key)
        manifest, rows = _unpack(container, container.payload)
    except SyncError as exc:
        if file is not None:
            exc.with_file(file)
        raise
    return container, manifest, rows
