"""The field laptop's sync: enrolled or not, the district and both fingerprints, what waits to
be sent; enrol from a setup file (E), write a bundle for the district (S), read a receipt (R),
the officers to fix (P)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Header, Input, ProgressBar, Static

from tpsdesk.domain.dates import format_date
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store.db import Store
from tpsdesk.sync.bundle import read_bundle_file
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.laptop_status import (
    AreaCounts,
    LaptopStatus,
    OfficerChanges,
    SentBundle,
    area_counts,
    laptop_status,
    send_bundle,
)
from tpsdesk.sync.receipt import ReceiptSummary, import_receipt
from tpsdesk.sync.setup import EnrollResult, SetupContent, enroll, pinned_district, read_setup_file
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseModal, BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.fixes import FixesScreen, safe
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.widgets.fingerprint_entry import MAX_DIGITS, FingerprintEntry
from tpsdesk.ui.widgets.key_bar import KeyBar
from tpsdesk.ui.widgets.places import PlacePicker


def _moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone()
    return f"{format_date(local.date())} {local:%H:%M}"


def _size(size: int) -> str:
    return _("{n} KB").format(n=max(1, (size + 1023) // 1024))


def officer_changes_text(changes: OfficerChanges) -> str:
    return _("officers: {new} new, {changed} changed, {removed} removed").format(
        new=changes.new, changed=changes.changed, removed=changes.removed
    )


# -- the fingerprint read over the phone -------------------------------------------------------


class FingerprintDialog(BaseModal[str | None]):
    """Shows the district fingerprint a setup file carries; the user types what the district
    office reads over the phone (each group marked right or wrong as it is typed), or confirms
    with F2 that every group matched. Dismissed with what was typed (or the file's fingerprint
    when confirmed without typing), None when cancelled."""

    DEFAULT_CSS = """
    FingerprintDialog {
        align: center middle;
    }
    FingerprintDialog .fingerprint {
        text-style: bold;
        color: $accent;
        margin: 1 0;
    }
    FingerprintDialog #typed, FingerprintDialog #note {
        margin-bottom: 1;
    }
    """

    BINDINGS = [
        Binding(
            "f2",
            "confirm",
            N_("Matches"),
            id="fingerprint.confirm",
            tooltip=N_("Every group matches what the district office read"),
        ),
        Binding("escape", "cancel", N_("Cancel"), id="fingerprint.cancel"),
    ]

    def __init__(self, expected: str, district: str) -> None:
        super().__init__()
        self.expected = expected
        self.district = district

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(
                _("Setup file of {district}").format(district=safe(self.district)),
                classes="title",
            )
            yield Static(
                _(
                    "Call the district office and ask them to read the office fingerprint to "
                    "you; compare it group by group with the one written here:"
                )
            )
            yield Static(self.expected, id="expected", classes="fingerprint")
            yield FingerprintEntry(self.expected, id="typed")
            yield Static("", id="note", classes="error")
            yield Static(
                _(
                    "Enter checks what you typed. F2: every group matched what was read. "
                    "If a group differs, press Esc and do not use this file."
                ),
                classes="hint",
            )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(FingerprintEntry).focus()
        self._note("")

    @on(FingerprintEntry.Checked)
    def _typed_changed(self) -> None:
        self._note("")

    def _note(self, text: str) -> None:
        note = self.query_one("#note", Static)
        note.update(text)
        note.display = bool(text)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._typed_done()

    def _typed_done(self) -> bool:
        """What was typed goes to the enrolment, which compares it (and refuses a wrong one):
        only once all six groups are typed. False when nothing was typed."""
        entry = self.query_one(FingerprintEntry)
        if not entry.digits:
            return False
        if entry.complete:
            self.dismiss(entry.field.value)
        else:
            said = _("Only {typed} of {total} digits typed: type all six groups, or press Esc.")
            self._note(said.format(typed=len(entry.digits), total=MAX_DIGITS))
        return True

    def action_confirm(self) -> None:
        if self._typed_done():
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(self.expected)

        self.app.push_screen(
            ConfirmScreen(
                _(
                    "Did the district office read exactly these six groups: {fingerprint}? "
                    "Only a fingerprint that matches in every digit proves the file comes from "
                    "your district office."
                ).format(fingerprint=self.expected)
            ),
            callback=answered,
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the sync screen ---------------------------------------------------------------------------


def _read_setup(store: Store, path: Path) -> tuple[bytes, SetupContent, bool]:
    data = read_bundle_file(path)
    pinned = pinned_district(store)
    return data, read_setup_file(data, pinned=pinned, file=path.name), pinned is not None


def _enroll(
    store: Store, data: bytes, typed: str | None, file: str
) -> tuple[EnrollResult, AreaCounts]:
    result = enroll(store, data, confirm_fingerprint=typed, file=file)
    return result, area_counts(store)


def _import_receipt(store: Store, path: Path) -> ReceiptSummary:
    return import_receipt(store, read_bundle_file(path), file=path.name)


class SyncScreen(BaseScreen):
    DEFAULT_CSS = """
    SyncScreen #sync {
        height: 1fr;
        padding: 0 1;
    }
    SyncScreen .fingerprint {
        text-style: bold;
        color: $accent;
    }
    SyncScreen .gap {
        margin-top: 1;
    }
    SyncScreen #progress-box {
        height: auto;
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding(
            "e",
            "enrol",
            N_("Enrol"),
            id="sync.enrol",
            tooltip=N_("Enrol with the district's setup file (.tpss), or install a newer one"),
        ),
        Binding(
            "s",
            "send",
            N_("Send"),
            id="sync.send",
            tooltip=N_("Write the changes for the district into a bundle on a USB stick"),
        ),
        Binding(
            "r",
            "receipt",
            N_("Receipt"),
            id="sync.receipt",
            tooltip=N_("Read the district's receipt (.tpsr)"),
        ),
        Binding(
            "p",
            "fixes",
            N_("Fixes"),
            id="sync.fixes",
            tooltip=N_("The officers the district asks to fix"),
            show=False,  # the line on the screen says "press P"; 80 columns are full
        ),
        Binding("escape", "back", N_("Back"), id="sync.back"),
    ]

    def __init__(self, *, back_after_enrol: bool = False) -> None:
        super().__init__()
        self.status: LaptopStatus | None = None
        self.busy = False
        # Opened by the first start to enrol: once enrolled, back to the first start's next
        # step when the clerk closes the result, instead of a second Esc.
        self.back_after_enrol = back_after_enrol

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="sync"):
            yield Static("", id="enrolment", classes="title")
            yield Static("", id="district-fp")
            yield Static("", id="laptop-fp", classes="gap")
            yield Static("", id="pending", classes="gap")
            yield Static("", id="last-bundle")
            yield Static("", id="last-receipt")
            yield Static("", id="fixes", classes="warning gap")
        yield Static("", id="note", classes="warning")
        with Vertical(id="progress-box"):
            yield Static("", id="progress-line", classes="hint")
            yield ProgressBar(id="progress", show_eta=False, show_percentage=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = _("Sync with the district")
        self.query_one("#progress-box").display = False
        self.query_one("#note").display = False
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="sync-status", exit_on_error=False)
    async def load(self) -> None:
        store = self.desk.require_store()
        self.status = await self.in_thread(laptop_status, store)
        self._show_status()
        self.refresh_bindings()

    def _show_status(self) -> None:
        status = self.status
        assert status is not None

        def put(selector: str, text: str) -> None:
            widget = self.query_one(selector, Static)
            widget.update(text)
            widget.display = bool(text)

        if not status.enrolled:
            put(
                "#enrolment",
                _(
                    "Not enrolled yet: press E and choose the setup file (.tpss) the district "
                    "office gave you."
                ),
            )
            put("#district-fp", "")
        else:
            put(
                "#enrolment",
                _("Enrolled with {district} ({code}) · area {area} (setup file version {version})")
                .format(
                    district=safe(status.district_name or ""),
                    code=safe(status.district_code or ""),
                    area=safe(status.area or ""),
                    version=status.setup_version,
                ),
            )  # fmt: skip
            put(
                "#district-fp",
                _("District fingerprint: {fingerprint}").format(
                    fingerprint=status.district_fingerprint
                ),
            )
        if status.laptop_fingerprint:
            put(
                "#laptop-fp",
                _(
                    "This laptop's fingerprint: [b]{fingerprint}[/b]\nThe district clerk asks "
                    "you to read it over the phone before approving this laptop."
                ).format(fingerprint=status.laptop_fingerprint),
            )
        else:
            put("#laptop-fp", "")
        pending = status.pending
        if not status.enrolled:
            put("#pending", "")
        elif pending.rows:
            text = ngettext(
                "To send: {n} change ({officers}).",
                "To send: {n} changes ({officers}).",
                pending.rows,
            ).format(n=pending.rows, officers=officer_changes_text(pending.officers))
            if pending.unsent_rows == 0:
                text += " " + _(
                    "All of them are in the last bundle; the district's receipt will say what "
                    "it took."
                )
            elif pending.unsent_rows < pending.rows:
                text += " " + ngettext(
                    "{n} of them is not in any bundle yet.",
                    "{n} of them are not in any bundle yet.",
                    pending.unsent_rows,
                ).format(n=pending.unsent_rows)
            put("#pending", text)
        else:
            put("#pending", _("Nothing to send: the district has every change of this laptop."))
        bundle = status.last_bundle
        put(
            "#last-bundle",
            _("Last bundle: {file} ({size}), changes {low}–{high}, written {when}").format(
                file=safe(bundle.file),
                size=_size(bundle.size),
                low=bundle.seq_from,
                high=bundle.seq_to,
                when=_moment(bundle.written_at),
            )
            if bundle is not None
            else (_("Last bundle: none yet") if status.enrolled else ""),
        )
        receipt = status.last_receipt
        put(
            "#last-receipt",
            _("Last receipt: number {version}, read {when}").format(
                version=receipt.version, when=_moment(receipt.imported_at)
            )
            if receipt is not None
            else (_("Last receipt: none yet") if status.enrolled else ""),
        )
        put("#fixes", fixes_banner(status.to_fix, status.corrections, key="P"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.busy and action in {"enrol", "send", "receipt"}:
            return None  # shown dimmed while a bundle or receipt is being written or read
        if action == "fixes":
            return self.status is not None and self.status.to_fix > 0
        return True

    def _note(self, text: str) -> None:
        """A word on why a key did nothing (not enrolled, nothing to send)."""
        note = self.query_one("#note", Static)
        note.update(text)
        note.display = bool(text)

    def _progress(self, text: str | None) -> None:
        self.busy = text is not None
        box = self.query_one("#progress-box")
        box.display = text is not None
        if text is not None:
            self.query_one("#progress-line", Static).update(Text(text))
            self.query_one("#progress", ProgressBar).update(total=None)
        self.refresh_bindings()

    def _refused(self, error: SyncError) -> None:
        self.app.push_screen(
            MessageScreen(_("Refused"), [safe(line) for line in error.message.split("\n")])
        )

    # -- enrol ---------------------------------------------------------------------------------

    def action_enrol(self) -> None:
        self._note("")
        self.app.push_screen(
            PlacePicker(
                "setup-file",
                title=_("Choose the setup file (.tpss) from the district office"),
                kind="file",
                suffixes=(".tpss",),
            ),
            callback=self._setup_chosen,
        )

    def _setup_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.enrol_from(path)

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def enrol_from(self, path: Path) -> None:
        """Read and check the setup file, then ask for the fingerprint (the first time) or for
        a confirmation (a newer file); `enrol_with` does the rest."""
        store = self.desk.require_store()
        self._progress(_("Checking {file}…").format(file=printable(path.name)))
        try:
            data, content, pinned = await self.in_thread(_read_setup, store, path)
        except SyncError as error:
            self._progress(None)
            self._refused(error)
            return
        self._progress(None)
        district = printable(f"{content.district_name} ({content.district_code})")
        if pinned:

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.enrol_with(data, None, path.name)

            question = _(
                "Install setup file version {version} of area {area} from {district}?"
            ).format(version=content.version, area=safe(content.area), district=safe(district))
            self.app.push_screen(ConfirmScreen(question), callback=confirmed)
        else:

            def typed(text: str | None) -> None:
                if text is not None:
                    self.enrol_with(data, text, path.name)

            self.app.push_screen(FingerprintDialog(content.fingerprint, district), callback=typed)

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def enrol_with(self, data: bytes, typed: str | None, file: str) -> None:
        """Enrol (or install a newer setup file); the setup module checks the fingerprint."""
        store = self.desk.require_store()
        self._progress(_("Enrolling with {file}…").format(file=printable(file)))
        try:
            result, counts = await self.in_thread(_enroll, store, data, typed, file)
        except SyncError as error:
            self._refused(error)
            return
        finally:
            self._progress(None)
        self.load()
        self.app.push_screen(
            MessageScreen(enrol_title(result), enrol_details(result, counts)),
            callback=self._enrol_told,
        )

    def _enrol_told(self, _closed: object) -> None:
        if self.back_after_enrol and self.app.screen is self:
            self.app.pop_screen()

    # -- send ----------------------------------------------------------------------------------

    def action_send(self) -> None:
        status = self.status
        if status is None or not status.enrolled:
            self._note(_("Enrol first: press E and choose the district's setup file."))
            return
        if status.pending.rows == 0:
            self._note(_("Nothing to send: the district has every change of this laptop."))
            return
        self.app.push_screen(
            PlacePicker(
                "send",
                title=_("Choose where to write the bundle (a USB stick, for example)"),
                kind="folder",
            ),
            callback=self._folder_chosen,
        )

    def _folder_chosen(self, folder: Path | None) -> None:
        self._note("")
        if folder is not None:
            self.send_to(folder)

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def send_to(self, folder: Path) -> None:
        store = self.desk.require_store()
        self._progress(_("Writing the bundle to {folder}…").format(folder=printable(str(folder))))
        try:
            sent = await self.in_thread(send_bundle, store, folder)
        except SyncError as error:
            self._refused(error)
            return
        finally:
            self._progress(None)
        self.load()
        self.app.push_screen(MessageScreen(*sent_message(sent)))

    # -- receipt -------------------------------------------------------------------------------

    def action_receipt(self) -> None:
        if self.status is None or not self.status.enrolled:
            self._note(_("Enrol first: press E and choose the district's setup file."))
            return
        self.app.push_screen(
            PlacePicker(
                "receipt",
                title=_("Choose the district's receipt (.tpsr)"),
                kind="file",
                suffixes=(".tpsr",),
            ),
            callback=self._receipt_chosen,
        )

    def _receipt_chosen(self, path: Path | None) -> None:
        self._note("")
        if path is not None:
            self.read_receipt(path)

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def read_receipt(self, path: Path) -> None:
        store = self.desk.require_store()
        self._progress(_("Reading {file}…").format(file=printable(path.name)))
        try:
            summary = await self.in_thread(_import_receipt, store, path)
        except SyncError as error:
            self._refused(error)
            return
        finally:
            self._progress(None)
        self.load()
        self.app.push_screen(
            FixesScreen(
                heading=_("Receipt number {version}").format(version=summary.version),
                report=receipt_report(summary),
            )
        )

    def action_fixes(self) -> None:
        self.app.push_screen(FixesScreen())

    def action_back(self) -> None:
        self.app.pop_screen()


# -- what the screens say (markup-safe text) ---------------------------------------------------


def fixes_banner(to_fix: int, corrections: int, *, key: str) -> str:
    """The line the dashboard and the sync screen show when the district asks for fixes."""
    if not to_fix:
        return ""
    text = ngettext("{n} officer needs a fix", "{n} officers need a fix", to_fix).format(n=to_fix)
    if corrections:
        text += (
            " ("
            + ngettext(
                "{n} correction of the district to compare",
                "{n} corrections of the district to compare",
                corrections,
            ).format(n=corrections)
            + ")"
        )
    return text + " — " + _("press {key} for the list").format(key=key)


def enrol_title(result: EnrollResult) -> str:
    district = safe(f"{result.district_name} ({result.district_code})")
    if result.first:
        return _("This laptop is enrolled with {district}.").format(district=district)
    return _("Setup file version {version} installed.").format(version=result.version)


def enrol_details(result: EnrollResult, counts: AreaCounts) -> list[str]:
    summary = result.summary
    lines = [
        _("Area {area}: {kecamatan} kecamatan, {kelurahan} kelurahan, {tps} TPS.").format(
            area=safe(result.area),
            kecamatan=counts.kecamatan,
            kelurahan=counts.kelurahan,
            tps=counts.tps,
        ),
        _("Rows: {new} new, {updated} updated, {unchanged} unchanged.").format(
            new=summary.new, updated=summary.updated, unchanged=summary.unchanged
        ),
    ]
    if summary.kept_local:
        lines.append(
            ngettext(
                "{n} place changed here after the district's version was kept.",
                "{n} places changed here after the district's version were kept.",
                summary.kept_local,
            ).format(n=summary.kept_local)
        )
    if summary.adopted:
        lines.append(
            ngettext(
                "{n} place typed on this laptop before was matched to the district's by its "
                "code; its officers are kept there.",
                "{n} places typed on this laptop before were matched to the district's by "
                "their codes; their officers are kept there.",
                summary.adopted,
            ).format(n=summary.adopted)
        )
    lines.extend(safe(warning) for warning in result.warnings)
    lines.append(
        _(
            "This laptop's fingerprint: {fingerprint}. Read it to the district office when it "
            "approves this laptop."
        ).format(fingerprint=result.laptop_fingerprint)
    )
    return lines


def sent_message(sent: SentBundle) -> tuple[str, list[str]]:
    title = _("Bundle written: {file}").format(file=safe(sent.path.name))
    lines = [
        _("Folder: {folder}").format(folder=safe(str(sent.path.parent))),
        _("Size: {size}").format(size=_size(sent.size)),
        _("Changes {low}–{high}: {rows} records, {officers}.").format(
            low=sent.seq_from,
            high=sent.seq_to,
            rows=sent.rows,
            officers=officer_changes_text(sent.officers),
        ),
        _(
            "Take this file to the district office (on a USB stick or by e-mail). The "
            "district's receipt then says what was accepted."
        ),
    ]
    return title, lines


def receipt_report(summary: ReceiptSummary) -> list[str]:
    """What a receipt said, line by line, for the top of the fix list."""
    from tpsdesk.store.models import OfficerStatus

    statuses = summary.statuses
    lines: list[str] = []
    if summary.new_device_id is None:
        lines.append(
            _("The district holds every change of this laptop up to number {seq}.").format(
                seq=summary.acknowledged_seq
            )
        )
    accepted = statuses.get(OfficerStatus.ACCEPTED.value, 0)
    enrolled = statuses.get(OfficerStatus.ENROLLED.value, 0)
    # Officers the district removed as duplicates come as needing a fix with the reason, but
    # they are out of the lists: counted on their own line, not as work to do.
    to_fix = max(statuses.get(OfficerStatus.NEEDS_FIX.value, 0) - summary.removed, 0)
    lines.append(
        _("Accepted: {accepted} · KPJ numbers received: {enrolled} · to fix: {to_fix}").format(
            accepted=accepted, enrolled=enrolled, to_fix=to_fix
        )
    )
    changed = []
    if summary.removed:
        changed.append(
            ngettext(
                "{n} record removed by the district (the same person kept in another record)",
                "{n} records removed by the district (the same person kept in another record)",
                summary.removed,
            ).format(n=summary.removed)
        )
    if summary.corrected:
        changed.append(
            ngettext(
                "{n} record took the district's correction",
                "{n} records took the district's correction",
                summary.corrected,
            ).format(n=summary.corrected)
        )
    if summary.conflicts:
        changed.append(
            ngettext(
                "{n} correction waits beside this laptop's values (C compares)",
                "{n} corrections wait beside this laptop's values (C compares)",
                summary.conflicts,
            ).format(n=summary.conflicts)
        )
    if summary.kept_local:
        changed.append(
            ngettext(
                "{n} record changed here later goes with the next bundle",
                "{n} records changed here later go with the next bundle",
                summary.kept_local,
            ).format(n=summary.kept_local)
        )
    if changed:
        lines.append(_("District changes: {changes}.").format(changes="; ".join(changed)))
    for low, high in summary.gaps:
        lines.append(
            _("The district is missing changes {low}–{high}: send a bundle again.").format(
                low=low, high=high
            )
        )
    for place, reason in summary.refused_places:
        lines.append(
            _("The district refused {place}: {reason}").format(
                place=safe(place), reason=safe(reason)
            )
        )
    if summary.new_device_id is not None:
        lines.append(
            _(
                "This store was put back to an older copy, so this laptop took a new identity; "
                "nothing typed here is lost. Ask the district office to approve it: "
                "fingerprint {fingerprint}."
            ).format(fingerprint=summary.new_fingerprint)
        )
    return lines
