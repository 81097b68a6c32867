"""Post names as offices write them in their lists — "KPPS 1", "Anggota KPPS 4", "LINMAS 2",
"Pengawas TPS", "Sekretariat PPS" — read to a post of the catalogue.

The convention of the KPU's lists is followed for numbered members: "KPPS 1" is the chair
(ketua) and "KPPS 2" to "KPPS 7" are the members; likewise "PPS 1" and "PPK 1". A name that
could be two posts ("Ketua", "Anggota" alone) is not guessed.
"""

from __future__ import annotations

import re

from tpsdesk.domain.names import name_key
from tpsdesk.domain.posts import Post, PostCatalogue

# Bodies whose members are numbered, chair first.
_NUMBERED = {"kpps": "kpps", "pps": "pps", "ppk": "ppk"}

# Other spellings of posts, as `name_key` writes them (lower case, single spaces, no
# punctuation).
_ALIASES: dict[str, str] = {
    "ketua kpps": "kpps_ketua",
    "kpps ketua": "kpps_ketua",
    "anggota kpps": "kpps_anggota",
    "kpps anggota": "kpps_anggota",
    "linmas": "linmas",
    "anggota linmas": "linmas",
    "satlinmas": "linmas",
    "petugas linmas": "linmas",
    "ketertiban tps": "linmas",
    "petugas ketertiban": "linmas",
    "petugas ketertiban tps": "linmas",
    "ptps": "ptps",
    "pengawas tps": "ptps",
    "pengawas tempat pemungutan suara": "ptps",
    "pantarlih": "pantarlih",
    "petugas pantarlih": "pantarlih",
    "petugas pemutakhiran data pemilih": "pantarlih",
    "pkd": "pkd",
    "pengawas kelurahan desa": "pkd",
    "pengawas kelurahan": "pkd",
    "pengawas desa": "pkd",
    "panwascam": "panwascam",
    "panwaslu kecamatan": "panwascam",
    "anggota panwascam": "panwascam",
    "sekretariat panwascam": "panwascam_sekretariat",
    "staf sekretariat panwascam": "panwascam_sekretariat",
    "ketua pps": "pps_ketua",
    "anggota pps": "pps_anggota",
    "sekretariat pps": "pps_sekretariat",
    "staf sekretariat pps": "pps_sekretariat",
    "sekretaris pps": "pps_sekretariat",
    "ketua ppk": "ppk_ketua",
    "anggota ppk": "ppk_anggota",
    "sekretariat ppk": "ppk_sekretariat",
    "staf sekretariat ppk": "ppk_sekretariat",
    "sekretaris ppk": "ppk_sekretariat",
}

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
_NUMBERED_MEMBER = re.compile(r"(kpps|pps|ppk) ?(\d{1,2}|i{1,3}|iv|vi{0,2}|v)")
_TRAILING_NUMBER = re.compile(r"(.+?) ?(?:no )?\d{1,2}")


def find_post(text: str, catalogue: PostCatalogue) -> Post | None:
    """The post `text` names, or None. Codes and the catalogue's own names first, then the
    spellings above; only posts the catalogue has."""
    raw = " ".join(text.split())
    code = re.sub(r"[\s\-]+", "_", raw.lower())
    if (post := catalogue.get(code)) is not None:
        return post
    name = name_key(raw)
    for candidate in catalogue.posts:
        if name_key(candidate.name) == name:
            return candidate
    if (alias := _ALIASES.get(name)) is not None:
        return catalogue.get(alias)
    if match := _NUMBERED_MEMBER.fullmatch(name):
        body, number = match.groups()
        position = int(number) if number.isdigit() else _ROMAN[number]
        if position >= 1:
            role = "ketua" if position == 1 else "anggota"
            return catalogue.get(f"{_NUMBERED[body]}_{role}")
    if (match := _TRAILING_NUMBER.fullmatch(name)) is not None:
        # "Anggota KPPS 4", "Linmas 2": the number only counts the members.
        base = match.group(1)
        if (alias := _ALIASES.get(base)) is not None:
            return catalogue.get(alias)
    return None
