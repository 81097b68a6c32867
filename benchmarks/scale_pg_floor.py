"""The writes any merge must make on PostgreSQL, alone (benchmarks/RESULTS-scale.md, analysis):

    uv run python benchmarks/scale_pg_floor.py --bundles 1000

The same 1,000 bundles × 1,000 officers as `scale_pg.py`, written with no merge logic at all:
per bundle, one transaction of one COPY of the officers into the district's `officer` table
(its indexes, its stored name key) and one COPY of their versions (wire JSON and history) into
`sync_row_version`, beside a bare COPY of the officer columns into a plain table. Prints the
times and their ratio; nothing is written to the results file (the figures are quoted in its
analysis by hand).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_pg  # noqa: E402


def floor(url: str, places: dict[str, list[str]], count: int) -> float:
    import psycopg

    from tpsdesk.domain.names import name_key
    from tpsdesk.store.models import Officer

    scale = scale_pg._load("scale")
    columns = list(Officer.model_fields)
    officer_copy = "COPY officer ({}, name_key) FROM STDIN".format(
        ", ".join(f'"{c}"' for c in columns)
    )
    version_columns = ("table_name", "row_id", "device", "counter", "deleted", "values",
                       "history", "file_id", "sender_id", "superseded", "received_at")  # fmt: skip
    version_copy = "COPY sync_row_version ({}) FROM STDIN".format(
        ", ".join(f'"{c}"' for c in version_columns)
    )
    owned = {"status": "sent", "status_reason": "", "bpjs_number": None}
    total = 0.0
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as connection:
        for index in range(count):
            bundle = scale_pg.make_bundle(index, places, scale)
            officers = []
            versions = []
            for row in bundle.rows:
                values = {**row["values"], **owned}
                officers.append([*(values[c] for c in columns), name_key(values["name"])])
                versions.append(["officer", values["id"], values["version_device"],
                                 values["version_counter"], False, json.dumps(row["values"]),
                                 json.dumps(row.get("history") or []), bundle.file_id,
                                 bundle.sender_id, False, "2024-10-15T08:00:00+00:00"])  # fmt: skip
            begin = time.perf_counter()
            with connection.cursor() as cursor:
                with cursor.copy(officer_copy) as copy:
                    for record in officers:
                        copy.write_row(record)
                with cursor.copy(version_copy) as copy:
                    for record in versions:
                        copy.write_row(record)
            connection.commit()
            total += time.perf_counter() - begin
            if (index + 1) % 100 == 0:
                print(f"  {index + 1} bundles: {total:.1f} s", flush=True)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundles", type=int, default=1_000)
    options = parser.parse_args()
    sys.path.insert(0, str(HERE.parent / "src"))
    kdf = scale_pg._load("run")._fast_kdf()
    server = scale_pg._server()
    try:
        with tempfile.TemporaryDirectory(prefix="tpsdesk-bench-pg-floor-") as tmp:
            url = scale_pg._create_database(server, "floor")
            _path, places = scale_pg.make_district(Path(tmp), url, kdf)
            written = floor(url, places, options.bundles)
            bare = scale_pg.copy_baseline(server, places, options.bundles)
    finally:
        server.stop()
    officers = options.bundles * scale_pg.OFFICERS_PER_BUNDLE
    print(f"writes alone ({officers:,} officers and versions): {written:.1f} s")
    print(f"bare COPY of the officer columns: {bare:.1f} s")
    print(f"ratio: {written / bare:.1f}×")


if __name__ == "__main__":
    main()
