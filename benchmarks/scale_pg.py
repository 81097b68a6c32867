"""Scale benchmarks of issue 11 on PostgreSQL; results go to benchmarks/RESULTS-scale.md.

    uv run python benchmarks/scale_pg.py                 1,000 bundles × 1,000 officers
    uv run python benchmarks/scale_pg.py --bundles 50    a quick look
    uv run python benchmarks/scale_pg.py --concurrent-only
    uv run python benchmarks/scale_pg.py --profile 50   cProfile of merging 50 bundles, printed

Starts a throwaway PostgreSQL server (the machine's initdb/pg_ctl, as tests/postgres.py does:
unix socket only, fsync off — the server's durability settings are not what is measured) and
a district store on it (keyring file + database). The district has 20 kecamatan × 50 kelurahan
× 20 TPS; each bundle comes from its own approved laptop (one per kelurahan) with 1,000 new
officers (rows as `scale.officer_wire` makes them). Bundles are made one at a time and thrown
away after their merge, so that the merging process's memory is the merge's own; their rows are
checked beforehand (`check_bundle_rows`, done in a second process by `district merge`) and that
time is reported apart.

Measured, side by side in one run:
- the merge of every bundle (`merge_bundle`, one transaction each), in all and per 100 bundles;
- a bare COPY of the same officer rows (the officer columns, no index, no key) into a plain
  table of another database, one COPY per bundle, one transaction: the ratio merge / COPY;
- the merging process's peak memory (ru_maxrss);
- at the end, with the million officers in place: the coverage (`read_coverage`) and the BPJS
  enrolment export (`export_bpjs`, XLSX parts of 10,000 rows);
- four processes merging at once against one (a fresh database, `--concurrent` bundles in all):
  throughput in officers a second.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS-scale.md"
PG_BEGIN = "<!-- postgresql: written by scale_pg.py -->"
PG_END = "<!-- /postgresql -->"
PASSPHRASE = "benchmark passphrase that is long"
DISTRICT_CODE = "35.07"
KECAMATAN = 20
KELURAHAN_PER_KECAMATAN = 50
TPS_PER_KELURAHAN = 20
OFFICERS_PER_BUNDLE = 1_000
GOAL_RATIO = 3.0
MEMORY_GOAL_MB = 500
TODAY = date(2024, 10, 15)


def _load(name: str, folder: Path = HERE) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"tpsdesk_bench_{name}", folder / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _server() -> Any:
    postgres = _load("postgres", ROOT / "tests")
    binaries, looked = postgres.find_binaries()
    if binaries is None:
        raise SystemExit(postgres.not_installed_reason(looked))
    return postgres.start_server(binaries)


def _create_database(server: Any, name: str) -> str:
    with server.connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return str(server.url(name))


def kelurahan_codes() -> list[str]:
    return [
        f"{DISTRICT_CODE}.{k:02d}.{1001 + j}"
        for k in range(1, KECAMATAN + 1)
        for j in range(KELURAHAN_PER_KECAMATAN)
    ]


def area_rows() -> list[Any]:
    from tpsdesk.store.areas import AreaRow

    rows = []
    for code in kelurahan_codes():
        kecamatan = code.rsplit(".", 1)[0]
        for number in range(1, TPS_PER_KELURAHAN + 1):
            rows.append(
                AreaRow(
                    kecamatan_code=kecamatan,
                    kecamatan_name=f"Kecamatan {kecamatan[-2:]}",
                    kelurahan_code=code,
                    kelurahan_name=f"Kelurahan {code[-7:]}",
                    tps_number=number,
                    tps_address=f"Jl. Mawar {number}",
                    tps_voters=300,
                )
            )
    return rows


def make_district(folder: Path, url: str, kdf: Any) -> tuple[Path, dict[str, list[str]]]:
    """The district store on PostgreSQL, its area, and {kelurahan: TPS ids}."""
    from sqlmodel import select

    from tpsdesk.store.areas import apply_area_rows
    from tpsdesk.store.db import Store
    from tpsdesk.store.models import StoreMeta, Tps
    from tpsdesk.sync.district_models import ensure_district_tables
    from tpsdesk.sync.identity import ensure_district_identity, set_district_settings

    path = folder / "district.tpsdesk"
    store, _recovery = Store.create(path, PASSPHRASE, role="district", kdf=kdf, database_url=url)
    try:
        ensure_district_tables(store)
        ensure_district_identity(store)
        set_district_settings(store, name="Kabupaten Benchmark", code=DISTRICT_CODE)
        with store.transaction() as session:
            held = list(session.exec(select(StoreMeta)))
            apply_area_rows(store, area_rows())
            del held
        with store.read() as session:
            places: dict[str, list[str]] = {}
            for tps_id, kelurahan in session.exec(select(Tps.id, Tps.kelurahan_code)):
                places.setdefault(kelurahan, []).append(tps_id)
    finally:
        store.close()
    return path, {code: sorted(ids) for code, ids in places.items()}


def _laptop(index: int) -> tuple[str, bytes]:
    rng = random.Random(f"laptop-{index}")
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex, rng.randbytes(32)


def approve_laptops(path: Path, count: int) -> None:
    from tpsdesk.store.db import Store
    from tpsdesk.store.versioning import get_meta, set_meta
    from tpsdesk.sync import district
    from tpsdesk.sync.setup import META_SETUP_ISSUED

    store = Store.open(path, PASSPHRASE)
    try:
        areas = kelurahan_codes()
        issued_ids = {}
        with store.transaction() as session:
            issued = dict(get_meta(session, META_SETUP_ISSUED, {}) or {})
            for index in range(count):
                setup_id = str(uuid.UUID(int=index + 1, version=4))
                issued[setup_id] = {"version": len(issued) + 1, "area": areas[index],
                                    "target": "all", "created_at": "2024-10-01T00:00:00+00:00",
                                    "expires_at": "2025-10-01T00:00:00+00:00"}  # fmt: skip
                issued_ids[index] = setup_id
            set_meta(session, META_SETUP_ISSUED, issued)
        for index in range(count):
            device_id, key = _laptop(index)
            device = district.register_pending(
                store,
                device_id=device_id,
                signing_key=key,
                area=areas[index],
                setup_id=issued_ids[index],
            )
            district.approve(store, device.fingerprint)
    finally:
        store.close()


def make_bundle(index: int, places: dict[str, list[str]], scale: ModuleType) -> Any:
    """Laptop `index`'s first bundle: 1,000 new officers of its kelurahan (deterministic)."""
    from tpsdesk.sync.merge import IncomingBundle

    area = kelurahan_codes()[index]
    device_id, key = _laptop(index)
    rng = random.Random(f"bundle-{index}")
    tps = places[area]
    rows = [
        scale.officer_wire(
            rng,
            device=device_id,
            counter=n + 1,
            seq=n + 1,
            tps_id=tps[n % len(tps)],
            kelurahan=area,
        )
        for n in range(OFFICERS_PER_BUNDLE)
    ]
    file_id = str(uuid.UUID(int=random.Random(f"file-{index}").getrandbits(128), version=4))
    return IncomingBundle(file_id, device_id, key, area, 1, len(rows), rows)


# -- the merge ---------------------------------------------------------------------------------


def merge_range(
    path: Path, places: dict[str, list[str]], indexes: list[int], report_every: int = 100
) -> dict[str, Any]:
    """Merge the bundles `indexes` (made one at a time) into the store; times of the merge
    alone, of the checks, and the process's peak memory."""
    from sqlmodel import select

    from tpsdesk.store.db import Store
    from tpsdesk.sync.district_models import Device
    from tpsdesk.sync.merge import merge_bundle
    from tpsdesk.sync.prefetch import paused_gc
    from tpsdesk.sync.row_checks import check_bundle_rows

    scale = _load("scale")
    store = Store.open(path, PASSPHRASE)
    merge_time = check_time = make_time = 0.0
    steps: list[float] = []
    step_begin = 0.0
    accepted = 0
    try:
        with store.read() as session:
            query = select(Device.device_id, Device.area_code)
            areas = dict(session.exec(query).all())
        for done, index in enumerate(indexes):
            begin = time.perf_counter()
            bundle = make_bundle(index, places, scale)
            made = time.perf_counter()
            checked = check_bundle_rows(bundle.area, bundle.rows, area=areas[bundle.sender_id],
                                        catalogue=store.catalogue, today=TODAY)  # fmt: skip
            checked_at = time.perf_counter()
            with paused_gc():
                report = merge_bundle(store, bundle, today=TODAY, checked=checked)
            merged_at = time.perf_counter()
            if not report.merged or report.rejected:
                raise RuntimeError(report.summary())
            accepted += len(report.accepted)
            make_time += made - begin
            check_time += checked_at - made
            merge_time += merged_at - checked_at
            step_begin += merged_at - checked_at
            if (done + 1) % report_every == 0:
                steps.append(step_begin)
                step_begin = 0.0
                print(
                    f"  {done + 1} bundles: last {report_every} merged in {steps[-1]:.1f} s, "
                    f"peak memory {peak_mb():.0f} MB",
                    flush=True,
                )
    finally:
        store.close()
    return {
        "merge": merge_time,
        "check": check_time,
        "make": make_time,
        "steps": steps,
        "accepted": accepted,
        "peak_mb": peak_mb(),
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_baseline(server: Any, places: dict[str, list[str]], count: int) -> float:
    """A bare COPY of the same officer rows into a plain table (no index, no key), one COPY a
    bundle, one transaction; the rows are made beforehand, bundle by bundle, not timed."""
    import psycopg

    from tpsdesk.store.models import Officer

    scale = _load("scale")
    sync_bench = _load("sync")
    columns = list(Officer.model_fields)
    url = _create_database(server, "copy_baseline")
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    total = 0.0
    with psycopg.connect(conninfo) as connection:
        connection.execute(
            "CREATE TABLE officer ({})".format(", ".join(f'"{c}" text' for c in columns))
        )
        statement = "COPY officer ({}) FROM STDIN".format(", ".join(f'"{c}"' for c in columns))
        for index in range(count):
            rows = sync_bench.officer_tuples(make_bundle(index, places, scale).rows)
            begin = time.perf_counter()
            with connection.cursor().copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            total += time.perf_counter() - begin
        begin = time.perf_counter()
        connection.commit()
        total += time.perf_counter() - begin
        copied = connection.execute("SELECT count(*) FROM officer").fetchone()
    assert copied is not None and copied[0] == count * OFFICERS_PER_BUNDLE
    return total


def exports(path: Path, folder: Path) -> dict[str, float]:
    from tpsdesk.exchange.bpjs_export import export_bpjs
    from tpsdesk.store.db import Store
    from tpsdesk.sync.coverage import read_coverage

    store = Store.open(path, PASSPHRASE)
    try:
        begin = time.perf_counter()
        coverage = read_coverage(store)
        coverage_time = time.perf_counter() - begin
        begin = time.perf_counter()
        export_bpjs(store, folder / "bpjs.xlsx", force=True)
        bpjs_time = time.perf_counter() - begin
    finally:
        store.close()
    del coverage
    return {"coverage": coverage_time, "bpjs": bpjs_time, "peak_mb": peak_mb()}


def profile_merge(server: Any, folder: Path, count: int, kdf: Any) -> None:
    """Where a merge's time goes: cProfile of merging `count` bundles (top 40 by own time and
    by cumulative time)."""
    import cProfile
    import io
    import pstats

    path, places = make_district(folder, _create_database(server, "profiled"), kdf)
    approve_laptops(path, count)
    profiler = cProfile.Profile()
    profiler.enable()
    outcome = merge_range(path, places, list(range(count)), report_every=10**9)
    profiler.disable()
    print(f"merge of {count} bundles: {outcome['merge']:.1f} s (profiled)")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(40)
        print(text.getvalue())


# -- four at once ------------------------------------------------------------------------------


def _merge_worker(args: tuple[str, dict[str, list[str]], list[int]]) -> dict[str, Any]:
    path, places, indexes = args
    return merge_range(Path(path), places, indexes, report_every=10**9)


def concurrent(server: Any, folder: Path, count: int, kdf: Any) -> dict[str, Any]:
    """`count` bundles merged by one process, then (into a fresh district) by four at once."""
    results: dict[str, Any] = {}
    context = multiprocessing.get_context("spawn")
    for processes in (1, 4):
        sub = folder / f"concurrent-{processes}"
        sub.mkdir()
        url = _create_database(server, f"concurrent_{processes}")
        path, places = make_district(sub, url, kdf)
        approve_laptops(path, count)
        shares = [list(range(count))[k::processes] for k in range(processes)]
        begin = time.perf_counter()
        with context.Pool(processes) as pool:
            outcomes = pool.map(_merge_worker, [(str(path), places, share) for share in shares])
        elapsed = time.perf_counter() - begin
        officers = sum(o["accepted"] for o in outcomes)
        results[processes] = {
            "wall": elapsed,
            "officers": officers,
            "rate": officers / elapsed,
            "merge_each": [o["merge"] for o in outcomes],
        }
        print(f"  {processes} process(es): {officers} officers in {elapsed:.1f} s", flush=True)
    return results


# -- the report ---------------------------------------------------------------------------------


def write_results(result: dict[str, Any]) -> None:
    machine = _load("run").machine()
    lines = [PG_BEGIN, "## PostgreSQL", ""]
    lines.append(
        f"Recorded {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `uv run python "
        f"benchmarks/scale_pg.py --bundles {result['bundles']}`; PostgreSQL "
        f"{result['server_version']} started by the script (unix socket, fsync off). What is "
        "measured is in the script's docstring. Machine load at the start: load average "
        + " / ".join(f"{v:.1f}" for v in result["load"])
        + f" on {os.cpu_count()} cores."
        + (" **Partial: the run has not reached its end yet.**" if result.get("partial") else "")
    )
    lines += ["", "| measurement | result | goal |", "|---|---|---|"]
    bundles = result["bundles"]
    officers = bundles * OFFICERS_PER_BUNDLE
    if "merge" in result:
        merge = result["merge"]
        ratio = merge["merge"] / result["copy"]
        memory = "ok" if merge["peak_mb"] <= MEMORY_GOAL_MB else "**missed**"
        verdict = "ok" if ratio <= GOAL_RATIO else "**missed**"
        lines += [
            f"| merge {bundles:,} bundles × {OFFICERS_PER_BUNDLE:,} officers "
            f"({officers:,} officers; `merge_bundle` each, rows checked beforehand) | "
            f"{merge['merge']:.1f} s ({merge['merge'] / bundles * 1000:.0f} ms a bundle) | |",
            f"| bare COPY of the same {officers:,} officer rows into a plain table | "
            f"{result['copy']:.1f} s | |",
            f"| ratio merge / COPY | {ratio:.1f}× | ≤ {GOAL_RATIO:.0f}× {verdict} |",
            f"| merge time per 100 bundles, first to last | "
            f"{', '.join(f'{s:.1f}' for s in merge['steps'])} s | |",
            f"| checking the rows (done ahead in a second process by `district merge`) | "
            f"{merge['check']:.1f} s | (not in the merge) |",
            f"| peak memory of the merging process | {merge['peak_mb']:.0f} MB | "
            f"≤ {MEMORY_GOAL_MB} MB {memory} |",
        ]
    if "exports" in result:
        exported = result["exports"]
        lines += [
            f"| coverage (`read_coverage`) at {officers:,} officers | "
            f"{exported['coverage']:.1f} s | |",
            f"| BPJS enrolment export (`export_bpjs`, XLSX parts) at {officers:,} officers | "
            f"{exported['bpjs']:.1f} s | |",
            f"| peak memory after the exports | {exported['peak_mb']:.0f} MB | "
            f"≤ {MEMORY_GOAL_MB} MB |",
        ]
    if "concurrent" in result:
        one, four = result["concurrent"][1], result["concurrent"][4]
        lines += [
            f"| {result['concurrent_bundles']} bundles merged by 1 process | "
            f"{one['wall']:.1f} s ({one['rate']:.0f} officers/s) | |",
            f"| the same by 4 processes at once (fresh district) | "
            f"{four['wall']:.1f} s ({four['rate']:.0f} officers/s): "
            f"{four['rate'] / one['rate']:.2f}× the throughput of one | |",
        ]
    lines += ["", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines += [PG_END]
    block = "\n".join(lines) + "\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Scale results\n"
    if PG_BEGIN in text and PG_END in text:
        head, rest = text.split(PG_BEGIN, 1)
        tail = rest.split(PG_END, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")
    print(f"written to {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundles", type=int, default=1_000)
    parser.add_argument("--concurrent", type=int, default=100, help="bundles of the 1-vs-4 run")
    parser.add_argument("--concurrent-only", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, do not record")
    parser.add_argument("--profile", type=int, default=0, help="profile merging N bundles")
    options = parser.parse_args()
    if options.bundles > KECAMATAN * KELURAHAN_PER_KECAMATAN:
        raise SystemExit(f"at most {KECAMATAN * KELURAHAN_PER_KECAMATAN} bundles (one a laptop)")
    sys.path.insert(0, str(ROOT / "src"))
    kdf = _load("run")._fast_kdf()
    server = _server()
    result: dict[str, Any] = {"bundles": options.bundles, "load": os.getloadavg()}
    try:
        with server.connect() as admin:
            result["server_version"] = admin.execute("SHOW server_version").fetchone()[0]
        with tempfile.TemporaryDirectory(prefix="tpsdesk-bench-pg-") as tmp:
            folder = Path(tmp)
            if options.profile:
                profile_merge(server, folder, options.profile, kdf)
                return
            if not options.concurrent_only:
                begin = time.perf_counter()
                path, places = make_district(folder, _create_database(server, "district"), kdf)
                approve_laptops(path, options.bundles)
                print(f"district ready in {time.perf_counter() - begin:.0f} s", flush=True)
                result["copy"] = copy_baseline(server, places, options.bundles)
                print(f"COPY baseline: {result['copy']:.1f} s", flush=True)
                result["merge"] = merge_range(path, places, list(range(options.bundles)))
                print(f"merge: {result['merge']['merge']:.1f} s", flush=True)
                record(result, options, done=False)  # a long run keeps what it measured
                result["exports"] = exports(path, folder)
                print(f"exports: {result['exports']}", flush=True)
                record(result, options, done=False)
            result["concurrent_bundles"] = options.concurrent
            result["concurrent"] = concurrent(server, folder, options.concurrent, kdf)
    finally:
        server.stop()
    record(result, options, done=True)


def record(result: dict[str, Any], options: argparse.Namespace, *, done: bool) -> None:
    if not options.no_write:
        result["partial"] = not done
        write_results(result)


if __name__ == "__main__":
    main()
