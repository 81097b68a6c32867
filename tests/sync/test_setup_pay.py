"""A district's pay settings travel in its setup files (an optional last row) and become a
laptop's election settings' proposal while the laptop has never saved its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.sync.test_flow import KDF, PASS, district_store, enrolled_laptop

from tpsdesk.domain.pay import PaySettings, WageBasis
from tpsdesk.store.db import Store
from tpsdesk.store.election import PeriodSource, pay_from_setup, period_source
from tpsdesk.store.pay_settings import load_pay_settings, save_pay_settings
from tpsdesk.sync.setup import build_setup_file, enroll, read_setup_file

KEL = "35.73.05.1001"
DISTRICT_PAY = PaySettings(
    honoraria={"kpps_ketua": Decimal("1200000"), "ptps": Decimal("1100000")},
    jkk_percent=Decimal("0.89"),
)


def test_a_setup_file_without_pay_settings_carries_none(tmp_path: Path) -> None:
    hq = district_store(tmp_path / "d.store")
    try:
        content = read_setup_file(build_setup_file(hq, KEL))
        assert content.pay is None and len(content.rows) == 5
    finally:
        hq.close()


def test_the_districts_pay_settings_are_the_laptops_proposal(tmp_path: Path) -> None:
    hq = district_store(tmp_path / "d.store")
    try:
        save_pay_settings(hq, DISTRICT_PAY)
        setup = build_setup_file(hq, KEL)
        content = read_setup_file(setup)
        assert content.pay == DISTRICT_PAY.to_dict() and len(content.rows) == 5
        laptop = enrolled_laptop(tmp_path / "l.store", setup)
        try:
            assert load_pay_settings(laptop) == DISTRICT_PAY
            assert pay_from_setup(laptop) and period_source(laptop) is PeriodSource.DISTRICT

            # Saved on the laptop: a newer setup file no longer replaces them.
            own = PaySettings(basis=WageBasis.UMP, amount=Decimal("3000000"))
            save_pay_settings(laptop, own, today=date(2024, 10, 1))
            save_pay_settings(hq, replace_honorarium(DISTRICT_PAY))
            enroll(laptop, build_setup_file(hq, KEL), confirm_fingerprint=lambda _fp: True)
            assert load_pay_settings(laptop) == own and not pay_from_setup(laptop)
        finally:
            laptop.close()
    finally:
        hq.close()


def test_a_laptop_that_saved_its_own_keeps_them_at_enrolment(tmp_path: Path) -> None:
    hq = district_store(tmp_path / "d.store")
    try:
        save_pay_settings(hq, DISTRICT_PAY)
        laptop, _key = Store.create(tmp_path / "l.store", PASS, role="field", kdf=KDF)
        try:
            save_pay_settings(laptop, PaySettings(), today=date(2024, 10, 1))
            enroll(laptop, build_setup_file(hq, KEL), confirm_fingerprint=lambda _fp: True)
            assert load_pay_settings(laptop) == PaySettings()
        finally:
            laptop.close()
    finally:
        hq.close()


def replace_honorarium(settings: PaySettings) -> PaySettings:
    return settings.with_honorarium("linmas", Decimal("700000"))
