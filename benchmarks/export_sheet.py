"""Export benchmark (issue 4): the BPJS sheet and the budget for 10,000 officers.

    uv run python benchmarks/export_sheet.py [--officers N] [--runs R]

Fills a fresh store (tiny Argon2id) with `exchange.demo`, sets a UMP wage basis and a
Panwascam duty period so that (nearly) every officer is exported, then times each export in a
fresh child process and reports its peak RSS. Results go to benchmarks/RESULTS-export.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS-export.md"
PASSPHRASE = "benchmark passphrase that is long"
TARGET_BPJS_S = 5.0

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from tpsdesk.i18n import set_language
from tpsdesk.store.db import Store
set_language("en")
store_path, kind, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
store = Store.open(store_path, sys.argv[4])
start = time.perf_counter()
if kind == "bpjs":
    from tpsdesk.exchange.bpjs_export import export_bpjs
    result = export_bpjs(store, out)
    extra = {"exported": result.exported, "excluded": len(result.excluded)}
else:
    from tpsdesk.exchange.budget_export import export_budget
    result = export_budget(store, out)
    extra = {"lines": len(result.budget.lines), "not_counted": len(result.budget.not_counted)}
elapsed = time.perf_counter() - start
store.close()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "rss_mb": rss, **extra}))
"""


def make_store(folder: Path, officers: int) -> Path:
    from datetime import date
    from decimal import Decimal

    from tpsdesk.domain.pay import PaySettings, WageBasis
    from tpsdesk.exchange.demo import fill_demo
    from tpsdesk.store.db import Store
    from tpsdesk.store.pay_settings import save_pay_settings, set_duty_period
    from tpsdesk.store.vault import KdfParams

    path = folder / "bench.store"
    store, _recovery = Store.create(
        path, PASSPHRASE, kdf=KdfParams(iterations=1, memory_kib=64, lanes=1)
    )
    try:
        fill_demo(store, officers, rng_seed=officers)
        set_duty_period(store, "panwascam", date(2024, 11, 1), date(2024, 12, 31))
        save_pay_settings(store, PaySettings(basis=WageBasis.UMP, amount=Decimal("2165244.30")))
    finally:
        store.close()
    return path


def run_child(store: Path, kind: str, out: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(store), kind, str(out), PASSPHRASE],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        store = make_store(folder, args.officers)
        print(f"store of {args.officers} officers made in {time.perf_counter() - start:.1f} s")
        results: dict[str, list[dict[str, float]]] = {"bpjs": [], "budget": []}
        for run in range(args.runs):
            for kind in results:
                out = folder / f"{kind}-{run}.xlsx"
                results[kind].append(run_child(store, kind, out))
                print(kind, results[kind][-1])
    lines = [
        "# Export benchmark (issue 4)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"`uv run python benchmarks/export_sheet.py --officers {args.officers} "
        f"--runs {args.runs}`.",
        "",
        "Each export runs in a fresh process on a store filled by `exchange.demo` (UMP basis, so",
        "every post has a wage); time is the export call only (opening the store excluded),",
        "RSS is the child's peak (store image in memory included). Median of the runs.",
        "",
        "| export | officers | median s | runs s | peak RSS MB | target |",
        "|---|---|---|---|---|---|",
    ]
    for kind, runs in results.items():
        seconds = [r["seconds"] for r in runs]
        target = f"≤ {TARGET_BPJS_S:.0f} s" if kind == "bpjs" else "—"
        lines.append(
            f"| {kind} (xlsx) | {args.officers} | {statistics.median(seconds):.2f} | "
            f"{', '.join(f'{s:.2f}' for s in seconds)} | "
            f"{max(r['rss_mb'] for r in runs):.0f} | {target} |"
        )
    bpjs = results["bpjs"][0]
    lines += [
        "",
        f"BPJS: {bpjs['exported']:.0f} officers exported, {bpjs['excluded']:.0f} left out "
        "(demo officers that fail re-validation, e.g. an age judged on the new duty period).",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
