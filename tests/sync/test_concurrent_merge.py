"""Several clerks merging at once into a district store on PostgreSQL (issue 11 point 5):
four processes, each opening the keyring and merging its bundles, one bundle given to two of
them, give the result one after another would (compared with the same bundles merged
serially into a SQLite district); the bundle given twice merges once; findings are not
duplicated."""

from __future__ import annotations

import multiprocessing
import queue
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from tests.factories import FAST_KDF
from tests.sync.merge_worker import merge_files

from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync import district
from tpsdesk.sync.district_models import (
    Finding,
    ReceivedBundle,
    RowVersion,
    ensure_district_tables,
)
from tpsdesk.sync.identity import set_district_settings
from tpsdesk.sync.merge import IncomingBundle, merge_bundle

from .conftest import (
    M_KEL_A,
    MERGE_PASSPHRASE,
    issue_setup,
    load_area,
    make_bundle,
    officer_row,
    valid_nik,
)

LAPTOPS = 4
ROWS_PER_BUNDLE = 24


def _laptop(index: int) -> tuple[str, bytes]:
    return f"{index + 1:032x}", random.Random(index).randbytes(32)


def _district(path: Path, database_url: str | None) -> tuple[Store, dict[str, str]]:
    store, _recovery = Store.create(
        path, MERGE_PASSPHRASE, role="district", kdf=FAST_KDF, database_url=database_url
    )
    ensure_district_tables(store)
    set_district_settings(store, name="Kota Malang", code="35.73")
    tps = load_area(store)
    for index in range(LAPTOPS):
        device_id, key = _laptop(index)
        device = district.register_pending(
            store,
            device_id=device_id,
            signing_key=key,
            area=M_KEL_A,
            setup_id=issue_setup(store, M_KEL_A),
        )
        district.approve(store, device.fingerprint)
    return store, tps


def _bundles(tps: dict[str, str]) -> list[IncomingBundle]:
    """One bundle per laptop, each with its own officers; a NIK and a person (name and birth
    date) shared across laptops, so that every merge refreshes the same findings."""
    shared_nik = valid_nik(date(1990, 1, 1), serial=7001)
    out = []
    for index in range(LAPTOPS):
        device_id, key = _laptop(index)
        rows: list[dict[str, Any]] = []
        for n in range(ROWS_PER_BUNDLE):
            counter = n + 1
            row_id = f"{index:08d}-0000-4000-8000-{n:012d}"
            if n == 0:
                nik, name, born = shared_nik, f"SITI {'ABCD'[index]}", date(1990, 1, 1)
            elif n == 1:
                born = date(1985, 3, 14)
                nik, name = valid_nik(born, serial=7100 + index), "Désy Ràhma"
            else:
                born = date(1980, 1, 1 + n)  # n < 31
                nik = valid_nik(born, serial=7200 + index * 10 + n)
                name = f"PETUGAS {'ABCD'[index]} {chr(65 + n)}"
            rows.append(
                officer_row(
                    device=device_id,
                    counter=counter,
                    seq=counter,
                    tps_id=tps["a1" if n % 2 else "a2"],
                    row_id=row_id,
                    nik=nik,
                    name=name if index % 2 else name.upper(),
                    birth=born,
                )
            )
        out.append(make_bundle(device_id, key, rows, file_id=f"file-{index}"))
    return out


def _result(store: Store) -> dict[str, Any]:
    with store.read() as session:
        return {
            "officers": sorted(
                (o.id, o.nik, o.name, o.version_device, o.version_counter, o.deleted, o.status)
                for o in session.exec(select(Officer))
            ),
            "versions": sorted(
                (v.row_id, v.device, v.counter) for v in session.exec(select(RowVersion))
            ),
            "findings": sorted(
                (f.id, f.kind, f.status, f.row_ids) for f in session.exec(select(Finding))
            ),
            "bundles": sorted((b.file_id, b.status) for b in session.exec(select(ReceivedBundle))),
        }


@pytest.mark.postgres
@pytest.mark.slow
def test_four_clerks_merging_at_once_give_the_serial_result(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The spawned processes import tests.sync.merge_worker, with this process's sys.path.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    serial, serial_tps = _district(tmp_path / "serial" / "d.store", None)
    try:
        for bundle in _bundles(serial_tps):
            report = merge_bundle(serial, bundle)
            assert report.merged and not report.rejected
        expected = _result(serial)
    finally:
        serial.close()
    assert any(kind == "duplicate_nik" for _id, kind, *_rest in expected["findings"])
    assert any(kind == "likely_duplicate" for _id, kind, *_rest in expected["findings"])

    keyring = tmp_path / "pg" / "district.tpsdesk"
    store, tps = _district(keyring, postgres_url)
    store.close()
    bundles = _bundles(tps)
    # Each clerk its own bundle; clerk 3 also gets clerk 0's (the same file twice at once).
    shares = [[bundles[0]], [bundles[1]], [bundles[2]], [bundles[3], bundles[0]]]
    context = multiprocessing.get_context("spawn")
    # Every clerk opens the keyring, then all start merging at the same moment.
    start = context.Barrier(len(shares))
    out = context.Queue()
    workers = [
        context.Process(
            target=merge_files, args=(str(keyring), MERGE_PASSPHRASE, share, start, out)
        )
        for share in shares
    ]
    for worker in workers:
        worker.start()
    answers = []
    for _wait in range(120):  # 10 minutes at most, on a loaded machine
        if len(answers) == len(workers):
            break
        try:
            answers.append(out.get(timeout=5))
        except queue.Empty:
            # A process that died without answering (it could not even start) fails the
            # test; one that answered and ended, while others still merge, is fine.
            crashed = [w.exitcode for w in workers if not w.is_alive() and w.exitcode != 0]
            assert not crashed, f"a clerk died (exit codes {crashed})"
    assert len(answers) == len(workers), "the clerks did not all finish"
    for worker in workers:
        worker.join(60)
    errors = [detail for status, detail in answers if status != "ok"]
    assert not errors
    merged_first = [
        (file_id, replay)
        for _status, results in answers
        for file_id, merged, replay in results
        if file_id == "file-0"
    ]
    assert sorted(replay for _file, replay in merged_first) == [False, True]  # merged once

    with Store.open(keyring, MERGE_PASSPHRASE) as store:
        got = _result(store)
    assert got["officers"] == expected["officers"]
    assert got["versions"] == expected["versions"]
    assert got["bundles"] == expected["bundles"]
    assert got["findings"] == expected["findings"]


@pytest.mark.postgres
def test_reading_is_not_blocked_while_a_clerk_merges(tmp_path: Path, postgres_url: str) -> None:
    """One clerk's merge holds the merge lock (its transaction open); another clerk's desk
    still reads the district: officers, findings, coverage."""
    import threading

    from tpsdesk.sync.coverage import read_coverage
    from tpsdesk.sync.merge import _one_merge_at_a_time

    keyring = tmp_path / "district.tpsdesk"
    store, tps = _district(keyring, postgres_url)
    merging, desk = store, Store.open(keyring, MERGE_PASSPHRASE)
    first = _bundles(tps)[0]
    holding, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def merge_and_wait() -> None:
        try:
            with merging.transaction() as session:
                assert _one_merge_at_a_time(session, first) is None  # the lock is held
                holding.set()
                release.wait(60)
        except BaseException as exc:
            failures.append(exc)
            holding.set()

    thread = threading.Thread(target=merge_and_wait)
    thread.start()
    try:
        assert holding.wait(60)
        read: list[object] = []
        reader = threading.Thread(target=lambda: read.append((_result(desk), read_coverage(desk))))
        reader.start()
        reader.join(60)  # a blocked read would still be waiting for the merge's lock
        assert read, "the desk's reads waited for the merge"
    finally:
        release.set()
        thread.join(60)
        desk.close()
        merging.close()
    assert not failures
