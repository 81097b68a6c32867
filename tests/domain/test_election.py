"""domain.election: when the election settings are stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tpsdesk.domain.election import (
    defaults_of_past_election,
    ended_periods,
    period_over,
    settings_old,
)
from tpsdesk.domain.posts import DEFAULT_CATALOGUE

POSTS = DEFAULT_CATALOGUE.posts  # Pilkada 2024


def test_settings_are_old_after_365_days() -> None:
    today = date(2024, 10, 1)
    assert not settings_old(None, today)
    assert not settings_old(date(2023, 10, 2), today)  # 365 days
    assert settings_old(date(2023, 10, 1), today)  # 366 days
    assert not settings_old(date(2026, 1, 1), today)  # a clock set back: not old


def test_a_period_is_over_the_day_after_its_end() -> None:
    assert not period_over(None, date(2030, 1, 1))
    assert not period_over(date(2024, 12, 8), date(2024, 12, 8))
    assert period_over(date(2024, 12, 8), date(2024, 12, 9))


def test_the_2024_defaults_are_a_past_elections_a_year_after_the_last_end() -> None:
    assert not defaults_of_past_election(POSTS, date(2024, 10, 1))
    assert not defaults_of_past_election(POSTS, date(2026, 1, 24))  # PPS ends 24-01-2025
    assert defaults_of_past_election(POSTS, date(2026, 1, 25))
    assert not defaults_of_past_election([replace(POSTS[0], duty_end=None)], date(2030, 1, 1))


def test_ended_periods() -> None:
    ended = ended_periods(POSTS, date(2024, 10, 1))
    assert [post.code for post in ended] == ["pantarlih"]
