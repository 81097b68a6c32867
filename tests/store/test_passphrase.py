"""The passphrase strength check: common and short passphrases are refused, phrases welcome."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpsdesk.store.passphrase import PassphraseStrength, passphrase_strength
from tpsdesk.store.vault import passphrase_strength as from_vault


@pytest.mark.parametrize(
    "weak",
    [
        "",
        "abc",
        "indonesia",
        "Indonesia2024!",
        "bismillah",
        "Bismillah123",
        "kpps2024",
        "KPPS2024",
        "password",
        "P@ssw0rd!",
        "12345678",
        "1234567890",
        "qwerty",
        "qwertyuiop123",
        "aaaaaaaaaaaaaaaaaaaa",
        "abcdefghijklmnop",
        "ababababababab",
        "9xK#q2!",  # random but too short
    ],
)
def test_weak_passphrases_are_not_acceptable(weak: str) -> None:
    result = passphrase_strength(weak)
    assert not result.acceptable
    assert result.score <= 1
    assert result.hints and all(isinstance(h, str) and h for h in result.hints)


@pytest.mark.parametrize(
    "good",
    ["kopi susu pagi hari", "correct horse battery staple", "Kucing#Oren7", "Sate-Padang-99"],
)
def test_good_passphrases_are_acceptable(good: str) -> None:
    result = passphrase_strength(good)
    assert result.acceptable
    assert result.score >= 3


def test_minimum_length_is_ten() -> None:
    assert not passphrase_strength("Kx9#mQ2!v").acceptable  # 9 characters
    assert passphrase_strength("Kx9#mQ2!vT").acceptable  # 10 characters


def test_longer_scores_higher() -> None:
    scores = [passphrase_strength(p).score for p in ("kopi", "kopi susu", "kopi susu pagi hari")]
    assert scores == sorted(scores) and scores[0] < scores[-1]


def test_common_password_hint_comes_first() -> None:
    result = passphrase_strength("bismillah")
    assert "common" in result.hints[0]


def test_vault_reexports_the_check() -> None:
    assert from_vault is passphrase_strength


@given(st.text(max_size=200))
def test_never_fails_and_stays_in_range(text: str) -> None:
    result = passphrase_strength(text)
    assert isinstance(result, PassphraseStrength)
    assert 0 <= result.score <= 4
    if result.acceptable:
        assert len(text) >= 10 and result.score >= 2
    else:
        assert result.hints  # a refusal always says what to do
