import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpsdesk.domain.area import (
    AreaCodeError,
    KelurahanKind,
    format_tps,
    kecamatan_of,
    kelurahan_kind,
    normalize_kecamatan_code,
    normalize_kelurahan_code,
    parse_tps_number,
)


@pytest.mark.parametrize("raw", ["35.73.05", "357305", " 35.73.05 ", "35 73 05"])
def test_kecamatan_code(raw: str) -> None:
    assert normalize_kecamatan_code(raw) == "35.73.05"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("35.73", "area.kecamatan_format"),
        ("35.73.5", "area.kecamatan_format"),
        ("35.73.05.1001", "area.kecamatan_format"),
        ("35-73-05", "area.kecamatan_format"),
        ("ab.cd.ef", "area.kecamatan_format"),
        ("", "area.kecamatan_format"),
        ("05.73.05", "area.province"),
        ("35.00.05", "area.regency"),
        ("35.73.00", "area.district"),
    ],
)
def test_bad_kecamatan_code(raw: str, code: str) -> None:
    with pytest.raises(AreaCodeError) as caught:
        normalize_kecamatan_code(raw)
    assert caught.value.code == code
    assert caught.value.message and str(caught.value) == caught.value.message


@pytest.mark.parametrize("raw", ["35.73.05.1001", "3573051001", " 35.73.05.1001"])
def test_kelurahan_code(raw: str) -> None:
    assert normalize_kelurahan_code(raw) == "35.73.05.1001"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("35.73.05", "area.kelurahan_format"),
        ("35.73.05.101", "area.kelurahan_format"),
        ("35730510011", "area.kelurahan_format"),
        ("35.73.05.3001", "area.kelurahan_kind"),
        ("35.73.05.0001", "area.kelurahan_kind"),
        ("10.73.05.1001", "area.province"),
        ("35.00.05.1001", "area.regency"),
        ("35.73.00.2001", "area.district"),
    ],
)
def test_bad_kelurahan_code(raw: str, code: str) -> None:
    with pytest.raises(AreaCodeError) as caught:
        normalize_kelurahan_code(raw)
    assert caught.value.code == code


def test_kelurahan_kind_and_kecamatan() -> None:
    assert kelurahan_kind("35.73.05.1001") is KelurahanKind.KELURAHAN
    assert kelurahan_kind("3507012001") is KelurahanKind.DESA
    assert kecamatan_of("35.73.05.1001") == "35.73.05"
    assert kecamatan_of("3507012001") == "35.07.01"
    with pytest.raises(AreaCodeError):
        kecamatan_of("35.73.05")


@pytest.mark.parametrize(
    ("raw", "n"),
    [
        ("1", 1),
        ("001", 1),
        ("TPS 01", 1),
        ("tps 7", 7),
        ("TPS-07", 7),
        ("TPS007", 7),
        ("Tps. 12", 12),
        (" 999 ", 999),
        ("12.0", 12),
        (7, 7),
        (7.0, 7),
    ],
)
def test_tps_numbers(raw: str | int | float, n: int) -> None:
    assert parse_tps_number(raw) == n


@pytest.mark.parametrize("raw", ["", "TPS", "tps x", "7a", "TPS 1 2", 7.5, True, None, "-3"])
def test_bad_tps_numbers(raw: object) -> None:
    with pytest.raises(AreaCodeError) as caught:
        parse_tps_number(raw)  # type: ignore[arg-type]
    assert caught.value.code == "tps.format"


@pytest.mark.parametrize("raw", ["0", "000", "1000", 0, 1000, "TPS 0"])
def test_tps_numbers_out_of_range(raw: str | int) -> None:
    with pytest.raises(AreaCodeError) as caught:
        parse_tps_number(raw)
    assert caught.value.code == "tps.range"
    assert "1 to 999" in caught.value.message


def test_format_tps() -> None:
    assert format_tps(1) == "001"
    assert format_tps(42) == "042"
    assert format_tps(999) == "999"


@given(st.integers(1, 999))
def test_tps_round_trip(n: int) -> None:
    assert parse_tps_number(format_tps(n)) == n
    assert parse_tps_number(f"TPS {format_tps(n)}") == n


@given(st.text())
def test_only_area_errors_escape(text: str) -> None:
    for function in (normalize_kecamatan_code, normalize_kelurahan_code, parse_tps_number):
        try:
            result = function(text)
        except AreaCodeError as caught:
            assert caught.message
        else:
            assert isinstance(result, str | int)


@given(st.from_regex(r"(1[1-9]|[2-9][0-9])(0[1-9]|[1-9][0-9]){2}[12][0-9]{3}", fullmatch=True))
def test_kelurahan_normalisation_is_idempotent(digits: str) -> None:
    code = normalize_kelurahan_code(digits)
    assert normalize_kelurahan_code(code) == code
    assert code.replace(".", "") == digits
    assert normalize_kecamatan_code(kecamatan_of(code)) == code[:8]
