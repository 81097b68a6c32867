"""Officer repository: add, update, delete (tombstone) and undo, search, duplicate lookup.

Values arrive validated (`domain.officer.OfficerFields`); this layer checks where an officer
belongs: a TPS post needs a TPS, a kelurahan post a kelurahan, a kecamatan post a kecamatan,
and on an enrolled laptop the place must lie in its area (`store.area_scope`).
The same NIK in two places is allowed here (DESIGN.md §8: shown for review, never silently
merged; `find_by_nik()` tells the UI where else a NIK is), but never twice in one TPS: one person
cannot hold two places of the same TPS (issue 10), so add, update and undo refuse it
(`DuplicateInTps`, naming the other officer's post).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ..domain.nik import normalize_nik
from ..domain.officer import OfficerFields
from ..domain.posts import PostCatalogue, Unit
from ..domain.problems import Sex
from ..i18n import N_, _
from .area_scope import check_placement, enrolled_area
from .areas import KEEP, live_kecamatan, live_kelurahan, live_tps, resolve_tps_ref
from .db import NotFound, Store, StoreError
from .models import OFFICER_FIELD_COLUMNS, Action, Kelurahan, Officer, OfficerStatus, Tps
from .versioning import changed_fields, stamp, state_of

DEFAULT_SEARCH_LIMIT = 50


class PlacementError(StoreError):
    """The post does not belong where the officer was put (a TPS post without a TPS…)."""


class OutsideAreaError(PlacementError):
    """The place lies outside the area this laptop is enrolled for (store.area_scope).

    `field` is the one to change: "post_code", "kelurahan" or "kecamatan"."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class DuplicateInTps(StoreError):
    """The NIK is already an officer of this TPS (`same_tps_message` names the post)."""


@dataclass(frozen=True)
class OfficerHit:
    """An officer as lists show it: who, which post, and where."""

    id: str
    nik: str
    name: str
    birth_date: date
    sex: str
    post_code: str
    post_name: str
    tps_id: str | None
    tps_number: int | None
    kelurahan_code: str | None
    kelurahan_name: str | None
    kecamatan_code: str
    status: str
    deleted: bool


@dataclass(frozen=True)
class Placement:
    tps_id: str | None
    kelurahan_code: str | None
    kecamatan_code: str


# -- placement ----------------------------------------------------------------------------


def resolve_placement(
    session: Session,
    catalogue: PostCatalogue,
    post_code: str,
    *,
    tps_id: str | None = None,
    kelurahan_code: str | None = None,
    kecamatan_code: str | None = None,
) -> Placement:
    """Where an officer of `post_code` sits, checked against the post's unit.

    For a TPS post the kelurahan and kecamatan come from the TPS; for a kelurahan post the
    kecamatan comes from the kelurahan. Codes given as well must agree.
    """
    post = catalogue.get(post_code)
    if post is None:
        raise PlacementError(_("There is no post {post} in the catalogue.").format(post=post_code))
    if post.unit == Unit.TPS:
        if tps_id is None:
            raise PlacementError(
                _("{post} is a post at a TPS: choose the TPS.").format(post=post.name)
            )
        tps = live_tps(session, tps_id)
        kelurahan = live_kelurahan(session, tps.kelurahan_code)
        placement = Placement(tps.id, kelurahan.code, kelurahan.kecamatan_code)
    elif post.unit == Unit.KELURAHAN:
        if tps_id is not None:
            raise PlacementError(
                _("{post} is a post of a kelurahan, not of a TPS.").format(post=post.name)
            )
        if kelurahan_code is None:
            raise PlacementError(
                _("{post} is a post of a kelurahan: choose the kelurahan.").format(post=post.name)
            )
        kelurahan = live_kelurahan(session, kelurahan_code)
        placement = Placement(None, kelurahan.code, kelurahan.kecamatan_code)
    else:
        if tps_id is not None or kelurahan_code is not None:
            raise PlacementError(
                _("{post} is a post of a kecamatan, not of a TPS or a kelurahan.").format(
                    post=post.name
                )
            )
        if kecamatan_code is None:
            raise PlacementError(
                _("{post} is a post of a kecamatan: choose the kecamatan.").format(post=post.name)
            )
        placement = Placement(None, None, live_kecamatan(session, kecamatan_code).code)
    mismatch = (kelurahan_code is not None and kelurahan_code != placement.kelurahan_code) or (
        kecamatan_code is not None and kecamatan_code != placement.kecamatan_code
    )
    if mismatch:
        raise PlacementError(
            _("The kelurahan or kecamatan given does not match the place of the post.")
        )
    return placement


def check_in_area(
    session: Session, catalogue: PostCatalogue, post_code: str, placement: Placement
) -> None:
    """Refuse a placement outside the enrolled area (none on a store never set up)."""
    post = catalogue.get(post_code)
    refused = check_placement(
        enrolled_area(session),
        post.name if post is not None else post_code,
        placement.kelurahan_code,
        placement.kecamatan_code,
    )
    if refused is not None:
        raise OutsideAreaError(refused.message, refused.field)


def unit_outside_area(
    store: Store, *, kelurahan_code: str | None = None, kecamatan_code: str | None = None
) -> str | None:
    """The enrolled area when a unit (a kelurahan, or a kecamatan) lies outside it, so that
    no post of it can be saved here; None when it lies inside or the store is not enrolled."""
    with store.read() as session:
        area = enrolled_area(session)
    refused = check_placement(area, "", kelurahan_code, kecamatan_code or "")
    return area if refused is not None else None


def _values(fields: OfficerFields, placement: Placement) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(fields, name) for name in OFFICER_FIELD_COLUMNS}
    values["sex"] = Sex(fields.sex).value
    values["tps_id"] = placement.tps_id
    values["kelurahan_code"] = placement.kelurahan_code
    values["kecamatan_code"] = placement.kecamatan_code
    return values


def _live_officer(session: Session, officer_id: str) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None or officer.deleted:
        raise NotFound(_("That officer does not exist (they may have been deleted)."))
    return officer


def same_tps(hits: list[OfficerHit], tps_id: str | None) -> OfficerHit | None:
    """Of the officers with a NIK (`find_by_nik`), the one already in TPS `tps_id`, if any."""
    if tps_id is None:
        return None
    return next((hit for hit in hits if hit.tps_id == tps_id), None)


def same_tps_message(hit: OfficerHit) -> str:
    """Why an officer cannot be saved where `hit` already is (translated, no personal data)."""
    return _(
        "This NIK is already {post} at TPS {tps}, {kelurahan}: one person cannot be saved "
        "twice in one TPS. Correct the NIK, or edit that officer instead."
    ).format(
        post=hit.post_name,
        tps=f"{hit.tps_number:03d}" if hit.tps_number is not None else "?",
        kelurahan=hit.kelurahan_name or hit.kelurahan_code or "",
    )


def refuse_same_tps(
    session: Session,
    catalogue: PostCatalogue,
    nik: str,
    tps_id: str | None,
    exclude_id: str | None = None,
) -> None:
    """Raise DuplicateInTps when another live officer of TPS `tps_id` has this NIK."""
    if tps_id is None:
        return
    query = _hit_select().where(
        col(Officer.nik) == normalize_nik(nik),
        col(Officer.tps_id) == tps_id,
        col(Officer.deleted).is_(False),
    )
    if exclude_id is not None:
        query = query.where(col(Officer.id) != exclude_id)
    hit = same_tps(_hits(session, query.limit(1), catalogue), tps_id)
    if hit is not None:
        raise DuplicateInTps(same_tps_message(hit))


# -- mutations ----------------------------------------------------------------------------


def add_officer(
    store: Store,
    fields: OfficerFields,
    *,
    tps_id: str | None = None,
    kelurahan_code: str | None = None,
    kecamatan_code: str | None = None,
    status: OfficerStatus = OfficerStatus.READY,
) -> Officer:
    """Add an officer at the place their post belongs to (see `resolve_placement`)."""
    catalogue = store.catalogue
    with store.transaction() as session:
        placement = resolve_placement(
            session,
            catalogue,
            fields.post_code,
            tps_id=tps_id,
            kelurahan_code=kelurahan_code,
            kecamatan_code=kecamatan_code,
        )
        check_in_area(session, catalogue, fields.post_code, placement)
        refuse_same_tps(session, catalogue, fields.nik, placement.tps_id)
        values = _values(fields, placement)
        officer = Officer(**values, status=OfficerStatus(status).value)
        changed = [name for name, value in values.items() if value is not None]
        stamp(session, state_of(session), officer, Action.CREATE, changed=[*changed, "status"])
        return officer


def update_officer(
    store: Store,
    officer_id: str,
    fields: OfficerFields,
    *,
    tps_id: Any = KEEP,
    kelurahan_code: Any = KEEP,
    kecamatan_code: Any = KEEP,
) -> Officer:
    """Replace an officer's values; stamps a new version only if something changed.

    Without placement arguments the officer stays where they are, as far as the post's unit
    allows: a TPS officer given a kelurahan post stays in that TPS's kelurahan; a kelurahan
    officer given a TPS post needs `tps_id`. With any placement argument, the ones left out
    count as None.
    """
    catalogue = store.catalogue
    with store.transaction() as session:
        officer = _live_officer(session, officer_id)
        if tps_id is KEEP and kelurahan_code is KEEP and kecamatan_code is KEEP:
            post = catalogue.get(fields.post_code)
            unit = post.unit if post is not None else None
            tps_id = officer.tps_id if unit == Unit.TPS else None
            kelurahan_code = officer.kelurahan_code if unit == Unit.KELURAHAN else None
            kecamatan_code = officer.kecamatan_code if unit == Unit.KECAMATAN else None
        placement = resolve_placement(
            session,
            catalogue,
            fields.post_code,
            tps_id=None if tps_id is KEEP else tps_id,
            kelurahan_code=None if kelurahan_code is KEEP else kelurahan_code,
            kecamatan_code=None if kecamatan_code is KEEP else kecamatan_code,
        )
        check_in_area(session, catalogue, fields.post_code, placement)
        refuse_same_tps(session, catalogue, fields.nik, placement.tps_id, officer.id)
        values = _values(fields, placement)
        changed = changed_fields(officer, values)
        if changed:
            for name in changed:
                setattr(officer, name, values[name])
            stamp(session, state_of(session), officer, Action.UPDATE, changed=changed)
        return officer


def set_status(store: Store, officer_id: str, status: OfficerStatus, reason: str = "") -> Officer:
    """Move an officer along draft → ready → sent → accepted / needs_fix → enrolled."""
    with store.transaction() as session:
        officer = _live_officer(session, officer_id)
        values = {"status": OfficerStatus(status).value, "status_reason": reason}
        changed = changed_fields(officer, values)
        if changed:
            for name in changed:
                setattr(officer, name, values[name])
            stamp(session, state_of(session), officer, Action.UPDATE, changed=changed)
        return officer


def delete_officer(store: Store, officer_id: str) -> None:
    """Tombstone an officer (no hard deletes: the deletion must travel to the district)."""
    with store.transaction() as session:
        officer = session.get(Officer, officer_id)
        if officer is None:
            raise NotFound(_("That officer does not exist (they may have been deleted)."))
        if not officer.deleted:
            stamp(session, state_of(session), officer, Action.DELETE, changed=["deleted"])


def undo_delete(store: Store, officer_id: str) -> Officer:
    """Bring a deleted officer back, as a new version. Refused if their TPS is gone."""
    with store.transaction() as session:
        officer = session.get(Officer, officer_id)
        if officer is None:
            raise NotFound(_("That officer does not exist (they may have been deleted)."))
        if officer.deleted:
            if officer.tps_id is not None:
                live_tps(session, officer.tps_id)
                refuse_same_tps(session, store.catalogue, officer.nik, officer.tps_id, officer.id)
            elif officer.kelurahan_code is not None:
                live_kelurahan(session, officer.kelurahan_code)
            else:
                live_kecamatan(session, officer.kecamatan_code)
            stamp(session, state_of(session), officer, Action.RESTORE, changed=["deleted"])
        return officer


# -- queries ------------------------------------------------------------------------------


def get_officer(store: Store, officer_id: str) -> Officer | None:
    """An officer by id, deleted or not (check `.deleted`)."""
    with store.read() as session:
        return session.get(Officer, officer_id)


def _post_order(catalogue: PostCatalogue) -> Any:
    order = {post.code: index for index, post in enumerate(catalogue.posts)}
    return case(order, value=Officer.post_code, else_=len(order))


def officers_for_tps(store: Store, tps_id: str) -> list[Officer]:
    """Live officers placed at a TPS, in catalogue order of their posts, then by name."""
    catalogue = store.catalogue
    with store.read() as session:
        query = (
            select(Officer)
            .where(Officer.tps_id == tps_id, col(Officer.deleted).is_(False))
            .order_by(_post_order(catalogue), col(Officer.name), col(Officer.id))
        )
        return list(session.exec(query))


def officers_for_unit(store: Store, unit: Unit, code: str) -> list[Officer]:
    """Live officers of one unit's posts: a TPS (by id), a kelurahan or a kecamatan (by code)."""
    if unit == Unit.TPS:
        return officers_for_tps(store, code)
    catalogue = store.catalogue
    with store.read() as session:
        query = select(Officer).where(
            col(Officer.deleted).is_(False), col(Officer.tps_id).is_(None)
        )
        if unit == Unit.KELURAHAN:
            query = query.where(Officer.kelurahan_code == code)
        else:
            query = query.where(
                col(Officer.kelurahan_code).is_(None), Officer.kecamatan_code == code
            )
        query = query.order_by(_post_order(catalogue), col(Officer.name), col(Officer.id))
        return list(session.exec(query))


def _hit_select() -> Select[*tuple[Any, ...]]:
    return (
        sa_select(
            col(Officer.id),
            col(Officer.nik),
            col(Officer.name),
            col(Officer.birth_date),
            col(Officer.sex),
            col(Officer.post_code),
            col(Officer.tps_id),
            col(Tps.number),
            col(Officer.kelurahan_code),
            col(Kelurahan.name),
            col(Officer.kecamatan_code),
            col(Officer.status),
            col(Officer.deleted),
        )
        .select_from(Officer)
        .outerjoin(Tps, col(Tps.id) == col(Officer.tps_id))
        .outerjoin(Kelurahan, col(Kelurahan.code) == col(Officer.kelurahan_code))
    )


def _hits(
    session: Session, query: Select[*tuple[Any, ...]], catalogue: PostCatalogue
) -> list[OfficerHit]:
    hits = []
    for row in session.execute(query):
        post = catalogue.get(row[5])
        hits.append(
            OfficerHit(
                id=row[0],
                nik=row[1],
                name=row[2],
                birth_date=row[3],
                sex=row[4],
                post_code=row[5],
                post_name=post.name if post is not None else row[5],
                tps_id=row[6],
                tps_number=row[7],
                kelurahan_code=row[8],
                kelurahan_name=row[9],
                kecamatan_code=row[10],
                status=row[11],
                deleted=row[12],
            )
        )
    return hits


def find_by_nik(store: Store, nik: str, exclude_id: str | None = None) -> list[OfficerHit]:
    """Live officers with this NIK (other than `exclude_id`), with where they are."""
    wanted = normalize_nik(nik)
    catalogue = store.catalogue
    query = _hit_select().where(col(Officer.nik) == wanted, col(Officer.deleted).is_(False))
    if exclude_id is not None:
        query = query.where(col(Officer.id) != exclude_id)
    query = query.order_by(
        col(Officer.kecamatan_code), col(Officer.kelurahan_code), col(Tps.number)
    )
    with store.read() as session:
        return _hits(session, query, catalogue)


def search_officers(
    store: Store, text: str, limit: int = DEFAULT_SEARCH_LIMIT, offset: int = 0
) -> list[OfficerHit]:
    """Live officers whose name contains `text` (any case), or whose NIK contains it.

    Text that is only digits once spaces, dots and dashes are gone searches NIKs: the exact
    NIK first, then NIKs starting with it, then the rest. Otherwise names: the exact name,
    then names starting with it, then names with a word starting with it, then the rest.
    Empty text lists everyone by name. Paged in SQL with `limit` and `offset`.
    """
    catalogue = store.catalogue
    text = " ".join(text.split())
    digits = normalize_nik(text)
    query = _hit_select().where(col(Officer.deleted).is_(False))
    if digits.isdigit():
        query = query.where(col(Officer.nik).contains(digits, autoescape=True)).order_by(
            case(
                (col(Officer.nik) == digits, 0),
                (col(Officer.nik).startswith(digits, autoescape=True), 1),
                else_=2,
            ),
            col(Officer.nik),
        )
    elif text:
        needle = text.lower()
        name = func.lower(Officer.name)
        query = query.where(name.contains(needle, autoescape=True)).order_by(
            case(
                (name == needle, 0),
                (name.startswith(needle, autoescape=True), 1),
                (name.contains(" " + needle, autoescape=True), 2),
                else_=3,
            )
        )
    query = query.order_by(col(Officer.name), col(Officer.id)).limit(limit).offset(offset)
    with store.read() as session:
        return _hits(session, query, catalogue)


def list_officers(
    store: Store, tps: str | None = None, *, limit: int | None = None, offset: int = 0
) -> list[OfficerHit]:
    """Live officers, by place then post then name; `tps` is an id or "kelurahan_code/number"."""
    catalogue = store.catalogue
    query = _hit_select().where(col(Officer.deleted).is_(False))
    with store.read() as session:
        if tps is not None:
            query = query.where(col(Officer.tps_id) == resolve_tps_ref(session, tps).id)
        query = query.order_by(
            col(Officer.kecamatan_code),
            func.coalesce(Officer.kelurahan_code, ""),
            func.coalesce(col(Tps.number), 0),
            _post_order(catalogue),
            col(Officer.name),
            col(Officer.id),
        )
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return _hits(session, query, catalogue)


def count_officers(store: Store) -> int:
    """How many live officers the store holds."""
    with store.read() as session:
        query = select(func.count()).select_from(Officer).where(col(Officer.deleted).is_(False))
        return int(session.exec(query).one())


_STATUS_LABELS = {
    "draft": N_("draft"),
    "ready": N_("ready"),
    "sent": N_("sent"),
    "accepted": N_("accepted"),
    "needs_fix": N_("needs fixing"),
    "enrolled": N_("enrolled"),
}


def status_label(status: str) -> str:
    """An officer's status as people read it, in the user's language."""
    label = _STATUS_LABELS.get(status)
    return _(label) if label else status
