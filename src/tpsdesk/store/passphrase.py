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
    "1234567890",
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


def _effective_length(text: str) -> int:
    """Length counting each run of a repeated character or of a keyboard/alphabet sequence
    (4 or more, either direction) as one character: "aaaa1234" counts 2."""
    lowered = text.lower()
    count = 0
    i = 0
    while i < len(lowered):
        step = 1
        repeat = i
        while repeat + 1 < len(lowered) and lowered[repeat + 1] == lowered[i]:
            repeat += 1
        if repeat - i + 1 >= 3:
            step = repeat - i + 1
        for sequence in _SEQUENCES:
            for direction in (sequence, sequence[::-1]):
                run = 0
                while i + run < len(lowered) and lowered[i : i + run + 1] in direction:
                    run += 1
                if run >= 4:
                    step = max(step, run)
        count += 1
        i += step
    return count


def passphrase_strength(passphrase: str) -> PassphraseStrength:
    """Score a passphrase 0..4 with hints; acceptable needs ≥ 10 characters and score ≥ 2."""
    text = unicodedata.normalize("NFC", passphrase)
    length = len(text)
    effective = _effective_length(text)
    hints: list[str] = []

    if effective >= GOOD_LENGTH:
        score = 4
    elif effective >= 12:
        score = 3
    elif effective >= MIN_LENGTH:
        score = 2
    elif effective >= 8:
        score = 1
    else:
        score = 0
    if length < MIN_LENGTH:
        hints.append(
            _("Use at least {count} characters; a phrase of several words is best.").format(
                count=MIN_LENGTH
            )
        )
    if effective < length:
        hints.append(_("Avoid repeated characters and sequences such as 1234, abcd or qwerty."))

    classes = sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
            any(not c.isalnum() for c in text),
        )
    )
    if classes >= 3 and MIN_LENGTH <= effective < GOOD_LENGTH:
        score += 1
    elif classes == 1 and effective < GOOD_LENGTH:
        score -= 1
        hints.append(_("Mix in other kinds of characters: digits, capitals, spaces or symbols."))
    if len(set(text.lower())) < 5:
        score = min(score, 1)

    common = _is_common(text)
    if common:
        score = 0
        hints.insert(
            0, _("This is one of the most common passwords. Choose something personal to you.")
        )

    score = max(0, min(4, score))
    acceptable = length >= MIN_LENGTH and score >= 2 and not common
    if acceptable and score < 4:
        hints.append(_("Longer is stronger: add another word."))
    return PassphraseStrength(score=score, hints=hints, acceptable=acceptable)
