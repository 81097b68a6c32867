"""SVG snapshots of the Inbox tab and the merge report at 80×24, in Indonesian (update with
`pytest --snapshot-update` and look at the images before committing them).

Real bundles carry random ids, keys and today's date, so the listing drawn here is made of
fixed entries given to the pane as its worker would; the store is a real district store at
a relative path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import FAST_KDF, PASSPHRASE, SIZE, fill, settle
from textual.pilot import Pilot

from tpsdesk.store.db import Store
from tpsdesk.sync.bundle import ReceiveFailure, ReceiveOutcome
from tpsdesk.sync.district_models import ensure_district_tables
from tpsdesk.sync.identity import set_district_settings
from tpsdesk.sync.inbox import EntryKind, InboxEntry, InboxRow, InboxStatus, outcome_lines
from tpsdesk.sync.merge import MergeReport, RowRef
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.district.inbox import InboxPane, InboxView
from tpsdesk.ui.district.merge_report import MergeReportScreen

RELATIVE_STORE = Path("kantor") / "tpsdesk.store"
SnapCompare = Callable[..., bool]
WHEN = datetime(2024, 10, 1, 9, 30, tzinfo=UTC)
FOLDER = Path("usb") / "kotak-masuk"
FINGERPRINT = "21789 71175 68291 10671 61872 74336"


@pytest.fixture
def district_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    store, _key = Store.create(
        RELATIVE_STORE, PASSPHRASE, role="district", operator="Pak Hadi", kdf=FAST_KDF
    )
    ensure_district_tables(store)
    set_district_settings(store, name="Kota Contoh", code="35.73")
    store.close()
    return RELATIVE_STORE


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return lambda path: built_apps(path, language="id")


def _bundle(name: str, seq: tuple[int, int], area: str, size: int = 2300) -> InboxEntry:
    return InboxEntry(
        name=name,
        path=FOLDER / name,
        size=size,
        mtime=WHEN.timestamp(),
        kind=EntryKind.BUNDLE,
        sender_id="4d1e5d97fdd3429cba8c6cde3533acc3",
        sender_key="",
        recipient_fingerprint=FINGERPRINT,
        district_code="35.73",
        district_name="Kota Contoh",
        area=area,
        seq_from=seq[0],
        seq_to=seq[1],
        created_at=WHEN.isoformat(),
        file_id="7c61baff-2483-46c5-ac1d-d99f2b7e8661",
    )


def _file(name: str, kind: EntryKind, size: int, problem: str = "") -> InboxEntry:
    return InboxEntry(
        name=name,
        path=FOLDER / name,
        size=size,
        mtime=WHEN.timestamp(),
        kind=kind,
        problem=problem,
    )


def sample_rows() -> list[InboxRow]:
    from tpsdesk.i18n import _

    return [
        InboxRow(
            _bundle("3573011001_4d1e5d97_15-22.tpsb", (15, 22), "35.73.01.1001"),
            InboxStatus.NEW,
            fingerprint=FINGERPRINT,
            laptop="Bu Sri",
            area="35.73.01.1001",
            kelurahan="Arjowinangun",
            kecamatan="Kedungkandang",
        ),
        InboxRow(
            _bundle("3573021001_beab7d21_1-12.tpsb", (1, 12), "35.73.02.1001", 41000),
            InboxStatus.NEW,
            fingerprint=FINGERPRINT,
            laptop="Pak Joko Susilo",
            area="35.73.02.1001",
            kelurahan="Bakalan Krajan",
        ),
        InboxRow(
            _bundle("3573011001_4d1e5d97_1-14.tpsb", (1, 14), "35.73.01.1001"),
            InboxStatus.MERGED,
            laptop="Bu Sri",
            area="35.73.01.1001",
            kelurahan="Arjowinangun",
        ),
        InboxRow(
            _bundle("3573031002_5037b36d_1-16.tpsb", (1, 16), "35.73.03.1002"),
            InboxStatus.WAITING,
            reason=_("its laptop waits for approval (Laptops, F4)"),
            fingerprint=FINGERPRINT,
            area="35.73.03.1002",
            kelurahan="Gadingkasri",
        ),
        InboxRow(
            _bundle("3573051003_98c55011_9-9.tpsb", (9, 9), "35.73.05.1003"),
            InboxStatus.REVOKED,
            reason=_("the laptop was revoked: it will be refused"),
            laptop="Pak Agus",
            area="35.73.05.1003",
            kelurahan="Tlogomas",
        ),
        InboxRow(
            _bundle("3507011001_aec2f866_1-14.tpsb", (1, 14), "35.07.01.1001"),
            InboxStatus.OTHER_DISTRICT,
            reason=_("made for another district office ({district}): it will be refused").format(
                district="35.07"
            ),
            area="35.07.01.1001",
        ),
        InboxRow(
            _file("rusak.tpsb", EntryKind.DAMAGED, 1900, _("the file is cut short")),
            InboxStatus.DAMAGED,
            reason=_("the file is cut short"),
        ),
        InboxRow(
            _file("3573011001_4d1e5d97_receipt_v3.tpsr", EntryKind.RECEIPT, 1200),
            InboxStatus.RECEIPT,
        ),
        InboxRow(_file("3573011001_setup_v2.tpss", EntryKind.SETUP, 900), InboxStatus.SETUP),
        InboxRow(_file("catatan.txt", EntryKind.OTHER, 15), InboxStatus.OTHER),
        InboxRow(_file("salinan.tpsb.part", EntryKind.PART, 800), InboxStatus.PART),
    ]


async def open_desk(pilot: Pilot[Any]) -> InboxPane:
    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen.query_one(InboxPane)


async def show_sample(pilot: Pilot[Any]) -> InboxPane:
    pane = await open_desk(pilot)
    pane.folder = FOLDER
    pane._fill(InboxView(FOLDER, sample_rows(), "35.73", "Kota Contoh"))
    await pilot.pause()
    return pane


def test_inbox_empty(district_store: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await open_desk(pilot)
        await pilot.pause()

    assert snap_compare(snapshot_app(district_store), terminal_size=SIZE, run_before=run)


def test_inbox_listing(district_store: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await show_sample(pilot)
        await pilot.press("space")  # the first marked, the cursor on the second
        await pilot.pause()

    assert snap_compare(snapshot_app(district_store), terminal_size=SIZE, run_before=run)


def test_inbox_waiting_row(
    district_store: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await show_sample(pilot)
        await pilot.press("down", "down", "down")
        await pilot.pause()

    assert snap_compare(snapshot_app(district_store), terminal_size=SIZE, run_before=run)


def test_merge_report(district_store: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        from tpsdesk.sync.errors import BadSignature

        await show_sample(pilot)
        merged = MergeReport(
            "7c61baff-2483-46c5-ac1d-d99f2b7e8661",
            "4d1e5d97",
            15,
            22,
            "merged",
            accepted=(RowRef("officer", "a"), RowRef("officer", "b")),
            unchanged=(RowRef("tps", "c"),),
            gaps=((13, 14),),
        )
        outcomes = [
            ReceiveOutcome("3573011001_4d1e5d97_15-22.tpsb", "merged", "4d1e5d97", "", merged),
            ReceiveOutcome("3573031002_5037b36d_1-16.tpsb", "quarantined", "5037b36d", FINGERPRINT),
            ReceiveFailure(
                "rusak.tpsb", BadSignature().with_file("rusak.tpsb").message, "bad_signature"
            ),
        ]
        pilot.app.push_screen(MergeReportScreen([outcome_lines(o) for o in outcomes]))
        await pilot.pause()

    assert snap_compare(snapshot_app(district_store), terminal_size=SIZE, run_before=run)
