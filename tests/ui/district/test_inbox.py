"""The district desk's Inbox tab: choose a folder through the picker, every file listed with
its status, mark and merge (one, the marked, every new one) with a per-file report; hostile
and damaged files refused with their reasons while the others merge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select
from tests.sync.test_inbox import (
    ESCAPES,
    FLIPPED,
    HOSTILE_NAME,
    MARKUP,
    NOTES,
    OTHER_DISTRICT,
    OVERSIZE,
    TRUNCATED,
    World,
    build_hostile_world,
    copy_world,
)
from tests.ui.conftest import PASSPHRASE, make_app, running, screen_text, settle, static_text
from textual.pilot import Pilot
from textual.widgets import DataTable, DirectoryTree

from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync.district_models import Device, ReceivedBundle
from tpsdesk.sync.inbox import InboxStatus
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.district.inbox import InboxPane
from tpsdesk.ui.district.merge_report import MergeReportScreen
from tpsdesk.ui.widgets.places import PlacePicker, remember_place


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_hostile_world(tmp_path_factory.mktemp("inbox-ui-world"))


@pytest.fixture
def world(template: World, tmp_path: Path) -> World:
    return copy_world(template, tmp_path / "w")


async def open_desk(pilot: Pilot[Any]) -> InboxPane:
    from tests.ui.conftest import fill

    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DistrictDeskScreen), pilot.app.screen
    return pilot.app.screen.query_one(InboxPane)


async def open_inbox(pilot: Pilot[Any], world: World) -> InboxPane:
    pane = await open_desk(pilot)
    pane.open_folder(world.inbox)
    await settle(pilot)
    return pane


def notices(app: Any) -> str:
    return "\n".join(notice.message for notice in app._notifications)


def statuses_by_name(pane: InboxPane) -> dict[str, InboxStatus]:
    return {row.entry.name: row.status for row in pane.rows}


def go_to(pilot: Pilot[Any], pane: InboxPane, name: str) -> None:
    index = next(i for i, row in enumerate(pane.rows) if row.entry.name == name)
    pane.query_one("#inbox-table", DataTable).move_cursor(row=index)


async def test_the_picker_opens_a_folder_and_every_file_is_listed(world: World) -> None:
    remember_place("inbox", world.inbox.parent)  # the picker opens where it was last time
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_desk(pilot)
        assert pane.rows == []  # the folder remembered holds no file itself
        await pilot.press("o")
        # Not settle(): the tree's loader is a worker that never ends while it is shown.
        await pilot.pause(0.2)
        assert isinstance(app.screen, PlacePicker)
        tree = app.screen.query_one(DirectoryTree)
        for _round in range(50):
            if tree.root.children:
                break
            await pilot.pause(0.1)
        names = [str(node.label) for node in tree.root.children]
        tree.move_cursor(tree.root.children[names.index("inbox")])
        await pilot.press("enter")  # select the folder in the tree
        await pilot.pause()
        await pilot.press("f2")  # choose it
        await pilot.pause(0.2)
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert pane.folder == world.inbox
        shown = statuses_by_name(pane)
        assert len(shown) == 15
        summary = static_text(app, "#inbox-summary")
        assert "15 files: 5 new, 1 waiting approval, 1 other district, 4 damaged" in summary
        assert shown[world.laptops["laptop-4"].name] is InboxStatus.WAITING
        assert shown[OTHER_DISTRICT] is InboxStatus.OTHER_DISTRICT
        assert shown[OVERSIZE] is InboxStatus.DAMAGED
        assert shown[NOTES] is InboxStatus.OTHER
        text = screen_text(app)
        assert "laptop-1" in text  # the district's record of the laptop (its operator)
        assert world.kelurahan["laptop-1"][:9] in text
        # A hostile file name is shown as text: its markup and escape codes are not obeyed.
        go_to(pilot, pane, HOSTILE_NAME)
        await pilot.pause()
        detail = static_text(app, "#inbox-detail")
        assert "[bold red]x\\x1b[2Jnama.tpsb" in detail
        assert "does not start like a tpsdesk file" in detail
        go_to(pilot, pane, MARKUP)
        await pilot.pause()
        assert "[red]x[/red] [bold]Kota" in static_text(app, "#inbox-detail")
    # Remembered: the next time the desk opens, the inbox reads the same folder.
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_desk(pilot)
        assert pane.folder == world.inbox
        assert len(pane.rows) == 15


async def test_merge_all_new_shows_a_report_and_refreshes_the_statuses(world: World) -> None:
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_inbox(pilot, world)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, MergeReportScreen)
        text = screen_text(app)
        assert "Merge report:" in text
        assert "refused" in text
        title = static_text(app, "#report-title")
        # laptop 1, 2, 3 and the markup one (forged header: it no longer decrypts), flipped
        assert "merged" in title and "refused" in title
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        shown = statuses_by_name(pane)
        for name in ("laptop-1", "laptop-2", "laptop-3"):
            assert shown[world.laptops[name].name] is InboxStatus.MERGED
        assert shown[world.laptops["laptop-4"].name] is InboxStatus.WAITING
        # Refused as a whole, and the store keeps no record: shown so while the file is there.
        assert shown[MARKUP] is InboxStatus.REFUSED
        go_to(pilot, pane, MARKUP)
        await pilot.pause()
        assert "cannot be decrypted" in static_text(app, "#inbox-detail")
        summary = static_text(app, "#inbox-summary")
        assert "0 new" not in summary and " new" not in summary
        assert "4 merged before" in summary  # the flipped copy has laptop 1's file id


async def test_hostile_files_are_refused_with_their_reasons_and_change_nothing(
    world: World,
) -> None:
    with Store.open(world.district_path, PASSPHRASE) as store:
        district.revoke(store, world.fingerprints["laptop-2"])
        with store.read() as session:
            devices_before = session.exec(select(func.count()).select_from(Device)).one()
            received_before = session.exec(select(func.count()).select_from(ReceivedBundle)).one()
    hostile = [
        TRUNCATED, FLIPPED, MARKUP, ESCAPES, HOSTILE_NAME, OVERSIZE, OTHER_DISTRICT,
        world.laptops["laptop-2"].name,
    ]  # fmt: skip
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_inbox(pilot, world)
        assert statuses_by_name(pane)[world.laptops["laptop-2"].name] is InboxStatus.REVOKED
        for name in hostile:
            go_to(pilot, pane, name)
            await pilot.press("space")
        await pilot.pause()
        assert pane.marked == {world.inbox / name for name in hostile}
        assert "●" in screen_text(app)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MergeReportScreen)
        report = app.screen
        assert {line.file for line in report.lines} == set(hostile)
        assert all(line.kind == "refused" for line in report.lines)
        reasons = {line.file: " ".join(line.details) for line in report.lines}
        assert "revoked" in reasons[world.laptops["laptop-2"].name]
        assert "signature" in reasons[FLIPPED]
        assert "another" in reasons[OTHER_DISTRICT] or "district" in reasons[OTHER_DISTRICT]
        assert "header" in reasons[OVERSIZE]
        text = screen_text(app)
        assert "[bold red]x\\x1b[2Jnama.tpsb" in text
        assert "Merge report: 8 refused" in text
        await pilot.press("escape")
        await settle(pilot)
        assert pane.marked == set()
    with Store.open(world.district_path, PASSPHRASE) as store, store.read() as session:
        assert session.exec(select(func.count()).select_from(Device)).one() == devices_before
        received = session.exec(select(func.count()).select_from(ReceivedBundle)).one()
        assert received == received_before


async def test_enter_merges_one_and_a_waiting_laptop_is_reported_with_its_fingerprint(
    world: World,
) -> None:
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_inbox(pilot, world)
        go_to(pilot, pane, world.laptops["laptop-4"].name)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MergeReportScreen)
        text = screen_text(app)
        assert "waits for approval" in text
        assert world.fingerprints["laptop-4"] in text
        assert "(F4) to approve it" in text
        await pilot.press("escape")
        await settle(pilot)
        go_to(pilot, pane, world.laptops["laptop-3"].name)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MergeReportScreen)
        assert [line.kind for line in app.screen.lines] == ["merged"]
        assert "accepted" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert statuses_by_name(pane)[world.laptops["laptop-3"].name] is InboxStatus.MERGED
        # Merged again: said so, nothing changed.
        go_to(pilot, pane, world.laptops["laptop-3"].name)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MergeReportScreen)
        assert "merged before; nothing changed" in screen_text(app)


async def test_refusals_of_the_keys(world: World) -> None:
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_desk(pilot)
        assert "Press o to choose the folder" in static_text(app, "#inbox-summary")
        pane.open_folder(world.inbox)
        await settle(pilot)
        go_to(pilot, pane, NOTES)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert "notes.txt is not a bundle (other file)" in notices(app)
        await pilot.press("m")
        await pilot.pause()
        assert "Mark files with Space first." in notices(app)
        pane.merging = True  # a merge running: a second one does not start
        await pilot.press("a")
        await pilot.pause()
        assert "A merge is running" in notices(app)
        assert not any(isinstance(s, MergeReportScreen) for s in app.screen_stack)
        pane.merging = False
        pane.open_folder(world.inbox / "missing")
        await settle(pilot)
        assert "Could not read" in static_text(app, "#inbox-summary")
        assert pane.rows == []


async def test_rescan_sees_a_new_file(world: World) -> None:
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_inbox(pilot, world)
        (world.inbox / "later.txt").write_text("x", encoding="utf-8")
        await pilot.press("r")
        await settle(pilot)
        assert "later.txt" in statuses_by_name(pane)


async def test_a_merge_shows_progress_and_leaves_the_desk_usable(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from tpsdesk.ui.district import inbox as inbox_module

    release = threading.Event()
    real = inbox_module.merge_paths

    def slow_merge(store: Store, paths: list[Path], *, progress: Any = None) -> list[Any]:
        def held(done: int, total: int, name: str) -> None:
            progress(done, total, name)
            if done == 1:
                release.wait(timeout=30)  # the test looks at the screen meanwhile

        return real(store, paths, progress=held)

    monkeypatch.setattr(inbox_module, "merge_paths", slow_merge)
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_inbox(pilot, world)
        await pilot.press("a")
        for _round in range(100):
            await pilot.pause(0.05)
            if "Merging 2/" in static_text(app, "#inbox-progress-text"):
                break
        assert "Merging 2/5: " in static_text(app, "#inbox-progress-text")
        assert pane.merging
        # The desk answers meanwhile: the cursor moves, another tab opens; no second merge.
        table = pane.query_one("#inbox-table", DataTable)
        before = table.cursor_row
        await pilot.press("down")
        await pilot.pause()
        assert table.cursor_row == before + 1
        await pilot.press("a")
        await pilot.pause()
        assert "A merge is running" in notices(app)
        release.set()
        await settle(pilot)
        assert isinstance(app.screen, MergeReportScreen)
        assert not pane.merging
        assert not pane.query_one("#inbox-progress-box").display


async def test_a_merge_that_cannot_save_says_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpsdesk.ui.district import inbox as inbox_module
    from tpsdesk.ui.screens.message import MessageScreen

    def full_disk(store: Store, paths: list[Path], *, progress: Any = None) -> list[Any]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(inbox_module, "merge_paths", full_disk)
    app = make_app(world.district_path)
    async with running(app) as pilot:
        pane = await open_inbox(pilot, world)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "The merge stopped:" in screen_text(app)
        assert "No space left on device" in screen_text(app) or "space" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not pane.merging
        await pilot.press("a")  # and another merge may start
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
