"""Indonesian phone numbers, normalised to the national form BPJS files use: 08…"""

from __future__ import annotations

import re

from tpsdesk.domain.problems import Problem, error, warning
from tpsdesk.i18n import _

FIELD = "phone"
MOBILE_LENGTHS = range(10, 14)  # 08 + 8..11 more digits
LANDLINE_LENGTHS = range(9, 13)  # area code (0 + 1..3 digits) + subscriber number

_SEPARATORS = re.compile(r"[\s.\-()/\u2010-\u2015]+")
_EXCEL_FLOAT = re.compile(r"(?a)\d+\.0+")


def normalize_phone(raw: str) -> tuple[str | None, list[Problem]]:
    """Return the number as "08…" (or "0341…" for a landline) and problems on field "phone".

    Accepts spaces, dots, dashes and brackets, "+62" / "62" / "0062" prefixes, "+62 (0) 812…",
    and a mobile number whose leading 0 a spreadsheet dropped ("8123456789"). A landline is
    kept with a warning; letters, other countries and wrong lengths are errors and give None.
    An empty text gives (None, []): whether the phone is required is the caller's rule.
    Idempotent: a normalised number normalises to itself.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return None, []
    if _EXCEL_FLOAT.fullmatch(text):
        text = text.split(".", 1)[0]
    if any(ch.isalpha() for ch in text):
        return None, [
            error(
                FIELD,
                "phone.letters",
                _("Phone number contains letters; use digits only, e.g. 0812-3456-7890"),
            )
        ]
    compact = _SEPARATORS.sub("", text)
    plus = compact.startswith("+")
    if plus:
        compact = compact[1:]
    bad = sorted({ch for ch in compact if not ("0" <= ch <= "9")})
    if bad:
        return None, [
            error(
                FIELD,
                "phone.characters",
                _("Phone number contains characters that are not allowed: {chars}").format(
                    chars=" ".join(bad)
                ),
            )
        ]
    if compact.startswith("00"):  # the international call prefix, as in 0062…
        compact, plus = compact[2:], True
    if plus or (compact.startswith("62") and not compact.startswith("0")):
        if not compact.startswith("62"):
            return None, [
                error(
                    FIELD,
                    "phone.country",
                    _("Phone number is not an Indonesian number (+62)"),
                )
            ]
        compact = compact[2:]
        if not compact.startswith("0"):
            compact = "0" + compact
    elif compact.startswith("8"):
        compact = "0" + compact  # a spreadsheet number cell drops the leading 0
    if not compact.startswith("0") or compact.startswith("00"):
        return None, [
            error(
                FIELD,
                "phone.prefix",
                _("Phone number must start with 08 (or +62 8) for a mobile number"),
            )
        ]
    if compact.startswith("08"):
        if len(compact) not in MOBILE_LENGTHS:
            return None, [
                error(
                    FIELD,
                    "phone.length",
                    _(
                        "Phone number has {n} digits; an Indonesian mobile number has 10 to 13 "
                        "(starting 08)"
                    ).format(n=len(compact)),
                )
            ]
        return compact, []
    if len(compact) not in LANDLINE_LENGTHS:
        return None, [
            error(
                FIELD,
                "phone.length",
                _("Phone number has {n} digits; a landline number has 9 to 12").format(
                    n=len(compact)
                ),
            )
        ]
    return compact, [
        warning(
            FIELD,
            "phone.not_mobile",
            _("Phone number is not a mobile number (08…); it is kept, but SMS will not reach it"),
        )
    ]
