"""The NIK (Nomor Induk Kependudukan): normalising, parsing, checking, and synthetic ones for demos.

Layout: PP KK CC DDMMYY SSSS — issuing kecamatan (Kemendagri code), day of birth (+40 for
women), month, two-digit year, serial. There is no check digit.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date

from tpsdesk.domain.dates import format_date
from tpsdesk.domain.problems import Problem, Severity, Sex, error, warning
from tpsdesk.i18n import _

FIELD = "nik"
NIK_LENGTH = 16
FEMALE_DAY_OFFSET = 40

# Province codes of Kemendagri (kode wilayah), 38 provinces since the 2022 Papua split.
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

_STRIP = re.compile(r"[\s.\-\u2010-\u2015]+")
# "3.51E+15", "3,5073E+15": what a spreadsheet shows for a NIK stored as a number.
_SCIENTIFIC = re.compile(r"(?a)\d+(?:[.,]\d+)?\s*[eE]\s*\+?\s*\d+")


def normalize_nik(raw: str) -> str:
    """Remove spaces, dots and dashes (and a leading apostrophe, Excel's text marker)."""
    return _STRIP.sub("", raw).lstrip("'")


@dataclass(frozen=True)
class NikInfo:
    nik: str  # normalised text as given (may be invalid)
    region_code: str | None  # "PP.KK.CC"
    birth_date: date | None  # century inferred from plausible ages on `today`
    sex: Sex | None
    serial: str | None
    problems: tuple[Problem, ...]  # field "nik"

    @property
    def is_valid(self) -> bool:
        return not any(p.severity is Severity.ERROR for p in self.problems)


def _char_list(chars: str) -> str:
    seen: list[str] = []
    for ch in chars:
        if ch not in seen:
            seen.append(ch)
    return ", ".join(f"“{ch}”" for ch in seen[:6])


def _infer_birth_date(day: int, month: int, yy: int, today: date) -> tuple[date | None, bool]:
    """The latest date with these digits that is not after `today` (within 100 years of it).

    Returns (date, False) when found, (None, True) when the date exists only in the future,
    (None, False) when it does not exist in either century.
    """
    century = today.year // 100 * 100
    exists_in_future = False
    for year in (century + yy, century - 100 + yy):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate, False
        exists_in_future = True
    return None, exists_in_future


def parse_nik(raw: str, *, today: date) -> NikInfo:
    """Read a NIK and report every problem with it (field "nik"). Never raises."""
    if not isinstance(raw, str):
        raw = ""
    nik = normalize_nik(raw)
    problems: list[Problem] = []

    def info() -> NikInfo:
        return NikInfo(nik, None, None, None, None, tuple(problems))

    if not nik:
        problems.append(error(FIELD, "nik.required", _("NIK is required")))
        return info()
    if _SCIENTIFIC.fullmatch(raw.strip()):
        problems.append(
            error(
                FIELD,
                "nik.scientific",
                _(
                    "NIK is written as a number in scientific notation (like 3.5E+15): the "
                    "spreadsheet stored it as a number and lost digits; format the column as "
                    "Text and enter the NIK again"
                ),
            )
        )
        return info()
    bad = "".join(ch for ch in nik if not ("0" <= ch <= "9"))
    if bad:
        problems.append(
            error(
                FIELD,
                "nik.characters",
                _("NIK may contain only digits; it contains {chars}").format(chars=_char_list(bad)),
            )
        )
        return info()
    if len(nik) != NIK_LENGTH:
        if len(nik) == NIK_LENGTH - 1:
            message = _(
                "NIK has 15 digits; it needs 16 — a spreadsheet may have cut off the last digit"
            )
        else:
            message = _("NIK has {n} digits; it needs 16").format(n=len(nik))
        problems.append(error(FIELD, "nik.length", message))
        return info()

    pp, kk, cc = nik[0:2], nik[2:4], nik[4:6]
    dd, mm, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    serial = nik[12:16]
    region_code = f"{pp}.{kk}.{cc}"

    if int(pp) < 11:
        problems.append(
            error(
                FIELD,
                "nik.province",
                _("NIK starts with {code}, which cannot be a province code (11 to 99)").format(
                    code=pp
                ),
            )
        )
    elif pp not in PROVINCES:
        problems.append(
            warning(
                FIELD,
                "nik.region_unknown",
                _(
                    "NIK starts with {code}, which is not a known province code; check the "
                    "first digits against the KTP"
                ).format(code=pp),
            )
        )
    if kk == "00":
        problems.append(
            error(
                FIELD,
                "nik.regency",
                _("Digits 3–4 of the NIK (the regency or city) cannot be 00"),
            )
        )
    if cc == "00":
        problems.append(
            error(
                FIELD,
                "nik.district",
                _("Digits 5–6 of the NIK (the kecamatan) cannot be 00"),
            )
        )

    sex: Sex | None = None
    day = dd
    if 1 <= dd <= 31:
        sex = Sex.MALE
    elif FEMALE_DAY_OFFSET + 1 <= dd <= FEMALE_DAY_OFFSET + 31:
        sex = Sex.FEMALE
        day = dd - FEMALE_DAY_OFFSET
    birth_date: date | None = None
    if sex is None:
        problems.append(
            error(
                FIELD,
                "nik.birth_day",
                _(
                    "Digits 7–8 of the NIK ({day}) are not a day of birth: they must be 01–31 "
                    "for men, or 41–71 for women (day + 40)"
                ).format(day=nik[6:8]),
            )
        )
    elif not 1 <= mm <= 12:
        problems.append(
            error(
                FIELD,
                "nik.birth_month",
                _("Digits 9–10 of the NIK ({month}) are not a month (01–12)").format(
                    month=nik[8:10]
                ),
            )
        )
    else:
        birth_date, in_future = _infer_birth_date(day, mm, yy, today)
        if birth_date is None and in_future:
            problems.append(
                error(
                    FIELD,
                    "nik.birth_future",
                    _("The date of birth in the NIK is in the future"),
                )
            )
        elif birth_date is None:
            problems.append(
                error(
                    FIELD,
                    "nik.birth_date",
                    _(
                        "The date of birth in the NIK (day {day}, month {month}, year ending "
                        "{yy}) does not exist"
                    ).format(day=f"{day:02d}", month=f"{mm:02d}", yy=f"{yy:02d}"),
                )
            )
    if serial == "0000":
        problems.append(
            error(
                FIELD,
                "nik.serial",
                _("The last four digits of the NIK (the serial) cannot be 0000"),
            )
        )
    return NikInfo(nik, region_code, birth_date, sex, serial, tuple(problems))


def _same_except_century(a: date, b: date) -> bool:
    return (a.month, a.day, a.year % 100) == (b.month, b.day, b.year % 100) and abs(
        a.year - b.year
    ) in (0, 100)


def check_nik_consistency(info: NikInfo, birth_date: date | None, sex: Sex | None) -> list[Problem]:
    """Compare the declared birth date and sex with what the NIK encodes.

    A declared date that differs from the NIK's only by century (1905 against an inferred
    2005) is consistent: the NIK holds two digits of the year, so the declared date wins.
    Nothing is reported when either side is unknown.
    """
    problems: list[Problem] = []
    if (
        info.birth_date is not None
        and birth_date is not None
        and not _same_except_century(info.birth_date, birth_date)
    ):
        problems.append(
            error(
                "birth_date",
                "birth_date.nik_mismatch",
                _(
                    "Date of birth does not match the NIK, which says {date} (in a woman's NIK "
                    "the day is written as day + 40)"
                ).format(date=format_date(info.birth_date)),
            )
        )
    if info.sex is not None and sex is not None and info.sex != sex:
        if info.sex is Sex.FEMALE:
            message = _(
                "Sex does not match the NIK: its day of birth is above 40, which marks a woman (P)"
            )
        else:
            message = _(
                "Sex does not match the NIK: its day of birth is below 32, which marks a man (L)"
            )
        problems.append(error("sex", "sex.nik_mismatch", message))
    return problems


_REGION = re.compile(r"(?a)(\d{2})\.?(\d{2})\.?(\d{2})")


def synthetic_nik(
    rng: random.Random,
    *,
    region: str = "35.73.05",
    birth_date: date,
    sex: Sex,
    serial: int | None = None,
) -> str:
    """Build a structurally valid NIK for demos and tests; `serial` None draws one from `rng`.

    Raises ValueError for a malformed region ("PP.KK.CC" or six digits) or a serial outside
    1..9999: these are programming errors, not user input.
    """
    m = _REGION.fullmatch(region.strip())
    if m is None or int(m[1]) < 11 or m[2] == "00" or m[3] == "00":
        raise ValueError("region must be a kecamatan code PP.KK.CC")
    if serial is None:
        serial = rng.randint(1, 9999)
    if not 1 <= serial <= 9999:
        raise ValueError("serial must be 1..9999")
    day = birth_date.day + (FEMALE_DAY_OFFSET if sex is Sex.FEMALE else 0)
    return (
        f"{m[1]}{m[2]}{m[3]}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
    )
