"""A throwaway PostgreSQL for the tests: a pytest plugin (registered in tests/conftest.py).

`postgres_server` (session) starts a server with the machine's own `initdb`/`pg_ctl` in a
temporary folder, reachable only through a unix socket there, and stops it at the end of the
session; `postgres_url` (function) gives every test a fresh, empty database on it. Tests that use
them carry the `postgres` marker (added automatically). Without PostgreSQL on the machine they
skip, saying where the binaries were looked for; under `TPSDESK_REQUIRE_POSTGRES=1` (CI) such a
skip is a failure. `TPSDESK_PG_BINDIR` makes the plugin look only in that folder.

Under pytest-xdist every worker that needs one starts its own server (its own folder and
socket), so nothing is shared between workers and nothing needs a lock.

`run_concurrently` runs a function in several processes that start together, for tests of
clerks merging at the same time against one database.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import multiprocessing
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

BINDIR_VARIABLE = "TPSDESK_PG_BINDIR"
REQUIRE_VARIABLE = "TPSDESK_REQUIRE_POSTGRES"
MARKER = "postgres"
MARKER_HELP = f"{MARKER}: needs a PostgreSQL server (the postgres_server/postgres_url fixtures)"
FIXTURES = frozenset({"postgres_server", "postgres_url", "postgres_tls_server", "postgres_tls"})
SUPERUSER = "postgres"
# The socket is the only way in, in a folder of its own, so any port number is free to use.
PORT = 5432
# Fast and throwaway: nothing here has to survive a crash of the machine.
SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "logging_collector": "off",
    "max_connections": "100",
}
UNPRIVILEGED_USERS = ("postgres", "nobody")  # initdb refuses to run as root
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes, with ".s.PGSQL.<port>" after the folder
FOLDER_PREFIX = "tpsdesk-pg-"
OWNER_FILE = "owner.pid"  # the pytest process whose server lives in the folder
COMMAND_TIMEOUT = 120  # seconds for initdb, pg_ctl start/stop


@dataclass(frozen=True)
class Binaries:
    initdb: Path
    pg_ctl: Path


def find_binaries() -> tuple[Binaries | None, list[str]]:
    """The machine's initdb and pg_ctl, and every place looked at (for the skip reason).

    Order: `$TPSDESK_PG_BINDIR` alone when set; else `pg_config --bindir`, the highest
    `/usr/lib/postgresql/<version>/bin` (Debian links only initdb and pg_ctl onto PATH), PATH."""
    looked: list[str] = []
    override = os.environ.get(BINDIR_VARIABLE)
    if override:
        looked.append(f"${BINDIR_VARIABLE}={override}")
        return _in_folder(Path(override)), looked

    pg_config = shutil.which("pg_config")
    if pg_config is None:
        looked.append("pg_config (not on PATH)")
    else:
        try:
            bindir = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                check=True,
                timeout=COMMAND_TIMEOUT,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            looked.append(f"{pg_config} --bindir (failed)")
        else:
            looked.append(f"pg_config --bindir ({bindir})")
            if bindir and (found := _in_folder(Path(bindir))):
                return found, looked

    debian = Path("/usr/lib/postgresql")
    looked.append(f"{debian}/*/bin")
    for folder in sorted(debian.glob("*/bin"), key=_version_key, reverse=True):
        if found := _in_folder(folder):
            return found, looked

    looked.append("PATH")
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Binaries(Path(initdb), Path(pg_ctl)), looked
    return None, looked


def _in_folder(folder: Path) -> Binaries | None:
    initdb, pg_ctl = folder / "initdb", folder / "pg_ctl"
    if all(path.is_file() and os.access(path, os.X_OK) for path in (initdb, pg_ctl)):
        return Binaries(initdb, pg_ctl)
    return None


def _version_key(bindir: Path) -> tuple[int, ...]:
    parts = bindir.parent.name.split(".")
    return tuple(int(part) for part in parts) if all(p.isdigit() for p in parts) else (-1,)


def not_installed_reason(looked: Sequence[str]) -> str:
    return "PostgreSQL is not installed: initdb/pg_ctl not found (looked at: {})".format(
        ", ".join(looked)
    )


@dataclass
class PostgresServer:
    """A running throwaway server: connect through `socket_dir` and `port` as `superuser`."""

    socket_dir: str
    port: int
    superuser: str
    version: int  # server_version_num, e.g. 150014
    _stop: Callable[[], None] = field(repr=False)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this server (psycopg 3 driver)."""
        return (
            f"postgresql+psycopg://{self.superuser}@/{quote(database, safe='')}"
            f"?host={quote(self.socket_dir, safe='/')}&port={self.port}"
        )

    def connect(self, database: str = "postgres") -> Any:
        """A psycopg connection in autocommit mode (for CREATE/DROP DATABASE and checks)."""
        import psycopg

        return psycopg.connect(
            host=self.socket_dir,
            port=self.port,
            user=self.superuser,
            dbname=database,
            autocommit=True,
        )

    @property
    def log_file(self) -> Path:
        """The server's log (pg_ctl -l), for tests that check what it wrote."""
        return Path(self.socket_dir) / "server.log"

    def stop(self) -> None:
        self._stop()


def start_server(
    binaries: Binaries,
    *,
    settings: Mapping[str, str] | None = None,
    hba: str | None = None,
    prepare: Callable[[Path, pwd.struct_passwd | None], None] | None = None,
) -> PostgresServer:
    """initdb a data folder in a fresh temporary folder and start a server on it.

    `settings` are added to (or override) SETTINGS, `hba` replaces pg_hba.conf, `prepare(root,
    user)` writes files the server needs (certificates) into the folder before it starts.
    Raises RuntimeError (with the end of the server's log) when it does not come up."""
    user = unprivileged_user() if os.geteuid() == 0 else None
    base = tempfile.gettempdir()
    if len(base) > SOCKET_PATH_MAX - 30:
        base = "/tmp"
    stop_abandoned(Path(base), binaries, user)
    root = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=base))
    (root / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
    data, log = root / "data", root / "server.log"
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    run = functools.partial(_run, user, root)

    stopped = False

    def stop() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        _stop_folder(root, binaries, user)

    try:
        done = run(
            binaries.initdb,
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip()}")
        conf_settings = {
            **SETTINGS,
            "unix_socket_directories": f"'{root}'",
            "port": str(PORT),
            **(settings or {}),
        }
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tpsdesk tests: throwaway server\n")
            conf.writelines(f"{name} = {value}\n" for name, value in conf_settings.items())
        if hba is not None:
            (data / "pg_hba.conf").write_text(hba, encoding="utf-8")
        if prepare is not None:
            prepare(root, user)
        done = run(binaries.pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "start")
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"pg_ctl start failed ({done.returncode}): {done.stderr.strip()}\n{tail}"
            )
        server = PostgresServer(str(root), int(conf_settings["port"]), SUPERUSER, 0, stop)
        with server.connect() as connection:
            server.version = connection.info.server_version
    except BaseException:
        stop()
        raise
    atexit.register(stop)  # a session that dies before its teardown still stops the server
    _stop_on_sigterm(stop)
    return server


def _run(
    user: pwd.struct_passwd | None, cwd: Path, *command: str | Path
) -> subprocess.CompletedProcess[str]:
    args = [str(part) for part in command]
    if user is not None:
        args = _as_user(user.pw_name, args)
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        cwd=cwd,  # the postgres user may not enter the caller's folder
        timeout=COMMAND_TIMEOUT,
        check=False,
        env={**os.environ, "LC_ALL": "C", "LANG": "C"},
    )


def _stop_folder(root: Path, binaries: Binaries, user: pwd.struct_passwd | None) -> None:
    data = root / "data"
    try:
        if (data / "postmaster.pid").exists():
            stop = (binaries.pg_ctl, "-D", data, "-w", "-t", "30", "stop")
            if _run(user, root, *stop[:3], "-m", "fast", *stop[3:]).returncode != 0:
                _run(user, root, *stop[:3], "-m", "immediate", *stop[3:])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def stop_abandoned(base: Path, binaries: Binaries, user: pwd.struct_passwd | None) -> None:
    """Stop the servers of test sessions that were killed (SIGKILL, a crash) before stopping
    them: their folders name an owner process that no longer runs."""
    server_uid = user.pw_uid if user is not None else os.geteuid()
    for root in base.glob(f"{FOLDER_PREFIX}*"):
        try:
            if root.stat().st_uid != server_uid:
                continue  # another user's server: not ours to stop
            owner = int((root / OWNER_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue  # being set up right now, or not a server's folder
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            _stop_folder(root, binaries, user)
        except PermissionError:
            continue  # alive, another user's


def _stop_on_sigterm(stop: Callable[[], None]) -> None:
    """SIGTERM (a CI timeout, `kill`) ends Python without atexit: stop the server first, then
    die of the signal as before. Left alone when someone else handles SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return
    handler = signal.getsignal(signal.SIGTERM)
    if handler is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    elif handler is not _on_sigterm:
        return
    _sigterm_stops.append(stop)


def _on_sigterm(signum: int, frame: object) -> None:
    for stop in _sigterm_stops:
        stop()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


_sigterm_stops: list[Callable[[], None]] = []


def unprivileged_user() -> pwd.struct_passwd:
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(
        "PostgreSQL cannot run as root and none of the users {} exists".format(
            ", ".join(UNPRIVILEGED_USERS)
        )
    )


def _as_user(name: str, args: list[str]) -> list[str]:
    runuser = shutil.which("runuser")
    if runuser is not None:
        return [runuser, "-u", name, "--", *args]
    return ["su", name, "-s", "/bin/sh", "-c", shlex.join(args)]


# --- pytest wiring ------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    if not any(line.split(":")[0].strip() == MARKER for line in config.getini("markers")):
        config.addinivalue_line("markers", MARKER_HELP)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker(
            MARKER
        ):
            item.add_marker(MARKER)


def postgres_required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE, "").strip() not in ("", "0")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    return require_postgres(item, report)


def require_postgres(item: pytest.Item, report: pytest.TestReport) -> pytest.TestReport:
    """Under TPSDESK_REQUIRE_POSTGRES=1 a skipped `postgres` test becomes a failure."""
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker(MARKER) is not None
        and postgres_required()
    ):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid}: this PostgreSQL test was skipped, but {REQUIRE_VARIABLE}=1 requires "
            f"every PostgreSQL test to run. Skip reason: {reason}"
        )
    return report


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL for this session (this xdist worker), stopped at its end."""
    binaries, looked = find_binaries()
    if binaries is None:
        pytest.skip(not_installed_reason(looked))
    server = start_server(binaries)
    try:
        yield server
    finally:
        server.stop()


_database_numbers = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """The SQLAlchemy URL of a fresh, empty database (from template0), dropped after the test."""
    from psycopg import sql

    label = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:40]
    name = f"t{next(_database_numbers)}_{label}"
    with postgres_server.connect() as connection:
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )
    try:
        yield postgres_server.url(name)
    finally:
        drop_database(postgres_server, name)


def drop_database(server: PostgresServer, name: str) -> None:
    """Drop `name`, closing what a test left connected to it."""
    from psycopg import sql

    with server.connect() as connection:
        if server.version >= 130000:
            statement = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
        else:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            statement = "DROP DATABASE IF EXISTS {}"
        connection.execute(sql.SQL(statement).format(sql.Identifier(name)))


# --- several processes at once -----------------------------------------------------------------


class ConcurrentRunError(AssertionError):
    """A process of run_concurrently raised, or did not finish in time."""


def run_concurrently(
    target: Callable[..., Any],
    args_list: Sequence[Sequence[Any]],
    *,
    timeout: float = 300.0,
) -> list[Any]:
    """Run `target(*args)` for every args in its own process, all started together; the results
    in the order of `args_list`.

    Processes are spawned (no inherited connections or locks), so `target`, its arguments and
    its result must be picklable and `target` importable (a module-level function). They wait
    at a barrier until all are ready, then run. Raises ConcurrentRunError with the tracebacks
    when any raised, or when they have not all finished within `timeout` seconds (then the
    rest are terminated)."""
    context = multiprocessing.get_context("spawn")
    count = len(args_list)
    if count == 0:
        return []
    barrier = context.Barrier(count)
    results = context.Queue()
    processes = [
        context.Process(
            target=_run_one,
            args=(target, tuple(args), index, barrier, results, timeout),
            name=f"run_concurrently-{index}",
            daemon=True,
        )
        for index, args in enumerate(args_list)
    ]
    # pytest (--import-mode=importlib) imports tests.* without the project's folder on
    # sys.path; a spawned process gets the parent's sys.path and must import `target` by name.
    project = str(Path(__file__).resolve().parent.parent)
    saved_path = list(sys.path)
    if project not in sys.path:
        sys.path.insert(0, project)
    try:
        for process in processes:
            process.start()
    finally:
        sys.path[:] = saved_path
    outcomes: dict[int, tuple[bool, Any]] = {}
    try:
        import queue
        import time

        deadline = time.monotonic() + timeout
        while len(outcomes) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                index, ok, value = results.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                dead = [
                    i
                    for i, process in enumerate(processes)
                    if i not in outcomes and process.exitcode is not None
                ]
                # A process that died without reporting (killed, os._exit) never will, and
                # the others would wait at the barrier for it.
                for i in dead:
                    try:
                        index, ok, value = results.get(timeout=1.0)
                    except queue.Empty:
                        outcomes.setdefault(
                            i, (False, f"process {i} exited with {processes[i].exitcode}")
                        )
                        barrier.abort()
                    else:
                        outcomes[index] = (ok, value)
                continue
            outcomes[index] = (ok, value)
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        results.close()
        results.join_thread()

    missing = [i for i in range(count) if i not in outcomes]
    errors = [f"process {i}:\n{value}" for i, (ok, value) in sorted(outcomes.items()) if not ok]
    if missing:
        errors.append(f"processes {missing} did not finish within {timeout} s")
    if errors:
        raise ConcurrentRunError("\n".join(errors))
    return [outcomes[i][1] for i in range(count)]


def _run_one(
    target: Callable[..., Any],
    args: tuple[Any, ...],
    index: int,
    barrier: Any,
    results: Any,
    timeout: float,
) -> None:
    try:
        barrier.wait(timeout)
        outcome: tuple[int, bool, Any] = (index, True, target(*args))
    except BaseException:
        outcome = (index, False, traceback.format_exc())
    results.put(outcome)
