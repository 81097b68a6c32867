"""The store schema: Alembic revisions on the SQLite image and on PostgreSQL, stores from
before revisions, stores from a newer tpsdesk."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlmodel import SQLModel

import tpsdesk.sync.district_models  # noqa: F401  (its tables join SQLModel.metadata)
from tpsdesk.domain.names import name_key
from tpsdesk.i18n import _
from tpsdesk.store import name_keys
from tpsdesk.store.db import IncompatibleStore, Store
from tpsdesk.store.migrations import runner
from tpsdesk.store.schema import (
    HEAD,
    LEGACY_REVISIONS,
    SCHEMA_VERSION,
    current_revision,
    upgrade_schema,
    upgrade_to,
)

from .conftest import PASSPHRASE


def newer() -> str:
    return _("This store was written by a newer version of tpsdesk. Update tpsdesk first.")


def not_ours() -> str:
    return _("The store's contents are not a tpsdesk database.")


DISTRICT_TABLES = (
    "sync_device",
    "sync_received_bundle",
    "sync_quarantined_bundle",
    "sync_row_version",
    "sync_finding",
)
VERSIONS = Path(runner.__file__).parent / "versions"


_engines: list[Engine] = []


def _sqlite() -> Engine:
    engine = create_engine("sqlite://")
    _engines.append(engine)
    return engine


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    # Closed, not left to the collector: Python 3.13 warns of an unclosed sqlite3 connection.
    yield
    while _engines:
        _engines.pop().dispose()


def _differences(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))


_SCHEMA_SQL = (
    "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'alembic_version'"
)


def _spaced(sql: str) -> str:
    # SQLite keeps the CREATE text as written: a column added by ALTER TABLE follows the one
    # before it on the same line. Only the spacing differs from the models' CREATE.
    return re.sub(r"\s+", " ", sql)


def _sqlite_master(connection: Connection) -> dict[str, str]:
    return {name: _spaced(sql) for name, sql in connection.exec_driver_sql(_SCHEMA_SQL)}


def _store_sql(store: Store) -> dict[str, str]:
    return {name: _spaced(sql) for name, sql in store._conn.execute(_SCHEMA_SQL)}


def _schema_version(connection: Connection) -> str | None:
    return connection.execute(
        text("SELECT value FROM store_meta WHERE key = 'schema_version'")
    ).scalar()


def _counts(store: Store) -> dict[str, int]:
    names = [
        name
        for (name,) in store._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
        )
    ]
    return {
        name: store._conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names
    }


# -- the revisions themselves ----------------------------------------------------------------


def test_head_is_the_last_revision_and_numbers_the_schema_version() -> None:
    assert runner.head() == HEAD
    assert int(HEAD) == SCHEMA_VERSION
    ids = sorted(runner.known_revisions())
    # Revisions are numbered 0001, 0002…, each on the one before: the number is the
    # schema_version written into store_meta, which a tpsdesk from before revisions checks.
    assert ids == [f"{n:04d}" for n in range(1, len(ids) + 1)]
    for script in runner.script_directory().walk_revisions():
        expected = None if script.revision == "0001" else f"{int(script.revision) - 1:04d}"
        assert script.down_revision == expected
    assert set(LEGACY_REVISIONS.values()) <= set(ids)


# What a revision may import from tpsdesk: the code computing a derived column's values, which
# must be this tpsdesk's (the stored name keys equal `domain.names.name_key` of every name).
# It declares its own table and imports no model.
REVISION_MAY_IMPORT = {"tpsdesk.store.name_keys"}


def test_revisions_do_not_build_from_the_models() -> None:
    # A revision must stay what it was when the models change later: explicit operations,
    # never metadata.create_all nor an import of tpsdesk's models.
    allowed_source = Path(name_keys.__file__).read_text(encoding="utf-8")
    assert "tpsdesk.store.models" not in allowed_source
    assert "from ." not in allowed_source
    files = [p for p in VERSIONS.glob("*.py") if p.name != "__init__.py"]
    assert len(files) == len(runner.known_revisions())
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert "create_all" not in source, path.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert module in REVISION_MAY_IMPORT or not module.startswith("tpsdesk"), path.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("tpsdesk") for a in node.names), path.name


def test_head_schema_equals_the_models_on_sqlite() -> None:
    with _sqlite().begin() as connection:
        upgrade_schema(connection)
        assert current_revision(connection) == HEAD
        assert _differences(connection) == []


def test_head_builds_the_same_sqlite_schema_as_the_models() -> None:
    # Stricter than compare_metadata on SQLite: the very CREATE statements, partial index
    # and deferred foreign keys included.
    with _sqlite().begin() as connection:
        upgrade_schema(connection)
        built = _sqlite_master(connection)
    with _sqlite().begin() as connection:
        SQLModel.metadata.create_all(connection)
        declared = _sqlite_master(connection)
    assert built == declared
    assert "WHERE tps_id IS NULL" in built["ix_officer_kelurahan_code"]


def test_upgrade_records_the_schema_version_and_stays_in_the_callers_transaction() -> None:
    with _sqlite().connect() as connection:
        upgrade_schema(connection)
        assert connection.in_transaction()  # nothing committed it behind the caller's back
        assert _schema_version(connection) == str(SCHEMA_VERSION)
        connection.commit()


def test_upgrading_twice_changes_nothing() -> None:
    engine = _sqlite()
    with engine.begin() as connection:
        upgrade_schema(connection)
    with engine.begin() as connection:
        before = _sqlite_master(connection)
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(connection, "before_cursor_execute", record)
        upgrade_schema(connection)
        event.remove(connection, "before_cursor_execute", record)
        assert _sqlite_master(connection) == before
        assert current_revision(connection) == HEAD
        # Only reads: where it stands, nothing written.
        assert not [
            s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA"))
        ]


def test_upgrade_to_an_older_revision_then_to_head() -> None:
    with _sqlite().begin() as connection:
        upgrade_to(connection, "0001")
        assert current_revision(connection) == "0001"
        assert _schema_version(connection) == "1"
        assert "ix_officer_name" in _sqlite_master(connection)
        upgrade_schema(connection)
        assert current_revision(connection) == HEAD
        assert _schema_version(connection) == str(SCHEMA_VERSION)
        assert "ix_officer_name" not in _sqlite_master(connection)
        assert _differences(connection) == []


def _downgrade(connection: Connection, target: str) -> None:
    from alembic.operations import Operations

    script = runner.script_directory()
    context = MigrationContext.configure(
        connection, opts={"fn": lambda heads, _ctx: script._downgrade_revs(target, heads)}
    )
    with Operations.context(context):
        context.run_migrations()


def test_each_revision_downgrades_to_the_one_before() -> None:
    with _sqlite().begin() as connection:
        upgrade_to(connection, "0001")
        at_0001 = _sqlite_master(connection)
        upgrade_schema(connection)
        _downgrade(connection, "0001")
        assert current_revision(connection) == "0001"
        assert _sqlite_master(connection) == at_0001
        _downgrade(connection, "base")
        assert current_revision(connection) is None
        assert _sqlite_master(connection) == {}


# -- stores --------------------------------------------------------------------------------


def test_a_new_store_is_at_head_with_every_table(store: Store) -> None:
    with store.read() as session:
        connection = session.connection()
        assert current_revision(connection) == HEAD
        assert _schema_version(connection) == str(SCHEMA_VERSION)
        assert set(DISTRICT_TABLES) <= set(inspect(connection).get_table_names())
        assert _differences(connection) == []


def _back_to_before_revisions(store: Store, schema_version: int) -> None:
    """Make `store` what a tpsdesk from before revisions left: no alembic_version table, no
    district tables (a field store created without them), the given schema_version."""
    with store.transaction() as session:
        session.execute(text("DROP TABLE alembic_version"))
        # Revision 0003's stored name key was not there yet.
        session.execute(text("DROP INDEX ix_officer_name_key_born"))
        session.execute(text("ALTER TABLE officer DROP COLUMN name_key"))
        for name in DISTRICT_TABLES:
            session.execute(text(f"DROP TABLE {name}"))
        if schema_version == 1:
            for statement in (
                "DROP INDEX ix_officer_kelurahan_code",
                "CREATE INDEX ix_officer_kelurahan_code ON officer (kelurahan_code)",
                "CREATE INDEX ix_officer_name ON officer (name)",
                "CREATE INDEX ix_change_log_row_id ON change_log (row_id)",
                "CREATE INDEX ix_audit_entry_row_id ON audit_entry (row_id)",
            ):
                session.execute(text(statement))
        session.execute(
            text("UPDATE store_meta SET value = :v WHERE key = 'schema_version'"),
            {"v": str(schema_version)},
        )


@pytest.mark.parametrize("schema_version", sorted(LEGACY_REVISIONS))
def test_store_from_before_revisions_is_migrated_on_open_and_keeps_every_row(
    store: Store, store_path: Path, area: dict, make_fields: Any, schema_version: int
) -> None:
    from tpsdesk.store.officers import add_officer, get_officer

    officer = add_officer(store, make_fields(), tps_id=area["a1"].id)
    current = _store_sql(store)
    counts = _counts(store)
    _back_to_before_revisions(store, schema_version)
    counts.update(dict.fromkeys(DISTRICT_TABLES, 0))
    store.close()

    with Store.open(store_path, PASSPHRASE) as reopened:
        assert _store_sql(reopened) == current
        assert reopened._conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert reopened._conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD,)
        ]
        version = reopened._conn.execute(
            "SELECT value FROM store_meta WHERE key = 'schema_version'"
        ).fetchone()[0]
        assert version == str(SCHEMA_VERSION)
        # Every row kept, nothing added (the empty district tables count 0 rows).
        assert _counts(reopened) == counts
        found = get_officer(reopened, officer.id)
        assert found is not None and found.nik == officer.nik
        # Revision 0003 computed the name key of the officer the store held.
        stored = reopened._conn.execute("SELECT name_key FROM officer").fetchall()
        assert stored == [(name_key(officer.name),)] and stored[0][0]
    # The migration was saved: the next open finds the store at head and changes nothing.
    with Store.open(store_path, PASSPHRASE) as again:
        with again.read() as session:
            assert current_revision(session.connection()) == HEAD
        assert _counts(again) == counts


def test_store_at_an_unknown_revision_is_refused(store: Store, store_path: Path) -> None:
    with store.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    store.close()
    before = store_path.read_bytes()
    for _attempt in range(2):  # refused each time, and the lock is released after refusing
        with pytest.raises(IncompatibleStore) as refused:
            Store.open(store_path, PASSPHRASE)
        assert refused.value.message == newer()
    assert store_path.read_bytes() == before


def test_database_at_an_unknown_revision_is_refused_and_left_alone() -> None:
    with _sqlite().begin() as connection:
        upgrade_schema(connection)
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
        before = _sqlite_master(connection)
        with pytest.raises(IncompatibleStore) as refused:
            upgrade_schema(connection)
        assert refused.value.message == newer()
        assert _sqlite_master(connection) == before
        assert current_revision(connection) == "0999"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (["CREATE TABLE notes (body TEXT)"], not_ours),
        (["CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"], not_ours),
        (
            [
                "CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
                "INSERT INTO store_meta VALUES ('schema_version', 'not json')",
            ],
            not_ours,
        ),
        (
            [
                "CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
                "INSERT INTO store_meta VALUES ('schema_version', '0')",
            ],
            not_ours,
        ),
        (
            [
                "CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
                "INSERT INTO store_meta VALUES ('schema_version', 'true')",
            ],
            not_ours,
        ),
        (
            [
                "CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
                f"INSERT INTO store_meta VALUES ('schema_version', '{SCHEMA_VERSION + 1}')",
            ],
            newer,
        ),
    ],
    ids=["no-store-meta", "no-version", "broken-json", "zero", "not-a-number", "newer"],
)
def test_database_without_revisions_that_is_no_older_store_is_refused(
    setup: list[str], message: Callable[[], str]
) -> None:
    with _sqlite().begin() as connection:
        for statement in setup:
            connection.exec_driver_sql(statement)
        before = _sqlite_master(connection)
        with pytest.raises(IncompatibleStore) as refused:
            upgrade_schema(connection)
        assert refused.value.message == message()
        assert _sqlite_master(connection) == before
        assert current_revision(connection) is None


# -- PostgreSQL ----------------------------------------------------------------------------
# `postgres_url`: a fresh database on the throwaway server of tests/postgres.py.


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_head_schema_equals_the_models_on_postgresql(postgres: Engine) -> None:
    with postgres.begin() as connection:
        upgrade_schema(connection)
    with postgres.connect() as connection:
        assert current_revision(connection) == HEAD
        assert _schema_version(connection) == str(SCHEMA_VERSION)
        assert _differences(connection) == []


@pytest.mark.postgres
def test_revisions_upgrade_0001_to_head_on_postgresql(postgres: Engine) -> None:
    with postgres.begin() as connection:
        upgrade_to(connection, "0001")
    with postgres.connect() as connection:
        assert current_revision(connection) == "0001"
        indexes = {ix["name"] for ix in inspect(connection).get_indexes("officer")}
        assert "ix_officer_name" in indexes
    with postgres.begin() as connection:
        upgrade_schema(connection)
        upgrade_schema(connection)  # the second time: nothing to do
    with postgres.connect() as connection:
        assert current_revision(connection) == HEAD
        assert _schema_version(connection) == str(SCHEMA_VERSION)
        assert _differences(connection) == []


@pytest.mark.postgres
def test_upgrade_commits_nothing_of_its_own_on_postgresql(postgres: Engine) -> None:
    with postgres.connect() as connection:
        connection.begin()
        upgrade_schema(connection)
        assert current_revision(connection) == HEAD
        connection.rollback()
    with postgres.connect() as connection:
        assert inspect(connection).get_table_names() == []


@pytest.mark.postgres
def test_database_at_an_unknown_revision_is_refused_on_postgresql(postgres: Engine) -> None:
    with postgres.begin() as connection:
        upgrade_schema(connection)
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with postgres.connect() as connection, pytest.raises(IncompatibleStore) as refused:
        upgrade_schema(connection)
    assert refused.value.message == newer()


@pytest.mark.postgres
def test_two_connections_upgrading_an_empty_database_at_once_build_it_once(
    postgres: Engine,
) -> None:
    import threading

    first = postgres.connect()
    first.begin()
    upgrade_schema(first)  # holds the migration lock until its transaction ends
    outcome: list[BaseException | str] = []

    def second() -> None:
        try:
            with postgres.begin() as connection:
                upgrade_schema(connection)
                outcome.append(str(current_revision(connection)))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    with postgres.connect() as watcher:
        # The second one waits on the migration lock rather than building tables beside
        # the first (it would then wait on them, and fail once the first commits).
        waits: list[str] = []
        while not waits and thread.is_alive():
            waits = list(
                watcher.execute(text("SELECT locktype FROM pg_locks WHERE NOT granted")).scalars()
            )
            watcher.rollback()
    assert waits == ["advisory"]
    assert outcome == []
    first.commit()
    first.close()
    thread.join()
    assert outcome == [HEAD]
    with postgres.connect() as connection:
        assert _differences(connection) == []


@pytest.mark.slow  # a subprocess: the only way to see what an open imports
def test_opening_a_store_at_head_does_not_load_alembic(store: Store, store_path: Path) -> None:
    import subprocess
    import sys

    store.close()
    code = (
        "import sys\n"
        "from tpsdesk.store.db import Store\n"
        "Store.open(sys.argv[1], sys.argv[2]).close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(store_path), PASSPHRASE],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"
