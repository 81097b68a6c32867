"""The office's own name and code: asked once after a district (or province) store is made,
and from Settings. A district's setup files carry them to every laptop; a province's to every
kab/kota. One form; the two offices differ only in their texts and in what saves them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tpsdesk.i18n import _
from tpsdesk.store.db import Store, StoreError
from tpsdesk.sync.errors import SyncError
from tpsdesk.ui.screens.simple_form import FormField, SimpleForm, SubmitRefused


@dataclass(frozen=True)
class _Office:
    title: str
    name_label: str
    name_example: str
    code_label: str
    code_example: str
    first_run_hint: str
    both_needed: str


class OfficeSettingsScreen(SimpleForm):
    """The form of one office; `for_store` picks the district's or the province's."""

    def __init__(self, store: Store, *, first_run: bool = False) -> None:
        office = self.office()
        current = self.current(store)
        super().__init__(
            office.title,
            [
                FormField("name", office.name_label, current[0], placeholder=office.name_example),
                FormField("code", office.code_label, current[1], placeholder=office.code_example),
            ],
            lambda values: self._save(store, values, office),
            hint=office.first_run_hint if first_run else "",
        )

    @staticmethod
    def for_store(store: Store, *, first_run: bool = False) -> OfficeSettingsScreen:
        screen = ProvinceSettingsScreen if store.role == "province" else DistrictSettingsScreen
        return screen(store, first_run=first_run)

    @staticmethod
    def office() -> _Office:
        raise NotImplementedError

    @staticmethod
    def current(store: Store) -> tuple[str, str]:
        raise NotImplementedError

    @staticmethod
    def setter(store: Store) -> Callable[..., None]:
        raise NotImplementedError

    def _save(self, store: Store, values: dict[str, str], office: _Office) -> bool:
        name = values.get("name", "").strip()
        code = values.get("code", "").strip()
        if not name or not code:
            raise SubmitRefused(office.both_needed)
        try:
            self.setter(store)(store, name=name, code=code)
        except (StoreError, SyncError) as error:
            raise SubmitRefused(error.message) from error
        return True


class DistrictSettingsScreen(OfficeSettingsScreen):
    @staticmethod
    def office() -> _Office:
        return _Office(
            _("The district office"),
            _("Kabupaten/kota name"),
            _("e.g. Kota Malang"),
            _("Kabupaten/kota code"),
            _("e.g. 35.73"),
            _(
                "Setup files carry the name and code to every laptop, and bundles from other "
                "districts are refused by them. Set them before the first setup file."
            ),
            _("Enter both the name and the code of the kabupaten/kota."),
        )

    @staticmethod
    def current(store: Store) -> tuple[str, str]:
        from tpsdesk.sync.identity import district_settings

        settings = district_settings(store)
        return (settings.name, settings.code) if settings else ("", "")

    @staticmethod
    def setter(store: Store) -> Callable[..., None]:
        from tpsdesk.sync.identity import set_district_settings

        return set_district_settings


class ProvinceSettingsScreen(OfficeSettingsScreen):
    @staticmethod
    def office() -> _Office:
        return _Office(
            _("The province office"),
            _("Province name"),
            _("e.g. Jawa Timur"),
            _("Province code"),
            _("e.g. 35"),
            _(
                "The setup files of the kabupaten/kota carry the province name and code, and "
                "roll-up files from another province are refused by them. Set them before the "
                "first setup file."
            ),
            _("Enter both the name and the code of the province."),
        )

    @staticmethod
    def current(store: Store) -> tuple[str, str]:
        from tpsdesk.sync.province import province_settings

        settings = province_settings(store)
        return (settings.name, settings.code) if settings else ("", "")

    @staticmethod
    def setter(store: Store) -> Callable[..., None]:
        from tpsdesk.sync.province import set_province_settings

        return set_province_settings
