"""Persistence: the encrypted store file, its tables and repositories."""
