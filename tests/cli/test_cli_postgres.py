"""`tpsdesk init --district --database`, db-info, db-roles, db-connect: a district store on
PostgreSQL from the command line, and the least-privilege roles it documents."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from tests.factories import FAST_KDF
from tests.sync.conftest import approved_laptop, load_area, make_bundle, officer_row

from tpsdesk.cli import main
from tpsdesk.store.db import Store
from tpsdesk.store.pg_roles import roles_sql
from tpsdesk.sync.district_models import ensure_district_tables
from tpsdesk.sync.merge import merge_bundle

from .conftest import PASSPHRASE


def _socket_url(postgres_url: str) -> str:
    return postgres_url.replace("postgresql+psycopg://", "postgresql://")


@pytest.mark.postgres
def test_init_district_on_postgres_and_db_info(
    runner: CliRunner, store_path: Path, postgres_url: str
) -> None:
    url = _socket_url(postgres_url)
    created = runner.invoke(main, ["--lang", "en", "init", "--district", "--database", url])
    assert created.exit_code == 0, created.output
    assert "Data kept in: database " in created.output
    info = runner.invoke(main, ["--lang", "en", "db-info"])
    assert info.exit_code == 0, info.output
    database = make_url(postgres_url).database
    assert "Backend: postgresql" in info.output
    assert f"Database: {database}" in info.output
    with Store.open(store_path, PASSPHRASE) as store:
        assert store.backend == "postgresql"


@pytest.mark.postgres
def test_database_url_from_the_environment(
    runner: CliRunner, store_path: Path, postgres_url: str
) -> None:
    env = {"TPSDESK_DATABASE_URL": _socket_url(postgres_url)}
    created = runner.invoke(main, ["--lang", "en", "init", "--district"], env=env)
    assert created.exit_code == 0, created.output
    with Store.open(store_path, PASSPHRASE) as store:
        assert store.backend == "postgresql"


def test_db_info_of_a_file_store(runner: CliRunner, store_path: Path) -> None:
    assert runner.invoke(main, ["init"]).exit_code == 0
    info = runner.invoke(main, ["--lang", "en", "db-info"])
    assert info.exit_code == 0
    assert "Backend: sqlite" in info.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "--district",
                "--database",
                "postgresql://clerk:pw@db.example.org/tps?sslmode=disable",
            ],
            "without TLS",
        ),
        (
            ["--database", "postgresql://clerk@db.example.org/tps"],
            "Only a district or province store",
        ),
        (["--district", "--database", "mysql://u@h/db"], "Only PostgreSQL"),
    ],
)
def test_init_refusals(runner: CliRunner, store_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(main, ["--lang", "en", "init", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "pw" not in result.output.replace("passphrase", "")
    assert not store_path.exists()


def test_unreachable_server_names_host_and_database(runner: CliRunner, store_path: Path) -> None:
    url = "postgresql://clerk:s3cret@127.0.0.1:9/tpsdesk_nowhere?sslmode=require"
    result = runner.invoke(main, ["--lang", "en", "init", "--district", "--database", url])
    assert result.exit_code == 1
    assert "does not verify the server's name" in result.output  # the warning, then
    assert "Cannot reach database tpsdesk_nowhere on 127.0.0.1" in result.output
    assert "s3cret" not in result.output
    assert not store_path.exists()


def test_db_connect_refuses_a_file_store_and_changes_nothing(
    runner: CliRunner, store_path: Path
) -> None:
    assert runner.invoke(main, ["init"]).exit_code == 0
    folder = store_path.parent
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    url = "postgresql://clerk:s3cret@db.example.org/tps?sslmode=require"
    result = runner.invoke(main, ["--lang", "en", "db-connect", "--database", url])
    assert result.exit_code == 1
    assert "does not verify the server's name" in result.output  # the new connection's warning
    assert "This store keeps its data in its own file, not in PostgreSQL." in result.output
    assert "s3cret" not in result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def test_insecure_database_is_allowed_with_a_warning(runner: CliRunner, store_path: Path) -> None:
    url = "postgresql://clerk:s3cret@127.0.0.1:9/tpsdesk_nowhere?sslmode=disable"
    args = ["--lang", "en", "init", "--district", "--insecure-database", "--database", url]
    result = runner.invoke(main, args)
    assert "is not encrypted (sslmode=disable)" in result.output
    assert "Cannot reach" in result.output  # then it tried: nothing there
    assert "s3cret" not in result.output


def test_db_roles_prints_the_sql() -> None:
    result = CliRunner().invoke(main, ["db-roles", "--database", "kota_malang"])
    assert result.exit_code == 0
    assert (
        "CREATE DATABASE kota_malang OWNER tpsdesk_owner ENCODING 'UTF8' LC_COLLATE 'C'"
        in result.output
    )
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tpsdesk_clerk" in result.output
    refused = CliRunner().invoke(main, ["--lang", "en", "db-roles", "--clerk", "x; DROP"])
    assert refused.exit_code == 1
    assert "cannot be used as a name" in refused.output


@pytest.mark.postgres
def test_the_clerk_role_merges_but_cannot_drop(tmp_path: Path, postgres_url: str) -> None:
    """The documented roles: the owner creates the store, the clerk's keyring writes rows
    (a laptop registered, counters taken) but cannot DROP, ALTER or TRUNCATE."""
    suffix = uuid.uuid4().hex[:8]
    owner, clerk, database = f"own_{suffix}", f"clk_{suffix}", f"db_{suffix}"
    admin = make_url(postgres_url)
    before, after = roles_sql(database, owner, clerk).split(f"\\connect {database}\n")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    target = create_engine(admin.set(database=database), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in _statements(before):
                connection.exec_driver_sql(statement)
        with target.connect() as connection:
            for statement in _statements(after):
                connection.exec_driver_sql(statement)
        keyring = tmp_path / "district.tpsdesk"
        owner_url = _socket_url(admin.set(database=database, username=owner).render_as_string())
        store, _recovery = Store.create(
            keyring, PASSPHRASE, role="district", kdf=FAST_KDF, database_url=owner_url
        )
        try:
            ensure_district_tables(store)
        finally:
            store.close()
        clerk_url = _socket_url(admin.set(database=database, username=clerk).render_as_string())
        with Store.open(keyring, PASSPHRASE) as store:
            from tpsdesk.store.pg_url import parse_database_url

            store.set_database(parse_database_url(clerk_url))
        with Store.open(keyring, PASSPHRASE) as store:
            assert store.database is not None and store.database.user == clerk
            ensure_district_tables(store)  # nothing to create: no DDL needed
            tps = load_area(store)
            laptop, key = approved_laptop(store)
            row = officer_row(device=laptop, counter=1, tps_id=tps["a1"])
            report = merge_bundle(store, make_bundle(laptop, key, [row]))
            assert report.merged and len(report.accepted) == 1
            with store.read() as session:
                connection = session.connection()
                for ddl in (
                    "DROP TABLE officer",
                    "ALTER TABLE officer ADD COLUMN x integer",
                    "TRUNCATE officer",
                    "CREATE TABLE evil (id integer)",
                ):
                    with pytest.raises(ProgrammingError), connection.begin_nested():
                        connection.exec_driver_sql(ddl)
    finally:
        target.dispose()
        with engine.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {clerk}")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {owner}")
        engine.dispose()


def _statements(sql: str) -> list[str]:
    """The SQL statements of a psql script, without comments and psql's own commands."""
    lines = [
        line for line in sql.splitlines() if not line.startswith("--") and not line.startswith("\\")
    ]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
