"""Findings tab of the district desk (issue 9, point 4): 10,000 open findings page in ≤ 100 ms.

    uv run python benchmarks/desk_findings.py

A district store (real, encrypted, tiny Argon2id parameters) with the sample world's area
(5 kecamatan, 24 kelurahan), 20,000 officers placed on its TPS and 10,000 open "likely the same
person" findings, each about two of them (the worst case: every finding of one kind), plus 500
of each other officer kind. Timed, median of 5 runs each, with `finding_view` as the pane calls
it: the first page (counts per kind and the page of 100 with its people and places), the next
page, the last page, a page filtered by kecamatan and one by kelurahan; and, in a Textual pilot
run of the app at 80×24, the pane's whole reload of a page (worker, service, filling the
DataTable) and filling the DataTable alone; and a bulk keep-both, per marked finding (each
one decision in a saved transaction, as the pane's worker makes them).

`measure()` returns (label, median seconds, target seconds) for the lead's runner.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.problems import Sex
from tpsdesk.exchange.demo_world import DISTRICT_CODE, DISTRICT_NAME, world_area_rows
from tpsdesk.store.areas import apply_area_rows
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer, Tps
from tpsdesk.store.vault import KdfParams
from tpsdesk.sync import finding_view as view
from tpsdesk.sync.district_models import Finding, FindingKind, ensure_district_tables
from tpsdesk.sync.identity import set_district_settings

PASSPHRASE = "benchmark passphrase that is long"
KDF = KdfParams(iterations=1, memory_kib=8, lanes=1)
FINDINGS = 10_000
OTHERS = 500
TARGET = 0.100
RUNS = 5


def build(path: Path) -> dict[str, str]:
    """The store; returns a kecamatan and a kelurahan to filter by."""
    store, _key = Store.create(path, PASSPHRASE, role="district", operator="Bu Ani", kdf=KDF)
    try:
        ensure_district_tables(store)
        set_district_settings(store, name=DISTRICT_NAME, code=DISTRICT_CODE)
        apply_area_rows(store, world_area_rows())
        rng = random.Random(9)
        with store.read() as session:
            places = [(i, k) for i, k in session.exec(select(Tps.id, Tps.kelurahan_code))]
        start = datetime(2026, 11, 1, tzinfo=UTC)
        with store.transaction() as session:
            officers: list[tuple[str, str]] = []
            for n in range(2 * FINDINGS + 2 * 3 * OTHERS):
                tps_id, kelurahan = places[n // 2 % len(places)]
                born = date(1960, 1, 1) + timedelta(days=rng.randrange(15000))
                sex = rng.choice((Sex.MALE, Sex.FEMALE))
                officer = Officer(
                    nik=synthetic_nik(rng, region=kelurahan[:8], birth_date=born, sex=sex),
                    name=f"Warga Contoh {n // 2}",
                    birth_place="Malang",
                    birth_date=born,
                    sex=sex.value,
                    address=f"Jl. Mawar {n}",
                    post_code="kpps_anggota",
                    tps_id=tps_id,
                    kecamatan_code=kelurahan[:8],
                )
                session.add(officer)
                officers.append((officer.id, kelurahan))
            kinds = (
                [FindingKind.LIKELY_DUPLICATE.value] * FINDINGS
                + [FindingKind.DUPLICATE_NIK.value] * OTHERS
                + [FindingKind.CONFLICT.value] * OTHERS
                + [FindingKind.DUPLICATE_TPS.value] * OTHERS
            )
            for n, kind in enumerate(kinds):
                (first, area), (second, _area) = officers[2 * n], officers[2 * n + 1]
                rows = [first] if kind == FindingKind.CONFLICT.value else sorted([first, second])
                table = "tps" if kind == FindingKind.DUPLICATE_TPS.value else "officer"
                if table == "tps":
                    rows = [places[n % len(places)][0]]
                session.add(
                    Finding(
                        id=f"{n:024x}",
                        key=f"{kind}:{n}",
                        kind=kind,
                        table_name=table,
                        row_ids=json.dumps(rows),
                        details=json.dumps({"rows": rows}),
                        created_at=start + timedelta(seconds=37 * n),
                        area_code=area,
                    )
                )
        kelurahan = places[0][1]
        return {"kecamatan": kelurahan[:8], "kelurahan": kelurahan}
    finally:
        store.close()


def median(call: Callable[[], Any]) -> float:
    call()  # warm the caches as a clerk's second look would
    times = []
    for _run in range(RUNS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def first_page(store: Store, kecamatan: str | None = None, kelurahan: str | None = None) -> None:
    view.counts(store, kecamatan=kecamatan, kelurahan=kelurahan)
    view.page(
        store, kind=FindingKind.LIKELY_DUPLICATE.value, kecamatan=kecamatan, kelurahan=kelurahan
    )


def service(path: Path, place: dict[str, str]) -> list[tuple[str, float, float]]:
    store = Store.open(path, PASSPHRASE)
    kind = FindingKind.LIKELY_DUPLICATE.value
    try:
        total = view.page(store, kind=kind).total
        assert total == FINDINGS, total
        return [
            ("first page of 10,000 (counts + 100 rows)", median(lambda: first_page(store)),
             TARGET),
            ("next page", median(lambda: view.page(store, kind=kind, offset=100)), TARGET),
            ("last page", median(lambda: view.page(store, kind=kind, offset=FINDINGS - 100)),
             TARGET),
            ("filtered by kecamatan (counts + page)",
             median(lambda: first_page(store, kecamatan=place["kecamatan"])), TARGET),
            ("filtered by kelurahan (counts + page)",
             median(lambda: first_page(store, kelurahan=place["kelurahan"])), TARGET),
        ]  # fmt: skip
    finally:
        store.close()


def rendering(path: Path) -> list[tuple[str, float, float]]:
    """The pane in a pilot run: a page's whole reload, and filling the DataTable."""
    from textual.widgets import Input

    from tpsdesk.ui.app import build_app
    from tpsdesk.ui.district.findings import FindingsPane

    app = build_app(path, language="id", kdf=KDF)
    app.animation_level = "none"
    out: list[tuple[str, float, float]] = []

    async def wait(pilot: Any) -> None:
        for _round in range(50):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return
            await app.workers.wait_for_complete()

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait(pilot)
            app.screen.query_one("#passphrase", Input).value = PASSPHRASE
            await pilot.press("enter")
            await wait(pilot)
            await pilot.press("f5")
            await wait(pilot)
            pane = app.screen.query_one(FindingsPane)
            pane.choose_kind(FindingKind.LIKELY_DUPLICATE.value)
            await wait(pilot)
            assert pane.total == FINDINGS and len(pane.rows) == 100
            reloads = []
            for step in (1, 1, -1, 1, -1, 1):
                # What [ or ] starts: the worker reading the page in a thread, then filling
                # the table (painting the screen afterwards is Textual's, not timed).
                started = time.perf_counter()
                pane.start += step * view.PAGE
                await pane._load(False).wait()
                reloads.append(time.perf_counter() - started)
                await wait(pilot)
            out.append(("pane: [ ] page reload (worker + table)",
                        statistics.median(reloads), TARGET))  # fmt: skip
            draws = []
            for _run in range(RUNS):
                started = time.perf_counter()
                pane.draw()
                draws.append(time.perf_counter() - started)
            out.append(("pane: filling the DataTable (100 rows)", statistics.median(draws),
                        0.050))  # fmt: skip
        app.close_store()

    asyncio.run(run())
    return out


def bulk(path: Path) -> list[tuple[str, float, float]]:
    """Keep-both of marked likely duplicates: one decision (a saved transaction) each."""
    from tpsdesk.sync import district

    store = Store.open(path, PASSPHRASE)
    try:
        times = []
        for n in range(20):
            started = time.perf_counter()
            district.resolve_finding(store, f"{n:024x}", district.Decision.KEEP_BOTH)
            times.append(time.perf_counter() - started)
    finally:
        store.close()
    return [("bulk keep-both, one marked finding", statistics.median(times), TARGET)]


def measure() -> list[tuple[str, float, float]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "district" / "tpsdesk.store"
        place = build(path)
        return service(path, place) + rendering(path) + bulk(path)


if __name__ == "__main__":
    for label, seconds, target in measure():
        verdict = "ok" if seconds <= target else "OVER"
        print(f"{label:48} {seconds * 1000:8.1f} ms  (target {target * 1000:.0f} ms) {verdict}")
    sys.exit(0)
