"""What an executor tells about a sweep's cells as it goes: started, done, failed, progress inside a cell.

``SweepEvents`` records the cells' states in memory (and counts them); subclasses also
print them (the CLI) or write them to the job table (the dashboard's worker), so that a
page shows a sweep as one job with its cells.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from robustprune.progress import Progress, silent

CELL_STATES = ("queued", "running", "done", "failed", "cached")


@dataclass
class CellState:
    run_id: str
    kind: str
    label: str
    status: str = "queued"
    error: str | None = None
    seconds: float | None = None
    started: float | None = field(default=None, repr=False)


class SweepEvents:
    """The cells' states of one sweep; executors call ``started`` / ``done`` / ``failed``."""

    def __init__(self) -> None:
        self.cells: dict[str, CellState] = {}

    def planned(self, cells, cached: set[str]) -> None:
        for cell in cells:
            self.cells[cell.run_id] = CellState(cell.run_id, cell.kind, cell.label,
                                                "cached" if cell.run_id in cached else "queued")

    def started(self, cell) -> None:
        state = self.cells[cell.run_id]
        state.status, state.started = "running", time.perf_counter()
        self.changed(state)

    def done(self, cell) -> None:
        self._finish(cell, "done", None)

    def failed(self, cell, error: str) -> None:
        self._finish(cell, "failed", error)

    def _finish(self, cell, status: str, error: str | None) -> None:
        state = self.cells[cell.run_id]
        state.status, state.error = status, error
        if state.started is not None:
            state.seconds = time.perf_counter() - state.started
        self.changed(state)

    def progress_for(self, cell) -> Progress:
        """Progress inside a cell (training steps, layer groups, examples)."""
        return silent

    def changed(self, state: CellState) -> None:
        """Called after each change of a cell's state."""

    def alive(self) -> None:
        """Called while cells run elsewhere (Ray), every few seconds: the sweep is still going."""

    def counts(self) -> dict[str, int]:
        return {status: sum(state.status == status for state in self.cells.values()) for status in CELL_STATES}

    def failures(self) -> list[CellState]:
        return [state for state in self.cells.values() if state.status == "failed"]


class PrintedEvents(SweepEvents):
    """Each cell's start and end as a line on stderr, with the count so far (the CLI)."""

    def __init__(self, stream=None) -> None:
        import sys

        super().__init__()
        self.stream = stream or sys.stderr

    def changed(self, state: CellState) -> None:
        counts = self.counts()
        finished = counts["done"] + counts["failed"] + counts["cached"]
        took = f" in {state.seconds:.0f} s" if state.seconds is not None and state.status != "running" else ""
        line = f"[{finished}/{len(self.cells)}] {state.status}: {state.label} ({state.run_id}){took}"
        if state.error:
            line += f": {state.error.splitlines()[0]}"
        print(line, file=self.stream, flush=True)


class JobEvents(SweepEvents):
    """A sweep job's cell states, written to its ``sweep_cells`` rows (``robustprune.jobs``) as they change;
    the job's progress counts finished cells."""

    def __init__(self, queue, job_id: str, progress: Progress) -> None:
        super().__init__()
        self.queue, self.job_id, self.progress = queue, job_id, progress

    @classmethod
    def of(cls, progress: Progress) -> "JobEvents | None":
        """The events of the job whose ``progress`` (a ``jobs.JobProgress``) this is; None outside a job."""
        queue = getattr(progress, "queue", None)
        return cls(queue, progress.job_id, progress) if queue is not None else None

    def planned(self, cells, cached: set[str]) -> None:
        super().planned(cells, cached)
        self.queue.set_cells(self.job_id, self.cells.values())
        self._report()

    def changed(self, state: CellState) -> None:
        self.queue.update_cell(self.job_id, state)
        self._report()

    def progress_for(self, cell) -> Progress:
        """Work inside a cell (training steps, examples) keeps the job alive: its row's time and the worker's
        heartbeat move, so a long cell is not taken for a dead worker's (``JobQueue.reap_stale``)."""
        return lambda stage, done, total: self._report()

    def alive(self) -> None:
        self._report()

    def _report(self) -> None:
        counts = self.counts()
        self.progress("sweep", counts["done"] + counts["failed"] + counts["cached"], len(self.cells))


__all__ = ["SweepEvents", "PrintedEvents", "JobEvents", "CellState", "CELL_STATES"]
