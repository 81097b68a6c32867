"""The write paths of the one stamper (issue 10 point 9), which import_sheet.py times only for
creations: prints the best of a few runs; figures are noted in RESULTS-import.md's analysis.

    uv run python benchmarks/stamping.py

- apply 10k new: `apply_import` of the 10,000 officers of import_sheet.py's file (one
  transaction, one save), already read and planned;
- apply 10k updated: the same officers again, each with another address (every row updated);
- demo 20k: `fill_demo` of 20,000 officers into an empty store (the sample area included).

To compare with another commit, run it with that commit's `src` first on PYTHONPATH.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = 3
TODAY = date(2024, 10, 1)


def main() -> int:
    sys.path.insert(0, str(HERE))
    import import_sheet as bench

    import tpsdesk
    from tpsdesk.exchange.demo import fill_demo
    from tpsdesk.exchange.officer_sheet import load_saved_mapping, read_officer_sheet
    from tpsdesk.store.db import Store
    from tpsdesk.store.officer_import import apply_import, plan_import
    from tpsdesk.store.vault import KdfParams

    best: dict[str, float] = {}

    def keep(label: str, seconds: float) -> None:
        best[label] = min(best.get(label, seconds), seconds)

    with tempfile.TemporaryDirectory(prefix="tpsdesk-stamping-") as tmp:
        folder = Path(tmp)
        sheet = folder / "petugas.xlsx"
        bench.make_sheet(sheet, bench.ROWS)
        for run in range(RUNS):
            path = folder / f"import-{run}.store"
            bench.make_store(path)
            store = Store.open(path, bench.PASSPHRASE)
            try:
                read = read_officer_sheet(sheet, mapping=load_saved_mapping(store))
                rows = list(read.rows)
                plan = plan_import(store, rows, columns=read.field_columns, today=TODAY)
                start = time.perf_counter()
                apply_import(store, plan)
                keep("apply 10k new", time.perf_counter() - start)
                moved = [
                    dataclasses.replace(r, draft=dataclasses.replace(r.draft, address="Jl. Baru"))
                    for r in rows
                ]
                plan = plan_import(store, moved, columns=read.field_columns, today=TODAY)
                assert plan.counts.updated == bench.ROWS, plan.counts
                start = time.perf_counter()
                apply_import(store, plan)
                keep("apply 10k updated", time.perf_counter() - start)
            finally:
                store.close()
            demo, _recovery = Store.create(
                folder / f"demo-{run}.store",
                bench.PASSPHRASE,
                kdf=KdfParams(iterations=1, memory_kib=64, lanes=1),
            )
            try:
                start = time.perf_counter()
                fill_demo(demo, 20_000, today=TODAY)
                keep("demo 20k", time.perf_counter() - start)
            finally:
                demo.close()
    print(tpsdesk.__file__)
    for label, seconds in best.items():
        print(f"  {label}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
