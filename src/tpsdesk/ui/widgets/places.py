"""Choose a folder or a file without typing a path: removable drives and the last place used
on the left, a folder tree on the right. Every import and export of the app goes through this
picker."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from rich.markup import escape
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DirectoryTree, OptionList, Static
from textual.widgets._directory_tree import DirEntry
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from tpsdesk import prefs
from tpsdesk.drives import (
    Place,
    PlaceError,
    check_readable,
    detected_places,
    file_details,
    is_hidden,
    make_folder,
)
from tpsdesk.i18n import N_, _, format_number, ngettext, number_locale, os_error_text
from tpsdesk.terminal import printable
from tpsdesk.ui.bindings import modal_app_keys, translate_bindings
from tpsdesk.ui.screens.base import BaseModal
from tpsdesk.ui.typeahead import Clock, TypeAhead, find
from tpsdesk.ui.widgets.key_bar import KeyBar

PickKind = Literal["folder", "file"]
LAST_USED = "last"


def last_place(purpose: str) -> Path | None:
    """The folder last chosen for `purpose` (e.g. "inbox"), if it still exists."""
    saved = _saved_place(purpose)
    try:
        if saved is not None and saved.is_dir():
            return saved
    except OSError:
        pass
    return None


def _saved_place(purpose: str) -> Path | None:
    saved = prefs.load_prefs().get(f"place.{purpose}")
    return Path(saved) if saved else None


def remember_place(purpose: str, folder: Path) -> None:
    prefs.save_pref(f"place.{purpose}", str(folder))


def place_name(path: Path) -> str:
    """A folder's name for a list or a tree's top line; a drive's root by its path (E:\\, /)."""
    return path.name or str(path)


def size_text(size: int) -> str:
    if size < 1024:
        return _("{count} bytes").format(count=format_number(size))
    if size < 1024 * 1024:
        return _("{count} KB").format(count=format_number(-(-size // 1024)))
    from babel.numbers import format_decimal

    megabytes = format_decimal(size / (1024 * 1024), format="#,##0.0", locale=number_locale())
    return _("{count} MB").format(count=megabytes)


class PlaceTree(DirectoryTree):
    """Folders (and in file mode the files with the wanted suffixes), hidden entries left out.

    Enter on a folder asks the picker to enter it (the tree is re-rooted there); Space opens
    or closes it in place. A folder that cannot be listed posts `Unreadable`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", N_("Go in"), id="places.enter"),
        Binding("space", "toggle_node", N_("Expand"), id="places.expand"),
    ]

    class Unreadable(Message):
        def __init__(self, folder: Path, error: OSError) -> None:
            super().__init__()
            self.folder = folder
            self.error = error

    def __init__(
        self, path: Path, *, kind: PickKind, suffixes: tuple[str, ...], id: str | None = None
    ) -> None:
        self.pick_kind = kind
        self.suffixes = tuple(suffix.lower() for suffix in suffixes)
        super().__init__(path, id=id)
        self.auto_expand = False
        self._held: list[Callable[[], object]] | None = None
        self._holds = 0
        self.typed: Callable[[str | None], None] | None = None
        translate_bindings(self)

    # -- keys, in the order pressed -------------------------------------------------------
    # Bindings run when a key has bubbled up to the app, after this widget has already taken
    # the next keys: letters handled here and cursor keys handled there could swap places in
    # a burst (keys pressed during a load). So the tree does both itself, in order.

    KEY_ACTIONS: ClassVar[dict[str, str]] = {
        "up": "cursor_up",
        "down": "cursor_down",
        "pageup": "page_up",
        "pagedown": "page_down",
        "home": "scroll_home",
        "end": "scroll_end",
        "enter": "select_cursor",
        "space": "toggle_node",
    }

    def on_key(self, event: events.Key) -> None:
        char = event.character
        if event.is_printable and char is not None and char != " ":
            event.stop()
            event.prevent_default()
            if self.typed is not None:
                self.typed(char)
            return
        action = self.KEY_ACTIONS.get(event.key)
        if action is None:
            return
        event.stop()
        event.prevent_default()
        if self.typed is not None:
            self.typed(None)
        getattr(self, f"action_{action}")()

    # -- keys pressed while the tree's top folder loads ------------------------------------
    # While a folder is (re)loaded as the tree's top, the tree is empty: a cursor key would
    # do nothing, and the cursor placed after the load would override it. Such keys are held
    # and replayed, in order, once the cursor is placed.

    @property
    def holding(self) -> bool:
        return self._held is not None

    def hold_keys(self) -> None:
        self._holds += 1
        if self._held is None:
            self._held = []

    def release_keys(self) -> None:
        self._holds = max(self._holds - 1, 0)
        if self._holds or self._held is None:
            return
        held, self._held = self._held, None
        for step in held:
            step()

    def later(self, step: Callable[[], object]) -> bool:
        """Hold `step` until the load ends (True), or False when nothing loads."""
        if self._held is None:
            return False
        self._held.append(step)
        return True

    async def _reload(self, node: TreeNode[DirEntry]) -> None:
        self.hold_keys()
        try:
            await super()._reload(node)
        finally:
            self.release_keys()

    def action_cursor_up(self) -> None:
        if not self.later(super().action_cursor_up):
            super().action_cursor_up()

    def action_cursor_down(self) -> None:
        if not self.later(super().action_cursor_down):
            super().action_cursor_down()

    def action_page_up(self) -> None:
        if not self.later(super().action_page_up):
            super().action_page_up()

    def action_page_down(self) -> None:
        if not self.later(super().action_page_down):
            super().action_page_down()

    def action_scroll_home(self) -> None:
        if not self.later(super().action_scroll_home):
            super().action_scroll_home()

    def action_scroll_end(self) -> None:
        if not self.later(super().action_scroll_end):
            super().action_scroll_end()

    def action_select_cursor(self) -> None:
        if not self.later(super().action_select_cursor):
            super().action_select_cursor()

    def action_toggle_node(self) -> None:
        if not self.later(super().action_toggle_node):
            super().action_toggle_node()

    def process_label(self, label: str | Text) -> Text:
        if isinstance(label, str):
            label = Text(printable(label))
        return super().process_label(label)

    def reset_node(
        self, node: TreeNode[DirEntry], label: str | Text, data: DirEntry | None = None
    ) -> PlaceTree:
        if node is self.root and data is not None:
            label = place_name(data.path)
        super().reset_node(node, label, data)
        return self

    def wanted(self, path: Path) -> bool:
        if is_hidden(path):
            return False
        if self._safe_is_dir(path):
            return True
        if self.pick_kind == "folder":
            return False
        return not self.suffixes or path.name.lower().endswith(self.suffixes)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if self.wanted(path)]

    def _populate_node(self, node: TreeNode[DirEntry], content: Iterable[Path]) -> None:
        # As DirectoryTree's, without a stat per entry on the UI thread: the loading thread
        # has sorted folders first, so a folder is whatever comes before the first file.
        node.remove_children()
        folders = True
        for path in content:
            if folders and self.pick_kind == "file" and not self._safe_is_dir(path):
                folders = False
            node.add(path.name, data=DirEntry(path), allow_expand=folders)
        node.expand()

    def _directory_content(self, location: Path, worker: Worker[Any]) -> Iterator[Path]:
        # DirectoryTree swallows the error and shows an empty folder; the clerk must know.
        try:
            for entry in location.iterdir():
                if worker.is_cancelled:
                    break
                yield entry
        except OSError as error:
            self.post_message(self.Unreadable(location, error))

    # DirectoryTree loads folders through a worker that never ends (it waits on a queue);
    # here each folder opened in place gets a short worker of its own, so "all work done"
    # means something (tests wait for it) and nothing lingers after the dialog closes.
    def _loader(self) -> None:  # type: ignore[override]
        return None

    def _add_to_load_queue(self, node: TreeNode[DirEntry]) -> AwaitComplete:
        assert node.data is not None
        if not node.data.loaded:
            node.data.loaded = True
            self.run_worker(
                self._load_in_place(node, node.data), group="places.load", exit_on_error=False
            )
        return AwaitComplete()

    async def _load_in_place(self, node: TreeNode[DirEntry], entry: DirEntry) -> None:
        async with self.lock:
            # The tree was re-rooted or reloaded meanwhile (the node now stands for another
            # folder, or was filled by the reload): listing it again would replace its lines
            # under a cursor that was placed on them.
            if node.data is not entry:
                return
            try:
                content = await self._load_directory(node).wait()
            except (WorkerCancelled, WorkerFailed):
                return
            if node.data is not entry:
                return
            # The node under the cursor now, not when the load started: keys pressed during
            # the load moved it, and adding lines must not move it again.
            cursor_node = self.cursor_node
            if content:
                self._populate_node(node, content)
                if cursor_node is not None:
                    self.move_cursor(cursor_node, animate=False)

    def highlighted(self) -> Path | None:
        node = self.cursor_node
        if node is None or node.data is None:
            return None
        return node.data.path

    async def open(self, folder: Path, *, highlight: Path | None = None) -> None:
        """Re-root the tree at `folder` and put the cursor on `highlight` (a child of it) or on
        the folder itself. Cursor keys pressed meanwhile are applied after that."""
        self.hold_keys()
        try:
            self.set_reactive(DirectoryTree.path, folder)
            self.reset_node(self.root, place_name(folder), DirEntry(folder))
            await self.reload()
            if self.path != folder:
                return  # a later open took over while this one loaded; it places the cursor
            # Lines are computed lazily: a node added since the last layout has none yet.
            _ = self._tree_lines
            line = 0
            if highlight is not None:
                for child in self.root.children:
                    if child.data is not None and child.data.path == highlight:
                        line = child.line
                        break
            self.cursor_line = line
            self.scroll_to_line(line, animate=False)
        finally:
            self.release_keys()

    def entries(self) -> list[tuple[int, str]]:
        """The visible lines below the top folder with their names (for finding by typing)."""
        found = []
        for line in range(1, self.last_line + 1):
            node = self.get_node_at_line(line)
            if node is not None and node.data is not None:
                found.append((line, node.data.path.name))
        return found


class PlacePicker(BaseModal[Path | None]):
    """Dismissed with the chosen folder (kind "folder") or file (kind "file"), or None.

    `purpose` names what the place is for ("inbox", "setup-files", "receipts", ...): the
    folder chosen last time for it is where the picker opens next time, else `start` (the
    folder the caller uses now, e.g. Documents for the exports), else the first removable
    drive, else the home folder. `suffixes` (lower case, with the dot) limit the files shown
    when a file is picked. `places` replaces drive detection (tests)."""

    DEFAULT_CSS = """
    PlacePicker {
        align: center middle;
    }
    PlacePicker #picker {
        width: 100%;
        max-width: 120;
        height: 1fr;
        max-height: 40;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    PlacePicker #picker-title {
        text-style: bold;
        color: $primary;
    }
    PlacePicker #picker-body {
        height: 1fr;
    }
    PlacePicker #places {
        width: 26;
        height: 1fr;
        margin-right: 1;
        background: $boost;
    }
    PlacePicker #tree, PlacePicker #tree-waiting {
        width: 1fr;
        height: 1fr;
    }
    PlacePicker #place {
        height: auto;
        max-height: 2;
    }
    PlacePicker #search {
        height: auto;
        display: none;
    }
    PlacePicker #search.searching {
        display: block;
    }
    PlacePicker #file-info {
        height: auto;
    }
    PlacePicker #picker-error {
        height: auto;
        max-height: 3;
    }
    """

    BINDINGS = [
        Binding("f2", "choose", N_("Choose"), id="places.choose"),
        Binding("backspace", "parent", N_("Up"), id="places.parent"),
        Binding("ctrl+n", "new_folder", N_("New folder"), id="places.new_folder"),
        Binding(
            "f5",
            "detect",
            N_("Find drives"),
            id="places.detect",
            tooltip=N_("Look for drives again"),
        ),
        Binding("escape", "cancel", N_("Cancel"), id="places.cancel"),
        # A modal screen hides the app's keys: the picker offers them itself.
        *modal_app_keys("places"),
        # Letters are not bound: typing finds a name. This only puts it in F1's list.
        Binding(
            "ctrl+f",
            "find",
            N_("Type the first letters of a name to go to it; Esc clears them"),
            id="places.find",
            key_display="A-Z",
            show=False,
        ),
        # App keys do not reach a modal screen: F1 is passed on.
        Binding("f1", "app.help", N_("Help"), id="places.help", show=False),
        # Tab already moves the focus; this only puts it in F1's list.
        Binding(
            "tab", "app.focus_next", N_("Places list / folder tree"), id="places.tab", show=False
        ),
    ]

    def __init__(
        self,
        purpose: str,
        *,
        title: str,
        kind: PickKind = "folder",
        suffixes: tuple[str, ...] = (),
        places: Callable[[], list[Place]] | None = None,
        clock: Clock | None = None,
        start: Path | None = None,
    ) -> None:
        super().__init__()
        self.purpose = purpose
        self.start = start
        self.picker_title = title
        self.kind = kind
        self.suffixes = suffixes
        self.detect = places or detected_places
        self.places: list[Place] = []
        self.last: Path | None = None
        self.typeahead = TypeAhead(clock)

    @property
    def current(self) -> Path | None:
        """The folder the tree shows (its top line)."""
        tree = self._tree()
        return None if tree is None else Path(tree.path)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(self.picker_title, id="picker-title")
            with Horizontal(id="picker-body"):
                yield OptionList(id="places", compact=True)
                yield Static(_("Looking for drives…"), id="tree-waiting", classes="hint")
            yield Static("", id="search", classes="hint")
            yield Static("", id="place", classes="hint")
            yield Static("", id="file-info", classes="hint").set_styles(
                display="block" if self.kind == "file" else "none"
            )
            yield Static("", id="picker-error", classes="error")
        yield KeyBar()

    def on_mount(self) -> None:
        self._start()

    def _tree(self) -> PlaceTree | None:
        trees = self.query(PlaceTree)
        return trees.first() if trees else None

    # -- places ---------------------------------------------------------------------------

    @work(exclusive=True, group="places.start", exit_on_error=False)
    async def _start(self) -> None:
        # The last place opens at once; otherwise the tree waits for the drives (a CD drive
        # spinning up on Windows may take a few seconds) to open the first stick.
        self.last = await self.in_thread(last_place, self.purpose)
        saved = await self.in_thread(_saved_place, self.purpose)
        opening = self.last
        start = self.start if opening is None and saved is None else None
        if start is not None and await self.in_thread(os.path.isdir, start):
            opening = start
        if opening is not None:
            await self._mount_tree(opening)
        await self._detect()
        if opening is None:
            await self._mount_tree(self._first_place())
            if saved is not None:
                self._error(
                    _("The folder used last time is not there any more: {folder}.").format(
                        folder=printable(str(saved))
                    )
                )

    async def _mount_tree(self, start: Path) -> None:
        tree = PlaceTree(start, kind=self.kind, suffixes=self.suffixes, id="tree")
        tree.typed = lambda char: self._typed_in_tree(tree, char)
        await self.query_one("#tree-waiting").remove()
        await self.query_one("#picker-body").mount(tree)
        tree.focus()
        try:
            await self.in_thread(check_readable, start)
        except PlaceError as refused:
            self._error(refused.message)
        self._show_highlighted()

    def _first_place(self) -> Path:
        for kind in ("removable", "home"):
            for place in self.places:
                if place.kind == kind:
                    return place.path
        return Path.home()

    async def _detect(self) -> None:
        try:
            self.places = await self.in_thread(self.detect)
        except Exception as error:  # a drive API that misbehaves must not leave no tree
            self.places = []
            self._error(
                _("Drives could not be listed: {reason}.").format(reason=os_error_text(error))
            )
        options: list[Option] = []
        if self.last is not None:
            prompt = Text(printable(place_name(self.last)))
            prompt.append("\n" + _("last used"), style="italic")
            options.append(Option(prompt, id=LAST_USED))
        for index, place in enumerate(self.places):
            options.append(Option(Text(printable(place.label)), id=str(index)))
        places = self.query_one("#places", OptionList)
        places.set_options(options)
        if options:
            places.highlighted = 0

    def action_detect(self) -> None:
        self._redetect()

    @work(exclusive=True, group="places.detect", exit_on_error=False)
    async def _redetect(self) -> None:
        self._error("")
        await self._detect()
        self.query_one("#place", Static).update(
            Text(
                ngettext(
                    "Drives looked for again: {count} place.",
                    "Drives looked for again: {count} places.",
                    len(self.places),
                ).format(count=len(self.places))
            )
        )

    @on(OptionList.OptionSelected, "#places")
    def _place_selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id
        if option_id == LAST_USED and self.last is not None:
            folder = self.last
        elif option_id is not None and option_id.isdigit() and int(option_id) < len(self.places):
            folder = self.places[int(option_id)].path
        else:
            return
        self._open(folder, focus_tree=True)

    # -- the tree -------------------------------------------------------------------------

    @work(exclusive=True, group="places.open", exit_on_error=False)
    async def _open(
        self, folder: Path, *, highlight: Path | None = None, focus_tree: bool = False
    ) -> None:
        tree = self._tree()
        if tree is None:
            return
        # Keys pressed from now on wait for the folder: they apply to it, not to the old one.
        tree.hold_keys()
        try:
            try:
                await self.in_thread(check_readable, folder)
            except PlaceError as refused:
                self._error(refused.message)
                return
            self._error("")
            await tree.open(folder, highlight=highlight)
            if focus_tree:
                tree.focus()
        finally:
            tree.release_keys()
        self._show_highlighted()

    @on(DirectoryTree.DirectorySelected)
    def _folder_entered(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        tree = self._tree()
        if tree is not None and event.node is not tree.root:
            self._open(event.path)

    @on(DirectoryTree.FileSelected)
    def _file_entered(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        if self.kind == "file":
            self._choose(event.path)
        else:  # only folders are listed: this one is gone (a stick pulled out); say so
            self._open(event.path)

    @on(PlaceTree.Unreadable)
    def _unreadable(self, event: PlaceTree.Unreadable) -> None:
        self._error(
            _("Cannot open the folder {folder}: {reason}.").format(
                folder=printable(str(event.folder)), reason=os_error_text(event.error)
            )
        )

    @on(DirectoryTree.NodeHighlighted)
    def _highlighted(self) -> None:
        self._show_highlighted()

    def _show_highlighted(self) -> None:
        tree = self._tree()
        path = None if tree is None else tree.highlighted()
        line = self.query_one("#place", Static)
        if path is None:
            line.update("")
            return
        info = self.query_one("#file-info", Static)
        info.update("")
        if self.kind == "file" and tree is not None and not tree._safe_is_dir(path):
            line.update(Text(_("File: {path}").format(path=printable(str(path)))))
            self._file_info(path)
        else:
            line.update(Text(_("Folder: {path}").format(path=printable(str(path)))))

    @work(exclusive=True, group="places.info", exit_on_error=False)
    async def _file_info(self, path: Path) -> None:
        try:
            size, modified = await self.in_thread(file_details, path)
        except PlaceError as refused:
            self._error(refused.message)
            return
        when = datetime.fromtimestamp(modified).strftime("%d-%m-%Y %H:%M")
        tree = self._tree()
        if tree is not None and tree.highlighted() == path:
            self.query_one("#file-info", Static).update(
                Text(_("{size}, changed {date}").format(size=size_text(size), date=when))
            )

    def _error(self, message: str) -> None:
        self.query_one("#picker-error", Static).update(Text(message))

    # -- finding by typing -----------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        # Keys reach the focused widget, then this screen, then the bindings. The tree
        # handles its own letters (`_typed_in_tree`); here letters find a place in the list,
        # and any other key but Esc ends the search.
        char = event.character
        places = self.query_one("#places", OptionList)
        if event.is_printable and char is not None and char != " " and self.focused is places:
            event.stop()
            event.prevent_default()
            prefix, again = self.typeahead.type(char)
            self._find_in_places(places, prefix, again)
        elif event.key != "escape":
            self._end_search()

    def _typed_in_tree(self, tree: PlaceTree, char: str | None) -> None:
        """A letter typed in the tree (None: a cursor key, which ends the search)."""
        if char is None:
            self._end_search()
            return
        prefix, again = self.typeahead.type(char)
        if not tree.later(lambda: self._find_in_tree(tree, prefix, again)):
            self._find_in_tree(tree, prefix, again)

    def _find_in_tree(self, tree: PlaceTree, prefix: str, again: bool) -> None:
        entries = tree.entries()
        lines = [line for line, _name in entries]
        cursor = lines.index(tree.cursor_line) if tree.cursor_line in lines else -1
        index = find([name for _line, name in entries], cursor, prefix, after=again)
        if index is not None:
            tree.cursor_line = lines[index]
        self._show_search(prefix, found=index is not None)

    def _find_in_places(self, places: OptionList, prefix: str, again: bool) -> None:
        names = []
        for position in range(places.option_count):
            prompt = places.get_option_at_index(position).prompt
            text = prompt.plain if isinstance(prompt, Text) else str(prompt)
            names.append(text.split("\n")[0])
        cursor = -1 if places.highlighted is None else places.highlighted
        index = find(names, cursor, prefix, after=again)
        if index is not None:
            places.highlighted = index
        self._show_search(prefix, found=index is not None)

    def _show_search(self, prefix: str, *, found: bool) -> None:
        shown = printable(prefix)
        text = (
            _("Find: {prefix}").format(prefix=shown)
            if found
            else _("Find: {prefix} (no name starts with it)").format(prefix=shown)
        )
        line = self.query_one("#search", Static)
        line.update(Text(text))
        line.add_class("searching")

    def _end_search(self) -> bool:
        """Forget the letters typed; True if a search was shown."""
        self.typeahead.clear()
        line = self.query_one("#search", Static)
        shown = line.has_class("searching")
        line.remove_class("searching")
        return shown

    def action_find(self) -> None:
        self._end_search()
        line = self.query_one("#search", Static)
        line.update(Text(_("Find: type the first letters of a name.")))
        line.add_class("searching")

    # -- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "new_folder" and self.kind != "folder")

    def action_parent(self) -> None:
        folder = self.current
        if folder is None:
            return
        if folder.parent == folder:
            self._error(_("This is already the top folder of the drive."))
            return
        self._open(folder.parent, highlight=folder)

    def action_choose(self) -> None:
        tree = self._tree()
        path = None if tree is None else tree.highlighted()
        if path is None:
            return
        self._choose(path)

    @work(exclusive=True, group="places.choose", exit_on_error=False)
    async def _choose(self, path: Path) -> None:
        is_folder = await self.in_thread(os.path.isdir, path)
        if self.kind == "folder":
            if not is_folder:
                return
            try:
                await self.in_thread(check_readable, path)
            except PlaceError as refused:
                self._error(refused.message)
                return
            await self.in_thread(remember_place, self.purpose, path)
            self.dismiss(path)
            return
        if is_folder:
            self._error(self._file_hint())
            return
        try:
            await self.in_thread(file_details, path)
        except PlaceError as refused:
            self._error(refused.message)
            return
        await self.in_thread(remember_place, self.purpose, path.parent)
        self.dismiss(path)

    def _file_hint(self) -> str:
        if self.suffixes:
            return _("Highlight a file ({suffixes}) and press F2 or Enter.").format(
                suffixes=", ".join(self.suffixes)
            )
        return _("Highlight a file and press F2 or Enter.")

    def action_new_folder(self) -> None:
        if self.kind != "folder":
            return
        tree = self._tree()
        parent = None if tree is None else tree.highlighted()
        if parent is None or tree is None or not tree._safe_is_dir(parent):
            return
        from tpsdesk.ui.screens.simple_form import FormField, SimpleForm, SubmitRefused

        def submit(values: dict[str, str]) -> Path:
            try:
                return make_folder(parent, values["name"])
            except PlaceError as refused:
                raise SubmitRefused(refused.message) from refused

        def made(result: object) -> None:
            if isinstance(result, Path):
                self._open(result, focus_tree=True)

        self.app.push_screen(
            SimpleForm(
                _("New folder"),
                [FormField("name", _("Name"))],
                submit,
                hint=escape(_("Inside {folder}").format(folder=printable(str(parent)))),
            ),
            made,
        )

    def action_cancel(self) -> None:
        if self._end_search():  # Esc first forgets the letters typed
            return
        self.dismiss(None)
