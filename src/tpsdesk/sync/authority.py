"""Authority by ownership (SECURITY 24, 25): which rows a laptop may create, change, move or
remove at the district.

A laptop approved for area A may touch a row only if the row lies in A both as the district
holds it now (its shown row, deleted or not) and as the bundle would leave it. A TPS never
changes kelurahan. An officer's TPS must be a TPS of the officer's own kelurahan, as the
district holds that TPS or as an accepted TPS row of the same bundle. Tombstones obey the same
rules: they carry the row's values like any version.

`row_checks` has already checked the bundle's side (the values sent lie in A): what is left
here needs the district's state, so it runs inside the merge transaction on rows the merge has
loaded anyway, plus one chunked query for the TPS officers point at. Set-based: no query per
row, so a district merge of many bundles stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlmodel import Session, col, select

from tpsdesk.i18n import _
from tpsdesk.store.models import Officer, SyncFields, Tps
from tpsdesk.sync.district_rows import chunks
from tpsdesk.sync.row_checks import ParsedRow, Rejection, RowProblem, problem, within


def _held_elsewhere(area: str) -> RowProblem:
    return problem(
        "",
        "area.held",
        _(
            "The district holds this row in another area ({area}); this laptop may not change "
            "or remove it."
        ).format(area=area),
    )


def held_area(row: SyncFields) -> str:
    """The area code a row the district holds lies in (its narrowest code)."""
    if isinstance(row, Tps):
        return row.kelurahan_code
    if isinstance(row, Officer):
        return row.kelurahan_code or row.kecamatan_code
    return str(getattr(row, "code", ""))


def tps_places(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """{TPS id: kelurahan code} of the TPS the district holds among `ids` (chunked)."""
    out: dict[str, str] = {}
    for chunk in chunks(ids):
        query = select(Tps.id, Tps.kelurahan_code).where(col(Tps.id).in_(chunk))
        for tps_id, kelurahan in session.exec(query):
            out[tps_id] = kelurahan
    return out


def check_authority(
    session: Session,
    area: str,
    parsed: list[ParsedRow],
    current: Mapping[str, Mapping[str, SyncFields]],
    refused_before: Iterable[Rejection] = (),
    *,
    places: Mapping[str, str] | None = None,
) -> dict[int, Rejection]:
    """{row index: rejection} of the bundle's TPS and officer rows this laptop (of `area`) may
    not write, given the district's shown rows `current` ({table: {id: row}}; a row it does
    not list is new to the district) and the rows already refused for their content
    (`refused_before`: officers pointing at one of those TPS are refused too).

    `places`: {TPS id: kelurahan code} of the TPS the district holds among those the
    officers point at, when the caller has them already (the merge reads them with one join
    of its staging table, `merge_sql.tps_places`); else read here."""
    out: dict[int, Rejection] = {}

    def refuse(p: ParsedRow, *problems: RowProblem) -> None:
        out[p.index] = Rejection(p.index, p.table, p.row_id, problems)

    refused_tps = {r.row_id for r in refused_before if r.table == "tps"}
    held_tps = current.get("tps", {})
    accepted_tps: dict[str, str] = {}
    for p in parsed:
        if p.table != "tps":
            continue
        held = held_tps.get(p.row_id)
        if held is not None and not within(held_area(held), area):
            refuse(p, _held_elsewhere(held_area(held)))
        elif held is not None and held_area(held) != p.typed["kelurahan_code"]:
            refuse(
                p,
                problem(
                    "kelurahan_code",
                    "tps.moved",
                    _("A TPS cannot move to another kelurahan; add a new TPS there instead."),
                ),
            )
        else:
            accepted_tps[p.row_id] = p.typed["kelurahan_code"]
    refused_tps.update(out_row.row_id for out_row in out.values())

    officers = [p for p in parsed if p.table == "officer"]
    pointed = {p.typed["tps_id"] for p in officers if p.typed["tps_id"] is not None}
    if places is None:
        places = tps_places(session, pointed - accepted_tps.keys())
    places = {**places, **accepted_tps}
    held_officers = current.get("officer", {})
    for p in officers:
        problems: list[RowProblem] = []
        held = held_officers.get(p.row_id)
        if held is not None and not within(held_area(held), area):
            problems.append(_held_elsewhere(held_area(held)))
        tps_id = p.typed["tps_id"]
        if tps_id is not None:
            place = places.get(tps_id)
            if place is None and tps_id in refused_tps:
                problems.append(
                    problem(
                        "tps_id",
                        "tps_id.refused",
                        _("The officer's TPS was refused in this bundle; fix the TPS first."),
                    )
                )
            elif place is not None and place != p.typed["kelurahan_code"]:
                problems.append(
                    problem(
                        "tps_id",
                        "tps_id.elsewhere",
                        _("The officer's TPS lies in another kelurahan than the officer."),
                    )
                )
            # A TPS the district does not know at all is left to the foreign key: an earlier
            # bundle may still bring it (MissingReference, the file may be merged later).
        if problems:
            refuse(p, *problems)
    return out
