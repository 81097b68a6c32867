"""`tpsdesk settings …` and `tpsdesk export …` against real stores and files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from tpsdesk.cli import main


def _store(runner: CliRunner, officers: int = 60) -> None:
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert runner.invoke(main, ["demo", "--officers", str(officers)]).exit_code == 0


def test_settings_pay_and_duty(runner: CliRunner) -> None:
    _store(runner, 0)
    shown = runner.invoke(main, ["--lang", "en", "settings", "pay"])
    assert shown.exit_code == 0 and "0.54 %" in shown.output
    changed = runner.invoke(
        main,
        ["--lang", "en", "settings", "pay", "--basis", "ump", "--amount", "2.165.244,30",
         "--label", "UMP Jawa Timur 2024", "--rounding", "up_100", "--honorarium", "ptps=750000",
         "--json"],
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    data = json.loads(changed.output)
    assert data["amount"] == "2165244.30" and data["honoraria"]["ptps"] == "750000"
    bad = runner.invoke(main, ["--lang", "en", "settings", "pay", "--jkk", "50"])
    assert bad.exit_code == 1 and "jkk_percent" in bad.output and "Traceback" not in bad.output
    duty = runner.invoke(
        main, ["--lang", "en", "settings", "duty", "panwascam", "01-06-2024", "31-12-2024"]
    )
    assert duty.exit_code == 0 and "01-06-2024 – 31-12-2024" in duty.output
    unknown = runner.invoke(main, ["--lang", "en", "settings", "duty", "nope", "-", "-"])
    assert unknown.exit_code == 1 and "no such post" in unknown.output


def test_export_bpjs_budget_completion(runner: CliRunner, tmp_path: Path) -> None:
    _store(runner)
    out = tmp_path / "bpjs.xlsx"
    result = runner.invoke(main, ["--lang", "en", "export", "bpjs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out.resolve()}" in result.output
    assert "personal data" in result.output
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("data_tk_baru").to_python()
    assert rows[0][0] == "NAMA" and all(len(r[7]) == 16 for r in rows[1:])
    again = runner.invoke(main, ["--lang", "en", "export", "bpjs", "--out", str(out)])
    assert again.exit_code == 1 and "--force" in again.output
    forced = runner.invoke(main, ["export", "bpjs", "--out", str(out), "--force", "--json"])
    assert forced.exit_code == 0 and json.loads(forced.stdout)["files"] == [str(out.resolve())]

    budget = runner.invoke(
        main, ["--lang", "en", "export", "budget", "--out", str(tmp_path / "b.xlsx")]
    )
    assert budget.exit_code == 0, budget.output
    assert "not counted" in budget.output  # Pantarlih, PTPS… have no honorarium by default
    completion = runner.invoke(
        main, ["export", "completion", "--out", str(tmp_path / "c.csv"), "--json"]
    )
    assert completion.exit_code == 0
    assert len(json.loads(completion.stdout)["files"]) == 3  # TPS, units, settings


def test_export_refusals(runner: CliRunner, tmp_path: Path) -> None:
    _store(runner, 0)
    for args, message in (
        (["export", "bpjs", "--out", str(tmp_path / "x.ods")], "unknown file type"),
        (["export", "bpjs", "--out", str(tmp_path / "no" / "x.xlsx")], "does not exist"),
        (["export", "bpjs", "--out", str(tmp_path / "x.xlsx")], "no officers"),
        (["export", "budget", "--out", str(tmp_path / "x.xlsx")], "no officers"),
    ):
        result = runner.invoke(main, ["--lang", "en", *args])
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    bad = tmp_path / "t.json"
    bad.write_text('{"columns": [{"heading": "A", "source": "gaji"}]}')
    result = runner.invoke(
        main,
        ["--lang", "en", "export", "bpjs", "--out", str(tmp_path / "x.xlsx"), "--template",
         str(bad)],
    )  # fmt: skip
    assert result.exit_code == 1 and str(bad) in result.output and "column 1 (A)" in result.output


def test_settings_mother_name_and_the_bpjs_export(runner: CliRunner, tmp_path: Path) -> None:
    _store(runner, 20)
    shown = runner.invoke(main, ["--lang", "en", "settings", "mother-name"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == (
        "The officer form asks for the mother's maiden name. "
        "(auto: as the BPJS template has the column or not)"
    )
    out = tmp_path / "bpjs.xlsx"
    result = runner.invoke(main, ["--lang", "en", "export", "bpjs", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    shown_json = json.loads(result.stdout)
    # The demo officers have no mother's name: every exported one is listed.
    assert shown_json["missing_mother_name"] == shown_json["exported"] > 0
    text = runner.invoke(main, ["--lang", "en", "export", "bpjs", "--out", str(out), "--force"])
    assert "have no mother's maiden name (NAMA_IBU_KANDUNG is empty)" in text.output

    off = runner.invoke(main, ["--lang", "en", "settings", "mother-name", "off"])
    assert off.output.strip() == "The officer form does not ask for the mother's maiden name."
    again = runner.invoke(main, ["export", "bpjs", "--out", str(out), "--force", "--json"])
    assert json.loads(again.stdout)["missing_mother_name"] is None
    on = runner.invoke(main, ["--lang", "en", "settings", "mother-name", "on"])
    assert on.output.strip() == "The officer form asks for the mother's maiden name."
    auto = runner.invoke(main, ["--lang", "en", "settings", "mother-name", "auto"])
    assert "(auto:" in auto.output
    bad = runner.invoke(main, ["--lang", "en", "settings", "mother-name", "maybe"])
    assert bad.exit_code == 2 and "maybe" in bad.output
