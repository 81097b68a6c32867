"""NAMA_IBU_KANDUNG in the app: the setting (F8) that shows the mother's maiden name on the
officer form, on by default because the BPJS template has the column; the value saved, checked
by the text rules, kept when the field is hidden, and exported in its column; the export names
the officers without it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from tests.ui.conftest import (
    NIK_BUDI,
    fill,
    make_app,
    officer_fields,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
    type_into,
    unlock,
)
from tests.ui.test_officer import fill_person, live_officers, open_tps
from textual.widgets import Checkbox

from tpsdesk.domain.problems import Sex
from tpsdesk.exchange.mother_name import (
    MOTHER_NAME_SETTING,
    mother_name_asked,
    set_mother_name_asked,
)
from tpsdesk.store import areas, officers
from tpsdesk.ui.screens import exports
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.exports import ExportsScreen
from tpsdesk.ui.screens.officer_form import OfficerFormScreen
from tpsdesk.ui.screens.settings import SettingsScreen
from tpsdesk.ui.screens.unit import UnitScreen


@pytest.fixture(autouse=True)
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "Documents"
    folder.mkdir()
    monkeypatch.setattr(exports, "export_folder", lambda: folder)
    return folder


async def test_the_setting_shows_and_hides_the_field(sample_store: Path) -> None:
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        box = app.screen.query_one("#ask-mother-name", Checkbox)
        assert box.value is True  # the BPJS template has NAMA_IBU_KANDUNG
        assert static_text(app, "#mother-name-now").startswith("Now: the officer form asks")
        assert "NAMA_IBU_KANDUNG" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)

        await open_tps(pilot, 3)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, OfficerFormScreen)
        labels = [str(label.render()) for label in app.screen.query(".field-label")]
        assert "Mother's maiden name" in labels
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)

        # Off, by keyboard: the choice is saved in the store.
        await pilot.press("f8")
        await settle(pilot)
        box = app.screen.query_one("#ask-mother-name", Checkbox)
        box.focus()
        await pilot.press("space")
        await settle(pilot)
        assert box.value is False
        assert static_text(app, "#mother-name-now").startswith(
            "Now: the officer form does not ask for it"
        )
        assert app.require_store().get_setting(MOTHER_NAME_SETTING) is False
        assert not mother_name_asked(app.require_store())
        await pilot.press("escape")
        await settle(pilot)

        await open_tps(pilot, 3)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, OfficerFormScreen)
        assert not app.screen.query("#mother_name")

    # A new session shows the saved choice.
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen.query_one("#ask-mother-name", Checkbox).value is False
        await pilot.press("escape")
        await settle(pilot)


async def test_the_value_is_checked_saved_and_exported_in_its_column(
    sample_store: Path, documents: Path
) -> None:
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await open_tps(pilot, 3)
        await pilot.press("n")
        await settle(pilot)
        await type_into(pilot, "#nik", NIK_BUDI)
        await fill_person(pilot, "BUDI SANTOSO")
        # The text rules of a person's name apply: digits and emoji are refused.
        for bad, problem in (("SRI 2", "digit"), ("SRI 🌸", "")):
            await fill(pilot, "#mother_name", bad)
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, OfficerFormScreen)
            assert "Cannot save yet: 1 problem to fix" in static_text(app, "#form-errors")
            message = static_text(app, "#msg-mother_name")
            assert message.startswith("✗ Mother's maiden name") and problem in message
        await fill(pilot, "#mother_name", "SRI WAHYUNI")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        [budi] = live_officers(app, 2)
        assert budi.mother_name == "SRI WAHYUNI"

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ExportsScreen)
        await pilot.press("f2")
        await settle(pilot)
        result = static_text(app, "#export-result")
        # Five exported (the PTPS has no honorarium); the four sample officers lack the name.
        assert "5 officers exported." in result
        assert (
            "4 of them have no mother's maiden name (NAMA_IBU_KANDUNG is empty): listed in the "
            "sheet “No mother's name” of the workbook."
        ) in " ".join(result.split())

    workbook = openpyxl.load_workbook(documents / "bpjs-2024-10-01.xlsx")
    rows = [[c.value for c in row] for row in workbook["data_tk_baru"].iter_rows()]
    by_nik = {row[rows[0].index("NOMOR_IDENTITAS")]: row for row in rows[1:]}
    assert by_nik[NIK_BUDI][rows[0].index("NAMA_IBU_KANDUNG")] == "SRI WAHYUNI"
    missing = [row[0].value for row in workbook["No mother's name"].iter_rows(min_row=2)]
    assert len(missing) == 4 and NIK_BUDI not in missing


async def test_a_hidden_field_keeps_its_saved_value(sample_store: Path) -> None:
    with open_store(sample_store) as store:
        set_mother_name_asked(store, False)
        first = officers.officers_for_tps(store, areas.list_tps(store)[0].id)[0]
        fields = officer_fields(
            first.nik, first.name, first.birth_date, Sex(first.sex), first.post_code
        )
        officers.update_officer(store, first.id, replace(fields, mother_name="SUTINAH"))
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await open_tps(pilot, 1)
        await pilot.press("enter")  # edits the first officer of the roster
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficerFormScreen) and form.officer_id == first.id
        assert not form.query("#mother_name")
        await fill(pilot, "#phone", "0812 9999 0000")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        saved = officers.get_officer(app.require_store(), first.id)
        assert saved is not None
        assert saved.phone == "081299990000" and saved.mother_name == "SUTINAH"
