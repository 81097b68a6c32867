"""The inbox service (`sync.inbox`): a folder of travelling files read from their headers
alone, each bundle's standing with the district store, and merging the chosen ones; with
hostile and damaged files among real bundles from `demo_world`.

The world builders here are also used by tests/ui/district/test_inbox.py (loaded by path)."""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import func, select
from tests.factories import FAST_KDF

from tpsdesk.exchange.demo_world import build_world
from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync.bundle import ReceiveFailure, ReceiveOutcome
from tpsdesk.sync.container import MAGIC, MAX_HEADER, assemble, canonical_json, parse_container
from tpsdesk.sync.district_models import Device, QuarantinedBundle, ReceivedBundle
from tpsdesk.sync.identity import set_district_settings, signing_key
from tpsdesk.sync.inbox import (
    EntryKind,
    FolderUnreadable,
    InboxStatus,
    bundle_files,
    merge_paths,
    scan,
    statuses,
    summary_line,
)
from tpsdesk.sync.receipt import build_receipt
from tpsdesk.sync.setup import build_setup_file

KDF = FAST_KDF
PASSPHRASE = "kata sandi yang cukup panjang"
DISTRICT = Path("district") / "tpsdesk.store"

# Names of the files the hostile world puts beside the real bundles.
TRUNCATED = "truncated.tpsb"
FLIPPED = "flipped.tpsb"
NOTES = "notes.txt"
RECEIPT = "receipt.tpsr"
SETUP = "setup.tpss"
OTHER_DISTRICT = "other-district.tpsb"
MARKUP = "markup-header.tpsb"
ESCAPES = "escape-header.tpsb"
HOSTILE_NAME = "[bold red]x\x1b[2Jnama.tpsb"  # no "/": a file name cannot hold one
OVERSIZE = "oversize-header.tpsb"
PART = "unfinished.tpsb.part"


@dataclass(frozen=True)
class World:
    folder: Path
    inbox: Path
    laptops: dict[str, Path]  # laptop-1 …: its first inbox bundle
    fingerprints: dict[str, str]
    kelurahan: dict[str, str]  # laptop-1 …: kelurahan name

    @property
    def district_path(self) -> Path:
        return self.folder / DISTRICT


def _resign(data: bytes, key_store: Store, **changes: object) -> bytes:
    """The bundle `data` with its header changed and signed again by `key_store`'s laptop
    (the payload stays, so it no longer decrypts: HPKE binds the header)."""
    container = parse_container(data)
    header = json.loads(container.header_bytes)
    header["file_id"] = str(uuid.uuid4())
    for name, value in changes.items():
        header[name] = value
    key = signing_key(key_store)
    assert key is not None
    return assemble(canonical_json(header), container.payload, key.sign)


def _raw_header(data: bytes, **changes: object) -> bytes:
    """The bundle with a header changed without any check (as a hostile writer would)."""
    container = parse_container(data)
    header = json.loads(container.header_bytes)
    header.update(changes)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return assemble(text.encode(), container.payload, lambda _b: b"\x00" * 64)


def build_hostile_world(folder: Path) -> World:
    """demo_world's district and inbox, and hostile or damaged files beside its bundles."""
    store, _key = Store.create(folder / DISTRICT, PASSPHRASE, role="district", kdf=KDF)
    summary = build_world(store, PASSPHRASE, folder / "world", kdf=KDF)
    inbox = summary.inbox
    firsts: dict[str, Path] = {}
    for laptop in summary.laptops:
        with Store.open(laptop.store_path, PASSPHRASE) as field_store:
            device_id = field_store.device_id
        mine = sorted(p for p in summary.inbox_files if device_id[:8] in p.name)
        firsts[laptop.name] = mine[0]
    one = firsts["laptop-1"].read_bytes()
    (inbox / TRUNCATED).write_bytes(firsts["laptop-2"].read_bytes()[:-300])
    flipped = bytearray(one)
    flipped[-1] ^= 0x01  # the signature's last byte
    (inbox / FLIPPED).write_bytes(bytes(flipped))
    (inbox / NOTES).write_text("daftar belanja\n", encoding="utf-8")
    device = district.list_devices(store)[0]
    _header, receipt = build_receipt(store, device.device_id)
    (inbox / RECEIPT).write_bytes(receipt)
    (inbox / SETUP).write_bytes(build_setup_file(store, summary.laptops[0].kelurahan_code))
    with Store.open(summary.laptops[0].store_path, PASSPHRASE) as laptop_one:
        markup = {"code": "35.73", "name": "[red]x[/red] [bold]Kota"}
        (inbox / MARKUP).write_bytes(_resign(one, laptop_one, district=markup))
    escapes = {"code": "35.73", "name": "\x1b[31mKota\x1b[0m"}
    (inbox / ESCAPES).write_bytes(_raw_header(one, district=escapes, file_id=str(uuid.uuid4())))
    (inbox / HOSTILE_NAME).write_bytes(b"not a bundle at all")
    (inbox / OVERSIZE).write_bytes(
        MAGIC + b"\x01" + (MAX_HEADER + 1).to_bytes(4, "big") + b"{" * (MAX_HEADER + 1)
    )
    (inbox / PART).write_bytes(one[:100])
    store.close()

    # Another district office, its laptop's bundle dropped into this inbox.
    other, _key = Store.create(folder / "other" / "tpsdesk.store", PASSPHRASE,
                               role="district", kdf=KDF)  # fmt: skip
    set_district_settings(other, name="Kabupaten Lain", code="35.07")
    elsewhere = build_world(other, PASSPHRASE, folder / "other-world", kdf=KDF)
    other.close()
    shutil.copy(elsewhere.inbox_files[0], inbox / OTHER_DISTRICT)
    return World(
        folder=folder,
        inbox=inbox,
        laptops=firsts,
        fingerprints={laptop.name: laptop.fingerprint for laptop in summary.laptops},
        kelurahan={laptop.name: laptop.kelurahan_name for laptop in summary.laptops},
    )


def copy_world(template: World, folder: Path) -> World:
    shutil.copytree(template.folder / "district", folder / "district")
    shutil.copytree(template.inbox, folder / "world" / "inbox")
    inbox = folder / "world" / "inbox"
    return World(
        folder=folder,
        inbox=inbox,
        laptops={name: inbox / path.name for name, path in template.laptops.items()},
        fingerprints=template.fingerprints,
        kelurahan=template.kelurahan,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_hostile_world(tmp_path_factory.mktemp("inbox-world"))


@pytest.fixture
def world(template: World, tmp_path: Path) -> World:
    return copy_world(template, tmp_path)


def _by_name(world: World, store: Store) -> dict[str, tuple[InboxStatus, str, str, str]]:
    return {
        row.entry.name: (row.status, row.reason, row.laptop, row.kelurahan)
        for row in statuses(store, scan(world.inbox))
    }


def test_scan_reads_each_kind_from_the_header_alone(world: World) -> None:
    entries = {e.name: e for e in scan(world.inbox)}
    kinds = {name: e.kind for name, e in entries.items()}
    for path in world.laptops.values():
        assert kinds[path.name] is EntryKind.BUNDLE
    assert kinds[TRUNCATED] is EntryKind.DAMAGED
    assert "cut short" in entries[TRUNCATED].problem
    assert kinds[FLIPPED] is EntryKind.BUNDLE  # a signature is checked when merging
    assert kinds[NOTES] is EntryKind.OTHER
    assert kinds[RECEIPT] is EntryKind.RECEIPT
    assert kinds[SETUP] is EntryKind.SETUP
    assert kinds[MARKUP] is EntryKind.BUNDLE
    assert entries[MARKUP].district_name == "[red]x[/red] [bold]Kota"  # kept as it is
    assert kinds[ESCAPES] is EntryKind.DAMAGED
    assert "district.name" in entries[ESCAPES].problem
    assert kinds[HOSTILE_NAME] is EntryKind.DAMAGED  # named .tpsb
    assert kinds[OVERSIZE] is EntryKind.DAMAGED
    assert "header is too large" in entries[OVERSIZE].problem
    assert kinds[PART] is EntryKind.PART
    bundle = entries[world.laptops["laptop-1"].name]
    assert bundle.seq_from == 1 and bundle.seq_to >= bundle.seq_from
    assert bundle.file_id and bundle.sender_id and bundle.created_at
    assert bundle.size == world.laptops["laptop-1"].stat().st_size
    # Bundles first (by laptop and first change), then the damaged, then the others.
    order = [e.kind for e in scan(world.inbox)]
    assert order == sorted(order, key=[EntryKind.BUNDLE, EntryKind.DAMAGED].__contains__,
                           reverse=True)  # fmt: skip


def test_scan_refuses_a_folder_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(FolderUnreadable) as caught:
        scan(tmp_path / "missing")
    assert "missing" in caught.value.message


def test_statuses_from_the_district_store(world: World) -> None:
    with Store.open(world.district_path, PASSPHRASE) as store:
        district.revoke(store, world.fingerprints["laptop-2"])
        shown = _by_name(world, store)
    one = shown[world.laptops["laptop-1"].name]
    assert one[0] is InboxStatus.NEW
    assert one[2] == "laptop-1"  # the operator of its rows, from the district's record
    assert one[3] == world.kelurahan["laptop-1"]
    assert shown[world.laptops["laptop-2"].name][0] is InboxStatus.REVOKED
    assert "revoked" in shown[world.laptops["laptop-2"].name][1]
    assert shown[world.laptops["laptop-4"].name][0] is InboxStatus.WAITING
    assert shown[OTHER_DISTRICT][0] is InboxStatus.OTHER_DISTRICT
    assert "35.07" in shown[OTHER_DISTRICT][1]
    assert shown[OTHER_DISTRICT][2] == ""  # a laptop the district does not know
    assert shown[MARKUP][0] is InboxStatus.NEW
    assert shown[RECEIPT][0] is InboxStatus.RECEIPT
    assert shown[SETUP][0] is InboxStatus.SETUP
    assert shown[NOTES][0] is InboxStatus.OTHER
    assert shown[PART][0] is InboxStatus.PART
    assert shown[OVERSIZE][0] is InboxStatus.DAMAGED


def test_statuses_ask_a_few_queries_for_many_files(world: World) -> None:
    from sqlalchemy import event

    entries = scan(world.inbox) * 200
    with Store.open(world.district_path, PASSPHRASE) as store:
        statuses(store, entries[:10])  # the district tables are checked once
        count = [0]
        engine = store._engine

        def counted(*_args: object) -> None:
            count[0] += 1

        event.listen(engine, "before_cursor_execute", counted)
        try:
            rows = statuses(store, entries)
        finally:
            event.remove(engine, "before_cursor_execute", counted)
    assert len(rows) == len(entries)
    assert count[0] <= 20


def test_merge_takes_the_good_bundles_and_refuses_the_hostile_ones(world: World) -> None:
    with Store.open(world.district_path, PASSPHRASE) as store:
        district.revoke(store, world.fingerprints["laptop-2"])
        rows = statuses(store, scan(world.inbox))
        with store.read() as session:
            devices_before = session.exec(select(func.count()).select_from(Device)).one()
            received_before = set(session.exec(select(ReceivedBundle.file_id)))
        chosen = [row.entry.path for row in rows if row.entry.mergeable]
        outcomes = merge_paths(store, chosen)
        after = _by_name(world, store)
        with store.read() as session:
            devices_after = session.exec(select(func.count()).select_from(Device)).one()
            received_after = {r.file_id: r.status for r in session.exec(select(ReceivedBundle))}
            waiting = set(session.exec(select(QuarantinedBundle.file_id)))
    by_file = {o.file: o for o in outcomes}
    merged = {name for name, o in by_file.items() if isinstance(o, ReceiveOutcome)}
    assert world.laptops["laptop-1"].name in merged
    assert world.laptops["laptop-3"].name in merged
    refused = {name: o.message for name, o in by_file.items() if isinstance(o, ReceiveFailure)}
    assert set(refused) == {
        TRUNCATED, FLIPPED, MARKUP, ESCAPES, HOSTILE_NAME, OVERSIZE, OTHER_DISTRICT,
        world.laptops["laptop-2"].name,
    }  # fmt: skip
    assert "revoked" in refused[world.laptops["laptop-2"].name]
    assert "signature" in refused[FLIPPED]
    assert devices_after == devices_before  # no laptop registered from a hostile file
    new = sorted(status for file_id, status in received_after.items()
                 if file_id not in received_before)  # fmt: skip
    assert new == ["merged", "merged", "quarantined"]  # laptop 1 and 3; laptop 4's waits
    assert by_file[world.laptops["laptop-4"].name].status == "quarantined"
    assert len(waiting) == 2
    assert after[world.laptops["laptop-1"].name][0] is InboxStatus.MERGED
    assert after[world.laptops["laptop-4"].name][0] is InboxStatus.WAITING
    assert after[FLIPPED][0] is InboxStatus.MERGED  # the same file id as laptop 1's


def test_summary_line_counts_each_status(world: World) -> None:
    with Store.open(world.district_path, PASSPHRASE) as store:
        line = summary_line(statuses(store, scan(world.inbox)))
    assert line == (
        "15 files: 5 new, 1 waiting approval, 1 other district, 4 damaged, 4 not bundles"
    )


def test_bundle_files_keeps_the_cli_rules(world: World) -> None:
    bundles, skipped = bundle_files([world.inbox])
    names = [p.name for p in bundles]
    assert {NOTES, RECEIPT, SETUP, PART} == {name for name, _why in skipped}
    assert TRUNCATED in names and OVERSIZE in names and HOSTILE_NAME in names


def test_a_bundle_refused_before_says_why(world: World) -> None:
    from tpsdesk.sync.inbox import read_entry

    path = world.laptops["laptop-1"]
    entry = read_entry(path, path.stat().st_size, path.stat().st_mtime)
    with Store.open(world.district_path, PASSPHRASE) as store:
        with store.transaction() as session:
            session.add(
                ReceivedBundle(
                    file_id=entry.file_id, device_id=entry.sender_id, seq_from=1, seq_to=2,
                    status="refused", reason="area",
                )
            )  # fmt: skip
        shown = _by_name(world, store)
    assert shown[path.name][0] is InboxStatus.REFUSED
    assert "another area" in shown[path.name][1]


def test_outcome_lines_for_each_kind_of_outcome() -> None:
    from tpsdesk.sync.inbox import OutcomeKind, outcome_lines, report_title
    from tpsdesk.sync.merge import MergeReport, RowRef
    from tpsdesk.sync.row_checks import Rejection, RowProblem

    rejected = tuple(
        Rejection(n, "officer", f"r{n}", (RowProblem("nik", "nik.length", f"NIK {n} too short"),))
        for n in range(7)
    )
    partly = MergeReport("f", "d", 1, 9, "merged", accepted=(RowRef("officer", "a"),),
                         rejected=rejected, gaps=((3, 4),))  # fmt: skip
    whole = MergeReport("g", "d", 1, 9, "refused", reason="area")
    again = MergeReport("h", "d", 1, 9, "merged", replay=True)
    lines = [
        outcome_lines(ReceiveOutcome("a.tpsb", "merged", "d", "", partly)),
        outcome_lines(ReceiveOutcome("b.tpsb", "refused", "d", "", whole)),
        outcome_lines(ReceiveOutcome("c.tpsb", "merged", "d", "", again)),
        outcome_lines(ReceiveOutcome("d.tpsb", "already_quarantined", "d", "12345 67890")),
        outcome_lines(ReceiveFailure("e.tpsb", "e.tpsb: damaged", "malformed")),
    ]
    kinds = [line.kind for line in lines]
    assert kinds == [
        OutcomeKind.MERGED_WITH_REFUSALS, OutcomeKind.REFUSED, OutcomeKind.MERGED_BEFORE,
        OutcomeKind.WAITING, OutcomeKind.REFUSED,
    ]  # fmt: skip
    details = lines[0].details
    assert "7 rows were refused" in details[1]
    assert details[2:7] == tuple(f"row {n + 1}: NIK {n} too short" for n in range(5))
    assert "changes 3–4" in details[-1]
    assert "another area" in lines[1].details[0]
    assert "12345 67890" in lines[3].details[0]
    assert lines[4].details == ("e.tpsb: damaged",)
    assert report_title(lines) == (
        "Merge report: 1 merged with refused rows, 1 merged before, 2 refused, 1 waiting approval"
    )
