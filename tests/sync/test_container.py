"""The container: canonical JSON, strict parsing, header fields, signatures, names, errors,
and the HPKE wrapper (docs/formats.md)."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tpsdesk import i18n
from tpsdesk.sync import errors, hpke
from tpsdesk.sync.container import (
    MAGIC,
    MAX_FILE,
    MAX_HEADER,
    MAX_INT,
    MAX_PAYLOAD,
    SIGNATURE_LABEL,
    Kind,
    assemble,
    build_container,
    canonical_json,
    describe_header,
    encode_key,
    parse_canonical_json,
    parse_container,
    raw_public_key,
    suggested_file_name,
    validate_header,
    verify_container,
)
from tpsdesk.sync.fingerprint import fingerprint

VECTORS = Path(__file__).resolve().parent / "vectors"


def _load_vectors_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mv = _load_vectors_module()


def setup_header() -> dict[str, Any]:
    header: dict[str, Any] = mv.setup_header()
    header["payload"] = {"encoding": "jsonl+zlib", "encryption": "none", "size": 10, "rows": 1}
    return header


def bundle_header() -> dict[str, Any]:
    header: dict[str, Any] = mv.bundle_header()
    header["payload"] = {
        "encoding": "jsonl+zlib",
        "encryption": "hpke-x25519-sha256-chacha20poly1305",
        "size": 10,
        "rows": 1,
    }
    return header


def receipt_header() -> dict[str, Any]:
    header = setup_header()
    del header["expires_at"]
    header["kind"] = "receipt"
    header["for_seq_to"] = 7
    header["recipient"] = {"id": mv.LAPTOP_ID, "fingerprint": fingerprint(b"x" * 32)}
    return header


def built(header: dict[str, Any] | None = None, payload: bytes = b"payload") -> bytes:
    return build_container(header or setup_header(), payload, mv.DISTRICT_SIGNING)


# --- canonical JSON -------------------------------------------------------------------------


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_utf8() -> None:
    value = {"b": [1, True, None], "a": {"z": "Kelurahan Sukajadi — ü", "y": -5}}
    assert canonical_json(value) == (
        '{"a":{"y":-5,"z":"Kelurahan Sukajadi — ü"},"b":[1,true,null]}'.encode()
    )


@pytest.mark.parametrize(
    "value",
    [{"a": 1.0}, {"a": float("nan")}, {1: "a"}, {"a": MAX_INT + 1}, {"a": b"x"}, {"a": (1,)}],
)
def test_canonical_json_refuses_values_without_one_spelling(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical_json(value)


def test_canonical_json_refuses_deep_nesting() -> None:
    value: Any = 1
    for _ in range(20):
        value = {"a": value}
    with pytest.raises(ValueError):
        canonical_json(value)


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": 1}',  # whitespace
        b'{"b":1,"a":2}',  # key order
        b'{"a":1,"a":1}',  # duplicate key, even with equal values
        b'{"a":1.0}',
        b'{"a":1e3}',
        b'{"a":NaN}',
        b'{"a":-Infinity}',
        b'{"a":"\\u0041"}',  # escaped where the canonical form is literal
        b'{"a":"\\ud800"}',  # lone surrogate
        b'{"a":"\xff"}',  # not UTF-8
        b'{"a":01}',
        b'{"a":9007199254740992}',  # 2^53
        b'{"a":' + b"9" * 5000 + b"}",
        b"[1]",
        b'"a"',
        b"",
        b'{"a":1} ',
        b'{"a":1}\n',
        b"\xef\xbb\xbf{}",  # BOM
        b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"a":' + b"[" * 9 + b"]" * 9 + b"}",  # deeper than MAX_DEPTH
    ],
)
def test_parse_canonical_json_refuses(text: bytes) -> None:
    with pytest.raises(errors.Malformed):
        parse_canonical_json(text)


def test_parse_canonical_json_names_duplicates() -> None:
    with pytest.raises(errors.Malformed) as caught:
        parse_canonical_json(b'{"a":1,"a":2}')
    assert "same key twice" in caught.value.reason


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_INT, MAX_INT)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_canonical_json_round_trips(value: dict[str, Any]) -> None:
    try:
        data = canonical_json(value)
    except ValueError:  # nesting deeper than allowed
        return
    assert parse_canonical_json(data) == value


# --- build, parse, verify -------------------------------------------------------------------


def test_round_trip_and_signed_bytes() -> None:
    data = built(payload=b"\x00\x01payload")
    container = parse_container(data)
    assert container.header == setup_header()
    assert container.header_bytes == canonical_json(setup_header())
    assert container.payload == b"\x00\x01payload"
    assert container.signature == data[-64:]
    assert container.signed_bytes == SIGNATURE_LABEL + data[:-64]
    assert container.kind is Kind.SETUP
    assert container.sender_key == raw_public_key(mv.DISTRICT_SIGNING)
    verify_container(container, raw_public_key(mv.DISTRICT_SIGNING))


def test_layout_is_as_documented() -> None:
    data = built(payload=b"abc")
    header = canonical_json(setup_header())
    assert data[:8] == MAGIC == b"TPSDFILE"
    assert data[8] == 1
    assert int.from_bytes(data[9:13], "big") == len(header)
    assert data[13 : 13 + len(header)] == header
    at = 13 + len(header)
    assert data[at : at + 4] == (3).to_bytes(4, "big")
    assert data[at + 4 : at + 7] == b"abc"
    assert data[at + 7 : at + 11] == (64).to_bytes(4, "big")
    assert len(data) == at + 11 + 64


def test_verify_refuses_another_key_even_if_it_signed() -> None:
    container = parse_container(built())
    other = Ed25519PrivateKey.generate()
    with pytest.raises(errors.BadSignature):
        verify_container(container, raw_public_key(other))
    # A file signed by one key but naming another in its header is refused too.
    forged = assemble(container.header_bytes, container.payload, other.sign)
    with pytest.raises(errors.BadSignature):
        verify_container(parse_container(forged), raw_public_key(other))


def test_signature_label_is_part_of_the_signed_message() -> None:
    """A signature over the bare bytes (no label) does not verify."""
    data = built()
    unlabelled = mv.DISTRICT_SIGNING.sign(data[:-64])
    with pytest.raises(errors.BadSignature):
        verify_container(
            parse_container(data[:-64] + unlabelled), raw_public_key(mv.DISTRICT_SIGNING)
        )


def test_caps_are_checked_before_reading_on() -> None:
    data = built()
    with pytest.raises(errors.TooLarge):
        parse_container(data + bytes(MAX_FILE + 1 - len(data)))
    big_header = MAGIC + b"\x01" + (MAX_HEADER + 1).to_bytes(4, "big")
    with pytest.raises(errors.TooLarge) as caught:
        parse_container(big_header)  # nothing follows: refused on the length alone
    assert caught.value.limit == MAX_HEADER
    header = canonical_json(setup_header())
    big_payload = (
        MAGIC + b"\x01" + len(header).to_bytes(4, "big") + header
        + (MAX_PAYLOAD + 1).to_bytes(4, "big")
    )  # fmt: skip
    with pytest.raises(errors.TooLarge):
        parse_container(big_payload)


def test_signature_length_must_be_64() -> None:
    data = built()
    bad = data[:-68] + (63).to_bytes(4, "big") + data[-63:]
    with pytest.raises(errors.Malformed):
        parse_container(bad)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", errors.NotATpsdeskFile),
        (b"PK\x03\x04" + bytes(100), errors.NotATpsdeskFile),
        (b"TPSD", errors.Malformed),
        (MAGIC, errors.Malformed),
        (MAGIC + b"\x00", errors.UnsupportedFormat),
        (MAGIC + b"\x02" + bytes(20), errors.UnsupportedFormat),
        (MAGIC + b"\x01\x00\x00", errors.Malformed),
    ],
)
def test_short_and_foreign_files(data: bytes, error: type[errors.SyncError]) -> None:
    with pytest.raises(error):
        parse_container(data)


def test_unsupported_version_is_named() -> None:
    with pytest.raises(errors.UnsupportedFormat) as caught:
        parse_container(MAGIC + b"\x07")
    assert caught.value.version == 7
    assert "7" in caught.value.message


# --- header fields --------------------------------------------------------------------------


@pytest.mark.parametrize("make", [setup_header, bundle_header, receipt_header])
def test_every_kind_validates(make: Any) -> None:
    header = make()
    validate_header(header)
    assert parse_container(built(header) if header["kind"] != "bundle" else _bundle(header))


def _bundle(header: dict[str, Any]) -> bytes:
    return build_container(header, b"x" * 48, mv.LAPTOP_SIGNING)


def _set(header: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    header = copy.deepcopy(header)
    *parents, last = path.split(".")
    target = header
    for name in parents:
        target = target[name]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return header


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("kind", "backup"),
        ("format", 2),
        ("format", True),
        ("file_id", "5E7C0F11-0000-4000-8000-000000000001"),
        ("file_id", "not-a-uuid"),
        ("created_at", "2025-01-15T08:00:00+07:00"),
        ("created_at", "2025-01-15T08:00:00"),
        ("created_at", "yesterday"),
        ("sender.role", "field"),
        ("sender.id", ""),
        ("sender.id", "\x1b[2J"),
        ("sender.signing_key", "AAAA"),
        ("sender.signing_key", base64.b64encode(b"x" * 33).decode()),
        ("sender.signing_key", base64.urlsafe_b64encode(b"\xfb" * 32).decode()),
        ("sender.extra", 1),
        ("recipient.fingerprint", "1234512345123451234512345123451"),
        ("recipient.fingerprint", "123451234512345123451234512345"),
        ("recipient", _DELETE),
        ("district.name", "KPU\u202eKota"),  # bidi override: would reorder inspect output
        ("district.name", "x" * 201),
        ("area", 3573),
        ("payload.encoding", "jsonl+gzip"),
        ("payload.encryption", "hpke-x25519-sha256-chacha20poly1305"),
        ("payload.size", 128 * 1024 * 1024 + 1),  # container.MAX_DECOMPRESSED + 1
        ("payload.rows", -1),
        ("payload.rows", 100_001),  # container.MAX_ROWS + 1
        ("version", 0),
        ("expires_at", _DELETE),
        ("seq_from", 1),  # a field of another kind
        ("unknown", "x"),
    ],
)
def test_invalid_setup_header_fields(path: str, value: Any) -> None:
    header = _set(setup_header(), path, value)
    with pytest.raises(errors.Malformed) as caught:
        validate_header(header)
    assert "header field" in caught.value.reason
    with pytest.raises(ValueError):
        build_container(header, b"", mv.DISTRICT_SIGNING)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("seq_from", 0),
        ("seq_to", 0),  # below seq_from
        ("counts", []),
        ("counts", {"officer": -1}),
        ("sender.role", "district"),
        ("payload.encryption", "none"),
        ("version", 1),
    ],
)
def test_invalid_bundle_header_fields(path: str, value: Any) -> None:
    with pytest.raises(errors.Malformed):
        validate_header(_set(bundle_header(), path, value))


def test_a_bundle_may_name_its_setup_file() -> None:
    """Issue 8 point 1: the optional `setup` field (the setup file's id) of bundle headers."""
    validate_header(_set(bundle_header(), "setup", "0b6c8f0e-7a2e-4d36-9a51-2c3f0f6f1e11"))
    for bad in ("", 7, None, "x" * 65):
        with pytest.raises(errors.Malformed):
            validate_header(_set(bundle_header(), "setup", bad))
    with pytest.raises(errors.Malformed):
        validate_header(_set(setup_header(), "setup", "0b6c8f0e-7a2e-4d36-9a51-2c3f0f6f1e11"))


def test_builder_refuses_a_header_naming_another_key() -> None:
    with pytest.raises(ValueError):
        build_container(setup_header(), b"", mv.LAPTOP_SIGNING)


# --- display, names, errors -----------------------------------------------------------------


@pytest.mark.parametrize("make", [setup_header, bundle_header, receipt_header])
def test_describe_header(make: Any) -> None:
    i18n.set_language("en")
    try:
        header = make()
        described = dict(describe_header(header))
    finally:
        i18n.set_language(None)
    assert described["File id"] == header["file_id"]
    sender = fingerprint(base64.b64decode(header["sender"]["signing_key"]))
    recipient = header["recipient"]["fingerprint"]
    district_label = "District fingerprint (the one read over the phone)"
    if header["kind"] == "bundle":
        assert described["Laptop fingerprint (compared when the district approves it)"] == sender
        assert [label for label in described if label.startswith("District encryption key")]
    else:
        signing = [k for k in described if k.startswith("District signing key")]
        assert [described[k] for k in signing] == [sender]
        assert "not the fingerprint read over the phone" in signing[0]
    if header["kind"] == "setup" and header["recipient"]["id"] == "all":
        assert described[district_label] == recipient
    else:
        assert district_label not in described and recipient in described.values()
    if header["kind"] == "bundle":
        assert described["Sequence numbers"] == "1–2"
    else:
        assert described["Version"] == str(header["version"])


def test_suggested_file_names() -> None:
    assert suggested_file_name(bundle_header()) == "3573051001_1a970900_1-2.tpsb"
    assert suggested_file_name(setup_header()) == "3573051001_setup_v3.tpss"
    assert suggested_file_name(receipt_header()) == "3573051001_1a970900_receipt_v3.tpsr"
    hostile = _set(bundle_header(), "sender.id", "../../etc/passwd")
    assert suggested_file_name(hostile) == "3573051001_etcpassw_1-2.tpsb"


def test_error_messages_name_the_file_and_are_translated() -> None:
    i18n.set_language("en")
    try:
        exc = errors.Malformed(errors.TRUNCATED).with_file("a.tpsb")
        assert exc.message.startswith("a.tpsb: ")
        assert "cut short" in exc.message
        assert str(exc) == exc.message
        assert "ask the sender" in exc.message
        assert "a.tpsb" in errors.TooLarge("the file", 10**9, MAX_FILE, file="a.tpsb").message
        assert "64 MiB" in errors.TooLarge("the file", 10**9, MAX_FILE).message
        assert "12345" in errors.WrongRecipient("12345 67890").message
    finally:
        i18n.set_language(None)


def test_error_codes_are_distinct() -> None:
    classes = [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.SyncError)
    ]
    assert len(classes) >= 11
    assert len({c.code for c in classes}) == len(classes)


# --- HPKE -----------------------------------------------------------------------------------

LOW_ORDER_ENCODINGS = [
    bytes.fromhex(h)
    for h in (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        # the same points with bit 255 set, which X25519 ignores
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0100000000000000000000000000000000000000000000000000000000000080",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    )
]


def test_hpke_round_trip_and_binding() -> None:
    key = X25519PrivateKey.generate()
    sealed = hpke.seal_to(hpke.x25519_raw(key), b"rows", b"info")
    assert len(sealed) == len(b"rows") + hpke.OVERHEAD
    assert hpke.open_from(key, sealed, b"info") == b"rows"
    with pytest.raises(errors.DecryptionFailed):
        hpke.open_from(key, sealed, b"other info")
    with pytest.raises(errors.DecryptionFailed):
        hpke.open_from(X25519PrivateKey.generate(), sealed, b"info")
    with pytest.raises(errors.Malformed):
        hpke.open_from(key, sealed[: hpke.OVERHEAD - 1], b"info")


def test_hpke_is_randomised() -> None:
    raw = hpke.x25519_raw(X25519PrivateKey.generate())
    assert hpke.seal_to(raw, b"x", b"") != hpke.seal_to(raw, b"x", b"")


@pytest.mark.parametrize("raw", LOW_ORDER_ENCODINGS, ids=lambda raw: raw.hex()[:8])
def test_low_order_keys_are_refused_on_both_sides(raw: bytes) -> None:
    """SECURITY test 22: every encoding of a small-order point, as a recipient key or as the
    encapsulated key of a ciphertext."""
    assert hpke.is_low_order(raw)
    with pytest.raises(errors.Malformed) as caught:
        hpke.seal_to(raw, b"secret", b"")
    assert "low-order" in caught.value.reason
    with pytest.raises(errors.Malformed):
        hpke.open_from(X25519PrivateKey.generate(), raw + bytes(40), b"")


def test_low_order_list_agrees_with_x25519_itself() -> None:
    """Every listed encoding makes the X25519 exchange fail in `cryptography` too, and random
    keys are not flagged."""
    private = X25519PrivateKey.generate()
    for raw in LOW_ORDER_ENCODINGS:
        with pytest.raises(ValueError):
            private.exchange(hpke.X25519PublicKey.from_public_bytes(raw))
    for _ in range(200):
        assert not hpke.is_low_order(hpke.x25519_raw(X25519PrivateKey.generate()))


def test_cryptographys_own_low_order_error_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hpke, "is_low_order", lambda _raw: False)
    with pytest.raises(errors.Malformed):
        hpke.seal_to(bytes(32), b"secret", b"")


def test_x25519_key_length() -> None:
    with pytest.raises(errors.Malformed):
        hpke.x25519_public_key(b"\x09" * 31)


def test_x25519_fingerprint_is_labelled_apart() -> None:
    raw = hpke.x25519_raw(X25519PrivateKey.generate())
    assert hpke.x25519_fingerprint(raw) != fingerprint(raw)
    assert len(hpke.x25519_fingerprint(raw)) == 35


def test_encode_key_round_trips() -> None:
    raw = raw_public_key(mv.LAPTOP_SIGNING)
    assert base64.b64decode(encode_key(raw)) == raw
    assert json.loads(canonical_json({"k": encode_key(raw)}))["k"] == encode_key(raw)
