"""``python -m robustprune``: the command line, as ``robustprune``."""

import sys

from robustprune.cli import main

sys.exit(main())
