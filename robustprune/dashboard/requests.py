"""What a page asks the backend for, as job parameters, and which cached run answers it.

A request knows the job it becomes (``kind``, ``job_params``) and the run id that job
will produce, computed from the same cache keys as ``robustprune.pipeline``,
``robustprune.soup`` and ``robustprune.structured.runs`` without computing anything: a
page shows a cached result at once and offers a job otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from robustprune.attack.attribution import IGSettings
from robustprune.attack.explain import explanation_run_id
from robustprune.attack.layer_auc import layer_auc_run_id
from robustprune.attack.projection import projection_run_id
from robustprune.attack.run import AttackConfig
from robustprune.dashboard.choices import DataChoice
from robustprune.data import TaskData
from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.pipeline import DENSE_STARTS, dense_key, prune_key, with_max_length
from robustprune.prune import PruneConfig
from robustprune.store import RunRecord, RunStore, run_id_for
from robustprune.structured import KPruneConfig


@dataclass(frozen=True)
class DenseRequest:
    """The dense start of (model, dataset) with default settings: one fine-tuned model (``start="finetune"``)
    or the greedy soup of several (``start="soup"``, ``robustprune.soup``)."""

    model: str
    data: DataChoice
    start: str = "finetune"
    soup_criterion: str = "clean"  # the soup's: clean held-out accuracy, or accuracy under attack (the paper's)

    @property
    def kind(self) -> str:
        return self.start

    def soup_fields(self) -> dict:
        return {} if self.soup_criterion == "clean" else {"criterion": self.soup_criterion}

    def job_params(self) -> dict:
        params = {"model": self.model, **self.data.job_fields(), "finetune": {}}
        return {**params, "soup": self.soup_fields()} if self.start == "soup" else params

    def run_id(self, task_data: TaskData) -> str:
        if self.start == "soup":
            from robustprune.soup import SoupConfig, soup_key

            config = SoupConfig(**self.soup_fields())
            return run_id_for("soup", soup_key(self.model, task_data, config,
                                               config.base.max_length or task_data.max_length))
        return run_id_for("finetune", dense_key(self.model, task_data, with_max_length(FinetuneConfig(), task_data)))


def dense_max_length(record: RunRecord) -> int:
    """The evaluation length a dense start was made with: a fine-tune's config, or a soup's own field."""
    summary = record.summary
    return summary["max_length"] if record.kind == "soup" else summary["config"]["max_length"]


class FromDenseStart:
    """What the requests for a pruning run share: the dense start they are made from (a fine-tuned model or
    the soup, ``DenseRequest``), whose run id and evaluation length are part of the pruning run's key.

    A subclass has the fields ``model``, ``data`` and ``dense_start``, a ``kind``, and says what its job adds
    (``own_params``) and its cache key given the dense run (``key``).
    """

    @property
    def dense(self) -> DenseRequest:
        return DenseRequest(self.model, self.data, self.dense_start, getattr(self, "soup_criterion", "clean"))

    def job_params(self) -> dict:
        return {**self.dense.job_params(), **self.own_params(), "dense": self.dense_start}

    def run_id(self, task_data: TaskData, store: RunStore) -> str | None:
        """The run's id, or None while its dense start (which fixes the key) is not cached."""
        dense = store.get(self.dense.run_id(task_data))
        if dense is None:
            return None
        return run_id_for(self.kind, self.key(dense.run_id, dense_max_length(dense)))

    def problem(self, task_data: TaskData) -> str | None:
        """Why this request cannot run on ``task_data``, or None."""
        return None


@dataclass(frozen=True)
class PruneRequest(FromDenseStart):
    """An unstructured pruning run of the dense start (fine-tuned model or soup) of (model, dataset)."""

    model: str
    data: DataChoice
    config: PruneConfig
    dense_start: str = "finetune"
    soup_criterion: str = "clean"
    kind = "prune"

    def __post_init__(self) -> None:
        check_dense_start(self.dense_start)

    def own_params(self) -> dict:
        return {"prune": self.config.to_dict()}

    def key(self, dense_run_id: str, max_length: int) -> dict:
        return prune_key(dense_run_id, self.config, max_length)

    def problem(self, task_data: TaskData) -> str | None:
        needed = self.config.calibration + self.config.heldout
        if needed > len(task_data.train):
            return (f"calibration {self.config.calibration} + held-out {self.config.heldout} texts exceed the "
                    f"{len(task_data.train)} training texts of {task_data.name}; choose a smaller calibration size")
        return None


@dataclass(frozen=True)
class StructuredRequest(FromDenseStart):
    """A structured pruning run (``kprune`` or ``structured-magnitude``) of the dense start of (model, dataset)."""

    model: str
    data: DataChoice
    method: str
    config: KPruneConfig
    dense_start: str = "finetune"
    kind = "structured"

    def __post_init__(self) -> None:
        from robustprune.structured import METHODS

        check_dense_start(self.dense_start)
        if self.method not in METHODS:
            raise RobustPruneError(f"unknown structured method {self.method!r}; use one of {', '.join(METHODS)}")
        if self.method == "structured-magnitude":  # data-free: the pipeline keys it by the budget alone
            object.__setattr__(self, "config", KPruneConfig(flops_reduction=self.config.flops_reduction))

    def own_params(self) -> dict:
        return {"structured": {"method": self.method, "config": self.config.to_dict()}}

    def key(self, dense_run_id: str, max_length: int) -> dict:
        from robustprune.structured.runs import structured_key

        return structured_key(dense_run_id, self.method, self.config, max_length)


def check_dense_start(start: str) -> None:
    if start not in DENSE_STARTS:
        raise RobustPruneError(f"unknown dense start {start!r}; use one of {', '.join(DENSE_STARTS)}")


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


@dataclass(frozen=True)
class AttributionRequest:
    """The explanation of one example of a cached attack run (``robustprune.attack.explain``)."""

    attack_run_id: str
    example: int
    settings: IGSettings = IGSettings()
    kind = "attribution"

    def job_params(self) -> dict:
        return {"attack": self.attack_run_id, "example": int(self.example), "ig": self.settings.to_dict()}

    def run_id(self) -> str:
        return explanation_run_id(self.attack_run_id, self.example, self.settings)


@dataclass(frozen=True)
class LayerAUCRequest:
    """The per-layer AUC of a cached attack run on a pruning run (``robustprune.attack.layer_auc``)."""

    attack_run_id: str
    kind = "layer-auc"

    def job_params(self) -> dict:
        return {"attack": self.attack_run_id}

    def run_id(self) -> str:
        return layer_auc_run_id(self.attack_run_id)


@dataclass(frozen=True)
class ProjectionRequest:
    """The 2-D projection of a cached attack run's pairs in each of its models (``robustprune.attack.projection``)."""

    attack_run_id: str
    kind = "projection"

    def job_params(self) -> dict:
        return {"attack": self.attack_run_id}

    def run_id(self) -> str:
        return projection_run_id(self.attack_run_id)


__all__ = ["DenseRequest", "FromDenseStart", "PruneRequest", "StructuredRequest", "AttackRequest", "dense_max_length",
           "AttributionRequest", "LayerAUCRequest", "ProjectionRequest"]
