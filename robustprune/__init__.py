"""robustprune: how pruning changes the adversarial robustness of transformer text classifiers.

The library computes; the Streamlit dashboard (``app.py``) and the CLI (``robustprune``)
only call into it.
"""

__version__ = "0.1.0"

from robustprune.errors import RobustPruneError  # noqa: F401
