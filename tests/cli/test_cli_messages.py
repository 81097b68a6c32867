"""Indonesian output of the command line: no crash on a translated message, no English from
the operating system or from click."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tpsdesk.cli import main


def test_export_bpjs_in_indonesian_with_excluded_officers(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The Indonesian "where they are listed" line wrote {lembar}: KeyError after the export.
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert runner.invoke(main, ["demo", "--officers", "30"]).exit_code == 0
    result = runner.invoke(main, ["export", "bpjs", "--out", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 0, result.output
    assert "tidak diekspor" in result.output
    assert "“Tidak diekspor”" in result.output
    assert "Traceback" not in result.output


def test_missing_file_is_reported_in_indonesian(runner: CliRunner, tmp_path: Path) -> None:
    # strerror ("No such file or directory") is English whatever the language.
    missing = tmp_path / "nowhere.tpsb"
    result = runner.invoke(main, ["bundle", "inspect", str(missing)])
    assert result.exit_code == 1
    assert "berkas atau folder tidak ada" in result.output
    assert "No such file" not in result.output and "Traceback" not in result.output


def test_operating_system_errors_have_indonesian_texts() -> None:
    import errno

    from tpsdesk.i18n import os_error_text, set_language

    set_language("id")
    assert os_error_text(PermissionError(errno.EACCES, "Permission denied")) == "izin ditolak"
    assert os_error_text(OSError(errno.ENOSPC, "No space left on device")) == "ruang disk habis"
    assert os_error_text(OSError(9999, "Strange")) == "galat sistem operasi 9999"
    assert os_error_text(MemoryError()) == "galat tak terduga (MemoryError)"
    set_language("en")
    assert os_error_text(FileNotFoundError(errno.ENOENT, "x")) == "no such file or folder"


# English words click writes on its own: none may appear in Indonesian output.
CLICK_ENGLISH = (
    "Usage",
    "Error",
    "Missing",
    "argument",
    "Try ",
    "for help",
    "No such",
    "OPTIONS",
    "Invalid value",
    "is not a valid",
    "integer",
    "COMMAND",
    "FILE",  # our own argument names are translated too
)


def test_click_usage_errors_are_in_indonesian(runner: CliRunner) -> None:
    for args, expected in (
        (["bundle", "inspect"], "Argumen belum diberikan 'BERKAS'"),
        (["bundle", "inspect", "--bogus", "x"], "Tidak ada opsi '--bogus'"),
        (["bundle", "nope"], "Tidak ada perintah 'nope'"),
        (["demo", "--officers", "abc"], "bukan rentang bilangan yang sah"),
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Penggunaan:" in result.output and "Galat:" in result.output, result.output
        assert expected in result.output, result.output
        english = [word for word in CLICK_ENGLISH if word in result.output]
        assert english == [], (args, english, result.output)
    # The same error in English when English is chosen: the language follows --lang.
    english = runner.invoke(main, ["--lang", "en", "bundle", "inspect"])
    assert "Usage:" in english.output and "Missing argument" in english.output


def test_click_help_and_prompts_are_in_indonesian(runner: CliRunner) -> None:
    import click

    help_text = runner.invoke(main, ["bundle", "inspect", "--help"]).output
    assert "Opsi:" in help_text and "Tampilkan pesan ini lalu keluar." in help_text
    assert "Options:" not in help_text and "Show this message" not in help_text

    @click.command()
    def ask() -> None:
        click.prompt("Sandi", confirmation_prompt=True)

    from tpsdesk.i18n import set_language

    set_language("id")
    asked = runner.invoke(ask, input="a\nb\nc\nc\n")
    assert "Ulangi untuk konfirmasi" in asked.output
    assert "kedua nilai yang dimasukkan tidak sama" in asked.output
    assert "Repeat" not in asked.output and "Error" not in asked.output


def test_every_click_message_is_in_the_catalogue() -> None:
    # A click upgrade that adds or rewords a message must not slip English back in.
    import os

    import click
    from babel.messages.extract import extract_from_dir

    from tpsdesk.click_i18n import CLICK_MESSAGES, CLICK_PLURALS

    ours = set(CLICK_MESSAGES) | set(CLICK_PLURALS)
    theirs = {
        message if isinstance(message, str) else tuple(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            os.path.dirname(click.__file__),
            method_map=[("**.py", "python")],
            keywords={"_": None, "ngettext": (1, 2)},
        )
    }
    assert theirs - ours == set()


def test_help_follows_lang_given_before_it(runner: CliRunner) -> None:
    # --help prints while the options are still being parsed: --lang must already count.
    english = runner.invoke(main, ["--lang", "en", "--help"])
    assert english.exit_code == 0 and "Usage:" in english.output
    assert "Show this message and exit." in english.output and "Penggunaan" not in english.output
    indonesian = runner.invoke(main, ["--help"])
    assert "Penggunaan:" in indonesian.output and "Usage" not in indonesian.output


def test_every_argument_name_of_the_command_line_is_translatable() -> None:
    # A new argument named in English would slip into Indonesian usage lines otherwise.
    import re

    import click

    from tpsdesk.click_i18n import METAVAR_WORDS

    def commands(command: click.Command) -> list[click.Command]:
        found = [command]
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                found.extend(commands(sub))
        return found

    missing = set()
    for command in commands(main):
        for param in command.params:
            if isinstance(param, click.Argument):
                text = param.metavar or (param.name or "").upper()
            elif isinstance(param, click.Option) and param.metavar:
                text = param.metavar
            else:
                continue
            missing |= {w for w in re.findall(r"[A-Z][A-Z_]*", text) if w not in METAVAR_WORDS}
    assert missing <= {"RP"}, missing
