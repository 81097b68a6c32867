"""0002 (schema_version 2): drop the indexes no query uses; a smaller image saves faster.

Nothing looks change_log or audit_entry up by row_id; name search is `LIKE '%x%'`, which no
index serves. Kelurahan posts are looked up with `tps_id IS NULL`, so the kelurahan index of
officers leaves the TPS officers out (partial on SQLite; a plain index on PostgreSQL, as the
model declares it). On SQLite `db.Store` VACUUMs after a migration to drop the freed pages.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF EXISTS, as the hand-written migration of schema 1 did.
    op.drop_index("ix_change_log_row_id", table_name="change_log", if_exists=True)
    op.drop_index("ix_audit_entry_row_id", table_name="audit_entry", if_exists=True)
    op.drop_index("ix_officer_name", table_name="officer", if_exists=True)
    op.drop_index("ix_officer_kelurahan_code", table_name="officer", if_exists=True)
    op.create_index(
        "ix_officer_kelurahan_code",
        "officer",
        ["kelurahan_code"],
        sqlite_where=sa.text("tps_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_officer_kelurahan_code", table_name="officer")
    op.create_index("ix_officer_kelurahan_code", "officer", ["kelurahan_code"])
    op.create_index("ix_officer_name", "officer", ["name"])
    op.create_index("ix_audit_entry_row_id", "audit_entry", ["row_id"])
    op.create_index("ix_change_log_row_id", "change_log", ["row_id"])
