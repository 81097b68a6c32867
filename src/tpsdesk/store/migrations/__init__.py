"""Alembic revisions of the store schema (`versions/`), run by `store.schema` without an
alembic.ini or env.py: see docs/store-format.md, "Schema and migrations"."""
