"""The `tpsdesk` command line: a thin layer over the store, exchange and sync functions.

Exit status (DESIGN.md §10): 0 success, 1 refused or partly rejected (the reason is printed on
stderr, never a traceback), 2 usage error (click's own). Without a subcommand it opens the TUI;
textual is imported only then.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tpsdesk.click_i18n import USAGE_METAVARS, translate_click
from tpsdesk.i18n import LANGUAGES, N_, _, ngettext, os_error_text, set_language
from tpsdesk.paths import resolve_store_path
from tpsdesk.terminal import json_safe, printable, printable_lines

if TYPE_CHECKING:
    from tpsdesk.store.db import Store
    from tpsdesk.store.officers import OfficerHit
    from tpsdesk.store.vault import KdfParams

PASSPHRASE_ENV = "TPSDESK_PASSPHRASE"
NEW_PASSPHRASE_ENV = "TPSDESK_NEW_PASSPHRASE"
FAST_KDF_ENV = "TPSDESK_TEST_FAST_KDF"
MAX_SECRET_FILE_BYTES = 4096
PROMPT_ATTEMPTS = 3
LIST_PAGE = 1000

F = TypeVar("F", bound=Callable[..., Any])

translate_click()  # click's usage errors, headings and prompts follow --lang too


def kdf_params_from_env() -> KdfParams | None:
    """Tiny Argon2id parameters when TPSDESK_TEST_FAST_KDF=1 (tests only), else the default.

    The one place this switch is read. A store made this way is easy to brute-force: never set
    it outside tests.
    """
    if os.environ.get(FAST_KDF_ENV) != "1":
        return None
    from tpsdesk.store.vault import KdfParams

    return KdfParams(iterations=1, memory_kib=64, lanes=1)


# -- failures and translated help ---------------------------------------------------------


class CliFailure(Exception):
    """A refusal to report on stderr with exit status 1; `message` is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def fail(message: str) -> NoReturn:
    raise CliFailure(message)


def _expected_errors() -> tuple[type[BaseException], ...]:
    from tpsdesk.exchange.area_csv import AreaCsvError
    from tpsdesk.exchange.sheet_reader import SheetError
    from tpsdesk.exchange.xlsx_writer import ExportError
    from tpsdesk.store.db import StoreError
    from tpsdesk.store.vault import VaultError

    return (CliFailure, VaultError, StoreError, AreaCsvError, SheetError, ExportError)


class _Option(click.Option):
    """An option whose help text (an English msgid) is translated when help is shown."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        original = self.help
        self.help = _(original) if original else original
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = original


class _Translated:
    """Command help texts are msgids, translated when shown (after --lang took effect)."""

    help: str | None
    short_help: str | None

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        original = self.help
        self.help = _(original) if original else original
        try:
            super().format_help_text(ctx, formatter)  # type: ignore[misc]
        finally:
            self.help = original

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces: list[str] = super().collect_usage_pieces(ctx)  # type: ignore[misc]
        return [_(USAGE_METAVARS[p]) if p in USAGE_METAVARS else p for p in pieces]

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        # click makes the help option once and keeps its text: give it the current language.
        help_option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if help_option is not None:
            help_option.help = _("Show this message and exit.")
        return help_option

    def get_short_help_str(self, limit: int = 45) -> str:
        original = self.help, self.short_help
        self.help = _(self.help) if self.help else self.help
        self.short_help = _(self.short_help) if self.short_help else self.short_help
        try:
            return super().get_short_help_str(limit)  # type: ignore[misc]
        finally:
            self.help, self.short_help = original


class _Command(_Translated, click.Command):
    def invoke(self, ctx: click.Context) -> Any:
        return _invoke_reporting(super().invoke, ctx)


class _Group(_Translated, click.Group):
    command_class = _Command
    group_class = type  # subgroups are made with the same class as their parent

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:  # the saved preference, before click prints any usage or help
            _choose_language(None)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        return _invoke_reporting(super().invoke, ctx)


def _invoke_reporting(invoke: Callable[[click.Context], Any], ctx: click.Context) -> Any:
    """Expected failures become a clean message on stderr and exit status 1."""
    try:
        return invoke(ctx)
    except _expected_errors() as exc:
        click.echo(printable_lines(getattr(exc, "message", str(exc))), err=True)
        ctx.exit(1)


def option(*names: str, **kwargs: Any) -> Callable[[F], F]:
    return click.option(*names, cls=_Option, **kwargs)


def _choose_language(language: str | None) -> str | None:
    """--lang, else the saved preference, else TPSDESK_LANG or Indonesian: set while the
    options are parsed, so that --help and click's own errors use it too."""
    from tpsdesk import prefs

    set_language(language or prefs.preferred_language())
    return language


# -- state shared by the commands ---------------------------------------------------------


@dataclass
class CliState:
    store_arg: Path | None = None
    passphrase_file: Path | None = None
    language: str | None = None

    @property
    def store_path(self) -> Path:
        return resolve_store_path(self.store_arg)


def _state(ctx: click.Context) -> CliState:
    return ctx.ensure_object(CliState)


def _store_option(func: F) -> F:
    """`--store PATH` after a subcommand too (`tpsdesk init --store F`), as DESIGN.md §10."""

    def remember(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
        if value is not None:
            _state(ctx).store_arg = value

    return option(
        "--store",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        callback=remember,
        help=N_("The store file (default: the user data folder, or $TPSDESK_STORE)."),
    )(func)


def _recovery_options(func: F) -> F:
    """The options of a command that opens the store with the recovery key: where the key
    and the new passphrase come from, and whether damaged files may go without asking."""
    func = option(
        "--yes",
        is_flag=True,
        help=N_("Remove damaged backups that cannot be re-wrapped without asking."),
    )(func)
    func = option(
        "--new-passphrase-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help=N_("Read the new passphrase from this file."),
    )(func)
    return option(
        "--recovery-key-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help=N_("Read the recovery key from this file instead of a prompt."),
    )(func)


def _read_secret_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        fail(_("Could not read {file}: {reason}").format(file=str(path), reason=os_error_text(exc)))
    if len(data) > MAX_SECRET_FILE_BYTES:
        fail(_("{file} is too large to hold a passphrase.").format(file=str(path)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        fail(_("{file} is not UTF-8 text.").format(file=str(path)))
    # Only the line ending an editor adds is removed: spaces may be part of a passphrase.
    return text.removesuffix("\n").removesuffix("\r")


def _passphrase(ctx: click.Context, prompt: str = "") -> str:
    """The current passphrase: --passphrase-file, then $TPSDESK_PASSPHRASE, then a prompt."""
    state = _state(ctx)
    if state.passphrase_file is not None:
        value = _read_secret_file(state.passphrase_file)
    elif PASSPHRASE_ENV in os.environ:
        value = os.environ[PASSPHRASE_ENV]
    else:
        value = click.prompt(prompt or _("Passphrase"), hide_input=True, err=True)
    if not value:
        fail(_("A passphrase is required. Enter one."))
    return value


def _strength_report(passphrase: str) -> tuple[bool, list[str]]:
    from tpsdesk.store.passphrase import passphrase_strength

    strength = passphrase_strength(passphrase)
    labels = (N_("very weak"), N_("weak"), N_("fair"), N_("good"), N_("strong"))
    score = max(0, min(strength.score, len(labels) - 1))
    lines = [_("Passphrase strength: {label}").format(label=_(labels[score]))]
    lines.extend(f"  - {hint}" for hint in strength.hints)
    return strength.acceptable, lines


def _new_passphrase(
    ctx: click.Context, *, from_file: Path | None, env: str, allow_current: bool
) -> str:
    """A new passphrase: from a file or the environment (checked once), or typed twice with
    feedback on its strength until it is strong enough."""
    value: str | None = None
    if from_file is not None:
        value = _read_secret_file(from_file)
    elif env in os.environ:
        value = os.environ[env]
    elif allow_current:
        state = _state(ctx)
        if state.passphrase_file is not None:
            value = _read_secret_file(state.passphrase_file)
        elif PASSPHRASE_ENV in os.environ:
            value = os.environ[PASSPHRASE_ENV]
    if value is not None:
        acceptable, lines = _strength_report(value)
        if not acceptable:
            fail("\n".join([_("The new passphrase is too weak."), *lines]))
        return value
    for _attempt in range(PROMPT_ATTEMPTS):
        value = click.prompt(_("New passphrase"), hide_input=True, err=True)
        acceptable, lines = _strength_report(value)
        for line in lines:
            click.echo(line, err=True)
        if not acceptable:
            click.echo(_("Choose a longer passphrase: several words work well."), err=True)
            continue
        again = click.prompt(_("Repeat the new passphrase"), hide_input=True, err=True)
        if again != value:
            click.echo(_("The two passphrases differ. Try again."), err=True)
            continue
        return value
    fail(_("No passphrase was set."))


@contextmanager
def _open_store(ctx: click.Context) -> Iterator[Store]:
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import StoreMissing

    path = _state(ctx).store_path
    if not path.exists():
        raise StoreMissing(path)  # before asking for a passphrase that cannot help
    store = Store.open(path, _passphrase(ctx))
    try:
        yield store
    finally:
        store.close()


def _echo_json(value: Any) -> None:
    click.echo(json_safe(json.dumps(value, ensure_ascii=False, sort_keys=True)))


# -- commands -------------------------------------------------------------------------------


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=N_(
        "Register ad-hoc election officers for BPJS Ketenagakerjaan cover, offline. Without a "
        "command, opens the app."
    ),
)
@option(
    "--store",
    "store_arg",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("The store file (default: the user data folder, or $TPSDESK_STORE)."),
)
@option(
    "--lang",
    "language",
    type=click.Choice(LANGUAGES),
    is_eager=True,  # before --help, which prints and exits while options are still parsed
    callback=lambda _ctx, _param, value: _choose_language(value),
    help=N_("Language of messages: id (Indonesian, the default) or en (English)."),
)
@option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Read the passphrase from this file (else $TPSDESK_PASSPHRASE, else a prompt)."),
)
@click.pass_context
def main(
    ctx: click.Context, store_arg: Path | None, language: str | None, passphrase_file: Path | None
) -> None:
    # The language was chosen first of all (_choose_language): everything is printed in it.
    ctx.obj = CliState(store_arg=store_arg, passphrase_file=passphrase_file, language=language)
    if ctx.invoked_subcommand is None:
        from tpsdesk.ui.app import run_app  # the only path that imports textual

        run_app(ctx.obj.store_path, language, kdf=kdf_params_from_env())


@main.command(help=N_("Create a store and print its one-time recovery key."))
@option("--district", is_flag=True, help=N_("Create a district store instead of a field store."))
@option("--operator", default="", help=N_("Who works on this store (shown in the audit trail)."))
@_store_option
@click.pass_context
def init(ctx: click.Context, district: bool, operator: str) -> None:
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import StoreExists
    from tpsdesk.sync.identity import ensure_device_identity

    path = _state(ctx).store_path
    if os.path.lexists(path):
        raise StoreExists(path)
    passphrase = _new_passphrase(ctx, from_file=None, env=PASSPHRASE_ENV, allow_current=True)
    role = "district" if district else "field"
    store, recovery_key = Store.create(
        path, passphrase, role=role, operator=operator, kdf=kdf_params_from_env()
    )
    try:
        identity = ensure_device_identity(store)
    finally:
        store.close()
    click.echo(_("Store created: {path}").format(path=str(path)))
    click.echo(_("Role: {role}").format(role=_role_label(role)))
    click.echo(_("Device fingerprint: {fingerprint}").format(fingerprint=identity.fingerprint))
    rule = "=" * 64
    click.echo()
    click.echo(rule)
    click.echo(_("RECOVERY KEY (shown only this once):"))
    click.echo()
    click.echo(f"    {recovery_key}")
    click.echo()
    click.echo(_("Write it down now and keep it somewhere safe, away from this laptop."))
    click.echo(_("It resets the passphrase if it is forgotten: `tpsdesk recover`."))
    click.echo(_("Anyone holding it can open the store."))
    click.echo(rule)


def _role_label(role: str) -> str:
    return _("district") if role == "district" else _("field")


@main.group(cls=_Group, help=N_("Kecamatan, kelurahan and TPS."))
def area() -> None:
    pass


@area.command(
    "import",
    help=N_(
        "Import an area list, CSV or XLSX, with the header kecamatan_code, kecamatan_name, "
        "kelurahan_code, kelurahan_name, tps_number, tps_address. Nothing is imported if any "
        "line has a problem."
    ),
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_store_option
@click.pass_context
def area_import(ctx: click.Context, file: Path) -> None:
    from tpsdesk.exchange.area_csv import import_area_csv, read_area_csv

    # An .xls, an .ods or an encrypted workbook is refused by read_area_csv with its reason.
    # Parse before asking for the passphrase: a bad file is reported without unlocking.
    parsed = read_area_csv(file)
    if not parsed.ok:
        _report_area_problems(parsed.problems)
    with _open_store(ctx) as store:
        result, summary = import_area_csv(store, file)
    if summary is None:
        _report_area_problems(result.problems)
    click.echo(
        _(
            "Imported {rows} lines: {kecamatan} new kecamatan, {kelurahan} new kelurahan, "
            "{tps} new TPS, {updated} updated, {unchanged} unchanged."
        ).format(
            rows=len(result.rows),
            kecamatan=summary.new_kecamatan,
            kelurahan=summary.new_kelurahan,
            tps=summary.new_tps,
            updated=summary.updated,
            unchanged=summary.unchanged,
        )
    )


def _report_area_problems(problems: list[Any]) -> NoReturn:
    for problem in problems:
        click.echo(printable(problem.describe()), err=True)
    fail(
        ngettext(
            "Nothing was imported: the file has {n} problem.",
            "Nothing was imported: the file has {n} problems.",
            len(problems),
        ).format(n=len(problems))
    )


@main.command(
    help=N_(
        "Fill the store with synthetic officers (structurally valid NIKs, not real people); "
        "creates a sample area first if the store has none."
    )
)
@option(
    "--officers",
    type=click.IntRange(0, 1_000_000),
    default=500,
    show_default=True,
    help=N_("How many officers to add."),
)
@option(
    "--seed",
    type=int,
    default=None,
    help=N_("Random seed (default: one of the enrolled area's own, so laptops differ)."),
)
@option(
    "--district",
    "world",
    is_flag=True,
    help=N_(
        "On a new district store: build a sample world (an area, enrolled laptops, bundles "
        "waiting, findings of each kind)."
    ),
)
@option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=N_("With --district: where the laptops and the inbox go (default: demo-world beside "
            "the store)."),
)  # fmt: skip
@_store_option
@click.pass_context
def demo(
    ctx: click.Context, officers: int, seed: int | None, world: bool, folder: Path | None
) -> None:
    from tpsdesk.exchange.demo import DEFAULT_SEED, fill_demo
    from tpsdesk.store.area_scope import enrolled_area

    if world:
        _demo_world(ctx, folder)
        return
    if folder is not None:
        fail(_("--folder goes with --district."))
    with _open_store(ctx) as store:
        if seed is None:
            # The same people on every laptop would make every demo officer a duplicate at
            # the district: an enrolled laptop's area gives it people of its own (the same
            # ones each time, as the fixed seed of a store without an area does).
            with store.read() as session:
                area = enrolled_area(session)
            seed = DEFAULT_SEED
            if area:
                seed = int(hashlib.sha256(area.encode()).hexdigest()[:8], 16)
        summary = fill_demo(store, officers, rng_seed=seed)
    if summary.area_created:
        click.echo(
            _(
                "Sample area created: {kecamatan} kecamatan, {kelurahan} kelurahan, {tps} TPS."
            ).format(kecamatan=summary.kecamatan, kelurahan=summary.kelurahan, tps=summary.tps)
        )
    click.echo(_("Added {n} synthetic officers.").format(n=summary.added))
    if summary.no_room:
        fail(
            _("{n} officers were not added: every post in the area is filled.").format(
                n=summary.no_room
            )
        )


def _demo_world(ctx: click.Context, folder: Path | None) -> None:
    from tpsdesk.cli_bundle import _kind
    from tpsdesk.exchange.demo_world import WORLD_FOLDER, WorldRefused, build_world

    with _open_store(ctx) as store:
        folder = folder or store.path.parent / WORLD_FOLDER
        try:
            world = build_world(store, _passphrase(ctx), folder, kdf=kdf_params_from_env())
        except WorldRefused as refused:
            fail(str(refused))
    if world.district_set:
        click.echo(
            _("District set: {name} ({code}).").format(
                name=world.district_name, code=world.district_code
            )
        )
    click.echo(
        _("Sample area created: {kecamatan} kecamatan, {kelurahan} kelurahan, {tps} TPS.").format(
            kecamatan=world.kecamatan, kelurahan=world.kelurahan, tps=world.tps
        )
    )
    click.echo(_("Sample world: {folder}").format(folder=str(world.folder)))
    click.echo(_("The laptops' stores open with this store's passphrase; each is a field store:"))
    for laptop in world.laptops:
        state = _("approved") if laptop.state == "approved" else _("waiting for approval")
        click.echo(
            "  "
            + ngettext(
                "{laptop}: kelurahan {code} {kelurahan}, {n} officer, {state}",
                "{laptop}: kelurahan {code} {kelurahan}, {n} officers, {state}",
                laptop.officers,
            ).format(
                laptop=laptop.name,
                code=laptop.kelurahan_code,
                kelurahan=printable(laptop.kelurahan_name),
                n=laptop.officers,
                state=state,
            )
        )
        click.echo("    " + _("store: {path}").format(path=str(laptop.store_path)))
        click.echo("    " + _("fingerprint: {fingerprint}").format(fingerprint=laptop.fingerprint))
    click.echo(
        ngettext(
            "{n} bundle waits in {folder}, not merged yet:",
            "{n} bundles wait in {folder}, not merged yet:",
            len(world.inbox_files),
        ).format(n=len(world.inbox_files), folder=str(world.inbox))
    )
    for path in world.inbox_files:
        click.echo(f"  {path.name}")
    click.echo(
        ngettext("{n} bundle merged.", "{n} bundles merged.", world.merged).format(n=world.merged)
    )
    click.echo(
        ngettext(
            "{n} bundle waits in quarantine for its laptop's approval.",
            "{n} bundles wait in quarantine for their laptops' approval.",
            world.quarantined,
        ).format(n=world.quarantined)
    )
    click.echo(_("Findings:"))
    for kind, count in sorted(world.findings.items()):
        click.echo(f"  {_kind(kind)}: {count}")
    click.echo(
        _(
            "Next: `tpsdesk district merge {inbox}`, `tpsdesk district devices`, "
            "`tpsdesk district findings`."
        ).format(inbox=str(world.inbox))
    )


@main.group(cls=_Group, help=N_("Officers."))
def officers() -> None:
    pass


def _tps_ref(hit: OfficerHit) -> str | None:
    if hit.tps_number is None or hit.kelurahan_code is None:
        return None
    return f"{hit.kelurahan_code}/{hit.tps_number:03d}"


def _hit_json(hit: OfficerHit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "nik": hit.nik,
        "name": hit.name,
        "birth_date": hit.birth_date.isoformat(),
        "sex": hit.sex,
        "post": hit.post_code,
        "post_name": hit.post_name,
        "tps": _tps_ref(hit),
        "tps_id": hit.tps_id,
        "tps_number": hit.tps_number,
        "kelurahan_code": hit.kelurahan_code,
        "kecamatan_code": hit.kecamatan_code,
        "status": hit.status,
    }


def _pages(store: Store, tps: str | None) -> Iterator[list[OfficerHit]]:
    from tpsdesk.store.officers import list_officers

    offset = 0
    while True:
        page = list_officers(store, tps, limit=LIST_PAGE, offset=offset)
        if not page:
            return
        yield page
        offset += len(page)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@officers.command(
    "list",
    help=N_("List the officers (with --json, as a JSON array); they include NIKs and names."),
)
@option(
    "--tps",
    help=N_("Only this TPS: kelurahan code and number, e.g. 35.73.05.1001/7, or its id."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON instead of a table."))
@_store_option
@click.pass_context
def officers_list(ctx: click.Context, tps: str | None, as_json: bool) -> None:
    with _open_store(ctx) as store:
        pages = _pages(store, tps)
        if as_json:
            # One object per line, streamed page by page: 100k officers never sit in one list.
            click.echo("[")
            previous: str | None = None
            for page in pages:
                for hit in page:
                    if previous is not None:
                        click.echo(previous + ",")
                    previous = json_safe(json.dumps(_hit_json(hit), ensure_ascii=False))
            if previous is not None:
                click.echo(previous)
            click.echo("]")
            return
        from tpsdesk.domain.dates import format_date
        from tpsdesk.store.officers import status_label

        header = (
            _("NIK"),
            _("Name"),
            _("Born"),
            _("Sex"),
            _("Post"),
            _("TPS"),
            _("Status"),
        )
        least = (16, 28, 10, 3, 22, 18, 9)
        widths = tuple(max(w, len(h)) for h, w in zip(header, least, strict=True))
        click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
        count = 0
        for page in pages:
            for hit in page:
                count += 1
                where = _tps_ref(hit) or hit.kelurahan_code or hit.kecamatan_code
                cells = (
                    printable(hit.nik),
                    _cut(printable(hit.name), widths[1]),  # an old store may hold ESC or CR
                    format_date(hit.birth_date),
                    printable(hit.sex),
                    _cut(printable(hit.post_name), widths[4]),
                    printable(where or ""),
                    printable(status_label(hit.status)),
                )
                click.echo(
                    "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
                )
        click.echo(ngettext("{n} officer", "{n} officers", count).format(n=count))


# `tpsdesk identity` lives in cli_sync.py: it also shows the district's keys.


@main.group(cls=_Group, help=N_("The store's passphrase."))
def passphrase() -> None:
    pass


@passphrase.command(
    "change",
    help=N_(
        "Change the passphrase. The new one is typed twice, or read from --new-passphrase-file "
        "or $TPSDESK_NEW_PASSPHRASE."
    ),
)
@option(
    "--new-passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Read the new passphrase from this file."),
)
@option(
    "--yes",
    is_flag=True,
    help=N_("Remove damaged backups that cannot be re-wrapped without asking."),
)
@_store_option
@click.pass_context
def passphrase_change(ctx: click.Context, new_passphrase_file: Path | None, yes: bool) -> None:
    with _open_store(ctx) as store:
        # Every backup and kept-aside file holds the data key under the current passphrase;
        # a damaged one cannot be re-wrapped, so it must go, or the old passphrase would
        # still open the store's data through it.
        unreadable = store.rewrap_plan().unreadable
        if unreadable:
            click.echo(
                ngettext(
                    "{n} file of this store is damaged and cannot be re-wrapped with the new "
                    "passphrase; it would still open with the current one:",
                    "{n} files of this store are damaged and cannot be re-wrapped with the new "
                    "passphrase; they would still open with the current one:",
                    len(unreadable),
                ).format(n=len(unreadable)),
                err=True,
            )
            for path in unreadable:
                click.echo(f"  {printable(str(path))}", err=True)
            if not yes and not _confirm(_("Remove them and change the passphrase?")):
                fail(_("The passphrase was not changed; nothing was removed."))
        new = _new_passphrase(
            ctx, from_file=new_passphrase_file, env=NEW_PASSPHRASE_ENV, allow_current=False
        )
        left = store.change_passphrase(new, remove_unreadable=bool(unreadable))
    click.echo(_("Passphrase changed."))
    if left:
        _warn_left(left)


def _confirm(question: str) -> bool:
    """A yes/no question on stderr; no answer (end of input) is no."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo(err=True)  # end the prompt's line
        return False


def _tidy_after_recovery(store: Store, yes: bool) -> list[Path]:
    """After a new passphrase was set with the recovery key: the damaged backups and
    kept-aside files could not be re-wrapped and still open with the forgotten passphrase.
    Removed after a confirmation (or --yes); returns those left."""
    unreadable = list(store.rewrap_plan().unreadable)
    if not unreadable:
        return []
    click.echo(
        ngettext(
            "{n} file of this store is damaged and could not be re-wrapped; it still opens "
            "with the old passphrase:",
            "{n} files of this store are damaged and could not be re-wrapped; they still open "
            "with the old passphrase:",
            len(unreadable),
        ).format(n=len(unreadable)),
        err=True,
    )
    for path in unreadable:
        click.echo(f"  {printable(str(path))}", err=True)
    if yes or _confirm(_("Remove them?")):
        return store.remove_unreadable()
    return unreadable


def _warn_left(left: list[Path]) -> NoReturn:
    lines = [_("These files of the store still open with the old passphrase; delete them:")]
    lines.extend(f"  {path}" for path in left)  # printed through printable_lines
    fail("\n".join(lines))


@main.command(
    help=N_("Set a new passphrase with the recovery key written down when the store was created.")
)
@_recovery_options
@_store_option
@click.pass_context
def recover(
    ctx: click.Context, recovery_key_file: Path | None, new_passphrase_file: Path | None, yes: bool
) -> None:
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import StoreMissing

    path = _state(ctx).store_path
    if not path.exists():
        raise StoreMissing(path)
    if recovery_key_file is not None:
        key = _read_secret_file(recovery_key_file)
    else:
        key = click.prompt(_("Recovery key"), hide_input=True, err=True)
    new = _new_passphrase(
        ctx, from_file=new_passphrase_file, env=NEW_PASSPHRASE_ENV, allow_current=False
    )
    store = Store.open_with_recovery(path, key, new)
    try:
        left = _tidy_after_recovery(store, yes)
    finally:
        store.close()
    click.echo(_("The passphrase was reset. Use the new passphrase from now on."))
    if left:
        _warn_left(left)


def _backup_list(path: Path) -> list[Path]:
    from tpsdesk.store.vault import backup_paths

    return [p for p in backup_paths(path) if p.exists()]


@main.command(help=N_("List the store's backups, newest first."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def backups(ctx: click.Context, as_json: bool) -> None:
    path = _state(ctx).store_path
    found = _backup_list(path)
    rows = []
    for index, backup in enumerate(found, 1):
        stat = backup.stat()
        saved = datetime.fromtimestamp(stat.st_mtime, UTC).astimezone()
        rows.append(
            {"number": index, "path": str(backup), "saved": saved.isoformat(timespec="seconds")}
        )
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo(_("No backups of {path}.").format(path=str(path)))
    else:
        for row in rows:
            click.echo(f"{row['number']}  {row['saved']}  {row['path']}")
        click.echo(_("Restore one with: tpsdesk restore-backup NUMBER"))
    _list_kept_aside(path)


def _list_kept_aside(path: Path) -> None:
    from tpsdesk.store.vault import aside_paths

    kept = aside_paths(path)
    if kept:
        click.echo(_("Damaged files kept aside by a restore (delete them when no longer needed):"))
        for aside in kept:
            click.echo(f"  {printable(str(aside))}")


@main.command(
    "restore-backup",
    help=N_(
        "Put a backup (its number from `tpsdesk backups`, or its path) in place of the store. "
        "It must be a backup of this store and open with its passphrase (or, with "
        "--recovery-key, its recovery key). The replaced file is kept beside it."
    ),
)
@click.argument("backup")
@option(
    "--recovery-key",
    "use_recovery",
    is_flag=True,
    help=N_("Forgot the passphrase: use the recovery key, then set a new passphrase."),
)
@_recovery_options
@_store_option
@click.pass_context
def restore_backup(
    ctx: click.Context,
    backup: str,
    use_recovery: bool,
    recovery_key_file: Path | None,
    new_passphrase_file: Path | None,
    yes: bool,
) -> None:
    from tpsdesk.store.db import Store

    path = _state(ctx).store_path
    found = _backup_list(path)
    if backup.isdigit() and 1 <= int(backup) <= len(found):
        source = found[int(backup) - 1]
    else:
        source = Path(backup)
        if not source.is_file():
            fail(_("No backup {backup}: see `tpsdesk backups`.").format(backup=backup))
    if use_recovery or recovery_key_file is not None:
        if recovery_key_file is not None:
            key = _read_secret_file(recovery_key_file)
        else:
            key = click.prompt(_("Recovery key"), hide_input=True, err=True)
        new = _new_passphrase(
            ctx, from_file=new_passphrase_file, env=NEW_PASSPHRASE_ENV, allow_current=False
        )
        store = Store.restore_backup_with_recovery(path, source, key, new)
        try:
            # The damaged file just kept aside still holds the forgotten passphrase's wrap.
            left = _tidy_after_recovery(store, yes)
        finally:
            store.close()
    else:
        # Asked every time: the backup must open with this store's passphrase.
        Store.restore_backup(path, source, _passphrase(ctx)).close()
        left = []
    click.echo(_("Restored {backup} as the store {path}.").format(backup=str(source), path=path))
    if left:
        _warn_left(left)


# These modules register their commands on `main` when imported.
from tpsdesk import cli_bundle, cli_export, cli_import, cli_sync  # noqa: E402, F401

if __name__ == "__main__":  # python -m tpsdesk.cli
    sys.exit(main())
