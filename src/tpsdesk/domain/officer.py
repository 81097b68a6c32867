"""From what a form or a spreadsheet row holds (text) to clean officer values, with every problem.

`validate_officer()` checks all fields at once and reports problems field by field; it returns
typed `OfficerFields` only when there is no error. Messages never contain the NIK or a name.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date

from tpsdesk.domain.dates import format_date, looks_like_two_digit_year, parse_date
from tpsdesk.domain.field_labels import OFFICER_FIELD_LABELS
from tpsdesk.domain.nik import check_nik_consistency, parse_nik
from tpsdesk.domain.phone import normalize_phone
from tpsdesk.domain.post_names import find_post
from tpsdesk.domain.posts import Post, PostCatalogue
from tpsdesk.domain.problems import Problem, Severity, Sex, error, warning
from tpsdesk.domain.text import cell_text_problems
from tpsdesk.i18n import _

NAME_MAX = 100
PLACE_MAX = 100
ADDRESS_MAX = 255
EMAIL_MAX = 254
MAX_PLAUSIBLE_AGE = 100

# Shaped like a day-month-year date, so a failure to read it means the date does not exist.
_NUMERIC_DATE = re.compile(r"(?a)\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")


@dataclass
class OfficerDraft:
    """What a form or a spreadsheet row holds: text, exactly as typed."""

    nik: str = ""
    name: str = ""
    birth_place: str = ""
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    mother_name: str = ""
    marital_status: str = ""
    post_code: str = ""
    duty_start: str = ""
    duty_end: str = ""


@dataclass(frozen=True)
class OfficerFields:
    """Clean, typed values ready to store."""

    nik: str
    name: str
    birth_place: str
    birth_date: date
    sex: Sex
    address: str
    postcode: str | None
    phone: str | None
    email: str | None
    mother_name: str | None
    marital_status: str | None  # "Y" / "T"
    post_code: str
    duty_start: date | None
    duty_end: date | None


@dataclass(frozen=True)
class ValidationResult:
    fields: OfficerFields | None  # None when there is any ERROR
    problems: tuple[Problem, ...]

    def for_field(self, name: str) -> list[Problem]:
        return [p for p in self.problems if p.field == name]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


DRAFT_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(OfficerDraft))
# Fields holding a person's name: emoji and symbols are refused there too.
PERSON_NAME_FIELDS = frozenset({"name", "mother_name"})

# Field labels for messages and forms (domain.field_labels); translate with _() when shown.
FIELD_LABELS: dict[str, str] = OFFICER_FIELD_LABELS

_SEX_WORDS: dict[str, Sex] = {
    **dict.fromkeys(("l", "lk", "laki-laki", "laki laki", "lakilaki", "laki", "lelaki",
                     "pria", "m", "male", "man"), Sex.MALE),
    **dict.fromkeys(("p", "pr", "perempuan", "wanita", "f", "female", "woman"), Sex.FEMALE),
}  # fmt: skip

# STATUS_KAWIN in BPJS files is Y (married) or T (not married). Divorced and widowed people
# are not married now, so the KTP's "CERAI HIDUP" / "CERAI MATI" read as T.
_MARITAL_WORDS: dict[str, str] = {
    **dict.fromkeys(("y", "ya", "yes", "kawin", "sudah kawin", "menikah", "sudah menikah",
                     "married"), "Y"),
    **dict.fromkeys(("t", "tidak", "no", "n", "belum kawin", "tidak kawin", "belum menikah",
                     "tidak menikah", "lajang", "single", "cerai hidup", "cerai mati", "cerai",
                     "janda", "duda", "divorced", "widowed"), "T"),
}  # fmt: skip

_NAME_PUNCTUATION = " .',-"
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_POSTCODE = re.compile(r"(?a)[1-9]\d{4}")


def _label(field: str) -> str:
    return _(FIELD_LABELS[field])


def _clean(raw: str) -> str:
    return " ".join(raw.split()) if isinstance(raw, str) else ""


def _required(field: str) -> Problem:
    return error(field, f"{field}.required", _("{field} is required").format(field=_label(field)))


def _too_long(field: str, limit: int) -> Problem:
    return error(
        field,
        f"{field}.too_long",
        _("{field} is too long: at most {n} characters").format(field=_label(field), n=limit),
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _check_person_name(field: str, value: str, limit: int) -> list[Problem]:
    problems: list[Problem] = []
    bad = []
    for ch in value:
        if not (ch.isalpha() or ch in _NAME_PUNCTUATION) and ch not in bad:
            bad.append(ch)
    if any(ch.isdigit() for ch in bad):
        problems.append(
            error(
                field,
                f"{field}.digits",
                _("{field} must not contain digits").format(field=_label(field)),
            )
        )
    elif bad:
        problems.append(
            error(
                field,
                f"{field}.characters",
                _("{field} may contain only letters, spaces and . ' , -; found {chars}").format(
                    field=_label(field), chars=" ".join(f"“{ch}”" for ch in bad[:6])
                ),
            )
        )
    if len(value) > limit:
        problems.append(_too_long(field, limit))
    return problems


def _read_date(field: str, raw: str) -> tuple[date | None, list[Problem]]:
    text = _clean(raw)
    if not text:
        return None, []
    parsed = parse_date(text)
    if parsed is not None:
        return parsed, []
    if looks_like_two_digit_year(text):
        return None, [
            error(
                field,
                f"{field}.two_digit_year",
                _("{field}: write the year with four digits, e.g. 17-08-1980").format(
                    field=_label(field)
                ),
            )
        ]
    if _NUMERIC_DATE.fullmatch(text):
        day, month, year = (int(part) for part in re.split(r"[-/.]", text))
        if 41 <= day <= 71 and parse_date(f"{day - 40:02d}-{month:02d}-{year}") is not None:
            return None, [
                error(
                    field,
                    f"{field}.day_plus_40",
                    _(
                        "{field}: day {day} is how a woman's NIK writes the day (day + 40); "
                        "the date itself is {date}"
                    ).format(
                        field=_label(field), day=day, date=f"{day - 40:02d}-{month:02d}-{year}"
                    ),
                )
            ]
        return None, [
            error(
                field,
                f"{field}.impossible",
                _("{field}: {text} is not a real calendar date").format(
                    field=_label(field), text=text
                ),
            )
        ]
    return None, [
        error(
            field,
            f"{field}.unreadable",
            _("{field} cannot be read; write it as dd-mm-yyyy, e.g. 17-08-1980").format(
                field=_label(field)
            ),
        )
    ]


def _find_post(raw: str, catalogue: PostCatalogue) -> Post | None:
    return find_post(_clean(raw), catalogue)


def validate_officer(
    draft: OfficerDraft,
    *,
    catalogue: PostCatalogue,
    today: date,
    require_mother_name: bool = False,
) -> ValidationResult:
    """Check every field of `draft`; `fields` is None iff some problem is an ERROR.

    Age rules (the post's minimum age, its preferred maximum) are reported on "post_code"
    and judged on the duty start, or on `today` when there is none.
    """
    problems: list[Problem] = []

    # NIK
    nik_info = parse_nik(draft.nik, today=today)
    problems.extend(nik_info.problems)

    # Name: kept exactly as typed apart from spaces; BPJS matches it against the KTP.
    name = _clean(draft.name)
    if not name:
        problems.append(_required("name"))
    else:
        problems.extend(_check_person_name("name", name, NAME_MAX))
        if name == name.lower() and name != name.upper():
            problems.append(
                warning(
                    "name",
                    "name.lowercase",
                    _(
                        "Name is all lowercase; KTP names are written in capitals — type it "
                        "exactly as on the KTP"
                    ),
                )
            )

    birth_place = _clean(draft.birth_place)
    if not birth_place:
        problems.append(_required("birth_place"))
    elif len(birth_place) > PLACE_MAX:
        problems.append(_too_long("birth_place", PLACE_MAX))

    # Date of birth
    birth_date, date_problems = _read_date("birth_date", draft.birth_date)
    problems.extend(date_problems)
    plausible_birth = False  # age rules are only judged on a plausible date of birth
    if not _clean(draft.birth_date):
        problems.append(_required("birth_date"))
    elif birth_date is not None:
        if birth_date > today:
            problems.append(
                error("birth_date", "birth_date.future", _("Date of birth is in the future"))
            )
        elif _age(birth_date, today) > MAX_PLAUSIBLE_AGE:
            problems.append(
                error(
                    "birth_date",
                    "birth_date.implausible",
                    _("Date of birth gives an age over {n} years; check the year").format(
                        n=MAX_PLAUSIBLE_AGE
                    ),
                )
            )
        else:
            plausible_birth = True

    # Sex
    sex_text = _clean(draft.sex).lower()
    sex = _SEX_WORDS.get(sex_text)
    if not sex_text:
        problems.append(_required("sex"))
    elif sex is None:
        problems.append(
            error("sex", "sex.invalid", _("Sex must be L (laki-laki) or P (perempuan)"))
        )

    problems.extend(check_nik_consistency(nik_info, birth_date, sex))

    address = _clean(draft.address)
    if not address:
        problems.append(_required("address"))
    elif len(address) > ADDRESS_MAX:
        problems.append(_too_long("address", ADDRESS_MAX))

    postcode_text = "".join(draft.postcode.split()) if isinstance(draft.postcode, str) else ""
    if re.fullmatch(r"(?a)\d{5}\.0+", postcode_text):
        postcode_text = postcode_text.split(".", 1)[0]  # a spreadsheet number cell
    postcode = postcode_text or None
    if postcode is not None and not _POSTCODE.fullmatch(postcode):
        problems.append(
            error(
                "postcode",
                "postcode.invalid",
                _("Postcode must be five digits, e.g. 65145"),
            )
        )

    phone, phone_problems = normalize_phone(draft.phone)
    problems.extend(phone_problems)

    email = _clean(draft.email) or None
    if email is not None and (len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email)):
        problems.append(
            error(
                "email",
                "email.invalid",
                _("E-mail address does not look right; it should be like nama@contoh.id"),
            )
        )

    mother_name = _clean(draft.mother_name) or None
    if mother_name is None:
        if require_mother_name:
            problems.append(_required("mother_name"))
    else:
        problems.extend(_check_person_name("mother_name", mother_name, NAME_MAX))

    marital_text = _clean(draft.marital_status).lower()
    marital_status = _MARITAL_WORDS.get(marital_text) if marital_text else None
    if marital_text and marital_status is None:
        problems.append(
            error(
                "marital_status",
                "marital_status.invalid",
                _("Marital status must be Y (kawin) or T (belum/tidak kawin)"),
            )
        )

    # Post and duty period
    post: Post | None = None
    if not _clean(draft.post_code):
        problems.append(_required("post_code"))
    else:
        post = _find_post(draft.post_code, catalogue)
        if post is None:
            problems.append(
                error(
                    "post_code",
                    "post_code.unknown",
                    _("Unknown post; choose one from the list of posts"),
                )
            )

    duty_start, start_problems = _read_date("duty_start", draft.duty_start)
    duty_end, end_problems = _read_date("duty_end", draft.duty_end)
    problems.extend(start_problems)
    problems.extend(end_problems)
    if post is not None:
        if not _clean(draft.duty_start):
            duty_start = post.duty_start
        if not _clean(draft.duty_end):
            duty_end = post.duty_end
    if duty_start is not None and duty_end is not None and duty_end < duty_start:
        problems.append(
            error(
                "duty_end",
                "duty_end.before_start",
                _("Duty ends ({end}) before it starts ({start})").format(
                    end=format_date(duty_end), start=format_date(duty_start)
                ),
            )
        )

    if post is not None and birth_date is not None and plausible_birth:
        on = duty_start or today
        age = _age(birth_date, on)
        if post.min_age is not None and age < post.min_age:
            problems.append(
                error(
                    "post_code",
                    "post_code.too_young",
                    _(
                        "Too young for {post}: {age} years old on {date}; the minimum is {min}"
                    ).format(post=post.name, age=age, date=format_date(on), min=post.min_age),
                )
            )
        if post.max_age_warning is not None and age > post.max_age_warning:
            problems.append(
                warning(
                    "post_code",
                    "post_code.above_preferred_age",
                    _(
                        "{post} should preferably be at most {max} years old; this officer is "
                        "{age} on {date}"
                    ).format(
                        post=post.name, max=post.max_age_warning, age=age, date=format_date(on)
                    ),
                )
            )

    # Control and format characters (and emoji in names) are checked on the text exactly as
    # typed, before spaces are collapsed: a field holding one reports only that, since the
    # other checks of that field would judge (or quote) a value that is not what it seems.
    unclean = _character_problems(draft)
    if unclean:
        bad_fields = {p.field for p in unclean}
        problems = [p for p in problems if p.field not in bad_fields] + unclean
    ordered = tuple(sorted(problems, key=lambda p: _FIELD_ORDER.get(p.field, -1)))
    if any(p.severity is Severity.ERROR for p in ordered):
        return ValidationResult(None, ordered)
    assert birth_date is not None and sex is not None and post is not None
    fields = OfficerFields(
        nik=nik_info.nik,
        name=name,
        birth_place=birth_place,
        birth_date=birth_date,
        sex=sex,
        address=address,
        postcode=postcode,
        phone=phone,
        email=email,
        mother_name=mother_name,
        marital_status=marital_status,
        post_code=post.code,
        duty_start=duty_start,
        duty_end=duty_end,
    )
    return ValidationResult(fields, ordered)


_FIELD_ORDER = {name: index for index, name in enumerate(DRAFT_FIELDS)}


def _character_problems(draft: OfficerDraft) -> list[Problem]:
    problems: list[Problem] = []
    for name in DRAFT_FIELDS:
        value = getattr(draft, name)
        if isinstance(value, str) and value:
            person_name = name in PERSON_NAME_FIELDS
            problems.extend(cell_text_problems(name, value, person_name=person_name))
    return problems


def validate_field(
    name: str,
    draft: OfficerDraft,
    *,
    catalogue: PostCatalogue,
    today: date,
    require_mother_name: bool = False,
) -> list[Problem]:
    """Problems of one field, for checking as the user types (other fields are ignored).

    Cross-field rules are included where they belong: a birth date that contradicts the NIK
    shows on "birth_date", an age outside the post's range on "post_code".
    Raises ValueError for a name that is not an `OfficerDraft` field.
    """
    if name not in _FIELD_ORDER:
        raise ValueError(f"unknown officer field: {name}")
    result = validate_officer(
        draft, catalogue=catalogue, today=today, require_mother_name=require_mother_name
    )
    return result.for_field(name)
