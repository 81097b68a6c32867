"""Checks of a bundle's rows that need no store: the row's shape, its sync metadata, its values
read as the model's types, officer validation, and the laptop's area as a code prefix.

Checks that need the district's state (who holds a row now, which TPS lies where) are in
`sync/authority.py` and run inside the merge transaction.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Union, get_args, get_origin

from tpsdesk.domain.area import AreaCodeError, normalize_kecamatan_code, normalize_kelurahan_code
from tpsdesk.domain.officer import OfficerDraft, validate_officer
from tpsdesk.domain.posts import PostCatalogue, Unit
from tpsdesk.domain.text import text_problems
from tpsdesk.i18n import _
from tpsdesk.store.models import OFFICER_FIELD_COLUMNS, OfficerStatus, SyncFields
from tpsdesk.sync.changes import MODELS
from tpsdesk.sync.lineage import canonical

_MAX_TEXT = 1000
_MAX_ID = 100
_STATUSES = frozenset(status.value for status in OfficerStatus)
_ISO_DATE = re.compile(r"(?a)\d{4}-\d{2}-\d{2}")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class RowProblem:
    field: str
    code: str
    message: str  # translated when the bundle was merged


@dataclass(frozen=True)
class Rejection:
    index: int  # position of the row in the bundle (0-based); -1 for the bundle itself
    table: str
    row_id: str
    problems: tuple[RowProblem, ...]


# -- checking rows ---------------------------------------------------------------------------


@dataclass
class ParsedRow:
    index: int
    table: str
    row_id: str
    seq: int
    device: str
    counter: int
    base: tuple[str, int] | None
    deleted: bool
    wire: dict[str, Any]
    typed: dict[str, Any]
    history: dict[str, int] = field(default_factory=dict)
    # canonical(wire) and canonical(history), made with the check (which may run in the
    # prefetching process, so the merge does not have to). A row checked there comes back
    # without `wire` (half the transfer); `wire_json` holds the same.
    wire_json: str = ""
    history_json: str = "{}"

    @property
    def version(self) -> tuple[str, int]:
        return (self.device, self.counter)


def problem(field_name: str, code: str, message: str) -> RowProblem:
    return RowProblem(field_name, code, message)


def _column_types(model: type[SyncFields]) -> dict[str, tuple[type, bool]]:
    out: dict[str, tuple[type, bool]] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        optional = False
        if get_origin(annotation) in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = len(args) < len(get_args(annotation))
            annotation = args[0]
        assert isinstance(annotation, type)
        out[name] = (annotation, optional)
    return out


TYPES: dict[str, dict[str, tuple[type, bool]]] = {
    table: _column_types(model) for table, model in MODELS.items()
}


def _convert(kind: type, value: Any) -> Any:
    """A wire value as the column's Python type; raises ValueError when it is not one."""
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**53:
            raise ValueError
        return value
    if kind is str:
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            raise ValueError
        return value
    if kind is datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed.astimezone(UTC)
    if kind is date:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    raise ValueError


def typed_values(table: str, wire: dict[str, Any]) -> dict[str, Any]:
    """Wire values as the model's Python values (raises ValueError on a bad one)."""
    out = {}
    for name, (kind, optional) in TYPES[table].items():
        value = wire[name]
        out[name] = None if value is None and optional else _convert(kind, value)
    return out


def within(code: str, area: str) -> bool:
    return code == area or code.startswith(area + ".")


def _is_uuid(text: Any) -> bool:
    """A UUID in its one canonical spelling (lower-case hex, hyphenated): what
    `str(uuid.UUID(text)) == text` accepts, without building the object."""
    return isinstance(text, str) and _CANONICAL_UUID.fullmatch(text) is not None


def _normal_code(text: Any, kelurahan: bool) -> bool:
    if not isinstance(text, str):
        return False
    try:
        normal = normalize_kelurahan_code(text) if kelurahan else normalize_kecamatan_code(text)
    except AreaCodeError:
        return False
    return normal == text


def outside(area: str) -> RowProblem:
    return problem(
        "",
        "area.outside",
        _("The row lies outside the laptop's area ({area}).").format(area=area),
    )


def _check_officer(
    typed: dict[str, Any],
    wire: dict[str, Any],
    area: str,
    catalogue: PostCatalogue,
    today: date,
) -> list[RowProblem]:
    problems: list[RowProblem] = []
    kec, kel, tps_id = typed["kecamatan_code"], typed["kelurahan_code"], typed["tps_id"]
    if not _normal_code(kec, kelurahan=False):
        problems.append(
            problem("kecamatan_code", "kecamatan_code.invalid", _("Bad kecamatan code."))
        )
    if kel is not None and (not _normal_code(kel, kelurahan=True) or not kel.startswith(kec + ".")):
        problems.append(
            problem("kelurahan_code", "kelurahan_code.invalid", _("Bad kelurahan code."))
        )
    if tps_id is not None and not _is_uuid(tps_id):
        problems.append(problem("tps_id", "tps_id.invalid", _("Bad TPS reference.")))
    post = catalogue.get(typed["post_code"])
    if post is None:
        problems.append(
            problem("post_code", "post_code.unknown", _("Unknown post; not in the catalogue."))
        )
    else:
        placed = {
            Unit.TPS: tps_id is not None and kel is not None,
            Unit.KELURAHAN: tps_id is None and kel is not None,
            Unit.KECAMATAN: tps_id is None and kel is None,
        }[post.unit]
        if not placed:
            problems.append(
                problem(
                    "post_code",
                    "post_code.placement",
                    _("The post does not belong where the officer is placed."),
                )
            )
    if isinstance(kec, str) and not within(kel if kel is not None else kec, area):
        problems.append(outside(area))
    if typed["sex"] not in ("L", "P"):
        problems.append(problem("sex", "sex.invalid", _("Sex must be L or P.")))
    if typed["marital_status"] not in (None, "Y", "T"):
        problems.append(
            problem("marital_status", "marital_status.invalid", _("Bad marital status."))
        )
    if typed["status"] not in _STATUSES:
        problems.append(problem("status", "status.invalid", _("Bad officer status.")))
    if problems or typed["deleted"]:
        return problems  # a deletion needs no valid person in it
    # The wire's own text: check_row has made sure each value is text or an ISO date (the same
    # text `wire_value` gives for the typed date).
    draft = OfficerDraft(**{name: wire[name] or "" for name in OFFICER_FIELD_COLUMNS})
    result = validate_officer(draft, catalogue=catalogue, today=today)
    problems.extend(problem(p.field, p.code, p.message) for p in result.errors)
    if result.fields is not None:
        if result.fields.nik != typed["nik"]:
            problems.append(
                problem("nik", "nik.not_normalised", _("The NIK is not written as digits only."))
            )
        if result.fields.post_code != typed["post_code"]:
            problems.append(problem("post_code", "post_code.unknown", _("Unknown post code.")))
    return problems


def _check_area_row(table: str, typed: dict[str, Any], area: str) -> list[RowProblem]:
    problems: list[RowProblem] = []
    if table == "tps":
        kel = typed["kelurahan_code"]
        if not _normal_code(kel, kelurahan=True):
            problems.append(
                problem("kelurahan_code", "kelurahan_code.invalid", _("Bad kelurahan code."))
            )
        elif not within(kel, area):
            problems.append(outside(area))
        if not 1 <= typed["number"] <= 999:
            problems.append(problem("number", "tps.number", _("A TPS number is 1 to 999.")))
        if typed["voters"] is not None and typed["voters"] < 0:
            problems.append(problem("voters", "tps.voters", _("Voters cannot be negative.")))
        problems.extend(_text_problems("address", "tps_address", typed["address"]))
        return problems
    code = typed["code"]
    if not _normal_code(code, kelurahan=table == "kelurahan"):
        problems.append(problem("code", "code.invalid", _("Bad area code.")))
    elif not (within(code, area) or area.startswith(code + ".")):
        problems.append(outside(area))
    if table == "kelurahan" and not (
        isinstance(code, str) and code.startswith(str(typed["kecamatan_code"]) + ".")
    ):
        problems.append(
            problem("kecamatan_code", "kecamatan_code.invalid", _("Bad kecamatan code."))
        )
    problems.extend(_text_problems("name", f"{table}_name", typed["name"]))
    return problems


def _text_problems(column: str, label: str, value: Any) -> list[RowProblem]:
    """Control and format characters in a TPS address or an area name (SECURITY 28); officers'
    text is checked by `validate_officer`. Reported under the row's column, never its value."""
    return [
        problem(column, f"{column}.{p.code.rsplit('.', 1)[1]}", p.message)
        for p in text_problems(label, value)
    ]


def check_row(
    index: int, row: Any, *, area: str, catalogue: PostCatalogue, today: date
) -> tuple[ParsedRow | None, Rejection | None]:
    """A wire row, checked: its structure, sync metadata, values and area."""

    def reject(*problems: RowProblem, table: str = "", row_id: str = "") -> Rejection:
        return Rejection(index, table, row_id, tuple(problems))

    if not isinstance(row, dict) or not (
        {"table", "seq", "values"} <= set(row) <= {"table", "seq", "values", "history"}
    ):
        return None, reject(problem("", "row.shape", _("The row is not in the bundle format.")))
    table, seq, wire = row["table"], row["seq"], row["values"]
    if table not in MODELS or not isinstance(wire, dict):
        return None, reject(problem("", "row.table", _("Unknown kind of row.")))
    raw_id = wire.get("id")
    row_id = raw_id[:_MAX_ID] if isinstance(raw_id, str) else ""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return None, reject(
            problem("", "row.seq", _("Bad sequence number.")), table=table, row_id=row_id
        )
    columns = TYPES[table]
    if set(wire) != set(columns):
        return None, reject(
            problem("", "row.columns", _("The row's columns do not match its kind.")),
            table=table,
            row_id=row_id,
        )
    problems: list[RowProblem] = []
    typed: dict[str, Any] = {}
    for name, (kind, optional) in columns.items():
        value = wire[name]
        if value is None and optional:
            typed[name] = None
            continue
        if kind is str and type(value) is str and len(value) <= _MAX_TEXT:
            typed[name] = value  # most columns: what _convert would do, without the call
            continue
        try:
            typed[name] = _convert(kind, value)
        except ValueError:
            problems.append(
                problem(
                    name,
                    f"{name}.malformed",
                    _("A value cannot be read ({field}).").format(field=name),
                )
            )
    if problems:
        return None, reject(*problems, table=table, row_id=row_id)
    if not _is_uuid(typed["id"]):
        problems.append(problem("id", "id.invalid", _("Bad row identifier.")))
    device, counter = typed["version_device"], typed["version_counter"]
    base_device, base_counter = typed["base_device"], typed["base_counter"]
    if not device or len(device) > _MAX_ID or counter < 1:
        problems.append(problem("version_device", "version.invalid", _("Bad version.")))
    bad_base = (base_device is None) != (base_counter is None) or (
        base_device is not None
        and (not base_device or len(base_device) > _MAX_ID or base_counter < 1)
    )
    # A device's edit is based on an earlier version: never on itself or a later one.
    if bad_base or (base_device == device and base_counter >= counter):
        problems.append(problem("base_device", "version.base", _("Bad base version.")))
    history = _read_history(row.get("history", []), device, counter)
    if history is None:
        problems.append(problem("", "row.history", _("Bad version history.")))
    if not problems:
        if table == "officer":
            problems.extend(_check_officer(typed, wire, area, catalogue, today))
        else:
            problems.extend(_check_area_row(table, typed, area))
    if problems:
        return None, reject(*problems, table=table, row_id=row_id)
    base = None if base_device is None else (base_device, int(base_counter))
    assert history is not None
    parsed = ParsedRow(
        index,
        table,
        row_id,
        seq,
        device,
        counter,
        base,
        typed["deleted"],
        wire,
        typed,
        history,
        canonical(wire),
        canonical(history),
    )
    return parsed, None


_MAX_HISTORY = 64


def _read_history(value: Any, device: str, counter: int) -> dict[str, int] | None:
    """The optional "history" of a wire row: [[device, counter], ...], at most one pair per
    device, none of them later than the version itself on its own device."""
    if not isinstance(value, list) or len(value) > _MAX_HISTORY:
        return None
    out: dict[str, int] = {}
    for pair in value:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and 0 < len(pair[0]) <= _MAX_ID
            and isinstance(pair[1], int)
            and not isinstance(pair[1], bool)
            and 1 <= pair[1] <= 2**53
            and pair[0] not in out
        ):
            return None
        if pair[0] == device and pair[1] > counter:
            return None
        out[pair[0]] = pair[1]
    return out


# Refusal semantics (docs/sync-design.md, "Refusals"). A problem with one of these codes says
# the bundle is not what tpsdesk writes (the row's shape, an unknown table, unreadable values,
# bad ids, versions or history, the same row twice): the WHOLE bundle is refused. Every other
# problem is the content of one row, which a clerk can cause and fix (officer validation, a post
# not of its placement, the area): THAT ROW is refused and the rest merges.
STRUCTURAL_CODES = frozenset(
    {
        "row.shape",
        "row.table",
        "row.seq",
        "row.columns",
        "id.invalid",
        "version.invalid",
        "version.base",
        "row.history",
        "row.repeated",
    }
)
# Checking stops after this many structurally bad rows: the bundle is refused anyway, and a
# hostile file must not cost a rejection (and its report) per row.
MAX_STRUCTURAL = 100


def is_structural(rejection: Rejection) -> bool:
    """Whether a rejected row refuses its whole bundle (see STRUCTURAL_CODES)."""
    return rejection.index < 0 or any(
        p.code in STRUCTURAL_CODES or p.code.endswith(".malformed") for p in rejection.problems
    )


@dataclass(frozen=True)
class CheckedRows:
    """A bundle's rows checked against a laptop's area, the catalogue and a day: what
    `check_bundle_rows` gives (picklable: it may come from another process)."""

    area: str
    today: date
    parsed: list[ParsedRow]
    # Rows refused: with `reason` "" each is refused alone (its content), and `parsed` merges;
    # otherwise they refuse the whole bundle.
    rejected: list[Rejection]
    reason: str  # "" when the bundle may merge; "rows_refused" or "area" when refused whole


def check_bundle_rows(
    bundle_area: str,
    rows: list[dict[str, Any]],
    *,
    area: str,
    catalogue: PostCatalogue,
    today: date,
) -> CheckedRows:
    """Every row of a bundle for area `bundle_area` from a laptop of `area`, checked (no
    store needed). The header's area must lie inside the laptop's approved area: a wider or
    other claim refuses the bundle (a narrower one is harmless — every row is checked against
    the approved area — and is what a laptop approved by a clerk for a wider area sends)."""
    if not within(bundle_area, area):
        return CheckedRows(area, today, [], [Rejection(-1, "", "", (outside(area),))], "area")
    structural: list[Rejection] = []
    content: list[Rejection] = []
    parsed: list[ParsedRow] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        good, bad = check_row(index, row, area=area, catalogue=catalogue, today=today)
        # A row refused for its content has a readable id too: it may not come twice either.
        known = good or (bad if bad is not None and not is_structural(bad) else None)
        if known is not None and known.row_id in seen:
            repeated = problem("id", "row.repeated", _("The same row appears twice."))
            good, bad = None, Rejection(index, known.table, known.row_id, (repeated,))
        elif known is not None:
            seen.add(known.row_id)
        if bad is None and good is not None:
            parsed.append(good)
        elif bad is not None and is_structural(bad):
            structural.append(bad)
            if len(structural) >= MAX_STRUCTURAL:
                break
        elif bad is not None:
            content.append(bad)
    if structural:
        return CheckedRows(area, today, [], structural, "rows_refused")
    return CheckedRows(area, today, parsed, content, "")
