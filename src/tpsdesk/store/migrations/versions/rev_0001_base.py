"""0001: the whole store schema as of schema_version 1.

Written out table by table, never from the models: this revision stays what schema 1 was
whatever the models become. Schema 1 still had the indexes that 0002 drops (officer name,
change_log and audit_entry row_id) and a full index of officers by kelurahan.

The district's tables (sync_*) never had a schema version of their own: a store got them when
it was created in a process that had imported `sync.district_models`, or later from
`ensure_district_tables()`. They are here as they were when schema versions gave way to
revisions; `store.schema` creates the ones an older store lacks (DISTRICT_TABLES) before it
stamps the store.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _sync_columns() -> list[sa.Column[object]]:
    """The sync metadata every synced table starts with (models.SyncFields)."""
    return [
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("version_device", sa.String(), nullable=False),
        sa.Column("version_counter", sa.Integer(), nullable=False),
        sa.Column("base_device", sa.String(), nullable=True),
        sa.Column("base_counter", sa.Integer(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
    ]


def _deferred_fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], deferrable=True, initially="DEFERRED")


def _store_meta() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def _kecamatan() -> None:
    op.create_table(
        "kecamatan",
        *_sync_columns(),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )


def _kelurahan() -> None:
    op.create_table(
        "kelurahan",
        *_sync_columns(),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kecamatan_code", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        _deferred_fk("kecamatan_code", "kecamatan.code"),
    )
    op.create_index("ix_kelurahan_kecamatan_code", "kelurahan", ["kecamatan_code"])


def _tps() -> None:
    op.create_table(
        "tps",
        *_sync_columns(),
        sa.Column("kelurahan_code", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("voters", sa.Integer(), nullable=True),
        _deferred_fk("kelurahan_code", "kelurahan.code"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tps_kelurahan_number", "tps", ["kelurahan_code", "number"])


def _officer() -> None:
    op.create_table(
        "officer",
        *_sync_columns(),
        sa.Column("nik", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("birth_place", sa.String(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("postcode", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("mother_name", sa.String(), nullable=True),
        sa.Column("marital_status", sa.String(), nullable=True),
        sa.Column("post_code", sa.String(), nullable=False),
        sa.Column("tps_id", sa.String(), nullable=True),
        sa.Column("kelurahan_code", sa.String(), nullable=True),
        sa.Column("kecamatan_code", sa.String(), nullable=False),
        sa.Column("duty_start", sa.Date(), nullable=True),
        sa.Column("duty_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("status_reason", sa.String(), nullable=False),
        sa.Column("bpjs_number", sa.String(), nullable=True),
        _deferred_fk("tps_id", "tps.id"),
        _deferred_fk("kelurahan_code", "kelurahan.code"),
        _deferred_fk("kecamatan_code", "kecamatan.code"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_officer_nik", "officer", ["nik"])
    op.create_index("ix_officer_name", "officer", ["name"])
    op.create_index("ix_officer_tps_id", "officer", ["tps_id"])
    op.create_index("ix_officer_kelurahan_code", "officer", ["kelurahan_code"])
    op.create_index("ix_officer_kecamatan_code", "officer", ["kecamatan_code"])


def _change_log() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("row_id", sa.String(), nullable=False),
        sa.Column("version_counter", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "seq", name="uq_change_log_device_seq"),
    )
    op.create_index("ix_change_log_row_id", "change_log", ["row_id"])


def _audit_entry() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("row_id", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_entry_row_id", "audit_entry", ["row_id"])


def _device_history() -> None:
    op.create_table(
        "device_history",
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(), nullable=True),
        sa.Column("last_counter", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("device_id"),
    )


def _sync_device() -> None:
    op.create_table(
        "sync_device",
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("signing_key", sa.String(), nullable=False),
        sa.Column("area_code", sa.String(), nullable=False),
        sa.Column("claimed_area", sa.String(), nullable=False),
        sa.Column("setup_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("encryption_key", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("device_id"),
    )
    op.create_index("ix_sync_device_fingerprint", "sync_device", ["fingerprint"])


def _sync_received_bundle() -> None:
    op.create_table(
        "sync_received_bundle",
        sa.Column("file_id", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("seq_from", sa.Integer(), nullable=False),
        sa.Column("seq_to", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("report", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("file_id"),
    )
    op.create_index("ix_sync_received_bundle_device_id", "sync_received_bundle", ["device_id"])


def _sync_quarantined_bundle() -> None:
    op.create_table(
        "sync_quarantined_bundle",
        sa.Column("file_id", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("file_id"),
    )
    op.create_index(
        "ix_sync_quarantined_bundle_device_id", "sync_quarantined_bundle", ["device_id"]
    )


def _sync_row_version() -> None:
    op.create_table(
        "sync_row_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("row_id", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("base_device", sa.String(), nullable=True),
        sa.Column("base_counter", sa.Integer(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("values", sa.String(), nullable=False),
        sa.Column("history", sa.String(), nullable=False),
        sa.Column("file_id", sa.String(), nullable=False),
        sa.Column("sender_id", sa.String(), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("row_id", "device", "counter", name="uq_row_version"),
    )


def _sync_finding() -> None:
    op.create_table(
        "sync_finding",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("row_ids", sa.String(), nullable=False),
        sa.Column("details", sa.String(), nullable=False),
        sa.Column("resolution", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(), nullable=False),
        sa.Column("area_code", sa.String(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


# In creation order (foreign keys point backwards).
STORE_TABLES: dict[str, Callable[[], None]] = {
    "store_meta": _store_meta,
    "kecamatan": _kecamatan,
    "kelurahan": _kelurahan,
    "tps": _tps,
    "officer": _officer,
    "change_log": _change_log,
    "audit_entry": _audit_entry,
    "device_history": _device_history,
}
# The district's tables, which a store from before revisions may lack.
DISTRICT_TABLES: dict[str, Callable[[], None]] = {
    "sync_device": _sync_device,
    "sync_received_bundle": _sync_received_bundle,
    "sync_quarantined_bundle": _sync_quarantined_bundle,
    "sync_row_version": _sync_row_version,
    "sync_finding": _sync_finding,
}


def upgrade() -> None:
    for create in (*STORE_TABLES.values(), *DISTRICT_TABLES.values()):
        create()


def downgrade() -> None:
    for name in reversed((*STORE_TABLES, *DISTRICT_TABLES)):
        op.drop_table(name)
