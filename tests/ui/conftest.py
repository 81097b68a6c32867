"""Pilot tests drive the real app on real store files in tmp_path, with a fast KDF and a fixed
day, so every run sees the same screens."""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from tests.factories import FAST_KDF
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from textual.worker import WorkerCancelled

from tpsdesk import i18n
from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.officer import OfficerFields
from tpsdesk.domain.problems import Sex
from tpsdesk.store import areas, officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import Tps
from tpsdesk.ui.app import TpsDeskApp, build_app

TODAY = date(2024, 10, 1)
PASSPHRASE = "kata sandi yang cukup panjang"
SIZE = (80, 24)

KEC = "35.73.05"
KEL = "35.73.05.1001"

# Structurally valid NIKs issued in kecamatan 35.73.05: day of birth, +40 for women.
NIK_BUDI = "3573051403850001"  # male, 14-03-1985
NIK_SITI = "3573055208900002"  # female, 12-08-1990


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep the language preference file out of the real home; restore the language after."""
    folder = tmp_path / "config"
    monkeypatch.setenv("TPSDESK_CONFIG_DIR", str(folder))
    monkeypatch.delenv("TPSDESK_LANG", raising=False)
    previous = i18n.get_language()
    yield folder
    i18n.set_language(previous)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "desk" / "tpsdesk.store"


def make_app(store_path: Path, language: str | None = "en") -> TpsDeskApp:
    app = build_app(store_path, language=language, kdf=FAST_KDF, today=TODAY)
    app.animation_level = "none"  # scrolling to a focused field would keep each pause busy
    return app


@asynccontextmanager
async def running(app: TpsDeskApp) -> AsyncIterator[Pilot[None]]:
    """Run the app at 80×24 and release the store (and its lock) afterwards."""
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            yield pilot
    finally:
        app.close_store()


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for background work (key derivation, saving, loading) and the screen it updates.

    Loops because a finished worker may start another (save, then reload the table)."""
    for _round in range(20):
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in pilot.app.workers):
                return
        # An exclusive worker replaced by a newer one ends cancelled: the loop waits for that one.
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
    raise AssertionError("background work did not finish")


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type into the focused widget one key per character, as a person would (slow: ~50 ms a
    key, so keep it for short texts where each keystroke matters)."""
    names = {" ": "space", "-": "minus", ".": "full_stop", "/": "slash", ",": "comma"}
    await pilot.press(*(names.get(char, char) for char in text))


async def fill(pilot: Pilot[Any], selector: str, text: str, *, keys: bool = False) -> None:
    """Focus an input and put `text` in it: pasted whole (the same Input.Changed as after
    typing), or with `keys=True` typed key by key."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    if keys:
        await pilot.pause()  # focusing may select the old text
        field.value = ""
        await type_text(pilot, text)
        await pilot.pause()
    else:
        field.value = text
        await pilot.pause()
        field.cursor_position = len(text)  # focusing selected it all; go on typing after it


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Paste all but the last character, then type that one: the form sees the same changes
    as from typing it all, for a fraction of the test time."""
    await fill(pilot, selector, text[:-1])
    await type_text(pilot, text[-1])
    await pilot.pause()


async def unlock(pilot: Pilot[Any]) -> None:
    """From the unlock screen to the dashboard with the test passphrase."""
    from tpsdesk.ui.screens.dashboard import DashboardScreen

    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DashboardScreen), pilot.app.screen


def screen_text(app: TpsDeskApp) -> str:
    """What the terminal shows right now, as plain text (modals over their background)."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def static_text(app: TpsDeskApp, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


def footer_keys(app: TpsDeskApp) -> str:
    """The last line of the terminal: the footer."""
    return screen_text(app).rstrip("\n").splitlines()[-1]


def table_rows(app: TpsDeskApp, selector: str) -> list[list[str]]:
    table: DataTable[Any] = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


# -- stores ---------------------------------------------------------------------------------


def create_store(path: Path) -> str:
    """An empty store file, closed; returns its recovery key."""
    store, recovery_key = Store.create(path, PASSPHRASE, operator="Bu Sri", kdf=FAST_KDF)
    store.close()
    return recovery_key


def add_area(store: Store, tps_count: int = 3) -> list[Tps]:
    areas.add_kecamatan(store, KEC, "Sukun")
    areas.add_kelurahan(store, KEL, "Bandungrejosari", KEC)
    return [areas.add_tps(store, KEL, n, f"Jl. Mawar {n}") for n in range(1, tps_count + 1)]


def officer_fields(
    nik: str,
    name: str,
    birth_date: date,
    sex: Sex,
    post_code: str = "kpps_anggota",
) -> OfficerFields:
    return OfficerFields(
        nik=nik,
        name=name,
        birth_place="MALANG",
        birth_date=birth_date,
        sex=sex,
        address="Jl. Mawar 1",
        postcode="65148",
        phone="081234567890",
        email=None,
        mother_name=None,
        marital_status="Y",
        post_code=post_code,
        duty_start=None,
        duty_end=None,
    )


SAMPLE_OFFICERS = (
    # (TPS index, post, name, birth date, sex, serial)
    (0, "kpps_ketua", "AHMAD FAUZI", date(1978, 5, 2), Sex.MALE, 11),
    (0, "kpps_anggota", "DEWI LESTARI", date(1992, 1, 23), Sex.FEMALE, 12),
    (0, "linmas", "SUPRIYADI", date(1981, 9, 9), Sex.MALE, 13),
    (1, "kpps_ketua", "RINA WATI", date(1988, 7, 30), Sex.FEMALE, 14),
    (1, "ptps", "HENDRA GUNAWAN", date(1995, 11, 5), Sex.MALE, 15),
)


def add_sample_officers(store: Store, tps: list[Tps]) -> None:
    rng = random.Random(0)
    for index, post, name, born, sex, serial in SAMPLE_OFFICERS:
        nik = synthetic_nik(rng, region=KEC, birth_date=born, sex=sex, serial=serial)
        officers.add_officer(
            store, officer_fields(nik, name, born, sex, post), tps_id=tps[index].id
        )


def open_store(path: Path, passphrase: str = PASSPHRASE) -> Store:
    return Store.open(path, passphrase)


@pytest.fixture
def area_store(store_path: Path) -> Path:
    """A store file with kecamatan Sukun, kelurahan Bandungrejosari and TPS 001–003."""
    create_store(store_path)
    with open_store(store_path) as store:
        add_area(store)
    return store_path


@pytest.fixture
def sample_store(store_path: Path) -> Path:
    """The area above with five officers at TPS 001 and 002."""
    create_store(store_path)
    with open_store(store_path) as store:
        add_sample_officers(store, add_area(store))
    return store_path


@pytest.fixture
def built_apps() -> Iterator[Callable[..., TpsDeskApp]]:
    """Build apps for snapshot tests (`build(path, language=…)`); their stores closed after."""
    apps: list[TpsDeskApp] = []

    def build(path: Path, language: str = "id") -> TpsDeskApp:
        app = make_app(path, language=language)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close_store()


def steady_after_unlock(
    steps: Callable[[Pilot[Any]], Awaitable[None]] | None = None,
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A snapshot's `run_before`: unlock with the test passphrase, run `steps`, wait for
    background work, and stop the cursors blinking."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        if steps is not None:
            await steps(pilot)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run
