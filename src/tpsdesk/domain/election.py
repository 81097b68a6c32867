"""The election a field desk works for: when its settings (duty periods, honoraria) are stale.

Pure rules, no store: `store.election` reads the facts (when the settings were last saved, how
many officers of a post were changed after its duty period) and asks these functions.

- Settings saved more than `MAX_AGE_DAYS` before today are old: likely a past election's.
- Settings never saved whose every dated duty period ended more than `MAX_AGE_DAYS` before
  today are a past election's defaults (the catalogue ships those of Pilkada 2024).
- A duty period that ended before today while officers of that post were still added or
  changed after its end: either the period is a past election's or those officers are late.
- A period ending before today is a warning when saved, never a refusal: a district may enter
  late registrations of an election that is over (claims need them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from tpsdesk.domain.posts import Post

MAX_AGE_DAYS = 365

# First-start steps (store.election keeps their state): the area, then the election settings.
STEP_AREA = "area"
STEP_ELECTION = "election"
STEPS = (STEP_AREA, STEP_ELECTION)
DONE = "done"
LATER = "later"


def settings_old(saved_on: date | None, today: date) -> bool:
    """Saved more than a year before today."""
    return saved_on is not None and (today - saved_on) > timedelta(days=MAX_AGE_DAYS)


def defaults_of_past_election(posts: Iterable[Post], today: date) -> bool:
    """Every dated duty period ended more than a year ago (never-saved defaults)."""
    ends = [post.duty_end for post in posts if post.duty_end is not None]
    return bool(ends) and all((today - end) > timedelta(days=MAX_AGE_DAYS) for end in ends)


def period_over(end: date | None, today: date) -> bool:
    """A duty period that ended before today (saved only after a warning)."""
    return end is not None and end < today


def ended_periods(posts: Iterable[Post], today: date) -> list[Post]:
    """The posts whose default duty period ended before today."""
    return [post for post in posts if period_over(post.duty_end, today)]


@dataclass(frozen=True)
class LateChanges:
    """Officers of a post added or changed after the post's duty period ended."""

    post: Post
    officers: int
