"""Benchmarks of the district desk (issue 9); results go to benchmarks/RESULTS-desk.md.

    uv run python benchmarks/desk.py

(as Python runs on a laptop, caching bytecode: where PYTHONDONTWRITEBYTECODE is set, run it
as `env -u PYTHONDONTWRITEBYTECODE uv run python benchmarks/desk.py`, else every first import
compiles its source and counts against the keystroke that made it)

- every key pressed on the desk of a sample world (`tpsdesk demo --district`) at 80×24, in
  three fresh sessions started as `uv run tpsdesk` starts them (warm-up included), each key's
  median of the three: the time the UI thread spends on the key, from the key event to the
  screen redrawn and idle
  (`time.thread_time` of the event loop's thread: Textual's test driver polls for idleness
  with short sleeps, which would otherwise be counted; work started in background workers
  runs in other threads, the UI stays usable meanwhile); no keystroke over 50 ms;
- the inbox, findings and coverage measurements of benchmarks/desk_inbox.py,
  desk_findings.py and desk_coverage.py (each module's `measure()` gives
  (label, seconds, target seconds) rows).

Stores use tiny Argon2id parameters: opening measures reading, not key derivation.
"""

from __future__ import annotations

import asyncio
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import ClassVar

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS-desk.md"
PASSPHRASE = "benchmark passphrase that is long"
KEYSTROKE_TARGET = 0.050
PARTS = ("desk_inbox", "desk_findings", "desk_coverage")

# Keys a clerk presses on the desk: every tab, moving through its table, paging, help.
KEYS = (
    *("f2", "down", "down", "up"),
    *("f4", "down", "down", "up"),
    *("f5", "down", "down", "right_square_bracket", "left_square_bracket"),
    *("f6", "down", "enter", "down", "backspace"),
    *("f7", "down", "up"),
    *("f1", "escape", "f2"),
    # Back to tabs opened before: nothing changed since, nothing to read again.
    *("f4", "f5", "f6", "f7", "f2"),
)


def _load(name: str) -> ModuleType | None:
    path = HERE / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"tpsdesk_bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _machine() -> dict[str, str]:
    run = _load("run")
    assert run is not None
    result: dict[str, str] = run.machine()
    return result


def _world(folder: Path) -> Path:
    from tpsdesk.exchange.demo_world import build_world
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import KdfParams

    kdf = KdfParams(iterations=1, memory_kib=64, lanes=1)
    path = folder / "district" / "tpsdesk.store"
    store, _key = Store.create(path, PASSPHRASE, role="district", operator="bench", kdf=kdf)
    try:
        build_world(store, PASSPHRASE, folder / "world", kdf=kdf)
    finally:
        store.close()
    return path


async def _keystrokes(store_path: Path) -> list[tuple[str, float]]:
    from tpsdesk.ui.app import WARM_UP_DELAY_S, build_app

    # As `uv run tpsdesk` starts it: with the warm-up after unlocking (ui/warm_up.py).
    app = build_app(store_path, language="id", warm_up=True)
    app.animation_level = "none"
    timings: list[tuple[str, float]] = []
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.screen.query_one("#passphrase").value = PASSPHRASE  # type: ignore[attr-defined]
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            # The clerk reads the desk a moment: the warm-up and the closed tabs' reading
            # start after a short delay (ui/app.py, ui/district/desk.py) and finish first.
            await pilot.pause(WARM_UP_DELAY_S + 1.0)
            await app.workers.wait_for_complete()
            await pilot.pause()
            for key in KEYS:
                start = time.thread_time()
                await pilot.press(key)
                timings.append((key, time.thread_time() - start))
                # Work the key started in a worker is not the keystroke's: let it finish.
                await app.workers.wait_for_complete()
                await pilot.pause()
    finally:
        app.close_store()
    return timings


TAB_KEYS = {"f2", "f4", "f5", "f6", "f7"}
DIALOG_KEYS = {"f1", "escape"}


async def _bare_tab_switches() -> list[float]:
    """Textual's own cost of switching tabs, for comparison: a bare TabbedContent of five
    tabs, each a DataTable of 100 rows between two lines of text, at 80×24."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

    class Bare(App[None]):
        BINDINGS: ClassVar = [(f"f{i}", f"tab({i})", "tab") for i in range(2, 7)]

        def compose(self) -> ComposeResult:
            yield Header()
            with TabbedContent(id="tabs"):
                for i in range(2, 7):
                    with TabPane(f"Tab {i}", id=f"tab{i}"):
                        yield Static("summary")
                        yield DataTable(id=f"table{i}")
                        yield Static("detail")
            yield Footer()

        def on_mount(self) -> None:
            for i in range(2, 7):
                table: DataTable[str] = self.query_one(f"#table{i}", DataTable)
                table.add_columns(*"abcdef")
                for row in range(100):
                    table.add_row(*[f"cell {row} {column}" for column in range(6)])

        def action_tab(self, i: int) -> None:
            self.query_one("#tabs", TabbedContent).active = f"tab{i}"

    app = Bare()
    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in ("f3", "f4", "f5", "f6", "f2") * 3:
            start = time.thread_time()
            await pilot.press(key)
            times.append(time.thread_time() - start)
    return times


RUNS = 3


def main() -> int:
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store_path = _world(Path(tmp))
        # The same keys in three fresh sessions; each key's median of the three, so one
        # run's stray pause of the machine does not stand for the desk.
        runs = [asyncio.run(_keystrokes(store_path)) for _ in range(RUNS)]
    timings = [
        (key, statistics.median(run[index][1] for run in runs))
        for index, (key, _time) in enumerate(runs[0])
    ]
    print("keystrokes (ms):", ", ".join(f"{k} {t * 1000:.0f}" for k, t in timings))
    seen: set[str] = set()
    first_open: set[int] = set()  # a tab's first opening: its rows read and drawn
    for index, (key, _time) in enumerate(timings):
        if key in TAB_KEYS and key not in seen:
            first_open.add(index)
        seen.add(key)
    groups: tuple[tuple[str, Callable[[int, str], bool]], ...] = (
        (
            "moving in a tab (cursor, paging, drilling down/up)",
            lambda i, k: k not in TAB_KEYS | DIALOG_KEYS,
        ),
        ("opening a tab the first time (its rows read and drawn)", lambda i, k: i in first_open),
        (
            "switching back to a tab opened before",
            lambda i, k: k in TAB_KEYS and i not in first_open,
        ),
        ("F1 help and Esc", lambda i, k: k in DIALOG_KEYS),
    )
    for label, wanted in groups:
        chosen = [(k, t) for i, (k, t) in enumerate(timings) if wanted(i, k)]
        slowest_key, slowest = max(chosen, key=lambda pair: pair[1])
        rows.append(
            (
                f"keystrokes, {label}: slowest ({slowest_key}) of {len(chosen)}; median "
                f"{statistics.median(t for _k, t in chosen) * 1000:.0f} ms",
                slowest,
                KEYSTROKE_TARGET,
            )
        )
    bare = asyncio.run(_bare_tab_switches())
    rows.append(
        (
            f"reference: Textual's own tab switch (bare TabbedContent, five DataTables of 100 "
            f"rows); median {statistics.median(bare) * 1000:.0f} ms, slowest",
            max(bare),
            KEYSTROKE_TARGET,
        )
    )
    for name in PARTS:
        module = _load(name)
        if module is None:
            print(f"{name}.py is missing: skipped", file=sys.stderr)
            continue
        rows.extend(module.measure())
    for label, seconds, target in rows:
        print(f"{label}: {seconds * 1000:.0f} ms (target ≤ {target * 1000:.0f} ms)")
    _write(rows)
    return 0


def _verdict(seconds: float, target: float) -> str:
    return "ok" if seconds <= target else "MISSED"


def _write(rows: list[tuple[str, float, float]]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results: the district desk",
        "",
        f"Recorded {now} with `uv run python benchmarks/desk.py`.",
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in _machine().items()],
        "",
        "## Results",
        "",
        "| measurement | result | target | |",
        "|---|---|---|---|",
        *[
            f"| {label} | {seconds * 1000:.0f} ms | ≤ {target * 1000:.0f} ms | "
            f"{_verdict(seconds, target)} |"
            for label, seconds, target in rows
        ],
        "",
    ]
    marker = "<!-- analysis: kept by desk.py -->"
    kept: list[str] = []
    if RESULTS.exists():
        text = RESULTS.read_text(encoding="utf-8")
        if marker in text:
            kept = [marker, text.split(marker, 1)[1].strip("\n"), ""]
    if not kept:
        kept = [marker, "", "## Analysis", "", "(written by hand after a run)", ""]
    RESULTS.write_text("\n".join(lines + kept), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
