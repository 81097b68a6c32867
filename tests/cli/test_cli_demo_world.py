"""`tpsdesk demo --district`: the sample world, in Indonesian and English."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tpsdesk.cli import main


def test_demo_district_in_indonesian_and_english(
    runner: CliRunner, store_path: Path, tmp_path: Path
) -> None:
    assert runner.invoke(main, ["init", "--district"]).exit_code == 0
    result = runner.invoke(main, ["demo", "--district"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Dunia contoh:" in result.stdout and "menunggu persetujuan" in result.stdout
    assert "NIK sama tercatat dua kali: 1" in result.stdout
    assert "Sample world" not in result.stdout
    inbox = store_path.parent / "demo-world" / "inbox"
    assert list(inbox.glob("*.tpsb"))
    # No NIK or name of an officer in what it printed.
    listed = runner.invoke(main, ["officers", "list", "--json"])
    people = json.loads(listed.stdout)
    assert people
    assert not any(p["nik"] in result.output or p["name"] in result.output for p in people)

    # English, around another new district store, into a folder of its own.
    other = ["--store", str(tmp_path / "hq2" / "tpsdesk.store")]
    assert runner.invoke(main, [*other, "init", "--district"]).exit_code == 0
    folder = tmp_path / "elsewhere"
    english = runner.invoke(
        main, ["--lang", "en", *other, "demo", "--district", "--folder", str(folder)]
    )
    assert english.exit_code == 0, english.output
    assert f"Sample world: {folder}" in english.stdout
    assert "same NIK twice: 1" in english.stdout and "missing bundle: 1" in english.stdout
    assert "waiting for approval" in english.stdout
    assert list((folder / "inbox").glob("*.tpsb"))

    # A district store with data already is refused.
    again = runner.invoke(main, ["--lang", "en", "demo", "--district"])
    assert again.exit_code == 1
    assert "already holds data" in again.stderr


def test_demo_district_refused_on_a_field_store(runner: CliRunner) -> None:
    assert runner.invoke(main, ["init"]).exit_code == 0
    result = runner.invoke(main, ["demo", "--district"])
    assert result.exit_code == 1
    assert "penyimpanan lapangan" in result.stderr
    english = runner.invoke(main, ["--lang", "en", "demo", "--district"])
    assert english.exit_code == 1
    assert "this is a field store" in english.stderr
