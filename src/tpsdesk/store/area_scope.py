"""The enrolled area of a field laptop, and whether a placement lies in it (issue 8 point 5).

A laptop set up from a district's setup file works for one kelurahan or kecamatan: the
district refuses a bundle row placed elsewhere (a kecamatan post on a kelurahan laptop, a TPS
of another kelurahan), so such an officer is refused here, at entry and import, where the user
can still fix it. A store with no setup file installed keeps no such limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from ..i18n import _
from .versioning import get_meta

# The meta key `sync.setup` keeps the installed setup file under (META_SETUP_INSTALLED there;
# a test checks they agree). Read here directly: the store does not import the sync layer.
SETUP_INSTALLED_META = "setup.installed"


def within(code: str, area: str) -> bool:
    """Whether a kecamatan or kelurahan `code` is `area` or lies under it (35.73.05.1001 lies
    under 35.73.05)."""
    return code == area or code.startswith(area + ".")


def enrolled_area(session: Session) -> str | None:
    """The area code of the installed setup file; None when the store was never set up."""
    value = get_meta(session, SETUP_INSTALLED_META)
    if not isinstance(value, dict):
        return None
    area = value.get("area")
    return area if isinstance(area, str) and area else None


@dataclass(frozen=True)
class OutsideArea:
    """Why a placement is refused: `field` is the one to change ("post_code", "kelurahan"…)."""

    field: str
    message: str


def check_placement(
    area: str | None, post_name: str, kelurahan_code: str | None, kecamatan_code: str
) -> OutsideArea | None:
    """None when an officer of `post_name` placed there may be saved on a laptop of `area`."""
    if area is None:
        return None
    if kelurahan_code is not None:
        if within(kelurahan_code, area):
            return None
        return OutsideArea(
            "kelurahan",
            _(
                "Kelurahan {code} lies outside this laptop's area ({area}): officers can be "
                "registered here only for TPS and posts of {area}"
            ).format(code=kelurahan_code, area=area),
        )
    if within(kecamatan_code, area):
        return None
    if within(area, kecamatan_code):
        # A kecamatan post on a laptop of one of its kelurahan: the district registers it.
        return OutsideArea(
            "post_code",
            _(
                "{post} is a post of the kecamatan, and this laptop works for kelurahan {area} "
                "only: the kecamatan's officers are registered by the kecamatan or the district"
            ).format(post=post_name, area=area),
        )
    return OutsideArea(
        "kecamatan",
        _(
            "Kecamatan {code} lies outside this laptop's area ({area}): officers can be "
            "registered here only for TPS and posts of {area}"
        ).format(code=kecamatan_code, area=area),
    )
