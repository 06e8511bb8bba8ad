"""The Sweep page's data: the grid a user picks, as a sweep job, and what is cached, running or failed.

A ``SweepRequest`` (``robustprune.requests``) is the job the page submits (kind ``"sweep"``, run by the worker
with ``robustprune.sweep.run_sweep``); its cells' states come from the job table while it runs
and from the run store once it is done, so the page shows the same grid before, during
and after the work.
"""

from __future__ import annotations

import pandas as pd

from robustprune.sweep import SweepPlan
from robustprune.sweep.estimate import SweepEstimate

EXECUTORS = ("worker", "ray")
EXECUTOR_LABELS = {"worker": "this machine's worker process", "ray": "a Ray cluster"}
CELL_KINDS = {"finetune": "fine-tune", "soup": "soup", "prune": "prune", "structured": "structured prune",
              "attack-shard": "attack (part)", "attack": "attack"}


def method_options() -> list[str]:
    """Every method, and the variants the sweep knows (``krp+refit``)."""
    from robustprune.dashboard.choices import pruning_methods
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    methods = pruning_methods()
    return methods + [f"{method}+refit" for method in methods if method not in STRUCTURED_METHODS]


def plan_frame(plan: SweepPlan, cached: set[str]) -> pd.DataFrame:
    """The plan's runs: what each is, and whether it is cached (``cached``: ``plan.cached(store)``)."""
    return pd.DataFrame([{"run": cell.label, "kind": CELL_KINDS.get(cell.kind, cell.kind),
                          "status": "cached" if cell.run_id in cached else "to compute", "run_id": cell.run_id}
                         for cell in plan.cells], columns=["run", "kind", "status", "run_id"])


def cells_frame(cells) -> pd.DataFrame:
    """A sweep job's cells (``JobQueue.cells``) as a table: status, seconds, and the reason of a failure."""
    return pd.DataFrame([{"run": cell.label, "kind": CELL_KINDS.get(cell.kind, cell.kind), "status": cell.status,
                          "seconds": cell.seconds, "error": (cell.error or "").splitlines()[0] if cell.error else "",
                          "run_id": cell.run_id} for cell in cells],
                        columns=["run", "kind", "status", "seconds", "error", "run_id"])


def status_counts(cells) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cell in cells:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    return counts


def progress_line(cells) -> str:
    counts = status_counts(cells)
    finished = counts.get("done", 0) + counts.get("cached", 0)
    parts = [f"{finished} of {len(cells)} runs finished"]
    parts += [f"{counts[status]} {status}" for status in ("running", "queued", "failed") if counts.get(status)]
    return ", ".join(parts)


def estimate_line(estimate: SweepEstimate, rows: int) -> str:
    return f"{rows} table rows from {estimate.cells} runs: {estimate.describe()}."


__all__ = ["EXECUTORS", "EXECUTOR_LABELS", "method_options", "plan_frame", "cells_frame",
           "status_counts", "progress_line", "estimate_line"]
