"""Draft the next store schema revision: what the models declare that the head revision does
not build, as Alembic operations to review and write out by hand.

    uv run python scripts/schema_draft.py                  against a scratch in-memory SQLite
    uv run python scripts/schema_draft.py --database URL   against an EMPTY database (e.g. a
                                                           scratch PostgreSQL), left as it was

The scratch database is brought to the head revision with `store.schema.upgrade_schema`,
then compared with `SQLModel.metadata` (every table module imported). Nothing is written to
the source tree and a database given with --database is rolled back. The output is a draft:
it names tpsdesk's own column types and may miss what autogenerate cannot see (partial-index
conditions, renames); see docs/store-format.md, "Schema and migrations".
"""

from __future__ import annotations

import argparse
import sys

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

# Every module that declares tables (their tables join SQLModel.metadata).
import tpsdesk.store.models
import tpsdesk.sync.district_models  # noqa: F401
from tpsdesk.store.schema import HEAD, upgrade_schema


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite://", help="an empty scratch database")
    args = parser.parse_args()
    engine = create_engine(args.database)
    with engine.connect() as connection:
        connection.begin()
        if inspect(connection).get_table_names():
            print("The database is not empty: give a scratch one.", file=sys.stderr)
            return 2
        upgrade_schema(connection)
        context = MigrationContext.configure(connection)
        upgrade = produce_migrations(context, SQLModel.metadata).upgrade_ops
        connection.rollback()
    assert upgrade is not None
    if upgrade.is_empty():
        print(f"The head revision {HEAD} builds what the models declare: nothing to draft.")
        return 0
    print(f"# Draft of the revision after {HEAD}: review it, then write it out by hand.")
    print(render_python_code(upgrade))
    return 0


if __name__ == "__main__":
    sys.exit(main())
