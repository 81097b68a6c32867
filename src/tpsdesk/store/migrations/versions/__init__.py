"""One module per Alembic revision, written by hand and never changed once released."""
