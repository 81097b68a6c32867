"""Choose a folder or a file without typing a path: removable drives and the last place used,
then a folder tree. Every import and export of the app goes through this picker."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DirectoryTree, Static

from tpsdesk import prefs
from tpsdesk.i18n import N_
from tpsdesk.ui.screens.base import BaseModal

PickKind = Literal["folder", "file"]


def last_place(purpose: str) -> Path | None:
    """The folder last chosen for `purpose` (e.g. "inbox"), if it still exists."""
    saved = prefs.load_prefs().get(f"place.{purpose}")
    if saved and Path(saved).is_dir():
        return Path(saved)
    return None


def remember_place(purpose: str, folder: Path) -> None:
    prefs.save_pref(f"place.{purpose}", str(folder))


class PlacePicker(BaseModal[Path | None]):
    """Dismissed with the chosen folder (kind "folder") or file (kind "file"), or None.

    `purpose` names what the place is for ("inbox", "setup-files", "receipts", ...): the
    folder chosen last time for it is where the picker opens next time. `suffixes` (lower
    case, with the dot) limit the files shown when a file is picked."""

    BINDINGS = [
        Binding("f2", "choose", N_("Choose"), id="places.choose"),
        Binding("escape", "cancel", N_("Cancel"), id="places.cancel"),
    ]

    def __init__(
        self,
        purpose: str,
        *,
        title: str,
        kind: PickKind = "folder",
        suffixes: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.purpose = purpose
        self.picker_title = title
        self.kind = kind
        self.suffixes = suffixes
        self.current: Path = last_place(purpose) or Path.home()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(self.picker_title, classes="title")
            yield DirectoryTree(self.current, id="tree")
            yield Static(str(self.current), id="place", classes="hint")

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        self.current = event.path
        self.query_one("#place", Static).update(str(event.path))

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        if self.kind == "file":
            remember_place(self.purpose, event.path.parent)
            self.dismiss(event.path)

    def action_choose(self) -> None:
        if self.kind == "folder":
            remember_place(self.purpose, self.current)
            self.dismiss(self.current)

    def action_cancel(self) -> None:
        self.dismiss(None)
