"""Performance benchmarks of issue 2, point 8; results go to benchmarks/RESULTS.md.

    uv run python benchmarks/run.py            10k and 100k officers (a few minutes)
    uv run python benchmarks/run.py --quick    10k only, fewer repetitions

Every figure is the median of several runs. Stores are made with `tpsdesk.exchange.demo` and
tiny Argon2id parameters, so opening measures reading, decrypting and loading the image, not
key derivation (which is excluded by the targets; its default cost is reported separately).
Memory and app start are measured in fresh processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ANALYSIS_MARKER = "<!-- analysis: kept by run.py -->"
PASSPHRASE = "benchmark passphrase that is long"

# Targets (issue 2, point 8), on a 2-core machine.
TARGETS = {
    "open_10k": 0.100,
    "open_100k": 1.5,
    "save_10k": 0.025,
    "save_100k": 0.200,
    "search_10k": 0.050,
    "app_start": 1.0,
    "rss_100k_mb": 300.0,
}


def _fast_kdf() -> Any:
    from tpsdesk.store.vault import KdfParams

    return KdfParams(iterations=1, memory_kib=64, lanes=1)


def median_time(func: Callable[[], Any], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def make_store(folder: Path, officers: int) -> Path:
    from tpsdesk.exchange.demo import fill_demo
    from tpsdesk.store.db import Store

    path = folder / f"bench-{officers}.store"
    start = time.perf_counter()
    store, _recovery = Store.create(path, PASSPHRASE, kdf=_fast_kdf())
    try:
        fill_demo(store, officers, rng_seed=officers)
    finally:
        store.close()
    print(f"  made a store of {officers} officers in {time.perf_counter() - start:.1f} s")
    return path


def bench_open(path: Path, runs: int) -> float:
    from tpsdesk.store.db import Store

    def once() -> None:
        Store.open(path, PASSPHRASE).close()

    once()  # warm the page cache
    return median_time(once, runs)[0]


def bench_save(path: Path, runs: int) -> float:
    """One officer's phone number changed, through the repository: commit + seal + write."""
    from tpsdesk.domain.officer import OfficerFields
    from tpsdesk.domain.problems import Sex
    from tpsdesk.store.db import Store
    from tpsdesk.store.officers import get_officer, list_officers, update_officer

    store = Store.open(path, PASSPHRASE)
    try:
        ids = [hit.id for hit in list_officers(store, limit=500)]
        rng = random.Random(1)
        times = []
        for run in range(runs):
            officer = get_officer(store, rng.choice(ids))
            assert officer is not None
            fields = OfficerFields(
                nik=officer.nik,
                name=officer.name,
                birth_place=officer.birth_place,
                birth_date=officer.birth_date,
                sex=Sex(officer.sex),
                address=officer.address,
                postcode=officer.postcode,
                phone=f"08123{run:07d}",
                email=officer.email,
                mother_name=officer.mother_name,
                marital_status=officer.marital_status,
                post_code=officer.post_code,
                duty_start=officer.duty_start,
                duty_end=officer.duty_end,
            )
            start = time.perf_counter()
            update_officer(store, officer.id, replace(fields))
            times.append(time.perf_counter() - start)
        return statistics.median(times)
    finally:
        store.close()


def bench_search(path: Path, runs: int) -> tuple[float, float]:
    """Per keystroke: each prefix of a name, and of a NIK, as typed; median and worst."""
    from tpsdesk.store.db import Store
    from tpsdesk.store.officers import list_officers, search_officers

    store = Store.open(path, PASSPHRASE)
    try:
        sample = list_officers(store, limit=2000)
        rng = random.Random(2)
        times = []
        for _ in range(runs):
            hit = rng.choice(sample)
            for text in (hit.name, hit.nik):
                for end in range(1, len(text) + 1):
                    start = time.perf_counter()
                    search_officers(store, text[:end])
                    times.append(time.perf_counter() - start)
        return statistics.median(times), max(times)
    finally:
        store.close()


_RSS_SCRIPT = """
import json, resource, sys, time
from tpsdesk.store.db import Store
from tpsdesk.store.completion import tps_completion
from tpsdesk.store.officers import list_officers, search_officers, count_officers
path, passphrase = sys.argv[1], sys.argv[2]
def status_kib(field):
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec,
    # so a child of a big benchmark process would report the parent's peak.
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def current_kib():
    return status_kib("VmRSS")
store = Store.open(path, passphrase)
open_peak = status_kib("VmHWM")
count = count_officers(store)
tps_completion(store)
search_officers(store, "Sri")
list_officers(store, limit=100)
working = current_kib()
working_peak = status_kib("VmHWM")
store.save()
peak = status_kib("VmHWM")
store.close()
print(json.dumps({"officers": count, "open_peak_kib": open_peak, "working_kib": working,
                  "working_peak_kib": working_peak, "peak_kib": peak}))
"""


def bench_rss(path: Path) -> dict[str, Any]:
    """Peak resident memory of a fresh process that opens the store, shows the dashboard's
    data, searches, and saves."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(path), PASSPHRASE],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(out.stdout)
    return data


_APP_SCRIPT = """
import asyncio, sys, time
start = time.perf_counter()
from pathlib import Path
from tpsdesk.ui.app import build_app

async def main():
    app = build_app(Path(sys.argv[1]), language="id")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first = type(app.screen).__name__
        elapsed = time.perf_counter() - start
    print(first, elapsed)

asyncio.run(main())
"""


def bench_app_start(path: Path, runs: int) -> tuple[float, float, str] | None:
    """From a fresh interpreter (after its own start-up) to the first screen mounted, at 80×24;
    also the whole process's wall time. None if the app cannot be built."""
    inner, outer, screen = [], [], ""
    # As on a user's laptop, imports come from compiled bytecode: PYTHONDONTWRITEBYTECODE (set
    # on some build machines) is dropped, and a first, uncounted run fills the cache.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for attempt in range(runs + 1):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _APP_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            env={**env, "TPSDESK_CONFIG_DIR": tempfile.mkdtemp()},
        )
        if attempt == 0 and out.returncode == 0:
            continue
        outer.append(time.perf_counter() - start)
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            return None
        screen, seconds = out.stdout.split()[-2:]
        inner.append(float(seconds))
    return statistics.median(inner), statistics.median(outer), screen


def bench_kdf(runs: int) -> float:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    from tpsdesk.store.vault import KdfParams

    params = KdfParams()

    def once() -> None:
        Argon2id(
            salt=os.urandom(16),
            length=32,
            iterations=params.iterations,
            lanes=params.lanes,
            memory_cost=params.memory_kib,
        ).derive(PASSPHRASE.encode())

    return median_time(once, runs)[0]


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // 1024} MiB"
    except OSError:
        pass
    import cryptography
    import sqlalchemy

    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "cryptography": cryptography.__version__,
    }


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "**missed**"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="10k only, fewer repetitions")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = 5 if args.quick else 9
    sizes = [10_000] if args.quick else [10_000, 100_000]
    rows: list[tuple[str, str, str, str]] = []
    notes: list[str] = []

    with tempfile.TemporaryDirectory(prefix="tpsdesk-bench-") as tmp:
        folder = Path(tmp)
        stores = {}
        for size in sizes:
            print(f"store of {size} officers")
            stores[size] = make_store(folder, size)
            notes.append(
                f"store file at {size // 1000}k officers: "
                f"{stores[size].stat().st_size / 1e6:.1f} MB"
            )
        for size, path in stores.items():
            label = f"{size // 1000}k"
            print(f"open {label}")
            value = bench_open(path, runs)
            target = TARGETS[f"open_{label}"]
            rows.append(
                (f"open a store of {label} officers (KDF excluded)", f"{value * 1000:.0f} ms",
                 f"≤ {target * 1000:.0f} ms", verdict(value, target))
            )  # fmt: skip
            print(f"save {label}")
            value = bench_save(path, runs * 2)
            target = TARGETS[f"save_{label}"]
            rows.append(
                (f"save one edit at {label}", f"{value * 1000:.0f} ms",
                 f"≤ {target * 1000:.0f} ms", verdict(value, target))
            )  # fmt: skip
        print("search 10k")
        median, worst = bench_search(stores[10_000], runs)
        rows.append(
            ("search per keystroke at 10k (name and NIK prefixes)",
             f"{median * 1000:.1f} ms (worst {worst * 1000:.1f} ms)",
             f"≤ {TARGETS['search_10k'] * 1000:.0f} ms", verdict(median, TARGETS["search_10k"]))
        )  # fmt: skip
        biggest = max(stores)
        print(f"memory {biggest // 1000}k")
        rss = bench_rss(stores[biggest])
        peak_mb = rss["peak_kib"] / 1024
        target_key = "rss_100k_mb"
        rows.append(
            (f"peak resident memory, {rss['officers'] // 1000}k officers: open, dashboard data, "
             "search, one save",
             f"{peak_mb:.0f} MB (peak before the save: {rss['working_peak_kib'] / 1024:.0f} MB, "
             f"of which opening {rss['open_peak_kib'] / 1024:.0f} MB; resident while working: "
             f"{rss['working_kib'] / 1024:.0f} MB)",
             f"≤ {TARGETS[target_key]:.0f} MB at 100k",
             verdict(peak_mb, TARGETS[target_key]) if biggest == 100_000 else "(10k only)")
        )  # fmt: skip
        print("app start")
        started = bench_app_start(stores[10_000], 3 if args.quick else 5)
        if started is None:
            rows.append(("app start to first screen", "not measured (app failed)", "≤ 1 s", "?"))
        else:
            inner, outer, screen = started
            rows.append(
                (f"app start to first screen ({screen}, 80×24, headless)",
                 f"{inner * 1000:.0f} ms (whole process incl. interpreter: {outer * 1000:.0f} ms)",
                 "≤ 1000 ms", verdict(inner, TARGETS["app_start"]))
            )  # fmt: skip
        kdf = bench_kdf(3)
        notes.append(
            f"Argon2id at the default parameters (t=3, 64 MiB, 4 lanes): {kdf * 1000:.0f} ms"
        )

    write_results(args.out, rows, notes, quick=args.quick, runs=runs)
    print(args.out.read_text())
    return 0


def write_results(
    out: Path, rows: list[tuple[str, str, str, str]], notes: list[str], *, quick: bool, runs: int
) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Recorded {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with "
        f"`uv run python benchmarks/run.py{' --quick' if quick else ''}`; medians of {runs} runs "
        "(save: twice as many edits; search: every prefix of a name and of a NIK).",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in machine().items()]
    lines += [
        "",
        "## Results",
        "",
        "| measurement | result | target | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in notes]
    write_keeping_analysis(out, "\n".join(lines) + "\n", ANALYSIS_MARKER)


def write_keeping_analysis(out: Path, text: str, marker: str) -> None:
    """Write `text`; a hand-written analysis below `marker` in the old file survives re-runs."""
    if out.exists():
        previous = out.read_text(encoding="utf-8")
        if marker in previous:
            text += "\n" + marker + previous.split(marker, 1)[1]
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
