"""Pay settings in the app (Settings → Pay settings, or F8 on the exports screen): saved and read
back, checked as typed, refused with a message when wrong."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.ui.conftest import fill, make_app, running, settle, static_text, unlock
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select

from tpsdesk.domain.pay import Rounding, WageBasis
from tpsdesk.store.pay_settings import load_pay_settings
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.pay_settings import PaySettingsScreen
from tpsdesk.ui.screens.settings import SettingsScreen


async def open_pay(pilot: Pilot[Any]) -> PaySettingsScreen:
    await unlock(pilot)
    await pilot.press("f8")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SettingsScreen)
    pilot.app.screen.query_one("#pay-settings", Button).press()
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PaySettingsScreen)
    return screen


def value(pilot: Pilot[Any], selector: str) -> str:
    return pilot.app.screen.query_one(selector, Input).value


async def test_settings_are_saved_and_read_back(area_store: Path) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        screen = await open_pay(pilot)
        # The defaults: honorarium basis (the amount is off), 0.24 % + 0.30 %.
        assert value(pilot, "#jkk") == "0.24" and value(pilot, "#jkm") == "0.30"
        assert screen.query_one("#amount", Input).disabled
        assert value(pilot, "#hon-kpps_anggota") == "850,000"
        assert value(pilot, "#start-kpps_ketua") == "07-11-2024"
        assert "Anggota KPPS: 0.54 % of Rp850,000 = Rp4,590" in static_text(app, "#example")

        screen.query_one("#basis", Select).value = WageBasis.UMK.value
        screen.query_one("#rounding", Select).value = Rounding.UP_100.value
        await settle(pilot)
        assert not screen.query_one("#amount", Input).disabled
        await fill(pilot, "#amount", "3.309.383,16")  # Indonesian grouping is read too
        await fill(pilot, "#label", "UMK Kota Malang 2024")
        await fill(pilot, "#jkk", "0,89")
        await fill(pilot, "#hon-ptps", "Rp750.000")
        await fill(pilot, "#hon-linmas", "")
        await fill(pilot, "#start-kpps_ketua", "01-11-2024")
        await fill(pilot, "#end-kpps_ketua", "10-12-2024")
        # (0.89 + 0.30) % of 3,309,383.16 = 39,381.66, up to Rp100: 39,400.
        assert "= Rp39,400 a month" in static_text(app, "#example")
        await pilot.press("f2")
        await settle(pilot)
        assert static_text(app, "#error") == ""

        store = app.require_store()
        saved = load_pay_settings(store)
        assert saved.basis is WageBasis.UMK
        assert saved.amount == Decimal("3309383.16")
        assert saved.label == "UMK Kota Malang 2024"
        assert saved.jkk_percent == Decimal("0.89")
        assert saved.jkm_percent == Decimal("0.30")
        assert saved.rounding is Rounding.UP_100
        assert saved.honoraria["ptps"] == Decimal("750000")
        assert "linmas" not in saved.honoraria
        post = store.catalogue.get("kpps_ketua")
        assert post is not None
        assert (post.duty_start, post.duty_end) == (date(2024, 11, 1), date(2024, 12, 10))
        anggota = store.catalogue.get("kpps_anggota")
        assert anggota is not None and anggota.duty_start == date(2024, 11, 7)  # untouched

        # Saved: Esc leaves without asking; opening again shows what was saved.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#pay-settings", Button).press()
        await settle(pilot)
        assert value(pilot, "#amount") == "3,309,383.16"
        assert value(pilot, "#jkk") == "0.89"
        assert value(pilot, "#start-kpps_ketua") == "01-11-2024"
        assert app.screen.query_one("#basis", Select).value == "umk"


async def test_bad_input_is_refused_with_a_message(area_store: Path) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        screen = await open_pay(pilot)
        store = app.require_store()

        await fill(pilot, "#jkk", "nol koma dua")
        assert "percentage from 0 to 10" in static_text(app, "#msg-jkk")
        await pilot.press("f2")
        await settle(pilot)
        assert "JKK rate" in static_text(app, "#error")
        assert screen.focused is screen.query_one("#jkk", Input)
        await fill(pilot, "#jkk", "0,24")
        assert static_text(app, "#msg-jkk") == ""

        await fill(pilot, "#hon-kpps_ketua", "-5")
        assert "amount in rupiah" in static_text(app, "#msg-kpps_ketua")
        await fill(pilot, "#hon-kpps_ketua", "900000")

        await fill(pilot, "#end-kpps_ketua", "01-11-2024")  # before the start, 07-11-2024
        assert "ends before it starts" in static_text(app, "#msg-kpps_ketua")
        await pilot.press("f2")
        await settle(pilot)
        assert "ends before it starts" in static_text(app, "#error")
        await fill(pilot, "#end-kpps_ketua", "31-02-2024")
        assert "dd-mm-yyyy" in static_text(app, "#msg-kpps_ketua")
        await fill(pilot, "#end-kpps_ketua", "08-12-2024")

        # UMP without an amount cannot be saved.
        screen.query_one("#basis", Select).value = WageBasis.UMP.value
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert "Enter the amount of the wage basis" in static_text(app, "#error")
        assert store.get_setting("pay_settings") is None  # nothing saved

        # Leaving with changes asks first.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PaySettingsScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert store.get_setting("pay_settings") is None
