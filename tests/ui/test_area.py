"""Area set-up by keyboard: kecamatan, kelurahan, a range of TPS; bad codes; CSV import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.ui.conftest import (
    create_store,
    fill,
    make_app,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
    table_rows,
    unlock,
)
from textual.pilot import Pilot
from textual.widgets import DirectoryTree

from tpsdesk.store import areas
from tpsdesk.ui.screens.area import AreaScreen
from tpsdesk.ui.screens.dashboard import DashboardScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.screens.simple_form import SimpleForm
from tpsdesk.ui.widgets.places import PlacePicker, remember_place

HEADER = "kecamatan_code,kecamatan_name,kelurahan_code,kelurahan_name,tps_number,tps_address"


async def test_area_by_keyboard(store_path: Path) -> None:
    create_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, AreaScreen)

        # A kecamatan code with a part missing is refused in the form; nothing is saved.
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, SimpleForm)
        await fill(pilot, "#code", "35.73")
        await fill(pilot, "#name", "Sukun")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SimpleForm)
        assert static_text(app, "#error")
        assert areas.list_kecamatan(app.require_store()) == []

        await fill(pilot, "#code", "357305")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, AreaScreen)
        assert [(k.code, k.name) for k in areas.list_kecamatan(app.require_store())] == [
            ("35.73.05", "Sukun")
        ]

        # The kelurahan form starts from the selected kecamatan; a code outside it is refused.
        await pilot.press("l")
        await settle(pilot)
        assert app.screen.values()["code"] == "35.73.05."
        await fill(pilot, "#code", "35.73.06.1001")
        await fill(pilot, "#name", "Bandungrejosari")
        await pilot.press("f2")
        await settle(pilot)
        assert "does not lie in kecamatan 35.73.05" in static_text(app, "#error")
        await fill(pilot, "#code", "35.73.05.99")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SimpleForm)
        assert static_text(app, "#error")
        assert areas.list_kelurahan(app.require_store()) == []
        await fill(pilot, "#code", "35.73.05.1001")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, AreaScreen)

        # A range of TPS: first a bad one, then 1-3.
        await pilot.press("t")
        await settle(pilot)
        assert app.screen.values()["kelurahan"] == "35.73.05.1001"
        await fill(pilot, "#numbers", "3-1")
        await pilot.press("f2")
        await settle(pilot)
        assert "runs backwards" in static_text(app, "#error")
        assert areas.list_tps(app.require_store()) == []
        await fill(pilot, "#numbers", "1-3")
        await fill(pilot, "#address", "Balai RW 2")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, AreaScreen)
        stored = areas.list_tps(app.require_store())
        assert [(t.kelurahan_code, t.number, t.address) for t in stored] == [
            ("35.73.05.1001", n, "Balai RW 2") for n in (1, 2, 3)
        ]
        rows = table_rows(app, "#area")
        assert [row[1] for row in rows] == ["35.73.05", "35.73.05.1001", "001", "002", "003"]
        assert "Bandungrejosari" in screen_text(app)

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "3 TPS, 3 incomplete" in screen_text(app)
        assert len(table_rows(app, "#tps-table")) == 3
    with open_store(store_path) as reopened:
        assert len(areas.list_tps(reopened)) == 3


async def test_area_csv_import(store_path: Path, tmp_path: Path) -> None:
    create_store(store_path)
    bad = tmp_path / "wilayah-salah.csv"
    bad.write_text(
        HEADER + "\n"
        "35.73.05,Sukun,35.73.05.1001,Bandungrejosari,1,Jl. Mawar 1\n"
        "35.73.05,Sukun,35.73.05.1001,Bandungrejosari,abc,Jl. Mawar 2\n"
        "35.73.05,Sukun,35.73.05.1001,Bandungrejosari,3,Jl. Mawar 3\n"
        "35.73,Sukun,35.73.05.1002,Sukun,1,\n",
        encoding="utf-8",
    )
    good = tmp_path / "wilayah.csv"
    good.write_text(
        HEADER + "\n"
        "35.73.05,Sukun,35.73.05.1001,Bandungrejosari,1,Jl. Mawar 1\n"
        "35.73.05,Sukun,35.73.05.1001,Bandungrejosari,2,Jl. Mawar 2\n"
        "35.73.05,Sukun,35.73.05.1002,Sukun,1,Balai RW 1\n",
        encoding="utf-8",
    )
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f2")
        await settle(pilot)

        # A file that vanished between the picker and the import: said, nothing imported.
        assert isinstance(app.screen, AreaScreen)
        app.screen.import_file(tmp_path / "missing.csv")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        # The whole message: on screen a long temporary path (xdist's) folds inside the name.
        assert "missing.csv" in static_text(app, ".title")
        await pilot.press("escape")
        await settle(pilot)

        remember_place("area-list", tmp_path)
        await pilot.press("i")
        await choose_file(pilot, bad.name)
        assert isinstance(app.screen, MessageScreen)
        shown = screen_text(app)
        assert "nothing was imported" in shown
        assert "Line 3" in shown
        assert "Line 5" in shown
        assert "Line 2" not in shown and "Line 4" not in shown
        assert areas.list_kecamatan(app.require_store()) == []
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AreaScreen)
        assert table_rows(app, "#area") == []

        await pilot.press("i")
        await choose_file(pilot, good.name)
        assert isinstance(app.screen, AreaScreen)
        store = app.require_store()
        assert [k.code for k in areas.list_kelurahan(store)] == ["35.73.05.1001", "35.73.05.1002"]
        assert [(t.kelurahan_code, t.number) for t in areas.list_tps(store)] == [
            ("35.73.05.1001", 1),
            ("35.73.05.1001", 2),
            ("35.73.05.1002", 1),
        ]
        assert len(table_rows(app, "#area")) == 1 + 2 + 3


async def choose_file(pilot: Pilot[Any], name: str) -> None:
    """In the PlacePicker just opened, move to the file called `name` in its tree and press
    Enter. (Not `settle`: the tree's loader is a worker that runs while the tree is shown.)"""
    for _round in range(200):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if not isinstance(screen, PlacePicker):
            continue
        tree = screen.query_one(DirectoryTree)
        lines = [tree.get_node_at_line(line) for line in range(tree.last_line + 1)]
        found = [n for n in lines if n is not None and n.data and n.data.path.name == name]
        if found:
            tree.focus()
            tree.move_cursor(found[0])
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            return
    raise AssertionError(f"{name} is not in the picker's tree")
