"""Officer import benchmark of issue 4; results go to benchmarks/RESULTS-import.md.

    uv run python benchmarks/import_sheet.py            10k rows, 3 runs
    uv run python benchmarks/import_sheet.py --quick    10k rows, 1 run

An XLSX of 10,000 officers (title rows above the header, the usual Indonesian headings, dates
as date cells, NIKs as text) is written with openpyxl's write_only mode into a temporary
folder. Each run imports it into a fresh store (tiny Argon2id parameters, as in
benchmarks/run.py; an area of 10 kelurahan × 100 TPS) in a fresh process, with the library calls
`tpsdesk officers import` makes: read the sheet, plan (validate, place, classify), apply (one
transaction, one save). Peak resident memory is that process's VmHWM. A second import of the
same file (all rows unchanged) is timed too.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS-import.md"
ANALYSIS_MARKER = "<!-- analysis: kept by import_sheet.py -->"
PASSPHRASE = "benchmark passphrase that is long"
ROWS = 10_000
KECAMATAN = "35.73.05"
KELURAHAN = 10
TPS_PER_KELURAHAN = 100

TARGETS = {"import_10k_s": 5.0}


def make_sheet(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from tpsdesk.domain.nik import synthetic_nik
    from tpsdesk.domain.problems import Sex

    rng = random.Random(4)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Petugas")
    ws.append(["DAFTAR PETUGAS BADAN AD HOC PILKADA 2024"])
    ws.append(["KECAMATAN LOWOKWARU"])
    ws.append([])
    ws.append(["No", "NIK", "Nama Lengkap", "Tempat Lahir", "Tgl. Lahir", "L/P", "Alamat",
               "No HP", "Jabatan", "No TPS", "Kel/Desa", "Status Kawin", "Kode Pos"])  # fmt: skip
    posts = ["Ketua KPPS", *["Anggota KPPS"] * 6, "Linmas", "Linmas", "PTPS"]
    for n in range(rows):
        sex = Sex.FEMALE if n % 2 else Sex.MALE
        born = date(1970, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30))
        nik = synthetic_nik(rng, region=KECAMATAN, birth_date=born, sex=sex, serial=n % 9999 + 1)
        tps = n // len(posts)
        ws.append([
            n + 1, nik, f"PETUGAS NOMOR {'ABCDEFGHIJ'[n % 10]}", "MALANG",
            datetime(born.year, born.month, born.day), sex.value, f"Jl. Mawar {n % 300 + 1}",
            f"0812{n:08d}", posts[n % len(posts)], tps % TPS_PER_KELURAHAN + 1,
            f"Kelurahan {tps // TPS_PER_KELURAHAN % KELURAHAN + 1}", "Y", "65141",
        ])  # fmt: skip
    wb.save(path)


def make_store(path: Path) -> None:
    from tpsdesk.store.areas import AreaRow, apply_area_rows
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import KdfParams

    store, _recovery = Store.create(
        path, PASSPHRASE, kdf=KdfParams(iterations=1, memory_kib=64, lanes=1)
    )
    try:
        apply_area_rows(
            store,
            [
                AreaRow(KECAMATAN, "Lowokwaru", f"{KECAMATAN}.{1001 + k}", f"Kelurahan {k + 1}", t)
                for k in range(KELURAHAN)
                for t in range(1, TPS_PER_KELURAHAN + 1)
            ],
        )
    finally:
        store.close()


_IMPORT_SCRIPT = """
import json, sys, time
from datetime import date
from pathlib import Path
def peak_kib():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
from tpsdesk.exchange.officer_sheet import read_officer_sheet, load_saved_mapping
from tpsdesk.store.db import Store
from tpsdesk.store.officer_import import apply_import, plan_import
store_path, sheet_path, passphrase = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
store = Store.open(store_path, passphrase)
result = {"before_kib": peak_kib()}
for label in ("first", "again"):
    start = time.perf_counter()
    sheet = read_officer_sheet(sheet_path, mapping=load_saved_mapping(store))
    read = time.perf_counter()
    plan = plan_import(store, sheet.rows, columns=sheet.field_columns, today=date(2024, 10, 1))
    planned = time.perf_counter()
    counts = apply_import(store, plan)
    done = time.perf_counter()
    result[label] = {"read": read - start, "plan": planned - read, "apply": done - planned,
                     "total": done - start, "new": counts.new, "unchanged": counts.unchanged,
                     "invalid": counts.invalid}
    result[label + "_peak_kib"] = peak_kib()
store.close()
print(json.dumps(result))
"""


def run_once(folder: Path, sheet: Path, index: int) -> dict[str, Any]:
    store = folder / f"bench-{index}.store"
    make_store(store)
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_SCRIPT, str(store), str(sheet), PASSPHRASE],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(1)
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="one run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    sys.path.insert(0, str(HERE))
    from run import machine, verdict, write_keeping_analysis

    with tempfile.TemporaryDirectory(prefix="tpsdesk-import-") as tmp:
        folder = Path(tmp)
        sheet = folder / "petugas.xlsx"
        start = time.perf_counter()
        make_sheet(sheet, ROWS)
        print(f"  wrote {ROWS} rows in {time.perf_counter() - start:.1f} s")
        size_mb = sheet.stat().st_size / 1e6
        results = []
        for index in range(runs):
            results.append(run_once(folder, sheet, index))
            first = results[-1]["first"]
            print(f"  run {index + 1}: {first['total']:.2f} s ({first})")

    def median(label: str, key: str) -> float:
        return statistics.median(r[label][key] for r in results)

    first = results[0]["first"]
    assert first["new"] == ROWS and first["invalid"] == 0, first
    assert results[0]["again"]["unchanged"] == ROWS, results[0]["again"]
    total = median("first", "total")
    peak_mb = max(r["first_peak_kib"] for r in results) / 1024
    base_mb = max(r["before_kib"] for r in results) / 1024
    rows = [
        (
            f"import {ROWS:,} rows from XLSX into a fresh store "
            "(read + validate + write + one save)",
            f"{total:.2f} s (read {median('first', 'read'):.2f} s, plan "
            f"{median('first', 'plan'):.2f} s, write and save {median('first', 'apply'):.2f} s)",
            f"≤ {TARGETS['import_10k_s']:.0f} s",
            verdict(total, TARGETS["import_10k_s"]),
        ),
        (
            "the same file again (every row unchanged, nothing written)",
            f"{median('again', 'total'):.2f} s",
            "",
            "",
        ),
        (
            "peak resident memory of the importing process",
            f"{peak_mb:.0f} MB (after opening the store: {base_mb:.0f} MB)",
            "bounded (streaming read)",
            "",
        ),
    ]
    notes = [f"the XLSX of {ROWS:,} rows: {size_mb:.2f} MB"]
    lines = [
        "# Officer import benchmark",
        "",
        f"Recorded {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with "
        f"`uv run python benchmarks/import_sheet.py{' --quick' if args.quick else ''}`; "
        f"median of {runs} run(s), each in a fresh process on a fresh store.",
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in machine().items()],
        "",
        "## Results",
        "",
        "| measurement | result | target | |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        "## Notes",
        "",
        *[f"- {note}" for note in notes],
    ]
    write_keeping_analysis(args.out, "\n".join(lines) + "\n", ANALYSIS_MARKER)
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
