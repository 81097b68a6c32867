"""The district's pay settings and duty periods, kept in the store's settings.

`PaySettings` is stored as JSON under PAY_SETTING; duty periods per post live in the post
catalogue override (CATALOGUE_SETTING), where validation and the budget already read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from tpsdesk.domain.pay import PaySettings
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import _
from tpsdesk.store.db import CATALOGUE_SETTING, Store, StoreError
from tpsdesk.store.election import mark_election_saved

PAY_SETTING = "pay_settings"


class PaySettingsError(StoreError):
    """Settings that cannot be read or set; `.message` is translated and safe to show."""


def load_pay_settings(store: Store) -> PaySettings:
    """The store's pay settings, or the defaults (honorarium basis, 0.24 % + 0.30 %)."""
    data = store.get_setting(PAY_SETTING)
    if data is None:
        return PaySettings()
    try:
        return PaySettings.from_dict(data)
    except ValueError as exc:
        raise PaySettingsError(
            _("The store's pay settings cannot be read: {reason}").format(reason=exc)
        ) from None


def save_pay_settings(store: Store, settings: PaySettings, *, today: date | None = None) -> None:
    """Keep the pay settings and note the day they were saved (`store.election`)."""
    with store.transaction():
        store.set_setting(PAY_SETTING, settings.to_dict())
        mark_election_saved(store, today)


def save_election_settings(
    store: Store,
    settings: PaySettings,
    periods: Mapping[str, tuple[date | None, date | None]],
    *,
    today: date | None = None,
) -> None:
    """The pay settings and the changed duty periods ({post: (start, end)}), all or nothing."""
    with store.transaction():
        save_pay_settings(store, settings, today=today)
        for code, (start, end) in periods.items():
            set_duty_period(store, code, start, end, today=today)


def set_duty_period(
    store: Store,
    post_code: str,
    start: date | None,
    end: date | None,
    *,
    today: date | None = None,
) -> PostCatalogue:
    """Set a post's default duty period in the district's catalogue; returns the new catalogue.

    None clears an end. Raises PaySettingsError for an unknown post or an end before the start.
    A period that ended before today is kept: `domain.election` explains why it is a warning.
    """
    if start is not None and end is not None and end < start:
        raise PaySettingsError(_("The duty period ends before it starts."))
    try:
        catalogue = store.catalogue.with_overrides(
            {
                post_code: {
                    "duty_start": start.isoformat() if start else None,
                    "duty_end": end.isoformat() if end else None,
                }
            }
        )
    except ValueError as exc:
        raise PaySettingsError(str(exc)) from None
    with store.transaction():
        store.set_setting(CATALOGUE_SETTING, catalogue.to_dict())
        mark_election_saved(store, today)
    return catalogue
