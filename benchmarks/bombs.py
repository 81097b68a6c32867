"""How quickly the sync reader stops a decompression bomb (SECURITY.md, adversarial test 19).

    uv run python benchmarks/bombs.py [--runs R]

The unit tests (tests/sync/test_container_adversarial.py) check that each bomb is refused
with PayloadTooLarge and without allocating it; how long the refusal takes is measured here,
against its target, and written to benchmarks/RESULTS-bombs.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS-bombs.md"
TARGET_S = 1.0  # a bomb is stopped within a second on a 2-core machine


def gigabyte_of_zeros() -> bytes:
    """A valid zlib stream that unpacks to 1 GiB of zeros (as the unit test builds it)."""
    block = bytes(4 * 1024 * 1024)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    adler = ((256 * len(block)) % 65521) << 16 | 1
    return b"\x78\xda" + first * 256 + deflate.flush() + adler.to_bytes(4, "big")


def tiny_lines() -> bytes:
    """Four million `{}` lines: within the byte cap, far beyond the row cap."""
    compressor = zlib.compressobj(9)
    block = b"{}\n" * (1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(4)) + compressor.flush()


def time_refusal(action: Callable[[], object], runs: int) -> list[float]:
    from tpsdesk.sync import errors

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            action()
        except errors.PayloadTooLarge:
            times.append(time.perf_counter() - start)
        else:
            raise SystemExit("the bomb was not stopped")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from tpsdesk.sync.container import MAX_DECOMPRESSED
    from tpsdesk.sync.payload import decode_rows

    zeros = gigabyte_of_zeros()
    lines = tiny_lines()
    cases = [
        (
            "1 GiB of zeros in a 1 MiB zlib stream",
            lambda: decode_rows(zeros, max_size=MAX_DECOMPRESSED),
        ),
        (
            "4 million `{}` lines (row cap 1,000)",
            lambda: decode_rows(lines, max_size=MAX_DECOMPRESSED, max_rows=1000),
        ),
    ]
    rows = []
    for name, action in cases:
        times = time_refusal(action, args.runs)
        median = statistics.median(times)
        verdict = "ok" if median <= TARGET_S else "MISSED"
        rows.append(
            f"| {name} | {median * 1000:.0f} ms | {max(times) * 1000:.0f} ms "
            f"| ≤ {TARGET_S * 1000:.0f} ms | {verdict} |"
        )
        print(rows[-1])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(
        "# Decompression bombs (SECURITY.md test 19)\n\n"
        f"Run {stamp} on {platform.platform()}, Python {sys.version.split()[0]}; "
        f"`uv run python benchmarks/bombs.py --runs {args.runs}`. Time from the call to "
        "`PayloadTooLarge`; the unit tests check the refusal and its peak memory (< 16 MiB).\n\n"
        "| bomb | median | worst | target | |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
