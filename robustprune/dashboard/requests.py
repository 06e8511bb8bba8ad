"""What a page asks the backend for, as job parameters, and which cached run answers it.

A request knows the job it becomes (``kind``, ``job_params``) and the run id that job
will produce, computed from the same cache keys as ``robustprune.pipeline`` without
computing anything: a page shows a cached result at once and offers a job otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from robustprune.attack.run import AttackConfig
from robustprune.dashboard.choices import DataChoice
from robustprune.data import TaskData
from robustprune.finetune import FinetuneConfig
from robustprune.pipeline import dense_key, prune_key, with_max_length
from robustprune.prune import PruneConfig
from robustprune.store import RunStore, run_id_for


@dataclass(frozen=True)
class DenseRequest:
    """The fine-tuned dense model of (model, dataset), default fine-tuning settings."""

    model: str
    data: DataChoice
    kind = "finetune"

    def job_params(self) -> dict:
        return {"model": self.model, **self.data.job_fields(), "finetune": {}}

    def run_id(self, task_data: TaskData) -> str:
        return run_id_for("finetune", dense_key(self.model, task_data, with_max_length(FinetuneConfig(), task_data)))


@dataclass(frozen=True)
class PruneRequest:
    """An unstructured pruning run of the dense model of (model, dataset)."""

    model: str
    data: DataChoice
    config: PruneConfig
    kind = "prune"

    @property
    def dense(self) -> DenseRequest:
        return DenseRequest(self.model, self.data)

    def job_params(self) -> dict:
        return {"model": self.model, **self.data.job_fields(), "prune": self.config.to_dict(), "finetune": {}}

    def run_id(self, task_data: TaskData, store: RunStore) -> str | None:
        """The pruning run's id, or None while its dense parent (which fixes the key) is not cached."""
        dense = store.get(self.dense.run_id(task_data))
        if dense is None:
            return None
        return run_id_for("prune", prune_key(dense.run_id, self.config, dense.summary["config"]["max_length"]))

    def problem(self, task_data: TaskData) -> str | None:
        """Why this request cannot run on ``task_data``, or None."""
        needed = self.config.calibration + self.config.heldout
        if needed > len(task_data.train):
            return (f"calibration {self.config.calibration} + held-out {self.config.heldout} texts exceed the "
                    f"{len(task_data.train)} training texts of {task_data.name}; choose a smaller calibration size")
        return None


@dataclass(frozen=True)
class AttackRequest:
    """An attack on a cached pruning run (``target`` = its run id) or on the dense model (``target`` = "dense")
    of ``model``, on the test texts of ``data``."""

    target: str
    config: AttackConfig
    model: str
    data: DataChoice
    kind = "attack"

    def job_params(self) -> dict:
        return {"target": self.target, "attack": asdict(self.config), "model": self.model, **self.data.job_fields()}

    def run_id(self, task_data: TaskData) -> str:
        from robustprune.attack.runs import ATTACK_VERSION, DENSE_TARGET

        target = DenseRequest(self.model, self.data).run_id(task_data) if self.target == DENSE_TARGET else self.target
        return run_id_for("attack", {"target": target, "attack": asdict(self.config),
                                     "dataset": task_data.fingerprint, "version": ATTACK_VERSION})


__all__ = ["DenseRequest", "PruneRequest", "AttackRequest"]
