"""click's own texts (usage errors, help headings, prompts) in the user's language.

click translates through `gettext.gettext`/`ngettext`, bound as module-level `_`/`ngettext` names
in each of its modules, against the default (empty) gettext domain: in Indonesian it would print
"Usage:", "Error: Missing argument", "Repeat for confirmation". `translate_click()` rebinds those
names to our catalogue, whose messages below are click's msgids, copied verbatim (a test
extracts click's own msgids and checks each is here, so a click upgrade cannot slip by).
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

from tpsdesk.i18n import N_, Nn_, _, ngettext

# click's modules that bind `_` or `ngettext` (and click._winconsole, on Windows only).
_CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.shell_completion",
    "click.termui",
    "click.types",
    "click.utils",
    "click._termui_impl",
)

# The usage line's metavars: plain strings in click, translated by tpsdesk.cli's commands.
USAGE_METAVARS = {
    "[OPTIONS]": N_("[OPTIONS]"),
    "COMMAND [ARGS]...": N_("COMMAND [ARGS]..."),
    "[COMMAND] [ARGS]...": N_("[COMMAND] [ARGS]..."),
}

# click's type names, shown in metavars (`--keep TEXT`) and value errors ("… is not a valid
# integer range"): class attributes in click, looked up here each time (the language can change).
TYPE_NAMES = {
    "StringParamType": N_("text"),
    "UnprocessedParamType": N_("text"),
    "IntParamType": N_("integer"),
    "IntRange": N_("integer range"),
    "FloatParamType": N_("float"),
    "FloatRange": N_("float range"),
    "BoolParamType": N_("boolean"),
    "UUIDParameterType": N_("uuid"),
    "DateTime": N_("datetime"),
    "File": N_("filename"),
}

# The words of tpsdesk's own argument and option metavars (`FILE`, `FIELD=VALUE`), upper-case
# names click derives from parameter names: translated wherever click prints them (usage
# lines, help, "Missing argument 'FILE'").
METAVAR_WORDS = {
    "AREA": N_("AREA"),
    "BACKUP": N_("BACKUP"),
    "CODE": N_("CODE"),
    "DD": N_("DD"),
    "DEVICE": N_("DEVICE"),
    "END": N_("END"),
    "FIELD": N_("FIELD"),
    "FILE": N_("FILE"),
    "FILES": N_("FILES"),
    "FINDING_ID": N_("FINDING_ID"),
    "FINGERPRINT": N_("FINGERPRINT"),
    "FOLDER": N_("FOLDER"),
    "HEADING": N_("HEADING"),
    "ID": N_("ID"),
    "MM": N_("MM"),
    "NAME": N_("NAME"),
    "POST": N_("POST"),
    "SETUP_FILE": N_("SETUP_FILE"),
    "START": N_("START"),
    "VALUE": N_("VALUE"),
    "YYYY": N_("YYYY"),
}
_WORD = re.compile(r"[A-Z][A-Z_]*")


def translate_metavar(text: str) -> str:
    """`FIELD=VALUE` → `ISIAN=NILAI` in Indonesian; words not listed stay as they are."""
    return _WORD.sub(
        lambda m: _(METAVAR_WORDS[m.group()]) if m.group() in METAVAR_WORDS else m.group(), text
    )


CLICK_MESSAGES = (
    N_("d"),  # i18n: days, in a progress bar's estimate
    N_("{editor}: Editing failed"),
    N_("{editor}: Editing failed: {e}"),
    N_("Windows error: {error}"),
    N_("Aborted!"),
    N_("deprecated"),
    N_("Options"),
    N_("Positional arguments"),
    N_("DeprecationWarning: The command {name!r} is deprecated.{extra_message}"),
    N_("Commands"),
    N_("Missing command."),
    N_("Value must be an iterable."),
    N_("DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}"),
    N_("Name '{name}' defined twice"),
    N_("Boolean option {decl!r} cannot use the same flag for true/false."),
    N_("Could not determine name for option with declarations {decls!r}"),
    N_(
        "No options defined but a name was passed ({name}). Did you mean to declare an argument "
        "instead? Did you mean to pass '--{name}'?"
    ),
    N_("env var: {var}"),
    N_("default: {default}"),
    N_("required"),
    N_("(dynamic)"),
    N_("Arguments take exactly one parameter declaration, got {length}: {decls}."),
    N_("Do you want to continue?"),
    N_("Confirm the action without prompting."),
    N_("%(prog)s, version %(version)s"),
    N_("Show the version and exit."),
    N_("Show this message and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("unknown error"),
    N_("Could not open file {filename!r}: {message}"),
    N_("Usage:"),
    N_("Invalid start character for option ({option})"),
    N_("Argument {name!r} takes {nargs} values."),
    N_("Option {name!r} does not take a value."),
    N_("Shell completion is not supported for Bash versions older than 4.4."),
    N_("Couldn't detect Bash version, shell completion is not supported."),
    N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."),
    N_("Error: invalid input"),
    N_("Unknown color {colour!r}"),
    N_("Press any key to continue..."),
    N_("Choose from:\n\t{choices}"),
    N_("Choice({choices})"),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{value!r} is not a valid UUID."),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("{name} {filename!r} is not executable."),
    N_("Unknown standard stream '{name}'"),
)

CLICK_PLURALS = (
    Nn_("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    Nn_("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."),
    Nn_("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    Nn_("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    Nn_("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    Nn_(
        "{value!r} does not match the format {format}.",
        "{value!r} does not match the formats {formats}.",
    ),
    Nn_(
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ),
)


def _translated_name(msgid: str) -> property:
    return property(lambda _self: _(msgid))


def _path_name(self: Any) -> str:
    # What click's Path.__init__ computes, but in the language of the moment it is shown.
    if self.file_okay and not self.dir_okay:
        return _("file")
    if self.dir_okay and not self.file_okay:
        return _("directory")
    return _("path")


def _ignore_name(_self: Any, _value: str) -> None:
    """Path.__init__ assigns a name translated at import time: the property computes it."""


def translate_click() -> None:
    """Make click's texts follow `tpsdesk.i18n` (whatever language is chosen later)."""
    names = _CLICK_MODULES + (("click._winconsole",) if sys.platform == "win32" else ())
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:  # a module a later click moved or dropped: its texts stay English
            continue
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    types = importlib.import_module("click.types")
    for class_name, msgid in TYPE_NAMES.items():
        cls = getattr(types, class_name, None)
        if isinstance(cls, type):
            setattr(cls, "name", _translated_name(msgid))  # noqa: B010 - a class attribute
    path_type = getattr(types, "Path", None)
    if isinstance(path_type, type):
        setattr(path_type, "name", property(_path_name, _ignore_name))  # noqa: B010
    _translate_metavars(importlib.import_module("click.core"))


def _translate_metavars(core: Any) -> None:
    """Argument and option metavars through `translate_metavar` (once: marked when done)."""
    argument, option = core.Argument, core.Option
    if getattr(argument, "_tpsdesk_metavars", False):
        return
    readable = argument.human_readable_name
    argument_metavar, option_metavar = argument.make_metavar, option.make_metavar
    argument.human_readable_name = property(lambda self: translate_metavar(readable.fget(self)))
    argument.make_metavar = lambda self, ctx: translate_metavar(argument_metavar(self, ctx))
    option.make_metavar = lambda self, ctx: translate_metavar(option_metavar(self, ctx))
    argument._tpsdesk_metavars = True
