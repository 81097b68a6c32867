"""0003 (schema_version 3): the officer's name key, stored and indexed.

`name_key` holds `domain.names.name_key(name)`, computed in Python whenever the name is written
(store/models.py), so that likely duplicates — same key, same birth date — are one index lookup
on both engines. Before, SQLite indexed an expression calling that Python function for every
row written, and PostgreSQL (which has no such function) read every officer born on the day and
keyed them in Python: a merge's lookup grew with the district. The keys of the officers already
held are computed here, in batches; the district's old `ix_officer_name_key` goes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tpsdesk.store.name_keys import recompute_name_keys

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_officer_name_key", table_name="officer", if_exists=True)
    op.add_column("officer", sa.Column("name_key", sa.String(), server_default="", nullable=False))
    recompute_name_keys(op.get_bind())
    op.create_index(
        "ix_officer_name_key_born",
        "officer",
        ["name_key", "birth_date"],
        sqlite_where=sa.text("deleted = 0"),
        postgresql_where=sa.text("NOT deleted"),
    )


def downgrade() -> None:
    op.drop_index("ix_officer_name_key_born", table_name="officer")
    op.drop_column("officer", "name_key")
