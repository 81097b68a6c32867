"""Least-privilege roles for a district database, as SQL a database administrator runs.

Two login roles: the owner, which creates the database's tables (`tpsdesk init --district
--database …` connects as it) and later upgrades them; the clerk, which the keyrings of the
desk's computers connect as, and which may only read and write rows: SELECT, INSERT, UPDATE,
DELETE, never CREATE, ALTER, DROP or TRUNCATE. No password is in the SQL: psql asks for them
(`\\password`), so none lands in a shell history or the server log.
"""

from __future__ import annotations

import re

from ..i18n import _

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_name(name: str) -> str:
    """A role or database name tpsdesk writes into SQL: lower-case letters, digits, `_`."""
    if not _NAME.fullmatch(name):
        raise ValueError(
            _(
                "{name} cannot be used as a name: lower-case letters, digits and _ only, "
                "starting with a letter."
            ).format(name=name)
        )
    return name


def roles_sql(database: str, owner: str, clerk: str) -> str:
    """The SQL (for psql, as a superuser) that makes `owner`, `clerk` and `database`."""
    database, owner, clerk = check_name(database), check_name(owner), check_name(clerk)
    return f"""-- tpsdesk: least-privilege roles for a district database. Run with psql as a
-- superuser: psql -v ON_ERROR_STOP=1 -f roles.sql
CREATE ROLE {owner} LOGIN;
CREATE ROLE {clerk} LOGIN;
\\password {owner}
\\password {clerk}
-- Byte order for text, as SQLite sorts: lists come out the same on either backend.
CREATE DATABASE {database} OWNER {owner} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {clerk};
\\connect {database}
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO {owner};
GRANT USAGE ON SCHEMA public TO {clerk};
-- Tables the owner creates (now and in later upgrades): rows only, for the clerk.
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {clerk};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO {clerk};
-- Tables that already exist (running this again after an upgrade is harmless).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {clerk};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {clerk};
"""
