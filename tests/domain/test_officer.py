import dataclasses
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpsdesk.domain.officer import (
    DRAFT_FIELDS,
    FIELD_LABELS,
    OfficerDraft,
    OfficerFields,
    validate_field,
    validate_officer,
)
from tpsdesk.domain.posts import DEFAULT_CATALOGUE
from tpsdesk.domain.problems import Severity, Sex

TODAY = date(2024, 10, 1)
NIK = "3573055708800002"  # woman, 17-08-1980


def draft(**changes: str) -> OfficerDraft:
    base = OfficerDraft(
        nik=NIK,
        name="SITI AMINAH",
        birth_place="MALANG",
        birth_date="17-08-1980",
        sex="P",
        address="Jl. Ijen No. 5, Klojen",
        postcode="65119",
        phone="0812-3456-7890",
        email="siti@example.id",
        mother_name="",
        marital_status="Kawin",
        post_code="kpps_anggota",
    )
    return dataclasses.replace(base, **changes)


def check(d: OfficerDraft, *, require_mother_name: bool = False):  # type: ignore[no-untyped-def]
    return validate_officer(
        d, catalogue=DEFAULT_CATALOGUE, today=TODAY, require_mother_name=require_mother_name
    )


def codes(d: OfficerDraft, **kwargs: bool) -> list[str]:
    return [p.code for p in check(d, **kwargs).problems]


def test_valid_draft() -> None:
    result = check(draft())
    assert result.problems == ()
    assert result.fields == OfficerFields(
        nik=NIK,
        name="SITI AMINAH",
        birth_place="MALANG",
        birth_date=date(1980, 8, 17),
        sex=Sex.FEMALE,
        address="Jl. Ijen No. 5, Klojen",
        postcode="65119",
        phone="081234567890",
        email="siti@example.id",
        mother_name=None,
        marital_status="Y",
        post_code="kpps_anggota",
        duty_start=date(2024, 11, 7),  # the post's default period
        duty_end=date(2024, 12, 8),
    )


def test_cleaning() -> None:
    fields = check(
        draft(
            nik="3573 0557 0880 0002",
            name="  SITI   AMINAH ",
            address=" Jl. Ijen   No. 5 ",  # a line break is refused: test_text_* below
            postcode=" 65119 ",
            birth_date="17 Agustus 1980",
            sex="perempuan",
            marital_status="",
            email="",
            phone="",
            post_code="Anggota KPPS",
        )
    ).fields
    assert fields is not None
    assert fields.nik == NIK
    assert fields.name == "SITI AMINAH"
    assert fields.address == "Jl. Ijen No. 5"
    assert fields.postcode == "65119"
    assert fields.birth_date == date(1980, 8, 17)
    assert (fields.marital_status, fields.email, fields.phone) == (None, None, None)
    assert fields.post_code == "kpps_anggota"


def test_empty_draft_reports_every_required_field_at_once() -> None:
    result = check(OfficerDraft())
    assert result.fields is None
    assert [p.code for p in result.problems] == [
        "nik.required",
        "name.required",
        "birth_place.required",
        "birth_date.required",
        "sex.required",
        "address.required",
        "post_code.required",
    ]
    assert all(p.severity is Severity.ERROR for p in result.problems)
    assert result.for_field("name")[0].message == "Name is required"


def test_problems_are_in_field_order() -> None:
    result = check(draft(post_code="", nik="123", phone="abc", name=""))
    order = [DRAFT_FIELDS.index(p.field) for p in result.problems]
    assert order == sorted(order)


# NIK and consistency


def test_nik_problems_block_the_record() -> None:
    result = check(draft(nik=NIK[:15]))
    assert result.fields is None
    [problem] = result.for_field("nik")
    assert problem.code == "nik.length" and "15 digits" in problem.message


def test_unknown_province_only_warns() -> None:
    result = check(draft(nik="99" + NIK[2:]))
    assert result.fields is not None
    assert [p.code for p in result.warnings] == ["nik.region_unknown"]


def test_birth_date_must_match_nik() -> None:
    result = check(draft(birth_date="18-08-1980"))
    assert result.fields is None
    [problem] = result.for_field("birth_date")
    assert problem.code == "birth_date.nik_mismatch"
    assert "17-08-1980" in problem.message


def test_woman_typing_day_plus_40_as_birth_date_is_caught() -> None:
    [problem] = check(draft(birth_date="57-08-1980")).for_field("birth_date")
    assert problem.code == "birth_date.day_plus_40"
    assert "17-08-1980" in problem.message


def test_impossible_calendar_date_is_named_as_such() -> None:
    [problem] = check(draft(birth_date="31-02-1990")).for_field("birth_date")
    assert problem.code == "birth_date.impossible"
    assert "31-02-1990" in problem.message


def test_sex_must_match_nik() -> None:
    result = check(draft(sex="L"))
    assert [p.code for p in result.problems] == ["sex.nik_mismatch"]
    assert result.fields is None


def test_declared_century_wins() -> None:
    # NIK 17-08-05 is read as 2005 (age 19); a declared 1905 is consistent with it but too old.
    d = draft(nik="3573051708050001", sex="L", birth_date="17-08-2005")
    assert check(d).fields is not None
    assert codes(dataclasses.replace(d, birth_date="17-08-1905")) == ["birth_date.implausible"]


# Name


@pytest.mark.parametrize(
    "name", ["SITI AMINAH", "A. RAHMAN", "MUH. YUSUF, S.PD", "D'SOUZA", "NUR-AINI", "Ñ É"]
)
def test_names_allowed(name: str) -> None:
    assert check(draft(name=name)).for_field("name") == []


def test_name_case_is_kept_and_lowercase_warns() -> None:
    result = check(draft(name="siti aminah"))
    assert result.fields is not None and result.fields.name == "siti aminah"
    [problem] = result.for_field("name")
    assert (problem.code, problem.severity) == ("name.lowercase", Severity.WARNING)
    assert check(draft(name="Siti Aminah")).for_field("name") == []


def test_name_with_digits() -> None:
    [problem] = check(draft(name="SITI AMINAH 2")).for_field("name")
    assert problem.code == "name.digits"
    assert "SITI" not in problem.message


def test_name_with_other_characters() -> None:
    [problem] = check(draft(name="SITI_AMINAH@")).for_field("name")
    assert problem.code == "name.characters"
    assert "_" in problem.message and "@" in problem.message


def test_name_length() -> None:
    assert check(draft(name="A" * 100)).for_field("name") == []
    assert codes(draft(name="A" * 101)) == ["name.too_long"]


def test_birth_place_and_address() -> None:
    assert codes(draft(birth_place=" ")) == ["birth_place.required"]
    assert codes(draft(birth_place="X" * 101)) == ["birth_place.too_long"]
    assert codes(draft(address="\n")) == ["address.required"]
    assert codes(draft(address="X" * 256)) == ["address.too_long"]


# Dates


def test_unreadable_birth_date() -> None:
    [problem] = check(draft(birth_date="kemarin")).for_field("birth_date")
    assert problem.code == "birth_date.unreadable"
    assert "dd-mm-yyyy" in problem.message


def test_two_digit_year() -> None:
    [problem] = check(draft(birth_date="17-08-80")).for_field("birth_date")
    assert problem.code == "birth_date.two_digit_year"
    assert "four digits" in problem.message


def test_future_birth_date() -> None:
    d = draft(nik="3573051708250001", sex="L", birth_date="17-08-2025")
    # The NIK's 17-08-25 reads as 1925; the declared 2025 differs only by century.
    assert codes(d) == ["birth_date.future"]


def test_implausibly_old() -> None:
    d = draft(nik="3573051708200001", sex="L", birth_date="17-08-1920")
    assert codes(d) == ["birth_date.implausible"]


def test_leap_day_birth() -> None:
    d = draft(nik="3573056902840001", birth_date="29-02-1984")
    assert check(d).fields is not None
    assert "birth_date.impossible" in codes(draft(birth_date="29-02-1983"))


# Sex, postcode, phone, e-mail, mother, marital status


@pytest.mark.parametrize(
    ("text", "sex"),
    [("P", "P"), ("p", "P"), ("Perempuan", "P"), ("WANITA", "P"), ("F", "P"),
     ("L", "L"), ("Laki-laki", "L"), ("LAKI LAKI", "L"), ("pria", "L"), ("M", "L")],
)  # fmt: skip
def test_sex_words(text: str, sex: str) -> None:
    nik = NIK if sex == "P" else "3573051708800002"
    fields = check(draft(nik=nik, sex=text)).fields
    assert fields is not None and fields.sex == sex


def test_bad_sex() -> None:
    assert codes(draft(sex="X")) == ["sex.invalid"]


@pytest.mark.parametrize("postcode", ["6511", "651190", "06511", "65A19"])
def test_bad_postcode(postcode: str) -> None:
    assert codes(draft(postcode=postcode)) == ["postcode.invalid"]


def test_postcode_from_a_number_cell() -> None:
    fields = check(draft(postcode="65119.0")).fields
    assert fields is not None and fields.postcode == "65119"


def test_phone_problems_pass_through() -> None:
    assert codes(draft(phone="0812-ABC")) == ["phone.letters"]
    result = check(draft(phone="0341 551234"))
    assert result.fields is not None and result.fields.phone == "0341551234"
    assert [p.code for p in result.warnings] == ["phone.not_mobile"]


@pytest.mark.parametrize("email", ["siti", "siti@", "@example.id", "siti@example", "a b@c.id",
                                   "siti@@example.id", "siti@example..id"])  # fmt: skip
def test_bad_email(email: str) -> None:
    assert codes(draft(email=email)) == ["email.invalid"]


def test_mother_name() -> None:
    assert check(draft()).fields is not None
    assert codes(draft(), require_mother_name=True) == ["mother_name.required"]
    result = check(draft(mother_name="  FATIMAH "), require_mother_name=True)
    assert result.fields is not None and result.fields.mother_name == "FATIMAH"
    assert codes(draft(mother_name="FATIMAH 1")) == ["mother_name.digits"]


@pytest.mark.parametrize(
    ("text", "status"),
    [("Y", "Y"), ("kawin", "Y"), ("MENIKAH", "Y"), ("T", "T"), ("Belum Kawin", "T"),
     ("belum menikah", "T"), ("Cerai Mati", "T"), ("", None)],
)  # fmt: skip
def test_marital_status(text: str, status: str | None) -> None:
    fields = check(draft(marital_status=text)).fields
    assert fields is not None and fields.marital_status == status


def test_bad_marital_status() -> None:
    assert codes(draft(marital_status="mungkin")) == ["marital_status.invalid"]


# Post, duty period, age


def test_unknown_post() -> None:
    assert codes(draft(post_code="kpps_wakil")) == ["post_code.unknown"]


def test_post_accepted_by_code_or_name() -> None:
    for text in ("ptps", "PTPS", " Ketua KPPS ", "kpps-ketua", "Linmas"):
        assert check(draft(post_code=text)).for_field("post_code") == [], text


def test_duty_period_given() -> None:
    fields = check(draft(duty_start="01-11-2024", duty_end="2024-12-31")).fields
    assert fields is not None
    assert (fields.duty_start, fields.duty_end) == (date(2024, 11, 1), date(2024, 12, 31))


def test_duty_period_partly_defaulted() -> None:
    fields = check(draft(duty_start="10-11-2024")).fields
    assert fields is not None
    assert (fields.duty_start, fields.duty_end) == (date(2024, 11, 10), date(2024, 12, 8))


def test_duty_end_before_start() -> None:
    result = check(draft(duty_start="10-12-2024", duty_end="09-12-2024"))
    [problem] = result.problems
    assert (problem.field, problem.code) == ("duty_end", "duty_end.before_start")
    assert "09-12-2024" in problem.message and "10-12-2024" in problem.message
    # A given start after the post's default end is caught too.
    assert codes(draft(duty_start="01-01-2025")) == ["duty_end.before_start"]


def test_unreadable_duty_dates() -> None:
    assert codes(draft(duty_start="besok", duty_end="1-1-25")) == [
        "duty_start.unreadable",
        "duty_end.two_digit_year",
    ]


def test_post_without_a_default_period() -> None:
    fields = check(draft(post_code="panwascam")).fields
    assert fields is not None and fields.duty_start is None and fields.duty_end is None


def _born(birth: date, post: str = "kpps_anggota", **changes: str) -> OfficerDraft:
    nik = f"357305{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}0001"
    return draft(nik=nik, sex="L", birth_date=birth.strftime("%d-%m-%Y"), post_code=post,
                 **changes)  # fmt: skip


def test_minimum_age_is_judged_on_duty_start() -> None:
    # 17 on 7 November 2024 (the KPPS duty start), though 16 on `today`.
    assert check(_born(date(2007, 11, 7))).problems == ()
    result = check(_born(date(2007, 11, 8)))
    assert result.fields is None
    [problem] = result.problems
    assert (problem.field, problem.code) == ("post_code", "post_code.too_young")
    assert "Anggota KPPS" in problem.message and "07-11-2024" in problem.message
    assert "16" in problem.message and "17" in problem.message


def test_minimum_age_without_a_period_uses_today() -> None:
    assert check(_born(date(2003, 10, 1), "panwascam")).problems == ()
    assert codes(_born(date(2003, 10, 2), "panwascam")) == ["post_code.too_young"]


def test_ptps_needs_21() -> None:
    assert codes(_born(date(2004, 1, 1), "ptps")) == ["post_code.too_young"]
    assert codes(_born(date(2004, 1, 1), "kpps_anggota")) == []


def test_kpps_preferred_maximum_only_warns() -> None:
    # 55 on 7 November 2024 is fine; 56 is a warning, not a refusal.
    assert check(_born(date(1968, 11, 8))).problems == ()
    result = check(_born(date(1968, 11, 7)))
    assert result.fields is not None
    [problem] = result.problems
    assert (problem.code, problem.severity) == ("post_code.above_preferred_age", Severity.WARNING)
    assert "55" in problem.message and "56" in problem.message
    assert check(_born(date(1968, 11, 7), "linmas")).problems == ()


# validate_field


def test_validate_field_only_reports_that_field() -> None:
    d = OfficerDraft(nik=NIK[:15])
    problems = validate_field("nik", d, catalogue=DEFAULT_CATALOGUE, today=TODAY)
    assert [p.code for p in problems] == ["nik.length"]
    assert validate_field("phone", d, catalogue=DEFAULT_CATALOGUE, today=TODAY) == []
    assert [p.code for p in validate_field("name", d, catalogue=DEFAULT_CATALOGUE,
                                           today=TODAY)] == ["name.required"]  # fmt: skip


def test_validate_field_includes_cross_field_rules() -> None:
    d = draft(birth_date="18-08-1980")
    problems = validate_field("birth_date", d, catalogue=DEFAULT_CATALOGUE, today=TODAY)
    assert [p.code for p in problems] == ["birth_date.nik_mismatch"]
    assert validate_field("nik", d, catalogue=DEFAULT_CATALOGUE, today=TODAY) == []


def test_validate_field_unknown_name() -> None:
    with pytest.raises(ValueError):
        validate_field("shoe_size", draft(), catalogue=DEFAULT_CATALOGUE, today=TODAY)


def test_every_field_has_a_label() -> None:
    assert set(FIELD_LABELS) == set(DRAFT_FIELDS)


# Properties


drafts = st.builds(OfficerDraft, **{name: st.text(max_size=30) for name in DRAFT_FIELDS})


@settings(max_examples=300)
@given(drafts)
def test_random_drafts_never_raise(d: OfficerDraft) -> None:
    result = check(d)
    has_error = any(p.severity is Severity.ERROR for p in result.problems)
    assert (result.fields is None) == has_error
    assert all(p.field in DRAFT_FIELDS for p in result.problems)


@given(drafts)
def test_messages_never_contain_nik_or_name(d: OfficerDraft) -> None:
    d = dataclasses.replace(d, nik="3573059999123456", name="ZULKIFLI HASAN")
    for problem in check(d).problems:
        assert "3573059999123456" not in problem.message
        assert "ZULKIFLI" not in problem.message


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2007, 11, 7)),
       st.sampled_from(["L", "P"]))  # fmt: skip
def test_valid_officers_round_trip(birth: date, sex: str) -> None:
    day = birth.day + (40 if sex == "P" else 0)
    nik = f"357305{day:02d}{birth.month:02d}{birth.year % 100:02d}0001"
    result = check(draft(nik=nik, sex=sex, birth_date=birth.strftime("%d-%m-%Y")))
    assert result.fields is not None, result.problems
    assert result.fields.birth_date == birth and result.fields.sex == sex
    again = check(
        draft(nik=result.fields.nik, sex=str(result.fields.sex), birth_date=birth.isoformat())
    )
    assert again.fields is not None and again.fields.nik == nik


# -- clean text (SECURITY 28) ---------------------------------------------------------------

_HOSTILE_TEXT = ["\x1b[31m", "\x07", "\x00", "\r", "\n", "\t", "\u2028", "\u202e"]


@pytest.mark.parametrize("field", DRAFT_FIELDS)
@pytest.mark.parametrize("char", _HOSTILE_TEXT)
def test_control_and_format_characters_are_refused_in_every_field(field: str, char: str) -> None:
    others = {"sex": "perempuan", "mother_name": "SUTINAH", "duty_start": "01-11-2024",
              "duty_end": "30-11-2024"}  # fmt: skip
    value = others.get(field) or getattr(draft(), field)
    hostile = value[:2] + char + value[2:]  # inside the text: around it, blanks are dropped
    result = check(draft(**{field: hostile}))
    assert result.fields is None
    mine = result.for_field(field)
    assert mine, field
    assert all(p.code.startswith(f"{field}.") for p in mine)
    assert {p.code.split(".", 1)[1] for p in mine} <= {
        "control_character",
        "line_break",
        "tab",
        "format_character",
    }
    for problem in result.problems:
        assert char not in problem.message
        assert value not in problem.message


def test_surrounding_spaces_are_still_dropped_but_an_inner_line_break_is_not() -> None:
    fields = check(draft(address="\t Jl. Ijen   No. 5 \r\n")).fields
    assert fields is not None and fields.address == "Jl. Ijen No. 5"
    result = check(draft(address=" Jl. Ijen\nNo. 5"))
    assert result.fields is None
    assert result.for_field("address")[0].message == (
        "Address holds a line break at position 10: remove it"
    )


@pytest.mark.parametrize("field", ["name", "mother_name"])
def test_emoji_in_names_of_people_are_refused(field: str) -> None:
    result = check(draft(**{field: "SITI AMINAH \U0001f600"}))
    assert result.fields is None
    assert [p.code for p in result.for_field(field)] == [f"{field}.symbol"]


def test_emoji_elsewhere_are_not_a_text_problem() -> None:
    result = check(draft(address="Jl. Ijen No. 5 \u2764"))
    assert result.problems == ()


def test_accented_names_are_fine() -> None:
    result = check(draft(name="JOSÉ ÁLVAREZ", mother_name="NGATIJO-WIDODO"))
    assert result.errors == []
    assert result.fields is not None and result.fields.name == "JOSÉ ÁLVAREZ"


def test_name_with_a_control_character_is_not_quoted_back() -> None:
    # Before: "may contain only letters…; found “\x1b”" printed the raw ESC back.
    result = check(draft(name="SITI\x1b]0;pwned\x07AMINAH"))
    assert [p.code for p in result.for_field("name")] == ["name.control_character"]
    assert all("\x1b" not in p.message and "\x07" not in p.message for p in result.problems)
