"""NAMA_IBU_KANDUNG: the setting that asks for the mother's maiden name (on by default when the
BPJS template has the column) and the export's list of officers exported without it."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from tpsdesk.exchange.bpjs_export import (
    bpjs_summary,
    default_template,
    export_bpjs,
    save_template_setting,
    template_from_dict,
)
from tpsdesk.exchange.mother_name import (
    mother_name_asked,
    mother_name_choice,
    set_mother_name_asked,
    template_asks,
)
from tpsdesk.store.db import Store

from .export_helpers import TODAY, add, make_area

WITHOUT_MOTHER = template_from_dict(
    {"columns": [{"heading": "NAMA", "source": "name"}, {"heading": "NIK", "source": "nik"}]},
    "test",
)


def test_asked_by_default_when_the_template_has_the_column(store: Store) -> None:
    assert template_asks(default_template())
    assert mother_name_choice(store) is None
    assert mother_name_asked(store)
    # A district template without the column: not asked, unless the desk says so.
    save_template_setting(store, WITHOUT_MOTHER)
    assert not mother_name_asked(store)
    set_mother_name_asked(store, True)
    assert mother_name_asked(store)
    save_template_setting(store, None)
    set_mother_name_asked(store, False)
    assert not mother_name_asked(store) and mother_name_choice(store) is False
    set_mother_name_asked(store, None)  # back to following the template
    assert mother_name_asked(store)


def test_the_export_lists_officers_without_it(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    without = add(store, "kpps_ketua", tps_id=tps[1], seed=1, name="BUDI SANTOSO")
    add(store, "linmas", tps_id=tps[2], seed=2, mother_name="SRI WAHYUNI")
    add(store, "ptps", tps_id=tps[1], seed=3)  # no honorarium: left out, not listed twice
    out = tmp_path / "bpjs.xlsx"
    result = export_bpjs(store, out, today=TODAY)
    assert result.exported == 2 and len(result.excluded) == 1
    assert result.mother_heading == "NAMA_IBU_KANDUNG"
    assert [m.nik for m in result.missing_mother] == [without.nik]

    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["data_tk_baru", "Not exported", "No mother's name", "Settings"]
    rows = [[c.value for c in row] for row in workbook["No mother's name"].iter_rows()]
    assert rows == [
        ["NIK", "Name", "Post", "Place", "Status"],
        [without.nik, "BUDI SANTOSO", "Ketua KPPS", "TPS 001, Dinoyo, Lowokwaru", "ready"],
    ]
    data = [[c.value for c in row] for row in workbook["data_tk_baru"].iter_rows()]
    column = data[0].index("NAMA_IBU_KANDUNG")
    assert sorted(str(row[column]) for row in data[1:]) == ["None", "SRI WAHYUNI"]
    settings = dict((r[0].value, r[1].value) for r in workbook["Settings"].iter_rows(min_row=2))
    assert settings["Exported without the mother's maiden name"] == "1"

    done, _left_out = bpjs_summary(result, out)
    assert done[1] == (
        "1 of them has no mother's maiden name (NAMA_IBU_KANDUNG is empty): listed in the "
        "sheet “No mother's name” of the workbook."
    )


def test_csv_lists_them_in_a_side_file(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    first = add(store, "kpps_ketua", tps_id=tps[1], seed=1)
    second = add(store, "kpps_anggota", tps_id=tps[1], seed=2, mother_name=" ")
    out = tmp_path / "bpjs.csv"
    result = export_bpjs(store, out, today=TODAY)
    side = tmp_path / "bpjs-missing-mother.csv"
    assert side in result.files
    with side.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["NIK", "Name", "Post", "Place", "Status"]
    assert sorted(row[0] for row in rows[1:]) == sorted([first.nik, second.nik])
    done, _left_out = bpjs_summary(result, out)
    assert done[1].startswith("2 of them have no mother's maiden name")
    assert str(side.resolve()) in done[1]


def test_not_listed_when_the_desk_does_not_ask(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    add(store, "kpps_ketua", tps_id=tps[1], seed=1)
    set_mother_name_asked(store, False)
    out = tmp_path / "bpjs.csv"
    result = export_bpjs(store, out, today=TODAY)
    assert result.mother_heading is None and result.missing_mother == ()
    assert not (tmp_path / "bpjs-missing-mother.csv").exists()
    done, _left_out = bpjs_summary(result, out)
    assert done == ["1 officer exported."]


def test_not_listed_when_the_template_has_no_column(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    add(store, "kpps_ketua", tps_id=tps[1], seed=1)
    set_mother_name_asked(store, True)
    out = tmp_path / "bpjs.xlsx"
    result = export_bpjs(store, out, template=WITHOUT_MOTHER, today=TODAY)
    assert result.mother_heading is None
    assert "No mother's name" not in openpyxl.load_workbook(out).sheetnames


def test_the_officer_import_reads_it_with_the_text_rules(store: Store, tmp_path: Path) -> None:
    from tpsdesk.exchange.officer_sheet import apply_officer_import, preview_officer_import
    from tpsdesk.store.officer_import import RowStatus
    from tpsdesk.store.officers import find_by_nik, get_officer

    make_area(store)
    sheet = tmp_path / "petugas.csv"
    heading = "NIK;Nama;Tempat Lahir;Tanggal Lahir;L/P;Alamat;Jabatan;TPS;Kelurahan;"
    niks = ["3573051708800001", "3573051708800002", "3573051708800003"]
    lines = [
        heading + "Nama Ibu Kandung (sesuai KK)",
        f"{niks[0]};BUDI;MALANG;17-08-1980;L;Jl. Mawar 1;Anggota KPPS;1;Dinoyo;SRI WAHYUNI",
        f"{niks[1]};AGUS;MALANG;17-08-1980;L;Jl. Mawar 2;Anggota KPPS;1;Dinoyo;",
        f"{niks[2]};DEDI;MALANG;17-08-1980;L;Jl. Mawar 3;Anggota KPPS;1;Dinoyo;SRI 2",
    ]
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    preview = preview_officer_import(store, sheet, today=TODAY)
    mapped = {c.field for c in preview.sheet.columns}
    assert "mother_name" in mapped
    statuses = [r.status for r in preview.plan.rows]
    assert statuses == [RowStatus.NEW, RowStatus.NEW, RowStatus.INVALID]
    bad = preview.plan.rows[2]
    assert any(p.field == "mother_name" for p in bad.problems)
    apply_officer_import(store, preview)

    def mother(nik: str) -> str | None:
        officer = get_officer(store, find_by_nik(store, nik)[0].id)
        assert officer is not None
        return officer.mother_name

    assert mother(niks[0]) == "SRI WAHYUNI"
    assert mother(niks[1]) is None


def test_each_file_lists_its_own_officers_without_it_and_the_first_those_left_out(
    store: Store, tmp_path: Path
) -> None:
    """A province's million officers make a hundred files: each file's lists follow its own
    rows (they once repeated every list in every file, a million rows each)."""
    tps = make_area(store)
    missing = [add(store, "kpps_anggota", tps_id=tps[1 + i % 3], seed=i) for i in range(5)]
    add(store, "linmas", tps_id=tps[2], seed=20, mother_name="SRI WAHYUNI")
    left_out = add(store, "ptps", tps_id=tps[1], seed=21)  # no honorarium: left out
    result = export_bpjs(store, tmp_path / "bpjs.xlsx", today=TODAY, max_rows=2)
    assert [p.name for p in result.data_files] == ["bpjs-1.xlsx", "bpjs-2.xlsx", "bpjs-3.xlsx"]
    listed: list[str] = []
    for index, path in enumerate(result.data_files):
        workbook = openpyxl.load_workbook(path)
        data = [[c.value for c in row] for row in workbook["data_tk_baru"].iter_rows(min_row=2)]
        nik_column = [c.value for c in workbook["data_tk_baru"][1]].index("NOMOR_IDENTITAS")
        in_file = {str(row[nik_column]) for row in data}
        own = [str(r[0].value) for r in workbook["No mother's name"].iter_rows(min_row=2)]
        assert set(own) <= in_file and len(own) == len(set(own))
        listed += own
        settings = dict((r[0].value, r[1].value) for r in workbook["Settings"].iter_rows(min_row=2))
        if index == 0:
            rows = list(workbook["Not exported"].iter_rows(min_row=2))
            assert [str(r[0].value) for r in rows] == [left_out.nik]
        else:
            assert "Not exported" not in workbook.sheetnames
            assert settings["Officers left out are listed in"] == "bpjs-1.xlsx"
        assert settings["Officers left out"] == "1"
    assert sorted(listed) == sorted(o.nik for o in missing)
