"""Area list CSV: what offices really produce parses; every problem is named by line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpsdesk.exchange.area_csv import (
    COLUMNS,
    AreaCsvError,
    parse_area_csv,
    read_area_csv,
)

HEADER = ",".join(COLUMNS)
GOOD = f"""{HEADER}
35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,Jl. Raya Tlogomas 1
35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,2,
35.73.05,Lowokwaru,35.73.05.1002,Dinoyo,001,"Jl. MT Haryono, gang 3"
35.73.01,Kedungkandang,35.73.01.1003,Buring,TPS 07,Balai RW 2
"""


def test_good_file() -> None:
    result = parse_area_csv(GOOD.encode())
    assert result.ok, [p.describe() for p in result.problems]
    assert [(r.kelurahan_code, r.tps_number) for r in result.rows] == [
        ("35.73.05.1001", 1),
        ("35.73.05.1001", 2),
        ("35.73.05.1002", 1),
        ("35.73.01.1003", 7),
    ]
    first = result.rows[0]
    assert first.kecamatan_code == "35.73.05"
    assert first.kecamatan_name == "Lowokwaru"
    assert first.kelurahan_name == "Tlogomas"
    assert first.tps_address == "Jl. Raya Tlogomas 1"
    assert result.rows[2].tps_address == "Jl. MT Haryono, gang 3"


def test_semicolon_bom_crlf_header_variations_and_blank_lines() -> None:
    text = (
        "Kecamatan Code; Kecamatan Name ;KELURAHAN-CODE;kelurahan name;TPS Number;tps_address\r\n"
        "\r\n"
        "357305;Lowokwaru;3573051001;Tlogomas;1;Jl. Raya\r\n"
        ";;;;;\r\n"
        "35.73.05;Lowokwaru;35.73.05.1001;Tlogomas;2;Jl. Raya, RT 1\r\n"
    )
    result = parse_area_csv(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert result.ok, [p.describe() for p in result.problems]
    assert [r.kelurahan_code for r in result.rows] == ["35.73.05.1001"] * 2
    assert result.rows[1].tps_address == "Jl. Raya, RT 1"


def test_windows_1252_fallback() -> None:
    text = f"{HEADER}\n35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,Gedung “Sinar” – RW 3\n"
    result = parse_area_csv(text.encode("cp1252"))
    assert result.ok
    assert result.rows[0].tps_address == "Gedung “Sinar” – RW 3"


def test_utf16_from_excel_unicode_text() -> None:
    text = HEADER.replace(",", "\t") + "\n35.73.05\tLowokwaru\t35.73.05.1001\tTlogomas\t1\tRW 3\n"
    result = parse_area_csv(text.encode("utf-16"))
    assert result.ok
    assert result.rows[0].tps_address == "RW 3"


def test_address_column_is_optional() -> None:
    text = "kecamatan_code,kecamatan_name,kelurahan_code,kelurahan_name,tps_number\n"
    text += "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1\n"
    result = parse_area_csv(text)
    assert result.ok
    assert result.rows[0].tps_address == ""


def test_every_problem_is_reported_with_line_and_column() -> None:
    text = f"""{HEADER}
35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,
3573,Lowokwaru,35.73.05.1002,Dinoyo,1,

35.73.05,,35.73.05.1003,,0,
35.73.05,Lowokwaru,35.73.01.1001,Buring,2,
35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,
35.73.05,Lowokwaru,35.73.05.x,Tlogomas,abc,
35.73.05,Lowokwaru,35.73.05.3001,Sumbersari,4,
35.73.05,Lowokwaru,35.73.05.1004,Ketawanggede,1000,
35.73.05,Lowokwaru Baru,35.73.05.1005,Jatimulyo,1,
"""
    result = parse_area_csv(text)
    found = {(p.line, p.column) for p in result.problems}
    assert found == {
        (3, "kecamatan_code"),  # too short
        (5, "kecamatan_name"),  # missing name
        (5, "kelurahan_name"),
        (5, "tps_number"),  # 0 is out of range
        (6, "kelurahan_code"),  # belongs to kecamatan 35.73.01
        (7, "tps_number"),  # same TPS as line 2
        (8, "kelurahan_code"),  # malformed
        (8, "tps_number"),
        (9, "kelurahan_code"),  # last part starts with 3
        (10, "tps_number"),  # 1000
        (11, "kecamatan_name"),  # another name for 35.73.05
    }
    assert all(p.message for p in result.problems)
    duplicate = next(p for p in result.problems if p.line == 7)
    assert "2" in duplicate.message  # names the first line
    assert duplicate.describe().startswith("Line 7, column tps_number: ")
    # The good lines are still parsed; nothing decides to apply them but the caller.
    assert [r.kelurahan_code for r in result.rows][:1] == ["35.73.05.1001"]


def test_missing_header_columns_is_one_clear_problem() -> None:
    text = "kecamatan_code,kelurahan_code,tps_number\n35.73.05,35.73.05.1001,1\n35.73.05,x,y\n"
    result = parse_area_csv(text)
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.line == 1
    assert "kecamatan_name" in problem.message and "kelurahan_name" in problem.message
    assert result.rows == []


def test_header_only_and_empty_files() -> None:
    assert [p.line for p in parse_area_csv(HEADER + "\n").problems] == [2]
    assert [p.line for p in parse_area_csv(b"").problems] == [1]
    assert [p.line for p in parse_area_csv(b"\n\n").problems] == [1]


def test_duplicate_header_column() -> None:
    result = parse_area_csv(HEADER + ",tps_number\n")
    assert [(p.line, p.column) for p in result.problems] == [(1, "tps_number")]


def test_line_numbers_count_multiline_quoted_cells() -> None:
    text = (
        f"{HEADER}\n"
        '35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,"Jl. Raya\nTlogomas"\n'
        "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,x,\n"
    )
    result = parse_area_csv(text)
    # The line break inside the address (Alt+Enter) is read as a space.
    assert [(p.line, p.column) for p in result.problems] == [(4, "tps_number")]
    assert result.rows[0].tps_address == "Jl. Raya Tlogomas"


def test_read_area_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AreaCsvError) as info:
        read_area_csv(tmp_path / "nope.csv")
    assert "nope.csv" in info.value.message
    with pytest.raises(AreaCsvError):
        read_area_csv(tmp_path)


def test_optional_voters_column() -> None:
    text = f"{HEADER},TPS Voters\n"
    text += "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,,412\n"
    text += "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,2,,\n"
    text += "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,3,,banyak\n"
    result = parse_area_csv(text)
    assert [(p.line, p.column) for p in result.problems] == [(4, "TPS Voters")]
    assert [r.tps_voters for r in result.rows] == [412, None]


def test_problems_are_in_the_chosen_language() -> None:
    from tpsdesk.i18n import set_language

    text = f"{HEADER}\n35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,0,\n"
    english = parse_area_csv(text).problems[0].describe()
    set_language("id")
    indonesian = parse_area_csv(text).problems[0].describe()
    assert english.startswith("Line 2, column tps_number:")
    assert indonesian.startswith("Baris 2, kolom tps_number:")


# -- clean text (SECURITY 28) ---------------------------------------------------------------


def test_control_and_format_characters_are_refused_with_row_and_column() -> None:
    text = (
        f"{HEADER}\n"
        "35.73.05,Lowok\x1b[2Jwaru,35.73.05.1001,Tlogomas,1,Jl. Raya\n"
        '35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,2,"Jl. Raya\vRT 1"\n'
        "35.73.05,Lowokwaru,35.73.05.1002,Din\u202eoyo,1,\n"
        "35.73\x07.05,Lowokwaru,35.73.05.1003,Sumbersari,1,Jl. \u2028Bunga\n"
        "35.73.05,Lowokwaru,35.73.05.1004,Ketawanggede,1,Jl. Raya \r\n"  # CRLF ends the line
    )
    result = parse_area_csv(text.encode())
    assert [(p.line, p.column) for p in result.problems] == [
        (2, "kecamatan_name"),
        (3, "tps_address"),  # a vertical tab: not a line break a cell may hold
        (4, "kelurahan_name"),
        (5, "kecamatan_code"),
        (5, "tps_address"),
    ]
    messages = [p.describe() for p in result.problems]
    assert messages[0] == (
        "Line 2, column kecamatan_name: Kecamatan name holds a control character at "
        "position 6: remove it"
    )
    assert messages[2].endswith("Kelurahan name holds an invisible formatting character at "
                                "position 4: remove it")  # fmt: skip
    for message in messages:
        assert not any(ch in message for ch in "\x1b\x07\r\u202e\u2028")
    assert [r.kelurahan_code for r in result.rows] == ["35.73.05.1004"]
