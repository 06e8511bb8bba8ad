"""Sweeps: the whole trade-off grid (dense starts × pruning × attacks) in one request.

``run_sweep(SweepSpec(...))`` plans the grid as ordinary cached runs (``plan.py``), computes
what is missing in this process or as Ray tasks (``local.py``, ``ray_executor.py``) and
returns the paper's table (``table.py``). The CLI's ``sweep`` and ``table`` commands and
the dashboard's Sweep page call it.
"""

from robustprune.sweep.plan import Cell, GridRow, SweepPlan, plan_sweep  # noqa: F401
from robustprune.sweep.run import SweepResult, make_executor, open_executor, run_sweep, sweep_data  # noqa: F401
from robustprune.sweep.spec import MethodVariant, SweepSpec  # noqa: F401
