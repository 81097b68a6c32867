"""Renaming and removing a kecamatan or kelurahan, and what removing one (or a TPS) would take.

The code is the identity of a kecamatan and a kelurahan: a rename changes the name only. A
place is removed only when it is empty — no live officer is registered in it: at any of its
TPS, at a post of the kelurahan (PPS…), or, for a kecamatan, at a post of the kecamatan (PPK…)
or in any of its kelurahan. Its TPS (and a kecamatan's kelurahan) go with it, all in one
transaction, each row tombstoned and stamped (`versioning.stamp`) like every other area
change, so the removal travels in the next sync bundle.

On a laptop enrolled from a setup file (`area_scope`) kecamatan and kelurahan are not renamed
or removed at all: they are the district's own list, issued in its setup files, and a bundle's
kecamatan and kelurahan rows are kept but never applied at the district
(`sync.merge.APPLIED_TABLES`) — a change here would never reach it. Such a laptop's TPS are
its own (a TPS deletion travels and is applied).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from ..i18n import _, ngettext
from .area_scope import enrolled_area
from .areas import check_text, live_kecamatan, live_kelurahan, live_tps
from .db import Conflict, Store, StoreError
from .models import Action, Kecamatan, Kelurahan, Officer, Tps
from .versioning import changed_fields, stamp, state_of

MAX_NAME_LENGTH = 100  # as an area list's (exchange.area_csv)


class OutsideEnrolledArea(StoreError):
    """The place lies outside the area this laptop is enrolled for, or is that area."""


@dataclass(frozen=True)
class PlaceContents:
    """What a kecamatan, kelurahan or TPS holds: what removing it would take along, and the
    officers that forbid it. Names are the store's (shown escaped by screens)."""

    level: str  # "kecamatan" | "kelurahan" | "tps"
    code: str  # the kecamatan or kelurahan code; for a TPS its kelurahan's code
    name: str  # the kecamatan's or kelurahan's name; for a TPS "001"
    kelurahan: int = 0  # live kelurahan inside (a kecamatan)
    tps: int = 0  # live TPS inside
    officers: int = 0  # live officers registered in it: removal is refused while > 0
    kelurahan_name: str = ""  # a TPS's kelurahan
    kecamatan_code: str = ""  # a kelurahan's or TPS's kecamatan
    kecamatan_name: str = ""
    blocked: str = ""  # why this laptop may not remove it whatever it holds (enrolled)

    @property
    def empty(self) -> bool:
        return self.officers == 0

    @property
    def removable(self) -> bool:
        return self.empty and not self.blocked

    def place(self) -> str:
        """ "kelurahan Tlogomas (35.73.05.1001), kecamatan Lowokwaru (35.73.05)" and so on."""
        kecamatan = _("kecamatan {name} ({code})").format(
            name=self.kecamatan_name if self.level != "kecamatan" else self.name,
            code=self.kecamatan_code if self.level != "kecamatan" else self.code,
        )
        if self.level == "kecamatan":
            return kecamatan
        kelurahan = _("kelurahan {name} ({code})").format(
            name=self.kelurahan_name if self.level == "tps" else self.name, code=self.code
        )
        return _("{kelurahan}, {kecamatan}").format(kelurahan=kelurahan, kecamatan=kecamatan)

    def what_goes(self) -> str:
        """The question asking to remove it, naming everything that goes with it."""
        if self.level == "tps":
            return _("Delete TPS {number} of {place}?").format(number=self.name, place=self.place())
        tps = ngettext("{n} TPS", "{n} TPS", self.tps).format(n=self.tps)
        if self.level == "kelurahan":
            if not self.tps:
                return _("Remove {place}? It has no TPS.").format(place=self.place())
            return _("Remove {place} and its {tps}?").format(place=self.place(), tps=tps)
        kelurahan = ngettext("{n} kelurahan", "{n} kelurahan", self.kelurahan).format(
            n=self.kelurahan
        )
        if not self.kelurahan:
            return _("Remove {place}? It has no kelurahan.").format(place=self.place())
        return _("Remove {place} with its {kelurahan} and {tps}?").format(
            place=self.place(), kelurahan=kelurahan, tps=tps
        )

    def refusal(self) -> str:
        """Why it cannot be removed: the district's list, or the officers registered in it."""
        if self.blocked:
            return self.blocked
        if self.level == "tps":
            message = ngettext(
                "TPS {number} of {place} still has {count} officer: move or delete them "
                "first; the TPS is not deleted.",
                "TPS {number} of {place} still has {count} officers: move or delete them "
                "first; the TPS is not deleted.",
                self.officers,
            )
            return message.format(number=self.name, place=self.place(), count=self.officers)
        message = ngettext(
            "{place} still has {count} officer registered (at its TPS or its posts): move or "
            "delete them first; nothing is removed.",
            "{place} still has {count} officers registered (at its TPS or its posts): move or "
            "delete them first; nothing is removed.",
            self.officers,
        )
        text = message.format(place=self.place(), count=self.officers)
        return text[:1].upper() + text[1:]


# -- reading -----------------------------------------------------------------------------


def _count(session: Session, *conditions: object) -> int:
    query = select(func.count()).select_from(Officer).where(col(Officer.deleted).is_(False))
    for condition in conditions:
        query = query.where(condition)  # type: ignore[arg-type]
    return int(session.exec(query).one())


def _live_tps(session: Session, kelurahan_codes: list[str]) -> list[Tps]:
    if not kelurahan_codes:
        return []
    query = select(Tps).where(col(Tps.kelurahan_code).in_(kelurahan_codes))
    return list(session.exec(query.where(col(Tps.deleted).is_(False))))


def _live_kelurahan(session: Session, kecamatan_code: str) -> list[Kelurahan]:
    query = select(Kelurahan).where(
        Kelurahan.kecamatan_code == kecamatan_code, col(Kelurahan.deleted).is_(False)
    )
    return list(session.exec(query))


def _kecamatan_contents(session: Session, code: str) -> PlaceContents:
    kec = live_kecamatan(session, code)
    kelurahan = _live_kelurahan(session, code)
    tps = _live_tps(session, [k.code for k in kelurahan])
    return PlaceContents(
        "kecamatan",
        kec.code,
        kec.name,
        kelurahan=len(kelurahan),
        tps=len(tps),
        officers=_count(session, Officer.kecamatan_code == code),
        blocked=_scope_refusal(session, "kecamatan", code, kec.name),
    )


def _kelurahan_contents(session: Session, code: str) -> PlaceContents:
    kel = live_kelurahan(session, code)
    kec = live_kecamatan(session, kel.kecamatan_code)
    tps = _live_tps(session, [code])
    officers = _count(session, Officer.kelurahan_code == code)
    if tps:  # an officer at one of its TPS is counted here too, whatever his kelurahan says
        officers = max(officers, _count(session, col(Officer.tps_id).in_([t.id for t in tps])))
    return PlaceContents(
        "kelurahan",
        kel.code,
        kel.name,
        tps=len(tps),
        officers=officers,
        kecamatan_code=kec.code,
        kecamatan_name=kec.name,
        blocked=_scope_refusal(session, "kelurahan", code, kel.name),
    )


def _tps_contents(session: Session, tps_id: str) -> PlaceContents:
    tps = live_tps(session, tps_id)
    kel = live_kelurahan(session, tps.kelurahan_code)
    kec = live_kecamatan(session, kel.kecamatan_code)
    return PlaceContents(
        "tps",
        kel.code,
        tps.label,
        officers=_count(session, Officer.tps_id == tps_id),
        kelurahan_name=kel.name,
        kecamatan_code=kec.code,
        kecamatan_name=kec.name,
    )


def kecamatan_contents(store: Store, code: str) -> PlaceContents:
    """What the kecamatan holds; NotFound if it is not live."""
    with store.read() as session:
        return _kecamatan_contents(session, code)


def kelurahan_contents(store: Store, code: str) -> PlaceContents:
    with store.read() as session:
        return _kelurahan_contents(session, code)


def tps_contents(store: Store, tps_id: str) -> PlaceContents:
    """The TPS's place and its officers: said before a delete is asked."""
    with store.read() as session:
        return _tps_contents(session, tps_id)


# -- checks ------------------------------------------------------------------------------


def _check_scope(session: Session, level: str, code: str, name: str) -> None:
    """Refuse on a laptop enrolled from a setup file: its kecamatan and kelurahan are the
    district's list, which a bundle never changes (`sync.merge.APPLIED_TABLES`)."""
    area = enrolled_area(session)
    if area is None:
        return
    place = (_("kecamatan {name} ({code})") if level == "kecamatan" else
             _("kelurahan {name} ({code})")).format(name=name, code=code)  # fmt: skip
    raise OutsideEnrolledArea(
        _(
            "This laptop was set up from the district's setup file (area {area}): {place} "
            "is on the district's own list, which only the district renames or removes — a "
            "change made here would never reach it. Ask the district for a new setup file."
        ).format(area=area, place=place)
    )


def change_refusal(store: Store, level: str, code: str) -> str:
    """Why this laptop may not rename or remove kecamatan or kelurahan `code` ("" when it
    may): said before a name is asked for. `level` is "kecamatan" or "kelurahan"."""
    with store.read() as session:
        row = (
            live_kecamatan(session, code) if level == "kecamatan" else live_kelurahan(session, code)
        )
        return _scope_refusal(session, level, code, row.name)


def _scope_refusal(session: Session, level: str, code: str, name: str) -> str:
    try:
        _check_scope(session, level, code, name)
    except OutsideEnrolledArea as refused:
        return refused.message
    return ""


def clean_name(name: str, field: str) -> str:
    """A new name: spaces collapsed; refused when empty, too long or holding control or
    format characters (the message names the field, never the value)."""
    text = " ".join(name.split())
    if not text:
        raise StoreError(_("The name is missing."))
    if len(text) > MAX_NAME_LENGTH:
        raise StoreError(
            _("The name is too long (at most {n} characters).").format(n=MAX_NAME_LENGTH)
        )
    check_text(field, text)
    return text


# -- changes -----------------------------------------------------------------------------


def _rename(session: Session, row: Kecamatan | Kelurahan, name: str) -> bool:
    changed = changed_fields(row, {"name": name})
    if not changed:
        return False
    row.name = name
    stamp(session, state_of(session), row, Action.UPDATE, changed=changed)
    return True


def rename_kecamatan(store: Store, code: str, name: str) -> bool:
    """Give kecamatan `code` a new name (its code stays); False when it already has it."""
    name = clean_name(name, "kecamatan_name")
    with store.transaction() as session:
        row = live_kecamatan(session, code)
        _check_scope(session, "kecamatan", code, row.name)
        return _rename(session, row, name)


def rename_kelurahan(store: Store, code: str, name: str) -> bool:
    name = clean_name(name, "kelurahan_name")
    with store.transaction() as session:
        row = live_kelurahan(session, code)
        _check_scope(session, "kelurahan", code, row.name)
        return _rename(session, row, name)


def _tombstone(session: Session, rows: list[Tps] | list[Kelurahan] | list[Kecamatan]) -> None:
    state = state_of(session)
    for row in rows:
        stamp(session, state, row, Action.DELETE)


def remove_kelurahan(store: Store, code: str) -> PlaceContents:
    """Remove an empty kelurahan and its TPS, in one transaction; Conflict (naming how many
    officers) while any officer is registered in it. Returns what was removed."""
    with store.transaction() as session:
        contents = _kelurahan_contents(session, code)
        _check_scope(session, "kelurahan", code, contents.name)
        if not contents.removable:
            raise Conflict(contents.refusal())
        _tombstone(session, _live_tps(session, [code]))
        _tombstone(session, [live_kelurahan(session, code)])
        return contents


def remove_kecamatan(store: Store, code: str) -> PlaceContents:
    """Remove an empty kecamatan with its kelurahan and their TPS, in one transaction."""
    with store.transaction() as session:
        contents = _kecamatan_contents(session, code)
        _check_scope(session, "kecamatan", code, contents.name)
        if not contents.removable:
            raise Conflict(contents.refusal())
        kelurahan = _live_kelurahan(session, code)
        _tombstone(session, _live_tps(session, [k.code for k in kelurahan]))
        _tombstone(session, kelurahan)
        _tombstone(session, [live_kecamatan(session, code)])
        return contents
