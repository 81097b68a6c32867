"""What an officer import would change, for its preview: each changed field of an updated
officer, old → new as people read it, and the NIKs the district removed as duplicates.

Reads only; `store.officer_import.plan_import` calls it while planning. The values are
personal data: screens the user opened show them; the CLI and logs name the fields only
(`FieldChange.field` / `.label`).

A removal by the district reaches the laptop in a receipt as a tombstone
(`sync.receipt._adopt_tombstone`): the officer is marked deleted with the district's version,
and no change-log entry is written for it. An officer deleted on this laptop has its deletion
in the change log under its current version. So a deleted officer whose current version is not
in this laptop's change log was removed by the district.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ..domain.dates import format_date
from ..domain.field_labels import OFFICER_FIELD_LABELS
from ..domain.posts import PostCatalogue
from ..i18n import N_, _

_IN_CHUNK = 500
EMPTY = "—"

# The order fields are listed in: the place first (what moved), then the officer's own fields.
PLACE_CHANGE_FIELDS: tuple[str, ...] = ("post_code", "tps", "kelurahan", "kecamatan")
CHANGE_LABELS: dict[str, str] = {
    **OFFICER_FIELD_LABELS,
    "tps": N_("TPS"),
    "kelurahan": N_("Kelurahan"),
    "kecamatan": N_("Kecamatan"),
}
# Officer columns → the field a change is shown under.
_COLUMN_FIELDS: dict[str, str] = {
    "tps_id": "tps",
    "kelurahan_code": "kelurahan",
    "kecamatan_code": "kecamatan",
}


@dataclass(frozen=True)
class FieldChange:
    """One field an import changes: `field` a key of CHANGE_LABELS; `old` and `new` the values
    as shown on screen (personal data: never printed by the CLI nor logged)."""

    field: str
    old: str
    new: str

    @property
    def label(self) -> str:
        return _(CHANGE_LABELS.get(self.field, self.field))

    def describe(self) -> str:
        return _("{field}: {old} → {new}").format(field=self.label, old=self.old, new=self.new)


@dataclass(frozen=True)
class PlaceNames:
    """What the preview needs to name places: TPS id → (kelurahan code, number), kelurahan code
    → name, kecamatan code → name (deleted places included: an officer may still point at one)."""

    tps: Mapping[str, tuple[str, int]]
    kelurahan: Mapping[str, str]
    kecamatan: Mapping[str, str]

    @classmethod
    def load(cls, session: Session) -> PlaceNames:
        connection = session.connection()
        tps = {
            str(row[0]): (str(row[1]), int(row[2]))
            for row in connection.execute(text("SELECT id, kelurahan_code, number FROM tps"))
        }
        kelurahan = {
            str(row[0]): str(row[1])
            for row in connection.execute(text("SELECT code, name FROM kelurahan"))
        }
        kecamatan = {
            str(row[0]): str(row[1])
            for row in connection.execute(text("SELECT code, name FROM kecamatan"))
        }
        return cls(tps, kelurahan, kecamatan)

    def tps_text(self, tps_id: Any) -> str:
        if not tps_id:
            return EMPTY
        found = self.tps.get(str(tps_id))
        if found is None:
            return EMPTY
        kelurahan, number = found
        return _("TPS {number} ({kelurahan})").format(
            number=f"{number:03d}", kelurahan=self.kelurahan.get(kelurahan, kelurahan)
        )

    def kelurahan_text(self, code: Any) -> str:
        return f"{code} {self.kelurahan[code]}" if code in self.kelurahan else _shown(code)

    def kecamatan_text(self, code: Any) -> str:
        return f"{code} {self.kecamatan[code]}" if code in self.kecamatan else _shown(code)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, date):
        return format_date(value)
    return str(getattr(value, "value", value))


def field_changes(
    officer: Any,
    values: Mapping[str, Any],
    changed: Iterable[str],
    *,
    places: PlaceNames,
    catalogue: PostCatalogue,
) -> tuple[FieldChange, ...]:
    """The changes of `changed` (officer columns, as `versioning.changed_fields` names them)
    from `officer`'s values to `values`, the place and post first."""

    def post(code: Any) -> str:
        found = catalogue.get(str(code)) if code else None
        return found.name if found is not None else _shown(code)

    shown: dict[str, Any] = {
        "post_code": post,
        "tps": places.tps_text,
        "kelurahan": places.kelurahan_text,
        "kecamatan": places.kecamatan_text,
    }
    found: dict[str, FieldChange] = {}
    for column in changed:
        name = _COLUMN_FIELDS.get(column, column)
        show = shown.get(name, _shown)
        found[name] = FieldChange(name, show(getattr(officer, column)), show(values.get(column)))
    order = [*PLACE_CHANGE_FIELDS, *OFFICER_FIELD_LABELS]
    return tuple(sorted(found.values(), key=lambda c: _rank(order, c.field)))


def _rank(order: list[str], name: str) -> int:
    return order.index(name) if name in order else len(order)


def removed_by_district(session: Session, niks: Iterable[str]) -> set[str]:
    """The NIKs among `niks` held here only by officers the district removed (a duplicate kept
    elsewhere): deleted, and their current version is not one this laptop wrote."""
    wanted = sorted(set(niks))
    found: set[str] = set()
    connection = session.connection()
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        marks = ", ".join(f":n{i}" for i in range(len(chunk)))
        query = text(
            "SELECT o.nik FROM officer o WHERE o.deleted AND o.nik IN (" + marks + ") "
            "AND NOT EXISTS (SELECT 1 FROM change_log c WHERE c.row_id = o.id "
            "AND c.device_id = o.version_device AND c.version_counter = o.version_counter)"
        )
        params = {f"n{i}": nik for i, nik in enumerate(chunk)}
        found.update(str(row[0]) for row in connection.execute(query, params))
    return found
