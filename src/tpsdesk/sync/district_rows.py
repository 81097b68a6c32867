"""Loading a bundle's rows and their versions from the district store, in chunks, and making a
shown row follow the version that wins. Shared by the merge and the clerk's decisions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlmodel import Session, col, select

from tpsdesk.store.models import OfficerStatus, SyncFields
from tpsdesk.sync.changes import MODELS, row_to_wire
from tpsdesk.sync.district_models import RowVersion
from tpsdesk.sync.lineage import DISTRICT_OWNED, canonical, vkey
from tpsdesk.sync.row_checks import typed_values

_CHUNK = 500


def chunks(items: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(items))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def load_versions(session: Session, row_ids: Iterable[str]) -> dict[str, list[RowVersion]]:
    out: dict[str, list[RowVersion]] = defaultdict(list)
    for chunk in chunks(row_ids):
        for version in session.exec(select(RowVersion).where(col(RowVersion.row_id).in_(chunk))):
            out[version.row_id].append(version)
    return out


def load_rows(session: Session, table: str, ids: Iterable[str]) -> dict[str, SyncFields]:
    model = MODELS[table]
    out: dict[str, SyncFields] = {}
    for chunk in chunks(ids):
        for row in session.exec(select(model).where(col(model.id).in_(chunk))):
            out[row.id] = row
    return out


def record_current_version(
    session: Session, row: SyncFields, versions: list[RowVersion]
) -> RowVersion | None:
    """Make sure the version a row shows is in RowVersion (the district's own edits, area rows
    it created): it takes part in the next merge of that row."""
    if not row.version_device:
        return None
    if any(vkey(v) == (row.version_device, row.version_counter) for v in versions):
        return None
    wire = row_to_wire(row, 0)["values"]
    version = RowVersion(
        table_name=str(type(row).__tablename__),
        row_id=row.id,
        device=row.version_device,
        counter=row.version_counter,
        base_device=row.base_device,
        base_counter=row.base_counter,
        deleted=row.deleted,
        values=canonical(wire),
    )
    session.add(version)
    versions.append(version)
    return version


def show(
    session: Session,
    table: str,
    row: SyncFields | None,
    winner: RowVersion,
    typed: dict[str, Any] | None = None,
) -> SyncFields:
    """Make the district's row show `winner` (district-owned columns stay as they are).

    `typed`: the winner's values as `check_row` already read them, when the winner came in
    this bundle (a copy is used); else they are read again from the stored JSON."""
    typed = dict(typed) if typed is not None else typed_values(table, json.loads(winner.values))
    owned = DISTRICT_OWNED.get(table, frozenset())
    if row is None:
        if table == "officer":
            typed.update(status=OfficerStatus.SENT.value, status_reason="", bpjs_number=None)
        row = MODELS[table](**typed)
    else:
        for name, value in typed.items():
            if name != "id" and name not in owned and getattr(row, name) != value:
                setattr(row, name, value)
    session.add(row)
    return row
