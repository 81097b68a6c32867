"""`python -m tpsdesk` runs the same command line as `tpsdesk`."""

from tpsdesk.cli import main

main()
