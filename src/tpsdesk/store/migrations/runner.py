"""Alembic driven from code, on a connection the caller holds: no alembic.ini, no env.py.

Everything runs inside the caller's transaction (Alembic sees it open and begins none of its
own) and nothing here commits. Imported by `store.schema` only when a database is not at the
head revision: opening a current store never loads Alembic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection


@lru_cache(maxsize=1)
def script_directory() -> ScriptDirectory:
    """The revisions in `versions/` beside this module (plain .py files of the package)."""
    return ScriptDirectory(str(Path(__file__).parent))


def head() -> str:
    found = script_directory().get_current_head()
    if found is None:  # pragma: no cover - the package always ships its revisions
        raise RuntimeError("no Alembic revisions found")
    return found


def known_revisions() -> set[str]:
    return {script.revision for script in script_directory().walk_revisions()}


def _context(connection: Connection, **opts: Any) -> MigrationContext:
    if not connection.in_transaction():
        connection.begin()  # Alembic would otherwise commit each revision itself
    return MigrationContext.configure(connection, opts=opts)


def upgrade(connection: Connection, target: str) -> None:
    """Run the revisions from the database's current one up to `target`."""
    script = script_directory()

    def steps(heads: Any, _context: MigrationContext) -> Any:
        return script._upgrade_revs(target, heads)

    context = _context(connection, fn=steps)
    with Operations.context(context):
        context.run_migrations()


def stamp(connection: Connection, revision: str) -> None:
    """Record `revision` as the database's own without running anything."""
    _context(connection).stamp(script_directory(), revision)


def run_operations(connection: Connection, operations: Iterable[Callable[[], None]]) -> None:
    """Call functions that use `alembic.op` (e.g. a revision's table builders) on `connection`."""
    with Operations.context(_context(connection)):
        for operation in operations:
            operation()
