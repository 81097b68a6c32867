"""Version lineage: which version of a row knows which, the heads, the winner, and what two
versions must share to say the same thing. Pure functions over loaded `RowVersion`s (no
session), so that the order bundles arrive in cannot change what a row shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tpsdesk.sync.district_models import RowVersion

# Officer columns the district owns (its review status, the BPJS number): a merge never
# overwrites them, and they are no part of what makes two copies of a version the same.
DISTRICT_OWNED: dict[str, frozenset[str]] = {
    "officer": frozenset({"status", "status_reason", "bpjs_number"}),
}
# Display-only columns, not compared either.
_DISPLAY_ONLY = frozenset({"updated_at", "updated_by"})

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


def identity(table: str, wire: dict[str, Any]) -> str:
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


def vkey(v: RowVersion) -> VKey:
    return (v.device, v.counter)
