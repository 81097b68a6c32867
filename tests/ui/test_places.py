"""The place picker by keyboard: places list, folder tree, choosing, climbing up, a new folder,
the place remembered per purpose, and what it says when a folder cannot be read."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import fill, make_app, running, screen_text, settle, static_text
from textual.pilot import Pilot
from textual.widgets import OptionList

from tpsdesk.drives import Place
from tpsdesk.ui.screens.simple_form import SimpleForm
from tpsdesk.ui.typeahead import WINDOW, TypeAhead, find
from tpsdesk.ui.widgets.places import PlacePicker, PlaceTree, last_place, remember_place

BUNDLE_TIME = 1_727_740_800  # 2024-10-01 00:00 UTC


def make_world(root: Path) -> dict[str, Path]:
    """A stick with folders, bundles, a text file and the hidden folders Windows and Linux
    put on sticks; a home folder with Dokumen."""
    stick = root / "media" / "KINGSTON"
    for folder in ("arsip", "kiriman", ".Trash-1000", "System Volume Information"):
        (stick / folder).mkdir(parents=True)
    for name, size in (("paket-01.tpsb", 2048), ("PAKET-02.TPSB", 10), ("catatan.txt", 5)):
        (stick / name).write_bytes(b"x" * size)
        os.utime(stick / name, (BUNDLE_TIME, BUNDLE_TIME))
    (stick / "kiriman" / "paket-03.tpsb").write_bytes(b"x")
    home = root / "home" / "sri"
    (home / "Dokumen").mkdir(parents=True)
    return {"stick": stick, "home": home, "dokumen": home / "Dokumen"}


def world_places(world: dict[str, Path]) -> list[Place]:
    return [
        Place("USB KINGSTON (E:)", world["stick"], "removable"),
        Place("Folder rumah", world["home"], "home"),
        Place("Dokumen", world["dokumen"], "folder"),
    ]


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    return make_world(tmp_path / "world")


def picker(world: dict[str, Path], **kwargs: Any) -> PlacePicker:
    kwargs.setdefault("title", "Choose the inbox folder")
    return PlacePicker("inbox", places=lambda: world_places(world), **kwargs)


@asynccontextmanager
async def picking(
    tmp_path: Path, screen: PlacePicker, language: str = "en"
) -> AsyncIterator[tuple[Pilot[None], list[Path | None]]]:
    app = make_app(tmp_path / "desk" / "tpsdesk.store", language=language)
    results: list[Path | None] = []
    async with running(app) as pilot:
        app.push_screen(screen, results.append)
        await settle(pilot)
        yield pilot, results


def tree_of(pilot: Pilot[Any]) -> PlaceTree:
    return pilot.app.screen.query_one(PlaceTree)


def tree_lines(pilot: Pilot[Any]) -> list[str]:
    tree = tree_of(pilot)
    lines = []
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        assert node is not None
        lines.append(str(node.label))
    return lines


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def highlight(pilot: Pilot[Any], label: str) -> None:
    tree = tree_of(pilot)
    tree.focus()
    tree.cursor_line = tree_lines(pilot).index(label)
    await settle(pilot)


async def test_opens_on_the_stick_and_chooses_a_folder_by_keyboard(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, results):
        assert tree_of(pilot).path == world["stick"]
        # Folders only, hidden ones left out, in name order.
        assert tree_lines(pilot) == ["KINGSTON", "arsip", "kiriman"]
        assert f"Folder: {world['stick']}" in static_text(pilot.app, "#place")
        await press(pilot, "down", "down")
        assert static_text(pilot.app, "#place") == f"Folder: {world['stick'] / 'kiriman'}"
        await press(pilot, "f2")
    assert results == [world["stick"] / "kiriman"]
    assert last_place("inbox") == world["stick"] / "kiriman"


async def test_the_places_list_lists_drives_then_home_folders_and_opens_one(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, results):
        places = pilot.app.screen.query_one("#places", OptionList)
        prompts = [str(places.get_option_at_index(i).prompt) for i in range(places.option_count)]
        assert prompts == ["USB KINGSTON (E:)", "Folder rumah", "Dokumen"]
        await press(pilot, "shift+tab")  # from the tree to the list
        assert pilot.app.focused is places
        await press(pilot, "down", "down", "enter")
        assert tree_of(pilot).path == world["dokumen"]
        assert pilot.app.focused is tree_of(pilot)
        await press(pilot, "f2")
    assert results == [world["dokumen"]]


async def test_enter_goes_into_a_folder_and_backspace_climbs_to_the_drive_root(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, results):
        await press(pilot, "down", "down", "enter")
        assert tree_of(pilot).path == world["stick"] / "kiriman"
        assert tree_lines(pilot) == ["kiriman"]
        await press(pilot, "backspace")
        # Back on the stick, the cursor on the folder just left.
        assert tree_of(pilot).path == world["stick"]
        assert tree_of(pilot).highlighted() == world["stick"] / "kiriman"
        await press(pilot, "backspace")
        assert tree_of(pilot).path == world["stick"].parent
        assert tree_of(pilot).highlighted() == world["stick"]
        for _step in world["stick"].parent.parts:
            await press(pilot, "backspace")
        assert tree_of(pilot).path == Path(world["stick"].anchor)
        assert "already the top folder" in static_text(pilot.app, "#picker-error")
        await press(pilot, "escape")
    assert results == [None]


async def test_space_opens_a_folder_in_place(tmp_path: Path, world: dict[str, Path]) -> None:
    async with picking(tmp_path, picker(world, kind="file", suffixes=(".tpsb",))) as (pilot, _):
        await highlight(pilot, "kiriman")
        await press(pilot, "space")
        assert "paket-03.tpsb" in tree_lines(pilot)
        assert tree_of(pilot).path == world["stick"]


async def test_choose_a_file_filtered_by_suffix(tmp_path: Path, world: dict[str, Path]) -> None:
    screen = picker(world, title="Read a bundle", kind="file", suffixes=(".tpsb",))
    async with picking(tmp_path, screen) as (pilot, results):
        assert tree_lines(pilot) == [
            "KINGSTON",
            "arsip",
            "kiriman",
            "paket-01.tpsb",
            "PAKET-02.TPSB",
        ]
        # F2 on a folder in file mode says what to do instead of choosing it.
        await press(pilot, "f2")
        assert results == []
        assert "Highlight a file (.tpsb)" in static_text(pilot.app, "#picker-error")
        await highlight(pilot, "paket-01.tpsb")
        assert static_text(pilot.app, "#place") == f"File: {world['stick'] / 'paket-01.tpsb'}"
        assert static_text(pilot.app, "#file-info").startswith("2 KB, changed ")
        await press(pilot, "enter")
    assert results == [world["stick"] / "paket-01.tpsb"]
    assert last_place("inbox") == world["stick"]


async def test_f2_chooses_the_highlighted_file(tmp_path: Path, world: dict[str, Path]) -> None:
    screen = picker(world, kind="file", suffixes=(".tpsb",))
    async with picking(tmp_path, screen) as (pilot, results):
        await highlight(pilot, "PAKET-02.TPSB")
        assert static_text(pilot.app, "#file-info").startswith("10 bytes, changed ")
        await press(pilot, "f2")
    assert results == [world["stick"] / "PAKET-02.TPSB"]


async def test_new_folder_is_made_entered_and_chosen(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, results):
        assert "New folder" in screen_text(pilot.app).splitlines()[-1]
        await press(pilot, "ctrl+n")
        assert isinstance(pilot.app.screen, SimpleForm)
        await fill(pilot, "#name", "a/b")
        await press(pilot, "f2")
        assert "cannot hold" in static_text(pilot.app, "#error")
        await fill(pilot, "#name", "arsip")
        await press(pilot, "f2")
        assert "arsip already exists in" in static_text(pilot.app, "#error")
        await fill(pilot, "#name", "kiriman 2024")
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, PlacePicker)
        assert tree_of(pilot).path == world["stick"] / "kiriman 2024"
        await press(pilot, "f2")
    assert results == [world["stick"] / "kiriman 2024"]
    assert (world["stick"] / "kiriman 2024").is_dir()


async def test_no_new_folder_when_a_file_is_picked(tmp_path: Path, world: dict[str, Path]) -> None:
    async with picking(tmp_path, picker(world, kind="file")) as (pilot, _):
        assert "New folder" not in screen_text(pilot.app).splitlines()[-1]
        await press(pilot, "ctrl+n")
        assert isinstance(pilot.app.screen, PlacePicker)


async def test_opens_on_the_place_remembered_for_the_purpose(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    remember_place("inbox", world["stick"] / "arsip")
    remember_place("receipts", world["dokumen"])
    async with picking(tmp_path, picker(world)) as (pilot, results):
        assert tree_of(pilot).path == world["stick"] / "arsip"
        places = pilot.app.screen.query_one("#places", OptionList)
        assert str(places.get_option_at_index(0).prompt) == "arsip\nlast used"
        await press(pilot, "f2")
    assert results == [world["stick"] / "arsip"]


async def test_a_vanished_last_place_opens_the_stick_and_says_so(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    remember_place("inbox", world["stick"] / "arsip")
    (world["stick"] / "arsip").rmdir()
    async with picking(tmp_path, picker(world)) as (pilot, _):
        assert tree_of(pilot).path == world["stick"]
        places = pilot.app.screen.query_one("#places", OptionList)
        assert str(places.get_option_at_index(0).prompt) == "USB KINGSTON (E:)"
        assert "not there any more" in static_text(pilot.app, "#picker-error")


async def test_without_a_stick_it_opens_on_the_home_folder(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    places = [p for p in world_places(world) if p.kind != "removable"]
    screen = PlacePicker("inbox", title="Choose", places=lambda: places)
    async with picking(tmp_path, screen) as (pilot, _):
        assert tree_of(pilot).path == world["home"]


async def test_escape_returns_nothing(tmp_path: Path, world: dict[str, Path]) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, results):
        await press(pilot, "escape")
    assert results == [None]
    assert last_place("inbox") is None


async def test_a_folder_pulled_out_under_the_cursor_gives_a_message(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, results):
        await highlight(pilot, "kiriman")
        shutil.rmtree(world["stick"] / "kiriman")
        await press(pilot, "enter")
        error = static_text(pilot.app, "#picker-error")
        assert f"Cannot open the folder {world['stick'] / 'kiriman'}: " in error
        assert tree_of(pilot).path == world["stick"]
        await press(pilot, "f2")  # choosing it is refused as well
        assert results == []
        assert isinstance(pilot.app.screen, PlacePicker)
        # A whole stick pulled out: its entry in the list says so too.
        shutil.rmtree(world["stick"])
        await press(pilot, "shift+tab", "enter")
        assert f"Cannot open the folder {world['stick']}" in static_text(pilot.app, "#picker-error")


def refuse_listing(monkeypatch: pytest.MonkeyPatch, refused: Path) -> None:
    """`refused` cannot be listed (root ignores permissions, so no chmod here)."""
    real_scandir: Callable[..., Any] = os.scandir
    real_iterdir = Path.iterdir

    def scandir(path: Any = ".") -> Any:
        if Path(path) == refused:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def iterdir(self: Path) -> Any:
        if self == refused:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(Path, "iterdir", iterdir)


async def test_an_unreadable_folder_gives_a_message_not_a_crash(
    tmp_path: Path, world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = world["stick"] / "arsip"
    refuse_listing(monkeypatch, refused)
    async with picking(tmp_path, picker(world)) as (pilot, _):
        await highlight(pilot, "arsip")
        await press(pilot, "space")  # opened in place
        expected = f"Cannot open the folder {refused}: permission denied."
        assert static_text(pilot.app, "#picker-error") == expected
        await press(pilot, "enter")  # entered
        assert static_text(pilot.app, "#picker-error") == expected
        assert tree_of(pilot).path == world["stick"]


async def test_f5_finds_a_stick_plugged_in_after_opening(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    plugged: list[Place] = []
    late = world["stick"].parent / "SANDISK"
    late.mkdir()

    def detect() -> list[Place]:
        return world_places(world)[1:] + plugged

    async with picking(tmp_path, PlacePicker("inbox", title="x", places=detect)) as (pilot, _):
        places = pilot.app.screen.query_one("#places", OptionList)
        assert places.option_count == 2
        plugged.append(Place("USB SANDISK (F:)", late, "removable"))
        await press(pilot, "f5")
        assert places.option_count == 3
        assert str(places.get_option_at_index(2).prompt) == "USB SANDISK (F:)"


async def test_hostile_names_are_shown_escaped(tmp_path: Path, world: dict[str, Path]) -> None:
    hostile = world["stick"] / "[bold red]x\x1b[31my"
    hostile.mkdir()
    screen = PlacePicker(
        "inbox",
        title="x",
        places=lambda: [Place("USB [b]\x1b]0;owned\x07", world["stick"], "removable")],
    )
    async with picking(tmp_path, screen) as (pilot, _):
        await highlight(pilot, "[bold red]x\\x1b[31my")
        assert static_text(pilot.app, "#place") == f"Folder: {world['stick']}/[bold red]x\\x1b[31my"
        text = screen_text(pilot.app)
        assert "\x1b" not in text
        assert "USB [b]\\x1b]0;owned\\x07" in text


async def test_drive_detection_failing_still_opens_the_home_folder(
    tmp_path: Path, world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[Place]:
        raise OSError(5, "Input/output error")

    monkeypatch.setenv("HOME", str(world["home"]))
    async with picking(tmp_path, PlacePicker("inbox", title="x", places=broken)) as (pilot, _):
        assert tree_of(pilot).path == Path.home() == world["home"]
        assert static_text(pilot.app, "#picker-error") == (
            "Drives could not be listed: the disk could not be read or written"
            " (input/output error)."
        )


async def test_f1_lists_the_picker_keys(tmp_path: Path, world: dict[str, Path]) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, _):
        await press(pilot, "f1")
        text = screen_text(pilot.app)
        for description in (
            "Choose",
            "Up",
            "New folder",
            "Find drives",
            "Places list / folder tree",
            "Type the first letters of a name to go to it; Esc clears them",
        ):
            assert description in text
        assert "A-Z" in text


async def test_ctrl_f_says_how_to_find(tmp_path: Path, world: dict[str, Path]) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, results):
        await press(pilot, "ctrl+f")
        assert search_text(pilot) == "Find: type the first letters of a name."
        await press(pilot, "k")
        assert cursor_label(pilot) == "kiriman"
        assert search_text(pilot) == "Find: k"
        await press(pilot, "escape", "escape")
    assert results == [None]


# -- finding by typing ---------------------------------------------------------------------

TYPED_FOLDERS = ("data", "desa-1", "desa-2", "Dokumen", "foto")


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def pause(self) -> None:
        self.now += 5.0


def typing_picker(world: dict[str, Path], clock: FakeClock, **kwargs: Any) -> PlacePicker:
    for name in TYPED_FOLDERS:
        (world["stick"] / name).mkdir()
    return picker(world, clock=clock, **kwargs)


def cursor_label(pilot: Pilot[Any]) -> str:
    node = tree_of(pilot).cursor_node
    assert node is not None
    return str(node.label)


def search_text(pilot: Pilot[Any]) -> str | None:
    line = pilot.app.screen.query_one("#search")
    return static_text(pilot.app, "#search") if line.display else None


async def test_typing_goes_to_the_first_name_with_the_letters(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    clock = FakeClock()
    async with picking(tmp_path, typing_picker(world, clock)) as (pilot, results):
        assert tree_lines(pilot)[1:] == [
            "arsip",
            "data",
            "desa-1",
            "desa-2",
            "Dokumen",
            "foto",
            "kiriman",
        ]
        assert search_text(pilot) is None
        await press(pilot, "d", "e", "s")
        assert cursor_label(pilot) == "desa-1"
        assert search_text(pilot) == "Find: des"
        await press(pilot, "a", "-", "2")
        assert cursor_label(pilot) == "desa-2"
        clock.pause()  # a new word: the letters start again
        await press(pilot, "D", "O")
        assert cursor_label(pilot) == "Dokumen"
        assert search_text(pilot) == "Find: DO"
        await press(pilot, "down")  # moving otherwise ends the search
        assert search_text(pilot) is None
        assert cursor_label(pilot) == "foto"
        await press(pilot, "f2")
    assert results == [world["stick"] / "foto"]


async def test_the_same_letter_again_goes_to_the_next_name_and_wraps(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    clock = FakeClock()
    async with picking(tmp_path, typing_picker(world, clock)) as (pilot, _):
        seen = []
        for _press in range(5):
            await press(pilot, "d")
            seen.append(cursor_label(pilot))
        assert seen == ["data", "desa-1", "desa-2", "Dokumen", "data"]
        assert search_text(pilot) == "Find: d"
        clock.pause()
        await press(pilot, "k")
        assert cursor_label(pilot) == "kiriman"
        clock.pause()
        await press(pilot, "a")  # past the last line: from the top again
        assert cursor_label(pilot) == "arsip"


async def test_letters_matching_no_name_leave_the_cursor_and_say_so(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    clock = FakeClock()
    async with picking(tmp_path, typing_picker(world, clock)) as (pilot, _):
        await press(pilot, "f")
        assert cursor_label(pilot) == "foto"
        await press(pilot, "x")
        assert cursor_label(pilot) == "foto"
        assert search_text(pilot) == "Find: fx (no name starts with it)"
        clock.pause()
        await press(pilot, "[")  # markup in the letters is shown as typed
        assert search_text(pilot) == "Find: [ (no name starts with it)"
        assert cursor_label(pilot) == "foto"


async def test_escape_clears_the_letters_then_cancels(
    tmp_path: Path, world: dict[str, Path]
) -> None:
    clock = FakeClock()
    async with picking(tmp_path, typing_picker(world, clock)) as (pilot, results):
        await press(pilot, "d", "o")
        assert search_text(pilot) == "Find: do"
        await press(pilot, "escape")
        assert search_text(pilot) is None
        assert isinstance(pilot.app.screen, PlacePicker)
        assert results == []
        # The letters are forgotten even within the second: "a" starts a new search.
        await press(pilot, "a")
        assert cursor_label(pilot) == "arsip"
        await press(pilot, "escape", "escape")
    assert results == [None]


async def test_typing_in_the_places_list(tmp_path: Path, world: dict[str, Path]) -> None:
    clock = FakeClock()
    async with picking(tmp_path, picker(world, clock=clock)) as (pilot, _):
        places = pilot.app.screen.query_one("#places", OptionList)
        await press(pilot, "shift+tab")
        await press(pilot, "d")
        assert places.highlighted == 2
        assert search_text(pilot) == "Find: d"
        clock.pause()
        await press(pilot, "f", "o")
        assert places.highlighted == 1
        await press(pilot, "enter")
        assert tree_of(pilot).path == world["home"]


def slow_listing(
    monkeypatch: pytest.MonkeyPatch, slow: Path, *, first_look: bool = False
) -> tuple[threading.Event, threading.Event]:
    """Listing `slow` (a folder on a slow stick) starts, then waits until released: the
    tree's listing, or with `first_look` the check that the folder can be read before it."""
    started, release = threading.Event(), threading.Event()
    real_iterdir = Path.iterdir
    real_scandir: Callable[..., Any] = os.scandir

    def iterdir(self: Path) -> Any:
        if self == slow and not first_look:
            started.set()
            release.wait(10)
        return real_iterdir(self)

    def scandir(path: Any = ".") -> Any:
        if Path(path) == slow and first_look:
            started.set()
            release.wait(10)
        return real_scandir(path)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr(os, "scandir", scandir)
    return started, release


async def until(condition: Callable[[], bool]) -> None:
    for _round in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def keys_while_loading(
    pilot: Pilot[Any], started: threading.Event, release: threading.Event, *keys: str
) -> None:
    """Press `keys` while the folder's listing is held, then let it end. (Not `pilot.press`:
    it waits for the tree, which is busy until the folder is listed.)"""
    await until(started.is_set)
    tree = tree_of(pilot)
    for key in keys:
        pilot.app.simulate_key(key)
    # Each key is waiting: in the tree's queue (busy listing) or held by the tree.
    await until(lambda: tree._message_queue.qsize() + len(tree._held or []) == len(keys))
    release.set()
    await settle(pilot)


async def test_keys_pressed_while_a_folder_loads_are_kept(
    tmp_path: Path, world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    async with picking(tmp_path, typing_picker(world, clock)) as (pilot, results):
        await highlight(pilot, "kiriman")
        await press(pilot, "enter")
        assert tree_of(pilot).path == world["stick"] / "kiriman"
        started, release = slow_listing(monkeypatch, world["stick"])
        pilot.app.simulate_key("backspace")
        await keys_while_loading(pilot, started, release, "up", "up", "up")
        # Back on the stick, the cursor put on the folder just left (kiriman), then moved.
        assert tree_of(pilot).path == world["stick"]
        assert cursor_label(pilot) == "desa-2"
        assert not tree_of(pilot).holding
        await press(pilot, "enter")
        started, release = slow_listing(monkeypatch, world["stick"])
        pilot.app.simulate_key("backspace")
        await keys_while_loading(pilot, started, release, "up", "f", "enter")
        # desa-2, up to desa-1, "f" finds foto, Enter goes in.
        assert tree_of(pilot).path == world["stick"] / "foto"
        # Keys pressed while the folder is first checked (before the tree is emptied).
        started, release = slow_listing(monkeypatch, world["stick"], first_look=True)
        pilot.app.simulate_key("backspace")
        await keys_while_loading(pilot, started, release, "down", "down")
        assert tree_of(pilot).path == world["stick"]
        assert cursor_label(pilot) == "kiriman"
        await press(pilot, "f2")
    assert results == [world["stick"] / "kiriman"]


async def test_keys_pressed_while_a_folder_opens_in_place_are_kept(
    tmp_path: Path, world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    (world["stick"] / "arsip" / "2023").mkdir()
    (world["stick"] / "arsip" / "2024").mkdir()
    async with picking(tmp_path, picker(world)) as (pilot, _):
        await highlight(pilot, "arsip")
        started, release = slow_listing(monkeypatch, world["stick"] / "arsip")
        pilot.app.simulate_key("space")
        await keys_while_loading(pilot, started, release, "down", "down")
        assert tree_lines(pilot) == ["KINGSTON", "arsip", "2023", "2024", "kiriman"]
        assert cursor_label(pilot) == "2024"


async def test_a_second_backspace_during_a_load_climbs_on_and_holds_nothing_back(
    tmp_path: Path, world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with picking(tmp_path, picker(world)) as (pilot, _):
        await highlight(pilot, "kiriman")
        await press(pilot, "enter")
        started, release = slow_listing(monkeypatch, world["stick"])
        pilot.app.simulate_key("backspace")
        await until(started.is_set)
        pilot.app.simulate_key("backspace")  # the first load is given up
        release.set()
        await settle(pilot)
        tree = tree_of(pilot)
        assert tree.path == world["stick"].parent
        assert tree.highlighted() == world["stick"]
        assert not tree.holding
        await press(pilot, "up")  # the tree still answers keys
        assert tree.cursor_line == 0


def test_typeahead_rules_without_a_screen() -> None:
    clock = FakeClock()
    typing = TypeAhead(clock)
    assert typing.type("d") == ("d", False)
    assert typing.type("D") == ("d", True)  # the same letter again, case ignored
    assert typing.type("o") == ("do", False)
    clock.now += WINDOW  # just within the window
    assert typing.type("k") == ("dok", False)
    clock.now += WINDOW + 0.01  # a pause: a new prefix
    assert typing.type("a") == ("a", False)
    assert typing.clear() is True
    assert typing.clear() is False
    names = ["arsip", "Data", "desa", "foto"]
    assert find(names, 0, "d") == 1
    assert find(names, 1, "d") == 1  # at the cursor
    assert find(names, 1, "d", after=True) == 2
    assert find(names, 2, "d", after=True) == 1  # wraps round
    assert find(names, 3, "a") == 0
    assert find(names, -1, "f") == 3
    assert find(names, 0, "x") is None
    assert find([], 0, "x") is None
