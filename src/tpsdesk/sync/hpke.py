"""HPKE (RFC 9180) to the district's X25519 key: a thin wrapper around `cryptography`'s
single-shot base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.

Ciphertext on the wire is `enc (32 bytes) ‖ AEAD ciphertext ‖ tag (16 bytes)`, exactly what
`Suite.encrypt` returns. Low-order X25519 keys are refused before use, on both sides: a
public key that is one of the curve's small-order points makes the shared secret
predictable (all zero), so a crafted setup file or bundle must not get that far.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tpsdesk.i18n import N_
from tpsdesk.sync.errors import DecryptionFailed, Malformed
from tpsdesk.sync.fingerprint import fingerprint_digits, format_fingerprint

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)
KEY_LENGTH = 32
ENC_LENGTH = 32
TAG_LENGTH = 16
OVERHEAD = ENC_LENGTH + TAG_LENGTH

# A separate label from the signing-key fingerprint: the same 32 bytes read as an Ed25519 key
# and as an X25519 key never show the same digits.
X25519_FINGERPRINT_LABEL = b"tpsdesk/fingerprint/x25519/v1\x00"

_P = 2**255 - 19
# u-coordinates of the points of order 1, 2, 4 and 8 on Curve25519, reduced mod p
# (Bernstein, "How do I validate Curve25519 public keys?"; libsodium's blocklist).
_SMALL_ORDER_U = frozenset(
    {
        0,
        1,
        325606250916557431795983626356110631294008115727848805560023387167927233504,
        39382357235489614581723060781553021112529911719440698176882885853963445705823,
        _P - 1,
    }
)


def is_low_order(raw: bytes) -> bool:
    """True for every encoding of a small-order point, as X25519 reads it: bit 255 masked
    (RFC 7748 §5) and u taken mod p, so the non-canonical spellings are caught too."""
    u = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    return u % _P in _SMALL_ORDER_U


def x25519_public_key(raw: bytes) -> X25519PublicKey:
    """A usable X25519 public key from 32 raw bytes, or Malformed (wrong length, low order)."""
    if len(raw) != KEY_LENGTH:
        raise Malformed(N_("an X25519 key is not 32 bytes"))
    if is_low_order(raw):
        raise Malformed(N_("an X25519 key is a low-order point"))
    return X25519PublicKey.from_public_bytes(raw)


def x25519_raw(key: X25519PrivateKey | X25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, X25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def x25519_fingerprint(raw: bytes) -> str:
    """The readable fingerprint of a raw X25519 public key (six groups of five digits)."""
    return format_fingerprint(fingerprint_digits(raw, label=X25519_FINGERPRINT_LABEL))


def seal_to(public_key_raw: bytes, plaintext: bytes, info: bytes) -> bytes:
    """Encrypt to `public_key_raw`; `info` binds the context (the header bytes)."""
    public_key = x25519_public_key(public_key_raw)
    try:
        return SUITE.encrypt(plaintext, public_key, info=info)
    except ValueError as exc:  # cryptography's own check of the shared secret
        raise Malformed(N_("an X25519 key is a low-order point")) from exc


def open_from(private_key: X25519PrivateKey, ciphertext: bytes, info: bytes) -> bytes:
    """Decrypt what `seal_to` produced for this key with the same `info`.

    Malformed if the ciphertext is too short or its encapsulated key has low order;
    DecryptionFailed if anything else is wrong (tampering, wrong key, wrong `info`)."""
    if len(ciphertext) < OVERHEAD:
        raise Malformed(N_("the encrypted payload is too short"))
    if is_low_order(ciphertext[:ENC_LENGTH]):
        raise Malformed(N_("an X25519 key is a low-order point"))
    try:
        return SUITE.decrypt(ciphertext, private_key, info=info)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed() from exc
