"""The desk's Laptops tab: waiting, approved and revoked laptops; approving by the fingerprint
read over the phone, revoking, dismissing; hostile labels shown as text."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    make_app,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
    table_rows,
    type_text,
)
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select

from tpsdesk.exchange.demo_world import WorldSummary, build_world
from tpsdesk.store import officers
from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync.bundle import ReceiveFailure, read_bundle_file, receive_files
from tpsdesk.sync.district_models import Device, DeviceStatus, QuarantinedBundle
from tpsdesk.sync.fingerprint import format_fingerprint
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.district.approve import ApproveDialog, day_text
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.district.laptops import LaptopsPane
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.widgets.fingerprint_entry import FingerprintEntry

HOSTILE = "[red]x[/red]\x1b[2J\x1b]0;owned\x07"


def build_district(path: Path, world_dir: Path) -> WorldSummary:
    """A district store holding the sample world: three approved laptops, one waiting (its
    bundle in quarantine), bundles in the inbox folder."""
    store, _key = Store.create(path, PASSPHRASE, role="district", operator="Pak Hadi", kdf=FAST_KDF)
    try:
        return build_world(store, PASSPHRASE, world_dir, kdf=FAST_KDF)
    finally:
        store.close()


@pytest.fixture
def world(store_path: Path, tmp_path: Path) -> WorldSummary:
    return build_district(store_path, tmp_path / "world")


def waiting_laptop(world: WorldSummary) -> Any:
    return next(laptop for laptop in world.laptops if laptop.state == "pending")


def device_of(store_path: Path, fingerprint: str) -> Device:
    with open_store(store_path) as store:
        found = [d for d in district.list_devices(store) if d.fingerprint == digits(fingerprint)]
    assert len(found) == 1
    return found[0]


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


async def open_laptops(app: TpsDeskApp, pilot: Pilot[Any]) -> LaptopsPane:
    from tests.ui.conftest import fill

    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, DistrictDeskScreen), app.screen
    await pilot.press("f4")
    await settle(pilot)
    return app.screen.query_one(LaptopsPane)


async def select_laptop(pilot: Pilot[Any], pane: LaptopsPane, fingerprint: str) -> None:
    index = next(i for i, row in enumerate(pane.rows) if row.fingerprint == digits(fingerprint))
    from textual.widgets import DataTable

    table = pane.query_one("#laptops-table", DataTable)
    table.focus()
    table.move_cursor(row=index)
    await pilot.pause()


async def type_groups(pilot: Pilot[Any], groups: list[str]) -> None:
    """Type groups into the approval dialog the way a clerk does: digit keys only, no space
    (the field groups them itself), without a pause between the keys."""
    for group in groups:
        await type_text(pilot, group)
    await pilot.pause()


# -- the table --------------------------------------------------------------------------------


async def test_table_lists_waiting_first_with_names_gaps_and_counts(
    world: WorldSummary, store_path: Path
) -> None:
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        rows = table_rows(app, "#laptops-table")
        assert [r[0] for r in rows] == ["waiting", "approved", "approved", "approved"]
        pending = waiting_laptop(world)
        assert rows[0][2] == pending.kelurahan_name[:16]
        assert rows[0][3] == pending.kelurahan_code
        assert rows[0][4] == "1"  # one bundle waits
        assert rows[0][6] == "="  # it claims the area issued to it
        # The operator named in the rows an approved laptop sent; none yet for a waiting one.
        assert rows[0][1] == "-" and rows[1][1].startswith("laptop-")
        # Laptop 3's first bundle stayed in the inbox: its changes are missing.
        assert any(r[5] != "-" for r in rows)
        summary = static_text(app, "#laptops-summary")
        assert "4 laptops: 1 waiting approval, 3 approved, 0 revoked" in summary
        detail = static_text(app, "#laptops-detail")
        assert format_fingerprint(digits(pending.fingerprint)) in detail
        assert pending.kelurahan_name in detail
        # Moving the cursor shows the next laptop's fingerprint.
        await pilot.press("down")
        assert pane.rows[1].fingerprint_groups in static_text(app, "#laptops-detail")
        assert "Approve" in screen_text(app).splitlines()[-1]


# -- approving ----------------------------------------------------------------------------------


async def test_approve_with_the_right_fingerprint_merges_what_waited(
    world: WorldSummary, store_path: Path
) -> None:
    pending = waiting_laptop(world)
    groups = format_fingerprint(digits(pending.fingerprint)).split()
    with open_store(store_path) as store:
        before = officers.count_officers(store)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await select_laptop(pilot, pane, pending.fingerprint)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ApproveDialog)
        text = screen_text(app)
        assert "Call the operator of this laptop" in text
        assert pending.kelurahan_code in text
        # The operator reads it from the laptop: it is not shown here meanwhile.
        assert groups[0] not in text and groups[5] not in text
        assert "1 bundle waits" in text
        await type_groups(pilot, groups[:3])
        assert "3 of 6 groups match so far" in static_text(app, "#check")
        assert dialog.query_one("#approve", Button).disabled
        await type_groups(pilot, groups[3:])
        assert "The fingerprint matches" in static_text(app, "#check")
        assert not dialog.query_one("#approve", Button).disabled
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen), app.screen
        assert "Approved: laptop" in app.screen.message
        assert "1 of 1 waiting bundle merged" in app.screen.message
        assert any("merged —" in line for line in app.screen.details)
        await pilot.press("escape")
        await settle(pilot)
        rows = table_rows(app, "#laptops-table")
        assert [r[0] for r in rows] == ["approved"] * 4
    with open_store(store_path) as store:
        # What its waiting bundle held (it typed more since, still on the laptop).
        assert before < officers.count_officers(store) <= before + pending.officers
    assert device_of(store_path, pending.fingerprint).status == DeviceStatus.APPROVED.value


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("one_digit", "Group 4 differs"),
        ("wrong_group", "Group 2 differs"),
        ("too_short", "5 of 6 groups match so far"),
    ],
)
async def test_a_wrong_fingerprint_is_refused_and_nothing_changes(
    world: WorldSummary, store_path: Path, change: str, said: str
) -> None:
    pending = waiting_laptop(world)
    groups = format_fingerprint(digits(pending.fingerprint)).split()
    if change == "one_digit":
        last = groups[3][-1]
        groups[3] = groups[3][:-1] + ("1" if last != "1" else "2")
    elif change == "wrong_group":
        groups[1] = groups[2] if groups[2] != groups[1] else "00000"
    else:
        groups[5] = groups[5][:4]
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await select_laptop(pilot, pane, pending.fingerprint)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ApproveDialog)
        await type_groups(pilot, groups)
        assert said in static_text(app, "#check")
        assert dialog.query_one("#approve", Button).disabled
        await pilot.press("f2")  # refused: the dialog stays, nothing approved
        await settle(pilot)
        assert app.screen is dialog
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
    assert device_of(store_path, pending.fingerprint).status == DeviceStatus.PENDING.value
    with open_store(store_path) as store:
        assert len(district.quarantined(store)) == 1


async def test_approve_asks_the_area_when_the_issued_one_is_unknown(
    world: WorldSummary, store_path: Path
) -> None:
    # A laptop of an older tpsdesk whose bundle names no setup file and claims an area no
    # setup file was issued for: its area is unknown until the clerk chooses one.
    key = b"\x07" * 32
    with open_store(store_path) as store:
        device = district.register_pending(
            store, device_id="old-laptop", signing_key=key, area="35.73.05.9999"
        )
        issued = district.issued_areas(store)
    assert device.area_code == ""
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        # Waiting laptops first (the sample world's one, seen earlier, then this one).
        assert [row.device_id for row in pane.rows].index("old-laptop") == 1
        assert table_rows(app, "#laptops-table")[1][3] == "?"
        await select_laptop(pilot, pane, device.fingerprint)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ApproveDialog)
        await type_groups(pilot, format_fingerprint(device.fingerprint).split())
        assert "Choose the area it may send" in static_text(app, "#check")
        assert dialog.query_one("#approve", Button).disabled
        dialog.query_one("#area", Select).value = issued[0]
        await pilot.pause()
        assert not dialog.query_one("#approve", Button).disabled
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert app.screen.details == ["Nothing of this laptop was waiting."]
    approved = device_of(store_path, device.fingerprint)
    assert approved.status == DeviceStatus.APPROVED.value
    assert approved.area_code == issued[0]


async def test_approve_is_refused_on_an_approved_laptop(
    world: WorldSummary, store_path: Path
) -> None:
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await pilot.press("down")  # the first approved one
        assert pane.selected() is not None and pane.selected().status == "approved"  # type: ignore[union-attr]
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "only a laptop waiting for approval can be approved" in app.screen.message


# -- revoking and dismissing --------------------------------------------------------------------


async def test_revoked_laptop_is_shown_revoked_and_its_next_bundle_refused(
    world: WorldSummary, store_path: Path
) -> None:
    laptop = world.laptops[0]  # approved; a bundle of it waits in the inbox folder
    device = device_of(store_path, laptop.fingerprint)
    inbox = [p for p in world.inbox_files if device.device_id[:8] in p.name]
    assert inbox
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await select_laptop(pilot, pane, laptop.fingerprint)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = app.screen.question
        assert format_fingerprint(digits(laptop.fingerprint)) in question
        assert "Every later bundle of this laptop is refused" in question
        assert laptop.kelurahan_code in question
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert table_rows(app, "#laptops-table")[1][0] == "approved"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        rows = table_rows(app, "#laptops-table")
        assert rows[-1][0] == "revoked"
        assert "1 revoked" in static_text(app, "#laptops-summary")
        await pilot.press("r")  # again: it says so
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "revoked already" in app.screen.message
    with open_store(store_path) as store:
        outcomes = receive_files(
            store, [(p.name, lambda p=p: read_bundle_file(p)) for p in inbox], prefetch=False
        )
    assert all(isinstance(o, ReceiveFailure) for o in outcomes)
    assert all(o.code == "device_revoked" for o in outcomes if isinstance(o, ReceiveFailure))


async def test_dismiss_removes_a_waiting_laptop_and_refuses_an_approved_one(
    world: WorldSummary, store_path: Path
) -> None:
    pending = waiting_laptop(world)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await pilot.press("down")  # an approved laptop: refused with its reason
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "only a waiting laptop can be dismissed" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        await select_laptop(pilot, pane, pending.fingerprint)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "its 1 waiting bundle are removed" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert [r[0] for r in table_rows(app, "#laptops-table")] == ["approved"] * 3
    with open_store(store_path) as store:
        assert not district.quarantined(store)
        assert not district.list_devices(store, DeviceStatus.PENDING)


# -- untrusted text ------------------------------------------------------------------------------


async def test_hostile_label_and_claimed_area_are_shown_as_text_and_marked(
    world: WorldSummary, store_path: Path
) -> None:
    key = b"\x09" * 32
    issued = world.laptops[0].kelurahan_code
    with open_store(store_path) as store:
        setup_id = next(file_id for file_id, area in _issued(store).items() if area == issued)
        device = district.register_pending(
            store,
            device_id="hostile",
            signing_key=key,
            area="35.73.05.1002",  # claims another area than the setup file it names
            setup_id=setup_id,
            label=HOSTILE,
        )
    assert base64.b64decode(device.signing_key) == key
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        index = [row.device_id for row in pane.rows].index("hostile")
        row = table_rows(app, "#laptops-table")[index]
        assert row[1].startswith("[red]x[/red]\\")
        assert row[6] == "≠ 35.73.05.1002"
        await select_laptop(pilot, pane, device.fingerprint)
        detail = static_text(app, "#laptops-detail")
        assert "[red]x[/red]\\x1b[2J" in detail
        assert "its bundles are refused" in detail
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ApproveDialog)
        text = screen_text(app)
        assert "[red]x[/red]" in text and "\x1b" not in text
        # Not offered for editing: it holds control characters.
        assert app.screen.query_one("#label", Input).value == ""
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert "[red]x[/red]" in text and "\x1b" not in text


def _issued(store: Store) -> dict[str, str]:
    with store.read() as session:
        return district.issued_areas_in(session)


async def test_a_damaged_waiting_bundle_is_reported_and_the_others_stay(
    world: WorldSummary, store_path: Path
) -> None:
    pending = waiting_laptop(world)
    with open_store(store_path) as store:
        (held,) = district.quarantined(store)
        with store.transaction() as session:
            row = session.get(QuarantinedBundle, held.file_id)
            assert row is not None
            row.data = b"TPSDESK" + b"\x00" * 64  # damaged on the way
            session.add(row)
        before = officers.count_officers(store)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await select_laptop(pilot, pane, pending.fingerprint)
        await pilot.press("a")
        await settle(pilot)
        await type_groups(pilot, format_fingerprint(digits(pending.fingerprint)).split())
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "0 of 1 waiting bundle merged" in app.screen.message
        assert len(app.screen.details) == 1 and held.file_id[:8] in app.screen.details[0]
    with open_store(store_path) as store:
        assert officers.count_officers(store) == before
        assert not district.quarantined(store)  # recorded as refused, not kept
        record = district.bundle_record(store, held.file_id)
        assert record is not None and record.status == "refused"


async def test_backspace_deletes_over_a_group_space_and_typing_goes_on(
    world: WorldSummary, store_path: Path
) -> None:
    pending = waiting_laptop(world)
    groups = format_fingerprint(digits(pending.fingerprint)).split()
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await select_laptop(pilot, pane, pending.fingerprint)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ApproveDialog)
        await type_groups(pilot, groups[:2])
        assert dialog.focused is dialog.query_one(FingerprintEntry).field
        await pilot.press("backspace")
        await pilot.pause()
        assert dialog.typed_groups() == [groups[0], groups[1][:4]]
        assert "1 of 6 groups match so far" in static_text(app, "#check")
        await type_text(pilot, groups[1][4])
        await pilot.pause()
        assert "2 of 6 groups match so far" in static_text(app, "#check")


async def test_a_pasted_fingerprint_with_spaces_approves(
    world: WorldSummary, store_path: Path
) -> None:
    pending = waiting_laptop(world)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await select_laptop(pilot, pane, pending.fingerprint)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ApproveDialog)
        field = dialog.query_one(FingerprintEntry).field
        field.post_message(events.Paste(format_fingerprint(digits(pending.fingerprint))))
        await pilot.pause()
        assert "The fingerprint matches" in static_text(app, "#check")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "Approved: laptop" in app.screen.message
    assert device_of(store_path, pending.fingerprint).status == DeviceStatus.APPROVED.value


async def test_approval_shows_its_progress_while_the_desk_stays_usable(
    world: WorldSummary, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from tpsdesk.ui.district import laptops as laptops_module

    pending = waiting_laptop(world)
    real = laptops_module.approve_and_merge
    halfway = threading.Event()
    go_on = threading.Event()

    def slow(store: Store, fingerprint: str, **kwargs: Any) -> Any:
        progress = kwargs.pop("progress")
        progress(1, 3, "paket-2.tpsb")
        halfway.set()
        assert go_on.wait(10)
        return real(store, fingerprint, **kwargs)

    monkeypatch.setattr(laptops_module, "approve_and_merge", slow)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await select_laptop(pilot, pane, pending.fingerprint)
        await pilot.press("a")
        await settle(pilot)
        await type_groups(pilot, format_fingerprint(digits(pending.fingerprint)).split())
        await pilot.press("f2")
        for _round in range(100):
            await pilot.pause(0.02)
            if halfway.is_set() and "2/3" in static_text(app, "#laptops-progress-text"):
                break
        assert "Merging 2/3: paket-2.tpsb" in static_text(app, "#laptops-progress-text")
        await pilot.press("down")  # the desk answers keys meanwhile
        await pilot.press("a")  # a second approval is not started while one runs
        assert isinstance(app.screen, DistrictDeskScreen)
        go_on.set()
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "1 of 1 waiting bundle merged" in app.screen.message
        assert not pane.query_one("#laptops-progress-text").display


async def test_a_refused_approval_is_shown_with_its_reason(
    world: WorldSummary, store_path: Path
) -> None:
    pending = waiting_laptop(world)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_laptops(app, pilot)
        await select_laptop(pilot, pane, pending.fingerprint)
        await pilot.press("a")
        await settle(pilot)
        await type_groups(pilot, format_fingerprint(digits(pending.fingerprint)).split())
        # Meanwhile another clerk's command revokes it (same store, as `district devices`).
        district.revoke(app.require_store(), pending.fingerprint)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "was revoked" in app.screen.message
        assert digits(pending.fingerprint)[:5] in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert pane.query_one("#laptops-detail").display
        assert table_rows(app, "#laptops-table")[-1][0] == "revoked"


def test_setup_file_day_written_as_the_desk_writes_dates() -> None:
    assert day_text("2024-10-01T08:00:00+00:00") == "01-10-2024"
    assert day_text("2024-10-01") == "01-10-2024"
    # A value the district never wrote is shown as it is, escaped, never a traceback.
    assert day_text("kemarin") == "kemarin"
