"""Reading dates as people and spreadsheets write them, and the one display format (dd-mm-yyyy)."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

# Indonesian (including the old spellings Pebruari / Nopember) and English month names.
_MONTHS: dict[str, int] = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip

_SEP = r"[-/.]"
_DMY = re.compile(rf"(?a)(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})")
_YMD = re.compile(
    rf"(?a)(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})(?:[ t]00:00(?::00(?:\.0+)?)?)?"
)
_D_NAME_Y = re.compile(r"(?a)(\d{1,2})[\s\-/.,]*([^\W\d_]+)\.?[\s\-/.,]*(\d{4})")
_NAME_D_Y = re.compile(r"(?a)([^\W\d_]+)\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})")
_TWO_DIGIT_YEAR = re.compile(
    rf"(?a)\d{{1,2}}(?:{_SEP}\d{{1,2}}{_SEP}|[\s\-/.,]*[^\W\d_]+\.?[\s\-/.,]*)\d{{2}}"
)

# Excel's day 1 is 1900-01-01, but it counts a 29 February 1900 that never was (serial 60);
# from serial 61 on, counting from 1899-12-30 gives the right date.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX = (date.max - _EXCEL_EPOCH).days


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(raw: str) -> date | None:
    """Read a date, or return None when it cannot be read unambiguously.

    Accepts dd-mm-yyyy with -, / or . (one- or two-digit day and month), yyyy-mm-dd (with an
    optional midnight time, as spreadsheets write it), and month names in Indonesian or
    English, full or short ("17 Agustus 1980", "17-agu-1980", "August 17, 1980").
    Two-digit years are refused: "17-08-80" could be 1980 or 2080. Never raises.
    """
    if not isinstance(raw, str):
        return None
    text = " ".join(raw.split()).strip().lower()
    if not text:
        return None
    if m := _DMY.fullmatch(text):
        return _make(int(m[3]), int(m[2]), int(m[1]))
    if m := _YMD.fullmatch(text):
        return _make(int(m[1]), int(m[2]), int(m[3]))
    if m := _D_NAME_Y.fullmatch(text):
        month = _MONTHS.get(m[2])
        return _make(int(m[3]), month, int(m[1])) if month else None
    if m := _NAME_D_Y.fullmatch(text):
        month = _MONTHS.get(m[1])
        return _make(int(m[3]), month, int(m[2])) if month else None
    return None


def looks_like_two_digit_year(raw: str) -> bool:
    """True for texts such as "17-08-80" or "17 Agustus 80", to explain why they are refused."""
    return bool(_TWO_DIGIT_YEAR.fullmatch(" ".join(raw.split()).strip().lower()))


def excel_serial_to_date(n: int | float) -> date | None:
    """Turn an Excel day number (29450 → 1980-08-17) into a date; the time of day is dropped.

    Returns None for booleans, NaN, infinities, serial 0 or below, Excel's phantom
    29 February 1900 (serial 60) and numbers beyond year 9999.
    """
    if isinstance(n, bool) or not isinstance(n, int | float):
        return None
    if isinstance(n, float):
        if not math.isfinite(n):
            return None
        n = math.floor(n)
    if n < 1 or n == 60 or n > _EXCEL_MAX:
        return None
    if n < 60:
        return _EXCEL_EPOCH + timedelta(days=n + 1)
    return _EXCEL_EPOCH + timedelta(days=n)


def date_to_excel_serial(d: date) -> int:
    """The Excel day number of `d` (from 1 March 1900 on, where Excel's calendar is right)."""
    return (d - _EXCEL_EPOCH).days


def format_date(d: date) -> str:
    """The display format used across the app and in BPJS files: dd-mm-yyyy."""
    return f"{d.day:02d}-{d.month:02d}-{d.year:04d}"
