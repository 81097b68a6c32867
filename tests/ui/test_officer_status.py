"""The district's word on an officer (from a receipt) shows in the officer's form."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import make_app, open_store, running, settle, static_text, unlock

from tpsdesk.store import officers
from tpsdesk.store.models import OfficerStatus
from tpsdesk.ui.screens.officer_form import OfficerFormScreen


async def test_needs_fix_reason_is_shown(sample_store: Path) -> None:
    with open_store(sample_store) as store:
        hit = officers.list_officers(store)[0]
        officers.set_status(
            store, hit.id, OfficerStatus.NEEDS_FIX, "The same NIK is registered twice."
        )
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*hit.nik, "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, OfficerFormScreen)
        line = static_text(app, "#status-line")
        assert "needs fixing" in line and "registered twice" in line


async def test_ready_officer_shows_no_status_line(sample_store: Path) -> None:
    with open_store(sample_store) as store:
        hit = officers.list_officers(store)[0]
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*hit.nik, "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, OfficerFormScreen)
        assert static_text(app, "#status-line") == ""


async def test_conflicting_correction_shows_the_districts_value_beside_the_field(
    sample_store: Path,
) -> None:
    from tpsdesk.store.models import Officer
    from tpsdesk.store.versioning import set_meta
    from tpsdesk.sync.changes import row_to_wire
    from tpsdesk.sync.corrections import CORRECTABLE, META_CORRECTIONS

    with open_store(sample_store) as store:
        hit = officers.list_officers(store)[0]
        with store.transaction() as session:
            officer = session.get(Officer, hit.id)
            assert officer is not None
            values = {k: row_to_wire(officer, 0)["values"][k] for k in CORRECTABLE}
            values["name"] = "NAMA DARI KANTOR"
            version = {"version_device": "d" * 32, "version_counter": 9}
            set_meta(session, META_CORRECTIONS, {hit.id: {"version": version, "values": values}})
    app = make_app(sample_store)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*hit.nik, "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, OfficerFormScreen)
        assert "NAMA DARI KANTOR" in static_text(app, "#district-name")
        assert static_text(app, "#district-nik") == ""
