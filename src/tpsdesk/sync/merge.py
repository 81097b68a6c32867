"""The district's merge engine: version rules, conflicts, duplicates, gaps, one report per bundle.

Rules (docs/sync-design.md, "Merge rules"):

* A bundle is checked as a whole first (schema, values, area); any bad row refuses the whole
  bundle with every reason listed, and nothing is applied. The refusal is recorded, so the same
  file again gets the same report.
* Otherwise it is merged in one transaction. Every version of every row is kept in
  `RowVersion`. What a row shows is recomputed from the SET of its known versions: the heads
  (versions no other known version descends from) and, among them, the winner — the greatest by
  (not deleted, counter, device id). Two or more heads are a conflict finding. As the shown state
  is a function of the set of versions, the order in which bundles arrive cannot change it, and
  a bundle merged twice adds nothing.
* Findings (same NIK, likely the same person, conflicts, sequence gaps) are derived from the
  current state and keyed by what they are about, so they are neither duplicated nor
  order-dependent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import types
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any, Union, get_args, get_origin

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tpsdesk.domain.area import AreaCodeError, normalize_kecamatan_code, normalize_kelurahan_code
from tpsdesk.domain.names import name_key
from tpsdesk.domain.officer import OfficerDraft, validate_officer
from tpsdesk.domain.posts import PostCatalogue, Unit
from tpsdesk.i18n import _, ngettext
from tpsdesk.store.bulk import insert_rows
from tpsdesk.store.db import NAME_KEY_FUNCTION, Store
from tpsdesk.store.models import (
    OFFICER_FIELD_COLUMNS,
    Action,
    Officer,
    OfficerStatus,
    SyncFields,
    utcnow,
)
from tpsdesk.store.versioning import audit, stamp, state_of
from tpsdesk.sync.changes import MODELS, row_to_wire, table_label, wire_value
from tpsdesk.sync.district import (
    Decision,
    DeviceKeyMismatch,
    DeviceNotApproved,
    DeviceRevoked,
    FileIdReused,
    FindingError,
    key_fingerprint,
    missing_ranges,
    require_district,
    seen_ranges_in,
)
from tpsdesk.sync.district_models import (
    BundleStatus,
    Device,
    DeviceStatus,
    Finding,
    FindingKind,
    FindingStatus,
    QuarantinedBundle,
    ReceivedBundle,
    RowVersion,
)
from tpsdesk.sync.errors import SyncError

# Tables whose rows a bundle may change at the district. Kecamatan and kelurahan rows are the
# district's own reference data (it issues them in setup files): their versions from a bundle
# are kept in RowVersion but never applied ("ignored" in the report).
APPLIED_TABLES = frozenset({"tps", "officer"})
# Officer columns the district owns (its review status, the BPJS number): a merge never
# overwrites them, and they are no part of what makes two copies of a version the same.
DISTRICT_OWNED: dict[str, frozenset[str]] = {
    "officer": frozenset({"status", "status_reason", "bpjs_number"}),
}
# Display-only columns, not compared either.
_DISPLAY_ONLY = frozenset({"updated_at", "updated_by"})
_MAX_TEXT = 1000
_MAX_ID = 100
_CHUNK = 500
# Live officers with a name key and a birth date; served by ix_officer_name_key (its WHERE
# and expression are spelled as the index spells them).
_SAME_PERSON = (
    f"SELECT id, nik FROM officer WHERE {NAME_KEY_FUNCTION}(name) = ? AND birth_date = ? "
    "AND deleted = 0"
)
_STATUSES = frozenset(status.value for status in OfficerStatus)
_ISO_DATE = re.compile(r"(?a)\d{4}-\d{2}-\d{2}")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# -- contracts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingBundle:
    """What reading a bundle gives the merge engine (docs/sync-design.md)."""

    file_id: str
    sender_id: str
    sender_key: bytes
    area: str
    seq_from: int
    seq_to: int
    rows: list[dict[str, Any]]


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


@dataclass(frozen=True)
class RowRef:
    table: str
    row_id: str


@dataclass(frozen=True)
class DuplicateRef:
    finding_id: str
    kind: str
    row_ids: tuple[str, ...]


@dataclass(frozen=True)
class MergeReport:
    file_id: str
    device_id: str
    seq_from: int
    seq_to: int
    status: str  # BundleStatus.MERGED or REFUSED
    reason: str = ""  # "rows_refused", "area", "" when merged
    accepted: tuple[RowRef, ...] = ()
    unchanged: tuple[RowRef, ...] = ()
    ignored: tuple[RowRef, ...] = ()
    conflicts: tuple[RowRef, ...] = ()
    duplicates: tuple[DuplicateRef, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    gaps: tuple[tuple[int, int], ...] = ()
    # True when the file had been merged (or refused) before and this is the stored report.
    replay: bool = field(default=False, compare=False)

    @property
    def merged(self) -> bool:
        return self.status == BundleStatus.MERGED.value

    def to_json(self) -> dict[str, Any]:
        def refs(items: Iterable[RowRef]) -> list[dict[str, str]]:
            return [{"table": r.table, "id": r.row_id} for r in items]

        return {
            "file_id": self.file_id,
            "device_id": self.device_id,
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "status": self.status,
            "reason": self.reason,
            "accepted": refs(self.accepted),
            "unchanged": refs(self.unchanged),
            "ignored": refs(self.ignored),
            "conflicts": refs(self.conflicts),
            "duplicates": [
                {"finding": d.finding_id, "kind": d.kind, "rows": list(d.row_ids)}
                for d in self.duplicates
            ],
            "rejected": [
                {
                    "index": r.index,
                    "table": r.table,
                    "id": r.row_id,
                    "problems": [
                        {"field": p.field, "code": p.code, "message": p.message} for p in r.problems
                    ],
                }
                for r in self.rejected
            ],
            "gaps": [[a, b] for a, b in self.gaps],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replay: bool = False) -> MergeReport:
        def refs(items: list[dict[str, str]]) -> tuple[RowRef, ...]:
            return tuple(RowRef(r["table"], r["id"]) for r in items)

        return cls(
            file_id=data["file_id"],
            device_id=data["device_id"],
            seq_from=data["seq_from"],
            seq_to=data["seq_to"],
            status=data["status"],
            reason=data.get("reason", ""),
            accepted=refs(data.get("accepted", [])),
            unchanged=refs(data.get("unchanged", [])),
            ignored=refs(data.get("ignored", [])),
            conflicts=refs(data.get("conflicts", [])),
            duplicates=tuple(
                DuplicateRef(d["finding"], d["kind"], tuple(d["rows"]))
                for d in data.get("duplicates", [])
            ),
            rejected=tuple(
                Rejection(
                    r["index"],
                    r["table"],
                    r["id"],
                    tuple(RowProblem(p["field"], p["code"], p["message"]) for p in r["problems"]),
                )
                for r in data.get("rejected", [])
            ),
            gaps=tuple((a, b) for a, b in data.get("gaps", [])),
            replay=replay,
        )

    def summary(self) -> str:
        """A translated, human summary (no names, no NIKs)."""
        lines = []
        if self.replay:
            lines.append(_("This bundle was handled before; nothing changed. Its report:"))
        if not self.merged:
            n = sum(1 for r in self.rejected if r.index >= 0)
            if self.reason == "area":
                lines.append(
                    _(
                        "Bundle refused: it is for another area than the laptop was approved "
                        "for. Nothing was merged."
                    )
                )
            else:
                lines.append(
                    ngettext(
                        "Bundle refused: {n} row is not acceptable. Nothing was merged; the "
                        "laptop must fix it and export again.",
                        "Bundle refused: {n} rows are not acceptable. Nothing was merged; the "
                        "laptop must fix them and export again.",
                        n,
                    ).format(n=n)
                )
            for rejection in self.rejected[:20]:
                for problem in rejection.problems:
                    if rejection.index >= 0:
                        lines.append(
                            _("  row {row} ({table}): {message}").format(
                                row=rejection.index + 1,
                                table=table_label(rejection.table),
                                message=problem.message,
                            )
                        )
                    else:
                        lines.append("  " + problem.message)
        else:
            lines.append(
                _(
                    "Bundle merged: {accepted} accepted, {unchanged} already known, "
                    "{conflicts} in conflict, {duplicates} possible duplicates."
                ).format(
                    accepted=len(self.accepted),
                    unchanged=len(self.unchanged) + len(self.ignored),
                    conflicts=len(self.conflicts),
                    duplicates=len(self.duplicates),
                )
            )
        if self.gaps:
            ranges = ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in self.gaps)
            lines.append(
                _(
                    "Changes {ranges} of this laptop never arrived: ask for the missing bundle "
                    "(the next receipt names them)."
                ).format(ranges=ranges)
            )
        return "\n".join(lines)


class VersionClash(SyncError):
    """A version the district has arrives with other contents (a laptop reused counters)."""

    code = "version_clash"

    def problem(self) -> str:
        return _(
            "The bundle holds a change the district already has, but with different contents. "
            "Nothing was merged; ask the district's technical staff to check the laptop."
        )


class MissingReference(SyncError):
    """Rows point at a TPS, kelurahan or kecamatan the district does not have (yet)."""

    code = "missing_reference"

    def problem(self) -> str:
        return _(
            "The bundle refers to a TPS or an area the district does not have. Nothing was "
            "merged; merge the laptop's earlier bundles first, or check the area list."
        )


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


def _problem(field_name: str, code: str, message: str) -> RowProblem:
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


_TYPES: dict[str, dict[str, tuple[type, bool]]] = {
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
    for name, (kind, optional) in _TYPES[table].items():
        value = wire[name]
        out[name] = None if value is None and optional else _convert(kind, value)
    return out


def _within(code: str, area: str) -> bool:
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


def _outside(area: str) -> RowProblem:
    return _problem(
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
            _problem("kecamatan_code", "kecamatan_code.invalid", _("Bad kecamatan code."))
        )
    if kel is not None and (not _normal_code(kel, kelurahan=True) or not kel.startswith(kec + ".")):
        problems.append(
            _problem("kelurahan_code", "kelurahan_code.invalid", _("Bad kelurahan code."))
        )
    if tps_id is not None and not _is_uuid(tps_id):
        problems.append(_problem("tps_id", "tps_id.invalid", _("Bad TPS reference.")))
    post = catalogue.get(typed["post_code"])
    if post is None:
        problems.append(
            _problem("post_code", "post_code.unknown", _("Unknown post; not in the catalogue."))
        )
    else:
        placed = {
            Unit.TPS: tps_id is not None and kel is not None,
            Unit.KELURAHAN: tps_id is None and kel is not None,
            Unit.KECAMATAN: tps_id is None and kel is None,
        }[post.unit]
        if not placed:
            problems.append(
                _problem(
                    "post_code",
                    "post_code.placement",
                    _("The post does not belong where the officer is placed."),
                )
            )
    if isinstance(kec, str) and not _within(kel if kel is not None else kec, area):
        problems.append(_outside(area))
    if typed["sex"] not in ("L", "P"):
        problems.append(_problem("sex", "sex.invalid", _("Sex must be L or P.")))
    if typed["marital_status"] not in (None, "Y", "T"):
        problems.append(
            _problem("marital_status", "marital_status.invalid", _("Bad marital status."))
        )
    if typed["status"] not in _STATUSES:
        problems.append(_problem("status", "status.invalid", _("Bad officer status.")))
    if problems or typed["deleted"]:
        return problems  # a deletion needs no valid person in it
    # The wire's own text: check_row has made sure each value is text or an ISO date (the same
    # text `wire_value` gives for the typed date).
    draft = OfficerDraft(**{name: wire[name] or "" for name in OFFICER_FIELD_COLUMNS})
    result = validate_officer(draft, catalogue=catalogue, today=today)
    problems.extend(_problem(p.field, p.code, p.message) for p in result.errors)
    if result.fields is not None:
        if result.fields.nik != typed["nik"]:
            problems.append(
                _problem("nik", "nik.not_normalised", _("The NIK is not written as digits only."))
            )
        if result.fields.post_code != typed["post_code"]:
            problems.append(_problem("post_code", "post_code.unknown", _("Unknown post code.")))
    return problems


def _check_area_row(table: str, typed: dict[str, Any], area: str) -> list[RowProblem]:
    problems: list[RowProblem] = []
    if table == "tps":
        kel = typed["kelurahan_code"]
        if not _normal_code(kel, kelurahan=True):
            problems.append(
                _problem("kelurahan_code", "kelurahan_code.invalid", _("Bad kelurahan code."))
            )
        elif not _within(kel, area):
            problems.append(_outside(area))
        if not 1 <= typed["number"] <= 999:
            problems.append(_problem("number", "tps.number", _("A TPS number is 1 to 999.")))
        if typed["voters"] is not None and typed["voters"] < 0:
            problems.append(_problem("voters", "tps.voters", _("Voters cannot be negative.")))
        return problems
    code = typed["code"]
    if not _normal_code(code, kelurahan=table == "kelurahan"):
        problems.append(_problem("code", "code.invalid", _("Bad area code.")))
    elif not (_within(code, area) or area.startswith(code + ".")):
        problems.append(_outside(area))
    if table == "kelurahan" and not (
        isinstance(code, str) and code.startswith(str(typed["kecamatan_code"]) + ".")
    ):
        problems.append(
            _problem("kecamatan_code", "kecamatan_code.invalid", _("Bad kecamatan code."))
        )
    return problems


def check_row(
    index: int, row: Any, *, area: str, catalogue: PostCatalogue, today: date
) -> tuple[ParsedRow | None, Rejection | None]:
    """A wire row, checked: its structure, sync metadata, values and area."""

    def reject(*problems: RowProblem, table: str = "", row_id: str = "") -> Rejection:
        return Rejection(index, table, row_id, tuple(problems))

    if not isinstance(row, dict) or not (
        {"table", "seq", "values"} <= set(row) <= {"table", "seq", "values", "history"}
    ):
        return None, reject(_problem("", "row.shape", _("The row is not in the bundle format.")))
    table, seq, wire = row["table"], row["seq"], row["values"]
    if table not in MODELS or not isinstance(wire, dict):
        return None, reject(_problem("", "row.table", _("Unknown kind of row.")))
    raw_id = wire.get("id")
    row_id = raw_id[:_MAX_ID] if isinstance(raw_id, str) else ""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return None, reject(
            _problem("", "row.seq", _("Bad sequence number.")), table=table, row_id=row_id
        )
    columns = _TYPES[table]
    if set(wire) != set(columns):
        return None, reject(
            _problem("", "row.columns", _("The row's columns do not match its kind.")),
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
                _problem(
                    name,
                    f"{name}.malformed",
                    _("A value cannot be read ({field}).").format(field=name),
                )
            )
    if problems:
        return None, reject(*problems, table=table, row_id=row_id)
    if not _is_uuid(typed["id"]):
        problems.append(_problem("id", "id.invalid", _("Bad row identifier.")))
    device, counter = typed["version_device"], typed["version_counter"]
    base_device, base_counter = typed["base_device"], typed["base_counter"]
    if not device or len(device) > _MAX_ID or counter < 1:
        problems.append(_problem("version_device", "version.invalid", _("Bad version.")))
    bad_base = (base_device is None) != (base_counter is None) or (
        base_device is not None
        and (not base_device or len(base_device) > _MAX_ID or base_counter < 1)
    )
    # A device's edit is based on an earlier version: never on itself or a later one.
    if bad_base or (base_device == device and base_counter >= counter):
        problems.append(_problem("base_device", "version.base", _("Bad base version.")))
    history = _read_history(row.get("history", []), device, counter)
    if history is None:
        problems.append(_problem("", "row.history", _("Bad version history.")))
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


_VERSION_COLUMNS = frozenset({"version_device", "version_counter", "base_device", "base_counter"})


def content_of_wire(table: str, wire: dict[str, Any]) -> str:
    """What two versions of a row must share to say the same thing: every column but the
    version, the display-only and the district-owned ones (canonical JSON)."""
    skip = _VERSION_COLUMNS | _DISPLAY_ONLY | DISTRICT_OWNED.get(table, frozenset())
    return canonical({k: v for k, v in wire.items() if k not in skip})


def disagree(table: str, heads: list[RowVersion]) -> bool:
    """Concurrent versions are a conflict only if they say different things: two edits that
    reached the same values (a laptop correcting what the district corrected) are not."""
    return len({content_of_wire(table, json.loads(v.values)) for v in heads}) > 1


def _identity(table: str, wire: dict[str, Any]) -> str:
    """What must be equal for two copies of one version to be the same version."""
    skip = _DISPLAY_ONLY | DISTRICT_OWNED.get(table, frozenset())
    return canonical({k: v for k, v in wire.items() if k not in skip})


# One encoder for every call: json.dumps would build a new one each time.
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(value: Any) -> str:
    return _CANONICAL_ENCODER.encode(value)


# -- versions and heads ----------------------------------------------------------------------

VKey = tuple[str, int]


@dataclass(frozen=True)
class Lineage:
    """What the district knows of where a version comes from."""

    base: VKey | None
    history: dict[str, int]


def knows(a: VKey, b: VKey, lineage: dict[VKey, Lineage]) -> bool:
    """Whether version `a` was made knowing version `b` (b is a or an ancestor of a).

    Walks a's base chain through the versions the district knows. At every step a version
    knows b if it is of b's device with a counter at least b's (a device's counters only grow,
    and each of its edits starts from what it had), or if its history (the sending store's
    change log of the row) names b's device with a counter at least b's. The walk stops at a
    version the district never saw.
    """
    node: VKey | None = a
    seen: set[VKey] = set()
    while node is not None and node not in seen:
        if node[0] == b[0] and node[1] >= b[1]:
            return True
        seen.add(node)
        info = lineage.get(node)
        if info is None:
            return False
        if info.history.get(b[0], 0) >= b[1]:
            return True
        node = info.base
    return False


def winner_key(version: RowVersion) -> tuple[bool, int, str]:
    """Among heads the shown version is the greatest by this key: a live version over a
    deletion, then the higher counter, then the device id. Clocks play no part."""
    return (not version.deleted, version.counter, version.device)


def lineage_of(versions: list[RowVersion]) -> dict[VKey, Lineage]:
    return {
        (v.device, v.counter): Lineage(
            None
            if v.base_device is None or v.base_counter is None
            else (v.base_device, v.base_counter),
            {str(k): int(c) for k, c in json.loads(v.history or "{}").items()},
        )
        for v in versions
    }


def heads_of(versions: list[RowVersion]) -> list[RowVersion]:
    """Versions no other known version was made knowing, less those a clerk set aside;
    sorted best first (the first is the winner)."""
    lineage = lineage_of(versions)
    keys = list(lineage)

    def dominated(v: VKey) -> bool:
        return any(w != v and knows(w, v, lineage) and not knows(v, w, lineage) for w in keys)

    maximal = [v for v in versions if not dominated((v.device, v.counter))]
    heads = [v for v in maximal if not v.superseded] or maximal
    return sorted(heads, key=winner_key, reverse=True)


def _vkey(v: RowVersion) -> VKey:
    return (v.device, v.counter)


def _finding_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _group_hash(ids: Iterable[str]) -> str:
    return hashlib.sha256(",".join(sorted(ids)).encode("ascii")).hexdigest()[:32]


# -- the merge -------------------------------------------------------------------------------


def _chunks(items: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(items))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _load_versions(session: Session, row_ids: Iterable[str]) -> dict[str, list[RowVersion]]:
    out: dict[str, list[RowVersion]] = defaultdict(list)
    for chunk in _chunks(row_ids):
        for version in session.exec(select(RowVersion).where(col(RowVersion.row_id).in_(chunk))):
            out[version.row_id].append(version)
    return out


def _load_rows(session: Session, table: str, ids: Iterable[str]) -> dict[str, SyncFields]:
    model = MODELS[table]
    out: dict[str, SyncFields] = {}
    for chunk in _chunks(ids):
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
    if any(_vkey(v) == (row.version_device, row.version_counter) for v in versions):
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


def _show(
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


@dataclass
class _OfficerKeys:
    niks: set[str] = field(default_factory=set)
    names: set[tuple[str, date]] = field(default_factory=set)
    rows: set[str] = field(default_factory=set)

    def add(self, officer: Officer) -> None:
        self.niks.add(officer.nik)
        self.names.add((name_key(officer.name), officer.birth_date))
        self.rows.add(officer.id)

    def add_values(self, values: dict[str, Any]) -> None:
        self.niks.add(values["nik"])
        self.names.add((name_key(values["name"]), values["birth_date"]))
        self.rows.add(values["id"])


def refresh_duplicates(session: Session, keys: _OfficerKeys) -> dict[str, Finding]:
    """Recompute the same-NIK and likely-duplicate groups the changed officers touch.

    Returns the current findings (open or resolved) of those groups by row id involved. Open
    findings of groups that no longer exist are removed (they were never acted on); resolved
    ones stay as the record of a decision.
    """
    current: dict[str, tuple[str, list[str]]] = {}
    # Rows whose groups were recomputed, per kind: an open finding of that kind touching them
    # and no longer found is stale.
    scope = {
        FindingKind.DUPLICATE_NIK.value: set(keys.rows),
        FindingKind.LIKELY_DUPLICATE.value: set(keys.rows),
    }
    if keys.niks:
        by_nik: dict[str, list[str]] = defaultdict(list)
        for chunk in _chunks(keys.niks):
            query = select(Officer.id, Officer.nik).where(
                col(Officer.nik).in_(chunk), col(Officer.deleted).is_(False)
            )
            for row_id, nik in session.exec(query):
                by_nik[nik].append(row_id)
        for ids in by_nik.values():
            scope[FindingKind.DUPLICATE_NIK.value].update(ids)
            if len(ids) > 1:
                current[f"duplicate_nik:{_group_hash(ids)}"] = (
                    FindingKind.DUPLICATE_NIK.value,
                    sorted(ids),
                )
    if keys.names:
        groups: dict[tuple[str, date], list[tuple[str, str]]] = defaultdict(list)
        # One indexed lookup per (name key, birth date): ix_officer_name_key of district stores.
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        for group in sorted(keys.names):
            key, born = group
            cursor.execute(_SAME_PERSON, (key, born.isoformat()))
            groups[group].extend(cursor.fetchall())
        for members in groups.values():
            ids = [row_id for row_id, _nik in members]
            scope[FindingKind.LIKELY_DUPLICATE.value].update(ids)
            if len({nik for _id, nik in members}) > 1:
                current[f"likely_duplicate:{_group_hash(ids)}"] = (
                    FindingKind.LIKELY_DUPLICATE.value,
                    sorted(ids),
                )
    kinds = (FindingKind.DUPLICATE_NIK.value, FindingKind.LIKELY_DUPLICATE.value)
    stale = select(Finding).where(
        col(Finding.kind).in_(kinds), Finding.status == FindingStatus.OPEN.value
    )
    for finding in session.exec(stale):
        touched = scope[finding.kind].intersection(json.loads(finding.row_ids))
        if finding.key not in current and touched:
            session.delete(finding)
    found: dict[str, Finding] = {}
    for key, (kind, ids) in current.items():
        finding = _ensure_finding(session, key, kind, "officer", ids, {"rows": ids})
        found[key] = finding
    return found


def _ensure_finding(
    session: Session, key: str, kind: str, table: str, ids: list[str], details: dict[str, Any]
) -> Finding:
    finding = session.get(Finding, _finding_id(key))
    if finding is None:
        finding = Finding(
            id=_finding_id(key),
            key=key,
            kind=kind,
            table_name=table,
            row_ids=canonical(ids),
            details=canonical(details),
        )
        session.add(finding)
    return finding


def _refresh_conflict(
    session: Session,
    table: str,
    row_id: str,
    heads: list[RowVersion],
    open_conflicts: dict[str, list[Finding]],
) -> None:
    key = ""
    if len(heads) > 1 and disagree(table, heads):
        ids = sorted(f"{v.device}:{v.counter}" for v in heads)
        key = f"conflict:{row_id}:{_group_hash(ids)}"
        details = {
            "heads": [[v.device, v.counter] for v in heads],
            "winner": [heads[0].device, heads[0].counter],
        }
        _ensure_finding(session, key, FindingKind.CONFLICT.value, table, [row_id], details)
    for finding in open_conflicts.get(row_id, []):
        if finding.key != key:
            session.delete(finding)


def _refresh_gaps(session: Session, device_id: str) -> list[tuple[int, int]]:
    missing = missing_ranges(seen_ranges_in(session, device_id))
    keys = set()
    for start, end in missing:
        key = f"gap:{device_id}:{start}-{end}"
        keys.add(key)
        details = {"device_id": device_id, "from": start, "to": end}
        _ensure_finding(session, key, FindingKind.GAP.value, "", [], details)
    query = select(Finding).where(
        Finding.kind == FindingKind.GAP.value, Finding.status == FindingStatus.OPEN.value
    )
    for finding in session.exec(query):
        if json.loads(finding.details).get("device_id") == device_id and finding.key not in keys:
            session.delete(finding)
    return missing


def _check_device(session: Session, bundle: IncomingBundle) -> Device:
    device = session.get(Device, bundle.sender_id)
    printed = key_fingerprint(bundle.sender_key)
    if device is None or device.status == DeviceStatus.PENDING.value:
        raise DeviceNotApproved(printed)
    if device.signing_key != _b64(bundle.sender_key):
        raise DeviceKeyMismatch()
    if device.status == DeviceStatus.REVOKED.value:
        raise DeviceRevoked(printed)
    return device


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _store_report(
    session: Session, bundle: IncomingBundle, report: MergeReport, reason: str
) -> None:
    record = session.get(ReceivedBundle, bundle.file_id)
    if record is None:
        record = ReceivedBundle(
            file_id=bundle.file_id,
            device_id=bundle.sender_id,
            seq_from=bundle.seq_from,
            seq_to=bundle.seq_to,
            area=bundle.area,
        )
    record.status = report.status
    record.reason = reason
    record.report = canonical(report.to_json())
    session.add(record)
    held = session.get(QuarantinedBundle, bundle.file_id)
    if held is not None:
        session.delete(held)


@dataclass(frozen=True)
class CheckedRows:
    """A bundle's rows checked against a laptop's area, the catalogue and a day: what
    `check_bundle_rows` gives (picklable: it may come from another process)."""

    area: str
    today: date
    parsed: list[ParsedRow]
    rejected: list[Rejection]
    reason: str  # why the bundle is refused when `rejected` is not empty


def check_bundle_rows(
    bundle_area: str,
    rows: list[dict[str, Any]],
    *,
    area: str,
    catalogue: PostCatalogue,
    today: date,
) -> CheckedRows:
    """Every row of a bundle for area `bundle_area` from a laptop of `area`, checked (no
    store needed)."""
    rejected: list[Rejection] = []
    parsed: list[ParsedRow] = []
    reason = "rows_refused"
    if not _within(bundle_area, area):
        reason = "area"
        rejected.append(Rejection(-1, "", "", (_outside(area),)))
    else:
        seen: set[str] = set()
        for index, row in enumerate(rows):
            good, bad = check_row(index, row, area=area, catalogue=catalogue, today=today)
            if good is not None and good.row_id in seen:
                repeated = _problem("id", "row.repeated", _("The same row appears twice."))
                bad = Rejection(index, good.table, good.row_id, (repeated,))
            if bad is not None:
                rejected.append(bad)
            elif good is not None:
                seen.add(good.row_id)
                parsed.append(good)
    return CheckedRows(area, today, parsed, rejected, reason)


def merge_bundle(
    store: Store,
    bundle: IncomingBundle,
    *,
    today: date | None = None,
    checked: CheckedRows | None = None,
) -> MergeReport:
    """Merge one bundle into a district store, in one transaction: all of it or none of it.

    The same file again returns the first report (`replay` set) and changes nothing. Raises
    a `SyncError` when the laptop is not approved, revoked, or signs with another key (nothing
    is recorded: a pending laptop's bundle belongs in quarantine, `district.quarantine`),
    `VersionClash` or `MissingReference` (nothing merged, nothing recorded: the file may be
    merged later). A bundle with bad rows is refused as a whole: the returned report says why
    and is kept for replays.

    `checked`: the bundle's rows as `check_bundle_rows` checked them beforehand (in another
    process); used only if checked for the laptop's area as the store has it now, and today.
    """
    require_district(store)
    today = today or date.today()
    with store.read() as session:
        prior = session.get(ReceivedBundle, bundle.file_id)
        if prior is not None and prior.device_id != bundle.sender_id:
            raise FileIdReused()
        if prior is not None and prior.status != BundleStatus.QUARANTINED.value:
            return MergeReport.from_json(json.loads(prior.report), replay=True)
        device = _check_device(session, bundle)
        area = device.area_code
    if checked is None or (checked.area, checked.today) != (area, today):
        checked = check_bundle_rows(
            bundle.area, bundle.rows, area=area, catalogue=store.catalogue, today=today
        )
    parsed, rejected, reason = checked.parsed, checked.rejected, checked.reason
    if rejected:
        report = MergeReport(
            bundle.file_id,
            bundle.sender_id,
            bundle.seq_from,
            bundle.seq_to,
            BundleStatus.REFUSED.value,
            reason,
            rejected=tuple(rejected),
        )
        with store.transaction() as session:
            _store_report(session, bundle, report, reason)
            audit(
                session,
                state_of(session),
                "bundle_refuse",
                table_name="sync_received_bundle",
                row_id=bundle.file_id,
                note=reason,
            )
        return report

    try:
        # Flushed by hand where a query needs it: autoflush at every lookup is most of the time.
        with store.transaction() as session, session.no_autoflush:
            report = _apply(session, bundle, parsed)
    except IntegrityError as error:
        # Foreign keys are deferred to COMMIT, where SQLite counts the violations this
        # transaction made (a `foreign_key_check` would scan the whole district every time).
        # Unique constraints fail at their statement, so a failed COMMIT is a missing row.
        if "FOREIGN KEY" not in str(error.orig):
            raise
        raise MissingReference() from None
    return report


def _apply(session: Session, bundle: IncomingBundle, parsed: list[ParsedRow]) -> MergeReport:
    by_table: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in parsed:
        by_table[row.table].append(row)
    versions = _load_versions(session, (p.row_id for p in parsed))
    open_conflicts: dict[str, list[Finding]] = defaultdict(list)
    query = select(Finding).where(
        Finding.kind == FindingKind.CONFLICT.value, Finding.status == FindingStatus.OPEN.value
    )
    for finding in session.exec(query):
        for row_id in json.loads(finding.row_ids):
            open_conflicts[row_id].append(finding)

    outcome: dict[str, list[RowRef]] = defaultdict(list)
    keys = _OfficerKeys()
    new_rows: set[str] = set()
    # Rows new to the district (no version, no shown row, no open conflict): their shown row
    # and version are inserted with one executemany per table at the end, not as ORM objects.
    fresh: dict[str, dict[str, Any]] = {}
    fresh_shown: dict[str, list[dict[str, Any]]] = defaultdict(list)
    fresh_versions: list[dict[str, Any]] = []
    for table, rows in by_table.items():
        current = _load_rows(session, table, (p.row_id for p in rows))
        for row_id, present in current.items():
            record_current_version(session, present, versions[row_id])
        touched: dict[str, ParsedRow] = {}
        for p in rows:
            ref = RowRef(table, p.row_id)
            known = next((v for v in versions[p.row_id] if _vkey(v) == p.version), None)
            if known is not None:
                if known.table_name != table or (
                    _identity(table, json.loads(known.values))
                    != _identity(table, p.wire or json.loads(p.wire_json))
                ):
                    raise VersionClash()
                outcome["unchanged"].append(ref)
                history = json.loads(known.history or "{}")
                wider = {d: max(c, history.get(d, 0)) for d, c in p.history.items()}
                if any(history.get(d, 0) < c for d, c in wider.items()):
                    history.update(wider)
                    known.history = canonical(history)
                    session.add(known)
                    if table in APPLIED_TABLES:
                        touched[p.row_id] = p  # more is known of its ancestry now
                continue
            if (
                table in APPLIED_TABLES
                and not versions[p.row_id]
                and p.row_id not in current
                and not open_conflicts.get(p.row_id)
            ):
                # Exactly what the ORM path below stores for such a row: the version, and the
                # row showing it (its only head, so the winner; no conflict to refresh).
                fresh_versions.append(
                    {
                        "table_name": table,
                        "row_id": p.row_id,
                        "device": p.device,
                        "counter": p.counter,
                        "base_device": p.base[0] if p.base else None,
                        "base_counter": p.base[1] if p.base else None,
                        "deleted": p.deleted,
                        "values": p.wire_json,
                        "history": p.history_json,
                        "file_id": bundle.file_id,
                        "sender_id": bundle.sender_id,
                        "superseded": False,
                        "received_at": utcnow(),
                    }
                )
                shown_values = dict(p.typed)
                if table == "officer":
                    shown_values.update(
                        status=OfficerStatus.SENT.value, status_reason="", bpjs_number=None
                    )
                fresh_shown[table].append(shown_values)
                fresh[p.row_id] = shown_values
                touched[p.row_id] = p
                new_rows.add(p.row_id)
                continue
            version = RowVersion(
                table_name=table,
                row_id=p.row_id,
                device=p.device,
                counter=p.counter,
                base_device=p.base[0] if p.base else None,
                base_counter=p.base[1] if p.base else None,
                deleted=p.deleted,
                values=p.wire_json,
                history=p.history_json,
                file_id=bundle.file_id,
                sender_id=bundle.sender_id,
            )
            session.add(version)
            versions[p.row_id].append(version)
            if table not in APPLIED_TABLES:
                outcome["ignored"].append(ref)
                continue
            touched[p.row_id] = p
            new_rows.add(p.row_id)
        for row_id, p in touched.items():
            ref = RowRef(table, row_id)
            if row_id in fresh:
                if table == "officer":
                    keys.add_values(fresh[row_id])
                outcome["accepted"].append(ref)
                continue
            heads = heads_of(versions[row_id])
            winner = heads[0]
            existing = current.get(row_id)
            if existing is None or (existing.version_device, existing.version_counter) != _vkey(
                winner
            ):
                if isinstance(existing, Officer):
                    keys.add(existing)
                # The winner's values as check_row read them, when it is this bundle's version.
                typed = p.typed if row_id in new_rows and _vkey(winner) == p.version else None
                shown = _show(session, table, existing, winner, typed)
                current[row_id] = shown
                if isinstance(shown, Officer):
                    keys.add(shown)
            _refresh_conflict(session, table, row_id, heads, open_conflicts)
            if row_id not in new_rows:
                continue
            if (
                len(heads) > 1
                and any(_vkey(h) == p.version for h in heads)
                and disagree(table, heads)
            ):
                outcome["conflicts"].append(ref)
            elif _vkey(winner) == p.version:
                outcome["accepted"].append(ref)
            else:
                outcome["unchanged"].append(ref)  # an ancestor of what the district has

    # TPS rows before the ORM flush and officers after it: either may refer to a TPS. In id
    # order, so that the id indexes grow at one end instead of everywhere at once.
    for fresh_rows in fresh_shown.values():
        fresh_rows.sort(key=itemgetter("id"))
    fresh_versions.sort(key=itemgetter("row_id"))
    insert_rows(session, "tps", fresh_shown.get("tps", []))
    session.flush()
    insert_rows(session, "officer", fresh_shown.get("officer", []))
    insert_rows(session, str(RowVersion.__tablename__), fresh_versions)
    found = refresh_duplicates(session, keys)
    bundle_rows = {p.row_id for p in parsed}
    duplicates = sorted(
        (
            DuplicateRef(f.id, f.kind, tuple(json.loads(f.row_ids)))
            for f in found.values()
            if f.status == FindingStatus.OPEN.value
            and bundle_rows.intersection(json.loads(f.row_ids))
        ),
        key=lambda d: (d.kind, d.finding_id),
    )
    # The bundle's own range counts as seen from here on.
    placeholder = MergeReport(
        bundle.file_id, bundle.sender_id, bundle.seq_from, bundle.seq_to, BundleStatus.MERGED.value
    )
    _store_report(session, bundle, placeholder, "")
    session.flush()
    missing = _refresh_gaps(session, bundle.sender_id)
    report = MergeReport(
        bundle.file_id,
        bundle.sender_id,
        bundle.seq_from,
        bundle.seq_to,
        BundleStatus.MERGED.value,
        "",
        accepted=tuple(outcome["accepted"]),
        unchanged=tuple(outcome["unchanged"]),
        ignored=tuple(outcome["ignored"]),
        conflicts=tuple(outcome["conflicts"]),
        duplicates=tuple(duplicates),
        gaps=tuple(missing),
    )
    _store_report(session, bundle, report, "")
    counts = {name: len(refs) for name, refs in outcome.items()}
    audit(session, state_of(session), "bundle_merge", table_name="sync_received_bundle",
          row_id=bundle.file_id, note=canonical(counts))  # fmt: skip
    return report


# -- clerk decisions on findings -------------------------------------------------------------


def _content_columns(table: str) -> list[str]:
    owned = DISTRICT_OWNED.get(table, frozenset())
    return [n for n in _TYPES[table] if n not in SyncFields.SYNC_COLUMNS and n not in owned]


def _record_stamped(session: Session, row: SyncFields) -> None:
    versions = _load_versions(session, [row.id])[row.id]
    record_current_version(session, row, versions)


def apply_decision(
    store: Store,
    finding_id: str,
    decision: str,
    *,
    keep: str | None = None,
    values: dict[str, Any] | None = None,
    note: str = "",
) -> Finding:
    """Carry out a clerk's decision on a finding (see `district.resolve_finding`)."""
    catalogue = store.catalogue
    with store.transaction() as session:
        finding = session.get(Finding, finding_id)
        if finding is None:
            raise FindingError(_("There is no such finding."))
        if finding.status == FindingStatus.RESOLVED.value:
            raise FindingError(_("This finding was already resolved."))
        rows: list[str] = json.loads(finding.row_ids)
        state = state_of(session)
        changed: list[dict[str, Any]] = []
        keys = _OfficerKeys()
        if decision == Decision.KEEP_BOTH:
            pass
        elif finding.kind == FindingKind.CONFLICT.value:
            row = _load_rows(session, finding.table_name, rows).get(rows[0])
            if row is None:
                raise FindingError(_("The row of this finding is gone."))
            versions = _load_versions(session, rows)[rows[0]]
            record_current_version(session, row, versions)
            heads = heads_of(versions)
            if decision == Decision.KEEP_ONE:
                chosen = next((h for h in heads if f"{h.device}:{h.counter}" == keep), None)
                if chosen is None:
                    raise FindingError(_("Choose one of the versions in conflict."))
                new_values = typed_values(finding.table_name, json.loads(chosen.values))
                new_values["deleted"] = chosen.deleted
            elif decision == Decision.EDIT and values is not None:
                chosen = None
                new_values = _edited(finding.table_name, row, values, catalogue)
            else:
                raise FindingError(_("Unknown decision."))
            if isinstance(row, Officer):
                keys.add(row)
            wanted = {
                n: new_values[n] for n in [*_content_columns(finding.table_name), "deleted"]
                if n in new_values
            }  # fmt: skip
            if chosen is None or _vkey(chosen) != (row.version_device, row.version_counter):
                for name, value in wanted.items():
                    setattr(row, name, value)
                stamp(session, state, row, Action.UPDATE, changed=sorted(wanted))
                record_current_version(session, row, versions)
                changed.append({"row": row.id, "version": [row.version_device,
                                                           row.version_counter]})  # fmt: skip
            for head in heads:
                if _vkey(head) != (row.version_device, row.version_counter):
                    head.superseded = True
                    session.add(head)
            if isinstance(row, Officer):
                keys.add(row)
        elif finding.kind in (FindingKind.DUPLICATE_NIK.value, FindingKind.LIKELY_DUPLICATE.value):
            if keep not in rows:
                raise FindingError(_("Choose one of the officers of this finding."))
            officers = _load_rows(session, "officer", rows)
            if decision == Decision.KEEP_ONE:
                for row_id in rows:
                    officer = officers.get(row_id)
                    if row_id != keep and officer is not None and not officer.deleted:
                        assert isinstance(officer, Officer)
                        keys.add(officer)
                        stamp(session, state, officer, Action.DELETE, changed=["deleted"])
                        _record_stamped(session, officer)
                        changed.append({"row": row_id, "deleted": True})
            elif decision == Decision.EDIT and values is not None:
                officer = officers[keep]
                assert isinstance(officer, Officer)
                keys.add(officer)
                new_values = _edited("officer", officer, values, catalogue)
                names = [n for n, v in new_values.items() if getattr(officer, n) != v]
                for name in names:
                    setattr(officer, name, new_values[name])
                if names:
                    stamp(session, state, officer, Action.UPDATE, changed=names)
                    _record_stamped(session, officer)
                    keys.add(officer)
                changed.append({"row": keep, "fields": sorted(names)})
            else:
                raise FindingError(_("Unknown decision."))
        elif decision != Decision.KEEP_ONE:
            raise FindingError(_("Unknown decision."))
        finding.status = FindingStatus.RESOLVED.value
        finding.resolved_at = utcnow()
        finding.resolved_by = state.actor
        finding.resolution = canonical(
            {"decision": decision, "keep": keep, "changes": changed, "note": note}
        )
        session.add(finding)
        session.flush()
        refresh_duplicates(session, keys)
        audit(session, state, "finding_resolve", table_name="sync_finding", row_id=finding.id,
              note=decision)  # fmt: skip
        return finding


def _edited(
    table: str, row: SyncFields, values: dict[str, Any], catalogue: PostCatalogue
) -> dict[str, Any]:
    """The row's content with `values` (wire form, content columns only) put in, checked."""
    allowed = set(_content_columns(table))
    unknown = set(values) - allowed
    if unknown:
        raise FindingError(_("Only the row's own fields can be edited."))
    wire = row_to_wire(row, 0)["values"]
    wire.update(values)
    try:
        typed = typed_values(table, wire)
    except (ValueError, KeyError) as exc:
        raise FindingError(_("A value cannot be read.")) from exc
    if table == "officer" and not typed["deleted"]:
        draft = OfficerDraft(
            **{
                n: "" if typed[n] is None else str(wire_value(typed[n]))
                for n in OFFICER_FIELD_COLUMNS
            }
        )
        result = validate_officer(draft, catalogue=catalogue, today=date.today())
        if result.errors:
            raise FindingError(
                "; ".join(p.message for p in result.errors)  # translated messages, no values
            )
    return {n: typed[n] for n in allowed}
