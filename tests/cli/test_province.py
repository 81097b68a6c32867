"""The province roll-up through the command line: a province sets up two demo districts,
merges their roll-up files and exports its budget and BPJS sheet with the totals of both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tpsdesk.cli import main
from tpsdesk.i18n import set_language


@pytest.fixture(autouse=True)
def _reset_language() -> Any:
    yield
    set_language("en")


class Desk:
    def __init__(self, runner: CliRunner, path: Path) -> None:
        self.runner = runner
        self.path = path

    def run(self, *args: str) -> Result:
        return self.runner.invoke(
            main, ["--lang", "en", "--store", str(self.path), *args], catch_exceptions=False
        )

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)


def demo_district(runner: CliRunner, folder: Path, code: str, name: str) -> Desk:
    desk = Desk(runner, folder / "district.store")
    desk.ok("init", "--district")
    desk.ok("district", "settings", "--name", name, "--code", code)
    desk.ok("demo", "--district")
    desk.run("district", "merge", str(folder / "demo-world" / "inbox"))  # some are refused
    return desk


def test_province_rolls_up_two_districts(runner: CliRunner, tmp_path: Path) -> None:
    province = Desk(runner, tmp_path / "p" / "province.store")
    province.ok("init", "--province")
    assert province.json("identity")["role"] == "province"
    province.ok("province", "settings", "--name", "Jawa Timur", "--code", "35")
    fingerprint = province.json("identity")["fingerprint"]
    districts = {
        "35.73": demo_district(runner, tmp_path / "a", "35.73", "Kota Malang"),
        "35.07": demo_district(runner, tmp_path / "b", "35.07", "Kabupaten Malang"),
    }
    budgets: dict[str, Any] = {}
    for code, desk in districts.items():
        issued = province.json(
            "province", "setup-file", code, "--name", f"Kab/Kota {code}", "--out",
            str(tmp_path / "setup"),
        )  # fmt: skip
        shown = desk.ok("bundle", "inspect", issued["file"]).output
        assert "setup file (province → district)" in shown and fingerprint in shown
        refused = desk.run("rollup", "join", issued["file"])
        assert refused.exit_code == 1 and "--fingerprint" in refused.output
        desk.ok("rollup", "join", issued["file"], "--fingerprint", fingerprint)
        written = desk.json("rollup", "export", "--to", str(tmp_path / "rollups"))
        assert written["counts"]["officer"] > 0
        budgets[code] = desk.json("export", "budget", "--out", str(tmp_path / f"{code}.xlsx"))
        waiting = province.ok("rollup", "merge", *written["files"])
        assert "not approved yet" in waiting.output
        approved = province.json("province", "approve", written["fingerprint"])
        assert approved["kabkota"] == code and approved["merged"]
    # The same files again: merged before, nothing changed.
    again = province.json("rollup", "merge", str(tmp_path / "rollups"))
    assert {entry["report"]["status"] for entry in again} == {"merged"}
    listed = province.json("province", "districts")
    assert sorted(d["kabkota"] for d in listed) == ["35.07", "35.73"]
    budget = province.json("export", "budget", "--out", str(tmp_path / "province.xlsx"))
    assert int(budget["total"]) == sum(int(b["total"]) for b in budgets.values())
    assert budget["officers_counted"] == sum(b["officers_counted"] for b in budgets.values())
    from openpyxl import load_workbook

    workbook = load_workbook(tmp_path / "province.xlsx", read_only=True)
    per_kabkota = [row[:2] for row in workbook["Per kab-kota"].iter_rows(values_only=True)]
    assert per_kabkota[1:3] == [("35.07", "Kab/Kota 35.07"), ("35.73", "Kab/Kota 35.73")]
    workbook.close()
    coverage = province.json("province", "coverage")
    assert [c["code"] for c in coverage] == ["35.07", "35.73"]
    assert all(c["filled"] > 0 and c["last_rollup"] for c in coverage)
    assert "posts filled" in province.ok("province", "coverage").output
    sheet = province.ok("export", "bpjs", "--out", str(tmp_path / "bpjs.csv"))
    assert "officers exported" in sheet.output
    # A district store cannot merge roll-ups, a province cannot write them.
    refused = districts["35.73"].run("rollup", "merge", str(tmp_path / "rollups"))
    assert refused.exit_code == 1 and "not a province store" in refused.output
    refused = province.run("rollup", "export", "--to", str(tmp_path / "x"))
    assert refused.exit_code == 1 and "written by a district store" in refused.output


def test_setup_file_refusals(runner: CliRunner, tmp_path: Path) -> None:
    province = Desk(runner, tmp_path / "p" / "province.store")
    province.ok("init", "--province")
    unset = province.run("province", "setup-file", "35.07", "--name", "Kabupaten Malang")
    assert unset.exit_code == 1 and "province settings" in unset.output
    province.ok("province", "settings", "--name", "Jawa Timur", "--code", "35")
    outside = province.run("province", "setup-file", "33.01", "--name", "Kabupaten Cilacap")
    assert outside.exit_code == 1 and "does not lie in this province (35)" in outside.output
    bad = province.run("province", "settings", "--code", "3")
    assert bad.exit_code == 1 and "two digits" in bad.output
    both = Desk(runner, tmp_path / "x.store").run("init", "--district", "--province")
    assert both.exit_code != 0 and "not both" in both.output
    district = Desk(runner, tmp_path / "d" / "district.store")
    district.ok("init", "--district")
    refused = district.run("province", "settings", "--name", "X", "--code", "35")
    assert refused.exit_code == 1 and "not a province store" in refused.output
    nothing = district.run("rollup", "export", "--to", str(tmp_path / "out"))
    assert nothing.exit_code == 1 and "no province setup file" in nothing.output


def test_rollup_merge_of_a_missing_file_goes_on(runner: CliRunner, tmp_path: Path) -> None:
    province = Desk(runner, tmp_path / "p" / "province.store")
    province.ok("init", "--province")
    other = tmp_path / "x.tpss"
    other.write_bytes(b"TPSDFILE")  # starts like a tpsdesk file, cut short
    result = province.run("rollup", "merge", str(tmp_path / "missing.tpsu"), str(other))
    assert result.exit_code == 1
    assert "missing.tpsu" in result.output and "x.tpss" in result.output


def test_the_fingerprint_of_identity_is_the_one_the_province_approves(
    runner: CliRunner, tmp_path: Path
) -> None:
    """One district fingerprint, end to end: what `tpsdesk identity` prints at the district is
    what `rollup join` and `rollup export` say to read out, what `province districts` lists and
    what `province approve` accepts; a wrong or partial one changes nothing."""
    province = Desk(runner, tmp_path / "p" / "province.store")
    created = province.ok("init", "--province").output
    province.ok("province", "settings", "--name", "Jawa Timur", "--code", "35")
    own = province.json("identity")["fingerprint"]
    assert f"Province fingerprint (the one read over the phone): {own}" in created
    shown = province.ok("identity").output
    assert f"Province fingerprint (the one read over the phone): {own}" in shown
    assert "Province: Jawa Timur (35)" in shown and "District fingerprint" not in shown
    issued = province.json("province", "setup-file", "35.07", "--name", "Kabupaten Malang",
                           "--out", str(tmp_path / "setup"))  # fmt: skip
    desk = Desk(runner, tmp_path / "d" / "district.store")
    created = desk.ok("init", "--district").output
    desk.ok("district", "settings", "--name", "Kabupaten Malang", "--code", "35.07")
    said = desk.json("identity")["fingerprint"]
    assert f"District fingerprint (the one read over the phone): {said}" in created
    assert said in desk.ok("identity").output
    joined = desk.ok("rollup", "join", issued["file"], "--fingerprint", issued["fingerprint"])
    assert said in joined.output and "tpsdesk identity" in joined.output
    export = desk.ok("rollup", "export", "--to", str(tmp_path / "out"))
    assert said in export.output and "tpsdesk identity" in export.output
    written = desk.json("rollup", "export", "--to", str(tmp_path / "out2"))
    assert written["fingerprint"] == said
    waiting = province.ok("rollup", "merge", str(tmp_path / "out"))
    assert said in waiting.output and "not approved yet" in waiting.output
    listed = province.json("province", "districts")
    assert [(d["fingerprint"], d["status"]) for d in listed] == [(said, "pending")]
    assert said in province.ok("province", "districts").output
    digits = said.replace(" ", "")
    for wrong in (digits[:25], digits[:-1] + str((int(digits[-1]) + 1) % 10), "12345"):
        refused = province.run("province", "approve", wrong)
        assert refused.exit_code == 1, refused.output
        assert "No district with fingerprint" in refused.output
        assert [d["status"] for d in province.json("province", "districts")] == ["pending"]
    approved = province.json("province", "approve", said)
    assert approved["kabkota"] == "35.07" and len(approved["merged"]) == 1
    assert [d["status"] for d in province.json("province", "districts")] == ["approved"]
    later = province.json("rollup", "merge", str(tmp_path / "out2"))
    assert [entry["status"] for entry in later] == ["merged"]
    revoked = province.ok("province", "revoke", digits)
    assert "Revoked" in revoked.output
    assert [d["status"] for d in province.json("province", "districts")] == ["revoked"]
