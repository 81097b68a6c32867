"""The desk's Coverage tab: levels, numbers, filters, the officers of a row, the area set-up."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from tests.sync.conftest import approved_laptop, make_bundle, officer_row
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    fill,
    make_app,
    running,
    settle,
    static_text,
    table_rows,
)
from tests.ui.test_area import choose_file
from textual.pilot import Pilot
from textual.widgets import DataTable

from tpsdesk.store import areas
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync.district_models import Finding, FindingKind, ReceivedBundle
from tpsdesk.sync.findings import finding_id
from tpsdesk.sync.identity import set_district_settings
from tpsdesk.sync.merge import merge_bundle
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.district.coverage import CoveragePane
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.widgets.places import remember_place

KEC_LOWOKWARU = "35.73.05"
KEC_KLOJEN = "35.73.04"
KEL_A = "35.73.05.1001"
KEL_B = "35.73.05.1002"
KEL_C = "35.73.04.1001"
SENT_AT = datetime(2024, 9, 20, 5, 0, tzinfo=UTC)
NAMES = ("AHMAD FAUZI", "DEWI LESTARI", "SUPRIYADI", "RINA WATI")


def district_store(path: Path, *, area: bool = True) -> dict[str, str]:
    """A district store: Kota Malang, kecamatan Lowokwaru (kelurahan A with TPS 1 and 2, B
    with TPS 1) and Klojen (kelurahan C with TPS 1); a laptop of kelurahan A sent four
    officers (three at TPS 1) and one refused row; one officer has an open finding, two
    have a KPJ. Returns the TPS ids by name and the officer ids."""
    store, _key = Store.create(path, PASSPHRASE, role="district", operator="Pak Hadi", kdf=FAST_KDF)
    try:
        set_district_settings(store, name="Kota Malang", code="35.73")
        if not area:
            return {}
        areas.add_kecamatan(store, KEC_LOWOKWARU, "Lowokwaru")
        areas.add_kecamatan(store, KEC_KLOJEN, "Klojen")
        areas.add_kelurahan(store, KEL_A, "Tunggulwulung", KEC_LOWOKWARU)
        areas.add_kelurahan(store, KEL_B, "Tlogomas", KEC_LOWOKWARU)
        areas.add_kelurahan(store, KEL_C, "Oro-oro Dowo", KEC_KLOJEN)
        ids = {
            "a1": areas.add_tps(store, KEL_A, 1, "Jl. Mawar 1").id,
            "a2": areas.add_tps(store, KEL_A, 2, "Jl. Melati 2").id,
            "b1": areas.add_tps(store, KEL_B, 1, "Jl. Kenanga 1").id,
            "c1": areas.add_tps(store, KEL_C, 1, "Jl. Ijen 1").id,
        }
        laptop, key = approved_laptop(store, KEL_A)
        rows = [
            officer_row(device=laptop, counter=n, seq=n, name=NAMES[n - 1],
                        birth=datetime(1980 + n, n, 10 + n).date(),
                        tps_id=ids["a1" if n < 4 else "a2"])
            for n in range(1, 5)
        ]  # fmt: skip
        refused = officer_row(device=laptop, counter=5, seq=5, tps_id=ids["a2"], nik="12345")
        merge_bundle(store, make_bundle(laptop, key, [*rows, refused]))
        officer_ids = [row["values"]["id"] for row in rows]
        with store.transaction() as session:
            key_text = "test/" + officer_ids[0]
            session.add(Finding(id=finding_id(key_text), key=key_text,
                                kind=FindingKind.CONFLICT.value,
                                row_ids=json.dumps([officer_ids[0]])))  # fmt: skip
            for officer_id, kpj in zip(
                officer_ids[1:3], ("24012345678", "24012345679"), strict=True
            ):
                officer = session.get(Officer, officer_id)
                assert officer is not None
                officer.bpjs_number = kpj
                session.add(officer)
            for record in session.exec(
                select(ReceivedBundle).where(col(ReceivedBundle.device_id) == laptop)
            ):
                record.received_at = SENT_AT
                session.add(record)
        return ids
    finally:
        store.close()


async def open_coverage(pilot: Pilot[Any]) -> CoveragePane:
    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DistrictDeskScreen), pilot.app.screen
    await pilot.press("f6")
    await settle(pilot)
    return pilot.app.screen.query_one(CoveragePane)


def rows_of(app: TpsDeskApp) -> list[list[str]]:
    return [[cell.strip() for cell in row] for row in table_rows(app, "#coverage-table")]


async def test_levels_numbers_and_moving_by_keyboard(store_path: Path) -> None:
    district_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_coverage(pilot)
        assert static_text(app, "#coverage-path") == "Kota Malang"
        rows = rows_of(app)
        assert [r[0] for r in rows] == [KEC_KLOJEN, KEC_LOWOKWARU]
        assert rows[1][1] == "Lowokwaru" and rows[1][3:] == ["2", "2", "1/2"]
        assert rows[0][3:] == ["0", "0", "1/1"]
        assert rows[1][2].startswith("4/")
        summary = static_text(app, "#coverage-summary")
        assert "to fix 2" in summary and "enrolled 2" in summary
        # Down to the kelurahan of Lowokwaru.
        await pilot.press("down", "enter")
        await settle(pilot)
        assert static_text(app, "#coverage-path") == "Kota Malang › Kec. Lowokwaru"
        rows = rows_of(app)
        assert [r[0] for r in rows] == [KEL_A, KEL_B]
        assert rows[0][3:] == ["2", "2", "20-09-2024"] and rows[1][3:] == ["0", "0", "never"]
        # Down to the TPS of kelurahan A.
        await pilot.press("enter")
        await settle(pilot)
        assert static_text(app, "#coverage-path") == (
            "Kota Malang › Kec. Lowokwaru › Kel. Tunggulwulung"
        )
        rows = rows_of(app)
        assert [r[:2] for r in rows] == [["001", "Jl. Mawar 1"], ["002", "Jl. Melati 2"]]
        assert [r[3:5] for r in rows] == [["1", "2"], ["0", "0"]]
        assert rows[0][2].startswith("3/")
        # Up twice with Backspace and Esc; the cursor stays on where we came from.
        await pilot.press("backspace")
        await settle(pilot)
        assert static_text(app, "#coverage-path") == "Kota Malang › Kec. Lowokwaru"
        assert pane.selected() is not None and pane.selected().code == KEL_A  # type: ignore[union-attr]
        await pilot.press("escape")
        await settle(pilot)
        assert static_text(app, "#coverage-path") == "Kota Malang"
        assert pane.selected().code == KEC_LOWOKWARU  # type: ignore[union-attr]
        # Esc at the top does nothing here.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)


async def test_o_opens_the_officers_of_the_row_and_back_reloads(store_path: Path) -> None:
    from tpsdesk.ui.screens.unit import UnitScreen

    district_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_coverage(pilot)
        await pilot.press("down", "enter")  # kecamatan Lowokwaru
        await settle(pilot)
        await pilot.press("o")  # kelurahan Tunggulwulung's own posts
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        assert app.screen.unit.code == KEL_A and "Tunggulwulung" in app.screen.title
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")  # its TPS
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        assert app.screen.title == "TPS 001 — Tunggulwulung"
        names = [row[2].strip() for row in table_rows(app, "#officers")]
        assert {"AHMAD FAUZI", "DEWI LESTARI", "SUPRIYADI"} <= set(names)
        # The district deletes an officer there; back on the desk the TPS shows it.
        officers_table = app.screen.query_one("#officers", DataTable)
        officers_table.move_cursor(row=names.index("SUPRIYADI"))
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert static_text(app, "#coverage-path").endswith("Kel. Tunggulwulung")
        assert rows_of(app)[0][2].startswith("2/")
        # Enter on a TPS opens its officers too.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        assert pane.kelurahan is not None


async def test_never_sent_filter(store_path: Path) -> None:
    district_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await open_coverage(pilot)
        assert not static_text(app, "#coverage-filter")
        await pilot.press("n")
        await settle(pilot)
        assert "never sent" in static_text(app, "#coverage-filter")
        # Both kecamatan have a kelurahan that never sent.
        assert [r[0] for r in rows_of(app)] == [KEC_KLOJEN, KEC_LOWOKWARU]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert [r[0] for r in rows_of(app)] == [KEL_B]
        await pilot.press("n")  # all again
        await settle(pilot)
        assert not static_text(app, "#coverage-filter")
        assert [r[0] for r in rows_of(app)] == [KEL_A, KEL_B]


async def test_not_since_filter_refuses_what_is_not_a_date(store_path: Path) -> None:
    from tpsdesk.ui.screens.simple_form import SimpleForm

    district_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await open_coverage(pilot)
        for bad in ("31-02-2024", "kemarin", "[bold]x\x1b[31m"):
            await pilot.press("s")
            await settle(pilot)
            assert isinstance(app.screen, SimpleForm)
            await fill(pilot, "#since", bad)
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, SimpleForm)
            error = static_text(app, "#error")
            assert "is not a date" in error and "dd-mm-yyyy" in error, error
            if bad.startswith("[bold]"):
                assert "[bold]x" in error and "\x1b" not in error
            await pilot.press("escape")
            await settle(pilot)
        assert not static_text(app, "#coverage-filter")
        # Kelurahan A sent on 20-09-2024: since that day it counts as sent, not the next.
        await pilot.press("s")
        await settle(pilot)
        await fill(pilot, "#since", "20-09-2024")
        await pilot.press("f2")
        await settle(pilot)
        assert "20-09-2024" in static_text(app, "#coverage-filter")
        await pilot.press("down", "enter")
        await settle(pilot)
        assert [r[0] for r in rows_of(app)] == [KEL_B]
        await pilot.press("s")
        await settle(pilot)
        await fill(pilot, "#since", "21-09-2024")
        await pilot.press("f2")
        await settle(pilot)
        assert [r[0] for r in rows_of(app)] == [KEL_A, KEL_B]
        # Empty: every kelurahan again.
        await pilot.press("s")
        await settle(pilot)
        await fill(pilot, "#since", "")
        await pilot.press("f2")
        await settle(pilot)
        assert not static_text(app, "#coverage-filter")


async def test_empty_district_says_what_to_do_and_w_loads_the_area(
    store_path: Path, tmp_path: Path
) -> None:
    from tpsdesk.ui.screens.area import AreaScreen

    district_store(store_path, area=False)
    listing = tmp_path / "wilayah.csv"
    listing.write_text(
        "kecamatan_code,kecamatan_name,kelurahan_code,kelurahan_name,tps_number,tps_address\n"
        "35.73.04,Klojen,35.73.04.1001,Oro-oro Dowo,1,Jl. Ijen 1\n"
        "35.73.04,Klojen,35.73.04.1001,Oro-oro Dowo,2,Jl. Ijen 2\n"
        "35.73.04,Klojen,35.73.04.1002,[bold]Kauman[/bold],1,Jl. Kauman 1\n",
        encoding="utf-8",
    )
    app = make_app(store_path)
    async with running(app) as pilot:
        await open_coverage(pilot)
        assert "No area yet. Press w" in static_text(app, "#coverage-empty")
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, AreaScreen)
        # The list is chosen in the picker, in the folder it remembers.
        remember_place("area-list", tmp_path)
        await pilot.press("i")
        await choose_file(pilot, listing.name)
        assert isinstance(app.screen, AreaScreen), app.screen
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert not static_text(app, "#coverage-empty")
        assert [r[:2] for r in rows_of(app)] == [[KEC_KLOJEN, "Klojen"]]
        await pilot.press("enter")
        await settle(pilot)
        # A name from the file is shown as written, never read as markup.
        assert [r[1] for r in rows_of(app)] == ["Oro-oro Dowo", "[bold]Kauman[/bold]"]
        assert [r[5] for r in rows_of(app)] == ["never", "never"]


async def test_hostile_names_are_shown_as_plain_text(store_path: Path) -> None:
    district_store(store_path)
    hostile = "[bold red]Tlogo\x1b[31mmas[/]"
    with Store.open(store_path, PASSPHRASE) as store, store.transaction() as session:
        session.connection().exec_driver_sql(
            "UPDATE kelurahan SET name = ? WHERE code = ?", (hostile, KEL_B)
        )
        session.connection().exec_driver_sql(
            "UPDATE kecamatan SET name = ? WHERE code = ?", ("[i]Lowo\x07kwaru", KEC_LOWOKWARU)
        )
    app = make_app(store_path)
    async with running(app) as pilot:
        await open_coverage(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        await pilot.press("down", "enter")  # kelurahan B
        await settle(pilot)
        path = static_text(app, "#coverage-path")
        assert "[i]Lowo" in path and "[bold red]Tlogo" in path
        assert "\x1b" not in path and "\x07" not in path
        await pilot.press("backspace")
        await settle(pilot)
        name = rows_of(app)[1][1]
        assert name.startswith("[bold red]Tlogo") and "\x1b" not in name
