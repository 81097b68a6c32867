"""Terminal printouts escape what they print (SECURITY 28): stored text from an old store (or
another laptop's merge), and text from files, never reaches the terminal as ESC, CR, BEL or
U+202E. The hostile rows are written straight into the stores, as legacy data would be."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tpsdesk.store.db import Store

from . import test_cli_flow
from .conftest import PASSPHRASE
from .test_cli_flow import World

world = test_cli_flow.world  # the fixture: a district and an enrolled laptop

HOSTILE = "SITI\r\x1b[2J\x07AMINAH\u202e"
RAW = ("\r", "\x1b", "\x07", "\u202e")


def _sql(world: World, path: Path, statement: str, **params: Any) -> None:
    store = Store.open(path, world.passphrase)
    try:
        with store.transaction() as session:
            session.connection().execute(text(statement), params)
    finally:
        store.close()


def _clean(output: str) -> None:
    for ch in RAW:
        assert ch not in output, repr(output)


def test_officers_list_escapes_stored_text(world: World) -> None:
    laptop = world.laptop
    laptop.ok("demo", "--officers", "2")
    _sql(world, laptop.path, "UPDATE officer SET name = :name", name=HOSTILE)
    shown = laptop.ok("officers", "list").stdout
    _clean(shown)
    assert "SITI\\r\\x1b[2J\\x07AMINAH\\u202e"[:27] in shown  # cut to the column's width
    listed = laptop.ok("officers", "list", "--json").stdout
    _clean(listed)
    assert {o["name"] for o in json.loads(listed)} == {HOSTILE}  # JSON escapes, same data


def test_findings_and_devices_escape_stored_text(world: World) -> None:
    district, laptop = world.district, world.laptop
    laptop.ok("demo", "--officers", "2")
    bundle = Path(world.export()["written"])
    district.ok("district", "merge", bundle)
    district.ok("district", "devices", "approve", world.laptop_fp)
    ids = [o["id"] for o in district.json("officers", "list")]
    _sql(world, district.path, "UPDATE officer SET name = :name", name=HOSTILE)
    _sql(
        world,
        district.path,
        "INSERT INTO sync_finding (id, key, kind, status, table_name, row_ids, details, "
        "resolution, created_at, resolved_by) VALUES (:id, :key, 'duplicate_nik', 'open', "
        "'officer', :rows, '{}', '', '2024-10-01 00:00:00.000000', '')",
        id=uuid.uuid4().hex,
        key="hostile",
        rows=json.dumps(ids),
    )
    _sql(world, district.path, "UPDATE sync_device SET area_code = :area, label = :label",
         area="35.73\r\x1b[1A", label=HOSTILE)  # fmt: skip
    findings = district.ok("district", "findings").stdout
    _clean(findings)
    assert findings.count("SITI\\r\\x1b[2J\\x07AMINAH\\u202e") == 2
    devices = district.ok("district", "devices").stdout
    _clean(devices)
    assert "35.73\\r\\x1b[1A" in devices and "SITI\\r\\x1b[2J" in devices
    _clean(district.ok("district", "devices", "--json").stdout)
    _clean(district.ok("district", "findings", "--json").stdout)


def test_merge_escapes_a_file_name(world: World) -> None:
    hostile = world.tmp / "evil\r\x1b[2Jname.tpsb"
    hostile.write_bytes(b"not a tpsdesk file")
    result = world.district.run("district", "merge", hostile)
    assert result.exit_code == 1
    _clean(result.output)
    assert "evil\\r\\x1b[2Jname.tpsb" in result.stderr


def test_inspect_escapes_header_text(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Headers are checked when read (sync.container); the printout does not rely on it.
    import tpsdesk.sync.container as container

    monkeypatch.setattr(container, "describe_header", lambda _h, **_kw: [("District", HOSTILE)])
    result = world.laptop.ok("bundle", "inspect", world.setup)
    _clean(result.stdout)
    assert "District  SITI\\r\\x1b[2J\\x07AMINAH\\u202e" in result.stdout


def test_refusal_messages_are_escaped(world: World) -> None:
    refused = world.laptop.run("officers", "list", "--tps", "35.73.05.1001\r\x1b[2J/1")
    assert refused.exit_code == 1
    _clean(refused.output)


# -- exports (SECURITY 29) ------------------------------------------------------------------


def _legacy_store(runner: CliRunner, store_path: Path) -> None:
    from tpsdesk.cli import main

    assert runner.invoke(main, ["init"]).exit_code == 0
    assert runner.invoke(main, ["demo", "--officers", "5"]).exit_code == 0
    store = Store.open(store_path, PASSPHRASE)
    try:
        with store.transaction() as session:
            first = session.connection().execute(text("SELECT min(id) FROM officer")).scalar()
            session.connection().execute(
                text("UPDATE officer SET address = :a WHERE id = :id"),
                {"a": "Jl. RAHASIA\x1b[2J No. 5", "id": first},
            )
    finally:
        store.close()


def test_export_bpjs_with_an_escape_in_an_address(
    runner: CliRunner, store_path: Path, tmp_path: Path
) -> None:
    # Before: IllegalCharacterError and a traceback that printed the address.
    from tpsdesk.cli import main

    _legacy_store(runner, store_path)
    for name in ("bpjs.xlsx", "bpjs.csv"):
        result = runner.invoke(
            main, ["--lang", "en", "export", "bpjs", "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output and "RAHASIA" not in result.output
        assert "fails validation" in result.stderr  # the officer is left out, with why


def test_a_failed_export_prints_no_personal_data(
    runner: CliRunner, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpsdesk.cli import main
    from tpsdesk.exchange import bpjs_export

    _legacy_store(runner, store_path)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("Jl. RAHASIA No. 5, SITI")

    monkeypatch.setattr(bpjs_export, "export_bpjs", broken)
    out = tmp_path / "bpjs.xlsx"
    result = runner.invoke(main, ["--lang", "en", "export", "bpjs", "--out", str(out)])
    assert result.exit_code == 1
    assert "RAHASIA" not in result.output and "Traceback" not in result.output
    assert f"The export to {out} failed (ValueError); nothing was written." in result.stderr
    assert not out.exists()
