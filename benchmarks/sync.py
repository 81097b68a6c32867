"""Sync benchmarks of issue 3, point 8; results go to benchmarks/RESULTS-sync.md.

    uv run python benchmarks/sync.py            export 10k; merge 100 bundles × 1,000 (minutes)
    uv run python benchmarks/sync.py --quick    fewer repetitions, merge 20 bundles × 1,000

Stores are real encrypted stores with tiny Argon2id parameters (as in benchmarks/run.py), in a
temporary folder. One district (code 35.73) with 5 kecamatan × 20 kelurahan × 110 TPS issues
setup files; every laptop is enrolled with one, filled with `tpsdesk.exchange.demo.fill_demo`
(its own seed) and writes its bundle with the library calls the CLI uses.

- export: a laptop enrolled for a kecamatan (35.73.01) with 10k officers. `build_bundle`
  (read rows, encode, compress, encrypt, sign) and `export_bundle` (the same plus writing
  the file with fsync and marking the officers sent; the laptop is restored to its state
  before each run, so every run marks all 10k officers).
- merge: 100 laptops, one per kelurahan, each registered and approved at the district
  beforehand, each with one bundle of 1,000 officers built beforehand. Timed: all the bundles
  through `receive_files`, as `tpsdesk district merge F...` does: each file verified,
  decrypted and merged in its own transaction here, while a second process decompresses,
  decodes and checks the rows of the next files (`sync/prefetch.py`); one save at the end.
  The time includes starting that process. Each repetition starts from the same saved
  district store. The breakdown below is of this process only.
- baseline: the same officer rows (the wire values of every bundle, as tuples) inserted into a
  plain in-memory SQLite table (the officer columns, id as primary key, no other index) with
  one `executemany` in one transaction, in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS-sync.md"
ANALYSIS_MARKER = "<!-- analysis: kept by sync.py -->"
PASSPHRASE = "benchmark passphrase that is long"

DISTRICT_CODE = "35.73"
KECAMATAN = 5
KELURAHAN_PER_KECAMATAN = 20
TPS_PER_KELURAHAN = 110  # 11 posts a TPS: room for 1,000 officers in TPS posts alone
EXPORT_AREA = "35.73.01"

MERGE_LABEL = "`merge_bundle` (check rows, merge, commit)"

# Targets (issue 3, point 8).
TARGETS = {
    "export_10k_s": 1.0,
    "merge_100x1000_s": 15.0,
    "bundle_10k_mb": 2.0,
}


def _issue2() -> ModuleType:
    """benchmarks/run.py, for its machine description and KDF parameters."""
    spec = importlib.util.spec_from_file_location("tpsdesk_bench_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- timing helpers --------------------------------------------------------------------------


@dataclass
class Timers:
    """Wall time spent inside selected functions while a benchmark runs."""

    totals: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - start
                self.calls[name] = self.calls.get(name, 0) + 1

        return timed


@contextmanager
def patched(timers: Timers, targets: list[tuple[Any, str, str]]) -> Iterator[None]:
    """Time `owner.attribute` under `name` for each (owner, attribute, name)."""
    saved = [(owner, attr, getattr(owner, attr)) for owner, attr, _name in targets]
    try:
        for owner, attr, name in targets:
            timers.totals.setdefault(name, 0.0)  # report in the order given
            setattr(owner, attr, timers.wrap(name, getattr(owner, attr)))
        yield
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- building the world ----------------------------------------------------------------------


def area_rows() -> list[Any]:
    from tpsdesk.store.areas import AreaRow

    rows = []
    for k in range(1, KECAMATAN + 1):
        kec = f"{DISTRICT_CODE}.{k:02d}"
        for j in range(KELURAHAN_PER_KECAMATAN):
            kel = f"{kec}.{1001 + j}"
            for number in range(1, TPS_PER_KELURAHAN + 1):
                rows.append(
                    AreaRow(
                        kecamatan_code=kec,
                        kecamatan_name=f"Kecamatan {k}",
                        kelurahan_code=kel,
                        kelurahan_name=f"Kelurahan {k}-{j + 1}",
                        tps_number=number,
                        tps_address=f"Jl. Mawar {number}",
                        tps_voters=300,
                    )
                )
    return rows


def make_district(path: Path, kdf: Any) -> Any:
    from sqlmodel import select

    from tpsdesk.store.areas import apply_area_rows
    from tpsdesk.store.db import Store
    from tpsdesk.store.models import StoreMeta
    from tpsdesk.sync.district_models import ensure_district_tables
    from tpsdesk.sync.identity import ensure_district_identity, set_district_settings

    store, _recovery = Store.create(path, PASSPHRASE, role="district", kdf=kdf)
    ensure_district_tables(store)
    ensure_district_identity(store)
    set_district_settings(store, name="Kota Benchmark", code=DISTRICT_CODE)
    with store.transaction() as session:
        # Hold the store's meta rows, as fill_demo does: stamping thousands of area rows
        # otherwise reloads the device counters for each one.
        held = list(session.exec(select(StoreMeta)))
        apply_area_rows(store, area_rows())
        del held
    return store


def make_laptop(path: Path, setup: bytes, officers: int, seed: int, kdf: Any) -> Any:
    from tpsdesk.exchange.demo import fill_demo
    from tpsdesk.store.db import Store
    from tpsdesk.sync.setup import enroll

    store, _recovery = Store.create(path, PASSPHRASE, role="field", kdf=kdf)
    enroll(store, setup, confirm_fingerprint=lambda _fp: True)
    summary = fill_demo(store, officers, rng_seed=seed)
    if summary.added != officers:
        raise RuntimeError(f"the laptop's area had room for {summary.added} officers only")
    return store


# -- export ----------------------------------------------------------------------------------


def bench_export(folder: Path, district: Any, officers: int, runs: int, kdf: Any) -> dict[str, Any]:
    from tpsdesk.store.db import Store
    from tpsdesk.sync import bundle as bundle_module
    from tpsdesk.sync import payload
    from tpsdesk.sync.setup import build_setup_file

    start = time.perf_counter()
    path = folder / "export" / "laptop.store"
    path.parent.mkdir(parents=True)
    laptop = make_laptop(path, build_setup_file(district, EXPORT_AREA), officers, 10_000, kdf)
    laptop.close()
    pristine = path.read_bytes()
    print(f"  made a laptop of {officers} officers in {time.perf_counter() - start:.1f} s")

    laptop = Store.open(path, PASSPHRASE)
    try:
        bundle_module.build_bundle(laptop)  # warm-up
        build_times = []
        timers = Timers()
        targets = [
            (bundle_module, "rows_to_send", "`rows_to_send` (changes.py: read the rows)"),
            (
                bundle_module,
                "seal_bundle",
                "`seal_bundle` (payload.py: encode, compress, encrypt, sign)",
            ),
            (payload, "encode_lines", "… of which `encode_lines` (canonical JSON lines + zlib)"),
        ]
        with patched(timers, targets):
            for _ in range(runs):
                begin = time.perf_counter()
                header, data = bundle_module.build_bundle(laptop)
                build_times.append(time.perf_counter() - begin)
    finally:
        laptop.close()

    export_times = []
    mark_times = []
    out = folder / "export" / "usb"
    for _ in range(runs):
        path.write_bytes(pristine)  # the laptop as it was before its first export
        for stale in path.parent.glob(path.name + ".*"):
            if stale.is_file():
                stale.unlink()
        laptop = Store.open(path, PASSPHRASE)
        try:
            mark = Timers()
            with patched(mark, [(bundle_module, "mark_sent", "mark_sent")]):
                begin = time.perf_counter()
                result = bundle_module.export_bundle(laptop, out)
                export_times.append(time.perf_counter() - begin)
            mark_times.append(mark.totals["mark_sent"])
            assert result.rows == officers, result
        finally:
            laptop.close()
        shutil.rmtree(out)
    return {
        "officers": officers,
        "build": median(build_times),
        "build_all": build_times,
        "export": median(export_times),
        "export_all": export_times,
        "mark_sent": median(mark_times),
        "size": len(data),
        "payload_size": header["payload"]["size"],
        "rows": header["payload"]["rows"],
        "breakdown": {k: v / runs for k, v in timers.totals.items()},
    }


# -- merge -----------------------------------------------------------------------------------


def kelurahan_codes() -> list[str]:
    return [
        f"{DISTRICT_CODE}.{k:02d}.{1001 + j}"
        for k in range(1, KECAMATAN + 1)
        for j in range(KELURAHAN_PER_KECAMATAN)
    ]


def prepare_merge(
    folder: Path, district: Any, bundles: int, officers: int, kdf: Any
) -> tuple[list[tuple[str, bytes]], list[tuple[Any, ...]]]:
    """Enrol and fill one laptop per kelurahan, register and approve it at the district, and
    build its bundle; returns the bundle files and the officer rows they carry, as tuples."""
    from tpsdesk.sync import district as district_module
    from tpsdesk.sync.bundle import export_bundle
    from tpsdesk.sync.changes import rows_to_send
    from tpsdesk.sync.identity import device_identity
    from tpsdesk.sync.setup import build_setup_file, installed_setup

    files: list[tuple[str, bytes]] = []
    tuples: list[tuple[Any, ...]] = []
    start = time.perf_counter()
    for index, area in enumerate(kelurahan_codes()[:bundles]):
        base = folder / "laptops" / f"{index:03d}"
        laptop = make_laptop(base / "l.store", build_setup_file(district, area), officers,
                             index + 1, kdf)  # fmt: skip
        try:
            identity = device_identity(laptop)
            setup = installed_setup(laptop)
            assert identity is not None and setup is not None
            device = district_module.register_pending(
                district,
                device_id=identity.device_id,
                signing_key=identity.public_key,
                area=setup.area,
            )
            district_module.approve(district, device.fingerprint)
            tuples.extend(officer_tuples(rows_to_send(laptop)[0]))
            exported = export_bundle(laptop, base / "usb")
            files.append((exported.path.name, exported.path.read_bytes()))
        finally:
            laptop.close()
        shutil.rmtree(base)
        if (index + 1) % 10 == 0:
            print(f"  {index + 1} laptops ready ({time.perf_counter() - start:.0f} s)")
    return files, tuples


def _reader(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def bench_merge(district_path: Path, files: list[tuple[str, bytes]], runs: int) -> dict[str, Any]:
    from tpsdesk.store import vault
    from tpsdesk.store.db import Store
    from tpsdesk.store.officers import count_officers
    from tpsdesk.sync import bundle as bundle_module
    from tpsdesk.sync import merge as merge_module
    from tpsdesk.sync import row_checks

    pristine = district_path.read_bytes()
    totals: list[float] = []
    per_bundle: list[list[float]] = []
    breakdowns: list[Timers] = []
    summary: dict[str, Any] = {}
    for _ in range(runs):
        district_path.write_bytes(pristine)
        for stale in district_path.parent.glob(district_path.name + ".*"):
            if stale.is_file():
                stale.unlink()
        store = Store.open(district_path, PASSPHRASE)
        timers = Timers()
        targets = [
            (bundle_module, "merge_bundle", MERGE_LABEL),
            (
                row_checks,
                "check_row",
                "… of which `check_row` (schema, values, area of each row)",
            ),
            (merge_module, "_apply", "… of which `_apply` (versions, shown rows, findings)"),
            (
                merge_module,
                "refresh_duplicates",
                "… … of which `refresh_duplicates` (same NIK, likely duplicates)",
            ),
            (Store, "save", "… of which `Store.save` (whole store: serialize, seal, write, check)"),
            (vault.Vault, "save", "… … of which `Vault.save` (seal, write, fsync, read back)"),
        ]
        times = []
        try:
            # As `tpsdesk district merge FILE...` does: each bundle its own transaction, the
            # store written once at the end (Store.saving_once), that save included in the total.
            with patched(timers, targets):
                whole = time.perf_counter()
                receive = bundle_module.receive_bundle

                def timed_receive(
                    *args: Any, receive: Any = receive, times: list[float] = times, **kwargs: Any
                ) -> Any:
                    begin = time.perf_counter()
                    try:
                        return receive(*args, **kwargs)
                    finally:
                        times.append(time.perf_counter() - begin)

                bundle_module.receive_bundle = timed_receive  # type: ignore[assignment]
                try:
                    with store.saving_once():
                        outcomes = bundle_module.receive_files(
                            store, [(name, _reader(data)) for name, data in files]
                        )
                finally:
                    bundle_module.receive_bundle = receive  # type: ignore[assignment]
                total = time.perf_counter() - whole
            for (name, _data), outcome in zip(files, outcomes, strict=True):
                report = getattr(outcome, "report", None)
                if getattr(outcome, "status", None) != "merged" or report is None:
                    raise RuntimeError(f"{name}: {outcome}")
                for key, items in (
                    ("accepted", report.accepted),
                    ("duplicates", report.duplicates),
                    ("conflicts", report.conflicts),
                ):
                    summary[key] = summary.get(key, 0) + len(items)
            summary["officers"] = count_officers(store)
        finally:
            store.close()
        summary["store_mb"] = district_path.stat().st_size / 1e6
        totals.append(total)
        per_bundle.append(times)
        breakdowns.append(timers)
    best = totals.index(median(totals)) if len(totals) % 2 else 0
    timers = breakdowns[best]
    runs_done = max(len(totals), 1)
    for key in summary:
        if key in ("accepted", "duplicates", "conflicts"):
            summary[key] //= runs_done
    return {
        "total": median(totals),
        "median_run": totals[best],
        "totals": totals,
        "first10": sum(per_bundle[best][:10]),
        "last10": sum(per_bundle[best][-10:]),
        "breakdown": timers.totals,
        "summary": summary,
        "pristine_mb": len(pristine) / 1e6,
    }


def officer_tuples(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The officer rows of a bundle as tuples in the officer model's column order."""
    from tpsdesk.store.models import Officer

    columns = list(Officer.model_fields)
    return [
        tuple(int(v) if isinstance(v, bool) else v for v in (row["values"][c] for c in columns))
        for row in rows
        if row["table"] == "officer"
    ]


def bench_executemany(tuples: list[tuple[Any, ...]], runs: int) -> dict[str, Any]:
    from tpsdesk.store.models import Officer

    columns = list(Officer.model_fields)
    create = "CREATE TABLE officer ({})".format(
        ", ".join(f"{c} PRIMARY KEY" if c == "id" else c for c in columns)
    )
    insert = "INSERT INTO officer ({}) VALUES ({})".format(
        ", ".join(columns), ", ".join("?" * len(columns))
    )
    times = []
    for _ in range(runs):
        conn = sqlite3.connect(":memory:")
        conn.execute(create)
        begin = time.perf_counter()
        with conn:
            conn.executemany(insert, tuples)
        times.append(time.perf_counter() - begin)
        assert conn.execute("SELECT count(*) FROM officer").fetchone()[0] == len(tuples)
        conn.close()
    return {"rows": len(tuples), "columns": len(columns), "time": median(times), "all": times}


# -- report ----------------------------------------------------------------------------------


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "**missed**"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="fewer runs, 20 bundles")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    issue2 = _issue2()
    kdf = issue2._fast_kdf()
    export_runs = 5 if args.quick else 9
    merge_runs = 1 if args.quick else 3
    bundles = 20 if args.quick else 100
    officers_per_bundle = 1_000
    from tpsdesk.i18n import set_language

    set_language("en")

    with tempfile.TemporaryDirectory(prefix="tpsdesk-bench-sync-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        district_path = folder / "district" / "d.store"
        district_path.parent.mkdir()
        district = make_district(district_path, kdf)
        print(f"district with {len(area_rows())} TPS in {time.perf_counter() - start:.1f} s")
        try:
            print("export: laptop of 10k officers")
            export = bench_export(folder, district, 10_000, export_runs, kdf)
            print(f"  build {export['build'] * 1000:.0f} ms, export {export['export'] * 1000:.0f}"
                  f" ms, {export['size'] / 1e6:.2f} MB")  # fmt: skip
            print(f"merge: {bundles} laptops of {officers_per_bundle} officers")
            files, tuples = prepare_merge(folder, district, bundles, officers_per_bundle, kdf)
        finally:
            district.close()
        merge = bench_merge(district_path, files, merge_runs)
        print(f"  merge {merge['total']:.1f} s in all")
        baseline = bench_executemany(tuples, 5 if args.quick else 9)
        print(f"  executemany {baseline['time'] * 1000:.0f} ms")

    write_results(args.out, issue2.machine(), export, merge, baseline, bundles=bundles,
                  officers=officers_per_bundle, quick=args.quick,
                  runs=(export_runs, merge_runs))  # fmt: skip
    print(args.out.read_text())
    return 0


def write_results(
    out: Path,
    machine: dict[str, str],
    export: dict[str, Any],
    merge: dict[str, Any],
    baseline: dict[str, Any],
    *,
    bundles: int,
    officers: int,
    quick: bool,
    runs: tuple[int, int],
) -> None:
    export_runs, merge_runs = runs
    size_mb = export["size"] / 1e6
    ratio = merge["total"] / baseline["time"]
    full = bundles == 100
    merge_label = f"merge {bundles} bundles × {officers:,} officers, in all"
    rows = [
        ("build a bundle of 10k officers (`build_bundle`)", f"{export['build'] * 1000:.0f} ms",
         "≤ 1000 ms", verdict(export["build"], TARGETS["export_10k_s"])),
        ("export a bundle of 10k officers (`export_bundle`: build, write with fsync, mark 10k "
         "officers sent)", f"{export['export'] * 1000:.0f} ms "
         f"(of which marking sent {export['mark_sent'] * 1000:.0f} ms)",
         "≤ 1000 ms", verdict(export["export"], TARGETS["export_10k_s"])),
        ("size of a bundle of 10k officers",
         f"{size_mb:.2f} MB ({export['size'] / export['rows']:.0f} bytes an officer; "
         f"{export['payload_size'] / 1e6:.1f} MB of JSON lines before compression)",
         "≤ 2 MB", verdict(size_mb, TARGETS["bundle_10k_mb"])),
        (merge_label + " (`receive_files`, as `district merge F...` does: verify, decrypt, "
         "merge here, rows decoded and checked ahead in a second process; one save at the end)",
         f"{merge['total']:.1f} s ({merge['total'] / bundles * 1000:.0f} ms a bundle; first 10: "
         f"{merge['first10']:.1f} s, last 10: {merge['last10']:.1f} s)",
         "≤ 15 s" + ("" if full else " for 100"),
         verdict(merge["total"], TARGETS["merge_100x1000_s"]) if full else "(not 100 bundles)"),
        (f"the same {baseline['rows']:,} officer rows with `executemany` into a plain "
         "in-memory SQLite table, one transaction", f"{baseline['time'] * 1000:.0f} ms", "", ""),
        ("ratio merge / `executemany`", f"{ratio:.0f}×", "(reported)", ""),
    ]  # fmt: skip
    lines = [
        "# Sync benchmark results (issue 3)",
        "",
        f"Recorded {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with "
        f"`uv run python benchmarks/sync.py{' --quick' if quick else ''}`; export: medians of "
        f"{export_runs} runs; merge: median of {merge_runs} run{'s' * (merge_runs > 1)} of all "
        "the bundles, each from the same saved district store; `executemany`: median of several "
        "runs. What is measured, and how the stores are made, is in the script's docstring.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines += [
        "",
        "## Results",
        "",
        "| measurement | result | target | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += ["", "## Where the time goes", "", "Export (`build_bundle`, mean per run):", ""]
    lines += [f"- {name}: {value * 1000:.0f} ms" for name, value in export["breakdown"].items()]
    lines += ["", "Merge (the median run, summed over every bundle):", ""]
    merged = merge["breakdown"].get(MERGE_LABEL, 0.0)
    lines += [
        f"- outside the merge engine (read, parse, verify, decrypt; decoding here only when "
        f"not done ahead), and waiting for the second process: "
        f"{merge['median_run'] - merged:.2f} s"
    ]
    lines += [f"- {name}: {value:.2f} s" for name, value in merge["breakdown"].items()]
    s = merge["summary"]
    lines += [
        "",
        "## Notes",
        "",
        f"- merge outcome: {s.get('officers', 0):,} officers at the district, "
        f"{s.get('accepted', 0):,} rows accepted, {s.get('duplicates', 0)} duplicate findings "
        f"named in the reports (one touching two bundles is named in both), "
        f"{s.get('conflicts', 0)} conflicts",
        f"- district store file: {merge['pristine_mb']:.1f} MB before the merge (area of "
        f"{KECAMATAN * KELURAHAN_PER_KECAMATAN * TPS_PER_KELURAHAN:,} TPS, {bundles} devices), "
        f"{s.get('store_mb', 0):.1f} MB after",
        f"- merge runs: {', '.join(f'{t:.1f} s' for t in merge['totals'])}; "
        f"`executemany` runs: {', '.join(f'{t * 1000:.0f} ms' for t in baseline['all'])}",
        f"- `build_bundle` runs: {', '.join(f'{t * 1000:.0f}' for t in export['build_all'])} ms;"
        f" `export_bundle` runs: {', '.join(f'{t * 1000:.0f}' for t in export['export_all'])} ms",
    ]
    _issue2().write_keeping_analysis(out, "\n".join(lines) + "\n", ANALYSIS_MARKER)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
