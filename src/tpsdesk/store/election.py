"""The field desk's election set-up: the first-start steps, when the election settings were
last saved, and what the dashboard's election banner reports (rules in domain.election).

Settings kept in the store: FIRST_START_SETTING ({"area": "done"|"later"|None, "election":
…}, written when a field store is made, so stores made before it never see the first start)
and SAVED_SETTING (the ISO date the pay settings or a duty period were last saved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from tpsdesk.domain.election import (
    DONE,
    LATER,
    STEP_AREA,
    STEP_ELECTION,
    STEPS,
    LateChanges,
    defaults_of_past_election,
    ended_periods,
    settings_old,
)
from tpsdesk.store.db import CATALOGUE_SETTING, Store
from tpsdesk.store.models import Kelurahan, Officer

FIRST_START_SETTING = "first_start"
SAVED_SETTING = "election_saved_on"
PAY_FROM_SETUP_SETTING = "election_pay_from_setup"  # the honoraria came with a setup file


class PeriodSource(StrEnum):
    SAVED = "saved"  # saved on this desk (SAVED_SETTING says when)
    DISTRICT = "district"  # the catalogue came with the district's setup file
    DEFAULTS = "defaults"  # the catalogue's own: Pilkada 2024


# -- first start ----------------------------------------------------------------------------


def begin_first_start(store: Store) -> None:
    """Mark a new field store: the first start leads through the area and the election."""
    store.set_setting(FIRST_START_SETTING, {step: None for step in STEPS})


def first_start_state(store: Store) -> dict[str, str | None] | None:
    """{step: "done" | "later" | None}, or None for a store that has no first start."""
    data = store.get_setting(FIRST_START_SETTING)
    if not isinstance(data, dict):
        return None
    return {step: _state(data.get(step)) for step in STEPS}


def first_start_pending(store: Store) -> bool:
    """A step neither done nor put off: the first start is shown (again)."""
    state = first_start_state(store)
    return state is not None and any(value is None for value in state.values())


def set_first_start_step(store: Store, step: str, value: str) -> None:
    if step not in STEPS or value not in (DONE, LATER):
        raise ValueError(f"unknown first-start step {step}={value}")
    state: dict[str, Any] = dict(first_start_state(store) or {s: None for s in STEPS})
    state[step] = value
    store.set_setting(FIRST_START_SETTING, state)


def _state(value: object) -> str | None:
    return value if value in (DONE, LATER) else None


def has_area(store: Store) -> bool:
    with store.read() as session:
        count = session.exec(
            select(func.count()).select_from(Kelurahan).where(col(Kelurahan.deleted).is_(False))
        ).one()
    return bool(count)


# -- when the settings were saved -------------------------------------------------------------


def mark_election_saved(store: Store, today: date | None = None) -> None:
    """Record that the election settings were saved today (the pay settings or a period)."""
    store.set_setting(SAVED_SETTING, (today or date.today()).isoformat())
    state = first_start_state(store)
    if state is not None and state[STEP_ELECTION] != DONE:
        set_first_start_step(store, STEP_ELECTION, DONE)


def election_saved_on(store: Store) -> date | None:
    raw = store.get_setting(SAVED_SETTING)
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def propose_district_pay(store: Store, pay: dict[str, Any]) -> None:
    """A setup file's pay settings (checked by its reader) become the laptop's, as the
    proposal, while the laptop has never saved its own; inside the caller's transaction."""
    if election_saved_on(store) is not None:
        return
    store.set_setting("pay_settings", pay)  # store.pay_settings.PAY_SETTING (no import cycle)
    store.set_setting(PAY_FROM_SETUP_SETTING, True)


def pay_from_setup(store: Store) -> bool:
    return election_saved_on(store) is None and store.get_setting(PAY_FROM_SETUP_SETTING) is True


def period_source(store: Store) -> PeriodSource:
    if election_saved_on(store) is not None:
        return PeriodSource.SAVED
    if store.get_setting(CATALOGUE_SETTING) is not None:
        return PeriodSource.DISTRICT
    return PeriodSource.DEFAULTS


# -- what the dashboard reports -----------------------------------------------------------------


def late_changes(store: Store, today: date) -> list[LateChanges]:
    """Per post whose duty period ended before today: live officers on that period (no
    dates of their own) added or changed after its last day."""
    found: list[LateChanges] = []
    with store.read() as session:
        for post in ended_periods(store.catalogue.posts, today):
            assert post.duty_end is not None
            after = datetime.combine(post.duty_end + timedelta(days=1), time(), tzinfo=UTC)
            count = session.exec(
                select(func.count())
                .select_from(Officer)
                .where(
                    col(Officer.post_code) == post.code,
                    col(Officer.deleted).is_(False),
                    col(Officer.duty_end).is_(None),
                    col(Officer.updated_at) >= after,
                )
            ).one()
            if count:
                found.append(LateChanges(post=post, officers=int(count)))
    return found


@dataclass(frozen=True)
class ElectionStatus:
    saved_on: date | None
    old: bool  # saved more than a year ago, or never saved and a past election's defaults
    late: list[LateChanges] = field(default_factory=list)
    area_later: bool = False  # the area step put off and still no area
    election_later: bool = False  # the settings step put off and still never saved

    @property
    def anything(self) -> bool:
        return self.old or bool(self.late) or self.area_later or self.election_later


def election_status(store: Store, today: date) -> ElectionStatus:
    """What the dashboard's election banner says (a field store; a district's is empty)."""
    if store.role != "field":
        return ElectionStatus(saved_on=None, old=False)
    saved_on = election_saved_on(store)
    if saved_on is not None:
        old = settings_old(saved_on, today)
    else:
        old = defaults_of_past_election(store.catalogue.posts, today)
    state = first_start_state(store) or {}
    return ElectionStatus(
        saved_on=saved_on,
        old=old,
        late=late_changes(store, today),
        area_later=state.get(STEP_AREA) == LATER and not has_area(store),
        election_later=state.get(STEP_ELECTION) == LATER and saved_on is None,
    )
