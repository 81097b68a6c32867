"""A simple, explainable passphrase strength check for the create and change screens.

Deliberately small (no word lists beyond the commonest passwords): it nudges people towards
long phrases of several words, which Argon2id then makes expensive to guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from tpsdesk.i18n import _

MIN_LENGTH = 10
GOOD_LENGTH = 16

# The commonest passwords, including Indonesian ones and election-season guesses. Compared
# after lower-casing and stripping digits and symbols at the ends ("Bismillah123!").
COMMON_PASSWORDS = frozenset(
    {
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "111111",
        "000000",
        "654321",
        "password",
        "passw0rd",
        "p@ssw0rd",
        "qwerty",
        "qwertyuiop",
        "asdfgh",
        "asdfghjkl",
        "zxcvbnm",
        "iloveyou",
        "admin",
        "administrator",
        "letmein",
        "welcome",
        "abc123",
        "indonesia",
        "indonesiaraya",
        "merdeka",
        "garuda",
        "pancasila",
        "bismillah",
        "alhamdulillah",
        "sayang",
        "sayangku",
        "cinta",
        "rahasia",
        "katasandi",
        "kpps",
        "kpps2024",
        "pemilu",
        "pemilu2024",
        "pilkada",
        "pilkada2024",
        "kpu",
        "bawaslu",
        "kelurahan",
        "kecamatan",
        "tpsdesk",
        "jakarta",
        "bandung",
        "surabaya",
    }
)

_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)


@dataclass(frozen=True)
class PassphraseStrength:
    score: int  # 0 (very weak) .. 4 (strong)
    hints: list[str] = field(default_factory=list)  # translated, most important first
    acceptable: bool = False


def _is_common(text: str) -> bool:
    lowered = text.lower()
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)
    return lowered in COMMON_PASSWORDS or (core != "" and core in COMMON_PASSWORDS)


def _has_sequence(text: str, run: int = 4) -> bool:
    lowered = text.lower()
    for sequence in _SEQUENCES:
        for reverse in (sequence, sequence[::-1]):
            for start in range(len(reverse) - run + 1):
                if reverse[start : start + run] in lowered:
                    return True
    return False


def passphrase_strength(passphrase: str) -> PassphraseStrength:
    """Score a passphrase 0..4 with hints; acceptable needs ≥ 10 characters and score ≥ 2."""
    text = unicodedata.normalize("NFC", passphrase)
    length = len(text)
    hints: list[str] = []

    if length >= GOOD_LENGTH:
        score = 4
    elif length >= 12:
        score = 3
    elif length >= MIN_LENGTH:
        score = 2
    elif length >= 8:
        score = 1
    else:
        score = 0
    if length < MIN_LENGTH:
        hints.append(
            _("Use at least {count} characters; a phrase of several words is best.").format(
                count=MIN_LENGTH
            )
        )

    classes = sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
            any(not c.isalnum() for c in text),
        )
    )
    if classes >= 3 and MIN_LENGTH <= length < GOOD_LENGTH:
        score += 1
    elif classes == 1 and length < GOOD_LENGTH:
        score -= 1
        hints.append(_("Mix in other kinds of characters: digits, capitals, spaces or symbols."))

    distinct = len(set(text.lower()))
    if length and (re.search(r"(.)\1\1", text) or distinct <= max(3, length // 3)):
        score -= 2
        hints.append(_("Avoid repeating the same characters."))
    if _has_sequence(text):
        score -= 1
        hints.append(_("Avoid sequences such as 1234, abcd or qwerty."))

    common = _is_common(text)
    if common:
        score = 0
        hints.insert(
            0, _("This is one of the most common passwords. Choose something personal to you.")
        )

    score = max(0, min(4, score))
    acceptable = length >= MIN_LENGTH and score >= 2 and not common
    if acceptable and score < 4 and length < GOOD_LENGTH:
        hints.append(_("Longer is stronger: add another word."))
    return PassphraseStrength(score=score, hints=hints, acceptable=acceptable)
