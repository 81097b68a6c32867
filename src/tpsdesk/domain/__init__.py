"""Pure election-officer rules: no I/O, no UI, no database."""
