"""SECURITY 28 at the district: an officer row holding control or format characters, or emoji
in a name, is refused by the merge (it validates officer rows with `validate_officer`), the
field named and the value never in the report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync.merge import merge_bundle

from .conftest import approved_laptop, make_bundle, officer_row


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"name": "BUDI\x1b[2JSANTOSO"}, "name.control_character"),
        ({"name": "BUDI SANTOSO\U0001f600"}, "name.symbol"),
        ({"address": "Jl. Mawar\r1"}, "address.line_break"),
        ({"address": "Jl. \u202eMawar 1"}, "address.format_character"),
        ({"birth_place": "MALANG\u2028"}, "birth_place.line_break"),
        ({"mother_name": "SRI\x00"}, "mother_name.control_character"),
    ],
)
def test_unclean_text_in_an_officer_row_is_refused(
    district_store: Store, district_area: dict[str, str], override: dict[str, Any], code: str
) -> None:
    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"], **override)
    report = merge_bundle(district_store, make_bundle(laptop, key, [row]))
    assert [r.index for r in report.rejected] == [0]
    assert code in [p.code for p in report.rejected[0].problems]
    (value,) = override.values()
    assert value not in json.dumps(report.to_json(), ensure_ascii=False)
    assert value not in report.summary()
    with district_store.read() as session:
        stored = [o for o in session.exec(select(Officer)) if o.id == row["id"]]
    assert stored == []


@pytest.mark.parametrize(
    ("table", "column", "value", "code"),
    [
        ("tps", "address", "Jl. Mawar\x1b[2J 1", "address.control_character"),
        ("tps", "address", "Jl. \u202eMawar 1", "address.format_character"),
        ("kelurahan", "name", "Tlogo\rmas", "name.line_break"),
    ],
)
def test_unclean_text_in_a_tps_or_area_row_is_refused(
    district_store: Store, district_area: dict[str, str], table: str, column: str, value: str,
    code: str,
) -> None:  # fmt: skip
    from tpsdesk.store.models import Kelurahan, Tps
    from tpsdesk.sync.changes import row_to_wire

    laptop, key = approved_laptop(district_store)
    with district_store.read() as session:
        model = Tps if table == "tps" else Kelurahan
        held = next(iter(session.exec(select(model))))
        row = row_to_wire(held, 1)
    row["values"].update(
        {column: value, "version_device": laptop, "version_counter": 1, "base_device":
         row["values"]["version_device"], "base_counter": row["values"]["version_counter"]}
    )  # fmt: skip
    report = merge_bundle(district_store, make_bundle(laptop, key, [row]))
    assert [r.index for r in report.rejected] == [0]
    assert code in [p.code for p in report.rejected[0].problems]
    assert value not in json.dumps(report.to_json(), ensure_ascii=False)
    with district_store.read() as session:
        again = session.get(model, held.id)
        assert again is not None and getattr(again, column) == getattr(held, column)
