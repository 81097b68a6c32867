"""Helpers every `tpsdesk` command group uses; nothing here imports another cli module.

The `tpsdesk` command line is a thin layer over the store, exchange and sync functions.

Exit status (DESIGN.md §10): 0 success, 1 refused or partly rejected (the reason is printed on
stderr, never a traceback), 2 usage error (click's own). Without a subcommand it opens the TUI;
textual is imported only then.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tpsdesk.click_i18n import USAGE_METAVARS, translate_click
from tpsdesk.i18n import N_, _, os_error_text, set_language
from tpsdesk.paths import resolve_store_path
from tpsdesk.terminal import json_safe, printable_lines

if TYPE_CHECKING:
    from tpsdesk.store.db import Store
    from tpsdesk.store.pg_url import DatabaseTarget
    from tpsdesk.store.vault import KdfParams

PASSPHRASE_ENV = "TPSDESK_PASSPHRASE"
NEW_PASSPHRASE_ENV = "TPSDESK_NEW_PASSPHRASE"
FAST_KDF_ENV = "TPSDESK_TEST_FAST_KDF"
DATABASE_URL_ENV = "TPSDESK_DATABASE_URL"
DATABASE_PASSWORD_ENV = "TPSDESK_DATABASE_PASSWORD"
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
        if store.database is not None:
            warn_database(store.database)
        yield store
    finally:
        store.close()


def database_target(url: str, *, insecure: bool) -> DatabaseTarget:
    """A database URL checked (TLS unless `insecure`), its password from the URL, else
    $TPSDESK_DATABASE_PASSWORD, else a hidden prompt at a terminal (empty: none)."""
    from tpsdesk.store.pg_url import DatabaseUrlError, parse_database_url

    try:
        target = parse_database_url(url, insecure=insecure)
        if not target.password:
            password = os.environ.get(DATABASE_PASSWORD_ENV)
            if password is None and sys.stdin.isatty():
                password = click.prompt(
                    _("Database password (empty: none)"),
                    default="",
                    show_default=False,
                    hide_input=True,
                    err=True,
                )
            if password:
                target = parse_database_url(url, password=password, insecure=insecure)
    except DatabaseUrlError as exc:
        fail(exc.message)
    return target


def warn_database(target: DatabaseTarget) -> None:
    """The warnings of a connection weaker than TLS with the server's name verified."""
    for line in target.warnings():
        click.echo(printable_lines(line), err=True)


def _echo_json(value: Any) -> None:
    click.echo(json_safe(json.dumps(value, ensure_ascii=False, sort_keys=True)))


# -- commands -------------------------------------------------------------------------------


def cli_command(*args: Any, **kwargs: Any) -> Callable[[F], click.Command]:
    """A top-level command; the root module adds it to `main`."""
    return click.command(*args, cls=_Command, **kwargs)


def cli_group(*args: Any, **kwargs: Any) -> Callable[[F], _Group]:
    """A top-level command group; the root module adds it to `main`."""
    return click.group(*args, cls=_Group, **kwargs)


def _role_label(role: str) -> str:
    if role == "province":
        return _("province")
    return _("district") if role == "district" else _("field")


@contextmanager
def _sync_refusals() -> Iterator[None]:
    """A refused travelling file is reported like any other refusal (exit status 1)."""
    from tpsdesk.sync.errors import SyncError

    try:
        yield
    except SyncError as exc:
        fail(exc.message)


def _read_travelling_file(path: Path) -> bytes:
    """The bytes of a setup file or bundle, read no further than the container's size cap."""
    from tpsdesk.sync.container import MAX_FILE

    try:
        with path.open("rb") as handle:
            return handle.read(MAX_FILE + 1)
    except OSError as exc:
        fail(_("Could not read {file}: {reason}").format(file=str(path), reason=os_error_text(exc)))


def _write_new_file(path: Path, data: bytes) -> None:
    """Write `data` to a new file (never over an existing one, never through a symlink),
    complete or not at all: the desk's writer (`sync.outbox.write_new_file`), its refusal
    printed."""
    from tpsdesk.sync.outbox import WriteRefused, write_new_file

    try:
        write_new_file(path, data)
    except WriteRefused as refused:
        fail(refused.message)
