"""`district findings` and `findings resolve` through the command line: short unique prefixes
for finding and officer ids, conflicting versions listed with numbers and picked by number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tests.factories import BACKENDS, backend_url

from tpsdesk.cli import main
from tpsdesk.sync import district
from tpsdesk.sync.district_models import FindingKind, ensure_district_tables
from tpsdesk.sync.merge import merge_bundle

from .conftest import (
    MERGE_PASSPHRASE,
    approved_laptop,
    load_area,
    make_bundle,
    make_store,
    officer_row,
    valid_nik,
)


class Office:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.runner = CliRunner(
            env={"TPSDESK_PASSPHRASE": MERGE_PASSPHRASE, "TPSDESK_LANG": None},
        )

    def run(self, *args: str) -> Result:
        result = self.runner.invoke(main, ["--lang", "en", "--store", str(self.path), *args])
        assert "Traceback" not in result.output
        return result

    def findings(self) -> list[dict[str, Any]]:
        result = self.run("district", "findings", "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert isinstance(data, list)
        return data


@pytest.fixture(params=BACKENDS)
def office(tmp_path: Path, request: pytest.FixtureRequest) -> Office:
    """A district store with one conflict (two laptops renamed one officer) and one duplicate
    NIK (two officers), closed so that the command line can open it; on SQLite and on
    PostgreSQL."""
    path = tmp_path / "district" / "tpsdesk.store"
    store = make_store(path, "district", backend_url(request))
    try:
        ensure_district_tables(store)
        tps = load_area(store)
        a, key_a = approved_laptop(store)
        b, key_b = approved_laptop(store)
        v1 = officer_row(device=a, counter=1, tps_id=tps["a1"])
        row_id, nik = v1["values"]["id"], v1["values"]["nik"]
        twin_nik = valid_nik(serial=4242)
        one = officer_row(device=a, counter=2, tps_id=tps["a1"], nik=twin_nik, name="SITI")
        two = officer_row(device=a, counter=3, tps_id=tps["a2"], nik=twin_nik, name="SITI A")
        merge_bundle(store, make_bundle(a, key_a, [v1, one, two]))
        common = {"row_id": row_id, "nik": nik, "tps_id": tps["a1"], "base": (a, 1)}
        edit_a = officer_row(device=a, counter=4, name="BUDI A", **common)
        edit_b = officer_row(device=b, counter=5, name="BUDI B", **common)
        merge_bundle(store, make_bundle(a, key_a, [edit_a], seq_from=4))
        merge_bundle(store, make_bundle(b, key_b, [edit_b]))
        assert len(district.list_findings(store, kind=FindingKind.CONFLICT)) == 1
        assert len(district.list_findings(store, kind=FindingKind.DUPLICATE_NIK)) == 1
    finally:
        store.close()
    return Office(path)


def _of_kind(office: Office, kind: str) -> dict[str, Any]:
    [finding] = [f for f in office.findings() if f["kind"] == kind]
    return finding


def test_conflicting_versions_are_listed_with_numbers_and_kept_by_number(
    office: Office,
) -> None:
    conflict = _of_kind(office, "conflict")
    versions = conflict["versions"]
    assert [v["number"] for v in versions] == [1, 2]
    names = {v["values"]["name"] for v in versions}
    assert names == {"BUDI A", "BUDI B"}
    assert all(set(v["values"]) == {"name"} for v in versions)  # only what differs
    listed = office.run("district", "findings").stdout
    for v in versions:
        assert f"version {v['number']} ({v['version']}): name={v['values']['name']}" in listed
    assert "--keep NUMBER" in listed

    wanted = next(v for v in versions if v["values"]["name"] == "BUDI B")
    short = conflict["id"][:6]
    beyond = office.run("district", "findings", "resolve", short, "--keep", "3")
    assert beyond.exit_code == 1 and "no version 3" in beyond.stderr
    resolved = office.run("district", "findings", "resolve", short, "--keep", str(wanted["number"]))
    assert resolved.exit_code == 0, resolved.output
    store_officers = office.run("officers", "list", "--json")
    names_now = {o["name"] for o in json.loads(store_officers.stdout)}
    assert "BUDI B" in names_now and "BUDI A" not in names_now


def test_the_device_counter_form_still_works(office: Office) -> None:
    conflict = _of_kind(office, "conflict")
    version = conflict["versions"][0]["version"]
    result = office.run("district", "findings", "resolve", conflict["id"], "--keep", version)
    assert result.exit_code == 0, result.output


def test_finding_and_officer_id_prefixes(office: Office) -> None:
    duplicate = _of_kind(office, "duplicate_nik")
    # Unknown finding prefix.
    unknown = office.run("district", "findings", "resolve", "zzz", "--keep-both")
    assert unknown.exit_code == 1 and "No finding starts with zzz" in unknown.stderr
    # Officer ids: unknown prefix, then a unique one.
    keep, other = duplicate["rows"]
    wrong = office.run("district", "findings", "resolve", duplicate["id"][:8], "--keep", "zz")
    assert wrong.exit_code == 1
    assert "No officer of this finding starts with zz" in wrong.stderr
    assert keep in wrong.stderr and other in wrong.stderr
    length = next(n for n in range(1, 37) if keep[:n] != other[:n])
    resolved = office.run(
        "district", "findings", "resolve", duplicate["id"][:8], "--keep", keep[:length].upper()
    )
    assert resolved.exit_code == 0, resolved.output
    gone = [o for o in json.loads(office.run("officers", "list", "--json").stdout)
            if o["id"] == other]  # fmt: skip
    assert gone == []


def test_ambiguous_prefixes_are_refused_listing_the_candidates(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real ids are random hex: two that share their start are made here by renaming.
    from dataclasses import dataclass

    duplicate = _of_kind(office, "duplicate_nik")

    @dataclass
    class Fake:
        id: str
        kind: str = "conflict"

    fakes = [Fake("abc1" + "0" * 20), Fake("abc2" + "0" * 20)]
    real = district.list_findings
    monkeypatch.setattr(district, "list_findings", lambda store, **kw: fakes)
    ambiguous = office.run("district", "findings", "resolve", "ABC", "--keep-both")
    assert ambiguous.exit_code == 1 and "More than one finding starts with ABC" in ambiguous.stderr
    assert "abc100000000" in ambiguous.stderr and "abc200000000" in ambiguous.stderr
    monkeypatch.setattr(district, "list_findings", real)
    monkeypatch.setattr(district, "finding_rows", lambda finding: ["abc123", "abd456"])
    officers = office.run("district", "findings", "resolve", duplicate["id"][:8], "--keep", "ab")
    assert officers.exit_code == 1
    assert "More than one officer of this finding starts with ab" in officers.stderr
    assert "abc123" in officers.stderr and "abd456" in officers.stderr
