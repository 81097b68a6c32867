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
