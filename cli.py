"""Run the taskspec command line from a checkout: `python cli.py run PerceptualDecisionMaking`."""

import sys

from taskspec.cli import main

if __name__ == "__main__":
    sys.exit(main())
