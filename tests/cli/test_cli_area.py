"""`tpsdesk area rename` and `tpsdesk area remove`: the area screen's service, scriptable."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from .test_cli import AREA_HEADER, init, officers_json, run


def _import(runner: CliRunner, tmp_path: Path) -> None:
    csv_file = tmp_path / "area.csv"
    csv_file.write_text(
        f"{AREA_HEADER}\n"
        "35.73.09,Kedungkandang,35.73.09.1001,Arjowinangun,1,\n"
        "35.73.09,Kedungkandang,35.73.09.1001,Arjowinangun,2,\n"
        "35.73.09,Kedungkandang,35.73.09.1002,Bumiayu,1,\n",
        encoding="utf-8",
    )
    result = run(runner, "--lang", "en", "area", "import", str(csv_file))
    assert result.exit_code == 0, result.output


def test_rename_keeps_the_code(runner: CliRunner, tmp_path: Path) -> None:
    init(runner)
    _import(runner, tmp_path)
    result = run(runner, "--lang", "en", "area", "rename", "357309", "Kedung  Kandang")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Renamed 35.73.09: Kedung Kandang.\n"
    again = run(runner, "--lang", "en", "area", "rename", "35.73.09", "Kedung Kandang")
    assert "nothing changed" in again.stdout
    kel = run(runner, "--lang", "en", "area", "rename", "35.73.09.1002", "Bumi Ayu")
    assert kel.exit_code == 0 and "35.73.09.1002" in kel.stdout
    bad = run(runner, "--lang", "en", "area", "rename", "35.73", "X")
    assert bad.exit_code == 1 and "35.73.05 (six digits)" in bad.stderr
    missing = run(runner, "--lang", "en", "area", "rename", "35.73.08", "X")
    assert missing.exit_code == 1 and "no kecamatan with code 35.73.08" in missing.stderr
    empty = run(runner, "--lang", "en", "area", "rename", "35.73.09", "  ")
    assert empty.exit_code == 1 and "The name is missing" in empty.stderr


def test_remove_asks_names_what_goes_and_refuses_while_officers(
    runner: CliRunner, tmp_path: Path
) -> None:
    init(runner)
    _import(runner, tmp_path)
    no = run(runner, "--lang", "en", "area", "remove", "35.73.09.1001", input="n\n")
    assert no.exit_code == 1
    assert "Remove kelurahan Arjowinangun (35.73.09.1001), kecamatan Kedungkandang" in no.stderr
    assert "and its 2 TPS?" in no.stderr and "Nothing was removed." in no.stderr
    yes = run(runner, "--lang", "en", "area", "remove", "35.73.09.1001", input="y\n")
    assert yes.exit_code == 0, yes.output
    assert "Removed kelurahan Arjowinangun (35.73.09.1001)" in yes.stdout
    whole = run(runner, "--lang", "en", "area", "remove", "35.73.09", "--yes")
    assert whole.exit_code == 0 and "Removed kecamatan Kedungkandang" in whole.stdout

    # The demo's area holds officers: refused, with how many, before anything is asked.
    assert run(runner, "--lang", "en", "demo", "--officers", "5").exit_code == 0
    officers = officers_json(runner)
    kecamatan = {o["kelurahan_code"].rsplit(".", 1)[0] for o in officers if o["kelurahan_code"]}
    (code,) = kecamatan
    refused = run(runner, "--lang", "en", "area", "remove", code, "--yes")
    assert refused.exit_code == 1
    assert "still has 5 officers registered" in refused.stderr
    assert "nothing is removed" in refused.stderr
    assert len(officers_json(runner)) == 5
