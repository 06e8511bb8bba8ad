"""Run a sweep: plan it, compute what is not cached with an executor, and read the table off the store."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import pandas as pd

from robustprune.data import TaskData, load_task_data
from robustprune.store import RunStore
from robustprune.sweep.events import CellState, SweepEvents
from robustprune.sweep.local import LocalExecutor
from robustprune.sweep.plan import SweepPlan, plan_sweep
from robustprune.sweep.spec import SweepSpec
from robustprune.sweep.table import summary_over_seeds, sweep_table


@dataclass
class SweepResult:
    spec: SweepSpec
    plan: SweepPlan
    table: pd.DataFrame  # one row per (dense start, seed, method, budget, recipe)
    summary: pd.DataFrame  # mean and spread over seeds
    failures: list[CellState] = field(default_factory=list)
    computed: int = 0  # cells computed by this call (the others were cached)
    executor: str = "local"
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.failures


def make_executor(ray: str | None = None, device: str = "auto", concurrency: int | None = None,
                  cpus_per_task: int = 1):
    """The local executor, or Ray's when ``ray`` (or ``$ROBUSTPRUNE_RAY``) names an address or "auto"."""
    from robustprune.sweep.ray_executor import RayExecutor, ray_address_from_environment

    address = ray or ray_address_from_environment()
    if not address:
        return LocalExecutor(device, concurrency)
    return RayExecutor(address, device=device, cpus_per_task=cpus_per_task, concurrency=concurrency)


@contextmanager
def open_executor(ray: str | None = None, device: str = "auto", concurrency: int | None = None,
                  cpus_per_task: int = 1) -> Iterator:
    """``make_executor``'s executor for the block, shut down after it (Ray's connection closed)."""
    executor = make_executor(ray, device, concurrency, cpus_per_task)
    try:
        yield executor
    finally:
        getattr(executor, "shutdown", lambda: None)()


def sweep_data(spec: SweepSpec) -> TaskData:
    return load_task_data(spec.dataset, spec.text_column, spec.label_column)


def run_sweep(spec: SweepSpec, *, data: TaskData | None = None, store: RunStore | None = None, executor=None,
              shard_size: int | None = None, events: SweepEvents | None = None) -> SweepResult:
    """Fill ``spec``'s grid: every missing cell computed by ``executor`` (default: this process), cached cells
    reused; a failed cell fails only the cells that need it. The grid is checked before any work."""
    started = time.perf_counter()
    store = store or RunStore()
    data = data or sweep_data(spec)
    executor = executor or LocalExecutor(spec.device)
    events = events or SweepEvents()
    plan = plan_sweep(spec, data, shard_size if shard_size is not None else executor.default_shard_size)
    cached = plan.cached(store)
    events.planned(plan.cells, cached)
    if len(cached) < len(plan.cells):
        prepare = getattr(executor, "prepare", None)
        if prepare is not None:
            prepare()
        executor.run(plan, data, store, events)
    table = sweep_table(plan, store)
    return SweepResult(spec, plan, table, summary_over_seeds(table, store), events.failures(),
                       computed=len(plan.cells) - len(cached) - len(events.failures()),
                       executor=executor.describe() if len(cached) < len(plan.cells) else executor.name,
                       seconds=time.perf_counter() - started)


__all__ = ["SweepResult", "run_sweep", "make_executor", "open_executor", "sweep_data"]
