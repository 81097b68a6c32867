"""`python -m tpsdesk` runs the same command line as `tpsdesk`."""

from tpsdesk.cli import main

if __name__ == "__main__":  # not when a spawned worker process imports this module
    main()
