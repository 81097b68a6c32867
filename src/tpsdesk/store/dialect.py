"""The few places where SQLite and PostgreSQL spell a query differently.

Hand-written SQL of the store is written for SQLite (its planner hints, flags compared to 0
and 1); `postgres_spelling` gives the same query as PostgreSQL wants it, and `spelled_for`
picks the one for the session's engine.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import TextClause, text

_FLAG = re.compile(r"\b((?:\w+\.)?deleted) = ([01])\b")


def is_postgres(session: Any) -> bool:
    """Whether `session` (a Session or a Connection) talks to PostgreSQL."""
    bind = session.get_bind() if hasattr(session, "get_bind") else session
    return bool(bind.dialect.name == "postgresql")


def postgres_spelling(sql: str) -> str:
    """`sql` without SQLite's planner hints, and its 0/1 flags as PostgreSQL booleans."""
    sql = sql.replace(" NOT INDEXED", "")
    return _FLAG.sub(lambda m: f"{m[1]} = {'true' if m[2] == '1' else 'false'}", sql)


class Spelled:
    """A text query in both spellings."""

    def __init__(self, sql: str) -> None:
        self.sqlite = text(sql)
        self.postgres = text(postgres_spelling(sql))

    def for_(self, session: Any) -> TextClause:
        return self.postgres if is_postgres(session) else self.sqlite
