"""The store schema: Alembic revisions (`store/migrations/versions/`) brought to head inside
the caller's transaction, the same on the in-memory SQLite image and on PostgreSQL.

`HEAD` is the newest revision this tpsdesk knows and `SCHEMA_VERSION` its number, which is
also kept in `store_meta` (`schema_version`), so that a tpsdesk from before revisions still
refuses a newer store. A store from before revisions has no `alembic_version` table: it is
stamped at the revision equal to its schema_version (1 → 0001, 2 → 0002), after getting the
district tables it may lack, and then upgraded. How to add a revision: docs/store-format.md.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, column, func, inspect, select, table

HEAD = "0003"
SCHEMA_VERSION = int(HEAD)
# The revision equal to each schema_version written before revisions.
LEGACY_REVISIONS = {1: "0001", 2: "0002"}

VERSION_TABLE = "alembic_version"
META_SCHEMA_VERSION = "schema_version"
# Key of the PostgreSQL advisory lock held while a database is migrated (any fixed number).
_MIGRATION_LOCK = 0x7470_7364_736B_0001  # "tpsdsk" 1
_version_table = table(VERSION_TABLE, column("version_num"))
_store_meta = table("store_meta", column("key"), column("value"))


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None when it has none (empty, or from before
    revisions). Plain SQL: reading it does not load Alembic."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(select(_version_table.c.version_num)).scalar()


def upgrade_schema(connection: Connection) -> None:
    """Bring an empty database, or one at any earlier revision or schema_version, to HEAD.

    Runs in the caller's transaction (begun here if none is open) and never commits. Refuses
    with `db.IncompatibleStore` a database at a revision this tpsdesk does not know (written
    by a newer one) and a non-empty database that is not a tpsdesk store.
    """
    upgrade_to(connection, HEAD)


def upgrade_to(connection: Connection, revision: str) -> None:
    """`upgrade_schema` up to `revision` only (tests and tools: a database at an older
    revision); a database already past it is refused by Alembic."""
    current = current_revision(connection)
    if current == revision:
        return
    if connection.dialect.name == "postgresql":
        # Several clerks' processes may open an older database at once: one migrates, the
        # others wait here (until its transaction ends) and then find it done.
        connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        current = current_revision(connection)
        if current == revision:
            return
    from .migrations import runner

    if current is None:
        tables = set(inspect(connection).get_table_names())
        if tables:
            _adopt(connection, tables)
    elif current not in runner.known_revisions():
        raise _newer_store()
    runner.upgrade(connection, revision)
    _record_schema_version(connection, int(revision))


def _adopt(connection: Connection, tables: set[str]) -> None:
    """Stamp a store from before revisions at the revision equal to its schema_version,
    creating first the district tables it lacks (as revision 0001 has them; no later
    revision of those two changed them)."""
    from .migrations import runner
    from .migrations.versions import rev_0001_base as base

    legacy = LEGACY_REVISIONS[_legacy_schema_version(connection, tables)]
    missing = [create for name, create in base.DISTRICT_TABLES.items() if name not in tables]
    runner.run_operations(connection, missing)
    runner.stamp(connection, legacy)


def _legacy_schema_version(connection: Connection, tables: set[str]) -> int:
    from ..i18n import _
    from .db import IncompatibleStore

    not_ours = IncompatibleStore(_("The store's contents are not a tpsdesk database."))
    if "store_meta" not in tables:
        raise not_ours
    text = connection.execute(
        select(_store_meta.c.value).where(_store_meta.c.key == META_SCHEMA_VERSION)
    ).scalar()
    try:
        version = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        version = None
    if not isinstance(version, int) or isinstance(version, bool):
        raise not_ours
    if version > SCHEMA_VERSION:
        raise _newer_store()
    if version not in LEGACY_REVISIONS:
        raise not_ours
    return version


def _newer_store() -> Exception:
    from ..i18n import _
    from .db import IncompatibleStore

    return IncompatibleStore(
        _("This store was written by a newer version of tpsdesk. Update tpsdesk first.")
    )


def _record_schema_version(connection: Connection, version: int) -> None:
    value = json.dumps(version)
    stored = connection.execute(
        select(_store_meta.c.value).where(_store_meta.c.key == META_SCHEMA_VERSION)
    ).first()
    if stored is None:
        connection.execute(_store_meta.insert().values(key=META_SCHEMA_VERSION, value=value))
    elif stored.value != value:
        connection.execute(
            _store_meta.update().where(_store_meta.c.key == META_SCHEMA_VERSION).values(value=value)
        )
