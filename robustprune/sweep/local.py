"""The default executor: every cell in this process, one after another (no extra processes).

Inside a cell the work still uses what this process has: all its CPU threads (or its GPU)
for pruning, and several attack searches side by side with merged batches.
"""

from __future__ import annotations

import traceback

from robustprune.data import TaskData
from robustprune.errors import RobustPruneError
from robustprune.store import RunStore
from robustprune.sweep.events import SweepEvents
from robustprune.sweep.plan import SweepPlan

DEFAULT_LOCAL_SHARD_SIZE = 50  # examples per cached attack shard: a stopped sweep loses at most one shard


class LocalExecutor:
    name = "local"
    default_shard_size = DEFAULT_LOCAL_SHARD_SIZE

    def __init__(self, device: str = "auto", concurrency: int | None = None) -> None:
        self.device = device
        self.concurrency = concurrency

    def describe(self) -> str:
        return "this process"

    def run(self, plan: SweepPlan, data: TaskData, store: RunStore, events: SweepEvents) -> None:
        failed: dict[str, str] = {}
        for cell in plan.missing(store):
            blocked = [need for need in cell.needs if need in failed]
            if blocked:
                failed[cell.run_id] = f"needs {plan.cell(blocked[0]).label}, which failed"
                events.failed(cell, failed[cell.run_id])
                continue
            events.started(cell)
            try:
                cell.request.run(store, data, self.device, events.progress_for(cell), self.concurrency)
            except RobustPruneError as error:
                failed[cell.run_id] = str(error)
            except Exception as error:  # a bug or a resource problem: the other cells still run
                failed[cell.run_id] = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=4)}"
            if cell.run_id in failed:
                events.failed(cell, failed[cell.run_id])
            else:
                events.done(cell)


__all__ = ["LocalExecutor", "DEFAULT_LOCAL_SHARD_SIZE"]
