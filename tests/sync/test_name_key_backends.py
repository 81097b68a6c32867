"""Likely duplicates are the same on SQLite and PostgreSQL (the stored name key, computed in
Python when a name is written, joined with the birth date): exactly the groups
`domain.names.name_key` makes, for honorifics, punctuation, accents, case and other scripts."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from sqlmodel import select

from tpsdesk.domain.names import name_key
from tpsdesk.store.db import Store
from tpsdesk.sync.district_models import Finding, FindingKind
from tpsdesk.sync.merge import merge_bundle

from .conftest import approved_laptop, make_bundle, officer_row, valid_nik

BORN = date(1985, 3, 14)
NAMES = [
    "Désy Ràhma",
    "DESY RAHMA",
    "desy  rahma",
    "Desy-Rahma",
    "H. Ahmad Fauzi, S.Pd.",
    "H Ahmad Fauzi S Pd",
    "h. ahmad fauzi s.pd",
    "Hj. Siti Nur'aini",
    "HJ SITI NUR AINI",
    "Dr. Ir. Bambang S., M.T.",
    "DR IR BAMBANG S MT",
    "Ni Luh Putu Ayu",
    "Ni Luh Putu  Ayu.",
    "I Gusti Ngurah Rai",
    "Muhammad Al-Fatih",
    "Muhammad Al Fatih",
    "Muhammad Alfatih",
    "Straße",
    "STRASSE",
    "Ｆｕｌｌｗｉｄｔｈ",
    "Fullwidth",
    "Kristoforus Ñoño",
    "KRISTOFORUS NONO",
    "Ahmad_Dahlan",
    "Ahmad Dahlan",
]


def test_likely_duplicate_groups_are_exactly_the_name_key_groups(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    rows = []
    for index, name in enumerate(NAMES):
        rows.append(
            officer_row(
                device=laptop,
                counter=index + 1,
                seq=index + 1,
                tps_id=district_area["a1" if index % 2 else "a2"],
                nik=valid_nik(BORN, serial=3000 + index),
                name=name,
                birth=BORN,
            )
        )
    report = merge_bundle(district_store, make_bundle(laptop, key, rows))
    merged = {r.row_id for r in report.accepted}
    by_key: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        values = row["values"]
        if values["id"] in merged:
            by_key[name_key(values["name"])].add(values["id"])
    expected = sorted(sorted(ids) for ids in by_key.values() if len(ids) > 1)
    assert len(expected) >= 8  # the list above is made of such groups
    with district_store.read() as session:
        query = select(Finding).where(Finding.kind == FindingKind.LIKELY_DUPLICATE.value)
        found = sorted(sorted(json.loads(f.row_ids)) for f in session.exec(query))
    assert found == expected
