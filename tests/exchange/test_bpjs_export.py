"""The BPJS enrolment sheet, read back with openpyxl and with calamine."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sqlmodel import update

from tpsdesk.domain.pay import PaySettings, WageBasis
from tpsdesk.exchange import bpjs_export
from tpsdesk.exchange.bpjs_export import (
    BpjsTemplate,
    ExclusionKind,
    TemplateError,
    default_template,
    export_bpjs,
    load_template,
    save_template_setting,
    store_template,
    template_from_dict,
)
from tpsdesk.exchange.xlsx_writer import ExportError, SheetWriter
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer, OfficerStatus
from tpsdesk.store.officers import delete_officer, set_status
from tpsdesk.store.pay_settings import save_pay_settings, set_duty_period

from .export_helpers import KEC, TODAY, add, make_area

HEADINGS = [
    "NAMA", "HP", "EMAIL", "TEMPAT_LAHIR", "TGL_LAHIR", "NAMA_IBU_KANDUNG", "JENIS_IDENTITAS",
    "NOMOR_IDENTITAS", "JENIS_KELAMIN", "STATUS_KAWIN", "UPAH", "ALAMAT", "KODE_POS",
    "LOKASI_PEKERJAAN", "TGL_MULAI", "TGL_SELESAI",
]  # fmt: skip


OPTIONAL = {"HP", "EMAIL", "NAMA_IBU_KANDUNG", "STATUS_KAWIN", "KODE_POS"}


def rows_openpyxl(path: Path, sheet: str = "data_tk_baru") -> list[list[object]]:
    workbook = openpyxl.load_workbook(path)
    return [[cell.value for cell in row] for row in workbook[sheet].iter_rows()]


def rows_calamine(path: Path, sheet: str = "data_tk_baru") -> list[list[object]]:
    workbook = CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_name(sheet).to_python()


def leftover(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("test.store"))


def test_default_template_has_the_bpjs_columns() -> None:
    template = default_template()
    assert template.sheet == "data_tk_baru"
    assert template.max_rows == 10_000
    assert [c.heading for c in template.columns] == HEADINGS
    identity = next(c for c in template.columns if c.heading == "JENIS_IDENTITAS")
    assert identity.source is None and identity.constant == "KTP"


def test_xlsx_every_cell_is_text_and_nik_intact(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    chair = add(store, "kpps_ketua", tps_id=tps[1], seed=1, name="BUDI SANTOSO", sex=_male())
    add(store, "linmas", tps_id=tps[2], seed=2, marital_status="Y", mother_name="SRI WAHYUNI")
    out = tmp_path / "bpjs.xlsx"
    result = export_bpjs(store, out, today=TODAY)
    assert result.exported == 2 and result.excluded == ()
    assert result.data_files == (out,) and result.files == (out,)

    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames[0] == "data_tk_baru"
    sheet = workbook["data_tk_baru"]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == HEADINGS
    for row in rows:
        for cell in row:
            assert cell.data_type in ("s", "inlineStr")  # string cells (empty: inline)
            assert cell.number_format == "@"
            # An empty optional value is an empty Text cell (read back as None).
            assert isinstance(cell.value, str) or (
                cell.value is None and HEADINGS[cell.column - 1] in OPTIONAL
            )
    values = [dict(zip(HEADINGS, (c.value for c in row), strict=True)) for row in rows[1:]]
    first = values[0]
    assert first["NOMOR_IDENTITAS"] == chair.nik and len(chair.nik) == 16
    assert first["TGL_LAHIR"] == "09-03-1985"
    assert first["JENIS_KELAMIN"] == "L"
    assert first["JENIS_IDENTITAS"] == "KTP"
    assert first["UPAH"] == "900000"
    assert first["TGL_MULAI"] == "07-11-2024" and first["TGL_SELESAI"] == "08-12-2024"
    assert first["LOKASI_PEKERJAAN"] == "TPS 001, Dinoyo, Lowokwaru"
    assert first["HP"] == "081234567890"
    assert values[1]["STATUS_KAWIN"] == "Y"
    assert values[1]["NAMA_IBU_KANDUNG"] == "SRI WAHYUNI"
    assert values[1]["JENIS_KELAMIN"] == "P"
    # Only the heading and the rows: nothing else on BPJS's sheet.
    assert sheet.max_row == 3

    # An independent reader sees the same text (no float NIK, no date cells).
    calamine = rows_calamine(out)
    assert calamine[1][HEADINGS.index("NOMOR_IDENTITAS")] == chair.nik
    assert calamine[1][HEADINGS.index("TGL_LAHIR")] == "09-03-1985"
    assert all(isinstance(v, str) for row in calamine for v in row)
    # The settings used are printed in their own sheet.
    settings = dict((r[0], r[1]) for r in rows_openpyxl(out, "Settings")[1:])
    assert settings["JKK + JKM"] == "0.54 %"
    assert settings["Honorarium Ketua KPPS"] == "Rp900,000"
    assert settings["Duty period Ketua KPPS"] == "07-11-2024 – 08-12-2024"


def _male():  # type: ignore[no-untyped-def]
    from tpsdesk.domain.problems import Sex

    return Sex.MALE


def test_excluded_officers_are_listed_with_reasons(store: Store, tmp_path: Path) -> None:
    from tpsdesk.sync.district_models import Finding, ensure_district_tables

    tps = make_area(store)
    ok = add(store, "kpps_anggota", tps_id=tps[1], seed=1)
    fix = add(store, "kpps_anggota", tps_id=tps[1], seed=2)
    set_status(store, fix.id, OfficerStatus.NEEDS_FIX, "Nama tidak sesuai KTP")
    add(store, "kpps_anggota", tps_id=tps[1], seed=3, status=OfficerStatus.DRAFT)
    enrolled = add(store, "kpps_anggota", tps_id=tps[1], seed=4)
    with store.transaction() as session:
        session.execute(
            update(Officer).where(Officer.id == enrolled.id).values(bpjs_number="24012345678")
        )
    dup = add(store, "kpps_anggota", tps_id=tps[2], seed=5)
    ensure_district_tables(store)
    with store.transaction() as session:
        session.add(Finding(id="f1", key="k1", kind="duplicate_nik", row_ids=json.dumps([dup.id])))
    bad_date = add(store, "kpps_anggota", tps_id=tps[2], seed=6)
    with store.transaction() as session:  # a birth date the NIK contradicts
        session.execute(
            update(Officer).where(Officer.id == bad_date.id).values(birth_date=date(1986, 3, 9))
        )
    add(store, "panwascam", kecamatan_code=KEC, seed=7)  # no duty period anywhere
    add(store, "ptps", tps_id=tps[3], seed=8)  # no honorarium for PTPS
    gone = add(store, "kpps_anggota", tps_id=tps[3], seed=9)
    delete_officer(store, gone.id)

    out = tmp_path / "bpjs.xlsx"
    result = export_bpjs(store, out, today=TODAY)
    assert result.exported == 1
    kinds = {e.officer_id: e.kind for e in result.excluded}
    assert gone.id not in kinds  # deleted officers are simply absent
    assert kinds[fix.id] == ExclusionKind.NEEDS_FIX
    assert kinds[enrolled.id] == ExclusionKind.ENROLLED
    assert kinds[dup.id] == ExclusionKind.FINDING
    assert kinds[bad_date.id] == ExclusionKind.INVALID
    assert sorted(result.excluded_by_kind().items()) == sorted(
        {
            ExclusionKind.NEEDS_FIX: 1,
            ExclusionKind.DRAFT: 1,
            ExclusionKind.ENROLLED: 1,
            ExclusionKind.FINDING: 1,
            ExclusionKind.INVALID: 1,
            ExclusionKind.NO_DUTY_PERIOD: 1,
            ExclusionKind.NO_WAGE: 1,
        }.items()
    )
    data = rows_openpyxl(out)
    assert [row[HEADINGS.index("NOMOR_IDENTITAS")] for row in data[1:]] == [ok.nik]
    left_out = rows_openpyxl(out, "Not exported")
    assert left_out[0][-1] == "Why it is left out"
    reasons = {row[0]: row[-1] for row in left_out[1:]}
    assert reasons[fix.nik] == "Needs fixing: Nama tidak sesuai KTP"
    assert "Already enrolled" in str(reasons[enrolled.nik])
    assert "same NIK" in str(reasons[dup.nik])
    assert "Date of birth" in str(reasons[bad_date.nik])
    assert any("No honorarium is set for the post PTPS" in str(r) for r in reasons.values())
    assert any("No duty period" in str(r) for r in reasons.values())
    assert len(left_out) == 1 + 7


def test_csv_with_side_files(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    officer = add(store, "kpps_ketua", tps_id=tps[1])
    add(store, "ptps", tps_id=tps[1], seed=2)
    out = tmp_path / "bpjs.csv"
    result = export_bpjs(store, out, today=TODAY)
    assert result.files == (
        out,
        tmp_path / "bpjs-excluded.csv",
        tmp_path / "bpjs-settings.csv",
        tmp_path / "bpjs-missing-mother.csv",  # the officer without a mother's name
    )
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == HEADINGS
    assert rows[1][HEADINGS.index("NOMOR_IDENTITAS")] == officer.nik
    assert rows[1][HEADINGS.index("TGL_LAHIR")] == "09-03-1985"
    with (tmp_path / "bpjs-excluded.csv").open(encoding="utf-8-sig", newline="") as handle:
        excluded = list(csv.reader(handle))
    assert len(excluded) == 2 and "PTPS" in excluded[1][-1]


def test_more_officers_than_a_file_holds_give_numbered_files(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    niks = [add(store, "kpps_anggota", tps_id=tps[1 + i % 3], seed=i).nik for i in range(7)]
    out = tmp_path / "bpjs.xlsx"
    result = export_bpjs(store, out, today=TODAY, max_rows=3)
    names = [p.name for p in result.files]
    assert names == ["bpjs-1.xlsx", "bpjs-2.xlsx", "bpjs-3.xlsx"]
    counts = [len(rows_calamine(p)) - 1 for p in result.files]
    assert counts == [3, 3, 1]
    column = HEADINGS.index("NOMOR_IDENTITAS")
    seen = [r[column] for p in result.files for r in rows_calamine(p)[1:]]
    assert sorted(seen) == sorted(niks)
    assert not out.exists()
    settings = dict((r[0], r[1]) for r in rows_openpyxl(result.files[1], "Settings")[1:])
    assert settings["File"] == "2 of 3"


@pytest.mark.slow
def test_ten_thousand_and_one_officers_make_two_files(store: Store, tmp_path: Path) -> None:
    from tpsdesk.exchange.demo import fill_demo

    summary = fill_demo(store, 10_001, rng_seed=7)
    assert summary.added == 10_001
    # The demo judged Panwascam ages on its own "today"; a period late in 2024 keeps them valid.
    set_duty_period(store, "panwascam", date(2024, 11, 1), date(2024, 12, 31))
    save_pay_settings(store, PaySettings(basis=WageBasis.UMP, amount=Decimal("2165244.30")))
    result = export_bpjs(store, tmp_path / "all.xlsx")  # its speed: benchmarks/export_sheet.py
    assert [p.name for p in result.data_files] == ["all-1.xlsx", "all-2.xlsx"]
    assert result.exported == 10_001, result.excluded_by_kind()
    first = rows_calamine(result.data_files[0])
    second = rows_calamine(result.data_files[1])
    assert len(first) == 10_001 and len(second) == 2  # heading + rows
    column = HEADINGS.index("NOMOR_IDENTITAS")
    assert all(len(row[column]) == 16 and row[column].isdigit() for row in first[1:])
    assert {row[HEADINGS.index("UPAH")] for row in first[1:]} == {"2165244"}


def test_failure_mid_write_leaves_no_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tps = make_area(store)
    for i in range(5):
        add(store, "kpps_anggota", tps_id=tps[1], seed=i)
    original = SheetWriter.text_row
    calls = 0

    def failing(self: SheetWriter, values: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError(28, "No space left on device")
        original(self, values)  # type: ignore[arg-type]

    monkeypatch.setattr(SheetWriter, "text_row", failing)
    with pytest.raises(OSError):
        export_bpjs(store, tmp_path / "bpjs.xlsx", today=TODAY, max_rows=2)
    assert leftover(tmp_path) == []


def test_existing_file_is_kept_unless_force(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    add(store, "kpps_anggota", tps_id=tps[1])
    out = tmp_path / "bpjs.xlsx"
    out.write_text("mine")
    with pytest.raises(ExportError, match="already exists"):
        export_bpjs(store, out, today=TODAY)
    assert out.read_text() == "mine"
    export_bpjs(store, out, today=TODAY, force=True)
    assert rows_calamine(out)[0] == HEADINGS


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing/bpjs.xlsx", "does not exist"), ("bpjs.ods", "unknown file type")],
)
def test_bad_output_paths(store: Store, tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        export_bpjs(store, tmp_path / name)


def test_no_officers(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no officers"):
        export_bpjs(store, tmp_path / "bpjs.xlsx")
    tps = make_area(store)
    add(store, "ptps", tps_id=tps[1])
    with pytest.raises(ExportError, match="No officer can be exported"):
        export_bpjs(store, tmp_path / "bpjs.xlsx", today=TODAY)
    assert leftover(tmp_path) == []


def test_template_replaced(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    officer = add(store, "kpps_anggota", tps_id=tps[1])
    path = tmp_path / "template.json"
    path.write_text(
        json.dumps(
            {
                "sheet": "data_tk_baru",
                "columns": [
                    {"heading": "NIK", "source": "nik", "required": True},
                    {"heading": "NAMA_LENGKAP", "source": "name"},
                    {"heading": "JABATAN", "source": "post"},
                    {"heading": "KELURAHAN", "source": "kelurahan"},
                    {"heading": "PROGRAM", "constant": "JKK-JKM"},
                    {"heading": "EMAIL", "source": "email", "required": True},
                ],
            }
        )
    )
    template = load_template(path)
    # A required e-mail that nobody has: the officer is left out with that reason.
    with pytest.raises(ExportError, match="No officer can be exported"):
        export_bpjs(store, tmp_path / "a.xlsx", template=template, today=TODAY)
    path.write_text(path.read_text().replace('"required": true}]', '"required": false}]'))
    result = export_bpjs(store, tmp_path / "a.xlsx", template=load_template(path), today=TODAY)
    assert result.exported == 1
    assert rows_calamine(tmp_path / "a.xlsx") == [
        ["NIK", "NAMA_LENGKAP", "JABATAN", "KELURAHAN", "PROGRAM", "EMAIL"],
        [officer.nik, "SITI RAHAYU", "Anggota KPPS", "Dinoyo", "JKK-JKM", ""],
    ]
    # Kept in the store, later exports use it.
    save_template_setting(store, load_template(path))
    assert store_template(store).columns[0].heading == "NIK"
    save_template_setting(store, None)
    assert store_template(store).columns == default_template().columns


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON: line 1"),
        ('{"columns": []}', "columns: must be a non-empty list"),
        ('{"columns": [{"heading": "A", "source": "salary"}]}', "column 1 \\(A\\): unknown source"),
        ('{"columns": [{"heading": "A"}]}', "column 1 \\(A\\): give either a source"),
        (
            '{"columns": [{"heading": "A", "source": "nik"}, {"heading": "A", "source": "name"}]}',
            "column 2 \\(A\\): the heading appears twice",
        ),
        ('{"columns": [{"heading": "A", "source": "nik", "required": "yes"}]}', "required"),
        ('{"max_rows": 0, "columns": [{"heading": "A", "source": "nik"}]}', "max_rows"),
        ('{"colour": 1, "columns": [{"heading": "A", "source": "nik"}]}', "colour: unknown key"),
        ('["A"]', "must be a JSON object"),
    ],
)
def test_malformed_templates_name_file_and_entry(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(TemplateError, match=message) as caught:
        load_template(path)
    assert str(path) in caught.value.message


def test_unreadable_template(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="Could not read the BPJS template"):
        load_template(tmp_path / "missing.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TemplateError, match="not UTF-8"):
        load_template(tmp_path / "bin.json")


def test_template_round_trips() -> None:
    template = default_template()
    again = template_from_dict(template.to_dict(), "copy")
    assert again.columns == template.columns and isinstance(again, BpjsTemplate)


def test_progress_is_reported(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    add(store, "kpps_anggota", tps_id=tps[1])
    calls: list[tuple[int, int]] = []
    export_bpjs(store, tmp_path / "p.csv", today=TODAY, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (2, 2)


def test_module_names_the_upload_limit() -> None:
    assert bpjs_export.BPJS_MAX_ROWS == 10_000
