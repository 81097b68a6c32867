"""The officers' stored name keys (`officer.name_key`, store/models.py) computed again from
their names, a page at a time: by schema revision 0003 for the officers a store already held,
and by a district whose Python has other Unicode data than the keys were made with."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

from tpsdesk.domain.names import name_key

PAGE = 2000
_officer = sa.table("officer", sa.column("id"), sa.column("name"), sa.column("name_key"))


def recompute_name_keys(connection: Connection) -> int:
    """Write `name_key(name)` into every officer row whose stored key differs; pages in id
    order, so memory stays one page whatever the store's size. Returns how many changed."""
    read = (
        sa.select(_officer.c.id, _officer.c.name, _officer.c.name_key)
        .where(_officer.c.id > sa.bindparam("after"))
        .order_by(_officer.c.id)
        .limit(PAGE)
    )
    write = (
        _officer.update()
        .where(_officer.c.id == sa.bindparam("row_id"))
        .values(name_key=sa.bindparam("key"))
    )
    after, changed = "", 0
    while True:
        page = connection.execute(read, {"after": after}).all()
        if not page:
            return changed
        stale = [
            {"row_id": row_id, "key": key}
            for row_id, name, stored in page
            if (key := name_key(name)) != stored
        ]
        if stale:
            connection.execute(write, stale)
            changed += len(stale)
        after = page[-1][0]
