"""The `tpsdesk` command line: a thin layer over the store, exchange and sync functions.

Exit status (DESIGN.md §10): 0 success, 1 refused or partly rejected (the reason is printed on
stderr, never a traceback), 2 usage error (click's own). Without a subcommand it opens the TUI;
textual is imported only then.

Layout: `common` holds the helpers every group uses (and calls `translate_click()`, so click's
own texts follow --lang as soon as `tpsdesk.cli` is imported); one module per command group;
`root` defines `main` and adds the groups to it. No module here imports the package back.
"""

from tpsdesk.cli.root import main

__all__ = ["main"]
