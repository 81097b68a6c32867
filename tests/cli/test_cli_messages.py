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
