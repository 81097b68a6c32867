"""The whole sync flow through the command line, in temporary folders (issue 3, point 7).

A district store and field laptops, each in its own folder, and a "usb" folder the files are
carried in: district init → settings → area → setup file → enrol → officers → bundle → merge
(quarantine, approve) → replay → receipt → field status → only new changes next time →
a duplicate NIK from a second laptop → the clerk's decision back on that laptop. Then every
bad or misdirected file of the issue's "Bad input" section: a clear message on stderr, exit
status 1, no traceback, and the store unchanged. One real process runs the whole chain through
`python -m tpsdesk`, with no terminal.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tpsdesk.cli import main
from tpsdesk.i18n import set_language

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
def _english() -> Any:
    set_language("en")
    yield
    set_language("en")


class Desk:
    """One store (district office or laptop) driven through the command line, in English."""

    def __init__(self, runner: CliRunner, path: Path) -> None:
        self.runner = runner
        self.path = path

    def run(self, *args: str | Path, **kwargs: Any) -> Result:
        result = self.runner.invoke(
            main,
            ["--lang", "en", "--store", str(self.path), *map(str, args)],
            catch_exceptions=False,
            **kwargs,
        )
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str | Path, **kwargs: Any) -> Result:
        result = self.run(*args, **kwargs)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.stderr
        return result

    def json(self, *args: str | Path) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def identity(self) -> dict[str, Any]:
        data = self.json("identity")
        assert isinstance(data, dict)
        return data

    def officers(self) -> list[dict[str, Any]]:
        data = self.json("officers", "list")
        assert isinstance(data, list)
        return data

    def refused(self, *args: str | Path, says: str | list[str]) -> str:
        """The command is refused: exit 1, the reason on stderr, nothing changed in the store."""
        before = self.path.read_bytes()
        result = self.run(*args)
        assert result.exit_code == 1, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        for needle in [says] if isinstance(says, str) else says:
            assert needle in result.stderr, result.stderr
        assert self.path.read_bytes() == before, "a refused command changed the store"
        return result.stderr


@dataclass
class World:
    district: Desk
    laptop: Desk
    usb: Path
    setup: Path
    district_fp: str
    laptop_fp: str
    tmp: Path
    runner: CliRunner
    passphrase: str

    def new_laptop(self, name: str) -> Desk:
        desk = Desk(self.runner, self.tmp / name / "field.store")
        desk.ok("init")
        desk.ok("enroll", self.setup, "--fingerprint", self.district_fp)
        return desk

    def export(self, laptop: Desk | None = None) -> dict[str, Any]:
        data = (laptop or self.laptop).json("bundle", "export", "--out", self.usb)
        assert isinstance(data, dict) and data["written"], data
        return data


def new_district(
    runner: CliRunner, folder: Path, code: str = "35.73", *, other: bool = False
) -> Desk:
    """A district desk; `other`: a second district, in its own file (the test's database, on
    the postgresql backend, holds the first one)."""
    desk = Desk(runner, folder / "district.store")
    desk.ok("init", "--district", env={"TPSDESK_DATABASE_URL": None} if other else None)
    desk.ok("district", "settings", "--name", "Kota Malang", "--code", code)
    csv = folder / "area.csv"
    csv.write_text(AREA_CSV, encoding="utf-8")
    desk.ok("area", "import", csv)
    return desk


@pytest.fixture
def world(runner: CliRunner, tmp_path: Path, env: dict[str, str | None]) -> World:
    usb = tmp_path / "usb"
    usb.mkdir()
    district = new_district(runner, tmp_path / "office")
    made = district.json("district", "setup-file", KEL_A, "--out", usb)
    setup = Path(made["path"])
    district_fp = district.identity()["fingerprint"]
    assert made["district_fingerprint"] == district_fp
    laptop = Desk(runner, tmp_path / "laptop" / "field.store")
    laptop.ok("init")
    laptop_fp = laptop.identity()["fingerprint"]
    enrolled = laptop.ok("enroll", setup, "--fingerprint", district_fp).stdout
    assert laptop_fp in enrolled and "is now trusted" in enrolled
    passphrase = env["TPSDESK_PASSPHRASE"]
    assert passphrase
    return World(district, laptop, usb, setup, district_fp, laptop_fp, tmp_path, runner, passphrase)


def add_officer(world: World, desk: Desk, *, nik: str, name: str, tps: str = f"{KEL_A}/2") -> str:
    """An officer typed in on a laptop (the command line has no `officers add`)."""
    from tpsdesk.domain.officer import OfficerDraft, validate_officer
    from tpsdesk.store import areas, officers
    from tpsdesk.store.db import Store

    store = Store.open(desk.path, world.passphrase)
    try:
        draft = OfficerDraft(
            nik=nik,
            name=name,
            birth_place="Malang",
            birth_date=_birth_date(nik).strftime("%d-%m-%Y"),
            sex="P" if int(nik[6:8]) > 40 else "L",
            address="Jl. Mawar 1",
            post_code="kpps_anggota",
        )
        result = validate_officer(draft, catalogue=store.catalogue, today=date(2024, 10, 1))
        assert result.fields is not None, result.problems
        return officers.add_officer(store, result.fields, tps_id=areas.find_tps(store, tps).id).id
    finally:
        store.close()


def _birth_date(nik: str) -> date:
    day = int(nik[6:8]) % 40
    year = int(nik[10:12])
    return date(1900 + year if year > 30 else 2000 + year, int(nik[8:10]), day)


def officer_state(world: World, desk: Desk, officer_id: str) -> dict[str, Any]:
    """What `officers list` does not show: a deleted record, the reason of a status."""
    from tpsdesk.store import officers
    from tpsdesk.store.db import Store

    store = Store.open(desk.path, world.passphrase)
    try:
        officer = officers.get_officer(store, officer_id)
        assert officer is not None
        return {
            "deleted": officer.deleted,
            "status": officer.status,
            "reason": officer.status_reason,
        }
    finally:
        store.close()


def flip(path: Path, out: Path, at: int) -> Path:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    out.write_bytes(bytes(data))
    return out


# -- the flow -------------------------------------------------------------------------------


def test_the_whole_flow_through_the_command_line(world: World) -> None:
    district, laptop, usb = world.district, world.laptop, world.usb
    me = world.laptop_fp

    # Officers on the laptop, then the first bundle.
    laptop.ok("demo", "--officers", "5")
    mine = laptop.officers()
    assert len(mine) == 5 and {o["kelurahan_code"] for o in mine} == {KEL_A}
    first = world.export()
    assert (first["seq_from"], first["counts"], first["rows"]) == (1, {"officer": 5}, 5)
    bundle = Path(first["written"])
    assert bundle.parent == usb and bundle.suffix == ".tpsb"
    assert {o["status"] for o in laptop.officers()} == {"sent"}
    inspected = laptop.json("bundle", "inspect", bundle)
    assert inspected["kind"] == "bundle" and inspected["seq_to"] == first["seq_to"]
    shown = laptop.ok("bundle", "inspect", bundle).stdout
    assert "signature was not checked" in shown

    # An unknown laptop's bundle waits in quarantine: exit 0, the fingerprint named.
    waiting = district.ok("district", "merge", bundle)
    assert "not approved yet" in waiting.stdout and me in waiting.stdout
    assert district.officers() == []
    [device] = district.json("district", "devices")
    assert (device["fingerprint"], device["status"], device["waiting"]) == (me, "pending", 1)
    assert (device["area"], device["claimed_area"]) == (KEL_A, KEL_A)
    listed = district.ok("district", "devices").stdout
    assert f"area issued {KEL_A}  claimed {KEL_A}" in listed
    # Only an area a setup file was issued for can be approved (SECURITY 25).
    district.refused("district", "devices", "approve", me, "--area", KEL_B,
                     says=["No setup file was issued for area", KEL_A])  # fmt: skip
    again = district.json("district", "merge", bundle)
    assert [r["status"] for r in again] == ["already_quarantined"]

    # Approval merges what waited.
    approved = district.ok("district", "devices", "approve", me).stdout
    assert "Approved" in approved and "5 accepted" in approved
    [device] = district.json("district", "devices")
    assert (device["status"], device["waiting"], device["missing"]) == ("approved", 0, [])
    assert sorted(o["id"] for o in district.officers()) == sorted(o["id"] for o in mine)

    # The same file again changes nothing.
    before = district.officers()
    replay = district.ok("district", "merge", bundle)
    assert "merged before; nothing changed" in replay.stdout
    assert district.officers() == before
    assert district.json("district", "findings") == []
    assert "No findings to review" in district.ok("district", "findings").stdout

    # The receipt, and the statuses on the laptop.
    receipt = district.json("district", "receipt", me, "--out", usb / "r1.tpsr")
    assert (receipt["version"], receipt["acknowledged_seq"]) == (1, first["seq_to"])
    imported = laptop.json("receipt", "import", usb / "r1.tpsr")
    assert imported["acknowledged_seq"] == first["seq_to"]
    assert imported["statuses"] == {"accepted": 5} and imported["gaps"] == []
    assert {o["status"] for o in laptop.officers()} == {"accepted"}

    # Nothing left to send; then only what is new.
    nothing = laptop.json("bundle", "export", "--out", usb)
    assert nothing == {"written": None, "reason": "nothing_to_send"}
    assert "Nothing to send" in laptop.ok("bundle", "export", "--out", usb).stdout
    laptop.ok("demo", "--officers", "1")
    [new] = [o for o in laptop.officers() if o["status"] != "accepted"]
    second = world.export()
    assert second["seq_from"] == first["seq_to"] + 1
    assert (second["counts"], second["rows"]) == ({"officer": 1}, 1)
    merged = district.ok("district", "merge", second["written"]).stdout
    assert "1 accepted" in merged
    assert new["id"] in {o["id"] for o in district.officers()}

    # A second laptop registers the same NIK: a finding, with both records kept.
    other = world.new_laptop("laptop2")
    other_fp = other.identity()["fingerprint"]
    taken = mine[0]
    twin = add_officer(world, other, nik=taken["nik"], name="Sri Rahayu")
    from_other = world.export(other)
    assert "not approved yet" in district.ok("district", "merge", from_other["written"]).stdout
    approved = district.ok("district", "devices", "approve", other_fp).stdout
    assert "duplicate findings: 1" in approved
    findings = district.json("district", "findings")
    [finding] = [f for f in findings if f["kind"] == "duplicate_nik"]
    assert set(finding["rows"]) == {taken["id"], twin}
    assert {p["id"] for p in finding["people"]} == {taken["id"], twin}
    listed = district.ok("district", "findings").stdout
    assert "same NIK twice" in listed and finding["id"][:12] in listed

    # The clerk keeps the first laptop's record; the decision travels back.
    resolved = district.ok("district", "findings", "resolve", finding["id"][:12], "--keep",
                           taken["id"], "--note", "the same person")  # fmt: skip
    assert "next receipt" in resolved.stdout
    assert [f["id"] for f in district.json("district", "findings")] == [
        f["id"] for f in findings if f["id"] != finding["id"]
    ]
    everything = district.json("district", "findings", "--all")
    [done] = [f for f in everything if f["id"] == finding["id"]]
    assert done["status"] == "resolved" and done["resolution"]

    district.ok("district", "receipt", other_fp, "--out", usb / "r2.tpsr")
    back = other.json("receipt", "import", usb / "r2.tpsr")
    assert back["statuses"] == {"needs_fix": 1}
    # The laptop takes the district's removal (a tombstone, out of its lists) and says why.
    assert other.officers() == []
    removed = officer_state(world, other, twin)
    assert removed["deleted"] and removed["status"] == "needs_fix"
    assert "removed this record" in removed["reason"]

    # The first laptop's record stays accepted, the new one too.
    district.ok("district", "receipt", me, "--out", usb / "r3.tpsr")
    mine_now = laptop.json("receipt", "import", usb / "r3.tpsr")
    assert mine_now["statuses"] == {"accepted": 6}
    assert mine_now["acknowledged_seq"] == second["seq_to"]
    assert {o["status"] for o in laptop.officers()} == {"accepted"}


# -- bad input ------------------------------------------------------------------------------


@pytest.fixture
def sent(world: World) -> Path:
    """A first bundle from the laptop, merged after approval (the district knows the laptop)."""
    world.laptop.ok("demo", "--officers", "3")
    path = Path(world.export()["written"])
    world.district.ok("district", "merge", path)
    world.district.ok("district", "devices", "approve", world.laptop_fp)
    return path


def test_damaged_and_wrong_files_are_refused_by_merge(world: World, sent: Path) -> None:
    district, tmp = world.district, world.tmp
    world.laptop.ok("demo", "--officers", "1")
    bundle = Path(world.export()["written"])
    size = bundle.stat().st_size

    for at in (20, size // 2, size - 10):  # header, payload, signature
        bad = flip(bundle, tmp / f"flipped_{at}.tpsb", at)
        district.refused("district", "merge", bad, says=bad.name)
    short = tmp / "short.tpsb"
    short.write_bytes(bundle.read_bytes()[: size - 40])
    district.refused("district", "merge", short, says=[short.name, "damaged"])
    junk = tmp / "random.tpsb"
    junk.write_bytes(random.Random(3).randbytes(4096))
    district.refused("district", "merge", junk, says=[junk.name, "not a tpsdesk file"])
    empty = tmp / "empty.tpsb"
    empty.write_bytes(b"")
    district.refused("district", "merge", empty, says=empty.name)
    missing = tmp / "missing.tpsb"
    district.refused("district", "merge", missing, says=[str(missing), "Could not read"])
    # A setup file or a receipt is no bundle: named and skipped, not an error.
    skipped = district.ok("district", "merge", world.setup).stdout
    assert world.setup.name in skipped and "not a bundle (a setup file)" in skipped
    receipt = world.usb / "r.tpsr"
    district.ok("district", "receipt", world.laptop_fp, "--out", receipt)
    assert "not a bundle (a receipt)" in district.ok("district", "merge", receipt).stdout

    # One bad file among good ones: the good one is merged, the exit status says 1.
    result = district.run("district", "merge", "--json", junk, bundle)
    assert result.exit_code == 1
    statuses = [r["status"] for r in json.loads(result.stdout)]
    assert statuses == ["refused", "merged"]
    assert len(district.officers()) == 4


def test_merge_of_a_folder_skips_what_is_not_a_bundle(world: World, sent: Path) -> None:
    # The usb folder holds the setup file, a receipt, a note and two bundles (one merged
    # before): every bundle is merged, the rest named as skipped, and the exit status is 0.
    district, usb = world.district, world.usb
    district.ok("district", "receipt", world.laptop_fp, "--out", usb / "r1.tpsr")
    (usb / "notes.txt").write_text("bawa flashdisk", encoding="utf-8")
    (usb / "sub").mkdir()
    (usb / "x.tpsb.part").write_bytes(sent.read_bytes()[:100])  # an export cut short
    world.laptop.ok("demo", "--officers", "2")
    newer = Path(world.export()["written"])
    result = district.ok("district", "merge", usb)
    out = result.stdout
    assert f"{world.setup.name}: not a bundle (a setup file); skipped." in out
    assert "r1.tpsr: not a bundle (a receipt); skipped." in out
    assert "notes.txt: not a bundle (not a tpsdesk file); skipped." in out
    assert "x.tpsb.part: not a bundle (an unfinished copy); skipped." in out
    assert f"{sent.name}: merged before" in out and f"{newer.name}: merged" in out
    assert len(district.officers()) == 5
    data = district.json("district", "merge", usb)
    by_file = {row["file"]: row["status"] for row in data}
    assert by_file[world.setup.name] == by_file["r1.tpsr"] == by_file["notes.txt"] == "skipped"
    assert by_file[sent.name] == by_file[newer.name] == "merged"
    # Only skipped files: nothing to merge, still no error.
    only = world.tmp / "only"
    only.mkdir()
    (only / "notes.txt").write_text("x", encoding="utf-8")
    assert "No bundle to merge." in district.ok("district", "merge", only).stdout


def test_bundle_for_another_district(world: World, runner: CliRunner) -> None:
    world.laptop.ok("demo", "--officers", "2")
    bundle = Path(world.export()["written"])
    elsewhere = new_district(runner, world.tmp / "elsewhere", code="35.07", other=True)
    elsewhere.ok("district", "devices")  # its district tables exist before the snapshot
    says = [bundle.name, "addressed to another key"]
    elsewhere.refused("district", "merge", bundle, says=says)
    assert elsewhere.json("district", "devices") == []
    assert elsewhere.officers() == []


def test_revoked_laptop(world: World, sent: Path) -> None:
    district = world.district
    revoked = district.ok("district", "devices", "revoke", world.laptop_fp).stdout
    assert "Revoked" in revoked
    world.laptop.ok("demo", "--officers", "1")
    later = Path(world.export()["written"])
    district.refused("district", "merge", later, says=[later.name, "revoked"])
    assert len(district.officers()) == 3
    [device] = district.json("district", "devices")
    assert device["status"] == "revoked"


def test_receipts_for_another_laptop_and_out_of_order(world: World, sent: Path) -> None:
    district, laptop, usb = world.district, world.laptop, world.usb
    other = world.new_laptop("laptop2")
    add_officer(world, other, nik="3573054101900001", name="Siti Aminah")
    district.ok("district", "merge", world.export(other)["written"])
    other_fp = other.identity()["fingerprint"]
    district.ok("district", "devices", "approve", other_fp)
    theirs = usb / "theirs.tpsr"
    district.ok("district", "receipt", other_fp, "--out", theirs)
    laptop.refused("receipt", "import", theirs, says=[theirs.name, "another laptop", other_fp])
    assert {o["status"] for o in laptop.officers()} == {"sent"}

    older, newer = usb / "r1.tpsr", usb / "r2.tpsr"
    district.ok("district", "receipt", world.laptop_fp, "--out", older)
    district.ok("district", "receipt", world.laptop_fp, "--out", newer)
    assert laptop.json("receipt", "import", newer)["version"] == 2
    laptop.refused("receipt", "import", older, says=[older.name, "older"])
    laptop.refused("receipt", "import", newer, says="imported already")
    # A receipt is never written over an existing file (and no receipt number is used up);
    # into a folder, it is named after the area, the laptop and its number.
    district.refused("district", "receipt", world.laptop_fp, "--out", newer, says="exists")
    named = Path(district.json("district", "receipt", world.laptop_fp, "--out", usb)["written"])
    assert named.parent == usb and named.name.endswith("_receipt_v3.tpsr")
    assert laptop.json("receipt", "import", named)["version"] == 3
    # Damaged receipts, and receipts on the wrong store.
    flipped = flip(newer, usb / "flipped.tpsr", newer.stat().st_size // 2)
    laptop.refused("receipt", "import", flipped, says=flipped.name)
    laptop.refused("receipt", "import", world.setup, says="not a receipt")
    laptop.refused("receipt", "import", usb / "none.tpsr", says="Could not read")
    district.refused("receipt", "import", older, says="district store")
    unenrolled = Desk(world.runner, world.tmp / "new" / "field.store")
    unenrolled.ok("init")
    unenrolled.refused("receipt", "import", older, says="no district setup file")
    district.refused("district", "receipt", "12345", "--out", usb / "x.tpsr", says="12345")


def test_setup_files_for_another_area_or_older(world: World) -> None:
    district, laptop = world.district, world.laptop
    other_area = Path(district.json("district", "setup-file", KEL_B, "--out", world.usb)["path"])
    laptop.refused("enroll", other_area, says=[other_area.name, KEL_B])
    csv = world.tmp / "more.csv"
    csv.write_text(
        AREA_CSV.splitlines()[0] + f"\n35.73.05,Lowokwaru,{KEL_A},Tunggulwulung,3,Jl. C\n"
    )
    district.ok("area", "import", csv)
    newer = Path(district.json("district", "setup-file", KEL_A, "--out", world.usb)["path"])
    installed = laptop.json("enroll", newer)
    assert installed["version"] > 1 and installed["new"] == 1
    laptop.refused("enroll", world.setup, says=[world.setup.name, "older"])
    bundle = world.tmp / "b.tpsb"
    laptop.ok("demo", "--officers", "1")
    bundle = Path(world.export()["written"])
    laptop.refused("enroll", bundle, "--fingerprint", world.district_fp, says=bundle.name)
    # A setup file signed by another district key, on an enrolled laptop.
    # Same code, another key.
    stranger = new_district(world.runner, world.tmp / "elsewhere", other=True)
    foreign = Path(stranger.json("district", "setup-file", KEL_A, "--out", world.tmp)["path"])
    assert stranger.identity()["fingerprint"] != world.district_fp
    fp = stranger.identity()["fingerprint"]
    laptop.refused("enroll", foreign, "--fingerprint", fp, says=foreign.name)


def test_inspect_and_wrong_stores(world: World) -> None:
    district, laptop, tmp = world.district, world.laptop, world.tmp
    junk = tmp / "junk.bin"
    junk.write_bytes(random.Random(5).randbytes(300))
    for args in (("bundle", "inspect", junk), ("bundle", "inspect", "--json", junk)):
        result = laptop.run(*args)
        assert result.exit_code == 1 and "not a tpsdesk file" in result.stderr
        assert junk.name in result.stderr and "Traceback" not in result.output
    result = laptop.run("bundle", "inspect", tmp / "nothing.tpsb")
    assert result.exit_code == 1 and "Could not read" in result.stderr
    header = laptop.json("bundle", "inspect", world.setup)  # any tpsdesk file has a header
    assert header["kind"] == "setup"

    district.refused("bundle", "export", "--out", world.usb, says="district store")
    unenrolled = Desk(world.runner, tmp / "new" / "field.store")
    unenrolled.ok("init")
    unenrolled.ok("demo", "--officers", "2")
    unenrolled.refused("bundle", "export", "--out", world.usb, says="no district setup file")
    laptop.ok("demo", "--officers", "1")
    blocker = tmp / "a-file"
    blocker.write_bytes(b"")
    laptop.refused("bundle", "export", "--out", blocker / "usb", says="Could not write")
    assert {o["status"] for o in laptop.officers()} == {"ready"}
    bundle = Path(world.export()["written"])
    laptop.refused("district", "merge", bundle, says="district store")
    laptop.refused("district", "devices", says="district store")
    laptop.refused(
        "district", "receipt", world.laptop_fp, "--out", tmp / "r", says="district store"
    )
    assert not (tmp / "r").exists()
    assert district.json("district", "devices") == []  # (creates the district tables)
    district.refused("district", "devices", "approve", "12345 67890", says="12345 67890")
    # A mistyped --area is refused before the laptop is approved for it.
    district.ok("district", "merge", bundle)
    for area, says in (
        ("35.73.05.1009", "no kelurahan with code 35.73.05.1009"),
        ("35.07.01", "not in district 35.73"),
        ("nonsense", "not a kecamatan code"),
    ):
        district.refused("district", "devices", "approve", world.laptop_fp, "--area", area,
                         says=says)  # fmt: skip
    [device] = district.json("district", "devices")
    assert (device["status"], device["waiting"]) == ("pending", 1)
    approved = district.ok("district", "devices", "approve", world.laptop_fp, "--area", KEL_A)
    assert "1 accepted" in approved.stdout


# -- one real process ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_chain_in_real_processes(tmp_path: Path, env: dict[str, str | None]) -> None:
    """`python -m tpsdesk` with no terminal (stdin closed): the whole chain, in one process each."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TPSDESK_")}
    full_env.update({k: v for k, v in env.items() if v is not None and k != "TPSDESK_STORE"})
    if full_env.pop("PYTHONDONTWRITEBYTECODE", None):
        # Fourteen processes: compile the imports once, into the test's own folder.
        full_env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
    office, field, usb = tmp_path / "office.store", tmp_path / "field.store", tmp_path / "usb"
    usb.mkdir()
    csv = tmp_path / "area.csv"
    csv.write_text(AREA_CSV, encoding="utf-8")

    def start(store: Path, *args: str | Path) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "tpsdesk", "--lang", "en", "--store", str(store)]
        return subprocess.Popen(
            [*command, *map(str, args)], env=full_env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def finish(process: subprocess.Popen[str], code: int = 0) -> str:
        out, err = process.communicate(timeout=120)
        assert process.returncode == code, (process.args, out, err)
        assert "Traceback" not in err
        return out

    def run(store: Path, *args: str | Path, code: int = 0) -> str:
        return finish(start(store, *args), code)

    run(office, "init", "--district")
    laptop_init = start(field, "init")  # the two offices work at the same time
    run(office, "district", "settings", "--name", "Kota Malang", "--code", "35.73")
    run(office, "area", "import", csv)
    made = json.loads(run(office, "district", "setup-file", KEL_A, "--out", usb, "--json"))
    finish(laptop_init)
    enrolled = json.loads(
        run(field, "enroll", made["path"], "--fingerprint", made["district_fingerprint"], "--json")
    )
    laptop_fp = enrolled["laptop_fingerprint"]
    run(field, "demo", "--officers", "4")
    bundle = json.loads(run(field, "bundle", "export", "--out", usb, "--json"))["written"]
    assert laptop_fp in run(office, "district", "merge", bundle)
    assert "4 accepted" in run(office, "district", "devices", "approve", laptop_fp)
    run(office, "district", "receipt", laptop_fp, "--out", usb / "r.tpsr")
    run(field, "receipt", "import", usb / "r.tpsr")
    statuses = {o["status"] for o in json.loads(run(field, "officers", "list", "--json"))}
    assert statuses == {"accepted"}
    junk = usb / "junk.tpsb"
    junk.write_bytes(b"\x00" * 100)
    run(office, "district", "merge", junk, code=1)

    # Many files in one command: the next ones are read in a second (spawned) process.
    later = []
    for seed in (11, 12):
        run(field, "demo", "--officers", "2", "--seed", str(seed))
        later.append(json.loads(run(field, "bundle", "export", "--out", usb, "--json"))["written"])
    merged = json.loads(
        run(office, "district", "merge", "--json", bundle, junk, *later, bundle, code=1)
    )
    assert [m["status"] for m in merged] == ["merged", "refused", "merged", "merged", "merged"]
    assert [len(m["report"]["accepted"]) for m in merged if "report" in m] == [4, 2, 2, 4]
    assert len(json.loads(run(office, "officers", "list", "--json"))) == 8


def test_a_laptop_restored_from_an_old_backup(world: World, sent: Path) -> None:
    """A restored store takes a new device id and key: the district sees a new laptop (to be
    approved again), and the changes it sends a second time are recognised, not conflicts."""
    district, laptop = world.district, world.laptop
    old = world.tmp / "old-backup.store"
    old.write_bytes(laptop.path.read_bytes())
    laptop.ok("demo", "--officers", "2")
    district.ok("district", "merge", world.export()["written"])
    assert len(district.officers()) == 5

    laptop.ok("restore-backup", old)
    restored = laptop.identity()
    assert restored["fingerprint"] != world.laptop_fp
    assert restored["district_fingerprint"] == world.district_fp
    laptop.ok("demo", "--officers", "1", "--seed", "7")
    again = world.export()
    assert again["seq_from"] == 1 and again["counts"] == {"officer": 4}
    waiting = district.ok("district", "merge", again["written"]).stdout
    assert restored["fingerprint"] in waiting and "not approved yet" in waiting
    approved = district.json("district", "devices", "approve", restored["fingerprint"])
    [outcome] = approved["merged"]
    assert outcome["status"] == "merged"
    report = outcome["report"]
    assert (len(report["accepted"]), len(report["unchanged"])) == (1, 3)
    assert report["conflicts"] == [] and report["duplicates"] == []
    assert len(district.officers()) == 6
    assert district.json("district", "findings") == []


def _rename(world: World, desk: Desk, officer_id: str, name: str) -> None:
    from dataclasses import replace

    from tpsdesk.domain.officer import OfficerFields
    from tpsdesk.domain.problems import Sex
    from tpsdesk.store import officers
    from tpsdesk.store.db import Store

    store = Store.open(desk.path, world.passphrase)
    try:
        o = officers.get_officer(store, officer_id)
        assert o is not None
        fields = OfficerFields(
            nik=o.nik, name=o.name, birth_place=o.birth_place, birth_date=o.birth_date,
            sex=Sex(o.sex), address=o.address, postcode=o.postcode, phone=o.phone,
            email=o.email, mother_name=o.mother_name, marital_status=o.marital_status,
            post_code=o.post_code, duty_start=o.duty_start, duty_end=o.duty_end,
        )  # fmt: skip
        officers.update_officer(store, officer_id, replace(fields, name=name))
    finally:
        store.close()


def test_a_correction_meeting_a_local_change_through_the_command_line(world: World) -> None:
    district, laptop, usb = world.district, world.laptop, world.usb
    officer_id = add_officer(world, laptop, nik="3573054101800001", name="Siti Rahayu")
    world.export()
    district.ok("district", "merge", *sorted(usb.glob("*.tpsb")))
    district.ok("district", "devices", "approve", world.laptop_fp)
    _rename(world, district, officer_id, "Siti Rahayu Ningsih")  # the clerk
    _rename(world, laptop, officer_id, "Siti Rahajoe")  # the laptop, meanwhile
    written = district.ok("district", "receipt", world.laptop_fp, "--out", usb / "r.tpsr")
    assert "not encrypted" not in written.stdout
    assert b"Ningsih" not in (usb / "r.tpsr").read_bytes()
    imported = laptop.ok("receipt", "import", usb / "r.tpsr").stdout
    assert "meets a change made here" in imported
    listed = laptop.ok("receipt", "corrections").stdout
    assert officer_id[:8] in listed and "Siti Rahajoe" in listed and "Ningsih" in listed
    [shown] = laptop.json("receipt", "corrections")
    assert shown["fields"] == [
        {"field": "name", "mine": "Siti Rahajoe", "district": "Siti Rahayu Ningsih"}
    ]
    laptop.refused("receipt", "corrections", "--take", "zzzz", says="zzzz")
    assert "taken" in laptop.ok("receipt", "corrections", "--take", officer_id[:8]).stdout
    assert "No correction" in laptop.ok("receipt", "corrections").stdout
    [mine] = laptop.officers()
    assert mine["name"] == "Siti Rahayu Ningsih"


def test_two_laptops_adding_tps_5_through_the_command_line(world: World) -> None:
    """Issue 8 point 8: both bundles merge, `district findings` names the duplicate TPS and
    how to decide, `district setup-file` still works and names the finding, and renumbering
    one with `--keep ID --set number=N` settles it."""
    district = world.district
    second = world.new_laptop("second")
    csv = world.tmp / "tps5.csv"
    csv.write_text(
        AREA_CSV.splitlines()[0] + f"\n35.73.05,Lowokwaru,{KEL_A},Tunggulwulung,5,Jl. Lima\n"
    )
    for laptop in (world.laptop, second):
        laptop.ok("area", "import", csv)
        bundle = Path(world.export(laptop)["written"])
        district.ok("district", "merge", bundle)
        fingerprint = laptop.identity()["fingerprint"]
        district.ok("district", "devices", "approve", fingerprint)
    [found] = [f for f in district.json("district", "findings") if f["kind"] == "duplicate_tps"]
    listed = district.ok("district", "findings").stdout
    assert "two TPS with one number" in listed and "TPS number 5" in listed
    assert "--set number=N" in listed
    written = district.ok("district", "setup-file", KEL_A, "--out", world.usb).stdout
    assert "1 TPS was left out" in written and found["id"][:12] in written
    keep = max(found["rows"])
    district.refused("district", "findings", "resolve", found["id"][:12], "--keep", "zz",
                     "--set", "number=6", says="names no single TPS")  # fmt: skip
    # The start of the TPS id is enough, as for officers and findings.
    district.ok("district", "findings", "resolve", found["id"][:12], "--keep", keep[:8],
                "--set", "number=6")  # fmt: skip
    assert [f for f in district.json("district", "findings") if f["kind"] == "duplicate_tps"] == []
    written = district.ok("district", "setup-file", KEL_A, "--out", world.usb).stdout
    assert "left out" not in written


def test_a_laptop_store_put_back_to_an_older_copy_through_the_command_line(world: World) -> None:
    """SECURITY 30 end to end, as tried by hand: the older copy types other officers under the
    numbers the lost changes had; the district refuses that bundle as a rollback (exit 1) and
    says so; the receipt gives the laptop a new identity; once approved, everything it holds
    arrives, and the officers of the lost timeline stay at the district."""
    district, laptop, usb = world.district, world.laptop, world.usb
    add_officer(world, laptop, nik="3573054101800001", name="Siti Rahayu")
    first = Path(world.export()["written"])
    district.ok("district", "merge", first)
    district.ok("district", "devices", "approve", world.laptop_fp)
    older = laptop.path.read_bytes()
    add_officer(world, laptop, nik="3573051503850002", name="Budi Lost", tps=f"{KEL_A}/1")
    district.ok("district", "merge", Path(world.export()["written"]))
    laptop.path.write_bytes(older)  # the older copy put back in place
    add_officer(world, laptop, nik="3573052207900003", name="Agus Baru", tps=f"{KEL_A}/1")
    again = Path(world.export()["written"])
    refused = district.run("district", "merge", again)
    assert refused.exit_code == 1 and "older copy" in refused.stderr
    assert any(f["kind"] == "rollback" for f in district.json("district", "findings"))
    district.ok("district", "receipt", world.laptop_fp, "--out", usb / "r.tpsr")
    imported = laptop.ok("receipt", "import", usb / "r.tpsr").stdout
    assert "imported." in imported and "up to 0" not in imported
    assert "new identity" in imported
    new_fp = laptop.identity()["fingerprint"]
    assert new_fp != world.laptop_fp
    fresh = Path(world.export()["written"])
    district.ok("district", "merge", fresh)  # a new laptop: it waits
    district.ok("district", "devices", "approve", new_fp)
    names = {o["name"] for o in district.officers()}
    assert {"Siti Rahayu", "Budi Lost", "Agus Baru"} <= names


def test_demo_on_laptops_of_two_kelurahan_makes_different_people(world: World) -> None:
    """Seen when trying three laptops: `demo` made the same people on every laptop, so every
    demo officer was a duplicate finding at the district. An enrolled laptop's area now
    seeds it (the same people each time for one area; `--seed` still chooses)."""
    made = world.district.json("district", "setup-file", KEL_B, "--out", world.usb)
    other = Desk(world.runner, world.tmp / "laptop_b" / "field.store")
    other.ok("init")
    other.ok("enroll", made["path"], "--fingerprint", world.district_fp)
    world.laptop.ok("demo", "--officers", "5")
    other.ok("demo", "--officers", "5")
    mine = {o["nik"] for o in world.laptop.officers()}
    theirs = {o["nik"] for o in other.officers()}
    assert len(mine) == len(theirs) == 5 and not mine & theirs
