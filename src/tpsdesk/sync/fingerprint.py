"""Fingerprints of public keys, in a form people can read to each other over the phone.

Digits in groups of five (SECURITY.md "Fingerprints for people"): a labelled SHA-256 of the raw
public key, cut into 40-bit chunks, each reduced to five decimal digits. Six groups give 30
digits (~99.6 bits), enough that nobody can make a second key with the same fingerprint.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

# The label keeps these hashes apart from any other SHA-256 of the same key bytes.
FINGERPRINT_LABEL = b"tpsdesk/fingerprint/v1\x00"
GROUPS = 6
GROUP_DIGITS = 5
_CHUNK_BYTES = 5  # 40 bits per group; 2**40 >> 10**5, so the modulo bias is negligible


def fingerprint_digits(public_key: bytes, *, label: bytes = FINGERPRINT_LABEL) -> str:
    """The fingerprint as one string of GROUPS × GROUP_DIGITS digits, no separators."""
    if not public_key:
        raise ValueError("empty public key")
    digest = hashlib.sha256(label + public_key).digest()
    groups = []
    for index in range(GROUPS):
        chunk = digest[index * _CHUNK_BYTES : (index + 1) * _CHUNK_BYTES]
        groups.append(f"{int.from_bytes(chunk, 'big') % 10**GROUP_DIGITS:0{GROUP_DIGITS}d}")
    return "".join(groups)


def format_fingerprint(digits: str) -> str:
    """Group digits by five with spaces: "12345 67890 …"."""
    return " ".join(digits[i : i + GROUP_DIGITS] for i in range(0, len(digits), GROUP_DIGITS))


def fingerprint(public_key: bytes) -> str:
    """The readable fingerprint of a raw public key: six groups of five digits."""
    return format_fingerprint(fingerprint_digits(public_key))


def normalize_fingerprint(text: str) -> str | None:
    """Digits only, as typed or read back (spaces, dashes and dots ignored); None if malformed."""
    cleaned = "".join(ch for ch in text if ch not in " \t-._:")
    if len(cleaned) != GROUPS * GROUP_DIGITS or not cleaned.isascii() or not cleaned.isdigit():
        return None
    return cleaned


def fingerprints_match(expected: str, typed: str) -> bool:
    """True when `typed` is exactly the fingerprint `expected` (any grouping); a typo never is."""
    a = normalize_fingerprint(expected)
    b = normalize_fingerprint(typed)
    if a is None or b is None:
        return False
    return hmac.compare_digest(a, b)


# -- a fingerprint read over the phone and typed, checked group by group -----------------------


class GroupMark:
    EMPTY = "empty"  # nothing typed yet
    PARTIAL = "partial"  # fewer digits than a group has
    RIGHT = "right"
    WRONG = "wrong"


@dataclass(frozen=True)
class TypedFingerprint:
    marks: tuple[str, ...]  # a GroupMark per group
    first_wrong: int | None  # 1-based number of the first wrong group
    complete: bool  # every group typed in full (right or wrong)
    matches: bool  # every group typed and the whole equals the expected fingerprint


def typed_digits(text: str) -> str:
    """The ASCII digits of what was typed or pasted, in order; everything else dropped."""
    return "".join(ch for ch in text if "0" <= ch <= "9")


def split_groups(digits: str) -> list[str]:
    """Digits cut into groups of GROUP_DIGITS (the last one may be short); [] for none."""
    return [digits[i : i + GROUP_DIGITS] for i in range(0, len(digits), GROUP_DIGITS)]


def check_typed(expected: str, groups: list[str]) -> TypedFingerprint:
    """Compare what was typed, group by group, with the expected fingerprint (digits, grouped
    or not): a group is marked as soon as it is complete. The whole is compared in constant
    time (`fingerprints_match`). Used by the district's approval and the laptop's enrolment."""
    wanted = "".join(ch for ch in expected if ch.isdigit())
    marks = []
    first_wrong = None
    for index in range(GROUPS):
        typed = groups[index].strip() if index < len(groups) else ""
        if not typed:
            marks.append(GroupMark.EMPTY)
            continue
        if len(typed) < GROUP_DIGITS:
            marks.append(GroupMark.PARTIAL)
            continue
        part = wanted[index * GROUP_DIGITS : (index + 1) * GROUP_DIGITS]
        if typed == part:
            marks.append(GroupMark.RIGHT)
        else:
            marks.append(GroupMark.WRONG)
            if first_wrong is None:
                first_wrong = index + 1
    typed_all = "".join(g.strip() for g in groups[:GROUPS])
    complete = all(m in (GroupMark.RIGHT, GroupMark.WRONG) for m in marks)
    all_right = all(m == GroupMark.RIGHT for m in marks)
    matches = all_right and fingerprints_match(wanted, typed_all)
    return TypedFingerprint(tuple(marks), first_wrong, complete, matches)
