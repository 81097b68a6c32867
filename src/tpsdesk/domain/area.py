"""Kecamatan and kelurahan codes (kode wilayah Kemendagri) and TPS numbers.

The functions here raise `AreaCodeError` for text that cannot be read; its `message` is
translated and safe to show or log (area codes are not personal data), its `code` is stable.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum

from tpsdesk.i18n import _

TPS_MAX = 999

_KECAMATAN_DOTTED = re.compile(r"(?a)(\d{2})\.(\d{2})\.(\d{2})")
_KECAMATAN_PLAIN = re.compile(r"(?a)(\d{2})(\d{2})(\d{2})")
_KELURAHAN_DOTTED = re.compile(r"(?a)(\d{2})\.(\d{2})\.(\d{2})\.(\d{4})")
_KELURAHAN_PLAIN = re.compile(r"(?a)(\d{2})(\d{2})(\d{2})(\d{4})")
_TPS = re.compile(r"(?a)(?:tps[\s.\-:#]*)?(\d{1,6})", re.IGNORECASE)


class AreaCodeError(ValueError):
    """An area code or TPS number that cannot be read; `message` is translated."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class KelurahanKind(StrEnum):
    KELURAHAN = "kelurahan"  # urban, headed by a lurah (first digit 1)
    DESA = "desa"  # village, headed by a kepala desa (first digit 2)


def _check_parts(pp: str, kk: str, cc: str) -> None:
    if int(pp) < 11:
        raise AreaCodeError(
            "area.province",
            _("{code} cannot be a province code (11 to 99)").format(code=pp),
        )
    if kk == "00":
        raise AreaCodeError(
            "area.regency", _("The regency or city part of an area code cannot be 00")
        )
    if cc == "00":
        raise AreaCodeError("area.district", _("The kecamatan part of an area code cannot be 00"))


def normalize_kecamatan_code(raw: str) -> str:
    """Return "PP.KK.CC" from "35.73.05" or "357305"; raise AreaCodeError otherwise."""
    text = "".join(raw.split()) if isinstance(raw, str) else ""
    m = _KECAMATAN_DOTTED.fullmatch(text) or _KECAMATAN_PLAIN.fullmatch(text)
    if m is None:
        raise AreaCodeError(
            "area.kecamatan_format",
            _("A kecamatan code looks like 35.73.05 (six digits); got {text}").format(
                text=_shown(text)
            ),
        )
    _check_parts(m[1], m[2], m[3])
    return f"{m[1]}.{m[2]}.{m[3]}"


def normalize_kelurahan_code(raw: str) -> str:
    """Return "PP.KK.CC.XXXX" from the dotted form or ten digits; raise AreaCodeError otherwise.

    The first digit of XXXX is 1 for a kelurahan and 2 for a desa.
    """
    text = "".join(raw.split()) if isinstance(raw, str) else ""
    m = _KELURAHAN_DOTTED.fullmatch(text) or _KELURAHAN_PLAIN.fullmatch(text)
    if m is None:
        raise AreaCodeError(
            "area.kelurahan_format",
            _("A kelurahan or desa code looks like 35.73.05.1001 (ten digits); got {text}").format(
                text=_shown(text)
            ),
        )
    _check_parts(m[1], m[2], m[3])
    if m[4][0] not in "12":
        raise AreaCodeError(
            "area.kelurahan_kind",
            _(
                "The last part of a kelurahan or desa code starts with 1 (kelurahan) or 2 "
                "(desa); got {part}"
            ).format(part=m[4]),
        )
    return f"{m[1]}.{m[2]}.{m[3]}.{m[4]}"


def kelurahan_kind(code: str) -> KelurahanKind:
    """Kelurahan or desa, from a kelurahan code (normalised first; may raise AreaCodeError)."""
    last = normalize_kelurahan_code(code)[-4]
    return KelurahanKind.KELURAHAN if last == "1" else KelurahanKind.DESA


def kecamatan_of(kelurahan_code: str) -> str:
    """The kecamatan code "PP.KK.CC" a kelurahan code belongs to (may raise AreaCodeError)."""
    return normalize_kelurahan_code(kelurahan_code)[:8]


def parse_tps_number(raw: str | int | float) -> int:
    """Read a TPS number: 7, "7", "007", "TPS 07", "tps-7", 7.0 → 7; raise AreaCodeError."""
    number: int | None = None
    if isinstance(raw, bool):
        number = None
    elif isinstance(raw, int):
        number = raw
    elif isinstance(raw, float):
        number = int(raw) if math.isfinite(raw) and raw == int(raw) else None
    elif isinstance(raw, str):
        text = raw.strip()
        if re.fullmatch(r"(?a)\d+\.0+", text):
            text = text.split(".", 1)[0]
        m = _TPS.fullmatch(text)
        number = int(m[1]) if m else None
    if number is None:
        raise AreaCodeError(
            "tps.format",
            _("A TPS number is a number from 1 to 999, such as 7, 007 or TPS 07"),
        )
    if not 1 <= number <= TPS_MAX:
        raise AreaCodeError(
            "tps.range",
            _("TPS number {n} is out of range: it must be from 1 to 999").format(n=number),
        )
    return number


def format_tps(n: int) -> str:
    """TPS numbers are shown with three digits: 7 → "007"."""
    return f"{n:03d}"


def _shown(text: str) -> str:
    return f"“{text[:20]}”" if text else _("nothing")
