"""`python -m tpsdesk.cli` runs the command line, like `tpsdesk`."""

import sys

from tpsdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
