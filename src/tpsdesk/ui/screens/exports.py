"""Exports (F6 on the dashboard): the BPJS enrolment sheet, the contribution budget and the
completion report, written by `tpsdesk.exchange.*_export` in a thread worker with a progress
bar; afterwards every file written is listed, with what was left out and why.

Exports are the only plaintext personal data tpsdesk writes: the screen says where it wrote
them, asks before replacing a file, and reminds the user to keep them safe.

No path is typed: the folder is chosen with the place picker (Ctrl+O: folder tree and drives),
remembered for the next time (purpose "exports"), and only the file names are typed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from platformdirs import user_documents_path
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Input, Label, ProgressBar, Static

from tpsdesk.domain.pay import PaySettings
from tpsdesk.exchange.xlsx_writer import (
    CSV,
    XLSX,
    ExportError,
    export_failures,
    output_kind,
    privacy_note,
    side_path,
    written_lines,
)
from tpsdesk.i18n import N_, _, ngettext, os_error_text
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.pay_settings import load_pay_settings
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

BPJS, BUDGET, COMPLETION = "bpjs", "budget", "completion"
EXPORTS: tuple[str, ...] = (BPJS, BUDGET, COMPLETION)
LABELS = {
    BPJS: N_("BPJS enrolment sheet"),
    BUDGET: N_("Contribution budget"),
    COMPLETION: N_("Completion per TPS"),
}
# Default file names, in the user's language; {date} is yyyy-mm-dd so they sort.
FILE_NAMES = {
    BPJS: N_("bpjs-{date}.xlsx"),
    BUDGET: N_("budget-{date}.xlsx"),
    COMPLETION: N_("completion-{date}.xlsx"),
}
ALLOWED: dict[str, tuple[str, ...]] = {BPJS: (XLSX, CSV), BUDGET: (XLSX,), COMPLETION: (XLSX, CSV)}


EXPORTS_PLACE = "exports"  # the place picker's purpose: the folder used last for exports


def export_folder() -> Path:
    """Documents when there is such a folder, else the home folder."""
    documents = user_documents_path()
    return documents if documents.is_dir() else Path.home()


def start_folder() -> Path:
    """Where the exports go: the folder chosen last time, else Documents (or home)."""
    from tpsdesk.ui.widgets.places import last_place

    return last_place(EXPORTS_PLACE) or export_folder()


def name_problem(name: str) -> str | None:
    """Why `name` cannot be an export's file name (translated), or None."""
    if not name:
        return _("Type the name of the file to write.")
    # A folder separator, or a drive ("D:bpjs.xlsx" is a file on drive D: on Windows).
    if any(mark in name for mark in ("/", "\\", ":")) or name in (".", ".."):
        return _("Type only the file name; Ctrl+O chooses the folder or drive.")
    return None


def files_at_risk(kind: str, out: Path) -> list[Path]:
    """The files an export to `out` would replace that exist already."""
    candidates = [out]
    if kind == BPJS:
        from tpsdesk.exchange.bpjs_export import MISSING_MOTHER

        # More than 10,000 officers are split into F-1, F-2, …: the first tells.
        candidates.append(out.with_name(f"{out.stem}-1{out.suffix}"))
        if out.suffix.lower() == CSV:
            candidates += [side_path(out, "excluded"), side_path(out, "settings")]
            candidates.append(side_path(out, MISSING_MOTHER))
    elif kind == COMPLETION and out.suffix.lower() == CSV:
        candidates += [side_path(out, "units"), side_path(out, "settings")]
    return [path for path in candidates if os.path.lexists(path)]


def run_export(
    store: Store, kind: str, out: Path, *, force: bool, today: Any, progress: Callable[..., None]
) -> list[str]:
    """Write one export; the lines that tell the user what was written. Raises ExportError."""
    if kind == BPJS:
        from tpsdesk.exchange.bpjs_export import bpjs_summary, export_bpjs

        bpjs = export_bpjs(store, out, force=force, today=today, progress=progress)
        done, left_out = bpjs_summary(bpjs, out)
        return [*written_lines(bpjs.files), *done, *left_out, privacy_note()]
    if kind == BUDGET:
        from tpsdesk.exchange.budget_export import budget_summary, export_budget

        result = export_budget(store, out, force=force, progress=progress)
        totals, left_out = budget_summary(result.budget)
        return [*written_lines(result.files), *totals, *left_out, privacy_note()]
    from tpsdesk.exchange.completion_export import completion_summary, export_completion

    completion = export_completion(store, out, force=force, progress=progress)
    return [*written_lines(completion.files), completion_summary(completion)]


def pay_summary(settings: PaySettings) -> str:
    lines = dict(settings.describe())
    return " · ".join(
        f"{label}: {lines[label]}" for label in (_("Wage basis"), _("JKK + JKM"), _("Rounding"))
    )


# The rows say which F-key writes which export; the footer says only that they write.
WRITE_GROUP = Binding.Group(N_("Write"))
KEYS = {BPJS: "F2", BUDGET: "F4", COMPLETION: "F6"}


class ExportsScreen(BaseScreen):
    BINDINGS = [
        Binding(
            "f2",
            f"export('{BPJS}')",
            N_("BPJS"),
            id="exports.bpjs",
            tooltip=N_("Write the BPJS enrolment sheet"),
            group=WRITE_GROUP,
        ),
        Binding(
            "f4",
            f"export('{BUDGET}')",
            N_("Budget"),
            id="exports.budget",
            tooltip=N_("Write the contribution budget"),
            group=WRITE_GROUP,
        ),
        Binding(
            "f6",
            f"export('{COMPLETION}')",
            N_("Completion"),
            id="exports.completion",
            tooltip=N_("Write the completion report per TPS"),
            group=WRITE_GROUP,
        ),
        Binding(
            "f8",
            "pay_settings",
            N_("Pay settings"),
            id="exports.pay_settings",
            tooltip=N_("Wage basis, JKK and JKM rates, rounding, duty periods"),
        ),
        Binding(
            "ctrl+o",
            "choose_folder",
            N_("Folder"),
            id="exports.folder",
            tooltip=N_("Choose the folder or drive the exports are written to"),
        ),
        Binding("escape", "back", N_("Back"), id="exports.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self.folder = start_folder()

    def compose(self) -> ComposeResult:
        day = self.desk.today.isoformat()
        yield Header()
        with Vertical(id="exports"):
            yield Static(self._folder_text(), id="export-folder")
            yield Static(
                _(
                    "Ctrl+O chooses another folder or a USB stick. The key or Enter in a file "
                    "name writes that export; the extension (.xlsx or .csv) chooses the format."
                ),
                classes="hint",
            )
            for kind in EXPORTS:
                with Horizontal(classes="field-row export-row"):
                    yield Label(f"{KEYS[kind]}  {_(LABELS[kind])}", classes="export-label")
                    yield Input(
                        _(FILE_NAMES[kind]).format(date=day),
                        id=f"out-{kind}",
                        compact=True,
                        select_on_focus=False,
                    )
            yield Static("", id="pay-line", classes="hint")
        yield ProgressBar(id="progress", show_eta=False)
        with VerticalScroll(id="export-result-box"):
            yield Static("", id="export-result")
        yield KeyBar()

    def _folder_text(self) -> Text:
        return Text(_("Folder: {folder}").format(folder=printable(str(self.folder))))

    def out_path(self, kind: str) -> Path:
        """Where the export `kind` would be written: the folder and its file name."""
        return self.folder / self.query_one(f"#out-{kind}", Input).value.strip()

    def on_mount(self) -> None:
        self.title = _("Exports")
        self.query_one("#progress").display = False
        self.query_one(f"#out-{BPJS}", Input).focus()
        self._load_pay()

    def on_screen_resume(self) -> None:
        self._load_pay()

    @work(exclusive=True, group="exports-pay", exit_on_error=False)
    async def _load_pay(self) -> None:
        line = self.query_one("#pay-line", Static)
        try:
            settings = await self.in_thread(load_pay_settings, self.desk.require_store())
        except StoreError as failure:
            line.update(Text(failure.message))
            line.set_class(True, "error")
            return
        line.set_class(False, "error")
        line.update(
            Text(
                _("Printed on the exports: {settings}. F8 changes them.").format(
                    settings=pay_summary(settings)
                )
            )
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        kind = (event.input.id or "").removeprefix("out-")
        if kind in EXPORTS:
            self.action_export(kind)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export" and self.busy:
            return None  # shown greyed out while one export runs
        return True

    def _show(self, lines: list[str], *, error: bool = False) -> None:
        result = self.query_one("#export-result", Static)
        result.update(Text("\n".join(lines)))
        result.set_class(error, "error")

    def action_export(self, kind: str) -> None:
        if self.busy or kind not in EXPORTS:
            return
        field = self.query_one(f"#out-{kind}", Input)
        problem = name_problem(field.value.strip())
        if problem is not None:
            self._show([problem], error=True)
            field.focus()
            return
        out = Path(os.path.abspath(self.out_path(kind)))
        try:
            output_kind(out, ALLOWED[kind])
        except ExportError as failure:
            self._show([failure.message], error=True)
            field.focus()
            return
        existing = files_at_risk(kind, out)
        if not existing:
            self._start(kind, out, force=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(kind, out, force=True)

        self.app.push_screen(
            ConfirmScreen(
                ngettext(
                    "This file already exists:\n{files}\nReplace it?",
                    "These files already exist:\n{files}\nReplace them?",
                    len(existing),
                ).format(files="\n".join(str(path) for path in existing)),
                yes=_("Replace (Y)"),
                no=_("Keep (N)"),
            ),
            callback=answered,
        )

    def _start(self, kind: str, out: Path, *, force: bool) -> None:
        self.busy = True
        self.refresh_bindings()
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._show([_("Writing {file}…").format(file=str(out))])
        self._run(kind, out, force)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _run(self, kind: str, out: Path, force: bool) -> None:
        store = self.desk.require_store()
        try:
            with export_failures(out):  # an unforeseen error never shows a cell's text
                lines = run_export(
                    store,
                    kind,
                    out,
                    force=force,
                    today=self.desk.today,
                    progress=self._progress_from_thread,
                )
        except (ExportError, StoreError) as failure:
            self.app.call_from_thread(self._finished, [failure.message], True)
            return
        except OSError as failure:
            message = _("{file} cannot be written: {reason}").format(
                file=str(out), reason=os_error_text(failure)
            )
            self.app.call_from_thread(self._finished, [message], True)
            return
        self.app.call_from_thread(self._finished, lines, False)

    def _progress_from_thread(self, done: int, total: int) -> None:
        self.app.call_from_thread(self._progress, done, total)

    def _progress(self, done: int, total: int) -> None:
        if self.is_attached:
            self.query_one("#progress", ProgressBar).update(total=total or None, progress=done)

    def _finished(self, lines: list[str], error: bool) -> None:
        if not self.is_attached:
            return
        self.busy = False
        self.refresh_bindings()
        self.query_one("#progress").display = False
        self._show(lines, error=error)
        if error:
            self.notify(lines[0], severity="error", timeout=10)
        else:
            self.notify(_("Export written."))

    def action_choose_folder(self) -> None:
        """Put the exports in a folder chosen with the place picker (file names kept); the
        picker remembers it for the next time."""
        from tpsdesk.ui.widgets.places import PlacePicker

        if self.busy:
            return

        def chosen(folder: Path | None) -> None:
            if folder is None or not self.is_attached:
                return
            self.folder = folder
            self.query_one("#export-folder", Static).update(self._folder_text())
            self._show([])

        self.app.push_screen(
            PlacePicker(
                EXPORTS_PLACE,
                title=_("Folder or drive for the exports"),
                kind="folder",
                start=self.folder,
            ),
            chosen,
        )

    def action_pay_settings(self) -> None:
        from tpsdesk.ui.screens.pay_settings import PaySettingsScreen

        self.app.push_screen(PaySettingsScreen())

    def action_back(self) -> None:
        self.app.pop_screen()
