"""The catalogue of ad-hoc posts (DOMAIN.md "Who is covered"), overridable by a district.

Defaults are those of Pilkada 2024; a district changes counts, ages and duty periods with
`PostCatalogue.with_overrides()` or replaces the catalogue with `PostCatalogue.from_dict()`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from tpsdesk.i18n import _

FORMAT_VERSION = 1
LARGE_TPS_VOTERS = 400
MAX_PER_UNIT = 99


class Unit(StrEnum):
    TPS = "tps"
    KELURAHAN = "kelurahan"
    KECAMATAN = "kecamatan"


BODIES = ("KPU", "Bawaslu")


@dataclass(frozen=True)
class Post:
    code: str  # "kpps_ketua", "kpps_anggota", "linmas", "ptps", ...
    body: str  # "KPU" | "Bawaslu"
    name: str  # Indonesian official name (a proper noun, not translated)
    unit: Unit
    per_unit: int
    per_unit_large_tps: int | None  # Pantarlih: 2 above `large_tps_voters` voters
    min_age: int | None
    max_age_warning: int | None
    duty_start: date | None
    duty_end: date | None


def _post(
    code: str,
    body: str,
    name: str,
    unit: Unit,
    per_unit: int,
    period: tuple[date | None, date | None],
    *,
    min_age: int | None,
    max_age_warning: int | None = None,
    per_unit_large_tps: int | None = None,
) -> Post:
    return Post(
        code=code,
        body=body,
        name=name,
        unit=unit,
        per_unit=per_unit,
        per_unit_large_tps=per_unit_large_tps,
        min_age=min_age,
        max_age_warning=max_age_warning,
        duty_start=period[0],
        duty_end=period[1],
    )


# Pilkada 2024, voting day 27 November 2024. PPK's end and PKD's end are not in the sources:
# the end of 2024 is a placeholder a district should set. Panwascam periods are left open.
VOTING_DAY_2024 = date(2024, 11, 27)
_PPK = (date(2024, 5, 16), date(2024, 12, 31))
_PPS = (date(2024, 5, 25), date(2025, 1, 24))  # at most 8 months
_PANTARLIH = (date(2024, 6, 24), date(2024, 7, 25))
_KPPS = (date(2024, 11, 7), date(2024, 12, 8))
_PKD = (date(2024, 6, 1), date(2024, 12, 31))
_PTPS = (date(2024, 11, 4), date(2024, 12, 4))  # 23 days before to 7 days after voting
_OPEN: tuple[date | None, date | None] = (None, None)
_KPU_MIN_AGE = 17
_BAWASLU_MIN_AGE = 21
_KPPS_PREFERRED_MAX_AGE = 55

_K, _L, _T = Unit.KECAMATAN, Unit.KELURAHAN, Unit.TPS
# Order is the order of entry: the posts of a TPS as a KPPS roster lists them.
_DEFAULT_POSTS = (
    _post("ppk_ketua", "KPU", "Ketua PPK", _K, 1, _PPK, min_age=_KPU_MIN_AGE),
    _post("ppk_anggota", "KPU", "Anggota PPK", _K, 4, _PPK, min_age=_KPU_MIN_AGE),
    _post("ppk_sekretariat", "KPU", "Sekretariat PPK", _K, 3, _PPK, min_age=_KPU_MIN_AGE),
    _post("pps_ketua", "KPU", "Ketua PPS", _L, 1, _PPS, min_age=_KPU_MIN_AGE),
    _post("pps_anggota", "KPU", "Anggota PPS", _L, 2, _PPS, min_age=_KPU_MIN_AGE),
    _post("pps_sekretariat", "KPU", "Sekretariat PPS", _L, 3, _PPS, min_age=_KPU_MIN_AGE),
    _post(
        "kpps_ketua", "KPU", "Ketua KPPS", _T, 1, _KPPS,
        min_age=_KPU_MIN_AGE, max_age_warning=_KPPS_PREFERRED_MAX_AGE,
    ),
    _post(
        "kpps_anggota", "KPU", "Anggota KPPS", _T, 6, _KPPS,
        min_age=_KPU_MIN_AGE, max_age_warning=_KPPS_PREFERRED_MAX_AGE,
    ),
    _post("linmas", "KPU", "Linmas", _T, 2, _KPPS, min_age=_KPU_MIN_AGE),
    _post(
        "pantarlih", "KPU", "Pantarlih", _T, 1, _PANTARLIH,
        min_age=_KPU_MIN_AGE, per_unit_large_tps=2,
    ),
    _post("panwascam", "Bawaslu", "Panwascam", _K, 3, _OPEN, min_age=_BAWASLU_MIN_AGE),
    # The secretariat's size varies (8 in Palembang, 10 in Makassar): the district sets it.
    _post(
        "panwascam_sekretariat", "Bawaslu", "Sekretariat Panwascam", _K, 0, _OPEN,
        min_age=_BAWASLU_MIN_AGE,
    ),
    _post("pkd", "Bawaslu", "PKD", _L, 1, _PKD,
          min_age=_BAWASLU_MIN_AGE),
    _post("ptps", "Bawaslu", "PTPS", _T, 1, _PTPS, min_age=_BAWASLU_MIN_AGE),
)  # fmt: skip


@dataclass(frozen=True)
class PostCatalogue:
    posts: tuple[Post, ...]
    large_tps_voters: int = LARGE_TPS_VOTERS  # above this many voters, per_unit_large_tps

    def get(self, code: str) -> Post | None:
        for post in self.posts:
            if post.code == code:
                return post
        return None

    def for_unit(self, unit: Unit) -> list[Post]:
        return [post for post in self.posts if post.unit == unit]

    def needed(self, unit: Unit, voters: int | None = None) -> dict[str, int]:
        """Posts needed in one unit, {post_code: count}; posts needing nobody are left out."""
        large = unit == Unit.TPS and voters is not None and voters > self.large_tps_voters
        counts: dict[str, int] = {}
        for post in self.for_unit(unit):
            count = post.per_unit
            if large and post.per_unit_large_tps is not None:
                count = post.per_unit_large_tps
            if count > 0:
                counts[post.code] = count
        return counts

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (dates as ISO text) that `from_dict()` reads back."""
        return {
            "version": FORMAT_VERSION,
            "large_tps_voters": self.large_tps_voters,
            "posts": [_post_to_dict(post) for post in self.posts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PostCatalogue:
        """Read a catalogue written by `to_dict()` (or by a district).

        Raises ValueError with a translated message naming the bad entry.
        """
        if not isinstance(data, Mapping):
            raise ValueError(_("A post catalogue must be a mapping with a list of posts"))
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ValueError(
                _("Post catalogue format {version} is not supported").format(version=version)
            )
        large = data.get("large_tps_voters", LARGE_TPS_VOTERS)
        if not _is_int(large) or large < 0:
            raise ValueError(
                _("Post catalogue: large_tps_voters must be a whole number of voters, 0 or more")
            )
        entries = data.get("posts")
        if not isinstance(entries, list) or not entries:
            raise ValueError(_("A post catalogue must be a mapping with a list of posts"))
        posts = tuple(_post_from_dict(entry, index) for index, entry in enumerate(entries, 1))
        seen: set[str] = set()
        for post in posts:
            if post.code in seen:
                raise ValueError(
                    _("Post catalogue entry {entry}: the post appears twice").format(
                        entry=post.code
                    )
                )
            seen.add(post.code)
        return cls(posts=posts, large_tps_voters=large)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> PostCatalogue:
        """Change some attributes of some posts, e.g. {"panwascam_sekretariat": {"per_unit": 8}}.

        Values are written as in `to_dict()` (dates as ISO text). Raises ValueError with a
        translated message naming the bad entry (unknown post or attribute, bad value).
        """
        data = self.to_dict()
        by_code = {entry["code"]: entry for entry in data["posts"]}
        for code, changes in overrides.items():
            entry = by_code.get(code)
            if entry is None:
                raise ValueError(
                    _("Post catalogue entry {entry}: there is no such post").format(entry=code)
                )
            if not isinstance(changes, Mapping):
                raise ValueError(
                    _("Post catalogue entry {entry}: changes must be a mapping").format(entry=code)
                )
            for key, value in changes.items():
                if key not in _FIELDS or key == "code":
                    raise ValueError(
                        _("Post catalogue entry {entry}: {key} cannot be changed").format(
                            entry=code, key=key
                        )
                    )
                entry[key] = value
        return PostCatalogue.from_dict(data)


_FIELDS = tuple(f.name for f in dataclasses.fields(Post))
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_OPTIONAL_INTS = ("per_unit_large_tps", "min_age", "max_age_warning")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _post_to_dict(post: Post) -> dict[str, Any]:
    return {
        "code": post.code,
        "body": post.body,
        "name": post.name,
        "unit": str(post.unit),
        "per_unit": post.per_unit,
        "per_unit_large_tps": post.per_unit_large_tps,
        "min_age": post.min_age,
        "max_age_warning": post.max_age_warning,
        "duty_start": post.duty_start.isoformat() if post.duty_start else None,
        "duty_end": post.duty_end.isoformat() if post.duty_end else None,
    }


def _post_from_dict(entry: object, index: int) -> Post:
    if not isinstance(entry, Mapping):
        raise ValueError(
            _("Post catalogue entry {entry}: must be a mapping").format(entry=f"#{index}")
        )
    code = entry.get("code")
    if not isinstance(code, str) or not code.strip():
        raise ValueError(
            _("Post catalogue entry {entry}: the post code is missing").format(entry=f"#{index}")
        )
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise ValueError(
            _(
                "Post catalogue entry {entry}: a post code has lowercase letters, digits and _"
            ).format(entry=f"#{index}")
        )

    def bad(reason: str) -> ValueError:
        return ValueError(
            _("Post catalogue entry {entry}: {reason}").format(entry=code, reason=reason)
        )

    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise bad(_("unknown attribute {key}").format(key=", ".join(map(str, unknown))))
    body = entry.get("body")
    if body not in BODIES:
        raise bad(_("body must be KPU or Bawaslu"))
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad(_("the post name is missing"))
    try:
        unit = Unit(str(entry.get("unit")))
    except ValueError:
        raise bad(_("unit must be tps, kelurahan or kecamatan")) from None
    per_unit: Any = entry.get("per_unit")
    if not _is_int(per_unit) or not 0 <= per_unit <= MAX_PER_UNIT:
        raise bad(_("per_unit must be a whole number from 0 to 99"))
    optional: dict[str, int | None] = {}
    for key in _OPTIONAL_INTS:
        value = entry.get(key)
        if value is not None and (not _is_int(value) or not 0 <= value <= MAX_PER_UNIT):
            raise bad(_("{key} must be empty or a whole number from 0 to 99").format(key=key))
        optional[key] = value
    if optional["per_unit_large_tps"] is not None and unit != Unit.TPS:
        raise bad(_("per_unit_large_tps applies only to posts per TPS"))
    min_age, max_age = optional["min_age"], optional["max_age_warning"]
    if min_age is not None and max_age is not None and max_age < min_age:
        raise bad(_("max_age_warning is below min_age"))
    start = _iso_date(entry.get("duty_start"), "duty_start", bad)
    end = _iso_date(entry.get("duty_end"), "duty_end", bad)
    if start is not None and end is not None and end < start:
        raise bad(_("duty_end is before duty_start"))
    return Post(
        code=code,
        body=body,
        name=name.strip(),
        unit=unit,
        per_unit=per_unit,
        per_unit_large_tps=optional["per_unit_large_tps"],
        min_age=min_age,
        max_age_warning=max_age,
        duty_start=start,
        duty_end=end,
    )


def _iso_date(value: object, key: str, bad: Callable[[str], ValueError]) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise bad(_("{key} must be a date written yyyy-mm-dd").format(key=key))


DEFAULT_CATALOGUE = PostCatalogue(posts=_DEFAULT_POSTS)
