"""The district's pay settings and duty periods, kept in the store's settings.

`PaySettings` is stored as JSON under PAY_SETTING; duty periods per post live in the post
catalogue override (CATALOGUE_SETTING), where validation and the budget already read them.
"""

from __future__ import annotations

from datetime import date

from tpsdesk.domain.pay import PaySettings
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import _
from tpsdesk.store.db import CATALOGUE_SETTING, Store, StoreError

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


def save_pay_settings(store: Store, settings: PaySettings) -> None:
    store.set_setting(PAY_SETTING, settings.to_dict())


def set_duty_period(
    store: Store, post_code: str, start: date | None, end: date | None
) -> PostCatalogue:
    """Set a post's default duty period in the district's catalogue; returns the new catalogue.

    None clears an end. Raises PaySettingsError for an unknown post or an end before the start.
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
    store.set_setting(CATALOGUE_SETTING, catalogue.to_dict())
    return catalogue
