"""SECURITY.md adversarial tests 10–14, 18, 19, 22 and 23 at the level of files: whatever an
attacker does to a bundle, setup file or receipt, the reader refuses it with one of its own
errors (a SyncError) — never a traceback, never a half-read file."""

from __future__ import annotations

import copy
import importlib.util
import tracemalloc
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tpsdesk.sync import errors, payload
from tpsdesk.sync.container import (
    MAX_DECOMPRESSED,
    Container,
    assemble,
    canonical_json,
    encode_key,
    parse_container,
    raw_public_key,
)
from tpsdesk.sync.hpke import SUITE, x25519_fingerprint, x25519_raw
from tpsdesk.sync.payload import (
    BUNDLE_INFO_LABEL,
    decode_rows,
    encode_lines,
    manifest_for,
    open_bundle,
    open_signed,
    seal_bundle,
    seal_signed,
)

VECTORS = Path(__file__).resolve().parent / "vectors"


def _load_vectors_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mv = _load_vectors_module()
DISTRICT_X = mv.DISTRICT_X25519
DISTRICT_FP = x25519_fingerprint(x25519_raw(DISTRICT_X))
LAPTOP_KEY = raw_public_key(mv.LAPTOP_SIGNING)
DISTRICT_KEY = raw_public_key(mv.DISTRICT_SIGNING)
Result = tuple[Container, dict[str, Any], list[dict[str, Any]]]


def make_bundle(header: dict[str, Any] | None = None, rows: list[Any] | None = None) -> bytes:
    return seal_bundle(
        header or mv.bundle_header(),
        None,
        mv.bundle_rows() if rows is None else rows,
        mv.LAPTOP_SIGNING,
        x25519_raw(DISTRICT_X),
    )


BUNDLE = make_bundle()
SETUP = mv.build_setup()


def read_bundle(data: bytes, **overrides: Any) -> Result:
    options: dict[str, Any] = {
        "expected_recipient_fingerprint": DISTRICT_FP,
        "district_private_x25519": DISTRICT_X,
        "trusted_sender_key": LAPTOP_KEY,
        "is_sender_allowed": lambda _sender, key: key == LAPTOP_KEY,
    }
    options.update(overrides)
    return open_bundle(data, **options)


def read_setup(data: bytes) -> Result:
    return open_signed(data, trusted_key=DISTRICT_KEY, kind="setup")


def split(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(header bytes, payload, signature) of a well-formed container."""
    h = int.from_bytes(data[9:13], "big")
    p = int.from_bytes(data[13 + h : 17 + h], "big")
    return data[13 : 13 + h], data[17 + h : 17 + h + p], data[-64:]


def test_valid_files_open() -> None:
    container, manifest, rows = read_bundle(BUNDLE)
    assert rows == mv.bundle_rows()
    assert manifest == manifest_for(container.header)
    assert read_setup(SETUP)[2] == mv.setup_rows()


# --- 10, 11, 17: who signed it --------------------------------------------------------------


def _explode(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("must not be reached")


def test_10_unapproved_sender_refused_before_signature_and_decryption(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, bytes]] = []

    def nobody(sender: str, key: bytes) -> bool:
        seen.append((sender, key))
        return False

    monkeypatch.setattr(payload, "verify_container", _explode)
    monkeypatch.setattr(payload, "open_from", _explode)
    with pytest.raises(errors.SenderNotAllowed) as caught:
        read_bundle(BUNDLE, is_sender_allowed=nobody, file="x.tpsb")
    assert seen == [(mv.LAPTOP_ID, LAPTOP_KEY)]
    assert caught.value.fingerprint in caught.value.message
    assert caught.value.message.startswith("x.tpsb: ")


def test_11_bundle_resigned_by_another_approved_laptop_is_refused() -> None:
    other = Ed25519PrivateKey.generate()
    other_raw = raw_public_key(other)
    header_bytes, ciphertext, _ = split(BUNDLE)
    both = {LAPTOP_KEY, other_raw}
    # Signed by the other laptop under the original header: the header names the first key.
    with pytest.raises(errors.BadSignature):
        read_bundle(
            assemble(header_bytes, ciphertext, other.sign),
            trusted_sender_key=None,
            is_sender_allowed=lambda _s, k: k in both,
        )
    # The other laptop names itself in the header: HPKE's info no longer matches.
    header = parse_container(BUNDLE).header
    header = copy.deepcopy(header)
    header["sender"]["signing_key"] = encode_key(other_raw)
    header["sender"]["id"] = "0" * 32
    forged = assemble(canonical_json(header), ciphertext, other.sign)
    with pytest.raises(errors.DecryptionFailed):
        read_bundle(forged, trusted_sender_key=None, is_sender_allowed=lambda _s, k: k in both)
    # And if the district expects the first laptop's key, it never gets that far.
    with pytest.raises(errors.BadSignature):
        read_bundle(forged, is_sender_allowed=lambda _s, k: k in both)


def test_setup_file_signed_by_an_unpinned_key_is_refused() -> None:
    other = Ed25519PrivateKey.generate()
    header = mv.setup_header()
    header["sender"]["signing_key"] = encode_key(raw_public_key(other))
    with pytest.raises(errors.BadSignature):
        read_setup(seal_signed(header, None, mv.setup_rows(), other))


# --- 12: addressed to someone else ----------------------------------------------------------


def test_12_bundle_for_another_district_key_refused_without_decrypting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = X25519PrivateKey.generate()
    header = mv.bundle_header()
    header["recipient"]["fingerprint"] = x25519_fingerprint(x25519_raw(other))
    data = seal_bundle(header, None, mv.bundle_rows(), mv.LAPTOP_SIGNING, x25519_raw(other))
    monkeypatch.setattr(payload, "open_from", _explode)
    with pytest.raises(errors.WrongRecipient) as caught:
        read_bundle(data)
    assert caught.value.fingerprint == header["recipient"]["fingerprint"]


def test_12_expected_fingerprint_must_match_too() -> None:
    with pytest.raises(errors.WrongRecipient):
        read_bundle(BUNDLE, expected_recipient_fingerprint="00000 00000 00000 00000 00000 00000")
    # Any grouping of the right digits is accepted.
    read_bundle(BUNDLE, expected_recipient_fingerprint=DISTRICT_FP.replace(" ", "-"))


# --- 13: any change to anything signed ------------------------------------------------------


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    return [path]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    assert isinstance(value, str)
    return value[:-1] + ("0" if value[-1] != "0" else "1")


@pytest.mark.parametrize("which", ["bundle", "setup"])
def test_13_every_signed_header_field_changed_is_refused(which: str) -> None:
    data = BUNDLE if which == "bundle" else SETUP
    reader = read_bundle if which == "bundle" else read_setup
    _header_bytes, body, signature = split(data)
    header = parse_container(data).header
    leaves = _leaves(header)
    assert len(leaves) >= 18
    for path in leaves:
        changed = copy.deepcopy(header)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = _changed(target[path[-1]])
        new_header = canonical_json(changed)
        tampered = assemble(new_header, body, lambda _m: signature)
        with pytest.raises(errors.SyncError) as caught:
            reader(tampered)
        # Still a well-formed header where the change kept it valid: then the signature is
        # what refuses it.
        try:
            parse_container(tampered)
        except errors.Malformed:
            continue
        assert isinstance(caught.value, errors.BadSignature | errors.WrongRecipient), path


@pytest.mark.parametrize("which", ["bundle", "setup"])
def test_13_every_byte_flipped_is_refused(which: str) -> None:
    data = BUNDLE if which == "bundle" else SETUP
    reader = read_bundle if which == "bundle" else read_setup
    for index in range(len(data)):
        for mask in (0x01, 0x80):
            tampered = bytearray(data)
            tampered[index] ^= mask
            with pytest.raises(errors.SyncError):
                reader(bytes(tampered))


# --- 14: truncated, extended, swapped -------------------------------------------------------


@pytest.mark.parametrize("which", ["bundle", "setup"])
def test_14_truncated_at_every_offset_and_extended(which: str) -> None:
    data = BUNDLE if which == "bundle" else SETUP
    reader = read_bundle if which == "bundle" else read_setup
    for end in range(len(data)):
        with pytest.raises(errors.SyncError):
            reader(data[:end])
    for extra in (b"\x00", b"\x00" * 64, data[-64:], data):
        with pytest.raises(errors.Malformed):
            reader(data + extra)


def test_14_payloads_swapped_between_two_bundles() -> None:
    first = BUNDLE
    second = make_bundle(mv.bundle_header("b0d1e000-0000-4000-8000-000000000002"))
    h1, _p1, s1 = split(first)
    _h2, p2, s2 = split(second)
    # As they are, with each signature: the signature no longer matches.
    with pytest.raises(errors.BadSignature):
        read_bundle(assemble(h1, p2, lambda _m: s1))
    with pytest.raises(errors.BadSignature):
        read_bundle(assemble(h1, p2, lambda _m: s2))
    # Even re-signed by the laptop itself: HPKE's info binds the payload to its header.
    with pytest.raises(errors.DecryptionFailed):
        read_bundle(assemble(h1, p2, mv.LAPTOP_SIGNING.sign))


# --- 18: the encrypted manifest disagrees with the header ----------------------------------


def _bundle_with_manifest(manifest: dict[str, Any], header: dict[str, Any] | None = None) -> bytes:
    header = copy.deepcopy(header or mv.bundle_header())
    encoded, size, count = encode_lines(manifest, mv.bundle_rows())
    header["payload"] = {
        "encoding": "jsonl+zlib",
        "encryption": "hpke-x25519-sha256-chacha20poly1305",
        "size": size,
        "rows": count,
    }
    header_bytes = canonical_json(header)
    ciphertext = SUITE.encrypt(
        encoded, DISTRICT_X.public_key(), info=BUNDLE_INFO_LABEL + header_bytes
    )
    return assemble(header_bytes, ciphertext, mv.LAPTOP_SIGNING.sign)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender_id", "0" * 32),
        ("recipient", {"id": "someone-else", "fingerprint": DISTRICT_FP}),
        ("recipient", {"id": mv.DISTRICT_ID, "fingerprint": "1" * 5 + " 11111" * 5}),
        ("file_id", "b0d1e000-0000-4000-8000-000000000099"),
        ("seq_from", 2),
        ("seq_to", 3),
        ("seq_to", True),
        ("area", "35.73.05.1002"),
        ("kind", "setup"),
    ],
)
def test_18_manifest_disagreeing_with_header_is_refused(field: str, value: Any) -> None:
    manifest = manifest_for(mv.bundle_header())
    manifest[field] = value
    with pytest.raises(errors.ManifestMismatch) as caught:
        read_bundle(_bundle_with_manifest(manifest))
    assert caught.value.field == field


def test_18_manifest_missing_or_extra_field() -> None:
    manifest = manifest_for(mv.bundle_header())
    del manifest["area"]
    with pytest.raises(errors.ManifestMismatch):
        read_bundle(_bundle_with_manifest(manifest))
    manifest = {**manifest_for(mv.bundle_header()), "note": "x"}
    with pytest.raises(errors.ManifestMismatch):
        read_bundle(_bundle_with_manifest(manifest))


def test_18_header_counts_must_match_the_payload() -> None:
    _, encoded = _filled()
    for field, delta in (("size", -1), ("size", 1), ("rows", 1), ("rows", -1)):
        header = mv.bundle_header()
        _, size, count = encode_lines(manifest_for(header), mv.bundle_rows())
        header["payload"] = {
            "encoding": "jsonl+zlib",
            "encryption": "hpke-x25519-sha256-chacha20poly1305",
            "size": size + (delta if field == "size" else 0),
            "rows": count + (delta if field == "rows" else 0),
        }
        header_bytes = canonical_json(header)
        ciphertext = SUITE.encrypt(
            encoded, DISTRICT_X.public_key(), info=BUNDLE_INFO_LABEL + header_bytes
        )
        data = assemble(header_bytes, ciphertext, mv.LAPTOP_SIGNING.sign)
        with pytest.raises((errors.ManifestMismatch, errors.PayloadTooLarge)):
            read_bundle(data)


def _filled() -> tuple[dict[str, Any], bytes]:
    header = mv.bundle_header()
    encoded, _size, _count = encode_lines(manifest_for(header), mv.bundle_rows())
    return header, encoded


# --- 19: decompression bombs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def gigabyte_of_zeros() -> bytes:
    """A valid zlib stream that unpacks to 1 GiB of zeros, built without compressing 1 GiB.

    After a full flush deflate forgets its window, so each 4 MiB block compresses to the
    same bytes; the Adler-32 of n zero bytes is (n mod 65521) << 16 | 1."""
    block = bytes(4 * 1024 * 1024)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    assert first == again
    adler = ((256 * len(block)) % 65521) << 16 | 1
    stream = b"\x78\xda" + first * 256 + deflate.flush() + adler.to_bytes(4, "big")
    assert zlib.decompressobj().decompress(stream, 1 << 20) == bytes(1 << 20)
    return stream


def _bounded(action: Any) -> tuple[BaseException, int]:
    """The error that stopped `action`, and the peak memory it traced. How quickly a bomb is
    stopped is measured by benchmarks/bombs.py (target: under a second), not here."""
    tracemalloc.start()
    try:
        action()
    except Exception as exc:
        caught: BaseException = exc
    else:
        raise AssertionError("the bomb was not stopped")
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return caught, peak


def test_19_gigabyte_bomb_stopped_without_allocating_it(gigabyte_of_zeros: bytes) -> None:
    assert len(gigabyte_of_zeros) < 2 * 1024 * 1024
    caught, peak = _bounded(lambda: decode_rows(gigabyte_of_zeros, max_size=MAX_DECOMPRESSED))
    assert isinstance(caught, errors.PayloadTooLarge)
    assert peak < 16 * 1024 * 1024


def test_19_bomb_of_tiny_lines_is_stopped_at_the_row_cap() -> None:
    """Millions of `{}` lines fit in the byte cap but not in memory as objects."""
    compressor = zlib.compressobj(9)
    block = b"{}\n" * (1024 * 1024)
    data = b"".join(compressor.compress(block) for _ in range(4)) + compressor.flush()
    caught, peak = _bounded(lambda: decode_rows(data, max_size=MAX_DECOMPRESSED, max_rows=1000))
    assert isinstance(caught, errors.PayloadTooLarge)
    assert peak < 16 * 1024 * 1024


def test_19_bomb_inside_a_signed_encrypted_bundle(gigabyte_of_zeros: bytes) -> None:
    header, _ = _filled()
    header["payload"] = {
        "encoding": "jsonl+zlib",
        "encryption": "hpke-x25519-sha256-chacha20poly1305",
        "size": MAX_DECOMPRESSED,
        "rows": 2,
    }
    header_bytes = canonical_json(header)
    ciphertext = SUITE.encrypt(
        gigabyte_of_zeros, DISTRICT_X.public_key(), info=BUNDLE_INFO_LABEL + header_bytes
    )
    data = assemble(header_bytes, ciphertext, mv.LAPTOP_SIGNING.sign)
    caught, _peak = _bounded(lambda: read_bundle(data))
    assert isinstance(caught, errors.PayloadTooLarge)


# --- 22: low-order X25519 keys --------------------------------------------------------------

LOW_ORDER = bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")


def test_22_low_order_district_key_is_refused_when_sealing() -> None:
    header = mv.bundle_header()
    header["recipient"]["fingerprint"] = x25519_fingerprint(LOW_ORDER)
    with pytest.raises(errors.Malformed):
        seal_bundle(header, None, mv.bundle_rows(), mv.LAPTOP_SIGNING, LOW_ORDER)


def test_22_low_order_encapsulated_key_is_refused_when_opening() -> None:
    header_bytes, ciphertext, _ = split(BUNDLE)
    for point in (LOW_ORDER, bytes(32)):
        data = assemble(header_bytes, point + ciphertext[32:], mv.LAPTOP_SIGNING.sign)
        with pytest.raises(errors.Malformed) as caught:
            read_bundle(data)
        assert "low-order" in caught.value.reason


# --- 23: fuzzing ----------------------------------------------------------------------------

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def _all_readers(data: bytes) -> None:
    for read in (
        read_bundle,
        lambda d: read_bundle(d, trusted_sender_key=None, is_sender_allowed=None),
        read_setup,
        lambda d: open_signed(d, trusted_key=LAPTOP_KEY),
        parse_container,
    ):
        try:
            read(data)
        except errors.SyncError as exc:
            assert exc.message  # builds, in the current language, without error


@FUZZ
@given(st.binary(max_size=2000))
def test_23_random_bytes(data: bytes) -> None:
    _all_readers(data)
    _all_readers(b"TPSDFILE\x01" + data)


@st.composite
def mutations(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "splice"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        else:
            donor = draw(st.sampled_from([BUNDLE, SETUP]))
            start = draw(st.integers(0, len(donor) - 1))
            data[at : at + 16] = donor[start : start + 16]
    return bytes(data)


@FUZZ
@given(mutations(BUNDLE))
def test_23_mutated_bundles(data: bytes) -> None:
    _all_readers(data)


@FUZZ
@given(mutations(SETUP))
def test_23_mutated_setup_files(data: bytes) -> None:
    _all_readers(data)


@FUZZ
@given(st.data())
def test_23_mutated_headers_behind_valid_signatures(data: st.DataObject) -> None:
    """Reach past the signature: mutate the header text, then sign it properly."""
    header_bytes, body, _ = split(SETUP)
    mutated = data.draw(mutations(header_bytes))
    _all_readers(assemble(mutated, body, mv.DISTRICT_SIGNING.sign))


@FUZZ
@given(st.data())
def test_23_mutated_payloads_behind_valid_signatures_and_encryption(data: st.DataObject) -> None:
    """Reach past signature and decryption: mutate the compressed or the unpacked payload,
    encrypt it properly and sign it."""
    header, encoded = _filled()
    header["payload"] = {
        "encoding": "jsonl+zlib",
        "encryption": "hpke-x25519-sha256-chacha20poly1305",
        "size": data.draw(st.integers(0, 4000)),
        "rows": data.draw(st.integers(0, 4)),
    }
    if data.draw(st.booleans()):
        plaintext = data.draw(mutations(encoded))
    else:
        lines = zlib.decompress(encoded)
        plaintext = zlib.compress(data.draw(mutations(lines)))
    header_bytes = canonical_json(header)
    ciphertext = SUITE.encrypt(
        plaintext, DISTRICT_X.public_key(), info=BUNDLE_INFO_LABEL + header_bytes
    )
    _all_readers(assemble(header_bytes, ciphertext, mv.LAPTOP_SIGNING.sign))
