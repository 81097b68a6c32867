"""`tpsdesk officers import` and `tpsdesk area import` with XLSX, against real stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from tpsdesk.cli import main
from tpsdesk.exchange import officer_sheet
from tpsdesk.exchange.sheet_reader import CFB_MAGIC
from tpsdesk.i18n import set_language

AREA_HEADER = ["kecamatan_code", "kecamatan_name", "kelurahan_code", "kelurahan_name",
               "tps_number", "tps_address"]  # fmt: skip
HEADER = ["No", "NIK", "Nama Lengkap", "Tempat, Tanggal Lahir", "L/P", "Alamat", "No HP",
          "Jabatan", "TPS", "Kel/Desa"]  # fmt: skip


@pytest.fixture(autouse=True)
def _reset_language() -> Any:
    yield
    set_language("en")


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["--lang", "en", *args], catch_exceptions=False)


def xlsx(path: Path, rows: list[list[Any]], title: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.append([title])
        ws.merge_cells("A1:H1")
        ws.append([])
    for values in rows:
        ws.append(values)
    wb.save(path)
    return path


def officer(n: int, nik: Any = None, **changes: Any) -> list[Any]:
    values = [n, nik or f"35730517088{n:05d}", "BUDI SANTOSO", "Malang, 17 Agustus 1980", "L",
              "Jl. Mawar 1", "081234567890", "Anggota KPPS", 1, "Tlogomas"]  # fmt: skip
    for index, value in changes.items():
        values[int(index.removeprefix("c"))] = value
    return values


@pytest.fixture
def ready(runner: CliRunner, tmp_path: Path) -> CliRunner:
    """A store with an area imported from an XLSX: two kelurahan, three TPS."""
    assert run(runner, "init").exit_code == 0
    area = xlsx(
        tmp_path / "area.xlsx",
        [
            AREA_HEADER,
            ["35.73.05", "Lowokwaru", "35.73.05.1001", "Tlogomas", 1, "Jl. Raya"],
            ["35.73.05", "Lowokwaru", "35.73.05.1001", "Tlogomas", 2, None],
            ["35.73.05", "Lowokwaru", 3573051002, "Dinoyo", "001", None],
        ],
    )
    result = run(runner, "area", "import", str(area))
    assert result.exit_code == 0, result.output
    assert "1 new kecamatan, 2 new kelurahan, 3 new TPS" in result.stdout
    return runner


def officers_listed(runner: CliRunner) -> list[dict[str, Any]]:
    result = run(runner, "officers", "list", "--json")
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def test_area_import_xlsx_problems_name_rows(runner: CliRunner, tmp_path: Path) -> None:
    assert run(runner, "init").exit_code == 0
    bad = xlsx(
        tmp_path / "area.xlsx",
        [AREA_HEADER, ["35.73.05", "Lowokwaru", "35.73.05.1001", "Tlogomas", "x", None]],
    )
    result = run(runner, "area", "import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("Row 2, column E (tps_number):")
    assert "Nothing was imported" in result.stderr
    old = tmp_path / "area.xls"
    old.write_bytes(CFB_MAGIC + b"junk" * 20)
    result = run(runner, "area", "import", str(old))
    assert result.exit_code == 1
    assert "area.xls cannot be read as an old Excel file (.xls)" in result.stderr


def test_dry_run_then_import_then_again(ready: CliRunner, tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "petugas.xlsx",
        [HEADER, officer(1), officer(2, c8="2"), officer(3, c9="35.73.05.1002")],
        title="DAFTAR PETUGAS KPPS KELURAHAN TLOGOMAS",
    )
    dry = run(ready, "officers", "import", "--dry-run", str(path))
    assert dry.exit_code == 0, dry.output
    assert "petugas.xlsx, sheet “Sheet”: header on row 3" in dry.stdout
    assert "B  NIK → NIK [nik]" in dry.stdout
    assert "D  Tempat, Tanggal Lahir → Place and date of birth [birth_place_date]" in dry.stdout
    assert "A  No → (ignored)" in dry.stdout
    assert "Rows: 3 new, 0 updated, 0 unchanged, 0 invalid" in dry.stdout
    assert "Dry run: nothing was written." in dry.stdout
    assert "BUDI" not in dry.stdout and "3573051708800001" not in dry.stdout
    assert officers_listed(ready) == []

    done = run(ready, "officers", "import", str(path))
    assert done.exit_code == 0, done.output
    assert "Imported: 3 new, 0 updated." in done.stdout
    listed = officers_listed(ready)
    assert sorted((o["tps"], o["birth_date"]) for o in listed) == [
        ("35.73.05.1001/001", "1980-08-17"),
        ("35.73.05.1001/002", "1980-08-17"),
        ("35.73.05.1002/001", "1980-08-17"),
    ]

    again = run(ready, "officers", "import", str(path))
    assert again.exit_code == 0
    assert "Rows: 0 new, 0 updated, 3 unchanged, 0 invalid" in again.stdout
    assert "Nothing was written" in again.stdout
    assert officers_listed(ready) == listed


def test_invalid_rows_are_listed_valid_ones_imported_exit_1(
    ready: CliRunner, tmp_path: Path
) -> None:
    path = xlsx(
        tmp_path / "petugas.xlsx",
        [
            HEADER,
            officer(1),
            officer(2, nik=3573051708800010),  # a number cell: Excel lost the last digit
            officer(3, nik="3.57305E+15"),
            officer(4, c8=9),  # no TPS 9
            officer(5, nik="3573051708800001"),  # same NIK as row 2
            officer(6),
        ],
    )
    result = run(ready, "officers", "import", str(path))
    assert result.exit_code == 1
    out = result.stdout
    assert "Rows: 1 new, 0 updated, 0 unchanged, 5 invalid" in out
    assert "Imported: 1 new, 0 updated." in out
    damage = (
        "The NIK was stored as a number in Excel and lost its last digits: type it again as text"
    )
    assert f"Row 3, column B (NIK): {damage}" in out
    assert f"Row 4, column B (NIK): {damage}" in out
    assert "Row 5, column I (TPS): Kelurahan Tlogomas has no TPS 009 in the store" in out
    # Both in TPS 001 of Tlogomas: refused with the other row's post (issue 10 point 5).
    same_tps = "as Anggota KPPS in the same TPS: one person cannot be saved twice in one TPS"
    assert f"Row 2, column B (NIK): The same NIK is also on row 6 of this file, {same_tps}" in out
    assert f"Row 6, column B (NIK): The same NIK is also on row 2 of this file, {same_tps}" in out
    assert "5 rows are invalid and were not imported." in result.stderr
    assert "Traceback" not in result.output
    # Rows 2 and 6 share a NIK: neither is imported; row 7 is.
    assert [o["nik"] for o in officers_listed(ready)] == ["3573051708800006"]


def test_json_report(ready: CliRunner, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "p.xlsx", [HEADER, officer(1), officer(2, c2="")])
    result = run(ready, "officers", "import", "--dry-run", "--json", str(path))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["counts"] == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 1, "removed": 0}
    assert data["invalid"] == [
        {
            "row": 3,
            "column": "C",
            "heading": "Nama Lengkap",
            "field": "name",
            "code": "name.required",
            "severity": "error",
            "message": "Name is required",
        }
    ]
    assert data["dry_run"] is True and data["written"] is False
    assert {"letter": "B", "heading": "NIK", "field": "nik"} in data["columns"]


def test_csv_semicolon_cp1252_updates_by_nik(ready: CliRunner, tmp_path: Path) -> None:
    first = xlsx(tmp_path / "p.xlsx", [HEADER, officer(1)])
    assert run(ready, "officers", "import", str(first)).exit_code == 0
    csv_path = tmp_path / "p.csv"
    values = [str(v) for v in officer(1, c2="JOSÉ SANTOSO", c8="2")]
    csv_path.write_bytes((";".join(HEADER) + "\r\n" + ";".join(values) + "\r\n").encode("cp1252"))
    result = run(ready, "officers", "import", str(csv_path))
    assert result.exit_code == 0, result.output
    assert "p.csv: header on line 1" in result.stdout
    assert "Imported: 0 new, 1 updated." in result.stdout
    [only] = officers_listed(ready)
    assert only["name"] == "JOSÉ SANTOSO" and only["tps"] == "35.73.05.1001/002"


def test_mapping_corrected_saved_and_reused(ready: CliRunner, tmp_path: Path) -> None:
    header = list(HEADER)
    header[1] = "Nomor Kependudukan"
    path = xlsx(tmp_path / "p.xlsx", [header, officer(1)])
    refused = run(ready, "officers", "import", "--dry-run", str(path))
    assert refused.exit_code == 1 and "has no NIK column" in refused.stderr

    mapped = run(
        ready,
        "officers",
        "import",
        "--dry-run",
        "--map",
        "Nomor Kependudukan=nik",
        "--save-mapping",
        str(path),
    )
    assert mapped.exit_code == 0, mapped.output
    assert "B  Nomor Kependudukan → NIK [nik]" in mapped.stdout
    assert officers_listed(ready) == []  # a dry run writes no officer

    reused = run(ready, "officers", "import", str(path))
    assert reused.exit_code == 0, reused.output
    assert "Imported: 1 new, 0 updated." in reused.stdout

    bad = run(ready, "officers", "import", "--map", "NIK=nomor", str(path))
    assert bad.exit_code == 1 and "Unknown field “nomor”" in bad.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rahasia.xlsx", CFB_MAGIC + b"junk" * 64, "rahasia.xlsx is password protected"),
        ("lama.xls", CFB_MAGIC + b"junk" * 64, "lama.xls cannot be read as an old Excel"),
        ("laporan.xlsx", b"%PDF-1.4 junk", "laporan.xlsx is not a spreadsheet"),
        ("kosong.csv", b"", "kosong.csv: the sheet is empty"),
    ],
)
def test_bad_files_are_refused_before_the_passphrase(
    runner: CliRunner, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    # No store at all: a file that cannot be read is refused before the store is opened…
    result = run(runner, "officers", "import", str(path))
    assert result.exit_code == 1
    if name != "kosong.csv":
        assert message in result.stderr
    # …and with a store, the message is the same.
    assert run(runner, "init").exit_code == 0
    result = run(runner, "officers", "import", str(path))
    assert result.exit_code == 1 and message in result.stderr
    assert "Traceback" not in result.output


def test_too_many_rows(ready: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(officer_sheet, "MAX_DATA_ROWS", 2)
    path = xlsx(tmp_path / "big.xlsx", [HEADER, officer(1), officer(2), officer(3)])
    result = run(ready, "officers", "import", str(path))
    assert result.exit_code == 1
    assert "big.xlsx has more than 2 rows of officers" in result.stderr
    assert officers_listed(ready) == []


def test_help_documents_the_exit_status(runner: CliRunner) -> None:
    result = run(runner, "officers", "import", "--help")
    assert result.exit_code == 0
    assert "Exit status 1 if any row is invalid" in " ".join(result.stdout.split())
    for name in ("--dry-run", "--sheet", "--kelurahan", "--map", "--save-mapping", "--json"):
        assert name in result.stdout


def test_participant_numbers_from_bpjs(ready: CliRunner, tmp_path: Path) -> None:
    officers_file = xlsx(tmp_path / "petugas.xlsx", [HEADER, officer(1), officer(2)])
    assert run(ready, "officers", "import", str(officers_file)).exit_code == 0
    first, second = sorted(o["nik"] for o in officers_listed(ready))
    result_file = tmp_path / "hasil.csv"
    result_file.write_text(
        f"NIK;Nama;KPJ\n{first};BUDI;24011234567\n3573051111110001;X;24011234568\n",
        encoding="utf-8",
    )
    dry = run(ready, "district", "participants", "--dry-run", str(result_file))
    assert dry.exit_code == 1  # one row cannot be used
    assert "1 to record" in dry.stdout and "Row 3: No officer has this NIK" in dry.stderr
    assert {o["status"] for o in officers_listed(ready)} == {"ready"}

    done = json.loads(run(ready, "district", "participants", "--json", str(result_file)).stdout)
    assert (done["recorded"], len(done["problems"])) == (1, 1)
    statuses = {o["nik"]: o["status"] for o in officers_listed(ready)}
    assert statuses == {first: "enrolled", second: "ready"}
    refused = run(ready, "district", "participants", str(officers_file))
    assert refused.exit_code == 1 and "no header with a NIK column and a KPJ column" in (
        refused.stderr
    )


def test_import_on_a_store_with_no_area_says_to_set_it_up_first(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Issue 8 point 10: every row used to be listed as invalid ("no kelurahan")."""
    assert run(runner, "init").exit_code == 0
    path = xlsx(tmp_path / "petugas.xlsx", [HEADER, officer(1), officer(2)])
    result = run(runner, "officers", "import", str(path))
    assert result.exit_code == 1
    assert "This store has no area yet, so no officer can be placed" in result.stderr
    assert "tpsdesk area import FILE" in result.stderr and "setup file" in result.stderr
    assert "Invalid rows" not in result.output and "Traceback" not in result.output


def test_a_spreadsheet_past_a_limit_is_refused_with_the_limit(
    ready: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "kosong.csv"
    path.write_text("NIK;Nama\n" + "\n" * 100_001)
    result = run(ready, "officers", "import", str(path))
    assert result.exit_code == 1
    assert "more than 100,000 rows, counting the empty ones" in result.stderr


# -- issue 10 point 2: what an import changes, and NIKs the district removed ---------------------


def test_updates_name_the_fields_they_change_never_the_values(
    ready: CliRunner, tmp_path: Path
) -> None:
    first = xlsx(tmp_path / "a.xlsx", [HEADER, officer(1), officer(2)])
    assert run(ready, "officers", "import", str(first)).exit_code == 0
    # Officer 1 moves to Linmas of TPS 002 with a new phone number; officer 2 stays.
    moved = officer(1, c6="081299990000", c7="Linmas", c8="2")
    second = xlsx(tmp_path / "b.xlsx", [HEADER, moved, officer(2)])
    dry = run(ready, "officers", "import", "--dry-run", str(second))
    assert dry.exit_code == 0, dry.output
    assert "Rows: 0 new, 1 updated, 1 unchanged, 0 invalid" in dry.stdout
    assert "Updated rows (the fields that change):\n  Row 2: Post, TPS, Phone number\n" in (
        dry.stdout
    )
    assert "081299990000" not in dry.stdout and "Linmas" not in dry.stdout
    assert "BUDI" not in dry.stdout

    report = json.loads(run(ready, "officers", "import", "--dry-run", "--json", str(second)).stdout)
    assert report["updated"] == [{"row": 2, "fields": ["post_code", "tps", "phone"]}]
    assert report["counts"]["removed"] == 0 and report["removed_by_district"] == []
    assert "081299990000" not in json.dumps(report)

    done = run(ready, "officers", "import", str(second))
    assert "Imported: 0 new, 1 updated." in done.stdout
    assert "Not written: 1 unchanged, 0 invalid." in done.stdout


def test_a_nik_the_district_removed_is_skipped_unless_asked(
    ready: CliRunner, tmp_path: Path, store_path: Path
) -> None:
    from sqlmodel import select

    from tpsdesk.store.db import Store
    from tpsdesk.store.models import Officer
    from tpsdesk.sync.receipt import _adopt_tombstone

    from .conftest import PASSPHRASE

    path = xlsx(tmp_path / "a.xlsx", [HEADER, officer(1), officer(2)])
    assert run(ready, "officers", "import", str(path)).exit_code == 0
    removed_nik = officer(2)[1]
    with Store.open(store_path, PASSPHRASE) as store, store.transaction() as session:
        gone = session.exec(select(Officer).where(Officer.nik == removed_nik)).one()
        version = {
            "version_device": "district",
            "version_counter": 9,
            "base_device": gone.version_device,
            "base_counter": gone.version_counter,
        }
        assert _adopt_tombstone(gone, version, "receipt") is True  # fmt: skip
        session.add(gone)

    dry = run(ready, "officers", "import", "--dry-run", str(path))
    assert "1 removed by the district (skipped)" in dry.stdout
    assert (
        "Removed by the district as duplicates (skipped; --add-removed adds them again):\n"
        "  Rows 3\n"
    ) in dry.stdout
    assert "Warnings" not in dry.stdout  # the reason is said once, above
    report = json.loads(run(ready, "officers", "import", "--dry-run", "--json", str(path)).stdout)
    assert report["counts"]["removed"] == 1 and report["removed_by_district"] == [3]

    skipped = run(ready, "officers", "import", str(path))
    assert skipped.exit_code == 0
    assert "Rows: 0 new, 0 updated, 1 unchanged, 0 invalid, 1 removed by the district" in (
        skipped.stdout
    )
    assert "Nothing was written: no row is new or changed." in skipped.stdout
    assert [o["nik"] for o in officers_listed(ready)] == [officer(1)[1]]

    added = run(ready, "officers", "import", "--add-removed", str(path))
    assert "Imported: 1 new, 0 updated." in added.stdout
    assert sorted(o["nik"] for o in officers_listed(ready)) == [officer(1)[1], removed_nik]
