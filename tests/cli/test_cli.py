"""The command line against real temporary stores: exit codes, messages, JSON shapes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tpsdesk.cli import main
from tpsdesk.cli.common import kdf_params_from_env
from tpsdesk.i18n import set_language
from tpsdesk.store.vault import KdfParams
from tpsdesk.sync.fingerprint import normalize_fingerprint

from .conftest import PASSPHRASE

AREA_HEADER = "kecamatan_code,kecamatan_name,kelurahan_code,kelurahan_name,tps_number,tps_address"


@pytest.fixture(autouse=True)
def _reset_language() -> Any:
    yield
    set_language("en")


def run(runner: CliRunner, *args: str, **kwargs: Any) -> Result:
    return runner.invoke(main, list(args), catch_exceptions=False, **kwargs)


def init(runner: CliRunner, *args: str) -> Result:
    result = run(runner, "--lang", "en", "init", *args)
    assert result.exit_code == 0, result.output
    return result


def officers_json(runner: CliRunner, *args: str, **kwargs: Any) -> list[dict[str, Any]]:
    result = run(runner, "officers", "list", "--json", *args, **kwargs)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def test_fast_kdf_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TPSDESK_TEST_FAST_KDF", raising=False)
    assert kdf_params_from_env() is None
    monkeypatch.setenv("TPSDESK_TEST_FAST_KDF", "1")
    assert kdf_params_from_env() == KdfParams(iterations=1, memory_kib=64, lanes=1)


def test_init_then_identity(runner: CliRunner, store_path: Path) -> None:
    result = init(runner)
    assert store_path.exists()
    key = re.search(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)\s*$", result.stdout, re.MULTILINE)
    assert key is not None, result.stdout
    assert "RECOVERY KEY" in result.stdout and "Write it down" in result.stdout

    ident = run(runner, "identity", "--json")
    assert ident.exit_code == 0, ident.output
    data = json.loads(ident.stdout)
    assert set(data) == {"role", "device_id", "fingerprint"}
    assert data["role"] == "field"
    assert re.fullmatch(r"[0-9a-f]{32}", data["device_id"])
    assert normalize_fingerprint(data["fingerprint"]) is not None
    # The key was made with the store, so init already showed the same fingerprint.
    assert data["fingerprint"] in result.stdout
    # Asking again shows the same identity.
    assert json.loads(run(runner, "identity", "--json").stdout) == data

    plain = run(runner, "--lang", "en", "identity")
    assert data["fingerprint"] in plain.stdout and data["device_id"] in plain.stdout


def test_init_district_with_store_after_the_subcommand(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "district.store"
    result = run(runner, "init", "--district", "--store", str(other))
    assert result.exit_code == 0, result.output
    data = json.loads(run(runner, "--store", str(other), "identity", "--json").stdout)
    assert data["role"] == "district"


def test_init_refuses_an_existing_store_and_weak_passphrases(
    runner: CliRunner, store_path: Path
) -> None:
    init(runner)
    before = store_path.read_bytes()
    again = run(runner, "--lang", "en", "init")
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert store_path.read_bytes() == before

    weak = run(runner, "--lang", "en", "init", "--store", str(store_path.with_name("w.store")),
               env={"TPSDESK_PASSPHRASE": "123456"})  # fmt: skip
    assert weak.exit_code == 1
    assert "too weak" in weak.stderr
    assert not store_path.with_name("w.store").exists()


def test_init_prompts_twice_with_feedback(env: dict[str, str | None], store_path: Path) -> None:
    runner = CliRunner(env={**env, "TPSDESK_PASSPHRASE": None})
    typed = f"short\n{PASSPHRASE}\nnot the same\n{PASSPHRASE}\n{PASSPHRASE}\n"
    result = runner.invoke(main, ["--lang", "en", "init"], input=typed)
    assert result.exit_code == 0, result.output
    assert "Passphrase strength" in result.stderr
    assert "differ" in result.stderr
    assert store_path.exists()
    # The prompted passphrase opens the store.
    assert run(CliRunner(env=env), "identity", "--json").exit_code == 0


def test_wrong_passphrase(runner: CliRunner) -> None:
    init(runner)
    result = run(runner, "--lang", "en", "identity", env={"TPSDESK_PASSPHRASE": "salah sekali ya"})
    assert result.exit_code == 1
    assert "Wrong passphrase" in result.stderr
    assert "Traceback" not in result.output


def test_passphrase_file(runner: CliRunner, tmp_path: Path) -> None:
    init(runner)
    secret = tmp_path / "secret.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    result = run(
        runner,
        "--passphrase-file",
        str(secret),
        "identity",
        "--json",
        env={"TPSDESK_PASSPHRASE": "not this one at all"},
    )
    assert result.exit_code == 0, result.output
    missing = run(runner, "--lang", "en", "--passphrase-file", str(tmp_path / "no"), "identity")
    assert missing.exit_code == 1 and "Could not read" in missing.stderr


def test_missing_store(runner: CliRunner, store_path: Path) -> None:
    result = run(runner, "--lang", "en", "officers", "list")
    assert result.exit_code == 1
    assert "No store found" in result.stderr and str(store_path) in result.stderr


def test_locked_store(runner: CliRunner, store_path: Path) -> None:
    from tpsdesk.store.db import Store

    init(runner)
    holder = Store.open(store_path, PASSPHRASE)
    try:
        result = run(runner, "--lang", "en", "officers", "list")
    finally:
        holder.close()
    assert result.exit_code == 1
    assert "already open" in result.stderr
    assert "Traceback" not in result.output


def test_usage_error_is_exit_2(runner: CliRunner) -> None:
    assert run(runner, "officers", "list", "--bogus").exit_code == 2
    assert run(runner, "demo", "--officers", "-5").exit_code == 2
    assert run(runner, "--lang", "fr", "identity").exit_code == 2


def test_area_import_good(runner: CliRunner, tmp_path: Path) -> None:
    init(runner)
    csv_file = tmp_path / "area.csv"
    csv_file.write_text(
        f"{AREA_HEADER}\n"
        "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,Jl. Raya Tlogomas\n"
        "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,2,\n"
        "35.73.05,Lowokwaru,35.73.05.1002,Dinoyo,1,\n",
        encoding="utf-8",
    )
    result = run(runner, "--lang", "en", "area", "import", str(csv_file))
    assert result.exit_code == 0, result.output
    assert "1 new kecamatan, 2 new kelurahan, 3 new TPS" in result.stdout


def test_area_import_malformed_lists_every_line_and_applies_nothing(
    runner: CliRunner, tmp_path: Path, store_path: Path
) -> None:
    init(runner)
    csv_file = tmp_path / "area.csv"
    csv_file.write_text(
        f"{AREA_HEADER}\n"
        "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,\n"
        "35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,\n"
        "35.73.05,,35.73.06.1002,Dinoyo,x,\n",
        encoding="utf-8",
    )
    before = store_path.read_bytes()
    result = run(runner, "--lang", "en", "area", "import", str(csv_file))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("Line 3, column tps_number:") for line in lines)
    assert any(line.startswith("Line 4, column kecamatan_name:") for line in lines)
    assert any(line.startswith("Line 4, column kelurahan_code:") for line in lines)
    assert any(line.startswith("Line 4, column tps_number:") for line in lines)
    assert "Nothing was imported: the file has 4 problems." in result.stderr
    assert store_path.read_bytes() == before
    # And the area is still empty: the demo makes its own sample area.
    demo = run(runner, "--lang", "en", "demo", "--officers", "5")
    assert "Sample area created" in demo.stdout


def test_area_import_missing_columns_and_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    init(runner)
    csv_file = tmp_path / "area.csv"
    csv_file.write_text("kecamatan_code;tps_number\n35.73.05;1\n", encoding="utf-8")
    result = run(runner, "--lang", "en", "area", "import", str(csv_file))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Line 1: The header lacks the column(s) Kecamatan (kecamatan_name)"
    )
    missing = run(runner, "--lang", "en", "area", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "File not found" in missing.stderr


def test_demo_then_officers_list(runner: CliRunner) -> None:
    init(runner)
    result = run(runner, "--lang", "en", "demo", "--officers", "60")
    assert result.exit_code == 0, result.output
    assert "Added 60 synthetic officers." in result.stdout
    # No personal data in what demo prints.
    officers = officers_json(runner)
    assert len(officers) == 60
    assert not any(o["nik"] in result.output or o["name"] in result.output for o in officers)
    required = {"id", "nik", "name", "birth_date", "sex", "post", "tps", "kelurahan_code", "status"}
    for officer in officers:
        assert required <= officer.keys()
        assert re.fullmatch(r"\d{16}", officer["nik"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", officer["birth_date"])
        assert officer["sex"] in ("L", "P")
        assert officer["status"] == "ready"
    assert len({o["id"] for o in officers}) == 60

    plain = run(runner, "--lang", "en", "officers", "list")
    assert plain.exit_code == 0
    assert plain.stdout.splitlines()[0].split()[:2] == ["NIK", "Name"]
    assert plain.stdout.rstrip().endswith("60 officers")
    assert officers[0]["nik"] in plain.stdout


def test_officers_list_tps_filter(runner: CliRunner) -> None:
    init(runner)
    run(runner, "demo", "--officers", "80")
    everyone = officers_json(runner)
    at_tps = [o for o in everyone if o["tps"] is not None]
    tps = at_tps[0]["tps"]
    expected = sorted(o["id"] for o in everyone if o["tps"] == tps)
    for ref in (tps, tps.replace("/00", "/"), at_tps[0]["tps_id"]):
        assert sorted(o["id"] for o in officers_json(runner, "--tps", ref)) == expected
    assert 0 < len(expected) < len(everyone)
    unknown = run(runner, "--lang", "en", "officers", "list", "--tps", "35.73.05.1001/999")
    assert unknown.exit_code == 1
    assert "There is no TPS" in unknown.stderr


def test_demo_partly_refused_when_the_area_is_full(runner: CliRunner, tmp_path: Path) -> None:
    init(runner)
    csv_file = tmp_path / "area.csv"
    csv_file.write_text(f"{AREA_HEADER}\n35.73.05,Lowokwaru,35.73.05.1001,Tlogomas,1,\n")
    assert run(runner, "area", "import", str(csv_file)).exit_code == 0
    result = run(runner, "--lang", "en", "demo", "--officers", "100")
    assert result.exit_code == 1
    assert "not added" in result.stderr
    assert len(officers_json(runner)) == 11 + 7 + 11


def test_passphrase_change_recover_backups_restore(
    runner: CliRunner, store_path: Path, tmp_path: Path
) -> None:
    created = init(runner)
    key_match = re.search(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)\s*$", created.stdout, re.M)
    assert key_match is not None
    recovery_key = key_match.group(1)
    run(runner, "demo", "--officers", "12")

    second = "kuda kedua lebih panjang lagi"
    changed = run(runner, "--lang", "en", "passphrase", "change",
                  env={"TPSDESK_NEW_PASSPHRASE": second})  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert run(runner, "identity").exit_code == 1  # the old one no longer opens it
    assert run(runner, "identity", env={"TPSDESK_PASSPHRASE": second}).exit_code == 0

    key_file = tmp_path / "key.txt"
    key_file.write_text(recovery_key.lower().replace("-", " ") + "\n")
    third = "kuda ketiga yang paling panjang"
    recovered = run(runner, "--lang", "en", "recover", "--recovery-key-file", str(key_file),
                    env={"TPSDESK_NEW_PASSPHRASE": third, "TPSDESK_PASSPHRASE": None})  # fmt: skip
    assert recovered.exit_code == 0, recovered.output
    assert len(officers_json(runner, env={"TPSDESK_PASSPHRASE": third})) == 12

    wrong_key = tmp_path / "wrong.txt"
    wrong_key.write_text("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA\n")
    refused = run(runner, "--lang", "en", "recover", "--recovery-key-file", str(wrong_key),
                  env={"TPSDESK_NEW_PASSPHRASE": third})  # fmt: skip
    assert refused.exit_code == 1 and "Wrong recovery key" in refused.stderr

    listed = run(runner, "backups", "--json")
    backups = json.loads(listed.stdout)
    assert backups and backups[0]["number"] == 1
    assert run(runner, "--lang", "en", "backups").stdout.count(str(store_path.name)) >= 1

    # The newest backup is from before the last save; it opens with the passphrase it had.
    restored = run(runner, "--lang", "en", "restore-backup", "1",
                   env={"TPSDESK_PASSPHRASE": third})  # fmt: skip
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.stdout
    assert len(officers_json(runner, env={"TPSDESK_PASSPHRASE": third})) == 12
    assert list(store_path.parent.glob(store_path.name + ".damaged-*"))
    missing = run(runner, "--lang", "en", "restore-backup", "99")
    assert missing.exit_code == 1 and "No backup" in missing.stderr


def test_no_traceback_on_a_damaged_store(runner: CliRunner, store_path: Path) -> None:
    init(runner)
    data = bytearray(store_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    store_path.write_bytes(bytes(data))
    result = run(runner, "--lang", "en", "officers", "list")
    assert result.exit_code == 1
    assert "damaged" in result.stderr or "Wrong passphrase" in result.stderr
    assert "Traceback" not in result.output


def test_language_option_changes_the_output(runner: CliRunner) -> None:
    from tpsdesk.i18n import LOCALE_DIR

    if not (LOCALE_DIR / "id" / "LC_MESSAGES" / "tpsdesk.mo").exists():
        pytest.skip("the Indonesian catalogue has not been compiled yet")
    english = run(runner, "--lang", "en", "officers", "list")
    default = run(runner, "officers", "list")
    assert english.exit_code == default.exit_code == 1
    assert english.stderr != default.stderr
    assert "No store found" in english.stderr


def test_no_subcommand_opens_the_app(
    runner: CliRunner, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tpsdesk.ui.app

    calls: list[tuple[Path, str | None, Any]] = []
    monkeypatch.setattr(
        tpsdesk.ui.app,
        "run_app",
        lambda path, language, kdf=None: calls.append((path, language, kdf)),
    )
    result = run(runner, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert calls == [(store_path, "en", KdfParams(iterations=1, memory_kib=64, lanes=1))]
