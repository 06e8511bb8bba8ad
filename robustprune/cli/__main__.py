"""``python -m robustprune.cli``: the command line (the dashboard starts its worker this way)."""

import sys

from robustprune.cli import main

sys.exit(main())
