import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpsdesk.domain.nik import (
    PROVINCES,
    NikInfo,
    check_nik_consistency,
    normalize_nik,
    parse_nik,
    synthetic_nik,
)
from tpsdesk.domain.problems import Severity, Sex

TODAY = date(2024, 10, 1)
MAN_1980 = "3573051708800001"  # 35.73.05, 17-08-1980, L
WOMAN_1980 = "3573055708800002"  # day 57 = 17 + 40


def codes(info: NikInfo) -> list[str]:
    return [p.code for p in info.problems]


def only(info: NikInfo, code: str) -> str:
    """The message of the single problem `code`, checking it is the only one."""
    assert codes(info) == [code]
    return info.problems[0].message


def test_valid_man() -> None:
    info = parse_nik(MAN_1980, today=TODAY)
    assert info.is_valid and info.problems == ()
    assert info.nik == MAN_1980
    assert info.region_code == "35.73.05"
    assert info.birth_date == date(1980, 8, 17)
    assert info.sex is Sex.MALE
    assert info.serial == "0001"


def test_valid_woman_day_plus_40() -> None:
    info = parse_nik(WOMAN_1980, today=TODAY)
    assert info.is_valid
    assert info.birth_date == date(1980, 8, 17)
    assert info.sex is Sex.FEMALE


@pytest.mark.parametrize(
    "text",
    ["3573 0517 0880 0001", "35.73.05.170880.0001", "3573-0517-0880-0001", "'3573051708800001"],
)
def test_normalises_separators(text: str) -> None:
    assert normalize_nik(text) == MAN_1980
    assert parse_nik(text, today=TODAY).is_valid


def test_problems_are_on_the_nik_field() -> None:
    for raw in ["", "12", "35730517088000AB", "3573053208800001"]:
        info = parse_nik(raw, today=TODAY)
        assert info.problems and all(p.field == "nik" for p in info.problems)
        assert not info.is_valid


def test_required() -> None:
    assert only(parse_nik("  ", today=TODAY), "nik.required")


def test_fifteen_digits_hints_at_spreadsheet() -> None:
    message = only(parse_nik(MAN_1980[:15], today=TODAY), "nik.length")
    assert "15" in message and "spreadsheet" in message


@pytest.mark.parametrize("length", [1, 14, 17, 20])
def test_other_lengths_say_how_many(length: int) -> None:
    message = only(parse_nik(("3573051708800001" * 2)[:length], today=TODAY), "nik.length")
    assert f"has {length} digits" in message
    assert "spreadsheet" not in message


def test_letters_are_named() -> None:
    message = only(parse_nik("35730517O88000l1", today=TODAY), "nik.characters")
    assert "O" in message and "l" in message
    assert "3573" not in message  # the NIK itself never appears in a message


@pytest.mark.parametrize("text", ["3.57305E+15", "3,57305E+15", "3.5E15"])
def test_scientific_notation(text: str) -> None:
    assert "scientific" in only(parse_nik(text, today=TODAY), "nik.scientific")


@pytest.mark.parametrize("pp", ["00", "05", "10"])
def test_impossible_province_is_an_error(pp: str) -> None:
    info = parse_nik(pp + MAN_1980[2:], today=TODAY)
    assert only(info, "nik.province")
    assert info.problems[0].severity is Severity.ERROR


@pytest.mark.parametrize("pp", ["20", "37", "97", "99"])
def test_unknown_province_is_a_warning(pp: str) -> None:
    info = parse_nik(pp + MAN_1980[2:], today=TODAY)
    assert only(info, "nik.region_unknown")
    assert info.problems[0].severity is Severity.WARNING
    assert info.is_valid
    assert info.birth_date == date(1980, 8, 17)


def test_province_table() -> None:
    assert len(PROVINCES) == 38
    assert PROVINCES["11"] == "Aceh" and PROVINCES["35"] == "Jawa Timur"
    assert {"93", "94", "95", "96"} <= PROVINCES.keys()
    assert all(11 <= int(code) <= 96 for code in PROVINCES)


def test_regency_and_district_zero() -> None:
    assert only(parse_nik("3500051708800001", today=TODAY), "nik.regency")
    assert only(parse_nik("3573001708800001", today=TODAY), "nik.district")


@pytest.mark.parametrize("dd", ["00", "32", "35", "40", "72", "99"])
def test_impossible_day(dd: str) -> None:
    info = parse_nik(f"357305{dd}08800001", today=TODAY)
    message = only(info, "nik.birth_day")
    assert "40" in message
    assert info.sex is None and info.birth_date is None


@pytest.mark.parametrize("mm", ["00", "13", "99"])
def test_impossible_month(mm: str) -> None:
    assert only(parse_nik(f"35730517{mm}800001", today=TODAY), "nik.birth_month")


@pytest.mark.parametrize(
    "ddmmyy",
    ["310280", "300280", "710280", "310480", "290201", "690201", "310990"],
)
def test_not_a_calendar_date(ddmmyy: str) -> None:
    info = parse_nik(f"357305{ddmmyy}0001", today=TODAY)
    assert only(info, "nik.birth_date")
    assert info.birth_date is None


def test_leap_day() -> None:
    # 29 February 1984 exists; 29 February 1983 does not; for women the day is 69.
    assert parse_nik("3573052902840001", today=TODAY).birth_date == date(1984, 2, 29)
    assert parse_nik("3573056902840001", today=TODAY).birth_date == date(1984, 2, 29)
    assert codes(parse_nik("3573052902830001", today=TODAY)) == ["nik.birth_date"]
    # 00 is 2000 (a leap year) when 2000 is in the past; 1900 was not a leap year.
    assert parse_nik("3573052902000001", today=TODAY).birth_date == date(2000, 2, 29)
    assert codes(parse_nik("3573052902000001", today=date(1999, 1, 1))) == ["nik.birth_date"]


def test_serial_zero() -> None:
    assert only(parse_nik("3573051708800000", today=TODAY), "nik.serial")


def test_every_structural_problem_at_once() -> None:
    info = parse_nik("0500001713800000", today=TODAY)
    assert set(codes(info)) == {
        "nik.province",
        "nik.regency",
        "nik.district",
        "nik.birth_month",
        "nik.serial",
    }


@pytest.mark.parametrize(
    ("yy", "today", "year"),
    [
        ("80", TODAY, 1980),
        ("05", TODAY, 2005),
        ("24", TODAY, 2024),  # born in August 2024, before `today`
        ("30", TODAY, 1930),  # 2030 is in the future
        ("24", date(2024, 8, 16), 1924),  # 17-08-2024 is tomorrow: 1924 instead
        ("24", date(2024, 8, 17), 2024),  # born today
        ("99", date(2099, 12, 31), 2099),
        ("00", date(2100, 9, 1), 2100),
        ("00", date(2100, 8, 16), 2000),
    ],
)
def test_century_inference(yy: str, today: date, year: int) -> None:
    info = parse_nik(f"35730517 08{yy}0001", today=today)
    assert info.is_valid, info.problems
    assert info.birth_date == date(year, 8, 17)


def test_birth_date_in_the_future() -> None:
    # On 1 January 2000, 29-02-00 can only be 29 February 2000 (1900 was not a leap year).
    info = parse_nik("3573052902000001", today=date(2000, 1, 1))
    assert only(info, "nik.birth_future")
    assert info.birth_date is None


def test_inferred_age_is_within_a_century() -> None:
    for yy in range(100):
        info = parse_nik(f"35730517 08{yy:02d}0001", today=TODAY)
        assert info.birth_date is not None
        assert info.birth_date <= TODAY
        assert (TODAY - info.birth_date).days < 101 * 366


# Consistency


def test_consistent() -> None:
    info = parse_nik(WOMAN_1980, today=TODAY)
    assert check_nik_consistency(info, date(1980, 8, 17), Sex.FEMALE) == []


def test_birth_date_mismatch_names_the_nik_date() -> None:
    info = parse_nik(WOMAN_1980, today=TODAY)
    [problem] = check_nik_consistency(info, date(1980, 8, 18), Sex.FEMALE)
    assert (problem.field, problem.code, problem.severity) == (
        "birth_date",
        "birth_date.nik_mismatch",
        Severity.ERROR,
    )
    assert "17-08-1980" in problem.message
    assert "+ 40" in problem.message


@pytest.mark.parametrize(
    "declared", [date(1980, 8, 17), date(1981, 8, 17), date(1980, 7, 17), date(2080, 8, 18)]
)
def test_each_part_of_the_date_counts(declared: date) -> None:
    info = parse_nik(MAN_1980, today=TODAY)
    problems = check_nik_consistency(info, declared, None)
    assert bool(problems) == (declared != date(1980, 8, 17))


def test_century_difference_is_consistent() -> None:
    # The NIK holds two digits of the year: 2005 inferred, 1905 declared: the declared wins.
    info = parse_nik("3573051708050001", today=TODAY)
    assert info.birth_date == date(2005, 8, 17)
    assert check_nik_consistency(info, date(1905, 8, 17), Sex.MALE) == []
    assert check_nik_consistency(info, date(1805, 8, 17), Sex.MALE) != []


def test_sex_mismatch_both_ways() -> None:
    [woman_as_man] = check_nik_consistency(parse_nik(WOMAN_1980, today=TODAY), None, Sex.MALE)
    assert (woman_as_man.field, woman_as_man.code) == ("sex", "sex.nik_mismatch")
    assert "(P)" in woman_as_man.message
    [man_as_woman] = check_nik_consistency(parse_nik(MAN_1980, today=TODAY), None, Sex.FEMALE)
    assert man_as_woman.code == "sex.nik_mismatch"
    assert "(L)" in man_as_woman.message


def test_woman_who_typed_day_plus_40_gets_both_mismatches() -> None:
    info = parse_nik(WOMAN_1980, today=TODAY)
    problems = check_nik_consistency(info, date(1980, 8, 17), Sex.MALE)
    assert [p.code for p in problems] == ["sex.nik_mismatch"]


def test_unknown_sides_are_not_compared() -> None:
    bad = parse_nik("12", today=TODAY)
    assert check_nik_consistency(bad, date(1980, 1, 1), Sex.MALE) == []
    assert check_nik_consistency(parse_nik(MAN_1980, today=TODAY), None, None) == []


# Synthetic NIKs


def test_synthetic_nik_example() -> None:
    rng = random.Random(1)
    nik = synthetic_nik(rng, birth_date=date(1980, 8, 17), sex=Sex.FEMALE, serial=2)
    assert nik == WOMAN_1980
    assert synthetic_nik(rng, region="357305", birth_date=date(1980, 8, 17), sex=Sex.MALE,
                         serial=1) == MAN_1980  # fmt: skip


def test_synthetic_nik_draws_a_serial() -> None:
    nik = synthetic_nik(random.Random(7), birth_date=date(1990, 1, 2), sex=Sex.MALE)
    assert parse_nik(nik, today=TODAY).is_valid


@pytest.mark.parametrize(
    ("region", "serial"),
    [("35.73", 1), ("05.73.05", 1), ("35.00.05", 1), ("35.73.00", 1), ("35.73.05", 0),
     ("35.73.05", 10000)],
)  # fmt: skip
def test_synthetic_nik_refuses_bad_input(region: str, serial: int) -> None:
    with pytest.raises(ValueError):
        synthetic_nik(random.Random(), region=region, birth_date=TODAY, sex=Sex.MALE,
                      serial=serial)  # fmt: skip


regions = st.sampled_from(sorted(PROVINCES)).flatmap(
    lambda pp: st.tuples(st.integers(1, 99), st.integers(1, 99)).map(
        lambda kc: f"{pp}.{kc[0]:02d}.{kc[1]:02d}"
    )
)


@given(
    region=regions,
    birth=st.dates(min_value=date(1925, 1, 1), max_value=TODAY),
    sex=st.sampled_from(list(Sex)),
    serial=st.integers(1, 9999),
)
def test_synthetic_round_trip(region: str, birth: date, sex: Sex, serial: int) -> None:
    nik = synthetic_nik(random.Random(0), region=region, birth_date=birth, sex=sex, serial=serial)
    info = parse_nik(nik, today=TODAY)
    assert info.problems == ()
    assert (info.region_code, info.birth_date, info.sex) == (region, birth, sex)
    assert info.serial == f"{serial:04d}"
    assert check_nik_consistency(info, birth, sex) == []


@given(st.text())
def test_never_raises(text: str) -> None:
    info = parse_nik(text, today=TODAY)
    assert info.is_valid == all(p.severity is Severity.WARNING for p in info.problems)
    assert all(p.field == "nik" for p in info.problems)
    if not info.is_valid:
        assert info.problems


@given(st.text(alphabet="0123456789 .-'abc\u00a0\u2013"))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_nik(text)
    assert normalize_nik(once) == once
    assert not any(ch in once for ch in " .-\u00a0\u2013")


@given(st.text())
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    assert normalize_nik(normalize_nik(text)) == normalize_nik(text)
