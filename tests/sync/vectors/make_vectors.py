"""Regenerate the container test vectors in this folder (docs/formats.md, "Test vectors").

    uv run python tests/sync/vectors/make_vectors.py

    uv run python tests/sync/vectors/make_vectors.py --receipts   # only the receipt vectors

Keys are fixed (keys.json). Everything signed but not encrypted is deterministic (Ed25519
signatures, zlib and canonical JSON are) and `test_vectors.py` checks that the stored setup
file and format 1 receipt are rebuilt byte for byte. HPKE encapsulation is randomised, so the
bundle files (and format 2 receipts) differ on every run: the tests read the stored ones and
never regenerate them. Rerun this only when the
format changes, and commit the result.
"""

from __future__ import annotations

import copy
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from tpsdesk.sync.container import (
    ENCODING_JSONL_ZLIB,
    ENCRYPTION_HPKE,
    ENCRYPTION_NONE,
    MAX_DECOMPRESSED,
    MAX_HEADER,
    assemble,
    canonical_json,
    encode_key,
    raw_public_key,
)
from tpsdesk.sync.fingerprint import fingerprint
from tpsdesk.sync.hpke import SUITE, x25519_fingerprint, x25519_raw
from tpsdesk.sync.payload import (
    BUNDLE_INFO_LABEL,
    RECEIPT_INFO_LABEL,
    encode_lines,
    manifest_for,
    seal_bundle,
    seal_receipt,
    seal_signed,
)

HERE = Path(__file__).resolve().parent


def _seed(label: str) -> bytes:
    return hashlib.sha256(b"tpsdesk test vector\x00" + label.encode()).digest()


DISTRICT_SIGNING = Ed25519PrivateKey.from_private_bytes(_seed("district ed25519"))
DISTRICT_X25519 = X25519PrivateKey.from_private_bytes(_seed("district x25519"))
LAPTOP_SIGNING = Ed25519PrivateKey.from_private_bytes(_seed("laptop ed25519"))
LAPTOP_X25519 = X25519PrivateKey.from_private_bytes(_seed("laptop x25519"))
OTHER_LAPTOP_X25519 = X25519PrivateKey.from_private_bytes(_seed("other laptop x25519"))
OTHER_LAPTOP_SIGNING = Ed25519PrivateKey.from_private_bytes(_seed("other laptop ed25519"))
OTHER_DISTRICT_SIGNING = Ed25519PrivateKey.from_private_bytes(_seed("other district ed25519"))
OTHER_DISTRICT_X25519 = X25519PrivateKey.from_private_bytes(_seed("other district x25519"))

DISTRICT_ID = "d15a7c0de0000000000000000000d001"
LAPTOP_ID = "1a9709000000000000000000000f1e1d"
LOW_ORDER_POINT = bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")


def keys_json() -> dict[str, Any]:
    return {
        "comment": "Test keys only. Raw 32-byte keys in hex; Ed25519 private keys are seeds.",
        "district": {
            "id": DISTRICT_ID,
            "ed25519_seed": _seed("district ed25519").hex(),
            "ed25519_public": raw_public_key(DISTRICT_SIGNING).hex(),
            "ed25519_fingerprint": fingerprint(raw_public_key(DISTRICT_SIGNING)),
            "x25519_private": _seed("district x25519").hex(),
            "x25519_public": x25519_raw(DISTRICT_X25519).hex(),
            "x25519_fingerprint": x25519_fingerprint(x25519_raw(DISTRICT_X25519)),
        },
        "laptop": {
            "id": LAPTOP_ID,
            "ed25519_seed": _seed("laptop ed25519").hex(),
            "ed25519_public": raw_public_key(LAPTOP_SIGNING).hex(),
            "ed25519_fingerprint": fingerprint(raw_public_key(LAPTOP_SIGNING)),
            "x25519_private": _seed("laptop x25519").hex(),
            "x25519_public": x25519_raw(LAPTOP_X25519).hex(),
        },
        "other_laptop": {
            "ed25519_seed": _seed("other laptop ed25519").hex(),
            "ed25519_public": raw_public_key(OTHER_LAPTOP_SIGNING).hex(),
            "x25519_private": _seed("other laptop x25519").hex(),
        },
        "other_district": {
            "ed25519_seed": _seed("other district ed25519").hex(),
            "x25519_private": _seed("other district x25519").hex(),
        },
    }


def setup_header() -> dict[str, Any]:
    return {
        "kind": "setup",
        "format": 1,
        "file_id": "5e7c0f11-0000-4000-8000-000000000001",
        "created_at": "2025-01-15T08:00:00Z",
        "sender": {
            "id": DISTRICT_ID,
            "role": "district",
            "signing_key": encode_key(raw_public_key(DISTRICT_SIGNING)),
        },
        "recipient": {"id": "all", "fingerprint": fingerprint(raw_public_key(DISTRICT_SIGNING))},
        "district": {"code": "35.73", "name": "KPU Kota Malang"},
        "area": "35.73.05.1001",
        "version": 3,
        "expires_at": "2025-03-31T23:59:59Z",
    }


def setup_rows() -> list[dict[str, Any]]:
    return [
        {"table": "kelurahan", "seq": 0, "values": {"code": "35.73.05.1001", "name": "Kauman"}},
        {"table": "tps", "seq": 0, "values": {"kelurahan_code": "35.73.05.1001", "number": 1}},
        {"table": "tps", "seq": 0, "values": {"kelurahan_code": "35.73.05.1001", "number": 2}},
    ]


def bundle_header(file_id: str = "b0d1e000-0000-4000-8000-000000000001") -> dict[str, Any]:
    return {
        "kind": "bundle",
        "format": 1,
        "file_id": file_id,
        "created_at": "2025-01-20T10:30:00Z",
        "sender": {
            "id": LAPTOP_ID,
            "role": "field",
            "signing_key": encode_key(raw_public_key(LAPTOP_SIGNING)),
        },
        "recipient": {
            "id": DISTRICT_ID,
            "fingerprint": x25519_fingerprint(x25519_raw(DISTRICT_X25519)),
        },
        "district": {"code": "35.73", "name": "KPU Kota Malang"},
        "area": "35.73.05.1001",
        "seq_from": 1,
        "seq_to": 2,
        "counts": {"officer": 2},
    }


def bundle_rows() -> list[dict[str, Any]]:
    def officer(seq: int, name: str, nik: str) -> dict[str, Any]:
        return {
            "table": "officer",
            "seq": seq,
            "values": {
                "id": f"0ff1ce00-0000-4000-8000-00000000000{seq}",
                "name": name,
                "nik": nik,
                "tps_number": 1,
                "version_device": LAPTOP_ID,
                "version_counter": seq,
                "base_device": None,
                "base_counter": None,
                "deleted": False,
            },
        }

    return [
        officer(1, "Siti Rahayu", "3573054101800001"),
        officer(2, "Agus Prasetyo", "3573050202850002"),
    ]


KPJ = "24019876543"  # a BPJS participant number (KPJ): personal data
CORRECTED_NAME = "Siti Rahayu Ningsih"  # a clerk's corrected value: personal data
OFFICER_ID = "0ff1ce00-0000-4000-8000-000000000001"


def receipt_header(format_: int, version: int = 4) -> dict[str, Any]:
    return {
        "kind": "receipt",
        "format": format_,
        "file_id": f"2ece1970-0000-4000-8000-00000000000{format_}",
        "created_at": "2025-01-22T09:00:00Z",
        "sender": {
            "id": DISTRICT_ID,
            "role": "district",
            "signing_key": encode_key(raw_public_key(DISTRICT_SIGNING)),
        },
        "recipient": {"id": LAPTOP_ID, "fingerprint": fingerprint(raw_public_key(LAPTOP_SIGNING))},
        "district": {"code": "35.73", "name": "KPU Kota Malang"},
        "area": "35.73.05.1001",
        "version": version,
        "for_seq_to": 2,
    }


def _officer_version(device: str, counter: int, base: tuple[str, int] | None) -> dict[str, Any]:
    return {
        "version_device": device,
        "version_counter": counter,
        "base_device": None if base is None else base[0],
        "base_counter": None if base is None else base[1],
    }


def receipt_entries(encrypted: bool) -> list[dict[str, Any]]:
    """An acknowledgement, one enrolled officer, one corrected by a clerk: format 2 carries the
    KPJ number and the corrected values, format 1 neither (field names only)."""
    enrolled: dict[str, Any] = {"type": "officer", "id": OFFICER_ID, "status": "enrolled"}
    changed: dict[str, Any] = {
        "type": "officer",
        "id": "0ff1ce00-0000-4000-8000-000000000002",
        "status": "needs_fix",
        "reasons": [{"code": "changed", "fields": ["name"]}],
    }
    if encrypted:
        enrolled["bpjs_number"] = KPJ
        values: dict[str, Any] = {
            "nik": "3573050202850002", "name": CORRECTED_NAME, "birth_place": "Malang",
            "birth_date": "1985-02-02", "sex": "L", "address": "Jl. Mawar 1", "postcode": None,
            "phone": None, "email": None, "mother_name": None, "marital_status": None,
            "post_code": "kpps_anggota", "duty_start": None, "duty_end": None,
            "tps_id": "7b500000-0000-4000-8000-000000000001",
            "kelurahan_code": "35.73.05.1001", "kecamatan_code": "35.73.05",
        }  # fmt: skip
        changed["correction"] = {
            "version": _officer_version(DISTRICT_ID, 7, (LAPTOP_ID, 2)),
            "values": values,
            "knows": {DISTRICT_ID: 7, LAPTOP_ID: 2},
        }
    else:
        changed["changed_by_district"] = True
    return [
        {"type": "ack", "device_id": LAPTOP_ID, "seq": 2},
        enrolled,
        changed,
    ]


def build_receipt_v1() -> bytes:
    """A format 1 receipt (signed, not encrypted, no personal data): deterministic."""
    return seal_signed(receipt_header(1), None, receipt_entries(False), DISTRICT_SIGNING)


def build_receipt_v2(laptop_key: X25519PrivateKey = LAPTOP_X25519) -> bytes:
    """A format 2 receipt, encrypted to `laptop_key` (randomised: HPKE)."""
    return seal_receipt(
        receipt_header(2), receipt_entries(True), DISTRICT_SIGNING, x25519_raw(laptop_key)
    )


def build_receipt_failures(v2: bytes) -> dict[str, tuple[str, str, bytes]]:
    out: dict[str, tuple[str, str, bytes]] = {}
    # Encrypted to another laptop's key, everything else right: only the key holder reads it.
    out["receipt_other_laptop_key.tpsr"] = (
        "receipt",
        "DecryptionFailed",
        build_receipt_v2(OTHER_LAPTOP_X25519),
    )
    # Format 2 sent in clear: a writer that would leak the KPJ numbers is refused.
    header = receipt_header(2)
    encoded, size, count = encode_lines(manifest_for(header), receipt_entries(True))
    header["payload"] = {
        "encoding": ENCODING_JSONL_ZLIB,
        "encryption": ENCRYPTION_NONE,
        "size": size,
        "rows": count,
    }
    out["receipt_v2_in_clear.tpsr"] = (
        "receipt",
        "Malformed",
        assemble(canonical_json(header), encoded, DISTRICT_SIGNING.sign),
    )
    # The payload of the valid receipt under another receipt's header, re-signed by the
    # district: HPKE's info binds the header, so it does not open.
    other = receipt_header(2, version=5)
    other["payload"] = json.loads(v2[13 : 13 + int.from_bytes(v2[9:13], "big")])["payload"]
    out["receipt_swapped_payload.tpsr"] = (
        "receipt",
        "DecryptionFailed",
        assemble(canonical_json(other), _payload_of(v2), DISTRICT_SIGNING.sign),
    )
    # A bundle announcing a low-order receipt key (SECURITY test 22): refused.
    header = bundle_header()
    header["encryption_key"] = encode_key(LOW_ORDER_POINT)
    plain_header, encoded = _filled_bundle_header()
    header["payload"] = plain_header["payload"]
    out["low_order_receipt_key.tpsb"] = (
        "bundle",
        "Malformed",
        _sealed(header, encoded, DISTRICT_X25519),
    )
    assert RECEIPT_INFO_LABEL  # the label the info of format 2 starts with
    return out


def build_setup() -> bytes:
    """The valid setup file: deterministic."""
    return seal_signed(setup_header(), None, setup_rows(), DISTRICT_SIGNING)


def _filled_bundle_header(
    manifest: dict[str, Any] | None = None, rows: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], bytes]:
    header = bundle_header()
    encoded, size, count = encode_lines(
        manifest if manifest is not None else manifest_for(header),
        rows if rows is not None else bundle_rows(),
    )
    header["payload"] = {
        "encoding": ENCODING_JSONL_ZLIB,
        "encryption": ENCRYPTION_HPKE,
        "size": size,
        "rows": count,
    }
    return header, encoded


def _sealed(header: dict[str, Any], plaintext: bytes, recipient: X25519PrivateKey) -> bytes:
    header_bytes = canonical_json(header)
    ciphertext = SUITE.encrypt(
        plaintext, recipient.public_key(), info=BUNDLE_INFO_LABEL + header_bytes
    )
    return assemble(header_bytes, ciphertext, LAPTOP_SIGNING.sign)


def _resign_header(data: bytes, header_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    """Replace the header bytes of a container, keep its payload, sign again with `key`."""
    h = int.from_bytes(data[9:13], "big")
    p_at = 13 + h
    p = int.from_bytes(data[p_at : p_at + 4], "big")
    payload = data[p_at + 4 : p_at + 4 + p]
    return assemble(header_bytes, payload, key.sign)


def _payload_of(data: bytes) -> bytes:
    h = int.from_bytes(data[9:13], "big")
    p = int.from_bytes(data[13 + h : 17 + h], "big")
    return data[17 + h : 17 + h + p]


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def build_failures(setup: bytes, bundle: bytes) -> dict[str, tuple[str, str, bytes]]:
    """name -> (reader, expected error class, bytes)."""
    out: dict[str, tuple[str, str, bytes]] = {}
    setup_hdr = canonical_json(json.loads(setup[13 : 13 + int.from_bytes(setup[9:13], "big")]))
    setup_payload = _payload_of(setup)

    def signed_with_header(text: bytes) -> bytes:
        return assemble(text, setup_payload, DISTRICT_SIGNING.sign)

    out["bad_magic.tpsb"] = ("bundle", "NotATpsdeskFile", b"TPSDFILX" + bundle[8:])
    out["bad_version.tpsb"] = ("bundle", "UnsupportedFormat", bundle[:8] + b"\x02" + bundle[9:])
    out["truncated.tpsb"] = ("bundle", "Malformed", bundle[:-1])
    out["extended.tpsb"] = ("bundle", "Malformed", bundle + b"\x00")
    # Same fields, but with a space after the first colon: valid JSON, validly signed.
    out["header_not_canonical.tpss"] = (
        "setup",
        "Malformed",
        signed_with_header(setup_hdr.replace(b'":', b'": ', 1)),
    )
    out["duplicate_key.tpss"] = (
        "setup",
        "Malformed",
        signed_with_header(setup_hdr.replace(b'"area":', b'"area":"00.00.00.0000","area":', 1)),
    )
    out["float.tpss"] = (
        "setup",
        "Malformed",
        signed_with_header(setup_hdr.replace(b'"format":1', b'"format":1.0', 1)),
    )
    padding = b" " * (MAX_HEADER + 1 - len(setup_hdr))
    out["header_too_large.tpss"] = ("setup", "TooLarge", signed_with_header(setup_hdr + padding))
    # A setup file signed by a district key the laptop has not pinned.
    other = copy.deepcopy(setup_header())
    other["sender"]["signing_key"] = encode_key(raw_public_key(OTHER_DISTRICT_SIGNING))
    out["untrusted_signer.tpss"] = (
        "setup",
        "BadSignature",
        seal_signed(other, None, setup_rows(), OTHER_DISTRICT_SIGNING),
    )
    out["bad_signature.tpsb"] = ("bundle", "BadSignature", _flip(bundle, len(bundle) - 1))
    out["flipped_payload_byte.tpsb"] = (
        "bundle",
        "BadSignature",
        _flip(bundle, len(bundle) - 64 - 4 - 20),
    )

    # Validly signed by the laptop, encrypted to another district key, naming that key.
    header = bundle_header()
    other_fp = x25519_fingerprint(x25519_raw(OTHER_DISTRICT_X25519))
    header["recipient"]["fingerprint"] = other_fp
    out["wrong_recipient.tpsb"] = (
        "bundle",
        "WrongRecipient",
        seal_bundle(header, None, bundle_rows(), LAPTOP_SIGNING, x25519_raw(OTHER_DISTRICT_X25519)),
    )

    # The encrypted manifest names another sender than the header (SECURITY test 18).
    header, _ = _filled_bundle_header()
    manifest = manifest_for(header)
    manifest["sender_id"] = "0" * 32
    _, encoded = _filled_bundle_header(manifest=manifest)
    out["manifest_mismatch.tpsb"] = (
        "bundle",
        "ManifestMismatch",
        _sealed(header, encoded, DISTRICT_X25519),
    )

    # Header claims the largest allowed size; the payload unpacks to more (zeros, no newline).
    header, _ = _filled_bundle_header()
    header["payload"]["size"] = MAX_DECOMPRESSED
    compressor = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(block) for _ in range(80)) + compressor.flush()
    out["bomb.tpsb"] = ("bundle", "PayloadTooLarge", _sealed(header, bomb, DISTRICT_X25519))

    # HPKE's encapsulated key replaced by a low-order point; everything signed.
    header, _ = _filled_bundle_header()
    ciphertext = _payload_of(bundle)
    low = LOW_ORDER_POINT + ciphertext[32:]
    out["low_order_key.tpsb"] = (
        "bundle",
        "Malformed",
        assemble(canonical_json(header), low, LAPTOP_SIGNING.sign),
    )

    # The payload of another bundle (same laptop, same district) under this header, re-signed
    # by the laptop: HPKE's info binds the header, so decryption fails.
    header2 = bundle_header("b0d1e000-0000-4000-8000-000000000002")
    second = seal_bundle(header2, None, bundle_rows(), LAPTOP_SIGNING, x25519_raw(DISTRICT_X25519))
    first_header = bundle[13 : 13 + int.from_bytes(bundle[9:13], "big")]
    out["swapped_payload.tpsb"] = (
        "bundle",
        "DecryptionFailed",
        assemble(first_header, _payload_of(second), LAPTOP_SIGNING.sign),
    )
    # Another approved laptop takes the bundle, puts its own key in the header and re-signs.
    resigned = json.loads(first_header)
    resigned["sender"]["signing_key"] = encode_key(raw_public_key(OTHER_LAPTOP_SIGNING))
    out["resigned_by_other_laptop.tpsb"] = (
        "bundle_any_sender",
        "DecryptionFailed",
        _resign_header(bundle, canonical_json(resigned), OTHER_LAPTOP_SIGNING),
    )
    return out


READERS = {
    "setup": "open_signed(data, trusted_key=district.ed25519_public, kind='setup')",
    "receipt": (
        "open_receipt(data, trusted_key=district.ed25519_public, "
        "keys={laptop.id: laptop.x25519_private})"
    ),
    "bundle": (
        "open_bundle(data, expected_recipient_fingerprint=district.x25519_fingerprint, "
        "district_private_x25519=district.x25519_private, "
        "trusted_sender_key=laptop.ed25519_public)"
    ),
    "bundle_any_sender": (
        "as 'bundle', but trusted_sender_key=None and is_sender_allowed accepting "
        "laptop and other_laptop (both approved)"
    ),
}


def receipt_files() -> dict[str, tuple[str, str, bytes]]:
    v2 = build_receipt_v2()
    return {
        "receipt_v1.tpsr": ("receipt", "ok", build_receipt_v1()),
        "receipt_v2.tpsr": ("receipt", "ok", v2),
        **build_receipt_failures(v2),
    }


def main(receipts_only: bool = False) -> None:
    """Write every vector; `receipts_only` (command line: --receipts) writes only the receipt
    vectors and keys.json and keeps the stored others (their HPKE bytes would change)."""
    (HERE / "keys.json").write_text(json.dumps(keys_json(), indent=2) + "\n", encoding="utf-8")
    files: dict[str, tuple[str, str, bytes]] = {}
    if receipts_only:
        kept = json.loads((HERE / "index.json").read_text(encoding="utf-8"))["vectors"]
        for entry in kept:
            if entry["reader"] != "receipt" and entry["file"] != "low_order_receipt_key.tpsb":
                data = (HERE / entry["file"]).read_bytes()
                files[entry["file"]] = (entry["reader"], entry["expect"], data)
    else:
        setup = build_setup()
        bundle = seal_bundle(
            bundle_header(), None, bundle_rows(), LAPTOP_SIGNING, x25519_raw(DISTRICT_X25519)
        )
        files["setup.tpss"] = ("setup", "ok", setup)
        files["bundle.tpsb"] = ("bundle", "ok", bundle)
        files.update(build_failures(setup, bundle))
    files.update(receipt_files())
    vectors = []
    for name, (reader, expect, data) in files.items():
        (HERE / name).write_bytes(data)
        vectors.append({"file": name, "reader": reader, "expect": expect})
    index = {"readers": READERS, "vectors": vectors}
    (HERE / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(files)} vectors to {HERE}")


if __name__ == "__main__":
    import sys

    main(receipts_only="--receipts" in sys.argv[1:])
