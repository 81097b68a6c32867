"""Names compared as people mean them: the key two records of one person share even when one
was typed in capitals, with a stray dot or without an accent."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]|_")

# The Unicode data the key depends on (NFKD decomposition, case folding): an index of keys
# made under another version must be rebuilt.
NAME_KEY_UNICODE = unicodedata.unidata_version


def name_key(name: str) -> str:
    """A name for likely-duplicate matching: case-folded, accents and punctuation gone,
    spaces collapsed."""
    if not name.isascii():  # ASCII has nothing to decompose (most names: a fast path)
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", name.casefold()).split())
