"""Tables only a district store fills: laptops, received bundles, every row version, findings.

They are registered on the same `SQLModel.metadata` as the store's own tables, and every store
has them from Alembic revision 0001 on (`store.schema`). `ensure_district_tables()` adds what
only a district needs, and the columns of older district stores, in a transaction of its own,
so a merge never mixes schema changes into its data transaction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from tpsdesk.domain.names import NAME_KEY_UNICODE
from tpsdesk.store.models import UtcDateTime, utcnow
from tpsdesk.store.name_keys import recompute_name_keys
from tpsdesk.store.versioning import get_meta, set_meta

if TYPE_CHECKING:
    from tpsdesk.store.db import Store


class DeviceStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REVOKED = "revoked"


class BundleStatus(StrEnum):
    QUARANTINED = "quarantined"  # from a laptop not yet approved; the raw file is kept
    MERGED = "merged"
    REFUSED = "refused"  # final: replaying the file gives the same refusal


class FindingKind(StrEnum):
    DUPLICATE_NIK = "duplicate_nik"
    LIKELY_DUPLICATE = "likely_duplicate"
    CONFLICT = "conflict"
    GAP = "gap"
    REJECTED_ROW = "rejected_row"
    DUPLICATE_TPS = "duplicate_tps"  # two live TPS with one number in one kelurahan
    ROLLBACK = "rollback"  # a laptop's store went back to an older copy


class FindingStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Device(SQLModel, table=True):
    """A field laptop the district has heard of, by the device id in its bundles."""

    __tablename__ = "sync_device"

    device_id: str = Field(primary_key=True)
    fingerprint: str = Field(index=True)  # digits only, no spaces
    signing_key: str  # base64 of the raw Ed25519 public key
    # The area the laptop may send rows for: the area of the setup file the district issued
    # to it ("" while unknown: approval then needs the clerk to choose one of the issued areas).
    area_code: str
    # What the laptop's first bundle header claimed; shown beside area_code, never trusted.
    claimed_area: str = ""
    setup_id: str = ""  # file id of the setup file its first bundle named ("" if none)
    status: str = DeviceStatus.PENDING.value
    label: str = ""
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # base64 raw X25519 key the laptop announced in its latest merged bundle (signed): its
    # receipts are encrypted to it. None for a laptop of an earlier tpsdesk.
    encryption_key: str | None = None


class ReceivedBundle(SQLModel, table=True):
    """Every bundle file the district has seen, by its file id; the report of its merge."""

    __tablename__ = "sync_received_bundle"

    file_id: str = Field(primary_key=True)
    device_id: str = Field(index=True)
    seq_from: int
    seq_to: int
    area: str = ""
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    status: str = BundleStatus.MERGED.value
    reason: str = ""  # a stable code (e.g. "rows_refused"), not a translated text
    report: str = "{}"  # MergeReport.to_json() as canonical JSON text


class QuarantinedBundle(SQLModel, table=True):
    """The raw bundle file (still HPKE-encrypted) of a laptop waiting for approval."""

    __tablename__ = "sync_quarantined_bundle"

    file_id: str = Field(primary_key=True)
    device_id: str = Field(index=True)
    data: bytes = Field(sa_type=LargeBinary)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class RowVersion(SQLModel, table=True):
    """Every version of every synced row the district has ever seen (never deleted)."""

    __tablename__ = "sync_row_version"
    __table_args__ = (
        # Also the index of every lookup by row_id (its leading column).
        UniqueConstraint("row_id", "device", "counter", name="uq_row_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    table_name: str
    row_id: str
    device: str
    counter: int
    base_device: str | None = None
    base_counter: int | None = None
    deleted: bool = False
    values: str  # canonical JSON of the row on the wire
    # {device: highest counter} of the versions this one was made knowing (the laptop's change
    # log of the row, "history" on the wire); merged by maximum when a copy tells more.
    history: str = "{}"
    # Provenance: the first bundle (and its sender) that brought this version; "" for the
    # district's own versions.
    file_id: str = ""
    sender_id: str = ""
    # Set when a clerk's resolution of a conflict replaced this version (it stops being a head).
    superseded: bool = False
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Finding(SQLModel, table=True):
    """Something for a clerk to review. `key` derives from what is found, so that finding the
    same thing again (a replay, another order) never makes a second one."""

    __tablename__ = "sync_finding"

    id: str = Field(primary_key=True)  # a hash of `key`
    key: str = Field(unique=True)
    kind: str
    status: str = FindingStatus.OPEN.value
    table_name: str = "officer"
    row_ids: str = "[]"  # JSON list of the rows involved (never NIKs or names)
    details: str = "{}"  # JSON: versions, device ids, sequence ranges
    resolution: str = ""  # JSON of the clerk's decision, "" while open
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_by: str = ""
    # Where the finding is: the kelurahan code of its rows (the kecamatan code when they have
    # no kelurahan; the laptop's area for a gap or rollback), so the desk filters 10,000
    # findings by area with an index (ix_finding_area) instead of reading every row.
    area_code: str = Field(default="", sa_column_kwargs={"server_default": ""})


DISTRICT_TABLES: tuple[type[SQLModel], ...] = (
    Device,
    ReceivedBundle,
    QuarantinedBundle,
    RowVersion,
    Finding,
)


def _tables() -> list[Any]:
    return [model.__table__ for model in DISTRICT_TABLES]  # type: ignore[attr-defined]


# Indexes on the store's own tables that only a district needs (a field store stays smaller).
# Likely duplicates are looked up by `ix_officer_name_key_born`, declared with the officer
# table (store/models.py: the stored name key), on every store.
DISTRICT_INDEXES = {
    # A laptop's counters seen again for other rows: its store went back in time (merge).
    "ix_row_version_device": "CREATE INDEX IF NOT EXISTS ix_row_version_device ON "
    "sync_row_version (device, counter)",
    # The desk's pages of findings, newest first, by kind; an area filter is read from the
    # index too (SQLite walks it in order rather than sort a kelurahan's findings).
    "ix_finding_page": "CREATE INDEX IF NOT EXISTS ix_finding_page ON sync_finding "
    "(status, kind, created_at, id, area_code)",
    "ix_finding_area": "CREATE INDEX IF NOT EXISTS ix_finding_area ON sync_finding "
    "(status, kind, area_code, created_at)",
}
# The same on PostgreSQL (kept apart: an index only one engine needs goes here).
POSTGRES_INDEXES = dict(DISTRICT_INDEXES)
# The Unicode version the stored name keys were computed under (StoreMeta): a Python with
# other Unicode data gives other keys for some names, so they are computed again.
NAME_KEY_UNICODE_META = "district.name_key_unicode"


def _catalogue(session: Any) -> tuple[dict[str, set[str]], set[str]]:
    """The store's tables with their columns, and its index names: one query of the engine's
    own catalogue each (the SQLAlchemy inspector reflects table by table: 3 ms a call, 1 s a
    100-file merge; and it leaves out SQLite's indexes on expressions)."""
    connection = session.connection()
    present: dict[str, set[str]] = {}
    if connection.dialect.name == "postgresql":
        columns = connection.exec_driver_sql(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
        listed = connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        )
    else:
        columns = connection.exec_driver_sql(
            "SELECT m.name, c.name FROM sqlite_master AS m, pragma_table_info(m.name) AS c "
            "WHERE m.type = 'table'"
        )
        listed = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
    for table_name, column_name in columns:
        present.setdefault(table_name, set()).add(column_name)
    return present, {name for (name,) in listed}


# Indexes earlier district stores had and no query needs (every index is written at each save);
# ix_officer_name_key (by a name key computed in SQL) is dropped by schema revision 0003.
DROPPED_INDEXES = ("ix_row_version_row", "ix_officer_birth_date")


def _missing_columns(session: Any, present: dict[str, set[str]]) -> list[str]:
    """ALTER TABLE statements adding the columns a district table gained since the store was
    made: a nullable one as NULL, another with its scalar default (text, number or flag), so
    the rows it holds stay valid. A new required column without such a default is a
    programming error. `present`: the store's tables and their columns."""
    connection = session.connection()
    out = []
    for table in _tables():
        if table.name not in present:
            continue
        have = present[table.name]
        for column in table.columns:
            if column.name in have:
                continue
            kind = column.type.compile(dialect=connection.dialect)
            default = getattr(column.default, "arg", None)
            if column.nullable and default is None:
                out.append(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")
                continue
            if isinstance(default, bool | int):
                literal = str(int(default))
            elif isinstance(default, str) and "'" not in default:
                literal = f"'{default}'"
            else:
                raise RuntimeError(f"no migration for {table.name}.{column.name}")
            out.append(
                f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind} NOT NULL "
                f"DEFAULT {literal}"
            )
    return out


def _claims_of_older_stores(session: Any) -> None:
    """A store from before issued areas took a laptop's area from its bundle header: keep that
    as the claim, and let a pending laptop keep it as its area only if a setup file was issued
    for it (approved laptops keep theirs: a clerk approved it)."""
    from tpsdesk.sync.setup import META_SETUP_ISSUED

    issued = {
        str(e.get("area", "")) for e in (get_meta(session, META_SETUP_ISSUED, {}) or {}).values()
    }
    connection = session.connection()
    connection.exec_driver_sql("UPDATE sync_device SET claimed_area = area_code")
    for device_id, area in connection.exec_driver_sql(
        "SELECT device_id, area_code FROM sync_device WHERE status = 'pending'"
    ).fetchall():
        if area not in issued:
            connection.exec_driver_sql(
                "UPDATE sync_device SET area_code = '' WHERE device_id = ?", (device_id,)
            )


def ensure_district_tables(store: Store) -> None:
    """Create the district indexes and columns `store` lacks, and drop indexes it no longer
    needs (a saved transaction of its own). The tables come with the schema (revision 0001)."""
    postgres = store.backend == "postgresql"
    with store.read() as session:
        # Every district call asks this: one query of the engine's catalogue.
        present, indexes = _catalogue(session)
        stale_keys = get_meta(session, NAME_KEY_UNICODE_META) != NAME_KEY_UNICODE
        new_columns = _missing_columns(session, present)
    wanted = POSTGRES_INDEXES if postgres else DISTRICT_INDEXES
    missing_indexes = [sql for name, sql in wanted.items() if name not in indexes]
    redundant = [name for name in DROPPED_INDEXES if name in indexes]
    if not (missing_indexes or redundant or stale_keys or new_columns):
        return
    with store.transaction() as session:
        connection = session.connection()
        for sql in new_columns:
            connection.exec_driver_sql(sql)
        if any(" claimed_area " in sql for sql in new_columns):
            _claims_of_older_stores(session)
        if any("sync_finding ADD COLUMN area_code " in sql for sql in new_columns):
            from tpsdesk.sync.findings import fill_finding_areas

            fill_finding_areas(session)
        for sql in missing_indexes:
            connection.exec_driver_sql(sql)
        for name in redundant:
            connection.exec_driver_sql(f"DROP INDEX {name}")
        if stale_keys:
            recompute_name_keys(connection)
            set_meta(session, NAME_KEY_UNICODE_META, NAME_KEY_UNICODE)
