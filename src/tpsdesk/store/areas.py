"""Kecamatan, kelurahan and TPS repository.

Codes arrive already normalised (`domain.area`). Codes are unique among all rows (a deleted
area comes back by being added again); a TPS number is unique among the live TPS of its
kelurahan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlmodel import Session, col, func, select

from ..domain.text import text_problems
from ..i18n import _, ngettext
from .db import Conflict, NotFound, Store, StoreError
from .models import Action, Kecamatan, Kelurahan, Officer, Tps
from .versioning import changed_fields, content_of, stamp, state_of


class InvalidText(StoreError):
    """A name or address holding characters the store never keeps (control or format
    characters); the message names the field and the position, not the value."""


def check_text(field: str, value: str) -> None:
    """Raise InvalidText if `value` of `field` ("kecamatan_name", "kelurahan_name",
    "tps_address") holds a character refused in one-line text (`domain.text`)."""
    problems = text_problems(field, value)
    if problems:
        raise InvalidText("; ".join(problem.message for problem in problems))


class _Keep:
    """Marks a keyword argument left out: keep the current value."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


@dataclass(frozen=True)
class AreaRow:
    """One validated row of an area list. `tps_number` None: the row lists no TPS."""

    kecamatan_code: str
    kecamatan_name: str
    kelurahan_code: str
    kelurahan_name: str
    tps_number: int | None = None
    tps_address: str = ""
    tps_voters: int | None = None  # None: keep what the store has


@dataclass(frozen=True)
class AreaImportSummary:
    new_kecamatan: int = 0
    new_kelurahan: int = 0
    new_tps: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.new_kecamatan or self.new_kelurahan or self.new_tps or self.updated)


# -- session-level helpers (used inside a transaction by this module and others) -----------


_ROW_CACHE = "tpsdesk.area_rows"


def _cache(session: Session) -> dict[tuple[str, str], Any]:
    # Area rows found or made in this session, held strongly: a bulk write (an import, a
    # spreadsheet of officers) then looks each place up once, and does not autoflush at
    # every officer.
    cache: dict[tuple[str, str], Any] = session.info.setdefault(_ROW_CACHE, {})
    return cache


def remember(session: Session, row: Kecamatan | Kelurahan | Tps) -> None:
    cache = _cache(session)
    cache[(str(type(row).__tablename__), row.id)] = row
    if not isinstance(row, Tps):
        cache[(str(type(row).__tablename__), "code:" + row.code)] = row


def _by_code(session: Session, model: type[Kecamatan] | type[Kelurahan], code: str) -> Any:
    key = (str(model.__tablename__), "code:" + code)
    found: Kecamatan | Kelurahan | None = _cache(session).get(key)
    if found is None:
        query = select(model).where(col(model.code) == code)
        found = cast("Kecamatan | Kelurahan | None", session.exec(query).first())
        if found is not None:
            remember(session, found)
    return found


def _tps_by_id(session: Session, tps_id: str) -> Tps | None:
    found: Tps | None = _cache(session).get(("tps", tps_id))
    if found is None:
        found = session.get(Tps, tps_id)
        if found is not None:
            remember(session, found)
    return found


def live_kecamatan(session: Session, code: str) -> Kecamatan:
    row = _by_code(session, Kecamatan, code)
    if row is None or row.deleted:
        raise NotFound(_("There is no kecamatan with code {code}.").format(code=code))
    assert isinstance(row, Kecamatan)
    return row


def live_kelurahan(session: Session, code: str) -> Kelurahan:
    row = _by_code(session, Kelurahan, code)
    if row is None or row.deleted:
        raise NotFound(_("There is no kelurahan with code {code}.").format(code=code))
    assert isinstance(row, Kelurahan)
    return row


def live_tps(session: Session, tps_id: str) -> Tps:
    row = _tps_by_id(session, tps_id)
    if row is None or row.deleted:
        raise NotFound(_("That TPS does not exist (it may have been deleted)."))
    return row


def find_tps_row(session: Session, kelurahan_code: str, number: int) -> Tps | None:
    """The live TPS `number` of a kelurahan, if any."""
    query = select(Tps).where(
        Tps.kelurahan_code == kelurahan_code, Tps.number == number, col(Tps.deleted).is_(False)
    )
    return session.exec(query).first()


def resolve_tps_ref(session: Session, ref: str) -> Tps:
    """A TPS by id, or by "kelurahan_code/number" (e.g. "35.73.05.1001/7" or ".../007")."""
    row = session.get(Tps, ref)
    if row is not None and not row.deleted:
        return row
    code, sep, number = ref.rpartition("/")
    if sep and code.strip() and number.strip().isdigit():
        found = find_tps_row(session, code.strip(), int(number))
        if found is not None:
            return found
    raise NotFound(_("There is no TPS {ref}.").format(ref=ref))


def _update(session: Session, row: Any, values: dict[str, Any]) -> bool:
    """Set `values` on `row` and stamp it if anything changed (restoring a tombstone)."""
    changed = changed_fields(row, values)
    if not changed and not row.deleted:
        return False
    for name in changed:
        setattr(row, name, values[name])
    action = Action.RESTORE if row.deleted else Action.UPDATE
    stamp(session, state_of(session), row, action, changed=changed)
    return True


def _create(session: Session, row: Any) -> Any:
    stamp(session, state_of(session), row, Action.CREATE, changed=content_of(row).keys())
    remember(session, row)
    return row


def _upsert_kecamatan(session: Session, code: str, name: str, *, strict: bool) -> Kecamatan:
    check_text("kecamatan_name", name)
    row = _by_code(session, Kecamatan, code)
    if row is None:
        return _create(session, Kecamatan(code=code, name=name))
    if strict and not row.deleted:
        raise Conflict(_("Kecamatan {code} already exists.").format(code=code))
    _update(session, row, {"name": name})
    assert isinstance(row, Kecamatan)
    return row


def _upsert_kelurahan(
    session: Session, code: str, name: str, kecamatan_code: str, *, strict: bool
) -> Kelurahan:
    check_text("kelurahan_name", name)
    live_kecamatan(session, kecamatan_code)
    row = _by_code(session, Kelurahan, code)
    if row is None:
        new = Kelurahan(code=code, name=name, kecamatan_code=kecamatan_code)
        return _create(session, new)
    if strict and not row.deleted:
        raise Conflict(_("Kelurahan {code} already exists.").format(code=code))
    _update(session, row, {"name": name, "kecamatan_code": kecamatan_code})
    assert isinstance(row, Kelurahan)
    return row


# -- public API --------------------------------------------------------------------------


def add_kecamatan(store: Store, code: str, name: str) -> Kecamatan:
    """Add a kecamatan (or bring a deleted one back). Conflict if the code is live."""
    with store.transaction() as session:
        return _upsert_kecamatan(session, code, name, strict=True)


def add_kelurahan(store: Store, code: str, name: str, kecamatan_code: str) -> Kelurahan:
    with store.transaction() as session:
        return _upsert_kelurahan(session, code, name, kecamatan_code, strict=True)


def add_tps(
    store: Store, kelurahan_code: str, number: int, address: str = "", voters: int | None = None
) -> Tps:
    check_text("tps_address", address)
    with store.transaction() as session:
        live_kelurahan(session, kelurahan_code)
        if find_tps_row(session, kelurahan_code, number) is not None:
            raise Conflict(
                _("TPS {number} of kelurahan {code} already exists.").format(
                    number=f"{number:03d}", code=kelurahan_code
                )
            )
        tps = Tps(kelurahan_code=kelurahan_code, number=number, address=address, voters=voters)
        return _create(session, tps)


def update_tps(store: Store, tps_id: str, *, address: Any = KEEP, voters: Any = KEEP) -> Tps:
    """Change a TPS's address and/or voter count; stamps only if something changed."""
    if address is not KEEP:
        check_text("tps_address", address)
    with store.transaction() as session:
        tps = live_tps(session, tps_id)
        values: dict[str, Any] = {}
        if address is not KEEP:
            values["address"] = address
        if voters is not KEEP:
            values["voters"] = voters
        _update(session, tps, values)
        return tps


def delete_tps(store: Store, tps_id: str) -> None:
    """Tombstone a TPS. Refused while live officers are placed at it."""
    with store.transaction() as session:
        tps = live_tps(session, tps_id)
        in_use = session.exec(
            select(func.count())
            .select_from(Officer)
            .where(Officer.tps_id == tps_id, col(Officer.deleted).is_(False))
        ).one()
        if in_use:
            message = ngettext(
                "TPS {number} still has {count} officer: move or delete them first.",
                "TPS {number} still has {count} officers: move or delete them first.",
                in_use,
            )
            raise Conflict(message.format(number=tps.label, count=in_use))
        stamp(session, state_of(session), tps, Action.DELETE)


def get_tps(store: Store, tps_id: str) -> Tps | None:
    with store.read() as session:
        return session.get(Tps, tps_id)


def find_tps(store: Store, ref: str) -> Tps:
    """A live TPS by id or "kelurahan_code/number"; NotFound otherwise."""
    with store.read() as session:
        return resolve_tps_ref(session, ref)


def list_kecamatan(store: Store) -> list[Kecamatan]:
    with store.read() as session:
        query = select(Kecamatan).where(col(Kecamatan.deleted).is_(False))
        return list(session.exec(query.order_by(col(Kecamatan.code))))


def list_kelurahan(store: Store, kecamatan_code: str | None = None) -> list[Kelurahan]:
    with store.read() as session:
        query = select(Kelurahan).where(col(Kelurahan.deleted).is_(False))
        if kecamatan_code is not None:
            query = query.where(Kelurahan.kecamatan_code == kecamatan_code)
        return list(session.exec(query.order_by(col(Kelurahan.code))))


def list_tps(store: Store, kelurahan_code: str | None = None) -> list[Tps]:
    with store.read() as session:
        query = select(Tps).where(col(Tps.deleted).is_(False))
        if kelurahan_code is not None:
            query = query.where(Tps.kelurahan_code == kelurahan_code)
        return list(session.exec(query.order_by(col(Tps.kelurahan_code), col(Tps.number))))


def apply_area_rows(store: Store, rows: Iterable[AreaRow]) -> AreaImportSummary:
    """Add or update the area in `rows`, all in one transaction.

    Each kecamatan, kelurahan and TPS counts once (new, updated or unchanged) however many
    rows name it. Importing the same rows again changes and stamps nothing.
    """
    rows = list(rows)
    for area in rows:  # parse_area_rows has said where; this guards every other caller
        check_text("kecamatan_name", area.kecamatan_name)
        check_text("kelurahan_name", area.kelurahan_name)
        check_text("tps_address", area.tps_address)
    new_kec = new_kel = new_tps = updated = unchanged = 0
    with store.transaction() as session:
        kecamatan = {row.code: row for row in session.exec(select(Kecamatan))}
        kelurahan = {row.code: row for row in session.exec(select(Kelurahan))}
        tps_rows = session.exec(select(Tps).where(col(Tps.deleted).is_(False)))
        tps = {(row.kelurahan_code, row.number): row for row in tps_rows}
        state = state_of(session)
        seen: set[tuple[str, ...]] = set()

        def upsert(key: tuple[str, ...], row: Any, values: dict[str, Any]) -> None:
            nonlocal updated, unchanged
            if key in seen:
                # Named again by a later row: a different value there is applied too.
                _update(session, row, values)
                return
            seen.add(key)
            if _update(session, row, values):
                updated += 1
            else:
                unchanged += 1

        for area in rows:
            kec = kecamatan.get(area.kecamatan_code)
            if kec is None:
                kec = Kecamatan(code=area.kecamatan_code, name=area.kecamatan_name)
                stamp(session, state, kec, Action.CREATE, changed=("code", "name"))
                remember(session, kec)
                kecamatan[kec.code] = kec
                seen.add(("kec", kec.code))
                new_kec += 1
            else:
                upsert(("kec", kec.code), kec, {"name": area.kecamatan_name})

            kel = kelurahan.get(area.kelurahan_code)
            kel_values = {"name": area.kelurahan_name, "kecamatan_code": area.kecamatan_code}
            if kel is None:
                kel = Kelurahan(
                    code=area.kelurahan_code,
                    name=area.kelurahan_name,
                    kecamatan_code=area.kecamatan_code,
                )
                stamp(session, state, kel, Action.CREATE, changed=("code", *kel_values))
                remember(session, kel)
                kelurahan[kel.code] = kel
                seen.add(("kel", kel.code))
                new_kel += 1
            else:
                upsert(("kel", kel.code), kel, kel_values)

            if area.tps_number is None:
                continue
            tps_values: dict[str, Any] = {"address": area.tps_address}
            if area.tps_voters is not None:
                tps_values["voters"] = area.tps_voters
            key = (area.kelurahan_code, area.tps_number)
            found = tps.get(key)
            if found is None:
                found = Tps(kelurahan_code=area.kelurahan_code, number=area.tps_number)
                for name, value in tps_values.items():
                    setattr(found, name, value)
                stamp(
                    session,
                    state,
                    found,
                    Action.CREATE,
                    changed=("kelurahan_code", "number", *tps_values),
                )
                remember(session, found)
                tps[key] = found
                seen.add(("tps", *map(str, key)))
                new_tps += 1
            else:
                upsert(("tps", *map(str, key)), found, tps_values)
    return AreaImportSummary(
        new_kecamatan=new_kec,
        new_kelurahan=new_kel,
        new_tps=new_tps,
        updated=updated,
        unchanged=unchanged,
    )
