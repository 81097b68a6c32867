"""Pay settings: wage basis, rates, rounding, and reading them back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tpsdesk.domain.pay import (
    PaySettings,
    Rounding,
    WageBasis,
    format_rupiah,
    parse_decimal,
    round_contribution,
)

UMP_JATIM_2024 = Decimal("2165244.30")


def test_defaults_follow_the_domain_notes() -> None:
    settings = PaySettings()
    assert settings.jkk_percent == Decimal("0.24")
    assert settings.jkm_percent == Decimal("0.30")
    assert settings.rate_percent == Decimal("0.54")
    assert settings.basis is WageBasis.HONORARIUM
    assert settings.wage_for("kpps_ketua") == Decimal(900_000)
    assert settings.wage_for("kpps_anggota") == Decimal(850_000)
    assert settings.wage_for("linmas") == Decimal(650_000)
    assert settings.wage_for("pps_ketua") == Decimal(1_500_000)
    assert settings.wage_for("ppk_ketua") == Decimal(2_500_000)


def test_ppk_chair_on_honorarium_pays_13500_a_month() -> None:
    # KPU Sulawesi Selatan: PPK chair at Rp2,500,000 → Rp13,500 a month.
    assert PaySettings().contribution_per_month("ppk_ketua") == Decimal(13_500)


def test_a_post_without_honorarium_has_no_wage_and_says_why() -> None:
    settings = PaySettings()
    assert settings.wage_for("ptps") is None
    assert settings.contribution_per_month("ptps") is None
    assert settings.wage_problem("ptps", "PTPS") == "No honorarium is set for the post PTPS"
    assert settings.wage_problem("kpps_ketua") is None


def test_ump_basis_without_amount_is_not_zero() -> None:
    settings = PaySettings(basis=WageBasis.UMP)
    assert settings.wage_for("kpps_ketua") is None
    assert "not set" in (settings.wage_problem("kpps_ketua") or "")


def test_ntt_example_rounds_to_11470() -> None:
    # DOMAIN.md: 0.54 % of the 2023 NTT UMP of Rp2,123,994 = Rp11,470.
    settings = PaySettings(basis=WageBasis.UMP, amount=Decimal(2_123_994))
    assert settings.contribution_per_month("linmas") == Decimal(11_470)


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [(Rounding.RUPIAH, 11_692), (Rounding.UP_100, 11_700), (Rounding.UP_1000, 12_000)],
)
def test_rounding_modes(rounding: Rounding, expected: int) -> None:
    # 0.54 % of 2,165,244.30 = 11,692.31922
    settings = PaySettings(basis=WageBasis.UMP, amount=UMP_JATIM_2024, rounding=rounding)
    assert settings.contribution_per_month("kpps_ketua") == Decimal(expected)


def test_rounding_keeps_exact_multiples_and_rounds_half_up() -> None:
    assert round_contribution(Decimal("11700"), Rounding.UP_100) == Decimal(11_700)
    assert round_contribution(Decimal("12000"), Rounding.UP_1000) == Decimal(12_000)
    assert round_contribution(Decimal("11700.01"), Rounding.UP_100) == Decimal(11_800)
    assert round_contribution(Decimal("4860.5"), Rounding.RUPIAH) == Decimal(4861)
    assert round_contribution(Decimal("4860.49"), Rounding.RUPIAH) == Decimal(4860)


def test_round_trip_through_dict() -> None:
    settings = PaySettings(
        basis=WageBasis.AMOUNT,
        amount=UMP_JATIM_2024,
        label="UMP Jawa Timur 2024",
        jkk_percent=Decimal("0.89"),
        rounding=Rounding.UP_1000,
    ).with_honorarium("ptps", Decimal(750_000))
    data = settings.to_dict()
    assert data["amount"] == "2165244.30"  # text: no float on the way
    assert PaySettings.from_dict(data) == settings
    assert PaySettings.from_dict({}) == PaySettings()


def test_with_honorarium_removes_with_none() -> None:
    settings = PaySettings().with_honorarium("linmas", None)
    assert settings.wage_for("linmas") is None
    assert PaySettings().wage_for("linmas") == Decimal(650_000)  # frozen: the original stays


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"basis": "salary"}, "basis"),
        ({"rounding": "down"}, "rounding"),
        ({"amount": "-5"}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"jkk_percent": "11"}, "jkk_percent"),
        ({"jkm_percent": "abc"}, "jkm_percent"),
        ({"honoraria": {"kpps_ketua": "0"}}, "honoraria.kpps_ketua"),
        ({"honoraria": ["x"]}, "honoraria"),
        ({"label": 5}, "label"),
    ],
)
def test_from_dict_names_the_bad_key(data: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        PaySettings.from_dict(data)


def test_from_dict_refuses_other_versions_and_non_mappings() -> None:
    with pytest.raises(ValueError, match="format 9"):
        PaySettings.from_dict({"version": 9})
    with pytest.raises(ValueError):
        PaySettings.from_dict(["basis"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "grouping", "expected"),
    [
        ("2.165.244,30", True, "2165244.30"),
        ("2,165,244.30", True, "2165244.30"),
        ("Rp900.000", True, "900000"),
        ("1.500.000", True, "1500000"),
        ("2165244.30", True, "2165244.30"),
        ("0,24", False, "0.24"),
        ("0.300", False, "0.300"),
        ("0.24%", False, "0.24"),
        (900000, True, "900000"),
        ("abc", True, None),
        (1.5, True, None),
        (True, True, None),
        ("NaN", True, None),
    ],
)
def test_parse_decimal(raw: object, grouping: bool, expected: str | None) -> None:
    value = parse_decimal(raw, grouping=grouping)
    assert value == (None if expected is None else Decimal(expected))


def test_describe_prints_every_setting() -> None:
    settings = PaySettings(basis=WageBasis.UMP, amount=UMP_JATIM_2024, label="UMP Jatim")
    text = dict(settings.describe())
    assert text["Wage basis"] == "UMP (provincial minimum wage): Rp2,165,244.30 (UMP Jatim)"
    assert text["JKK + JKM"] == "0.54 %"
    names = dict(PaySettings().describe({"linmas": "Linmas"}))
    assert names["Honorarium Linmas"] == "Rp650,000"
    assert format_rupiah(Decimal(13_500)) == "Rp13,500"
