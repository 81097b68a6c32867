"""SQLModel tables of a store. Their schema is built and migrated by `store.schema`
(Alembic revisions): a change here comes with a new revision.

Synced tables (Kecamatan, Kelurahan, Tps, Officer) carry sync metadata: a UUID, the version
that made the row what it is (device id + that device's counter), the version it was based on,
and a tombstone flag. Nothing here creates an engine: `db.Store` does, per store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from tpsdesk.domain.names import name_key


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _deferred_fk(target: str) -> ForeignKey:
    # Deferred to commit, so a merge may insert rows of one transaction in any order.
    return ForeignKey(target, deferrable=True, initially="DEFERRED")


class OfficerStatus(StrEnum):
    DRAFT = "draft"
    READY = "ready"
    SENT = "sent"
    ACCEPTED = "accepted"
    NEEDS_FIX = "needs_fix"
    ENROLLED = "enrolled"


class Action(StrEnum):
    """What a change-log or audit entry records."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"


class SyncFields(SQLModel):
    """Sync metadata shared by every synced table (not a table itself)."""

    id: str = Field(default_factory=new_id, primary_key=True)
    version_device: str = ""
    version_counter: int = 0
    base_device: str | None = None
    base_counter: int | None = None
    deleted: bool = False
    # Display only: laptop clocks are wrong too often to decide anything.
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_by: str = ""

    # Names of the columns that are sync metadata, not content (for change detection).
    SYNC_COLUMNS: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "version_device",
            "version_counter",
            "base_device",
            "base_counter",
            "deleted",
            "updated_at",
            "updated_by",
        }
    )


class Kecamatan(SyncFields, table=True):
    __tablename__ = "kecamatan"

    code: str = Field(unique=True)
    name: str


class Kelurahan(SyncFields, table=True):
    __tablename__ = "kelurahan"

    code: str = Field(unique=True)
    name: str
    kecamatan_code: str = Field(index=True, sa_column_args=[_deferred_fk("kecamatan.code")])


class Tps(SyncFields, table=True):
    __tablename__ = "tps"
    __table_args__ = (Index("ix_tps_kelurahan_number", "kelurahan_code", "number"),)

    kelurahan_code: str = Field(sa_column_args=[_deferred_fk("kelurahan.code")])
    number: int
    address: str = ""
    voters: int | None = None

    @property
    def label(self) -> str:
        """The TPS number as people write it: 001."""
        return f"{self.number:03d}"


class Officer(SyncFields, table=True):
    __tablename__ = "officer"
    # Every index is copied into the store image and written at every save, so only those a
    # query uses are kept. None on `name`: name search is `LIKE '%x%'`, which no index serves.
    # Kelurahan posts are looked up with `tps_id IS NULL` (officers_for_unit, unit
    # completion), so their index leaves out the TPS officers, who are nearly all of them.
    __table_args__ = (
        Index("ix_officer_kelurahan_code", "kelurahan_code", sqlite_where=text("tps_id IS NULL")),
    )

    nik: str = Field(index=True)
    name: str
    birth_place: str = ""
    birth_date: date
    sex: str  # "L" / "P" (domain.problems.Sex values)
    address: str = ""
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None
    mother_name: str | None = None
    marital_status: str | None = None  # "Y" / "T"
    post_code: str
    tps_id: str | None = Field(default=None, index=True, sa_column_args=[_deferred_fk("tps.id")])
    kelurahan_code: str | None = Field(
        default=None, sa_column_args=[_deferred_fk("kelurahan.code")]
    )
    kecamatan_code: str = Field(index=True, sa_column_args=[_deferred_fk("kecamatan.code")])
    duty_start: date | None = None
    duty_end: date | None = None
    status: str = OfficerStatus.READY.value
    status_reason: str = ""
    bpjs_number: str | None = None


# -- the officer's name key --------------------------------------------------------------------
# `domain.names.name_key` of the officer's name, kept in its own indexed column so that likely
# duplicates (same key, same birth date) are one index lookup on SQLite and PostgreSQL alike.
# It is derived, never synced: a column of the table but not a field of the model, so it is
# never on the wire, never compared between versions, and never taken from a file. Every write
# of `name` writes it: a Core or ORM INSERT through the column's default, `store.bulk` through
# DERIVED_COLUMNS, an ORM UPDATE through `_name_key_follows_name`, the merge from its stage.


def _name_key_default(context: Any) -> str:
    return name_key(context.get_current_parameters()["name"])


NAME_KEY_COLUMN = Column(
    "name_key", String, nullable=False, default=_name_key_default, server_default=""
)
Officer.__table__.append_column(NAME_KEY_COLUMN)  # type: ignore[attr-defined]
Index(
    "ix_officer_name_key_born",
    NAME_KEY_COLUMN,
    Officer.__table__.c.birth_date,  # type: ignore[attr-defined]
    sqlite_where=text("deleted = 0"),
    postgresql_where=text("NOT deleted"),
)
# {table: {derived column: (the column it is made from, how)}} for writers that bypass the
# column defaults (`store.bulk`, the merge's stage).
DERIVED_COLUMNS: dict[str, dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "officer": {"name_key": ("name", name_key)},
}


@event.listens_for(Officer, "after_update")
def _name_key_follows_name(_mapper: Any, connection: Connection, target: Officer) -> None:
    if inspect(target).attrs.name.history.has_changes():
        table = Officer.__table__  # type: ignore[attr-defined]
        connection.execute(
            table.update().where(table.c.id == target.id).values(name_key=name_key(target.name))
        )


# The content columns of an officer that an OfficerFields value sets.
OFFICER_FIELD_COLUMNS: tuple[str, ...] = (
    "nik",
    "name",
    "birth_place",
    "birth_date",
    "sex",
    "address",
    "postcode",
    "phone",
    "email",
    "mother_name",
    "marital_status",
    "post_code",
    "duty_start",
    "duty_end",
)

SYNCED_TABLES: tuple[type[SyncFields], ...] = (Kecamatan, Kelurahan, Tps, Officer)


class StoreMeta(SQLModel, table=True):
    """Key/value facts about this store; values are JSON text."""

    __tablename__ = "store_meta"

    key: str = Field(primary_key=True)
    value: str = "null"


class ChangeLog(SQLModel, table=True):
    """Append-only: one entry per change, numbered per device, for the next sync bundle."""

    __tablename__ = "change_log"
    __table_args__ = (UniqueConstraint("device_id", "seq", name="uq_change_log_device_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: str
    seq: int
    table_name: str
    row_id: str  # not indexed: nothing looks entries up by row
    version_counter: int
    action: str
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class AuditEntry(SQLModel, table=True):
    """Who did what, when. `detail` names the fields that changed, never their values."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    actor: str = ""
    device_id: str
    action: str
    table_name: str = ""
    row_id: str = ""  # not indexed: nothing looks entries up by row
    detail: str = ""


class DeviceHistory(SQLModel, table=True):
    """Every device id this store has used; a copy or a restore starts a new one."""

    __tablename__ = "device_history"

    device_id: str = Field(primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    end_reason: str | None = None  # "moved", "restored", "recovery"
    last_counter: int | None = None


def create_schema(connection: Connection) -> None:
    """Kept for callers written before `store.schema`: the same as `upgrade_schema`."""
    from .schema import upgrade_schema

    upgrade_schema(connection)
