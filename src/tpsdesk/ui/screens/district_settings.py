"""The office's own name and code: asked once after a district (or province) store is made,
and from Settings. A district's setup files carry them to every laptop; a province's to every
kab/kota."""

from __future__ import annotations

from tpsdesk.i18n import _
from tpsdesk.store.db import Store, StoreError
from tpsdesk.ui.screens.simple_form import FormField, SimpleForm, SubmitRefused


class DistrictSettingsScreen(SimpleForm):
    def __init__(self, store: Store, *, first_run: bool = False) -> None:
        from tpsdesk.sync.identity import district_settings

        current = district_settings(store)
        super().__init__(
            _("The district office"),
            [
                FormField(
                    "name",
                    _("Kabupaten/kota name"),
                    current.name if current else "",
                    placeholder=_("e.g. Kota Malang"),
                ),
                FormField(
                    "code",
                    _("Kabupaten/kota code"),
                    current.code if current else "",
                    placeholder=_("e.g. 35.73"),
                ),
            ],
            lambda values: save_district_settings(store, values),
            hint=_(
                "Setup files carry the name and code to every laptop, and bundles from other "
                "districts are refused by them. Set them before the first setup file."
            )
            if first_run
            else "",
        )


def save_district_settings(store: Store, values: dict[str, str]) -> bool:
    name = values.get("name", "").strip()
    code = values.get("code", "").strip()
    if not name or not code:
        raise SubmitRefused(_("Enter both the name and the code of the kabupaten/kota."))
    from tpsdesk.sync.identity import set_district_settings

    try:
        set_district_settings(store, name=name, code=code)
    except StoreError as error:
        raise SubmitRefused(error.message) from error
    return True


class ProvinceSettingsScreen(SimpleForm):
    def __init__(self, store: Store, *, first_run: bool = False) -> None:
        from tpsdesk.sync.province import province_settings

        current = province_settings(store)
        super().__init__(
            _("The province office"),
            [
                FormField(
                    "name",
                    _("Province name"),
                    current.name if current else "",
                    placeholder=_("e.g. Jawa Timur"),
                ),
                FormField(
                    "code",
                    _("Province code"),
                    current.code if current else "",
                    placeholder=_("e.g. 35"),
                ),
            ],
            lambda values: save_province_settings(store, values),
            hint=_(
                "The setup files of the kabupaten/kota carry the province name and code, and "
                "roll-up files from another province are refused by them. Set them before the "
                "first setup file."
            )
            if first_run
            else "",
        )


def save_province_settings(store: Store, values: dict[str, str]) -> bool:
    name = values.get("name", "").strip()
    code = values.get("code", "").strip()
    if not name or not code:
        raise SubmitRefused(_("Enter both the name and the code of the province."))
    from tpsdesk.sync.errors import SyncError
    from tpsdesk.sync.province import set_province_settings

    try:
        set_province_settings(store, name=name, code=code)
    except (StoreError, SyncError) as error:
        raise SubmitRefused(error.message) from error
    return True
