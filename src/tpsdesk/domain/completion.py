"""What "filled" means: places (slots) of each post, filled one officer a place.

A unit (a TPS, a kelurahan, a kecamatan) needs so many places of each post (`domain.posts`).
An officer fills one place of their own post; officers beyond a post's places are *extra* and
fill no place of another post. So a TPS with eleven Anggota KPPS and nobody else has 6 of its
11 places filled (the six Anggota KPPS places), 5 missing and 5 extra, and is not complete.

Pure counting: `store.completion` reads the officers per post and builds these; every screen,
export and summary takes filled, missing, extra and complete from there and only draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class PostFill:
    """One post of one unit: `needed` places, `placed` live officers in that post."""

    post_code: str
    post_name: str
    needed: int
    placed: int

    @property
    def filled(self) -> int:
        """Places filled: never more than the post has."""
        return min(self.placed, self.needed)

    @property
    def missing(self) -> int:
        return self.needed - self.filled

    @property
    def extra(self) -> int:
        """Officers beyond the post's places (they fill no other post's place)."""
        return self.placed - self.filled

    @property
    def complete(self) -> bool:
        return self.missing == 0


@dataclass(frozen=True)
class Fills:
    """The places of a unit's posts, post by post."""

    posts: tuple[PostFill, ...]

    # Cached: the coverage of 10,000 TPS reads each several times (`posts` never changes).
    @cached_property
    def needed(self) -> int:
        return sum(p.needed for p in self.posts)

    @cached_property
    def filled(self) -> int:
        """Places filled, post by post (extra officers fill none)."""
        return sum(p.filled for p in self.posts)

    @cached_property
    def placed(self) -> int:
        """Live officers in the unit's posts, extra ones included."""
        return sum(p.placed for p in self.posts)

    @cached_property
    def missing(self) -> int:
        return sum(p.missing for p in self.posts)

    @cached_property
    def extra(self) -> int:
        return sum(p.extra for p in self.posts)

    @property
    def complete(self) -> bool:
        return self.missing == 0


def post_fills(
    needed: Mapping[str, int], placed: Mapping[str, int], names: Mapping[str, str]
) -> tuple[PostFill, ...]:
    """The posts a unit needs, in the order of `needed`, then the posts it does not need (a
    catalogue changed since) that still hold officers: all of those are extra."""
    posts = [
        PostFill(code, names.get(code, code), n, placed.get(code, 0)) for code, n in needed.items()
    ]
    posts += [
        PostFill(code, names.get(code, code), 0, n)
        for code, n in placed.items()
        if code not in needed
    ]
    return tuple(posts)


@dataclass(frozen=True)
class AreaFill:
    """Places needed, filled and missing, and extra officers, without the per-post detail: of
    one TPS, of some posts, or summed over an area. The same numbers as `Fills`."""

    needed: int = 0
    filled: int = 0
    missing: int = 0
    extra: int = 0

    @property
    def complete(self) -> bool:
        return self.missing == 0

    @classmethod
    def of(cls, needed: Mapping[str, int], placed: Mapping[str, int]) -> AreaFill:
        """The totals of `post_fills(needed, placed, …)`, without building them."""
        total = filled = 0
        for code, n in needed.items():
            total += n
            filled += min(n, placed.get(code, 0))
        return cls(total, filled, total - filled, sum(placed.values()) - filled)

    @classmethod
    def total(cls, fills: Iterable[Fills | AreaFill | PostFill]) -> AreaFill:
        """The sum of several units' (or posts') numbers."""
        needed = filled = missing = extra = 0
        for fill in fills:
            needed += fill.needed
            filled += fill.filled
            missing += fill.missing
            extra += fill.extra
        return cls(needed, filled, missing, extra)

    def __add__(self, other: Fills | AreaFill | PostFill) -> AreaFill:
        return AreaFill(
            self.needed + other.needed,
            self.filled + other.filled,
            self.missing + other.missing,
            self.extra + other.extra,
        )
