"""The sync commands through the command line, with a district store and a laptop store in
temporary folders: district settings, setup files, enrolment and its refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tpsdesk.cli import main
from tpsdesk.i18n import set_language
from tpsdesk.sync.fingerprint import normalize_fingerprint

# Runs on SQLite and on PostgreSQL (tests/cli/conftest.py).
BOTH_BACKENDS = True

AREA_CSV = (
    "kecamatan_code,kecamatan_name,kelurahan_code,kelurahan_name,tps_number,tps_address\n"
    "35.73.05,Lowokwaru,35.73.05.1001,Tunggulwulung,1,Jl. Mawar 1\n"
    "35.73.05,Lowokwaru,35.73.05.1001,Tunggulwulung,2,Jl. Melati 2\n"
    "35.73.05,Lowokwaru,35.73.05.1002,Tlogomas,1,Jl. Kenanga 1\n"
)
KEL_A = "35.73.05.1001"
KEL_B = "35.73.05.1002"


@pytest.fixture(autouse=True)
def _reset_language() -> Any:
    yield
    set_language("en")


class Desk:
    """One store (district or laptop) driven through the command line."""

    def __init__(self, runner: CliRunner, path: Path) -> None:
        self.runner = runner
        self.path = path

    def run(self, *args: str, **kwargs: Any) -> Result:
        return self.runner.invoke(
            main,
            ["--lang", "en", "--store", str(self.path), *args],
            catch_exceptions=False,
            **kwargs,
        )

    def ok(self, *args: str, **kwargs: Any) -> Result:
        result = self.run(*args, **kwargs)
        assert result.exit_code == 0, result.output
        return result

    def identity(self) -> dict[str, Any]:
        data = json.loads(self.ok("identity", "--json").stdout)
        assert isinstance(data, dict)
        return data


@pytest.fixture
def district(runner: CliRunner, tmp_path: Path) -> Desk:
    desk = Desk(runner, tmp_path / "office" / "district.store")
    desk.ok("init", "--district")
    desk.ok("district", "settings", "--name", "Kota Malang", "--code", "3573")
    csv = tmp_path / "area.csv"
    csv.write_text(AREA_CSV, encoding="utf-8")
    desk.ok("area", "import", str(csv))
    return desk


@pytest.fixture
def laptop(runner: CliRunner, tmp_path: Path) -> Desk:
    desk = Desk(runner, tmp_path / "laptop" / "field.store")
    desk.ok("init")
    return desk


def setup_file(district: Desk, folder: Path, area: str = KEL_A, *extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    result = district.ok("district", "setup-file", area, "--out", str(folder), "--json", *extra)
    data = json.loads(result.stdout)
    path = Path(data["path"])
    assert path.parent == folder and path.exists()
    return path


def typo(fp: str) -> str:
    digits = normalize_fingerprint(fp)
    assert digits is not None
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


def test_district_init_identity_and_settings(district: Desk) -> None:
    data = district.identity()
    assert {"role", "device_id", "fingerprint"} <= set(data)
    assert data["role"] == "district"
    assert normalize_fingerprint(data["fingerprint"]) is not None
    assert normalize_fingerprint(data["encryption_fingerprint"]) is not None
    assert (data["district_name"], data["district_code"]) == ("Kota Malang", "35.73")
    plain = district.ok("identity").stdout
    assert data["fingerprint"] in plain and data["encryption_fingerprint"] in plain
    assert "not the fingerprint read over the phone" in plain
    shown = json.loads(district.ok("district", "settings", "--json").stdout)
    assert shown == {"name": "Kota Malang", "code": "35.73"}
    bad = district.run("district", "settings", "--code", "35")
    assert bad.exit_code == 1 and "35.73" in bad.stderr


def test_field_identity_json_keeps_its_contract(laptop: Desk) -> None:
    assert set(laptop.identity()) == {"role", "device_id", "fingerprint"}


def test_setup_file_and_enrolment(district: Desk, laptop: Desk, tmp_path: Path) -> None:
    path = setup_file(district, tmp_path / "usb")
    assert path.name == "3573051001_setup_v1.tpss"
    fp = district.identity()["fingerprint"]
    me = laptop.identity()["fingerprint"]

    result = laptop.ok("enroll", str(path), "--fingerprint", fp)

    out = result.stdout
    assert "Kota Malang (35.73)" in out and fp in out and me in out
    assert "read it back" in out
    after = laptop.identity()
    assert after["fingerprint"] == me
    assert after["district_fingerprint"] == fp and after["area"] == KEL_A
    # The TPS of the area, with the district's ids.
    officers = laptop.ok("officers", "list", "--json")
    assert json.loads(officers.stdout) == []
    again = laptop.run("enroll", str(path))
    assert again.exit_code == 1 and "older than the one installed" in again.stderr


def test_a_laptop_that_typed_its_area_first_enrols(
    district: Desk, laptop: Desk, tmp_path: Path
) -> None:
    # Refused before with "Enrol with a new, empty store": the typed area is adopted by code.
    csv = tmp_path / "typed.csv"
    csv.write_text(
        AREA_CSV.split("\n", 1)[0]
        + "\n"
        + "\n".join(line for line in AREA_CSV.splitlines()[1:] if KEL_A in line)
        + "\n",
        encoding="utf-8",
    )
    laptop.ok("area", "import", str(csv))
    path = setup_file(district, tmp_path / "usb")
    fp = district.identity()["fingerprint"]
    result = laptop.ok("enroll", str(path), "--fingerprint", fp)
    assert "matched to the district's" in result.stdout
    data = json.loads(laptop.ok("enroll", str(setup_file(district, tmp_path / "usb2")),
                                "--json").stdout)  # fmt: skip
    assert data["adopted"] == 0 and data["first"] is False


def test_one_district_fingerprint_everywhere_it_is_shown(
    district: Desk, laptop: Desk, tmp_path: Path
) -> None:
    # Two 30-digit numbers appeared with no word on which to read over the phone: the district
    # fingerprint now carries one label in identity, setup-file, inspect and enrol, and every
    # other key fingerprint says it is not that one.
    fp = district.identity()["fingerprint"]
    line = f"District fingerprint (the one read over the phone): {fp}"
    identity = district.ok("identity").stdout
    assert line in identity
    assert fp not in identity.replace(line, "")
    folder = tmp_path / "usb"
    folder.mkdir()
    made = district.ok("district", "setup-file", KEL_A, "--out", str(folder)).stdout
    assert line in made
    path = next(folder.iterdir())
    inspected = district.ok("bundle", "inspect", str(path)).stdout
    rows = [row for row in inspected.splitlines() if row.startswith("District fingerprint")]
    assert len(rows) == 1 and rows[0].endswith(fp) and "read over the phone" in rows[0]
    assert "District signing key (a technical check" in inspected
    # A setup file for one laptop names the laptop as recipient: the district's number is
    # still shown, read from the file's district keys.
    me = laptop.identity()["fingerprint"]
    target = district.ok(
        "district", "setup-file", KEL_A, "--out", str(tmp_path / "one.tpss"), "--target", me
    ).stdout
    assert line in target
    one = district.ok("bundle", "inspect", str(tmp_path / "one.tpss")).stdout
    assert "Recipient laptop fingerprint" in one and me in one
    rows = [row for row in one.splitlines() if row.startswith("District fingerprint")]
    assert len(rows) == 1 and rows[0].endswith(fp) and "read over the phone" in rows[0]
    prompt = laptop.run("enroll", str(path), input=fp + "\n")
    assert prompt.exit_code == 0, prompt.output
    assert "read the district fingerprint" in prompt.stderr
    assert line in prompt.stdout
    trusted = laptop.ok("identity").stdout
    assert line in trusted and "This laptop's fingerprint" in trusted


def test_enrolment_at_the_prompt(district: Desk, laptop: Desk, tmp_path: Path) -> None:
    path = setup_file(district, tmp_path / "usb")
    fp = district.identity()["fingerprint"]
    wrong = laptop.run("enroll", str(path), input=typo(fp) + "\n")
    assert wrong.exit_code == 1
    assert "does not match" in wrong.stderr
    assert "district_fingerprint" not in laptop.identity()
    right = laptop.run("enroll", str(path), input=fp + "\n")
    assert right.exit_code == 0, right.output
    assert "Call the district office" in right.stderr
    assert laptop.identity()["district_fingerprint"] == fp


def test_one_digit_off_is_refused(district: Desk, laptop: Desk, tmp_path: Path) -> None:
    path = setup_file(district, tmp_path / "usb")
    fp = district.identity()["fingerprint"]
    before = laptop.path.read_bytes()
    result = laptop.run("enroll", str(path), "--fingerprint", typo(fp))
    assert result.exit_code == 1
    assert str(path) in result.stderr and "Nothing was changed" in result.stderr
    assert "Traceback" not in result.output
    assert laptop.path.read_bytes() == before


def test_newer_setup_file_adds_a_tps(district: Desk, laptop: Desk, tmp_path: Path) -> None:
    fp = district.identity()["fingerprint"]
    laptop.ok("enroll", str(setup_file(district, tmp_path / "v1")), "--fingerprint", fp)
    csv = tmp_path / "more.csv"
    csv.write_text(
        AREA_CSV.splitlines()[0] + "\n35.73.05,Lowokwaru,35.73.05.1001,Tunggulwulung,3,Jl. C\n",
        encoding="utf-8",
    )
    district.ok("area", "import", str(csv))
    newer = setup_file(district, tmp_path / "v2")
    result = laptop.ok("enroll", str(newer), "--json")
    data = json.loads(result.stdout)
    assert (data["first"], data["version"], data["new"]) == (False, 2, 1)


def test_refusals_exit_1_with_the_reason(district: Desk, laptop: Desk, tmp_path: Path) -> None:
    fp = district.identity()["fingerprint"]
    me = laptop.identity()["fingerprint"]
    # For another laptop.
    other = setup_file(district, tmp_path / "other", KEL_A, "--target", typo(me))
    result = laptop.run("enroll", str(other), "--fingerprint", fp)
    assert result.exit_code == 1 and "another laptop" in result.stderr
    # Tampered.
    good = setup_file(district, tmp_path / "good")
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0x40
    bad = tmp_path / "bad.tpss"
    bad.write_bytes(bytes(data))
    result = laptop.run("enroll", str(bad), "--fingerprint", fp)
    assert result.exit_code == 1 and str(bad) in result.stderr
    assert "Traceback" not in result.output
    # Not a tpsdesk file, and a missing one.
    junk = tmp_path / "junk.tpss"
    junk.write_bytes(b"hello")
    assert laptop.run("enroll", str(junk), "--fingerprint", fp).exit_code == 1
    assert laptop.run("enroll", str(tmp_path / "none.tpss")).exit_code == 1
    # Another area after enrolment.
    laptop.ok("enroll", str(good), "--fingerprint", fp)
    result = laptop.run("enroll", str(setup_file(district, tmp_path / "b", KEL_B)))
    assert result.exit_code == 1 and KEL_B in result.stderr


def test_wrong_roles(district: Desk, laptop: Desk, tmp_path: Path) -> None:
    path = setup_file(district, tmp_path / "usb")
    result = district.run("enroll", str(path), "--fingerprint", district.identity()["fingerprint"])
    assert result.exit_code == 1 and "field store" in result.stderr
    result = laptop.run("district", "setup-file", KEL_A, "--out", str(tmp_path / "x.tpss"))
    assert result.exit_code == 1 and "district store" in result.stderr
    result = laptop.run("district", "settings", "--name", "X")
    assert result.exit_code == 1 and "district store" in result.stderr


def test_setup_file_refusals(district: Desk, tmp_path: Path) -> None:
    out = tmp_path / "f.tpss"
    out.write_bytes(b"")
    assert district.run("district", "setup-file", KEL_A, "--out", str(out)).exit_code == 1
    unknown = district.run("district", "setup-file", "35.73.05.1009", "--out", str(tmp_path / "u"))
    assert unknown.exit_code == 1
    assert district.run("district", "setup-file", "35.73.05.1009").exit_code == 2  # no --out
    assert (
        district.run(
            "district", "setup-file", KEL_A, "--out", str(tmp_path / "v"), "--valid-days", "0"
        ).exit_code
        == 2
    )
    written = district.ok("district", "setup-file", "35.73.05", "--out", str(tmp_path / "k.tpss"))
    assert "Area 35.73.05, version 1, for all laptops" in written.stdout
