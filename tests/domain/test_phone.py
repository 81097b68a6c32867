import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpsdesk.domain.phone import normalize_phone
from tpsdesk.domain.problems import Severity


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "0812.3456.7890",
        "(0812) 3456-7890",
        "+62 812 3456 7890",
        "+62-812-3456-7890",
        "+62 (0) 812 3456 7890",
        "6281234567890",
        "006281234567890",
        "81234567890",  # a spreadsheet number cell dropped the 0
        "81234567890.0",
        "  0812 3456 7890  ",
    ],
)
def test_mobile_forms(raw: str) -> None:
    assert normalize_phone(raw) == ("081234567890", [])


@pytest.mark.parametrize("raw", ["0812345678", "0812345678901"])
def test_mobile_length_bounds_accepted(raw: str) -> None:
    assert normalize_phone(raw) == (raw, [])


@pytest.mark.parametrize(("raw", "n"), [("081234567", 9), ("08123456789012", 14)])
def test_mobile_wrong_length(raw: str, n: int) -> None:
    phone, [problem] = normalize_phone(raw)
    assert phone is None
    assert (problem.field, problem.code, problem.severity) == (
        "phone",
        "phone.length",
        Severity.ERROR,
    )
    assert f"has {n} digits" in problem.message


def test_empty_is_not_a_problem_here() -> None:
    assert normalize_phone("") == (None, [])
    assert normalize_phone("   ") == (None, [])


@pytest.mark.parametrize("raw", ["0812-ABCD-7890", "telp 0812345678", "O812345678"])
def test_letters(raw: str) -> None:
    phone, [problem] = normalize_phone(raw)
    assert phone is None
    assert problem.code == "phone.letters"
    assert problem.field == "phone"
    assert "Phone number" in problem.message


def test_other_characters_are_named() -> None:
    phone, [problem] = normalize_phone("0812#345*678")
    assert phone is None
    assert problem.code == "phone.characters"
    assert "#" in problem.message and "*" in problem.message


@pytest.mark.parametrize(
    "raw", ["0341 551234", "(0341) 551-234", "+62 341 551234", "021 2345 6789"]
)
def test_landline_is_kept_with_a_warning(raw: str) -> None:
    phone, [problem] = normalize_phone(raw)
    assert phone is not None and phone.startswith("0") and not phone.startswith("08")
    assert (problem.code, problem.severity) == ("phone.not_mobile", Severity.WARNING)
    assert "not a mobile number" in problem.message


def test_landline_wrong_length() -> None:
    phone, [problem] = normalize_phone("0341 5")
    assert phone is None and problem.code == "phone.length"


@pytest.mark.parametrize("raw", ["+1 202 555 0100", "+60 12 345 6789", "0060123456789"])
def test_foreign_numbers(raw: str) -> None:
    phone, [problem] = normalize_phone(raw)
    assert phone is None and problem.code == "phone.country"


@pytest.mark.parametrize("raw", ["12345678", "512345678"])
def test_numbers_without_a_trunk_prefix(raw: str) -> None:
    phone, [problem] = normalize_phone(raw)
    assert phone is None and problem.code == "phone.prefix"


@given(st.text())
def test_never_raises_and_is_idempotent(raw: str) -> None:
    phone, problems = normalize_phone(raw)
    if phone is None:
        assert not raw.strip() or any(p.severity is Severity.ERROR for p in problems)
    else:
        assert phone.isascii() and phone.isdigit() and phone.startswith("0")
        assert normalize_phone(phone) == (phone, problems)


@given(st.text(alphabet="0123456789+-(). ", min_size=8, max_size=20))
def test_idempotent_on_phone_like_text(raw: str) -> None:
    phone, problems = normalize_phone(raw)
    if phone is not None:
        assert normalize_phone(phone) == (phone, problems)


@given(st.from_regex(r"8[1-9][0-9]{7,10}", fullmatch=True))
def test_every_mobile_form_agrees(digits: str) -> None:
    expected = "0" + digits
    for raw in (expected, "+62" + digits, "62" + digits, "+62 " + digits[:3] + "-" + digits[3:]):
        assert normalize_phone(raw) == (expected, [])
