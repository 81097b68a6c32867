"""Scale benchmarks of issue 11; results go to benchmarks/RESULTS-scale.md.

    uv run python benchmarks/scale.py sqlite            100 bundles × 1,000 officers, 3 runs
    uv run python benchmarks/scale.py sqlite --quick    20 bundles × 1,000 officers, 1 run
    uv run python benchmarks/scale.py sqlite --profile  also cProfile one run (top functions)

SQLite line (written here): the district merge engine (`merge.merge_bundle`) on 100 bundles of
1,000 new officers each, against one `executemany` of the same 100,000 officer rows into a
plain in-memory SQLite table (the officer columns, id as primary key, no other index), measured
side by side in the same run, median of 3 each.

The district (code 35.73, 5 kecamatan × 20 kelurahan × 110 TPS, as benchmarks/sync.py makes it)
is a real encrypted store with tiny Argon2id parameters. Each bundle comes from its own approved
laptop (one per kelurahan) and holds 1,000 synthetic officers placed at that kelurahan's TPS
(names drawn from a small list, so that some likely duplicates turn up as in real data). The
bundles are built directly as the merge engine receives them (`IncomingBundle`, as
`bundle.receive_bundle` hands them over after verifying, decrypting and decoding); their rows
are checked beforehand (`check_bundle_rows`), as `sync/prefetch.py` does in a second process
while the merge runs, so the merge line is the merge engine itself: staging, SQL, lineage,
findings, report, commit. The check is timed separately. Each run starts from the same saved
district store; the store is saved once at the end (`Store.saving_once`), that save included.

The PostgreSQL line of issue 11 is added by the lead (see RESULTS-scale.md).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS-scale.md"
SQLITE_BEGIN = "<!-- sqlite: written by scale.py sqlite -->"
SQLITE_END = "<!-- /sqlite -->"
PASSPHRASE = "benchmark passphrase that is long"
OFFICERS_PER_BUNDLE = 1_000
GOAL_RATIO = 3.0

FIRST_NAMES = ["BUDI", "SITI", "AGUS", "SRI", "DEWI", "EKO", "RINA", "ADI", "NUR", "YUDI"]
MIDDLE = ["", "PUTRA ", "DWI ", "TRI ", "AYU "]
FAMILY = ["SANTOSO", "WAHYUNI", "SETIAWAN", "LESTARI", "PRASETYO", "RAHAYU", "HIDAYAT",
          "KURNIAWAN", "SUSANTI", "WIJAYA", "SAPUTRA", "HANDAYANI"]  # fmt: skip


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"tpsdesk_bench_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# -- the world -------------------------------------------------------------------------------


def officer_wire(
    rng: random.Random, *, device: str, counter: int, seq: int, tps_id: str, kelurahan: str
) -> dict[str, Any]:
    """A new officer (a KPPS member at a TPS) as a bundle row, valid."""
    from tpsdesk.domain.nik import synthetic_nik
    from tpsdesk.domain.problems import Sex
    from tpsdesk.store.models import Officer
    from tpsdesk.sync.changes import row_to_wire

    male = rng.random() < 0.6
    born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 365 * 40))
    kecamatan = kelurahan.rsplit(".", 1)[0]
    officer = Officer(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        version_device=device,
        version_counter=counter,
        updated_at=datetime(2024, 10, 1, 8, 0, tzinfo=UTC),
        updated_by="Bu Sri",
        nik=synthetic_nik(
            rng, region=kecamatan, birth_date=born, sex=Sex.MALE if male else Sex.FEMALE
        ),
        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(MIDDLE)}{rng.choice(FAMILY)}",
        birth_place="MALANG",
        birth_date=born,
        sex="L" if male else "P",
        address=f"Jl. Mawar No. {rng.randint(1, 150)}",
        postcode="65141",
        phone="0812" + "".join(str(rng.randint(0, 9)) for _ in range(8)),
        post_code="kpps_anggota",
        tps_id=tps_id,
        kelurahan_code=kelurahan,
        kecamatan_code=kecamatan,
        duty_start=date(2024, 11, 7),
        duty_end=date(2024, 12, 8),
        status="ready",
    )
    return row_to_wire(officer, seq)


def prepare(folder: Path, bundles: int, kdf: Any) -> tuple[Path, list[Any], list[tuple[Any, ...]]]:
    """The saved district store, the bundles (IncomingBundle) and their officer rows as
    tuples in the officer model's column order (for the baseline)."""
    from sqlmodel import select

    from tpsdesk.store.models import Tps
    from tpsdesk.store.versioning import get_meta, set_meta
    from tpsdesk.sync import district as district_module
    from tpsdesk.sync.merge import IncomingBundle
    from tpsdesk.sync.setup import META_SETUP_ISSUED

    sync_bench = _load("sync")
    path = folder / "district" / "d.store"
    path.parent.mkdir()
    store = sync_bench.make_district(path, kdf)
    out: list[Any] = []
    try:
        with store.read() as session:
            places: dict[str, list[str]] = {}
            for tps_id, kelurahan in session.exec(select(Tps.id, Tps.kelurahan_code)):
                places.setdefault(kelurahan, []).append(tps_id)
        for index, area in enumerate(sync_bench.kelurahan_codes()[:bundles]):
            rng = random.Random(index + 1)
            device_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
            key = rng.randbytes(32)
            setup_id = str(uuid.uuid4())
            with store.transaction() as session:
                issued = dict(get_meta(session, META_SETUP_ISSUED, {}) or {})
                issued[setup_id] = {"version": len(issued) + 1, "area": area, "target": "all",
                                    "created_at": "2024-10-01T00:00:00+00:00",
                                    "expires_at": "2025-10-01T00:00:00+00:00"}  # fmt: skip
                set_meta(session, META_SETUP_ISSUED, issued)
            device = district_module.register_pending(
                store, device_id=device_id, signing_key=key, area=area, setup_id=setup_id
            )
            district_module.approve(store, device.fingerprint)
            tps = sorted(places[area])
            rows = [
                officer_wire(
                    rng,
                    device=device_id,
                    counter=n + 1,
                    seq=n + 1,
                    tps_id=tps[n % len(tps)],
                    kelurahan=area,
                )
                for n in range(OFFICERS_PER_BUNDLE)
            ]
            out.append(IncomingBundle(str(uuid.uuid4()), device_id, key, area, 1, len(rows), rows))
    finally:
        store.close()
    return path, out, sync_bench.officer_tuples([r for b in out for r in b.rows])


# -- measurements ----------------------------------------------------------------------------


def check_all(store: Any, bundles: list[Any], today: date) -> tuple[list[Any], float]:
    from tpsdesk.sync.district_models import Device
    from tpsdesk.sync.row_checks import check_bundle_rows

    begin = time.perf_counter()
    checked = []
    with store.read() as session:
        areas = {b.sender_id: session.get(Device, b.sender_id).area_code for b in bundles}
    for bundle in bundles:
        checked.append(check_bundle_rows(bundle.area, bundle.rows, area=areas[bundle.sender_id],
                                         catalogue=store.catalogue, today=today))  # fmt: skip
    return checked, time.perf_counter() - begin


def edit_bundles(bundles: list[Any]) -> list[Any]:
    """Each laptop's second bundle: an edit of every officer of its first (another address),
    each based on the version the first sent — 1,000 fast-forwards a bundle."""
    from tpsdesk.sync.merge import IncomingBundle

    out = []
    for bundle in bundles:
        rows = []
        for row in bundle.rows:
            values = dict(row["values"])
            counter = values["version_counter"]
            values.update(version_counter=counter + OFFICERS_PER_BUNDLE,
                          base_device=values["version_device"], base_counter=counter,
                          address=values["address"] + " A")  # fmt: skip
            rows.append({"table": "officer", "seq": counter + OFFICERS_PER_BUNDLE,
                         "values": values})  # fmt: skip
        out.append(IncomingBundle(str(uuid.uuid4()), bundle.sender_id, bundle.sender_key,
                                  bundle.area, OFFICERS_PER_BUNDLE + 1,
                                  2 * OFFICERS_PER_BUNDLE, rows))  # fmt: skip
    return out


def merge_once(
    path: Path,
    pristine: bytes,
    bundles: list[Any],
    profile: bool = False,
    edits: list[Any] | None = None,
) -> dict[str, Any]:
    from tpsdesk.store.db import Store
    from tpsdesk.store.officers import count_officers
    from tpsdesk.sync.merge import merge_bundle
    from tpsdesk.sync.prefetch import paused_gc

    path.write_bytes(pristine)
    for stale in path.parent.glob(path.name + ".*"):
        if stale.is_file():
            stale.unlink()
    today = date(2024, 10, 15)
    store = Store.open(path, PASSPHRASE)
    try:
        checked, check_time = check_all(store, bundles, today)
        profiler = cProfile.Profile() if profile else None
        reports = []
        begin, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        with store.saving_once():
            for bundle, rows in zip(bundles, checked, strict=True):
                # As `bundle.receive_bundle` merges: the cyclic GC paused for each bundle.
                with paused_gc():
                    reports.append(merge_bundle(store, bundle, today=today, checked=rows))
        total, cpu = time.perf_counter() - begin, time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
        officers = count_officers(store)
        edit_time = edit_cpu = 0.0
        if edits is not None:
            # Then every officer edited once (fast-forwards), timed on its own.
            checked, _check = check_all(store, edits, today)
            begin, edit_cpu = time.perf_counter(), time.process_time()
            with store.saving_once():
                for bundle, rows in zip(edits, checked, strict=True):
                    with paused_gc():
                        report = merge_bundle(store, bundle, today=today, checked=rows)
                    if len(report.accepted) != len(bundle.rows):
                        raise RuntimeError(report.summary())
            edit_time = time.perf_counter() - begin
            edit_cpu = time.process_time() - edit_cpu
    finally:
        store.close()
    for report in reports:
        if not report.merged or report.rejected:
            raise RuntimeError(report.summary())
    result: dict[str, Any] = {
        "time": total,
        "cpu": cpu,
        "check": check_time,
        "officers": officers,
        "accepted": sum(len(r.accepted) for r in reports),
        "duplicates": sum(len(r.duplicates) for r in reports),
        "store_mb": path.stat().st_size / 1e6,
        "edit_time": edit_time,
        "edit_cpu": edit_cpu,
    }
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(45)
        result["profile"] = text.getvalue()
    return result


def executemany_once(tuples: list[tuple[Any, ...]]) -> tuple[float, float]:
    from tpsdesk.store.models import Officer

    columns = list(Officer.model_fields)
    create = "CREATE TABLE officer ({})".format(
        ", ".join(f"{c} PRIMARY KEY" if c == "id" else c for c in columns)
    )
    insert = "INSERT INTO officer ({}) VALUES ({})".format(
        ", ".join(columns), ", ".join("?" * len(columns))
    )
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(create)
        begin, cpu = time.perf_counter(), time.process_time()
        with conn:
            conn.executemany(insert, tuples)
        elapsed, cpu = time.perf_counter() - begin, time.process_time() - cpu
        assert conn.execute("SELECT count(*) FROM officer").fetchone()[0] == len(tuples)
    finally:
        conn.close()
    return elapsed, cpu


class _Undo(Exception):
    """Rolls the floor measurement's transaction back."""


def floor_once(path: Path, pristine: bytes, bundles: list[Any]) -> tuple[float, float]:
    """The writes any merge of these bundles must make, and nothing else: each bundle's
    officers into the district's officer table (its indexes, its deferred foreign keys) and
    their versions into sync_row_version, one `executemany` each (`store.bulk.insert_rows`),
    values typed as the row checks give them; one transaction a bundle, rolled back."""
    from tpsdesk.store.bulk import insert_rows
    from tpsdesk.store.db import Store
    from tpsdesk.sync.lineage import canonical
    from tpsdesk.sync.row_checks import typed_values

    path.write_bytes(pristine)
    store = Store.open(path, PASSPHRASE)
    try:
        prepared = []
        for bundle in bundles:
            officers, versions = [], []
            for row in bundle.rows:
                values = typed_values("officer", row["values"])
                values.update(status="sent", status_reason="", bpjs_number=None)
                officers.append(values)
                versions.append({
                    "table_name": "officer", "row_id": values["id"],
                    "device": values["version_device"], "counter": values["version_counter"],
                    "base_device": None, "base_counter": None, "deleted": False,
                    "values": canonical(row["values"]), "history": "{}",
                    "file_id": bundle.file_id, "sender_id": bundle.sender_id,
                    "superseded": False, "received_at": values["updated_at"],
                })  # fmt: skip
            officers.sort(key=lambda v: v["id"])
            versions.sort(key=lambda v: v["row_id"])
            prepared.append((officers, versions))
        begin, cpu = time.perf_counter(), time.process_time()
        try:
            with store.transaction() as session:
                for officers, versions in prepared:
                    insert_rows(session, "officer", officers)
                    insert_rows(session, "sync_row_version", versions)
                elapsed, cpu = time.perf_counter() - begin, time.process_time() - cpu
                raise _Undo
        except _Undo:
            pass
    finally:
        store.close()
    return elapsed, cpu


def bench_sqlite(bundles: int, runs: int, profile: bool) -> dict[str, Any]:
    run_module = _load("run")
    kdf = run_module._fast_kdf()
    with tempfile.TemporaryDirectory(prefix="tpsdesk-bench-scale-") as tmp:
        start = time.perf_counter()
        path, incoming, tuples = prepare(Path(tmp), bundles, kdf)
        print(f"district and {bundles} bundles ready in {time.perf_counter() - start:.0f} s")
        pristine = path.read_bytes()
        edits = edit_bundles(incoming)
        merges: list[dict[str, Any]] = []
        baselines: list[tuple[float, float]] = []
        floors: list[tuple[float, float]] = []
        for run in range(runs):
            floors.append(floor_once(path, pristine, incoming))
            # Side by side: each merge run between two baseline runs, under the same load.
            baselines.append(executemany_once(tuples))
            merges.append(merge_once(path, pristine, incoming, edits=edits))
            baselines.append(executemany_once(tuples))
            print(f"  floor {floors[-1][0]:.2f} s (CPU {floors[-1][1]:.2f} s)")
            print(f"  edits {merges[-1]['edit_time']:.2f} s (CPU {merges[-1]['edit_cpu']:.2f} s)")
            print(f"  run {run + 1}: merge {merges[-1]['time']:.2f} s "
                  f"(CPU {merges[-1]['cpu']:.2f} s), executemany "
                  f"{baselines[-2][0] * 1000:.0f}/{baselines[-1][0] * 1000:.0f} ms")  # fmt: skip
        profiled = merge_once(path, pristine, incoming, profile=True) if profile else None
    times = [m["time"] for m in merges]
    cpus = [m["cpu"] for m in merges]
    merge_median = statistics.median(times)
    baseline_median = statistics.median(b[0] for b in baselines)
    baseline_cpu = statistics.median(b[1] for b in baselines)
    return {
        "machine": run_module.machine(),
        "bundles": bundles,
        "runs": runs,
        "merge": merge_median,
        "merges": times,
        "merge_cpu": statistics.median(cpus),
        "merge_cpus": cpus,
        "checks": [m["check"] for m in merges],
        "baseline": baseline_median,
        "baselines": [b[0] for b in baselines],
        "baseline_cpu": baseline_cpu,
        "baseline_cpus": [b[1] for b in baselines],
        "ratio": merge_median / baseline_median,
        "ratio_cpu": statistics.median(cpus) / baseline_cpu,
        "floor": statistics.median(f[0] for f in floors),
        "floor_cpu": statistics.median(f[1] for f in floors),
        "floors": floors,
        "edit": statistics.median(m["edit_time"] for m in merges),
        "edit_cpu": statistics.median(m["edit_cpu"] for m in merges),
        "summary": merges[0],
        "pristine_mb": len(pristine) / 1e6,
        "profile": profiled["profile"] if profiled else None,
    }


def sqlite_section(r: dict[str, Any], load: str) -> str:
    bundles, rows = r["bundles"], r["bundles"] * OFFICERS_PER_BUNDLE
    s = r["summary"]
    verdict = "ok" if r["ratio"] <= GOAL_RATIO else "**missed**"
    lines = [
        SQLITE_BEGIN,
        "## SQLite",
        "",
        f"Recorded {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with "
        f"`uv run python benchmarks/scale.py sqlite{'' if bundles == 100 else ' --quick'}`; "
        f"median of {r['runs']} run{'s' * (r['runs'] > 1)} each, merge and baseline runs "
        "alternating. What is measured is in the script's docstring. Machine load: "
        f"{load}.",
        "",
        "| measurement | result | goal |",
        "|---|---|---|",
        f"| merge {bundles} bundles × {OFFICERS_PER_BUNDLE:,} officers (`merge_bundle` each, "
        f"rows checked beforehand; one save at the end) | {r['merge']:.2f} s "
        f"({r['merge'] / bundles * 1000:.0f} ms a bundle) | |",
        f"| the same {rows:,} officer rows with `executemany` into a plain in-memory SQLite "
        f"table, one transaction | {r['baseline'] * 1000:.0f} ms | |",
        f"| ratio merge / `executemany` (wall clock) | {r['ratio']:.1f}× | ≤ {GOAL_RATIO:.0f}× "
        f"{verdict} |",
        f"| the same in CPU time of the process (merge {r['merge_cpu']:.2f} s, `executemany` "
        f"{r['baseline_cpu'] * 1000:.0f} ms): less sensitive to the other agents' load | "
        f"{r['ratio_cpu']:.1f}× | |",
        f"| the writes any merge must make, alone: the same officers into the district's "
        f"officer table (six indexes) and their versions into `sync_row_version`, one "
        f"`executemany` each a bundle | {r['floor']:.2f} s (CPU {r['floor_cpu']:.2f} s): "
        f"{r['floor'] / r['baseline']:.1f}× (CPU {r['floor_cpu'] / r['baseline_cpu']:.1f}×) | |",
        f"| then every officer edited once: {bundles} bundles × {OFFICERS_PER_BUNDLE:,} "
        f"edits based on the versions merged (fast-forwards) | {r['edit']:.2f} s (CPU "
        f"{r['edit_cpu']:.2f} s) | |",
        f"| checking the rows (`check_bundle_rows`, done ahead in a second process by "
        f"`district merge`) | {statistics.median(r['checks']):.2f} s | (not in the merge) |",
        "",
        "Runs:",
        "",
        f"- merge: {', '.join(f'{t:.2f} s' for t in r['merges'])} (CPU: "
        f"{', '.join(f'{t:.2f} s' for t in r['merge_cpus'])})",
        f"- `executemany`, one before and one after each merge run: "
        f"{', '.join(f'{t * 1000:.0f} ms' for t in r['baselines'])} (CPU: "
        f"{', '.join(f'{t * 1000:.0f} ms' for t in r['baseline_cpus'])})",
        f"- outcome: {s['officers']:,} officers at the district, {s['accepted']:,} rows "
        f"accepted, {s['duplicates']} duplicate findings named in the reports",
        f"- district store file: {r['pristine_mb']:.1f} MB before, {s['store_mb']:.1f} MB after "
        "the new officers and their edits",
        "",
        "Machine:",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in r["machine"].items()]
    lines.append(SQLITE_END)
    return "\n".join(lines) + "\n"


def write_sqlite(out: Path, section: str) -> None:
    """Replace the SQLite section of `out`, keeping everything else (the analysis, the
    PostgreSQL section)."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if SQLITE_BEGIN in text and SQLITE_END in text:
        head, rest = text.split(SQLITE_BEGIN, 1)
        tail = rest.split(SQLITE_END, 1)[1].lstrip("\n")
        text = head + section + "\n" + tail
    else:
        text = "# Scale benchmark results (issue 11)\n\n" + section + "\n" + text
    out.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("backend", choices=["sqlite"])
    parser.add_argument("--quick", action="store_true", help="20 bundles, 1 run")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    from tpsdesk.i18n import set_language

    set_language("en")
    import os

    load = "load average {:.1f} / {:.1f} / {:.1f} on 2 cores at the start".format(*os.getloadavg())
    result = bench_sqlite(20 if args.quick else 100, 1 if args.quick else 3, args.profile)
    section = sqlite_section(result, load)
    print(section)
    if result["profile"]:
        print(result["profile"])
    if not args.no_write:
        write_sqlite(args.out, section)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
