"""`tpsdesk district inbox | receipts | setup-files`: the desk's Inbox and Files out, by command."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tpsdesk.cli import main
from tpsdesk.sync.setup import read_setup_file

# Runs on SQLite and on PostgreSQL (tests/cli/conftest.py).
BOTH_BACKENDS = True


def _world(runner: CliRunner, store_path: Path) -> Path:
    assert runner.invoke(main, ["init", "--district"]).exit_code == 0
    result = runner.invoke(main, ["demo", "--district"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return store_path.parent / "demo-world" / "inbox"


def test_inbox_lists_then_receipts_go_to_laptops_with_news(
    runner: CliRunner, store_path: Path, tmp_path: Path
) -> None:
    inbox = _world(runner, store_path)
    (inbox / "catatan.txt").write_text("bukan bundel", encoding="utf-8")
    listed = runner.invoke(main, ["--lang", "en", "district", "inbox", str(inbox), "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["file"]: row for row in json.loads(listed.stdout)}
    assert rows["catatan.txt"]["kind"] == "other"
    statuses = [row["status"] for name, row in rows.items() if name.endswith(".tpsb")]
    assert statuses.count("new") == 3 and statuses.count("waiting") == 1
    shown = runner.invoke(main, ["district", "inbox", str(inbox)])
    assert "baru" in shown.stdout and "catatan.txt" in shown.stdout

    assert runner.invoke(main, ["district", "merge", str(inbox)]).exit_code == 0
    usb = tmp_path / "usb"
    written = runner.invoke(main, ["--lang", "en", "district", "receipts", "--out", str(usb)])
    assert written.exit_code == 0, written.output
    receipts = sorted(usb.glob("*.tpsr"))
    assert len(receipts) == 3  # the approved laptops; the waiting one is skipped
    assert "skipped (waiting for approval)" in written.stdout
    again = runner.invoke(main, ["--lang", "en", "district", "receipts", "--out", str(usb)])
    assert again.exit_code == 0
    assert "No laptop has news since its last receipt." in again.stdout
    assert sorted(usb.glob("*.tpsr")) == receipts


def test_setup_files_for_every_kecamatan_with_the_fingerprint_sheet(
    runner: CliRunner, store_path: Path, tmp_path: Path
) -> None:
    _world(runner, store_path)
    usb = tmp_path / "usb"
    result = runner.invoke(
        main, ["--lang", "en", "district", "setup-files", "--every", "kecamatan", "--out", str(usb)]
    )
    assert result.exit_code == 0, result.output
    files = sorted(usb.glob("*.tpss"))
    assert len(files) == 5
    assert {len(read_setup_file(f.read_bytes()).area) for f in files} == {len("35.73.01")}
    [sheet_file] = usb.glob("*.txt")  # named in the language of the run
    sheet = sheet_file.read_text(encoding="utf-8")
    fingerprint = result.stdout.splitlines()[0].split(": ", 1)[1]
    assert fingerprint in sheet

    both = runner.invoke(
        main, ["district", "setup-files", "35.73.01", "--every", "kelurahan", "--out", str(usb)]
    )
    assert both.exit_code == 2 or both.exit_code == 1
    outside = runner.invoke(
        main, ["--lang", "en", "district", "setup-files", "35.99.01", "--out", str(usb)]
    )
    assert outside.exit_code == 1
    assert "35.99.01: not written" in outside.stderr


def test_coverage_by_command_with_the_kelurahan_that_never_sent(
    runner: CliRunner, store_path: Path
) -> None:
    _world(runner, store_path)
    every = json.loads(runner.invoke(main, ["district", "coverage", "--json"]).stdout)
    kecamatan = [row for row in every if row["level"] == "kecamatan"]
    assert len(kecamatan) == 5
    assert sum(row["filled"] for row in kecamatan) > 0
    sent = [row for row in every if row["level"] == "kelurahan" and row["last_sent"]]
    assert len(sent) == 2  # laptops 1 and 2 share a kelurahan; laptop 3's was merged too
    never = json.loads(
        runner.invoke(main, ["district", "coverage", "--never-sent", "--json"]).stdout
    )
    assert not any(row["last_sent"] for row in never if row["level"] == "kelurahan")
    assert {row["code"] for row in sent}.isdisjoint(row["code"] for row in never)
    shown = runner.invoke(main, ["district", "coverage", "--not-sent-since", "01-12-2026"])
    assert shown.exit_code == 0 and "belum pernah mengirim" in shown.stdout
    bad = runner.invoke(
        main, ["--lang", "en", "district", "coverage", "--not-sent-since", "kemarin"]
    )
    assert bad.exit_code == 1 and "is not a date" in bad.stderr
