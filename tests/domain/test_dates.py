from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpsdesk.domain.dates import (
    date_to_excel_serial,
    excel_serial_to_date,
    format_date,
    looks_like_two_digit_year,
    parse_date,
)

AUG17 = date(1980, 8, 17)


@pytest.mark.parametrize(
    "text",
    [
        "17-08-1980",
        "17/08/1980",
        "17.08.1980",
        "17-8-1980",
        "1980-08-17",
        "1980/8/17",
        "1980-08-17 00:00:00",
        "1980-08-17T00:00:00",
        " 17-08-1980 ",
        "17 Agustus 1980",
        "17 agustus 1980",
        "17 AGUSTUS 1980",
        "17 Agu 1980",
        "17 Agt 1980",
        "17-agustus-1980",
        "17-Agu-1980",
        "17 Aug 1980",
        "17 August 1980",
        "August 17, 1980",
        "Aug. 17 1980",
        "17  Agustus   1980",
    ],
)
def test_reads_common_forms(text: str) -> None:
    assert parse_date(text) == AUG17


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 Desember 1999", date(1999, 12, 1)),
        ("1 Des 1999", date(1999, 12, 1)),
        ("3 Nopember 1975", date(1975, 11, 3)),
        ("3 Nop 1975", date(1975, 11, 3)),
        ("3 November 1975", date(1975, 11, 3)),
        ("5 Pebruari 1970", date(1970, 2, 5)),
        ("5 Februari 1970", date(1970, 2, 5)),
        ("9 Mei 1990", date(1990, 5, 9)),
        ("9 May 1990", date(1990, 5, 9)),
        ("10 Oktober 1988", date(1988, 10, 10)),
        ("10 Okt 1988", date(1988, 10, 10)),
        ("10 October 1988", date(1988, 10, 10)),
        ("1 Maret 2000", date(2000, 3, 1)),
        ("1 Januari 2000", date(2000, 1, 1)),
        ("30 Juni 2001", date(2001, 6, 30)),
        ("31 Juli 2001", date(2001, 7, 31)),
        ("2 Sept 2002", date(2002, 9, 2)),
        ("2 April 2002", date(2002, 4, 2)),
    ],
)
def test_month_names(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "17-08-80",  # two-digit year: 1980 or 2080?
        "17/8/80",
        "17 Agustus 80",
        "31-02-1980",
        "29-02-1981",
        "32-01-1980",
        "17-13-1980",
        "00-01-1980",
        "17 Agustusan 1980",
        "17 Foo 1980",
        "29450",
        "tanggal",
        "1980-02-30",
        "17-08-1980-01",
    ],
)
def test_refuses(text: str) -> None:
    assert parse_date(text) is None


def test_leap_day() -> None:
    assert parse_date("29-02-2000") == date(2000, 2, 29)
    assert parse_date("29-02-1900") is None
    assert parse_date("29-02-1984") == date(1984, 2, 29)


def test_two_digit_year_detection() -> None:
    assert looks_like_two_digit_year("17-08-80")
    assert looks_like_two_digit_year("17 Agustus 80")
    assert not looks_like_two_digit_year("17-08-1980")
    assert not looks_like_two_digit_year("kemarin")


def test_non_string_is_none() -> None:
    assert parse_date(29450) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (29450, AUG17),
        (29450.75, AUG17),  # a time of day is dropped
        (61, date(1900, 3, 1)),
        (59, date(1900, 2, 28)),
        (1, date(1900, 1, 1)),
        (45623, date(2024, 11, 27)),
    ],
)
def test_excel_serials(serial: float, expected: date) -> None:
    assert excel_serial_to_date(serial) == expected


@pytest.mark.parametrize("serial", [0, -1, 60, True, float("nan"), float("inf"), 10**9, "29450"])
def test_excel_serials_refused(serial: object) -> None:
    assert excel_serial_to_date(serial) is None  # type: ignore[arg-type]


@given(st.dates(min_value=date(1900, 3, 1)))
def test_excel_serial_round_trip(d: date) -> None:
    assert excel_serial_to_date(date_to_excel_serial(d)) == d


def test_format_date() -> None:
    assert format_date(date(2024, 1, 5)) == "05-01-2024"
    assert format_date(date(999, 1, 5)) == "05-01-0999"


@given(st.dates(min_value=date(1000, 1, 1)))
def test_format_then_parse_round_trip(d: date) -> None:
    assert parse_date(format_date(d)) == d
    assert parse_date(d.isoformat()) == d


@given(st.text())
def test_never_raises(text: str) -> None:
    result = parse_date(text)
    assert result is None or isinstance(result, date)
