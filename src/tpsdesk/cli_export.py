"""Export commands of the `tpsdesk` command line: `export bpjs`, `export budget`,
`export completion`, and the pay settings they print.

Registered on `tpsdesk.cli.main` when `tpsdesk.cli` is imported.
"""

from __future__ import annotations
