"""The request for a sweep (``robustprune.sweep``): a grid of ordinary runs, each a request of its own."""

from __future__ import annotations

from dataclasses import dataclass

from robustprune.errors import RobustPruneError
from robustprune.progress import silent
from robustprune.requests.base import RunRequest
from robustprune.sweep.spec import SweepSpec


@dataclass(frozen=True)
class SweepRequest(RunRequest):
    """A sweep as one request: its grid (``spec``), where it runs (this process, or Ray at ``ray``), and the
    attack shards' size. It makes no run of its own: its cells are the runs (``requires``), and submitting it
    again computes only what is missing."""

    spec: SweepSpec
    ray: str | None = None
    shard_size: int | None = None
    kind = "sweep"
    rerun_when_done = True

    def run_id(self, data=None) -> None:
        return None

    def requires(self, data=None) -> tuple[RunRequest, ...]:
        from robustprune.sweep import plan_sweep, sweep_data

        plan = plan_sweep(self.spec, data if data is not None else sweep_data(self.spec), self.shard_size)
        return tuple(cell.request for cell in plan.cells)

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        """Run the grid; a failed cell does not stop the others, the sweep then fails with their reasons. In a job
        (``progress`` a ``jobs.JobProgress``) the cells' states go to the job's ``sweep_cells`` rows as they change."""
        from robustprune.sweep import open_executor, run_sweep
        from robustprune.sweep.events import JobEvents

        with open_executor(self.ray, self.spec.device) as executor:
            result = run_sweep(self.spec, data=data, store=store, executor=executor, shard_size=self.shard_size,
                               events=JobEvents.of(progress))
        if result.failures:
            reasons = "; ".join(f"{state.label}: {(state.error or '').splitlines()[0]}"
                                for state in result.failures[:3])
            raise RobustPruneError(f"{len(result.failures)} of {len(result.plan.cells)} runs failed ({reasons}); "
                                   "the others are cached, and Retry computes only what is missing")
        return result

    def describe(self) -> str:
        return f"Sweep of {self.spec.model} on {self.spec.dataset}"

    def to_dict(self) -> dict:
        params = {"spec": self.spec.to_dict(), "ray": self.ray or None}
        return {**params, "shard_size": self.shard_size} if self.shard_size is not None else params

    @classmethod
    def from_dict(cls, params: dict) -> "SweepRequest":
        return cls(SweepSpec.from_dict(params["spec"]), params.get("ray"), params.get("shard_size"))


__all__ = ["SweepRequest"]
