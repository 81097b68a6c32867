"""Spreadsheet import commands of the `tpsdesk` command line: `officers import`.

Registered on `tpsdesk.cli.main` when `tpsdesk.cli` is imported.
"""

from __future__ import annotations
