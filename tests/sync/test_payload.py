"""Payloads: canonical JSON lines in zlib, bounded decoding, the manifest check."""

from __future__ import annotations

import zlib
from typing import Any

import pytest

from tpsdesk.sync import errors
from tpsdesk.sync.container import canonical_json
from tpsdesk.sync.payload import (
    MANIFEST_FIELDS,
    MAX_LINE,
    ZLIB_LEVEL,
    check_manifest,
    decode_lines,
    decode_rows,
    encode_lines,
    encode_rows,
    manifest_for,
)

HEADER: dict[str, Any] = {
    "kind": "bundle",
    "file_id": "b0d1e000-0000-4000-8000-000000000001",
    "sender": {"id": "laptop1", "role": "field", "signing_key": "k"},
    "recipient": {"id": "district1", "fingerprint": "12345 12345 12345 12345 12345 12345"},
    "area": "35.73.05.1001",
    "seq_from": 4,
    "seq_to": 9,
}
ROWS = [
    {"table": "officer", "seq": 4, "values": {"name": "Dewi Lestari", "deleted": False}},
    {"table": "tps", "seq": 5, "values": {"number": 12, "note": None, "tags": ["a", "é"]}},
]


def lines_of(*values: Any) -> bytes:
    return b"".join(canonical_json(v) + b"\n" for v in values)


def test_round_trip_and_wire_form() -> None:
    manifest = manifest_for(HEADER)
    data = encode_rows(manifest, ROWS)
    expected_lines = lines_of(manifest, *ROWS)
    assert zlib.decompress(data) == expected_lines
    compressor = zlib.compressobj(ZLIB_LEVEL)
    assert data == compressor.compress(expected_lines) + compressor.flush()
    assert decode_rows(data, max_size=10_000) == (manifest, ROWS)
    compressed, size, count = encode_lines(manifest, iter(ROWS))
    assert (compressed, size, count) == (data, len(expected_lines), 2)


def test_manifest_for_each_kind() -> None:
    manifest = manifest_for(HEADER)
    assert tuple(manifest) == MANIFEST_FIELDS
    assert manifest["sender_id"] == "laptop1"
    assert manifest["recipient"] == HEADER["recipient"]
    assert (manifest["seq_from"], manifest["seq_to"]) == (4, 9)
    setup = {k: v for k, v in HEADER.items() if not k.startswith("seq")} | {"kind": "setup"}
    assert manifest_for(setup)["seq_from"] is None


def test_encoder_refuses_floats_and_non_objects() -> None:
    with pytest.raises(TypeError):
        encode_rows(manifest_for(HEADER), [{"amount": 1.5}])
    with pytest.raises(TypeError):
        encode_rows(manifest_for(HEADER), [["not", "an", "object"]])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "no manifest"),
        (b'{"a":1}', "no newline"),
        (b'{"a":1}\n\n', "cannot be read"),
        (b'{"a":1}\n[1]\n', "not an object"),
        (b'{"a":1}\n{"b":1.5}\n', "not an integer"),
        (b'{"a":1}\n{"b": 1}\n', "canonical"),
        (b'{"a":1}\n{"b":1,"b":1}\n', "canonical"),
        (b'{"a":1}\r\n', "canonical"),
        (b'{"a":"\xff"}\n', "UTF-8"),
    ],
)
def test_bad_lines_are_malformed(raw: bytes, reason: str) -> None:
    with pytest.raises(errors.Malformed) as caught:
        decode_rows(zlib.compress(raw), max_size=1000)
    assert reason in caught.value.reason  # the msgid: the test does not depend on language


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: d[:-1],  # checksum cut
        lambda d: d[: len(d) // 2],
        lambda d: d + b"\x00",  # bytes after the stream
        lambda d: d + zlib.compress(b"{}\n"),  # a second stream
        lambda d: b"\x00" + d,
        lambda d: d[:-4] + bytes(4),  # wrong Adler-32
        lambda d: b"",
    ],
)
def test_damaged_compression_is_malformed(mangle: Any) -> None:
    data = encode_rows(manifest_for(HEADER), ROWS)
    with pytest.raises(errors.Malformed):
        decode_rows(mangle(data), max_size=10_000)


def test_gzip_and_raw_deflate_are_not_accepted() -> None:
    raw = lines_of({"a": 1})
    gzip_like = zlib.compressobj(6, zlib.DEFLATED, 31)
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    for compressor in (gzip_like, raw_deflate):
        with pytest.raises(errors.Malformed):
            decode_rows(compressor.compress(raw) + compressor.flush(), max_size=1000)


def test_size_cap_is_exact() -> None:
    raw = lines_of(manifest_for(HEADER), *ROWS)
    data = zlib.compress(raw)
    assert decode_lines(data, max_size=len(raw))[2] == len(raw)
    with pytest.raises(errors.PayloadTooLarge):
        decode_rows(data, max_size=len(raw) - 1)


def test_row_cap_counts_rows_not_the_manifest() -> None:
    data = encode_rows(manifest_for(HEADER), ROWS)
    assert len(decode_rows(data, max_size=10_000, max_rows=2)[1]) == 2
    with pytest.raises(errors.PayloadTooLarge):
        decode_rows(data, max_size=10_000, max_rows=1)


def test_line_cap() -> None:
    long_line = canonical_json({"a": "x" * MAX_LINE}) + b"\n"
    with pytest.raises(errors.PayloadTooLarge):
        decode_rows(zlib.compress(long_line), max_size=4 * MAX_LINE)
    with pytest.raises(errors.PayloadTooLarge):  # a line that never ends
        decode_rows(zlib.compress(b"{" + b" " * (2 * MAX_LINE)), max_size=4 * MAX_LINE)
    with pytest.raises(ValueError):
        encode_rows(manifest_for(HEADER), [{"a": "x" * MAX_LINE}])


@pytest.mark.parametrize("field", [*MANIFEST_FIELDS])
def test_check_manifest_names_the_field(field: str) -> None:
    manifest = manifest_for(HEADER)
    check_manifest(manifest, HEADER, "bundle")
    changed = dict(manifest)
    changed[field] = "something else"
    with pytest.raises(errors.ManifestMismatch) as caught:
        check_manifest(changed, HEADER, "bundle")
    assert caught.value.field == field
    assert field in caught.value.message


def test_check_manifest_types_and_extra_fields() -> None:
    header = dict(HEADER, seq_from=1)
    manifest = manifest_for(header)
    with pytest.raises(errors.ManifestMismatch):
        check_manifest(dict(manifest, seq_from=True), header, "bundle")
    with pytest.raises(errors.ManifestMismatch):
        check_manifest(dict(manifest, extra=1), header, "bundle")
    with pytest.raises(errors.ManifestMismatch):
        check_manifest(manifest, header, "receipt")
