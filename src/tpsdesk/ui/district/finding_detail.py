"""One finding side by side: a row per field, a column per version (or record), the differing
rows marked ≠, and a "Result" column the clerk builds by taking values (← →) or typing them
(E); 1, 2… keep one whole version, B keeps both, F2 saves the result. Dismissed with True when
a decision was recorded."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from tpsdesk.i18n import N_, _
from tpsdesk.sync import district
from tpsdesk.sync import finding_view as view
from tpsdesk.sync.district_models import FindingKind, FindingStatus
from tpsdesk.sync.errors import SyncError
from tpsdesk.terminal import printable
from tpsdesk.ui.bindings import translate_bindings
from tpsdesk.ui.district.findings import decision_label
from tpsdesk.ui.screens.base import StoreCalls

DIFFERS = "bold yellow"
TAKEN = "bold green"


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class FindingDetailScreen(StoreCalls, Screen[bool]):
    DEFAULT_CSS = """
    FindingDetailScreen #detail-who {
        height: auto;
        max-height: 7;
    }
    FindingDetailScreen #detail-table {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding(
            "left",
            "take(-1)",
            N_("Take value"),
            id="finding.take_left",
            key_display="← →",
            priority=True,
        ),
        Binding(
            "right",
            "take(1)",
            N_("Take value"),
            id="finding.take_right",
            key_display="→",
            priority=True,
            show=False,
        ),
        Binding("e", "edit", N_("Edit"), id="finding.edit", key_display="E"),
        Binding("1", "keep(1)", N_("Keep one"), id="finding.keep_1", key_display="1…"),
        *(
            Binding(str(n), f"keep({n})", N_("Keep one"), id=f"finding.keep_{n}", show=False)
            for n in range(2, 10)
        ),
        Binding("b", "keep_both", N_("Keep both"), id="finding.keep_both", key_display="B"),
        Binding("n", "note", N_("Note"), id="finding.note", key_display="N", show=False),
        Binding("f2", "save", N_("Save result"), id="finding.save"),
        Binding("escape", "back", N_("Back"), id="finding.back"),
    ]

    def __init__(self, finding_id: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.finding_id = finding_id
        self.detail: view.FindingDetail | None = None
        self.result: dict[str, Any] = {}
        self.source: dict[str, int] = {}  # field → version index taken (-1: typed)
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="detail-title", classes="title")
        yield Static("", id="detail-who")
        yield DataTable(id="detail-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail-error", classes="error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = _("Finding")
        self.load()

    @work(exclusive=True, group="finding-detail", exit_on_error=False)
    async def load(self) -> None:
        store = self.desk.require_store()
        try:
            found = await self.in_thread(view.detail, store, self.finding_id)
        except SyncError as exc:
            self.query_one("#detail-error", Static).update(Text(exc.message))
            return
        self.detail = found
        if found.versions:
            self.result = dict(found.versions[0].values)
            self.source = {f.name: 0 for f in found.fields}
        self.draw()
        self.query_one("#detail-table", DataTable).focus()
        self.refresh_bindings()

    # -- drawing ---------------------------------------------------------------------------

    def draw(self) -> None:
        found = self.detail
        if found is None:
            return
        title = view.kind_label(found.kind)
        self.query_one("#detail-title", Static).update(Text(printable(title)))
        self.query_one("#detail-who", Static).update(self._who())
        table: DataTable[Any] = self.query_one("#detail-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        if not found.versions:
            table.display = False
            return
        columns = len(found.versions) + (1 if self.is_open() else 0)
        label_width = 16
        # Every column visible at 80 columns: cells are cut to fit (the full value is in the
        # result's edit form and in the officer's own screen).
        spare = max(10 * columns, self.size.width - 3 - (label_width + 2) - 2)
        width = max(8, spare // columns - 2)
        table.add_column("", key="mark", width=1)
        table.add_column(_("Field"), key="field", width=label_width)
        for version in found.versions:
            word = _("Version {n}") if found.kind == FindingKind.CONFLICT.value else _("Record {n}")
            table.add_column(word.format(n=version.number), key=f"v{version.number}", width=width)
        if self.is_open():
            table.add_column(_("Result"), key="result", width=width)
        catalogue = self.desk.require_store().catalogue
        places = self._places()
        for field in found.fields:
            style = DIFFERS if field.differs else ""
            cells: list[Any] = [
                Text("≠", style=DIFFERS) if field.differs else "",
                Text(field.label, style=style),
            ]
            for index, shown in enumerate(field.shown):
                taken = self.is_open() and field.differs and self.source.get(field.name) == index
                cells.append(Text(printable(shown), style=TAKEN if taken else style))
            if self.is_open():
                shown = view.shown_value(
                    found.table, field.name, self.result.get(field.name), catalogue, places
                )
                typed = self.source.get(field.name) == -1
                cells.append(
                    Text(
                        printable(shown) + (" ✎" if typed else ""),
                        style=TAKEN if typed or field.differs else "",
                    )
                )
            table.add_row(*cells, key=field.name)
        if found.fields:
            table.move_cursor(row=min(max(row, 0), len(found.fields) - 1))

    def _places(self) -> dict[str, str]:
        """Place names as the versions show them, by wire value (for the result column)."""
        found = self.detail
        out: dict[str, str] = {}
        if found is None:
            return out
        for field in found.fields:
            if field.name in ("tps_id", "kelurahan_code", "kecamatan_code"):
                for version, shown in zip(found.versions, field.shown, strict=False):
                    out[str(version.values.get(field.name))] = shown
        return out

    def _who(self) -> Text:
        found = self.detail
        assert found is not None
        lines: list[str] = []
        for version in found.versions:
            word = _("Version {n}") if found.kind == FindingKind.CONFLICT.value else _("Record {n}")
            parts = [version.laptop]
            if version.operator:
                parts.append(_("typed by {name}").format(name=version.operator))
            if version.area:
                parts.append(version.area)
            if version.changed:
                parts.append(_("changed {date}").format(date=version.changed))
            if version.bundle:
                parts.append(
                    _("bundle {file}, received {date}").format(
                        file=version.bundle[:8], date=version.received
                    )
                )
            if version.deleted:
                parts.append(_("removed"))
            lines.append(f"{word.format(n=version.number)}: {', '.join(parts)}")
        lines.extend(found.lines)
        if found.status == FindingStatus.RESOLVED.value:
            when = found.resolved_at.strftime("%d-%m-%Y %H:%M") if found.resolved_at else ""
            decided = _("Decided by {name} on {date}: {decision}").format(
                name=found.resolved_by or "—",
                date=when,
                decision=decision_label(str(found.resolution.get("decision", ""))),
            )
            note = str(found.resolution.get("note", "") or "")
            lines.append(decided + (f" — {note}" if note else ""))
        elif self.note:
            lines.append(_("Note: {note}").format(note=self.note))
        return Text("\n".join(printable(line) for line in lines))

    # -- state -----------------------------------------------------------------------------

    def is_open(self) -> bool:
        return self.detail is not None and self.detail.status == FindingStatus.OPEN.value

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        found = self.detail
        if action in ("take", "edit", "save", "keep", "keep_both", "note"):
            if found is None or not self.is_open():
                return False
            if action == "keep":
                number = int(str(parameters[0]))
                return number <= len(found.versions) and found.kind != FindingKind.GAP.value
            if action == "keep_both":
                return found.can_keep_both()
            if action in ("take", "edit", "save"):
                return bool(found.versions) and bool(found.fields)
        return True

    def current_field(self) -> view.FieldRow | None:
        found = self.detail
        if found is None or not found.fields:
            return None
        table: DataTable[Any] = self.query_one("#detail-table", DataTable)
        return found.fields[min(max(table.cursor_row, 0), len(found.fields) - 1)]

    def _error(self, text: str) -> None:
        self.query_one("#detail-error", Static).update(Text(text))

    # -- building the result ---------------------------------------------------------------

    def action_take(self, step: int) -> None:
        found = self.detail
        field = self.current_field()
        if found is None or field is None:
            return
        current = self.source.get(field.name, 0)
        index = current + step if current >= 0 else 0
        index = min(max(index, 0), len(found.versions) - 1)
        self.take(field.name, index)

    def take(self, name: str, index: int) -> None:
        """Put version `index`'s value of field `name` into the result."""
        found = self.detail
        assert found is not None
        self.result[name] = found.versions[index].values.get(name)
        self.source[name] = index
        self._error("")
        self.draw()

    def action_edit(self) -> None:
        from tpsdesk.ui.screens.simple_form import FormField, SimpleForm, SubmitRefused

        found = self.detail
        field = self.current_field()
        if found is None or field is None:
            return
        if not field.editable:
            self._error(
                _("{field} is not typed here: take it from a version with ← →.").format(
                    field=field.label
                )
            )
            return
        catalogue = self.desk.require_store().catalogue
        today: date = getattr(self.app, "today", None) or date.today()
        current = view.shown_value(
            found.table, field.name, self.result.get(field.name), catalogue, {}
        )
        if field.name == "post_code":
            current = str(self.result.get(field.name) or "")
        result = dict(self.result)

        def submit(values: dict[str, str]) -> Any:
            value, problems = view.check_value(
                found.table, result, field.name, values["value"], catalogue, today
            )
            if problems:
                raise SubmitRefused("\n".join(problems))
            return {"value": value}

        def done(answer: object) -> None:
            if isinstance(answer, dict):
                self.result[field.name] = answer["value"]
                self.source[field.name] = -1
                self._error("")
                self.draw()

        form = SimpleForm(
            _("Result: {field}").format(field=field.label),
            [FormField("value", field.label, "" if current == "—" else current)],
            submit,
        )
        self.app.push_screen(form, done)

    def action_note(self) -> None:
        from tpsdesk.ui.screens.simple_form import FormField, SimpleForm

        def done(answer: object) -> None:
            if isinstance(answer, dict):
                self.note = str(answer.get("note", "")).strip()
                self.draw()

        self.app.push_screen(
            SimpleForm(
                _("Note with the decision"),
                [FormField("note", _("Note"), self.note)],
                lambda values: dict(values),
            ),
            done,
        )

    def base_index(self) -> int:
        """The version the result is closest to: kept, with the other values written on it."""
        found = self.detail
        assert found is not None
        names = [f.name for f in found.fields]
        scores = [
            sum(_same(v.values.get(n), self.result.get(n)) for n in names) for v in found.versions
        ]
        return scores.index(max(scores))

    def changes(self) -> tuple[int, dict[str, Any]]:
        found = self.detail
        assert found is not None
        base = self.base_index()
        return base, view.result_changes(found.versions[base].values, self.result, found.table)

    # -- deciding --------------------------------------------------------------------------

    def action_save(self) -> None:
        from tpsdesk.ui.screens.confirm import ConfirmScreen

        found = self.detail
        if found is None:
            return
        base, changed = self.changes()
        version = found.versions[base]
        labels = {f.name: f.label for f in found.fields}
        catalogue = self.desk.require_store().catalogue
        places = self._places()
        word = _("version {n}") if found.kind == FindingKind.CONFLICT.value else _("record {n}")
        lines = [
            f"{labels.get(name, name)}: "
            + view.shown_value(found.table, name, version.values.get(name), catalogue, places)
            + " → "
            + view.shown_value(found.table, name, value, catalogue, places)
            for name, value in changed.items()
        ]
        if changed:
            question = _("Keep {version} with these changes?").format(
                version=word.format(n=version.number)
            )
        else:
            question = _("Keep {version} as it is?").format(version=word.format(n=version.number))
        officers = found.table == "officer" and found.kind != FindingKind.CONFLICT.value
        if found.kind != FindingKind.CONFLICT.value and len(found.versions) > 1 and not changed:
            question += " " + _("The other records are removed.")
        elif found.kind != FindingKind.CONFLICT.value and changed and not officers:
            question += " " + _("The other records stay as they are.")
        # ConfirmScreen reads markup: values from the store are escaped.
        text = "\n".join(escape(printable(line)) for line in [question, *lines[:12]])
        if changed:
            decision, values = district.Decision.EDIT, changed
        else:
            decision, values = district.Decision.KEEP_ONE, None

        def one_person(yes: bool | None) -> None:
            if yes is not None:
                self._decide(decision, version.key, values, remove_others=yes)

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if officers and changed and len(found.versions) > 1:
                # The result may merge two records of one person, or correct one of two
                # people: the clerk says which.
                self.app.push_screen(
                    ConfirmScreen(
                        _(
                            "Are these records one person? Yes: the other records are removed. "
                            "No: they stay as they are."
                        )
                    ),
                    one_person,
                )
            else:
                self._decide(decision, version.key, values)

        self.app.push_screen(ConfirmScreen(text), answered)

    def action_keep(self, number: int) -> None:
        from tpsdesk.ui.screens.confirm import ConfirmScreen

        found = self.detail
        if found is None or not 1 <= number <= len(found.versions):
            return
        version = found.versions[number - 1]
        if found.kind == FindingKind.CONFLICT.value:
            question = _("Keep version {n} whole? The other versions are set aside.").format(
                n=number
            )
        else:
            question = _("Keep record {n}? The other records are removed.").format(n=number)

        def answered(yes: bool | None) -> None:
            if yes:
                self._decide(district.Decision.KEEP_ONE, version.key, None)

        self.app.push_screen(ConfirmScreen(question), answered)

    def action_keep_both(self) -> None:
        from tpsdesk.ui.screens.confirm import ConfirmScreen

        found = self.detail
        if found is None:
            return
        if found.kind in (FindingKind.GAP.value, FindingKind.ROLLBACK.value):
            question = _("Close this finding and keep everything as it is?")
        else:
            question = _("Keep every record as it is?")

        def answered(yes: bool | None) -> None:
            if yes:
                self._decide(district.Decision.KEEP_BOTH, None, None)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(exclusive=True, group="finding-decide", exit_on_error=False)
    async def _decide(
        self,
        decision: str,
        keep: str | None,
        values: dict[str, Any] | None,
        *,
        remove_others: bool = False,
    ) -> None:
        store = self.desk.require_store()
        self._error(_("Saving…"))
        try:
            await self.in_thread(
                district.resolve_finding,
                store,
                self.finding_id,
                decision,
                keep=keep,
                values=values,
                note=self.note,
                remove_others=remove_others,
            )
        except SyncError as exc:
            self._error(exc.message)
            return
        if self.desk.require_store().role == "province":  # it sends no receipts
            self.notify(_("Decided."))
        else:
            self.notify(_("Decided. The decision goes to the laptop with its next receipt."))
        self.dismiss(True)

    def action_back(self) -> None:
        from tpsdesk.ui.screens.confirm import ConfirmScreen

        found = self.detail
        built = found is not None and self.is_open() and any(self.source.values())
        if not built:
            self.dismiss(False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(False)

        self.app.push_screen(
            ConfirmScreen(_("Go back without saving the result? Nothing is decided.")), answered
        )
