"""Requests for pruning runs: unstructured (``pipeline.prune``) and structured (``structured.runs``), both of the
dense start (a fine-tune or the soup) of (model, dataset)."""

from __future__ import annotations

from dataclasses import dataclass

from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.labels import method_label
from robustprune.progress import silent
from robustprune.prune import PruneConfig
from robustprune.requests.base import DataRef, RunRequest, changed_fields
from robustprune.requests.dense import check_dense_start, dense_request, read_soup, soup_fields
from robustprune.soup import SoupConfig
from robustprune.store import run_id_for
from robustprune.structured import KPruneConfig


class FromDenseStart(RunRequest):
    """What a pruning run's request shares: the dense start it is made from, whose run id and evaluation length
    are part of its key. A subclass has ``model``, ``data``, ``dense_start``, ``finetune`` and ``soup``, says
    its key given the dense run (``key``) and what its job adds (``own_params``)."""

    def check_start(self) -> None:
        check_dense_start(self.dense_start)
        if self.dense_start == "soup" and self.soup is None:  # the default soup of the fine-tune setting
            object.__setattr__(self, "soup", SoupConfig(base=self.finetune))

    @property
    def dense(self):
        return dense_request(self.dense_start, self.model, self.data, self.finetune, self.soup)

    def run_id(self, data=None) -> str:
        data = data if data is not None else self.data.load()
        dense = self.dense
        return run_id_for(self.kind, self.key(dense.run_id(data), dense.max_length(data)))

    def requires(self, data=None) -> tuple[RunRequest, ...]:
        return (self.dense,)

    def to_dict(self) -> dict:
        params = {"model": self.model, **self.data.to_dict(), "finetune": changed_fields(self.finetune)}
        if self.dense_start == "soup":
            params["soup"] = soup_fields(self.soup)
        return {**params, **self.own_params(), "dense": self.dense_start}

    @staticmethod
    def start_fields(params: dict) -> dict:
        start = params.get("dense", "finetune")
        return {"dense_start": start, "finetune": FinetuneConfig(**params.get("finetune", {})),
                "soup": read_soup(params) if start == "soup" else None}


@dataclass(frozen=True)
class PruneRequest(FromDenseStart):
    """An unstructured pruning run (``pipeline.prune``); with adversarial calibration it needs attacks on the
    dense model's training texts first."""

    model: str
    data: DataRef
    config: PruneConfig
    dense_start: str = "finetune"
    finetune: FinetuneConfig = FinetuneConfig()
    soup: SoupConfig | None = None
    kind = "prune"

    def __post_init__(self) -> None:
        self.check_start()

    def key(self, dense_run_id: str, max_length: int) -> dict:
        from robustprune.pipeline import prune_key

        return prune_key(dense_run_id, self.config, max_length)

    def own_params(self) -> dict:
        return {"prune": self.config.to_dict()}

    def describe(self) -> str:
        config = self.config
        budget = "" if config.pattern else f" at {config.sparsity:.1%}"
        start = " from the soup" if self.dense_start == "soup" else ""
        return f"Pruning {self.model} with {method_label(config.method, config.pattern)}{budget}{start}"

    def problem(self, data) -> str | None:
        """Why this request cannot run on ``data``, or None."""
        needed = self.config.calibration + self.config.heldout
        if needed > len(data.train):
            return (f"calibration {self.config.calibration} + held-out {self.config.heldout} texts exceed the "
                    f"{len(data.train)} training texts of {data.name}; choose a smaller calibration size")
        return None

    def requires(self, data=None) -> tuple[RunRequest, ...]:
        """The dense start, and the attacks on its training texts that adversarial calibration draws from."""
        if not self.config.calibration_adversarial:
            return (self.dense,)
        from robustprune.adversarial_calibration import calibration_attacks
        from robustprune.pipeline import calibration_indices
        from robustprune.requests.attack import AttackRequest

        data = self.task_data(data)
        dense = self.dense
        dense_id, max_length = dense.run_id(data), dense.max_length(data)
        chosen = set(calibration_indices(data, self.config))
        return (dense, *(AttackRequest(dense_id, planned.config, texts=planned.texts)
                         for planned in calibration_attacks(data, self.config, chosen, max_length)))

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        from robustprune.pipeline import prune

        return prune(self.config, self.model, self.task_data(data), device, self.finetune, store, progress,
                     dense=self.dense_start, soup_config=self.soup)

    @classmethod
    def from_dict(cls, params: dict) -> "PruneRequest":
        return cls(params["model"], DataRef.from_params(params), PruneConfig(**params["prune"]),
                   **cls.start_fields(params))


@dataclass(frozen=True)
class StructuredRequest(FromDenseStart):
    """A structured pruning run, ``kprune`` or ``structured-magnitude`` (``structured.runs.prune_structured``)."""

    model: str
    data: DataRef
    method: str
    config: KPruneConfig
    dense_start: str = "finetune"
    finetune: FinetuneConfig = FinetuneConfig()
    soup: SoupConfig | None = None
    kind = "structured"

    def __post_init__(self) -> None:
        from robustprune.structured import METHODS

        self.check_start()
        if self.method not in METHODS:
            raise RobustPruneError(f"unknown structured method {self.method!r}; use one of {', '.join(METHODS)}")
        if self.method == "structured-magnitude":  # data-free: the run is keyed by the budget alone
            object.__setattr__(self, "config", KPruneConfig(flops_reduction=self.config.flops_reduction))

    def key(self, dense_run_id: str, max_length: int) -> dict:
        from robustprune.structured.runs import structured_key

        return structured_key(dense_run_id, self.method, self.config, max_length)

    def own_params(self) -> dict:
        return {"structured": {"method": self.method, "config": self.config.to_dict()}}

    def describe(self) -> str:
        return f"Pruning {self.model} with {self.method}, {self.config.flops_reduction:.0%} of FLOPs removed"

    def problem(self, data) -> str | None:
        return None

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        from robustprune.structured.runs import prune_structured

        return prune_structured(self.method, self.config, self.model, self.task_data(data), device, self.finetune,
                                store, progress, dense=self.dense_start, soup_config=self.soup)

    @classmethod
    def from_dict(cls, params: dict) -> "StructuredRequest":
        structured = params["structured"]
        return cls(params["model"], DataRef.from_params(params), structured["method"],
                   KPruneConfig(**structured["config"]), **cls.start_fields(params))


__all__ = ["FromDenseStart", "PruneRequest", "StructuredRequest"]
