"""SVG snapshots at 80×24 in Indonesian of what issue 10 points 4 and 6 changed: the settings
screen with the mother's-name setting, the officer form's mother's-name field refusing a digit,
and the exports screen with its folder line and file names (the export's result holds the
absolute path it wrote: tests/ui/test_mother_name.py reads it). (Update with
`pytest --snapshot-update`, then look.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import SIZE, add_area, add_sample_officers, create_store, fill, open_store
from tests.ui.test_snapshots import RELATIVE_STORE, SnapCompare, steady, unlock
from textual.pilot import Pilot

from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.screens import exports


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # relative paths: the same picture on every run
    create_store(RELATIVE_STORE)
    with open_store(RELATIVE_STORE) as store:
        add_sample_officers(store, add_area(store))
    Path("Dokumen").mkdir()
    monkeypatch.setattr(exports, "start_folder", lambda: Path("Dokumen"))
    return RELATIVE_STORE


@pytest.fixture
def indonesian_app() -> Iterator[Callable[[Path], TpsDeskApp]]:
    from tests.ui.conftest import make_app

    apps: list[TpsDeskApp] = []

    def build(path: Path) -> TpsDeskApp:
        app = make_app(path, language="id")
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close_store()


def test_settings_with_the_mother_name(
    sample: Path, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    async def settings(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("f8")
        await pilot.pause()
        pilot.app.screen.query_one("#ask-mother-name").focus()

    app = indonesian_app(sample)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady(settings))


def test_officer_form_mother_name_refused(
    sample: Path, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    async def form(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("down", "down", "enter")  # TPS 003: empty
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, "#mother_name", "SRI 2")
        pilot.app.screen.query_one("#mother_name").scroll_visible(animate=False)

    app = indonesian_app(sample)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady(form))


def test_exports_folder_and_names(
    sample: Path, indonesian_app: Any, snap_compare: SnapCompare
) -> None:
    async def open_exports(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("f6")

    app = indonesian_app(sample)
    assert snap_compare(app, terminal_size=SIZE, run_before=steady(open_exports))
