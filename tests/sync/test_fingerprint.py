"""Fingerprints people compare over the phone: stable, grouped digits, typos never match."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from tpsdesk.sync.fingerprint import (
    FINGERPRINT_LABEL,
    fingerprint,
    fingerprint_digits,
    fingerprints_match,
    normalize_fingerprint,
)


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_known_vector() -> None:
    # Pinned so that a change of label or encoding (which would break every pinned key) fails.
    public = bytes(range(32))
    digest = hashlib.sha256(FINGERPRINT_LABEL + public).digest()
    expected = "".join(
        f"{int.from_bytes(digest[i * 5 : i * 5 + 5], 'big') % 100000:05d}" for i in range(6)
    )
    assert fingerprint_digits(public) == expected
    assert fingerprint(public) == " ".join(expected[i : i + 5] for i in range(0, 30, 5))


def test_shape_is_six_groups_of_five_digits() -> None:
    text = fingerprint(_raw(Ed25519PrivateKey.generate()))
    groups = text.split(" ")
    assert len(groups) == 6
    assert all(len(g) == 5 and g.isdigit() for g in groups)


def test_label_matters() -> None:
    public = _raw(Ed25519PrivateKey.generate())
    unlabelled = hashlib.sha256(public).digest()
    assert fingerprint_digits(public) != fingerprint_digits(public, label=b"")
    assert fingerprint_digits(public, label=b"") == "".join(
        f"{int.from_bytes(unlabelled[i * 5 : i * 5 + 5], 'big') % 100000:05d}" for i in range(6)
    )


def test_different_keys_differ() -> None:
    prints = {fingerprint(_raw(Ed25519PrivateKey.generate())) for _ in range(50)}
    assert len(prints) == 50


def test_matching_ignores_grouping_only() -> None:
    fp = fingerprint(_raw(Ed25519PrivateKey.generate()))
    assert fingerprints_match(fp, fp.replace(" ", ""))
    assert fingerprints_match(fp, fp.replace(" ", "-"))
    assert not fingerprints_match(fp, fp[:-1])
    assert not fingerprints_match(fp, "")
    assert normalize_fingerprint("abcde " * 6) is None
    # Non-ASCII digits (Arabic-Indic) are not digits for us.
    assert normalize_fingerprint("\u0661" * 30) is None


@given(st.integers(min_value=0, max_value=29), st.integers(min_value=1, max_value=9))
def test_any_one_digit_typo_does_not_match(position: int, delta: int) -> None:
    digits = fingerprint_digits(b"\x01" * 32)
    wrong = str((int(digits[position]) + delta) % 10)
    typed = digits[:position] + wrong + digits[position + 1 :]
    assert not fingerprints_match(digits, typed)
