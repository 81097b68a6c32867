"""The throwaway PostgreSQL of tests/postgres.py: fresh databases, SQLModel through psycopg 3,
the skip when PostgreSQL is missing, the failure of such a skip under CI, run_concurrently."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, select
from tests.postgres import (
    OWNER_FILE,
    REQUIRE_VARIABLE,
    ConcurrentRunError,
    PostgresServer,
    drop_database,
    find_binaries,
    not_installed_reason,
    run_concurrently,
    start_server,
    stop_abandoned,
    unprivileged_user,
)

# The whole module: the plugin only matters where PostgreSQL runs (CI runs it once).
pytestmark = pytest.mark.postgres


class Probe(SQLModel, table=True):
    __tablename__ = "probe_postgres_server"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    nik: str = Field(index=True, unique=True)


# Not one of the store's tables: out of the shared metadata, which the schema tests compare
# with the migrations' result.
SQLModel.metadata.remove(Probe.__table__)  # type: ignore[attr-defined]


def test_the_fixture_gives_an_empty_database_of_its_own(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            database = connection.execute(sa.text("SELECT current_database()")).scalar_one()
            user = connection.execute(sa.text("SELECT current_user")).scalar_one()
            assert sa.inspect(connection).get_table_names() == []
    finally:
        engine.dispose()
    assert database not in ("postgres", "template0", "template1")
    assert postgres_url == postgres_server.url(database)
    assert postgres_url.startswith("postgresql+psycopg://postgres@/")
    assert user == postgres_server.superuser
    assert postgres_server.version >= 100000


_seen: dict[str, str] = {}


@pytest.mark.parametrize("turn", ["first", "second"])
def test_two_tests_get_two_databases_and_the_first_is_dropped(
    turn: str, postgres_server: PostgresServer, postgres_url: str
) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            # What the other turn created is not here: each test has a database of its own.
            assert "left_behind" not in sa.inspect(connection).get_table_names()
            connection.execute(sa.text("CREATE TABLE left_behind (turn text)"))
            database = connection.execute(sa.text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()
    _seen[turn] = database
    if turn == "second" and "first" in _seen:  # same worker: the first's database is gone
        assert _seen["first"] != database
        with postgres_server.connect() as admin:
            names = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
        assert _seen["first"] not in names
        assert database in names


def test_a_sqlmodel_table_takes_rows_through_bound_parameters(postgres_url: str) -> None:
    awkward = "O'Brien\"; DROP TABLE probe_postgres_server; --"
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            Probe.__table__.create(connection)  # type: ignore[attr-defined]
        with Session(engine) as session:
            session.add(Probe(name=awkward, nik="3573050101900001"))
            session.add(Probe(name="Siti", nik="3573050101900002"))
            session.commit()
        with Session(engine) as session:
            found = session.exec(select(Probe).where(Probe.name == awkward)).one()
            assert found.nik == "3573050101900001"
            assert len(session.exec(select(Probe)).all()) == 2
        with engine.begin() as connection:
            statement = sa.text("SELECT count(*) FROM probe_postgres_server WHERE nik = :nik")
            assert connection.execute(statement, {"nik": "3573050101900002"}).scalar_one() == 1
        # The unique NIK holds on the server.
        with Session(engine) as session, pytest.raises(sa.exc.IntegrityError):
            session.add(Probe(name="Dup", nik="3573050101900002"))
            session.commit()
    finally:
        engine.dispose()


def test_the_binaries_are_found_where_the_machine_keeps_them() -> None:
    binaries, looked = find_binaries()
    if binaries is None:
        pytest.skip(not_installed_reason(looked))
    assert binaries.initdb.name == "initdb"
    assert binaries.pg_ctl.name == "pg_ctl"


# --- the plugin seen from a pytest run of its own (pytester) -----------------------------------

INNER_TESTS = """
import pytest

@pytest.mark.postgres
def test_marked_and_skipped():
    pytest.skip("no server today")

def test_unmarked_and_skipped():
    pytest.skip("not about PostgreSQL")

@pytest.mark.postgres
@pytest.mark.xfail(reason="expected")
def test_marked_and_xfailed():
    assert False

def test_plain():
    pass
"""

NEEDS_SERVER = """
def test_needs_a_database(postgres_url):
    assert postgres_url
"""

THROUGH_A_FIXTURE = """
import pytest

@pytest.fixture
def district_store(postgres_url):
    return postgres_url

def test_needs_a_store(district_store):
    assert district_store
"""


def _run_inner(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=source)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    # In-process (fast); without the snapshot plugin, whose session end would remove the
    # outer session's folder.
    return pytester.runpytest_inprocess(
        "-p", "tests.postgres", "-p", "no:cacheprovider", "-p", "no:textual-snapshot", *args
    )


@pytest.mark.parametrize("value", ["", "0"])
def test_a_skipped_postgres_test_is_a_skip_when_not_required(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, value)
    result = _run_inner(pytester, INNER_TESTS)
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)


def test_under_require_postgres_a_skipped_postgres_test_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    result = _run_inner(pytester, INNER_TESTS, "-rfs")
    # Only the skip of the postgres test fails; the other skip and the xfail stay what they are.
    result.assert_outcomes(passed=1, failed=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_marked_and_skipped*skipped, but TPSDESK_REQUIRE_POSTGRES=1 requires*"
            "Skip reason: no server today*"
        ]
    )


def test_without_postgresql_the_fixture_skips_saying_where_it_looked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    monkeypatch.setenv("TPSDESK_PG_BINDIR", "/nonexistent")
    result = _run_inner(pytester, NEEDS_SERVER, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*PostgreSQL is not installed: initdb/pg_ctl not found*TPSDESK_PG_BINDIR=/nonexistent*"]
    )


def test_without_postgresql_under_require_postgres_the_run_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    monkeypatch.setenv("TPSDESK_PG_BINDIR", "/nonexistent")
    result = _run_inner(pytester, NEEDS_SERVER)
    result.assert_outcomes(errors=1)  # the skip happens in the fixture, i.e. at setup
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*requires every PostgreSQL test to run*not installed*"])


def test_a_test_using_the_fixture_is_marked_postgres_and_deselectable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    monkeypatch.setenv("TPSDESK_PG_BINDIR", "/nonexistent")
    source = NEEDS_SERVER + THROUGH_A_FIXTURE + INNER_TESTS
    result = _run_inner(pytester, source, "-m", "not postgres")
    result.assert_outcomes(passed=1, skipped=1, deselected=4)


# --- run_concurrently --------------------------------------------------------------------------


def _arrive_and_wait_for_all(url: str, clerk: int, clerks: int) -> tuple[int, int]:
    """Insert this clerk's row, then wait until every clerk's row is there: only processes that
    run at the same time can all get past this."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO arrivals (clerk) VALUES (:c)"), {"c": clerk})
        for _ in range(600):
            with engine.connect() as connection:
                count = connection.execute(sa.text("SELECT count(*) FROM arrivals")).scalar_one()
            if count == clerks:
                return clerk, os.getpid()
            time.sleep(0.05)
        raise AssertionError(f"clerk {clerk} saw only {count} of {clerks}")
    finally:
        engine.dispose()


def _fail_for_two(value: int) -> int:
    if value == 2:
        raise ValueError("clerk two trips")
    return value * 10


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def test_run_concurrently_runs_every_process_at_the_same_time(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE arrivals (clerk integer)"))
    finally:
        engine.dispose()
    results = run_concurrently(
        _arrive_and_wait_for_all, [(postgres_url, clerk, 4) for clerk in range(4)]
    )
    assert [clerk for clerk, _ in results] == [0, 1, 2, 3]  # in the order given
    assert len({pid for _, pid in results}) == 4  # four processes, none of them this one
    assert os.getpid() not in {pid for _, pid in results}


def test_run_concurrently_reports_the_traceback_of_a_failing_process() -> None:
    with pytest.raises(ConcurrentRunError, match="clerk two trips") as raised:
        run_concurrently(_fail_for_two, [(1,), (2,)])
    assert "process 1:" in str(raised.value)
    assert "ValueError" in str(raised.value)


def test_run_concurrently_gives_up_after_its_timeout() -> None:
    with pytest.raises(ConcurrentRunError, match="did not finish within"):
        run_concurrently(_sleep, [(60,)], timeout=3)


def test_run_concurrently_of_nothing_is_nothing() -> None:
    assert run_concurrently(_sleep, []) == []


def test_a_database_left_connected_is_still_dropped(postgres_server: PostgresServer) -> None:
    from psycopg import sql

    name = "left_connected"
    with postgres_server.connect() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    engine = sa.create_engine(postgres_server.url(name))
    held = engine.connect()  # as a test that forgot to close its engine
    try:
        held.execute(sa.text("SELECT 1"))
        drop_database(postgres_server, name)
        with postgres_server.connect() as admin:
            left = admin.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
            assert left.fetchone() == (0,)
    finally:
        held.invalidate()
        engine.dispose()


def test_a_server_whose_session_was_killed_is_stopped_by_the_next() -> None:
    binaries, looked = find_binaries()
    if binaries is None:
        pytest.skip(not_installed_reason(looked))
    abandoned = start_server(binaries)
    root = Path(abandoned.socket_dir)
    ended = subprocess.Popen(["true"])  # a process that has ended owns the folder now
    ended.wait()
    (root / OWNER_FILE).write_text(str(ended.pid), encoding="ascii")
    try:
        with abandoned.connect() as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
        user = unprivileged_user() if os.geteuid() == 0 else None
        stop_abandoned(root.parent, binaries, user)
        assert not root.exists()
        with pytest.raises(psycopg.OperationalError):
            abandoned.connect()
    finally:
        abandoned.stop()
