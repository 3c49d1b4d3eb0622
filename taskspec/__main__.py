"""`python -m taskspec ...`: the same command line as `taskspec ...`."""

import sys

from taskspec.cli import main

if __name__ == "__main__":
    sys.exit(main())
