"""Requests for the dense runs a pruning run starts from: one fine-tune, the greedy soup, a soup's candidate."""

from __future__ import annotations

from dataclasses import dataclass, field

from robustprune.dense import dense_key, with_max_length
from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.progress import silent
from robustprune.requests.base import DataRef, RunRequest, changed_fields
from robustprune.soup import DENSE_STARTS, SoupConfig, soup_key
from robustprune.store import run_id_for


@dataclass(frozen=True)
class FinetuneRequest(RunRequest):
    """The fine-tuned dense model of (model, dataset) (``dense.ensure_dense``)."""

    model: str = "minilm"
    data: DataRef = field(default_factory=DataRef)
    finetune: FinetuneConfig = FinetuneConfig()
    kind = "finetune"

    def max_length(self, data) -> int:
        return self.finetune.max_length or data.max_length

    def run_id(self, data=None) -> str:
        data = data if data is not None else self.data.load()
        return run_id_for("finetune", dense_key(self.model, data, with_max_length(self.finetune, data)))

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        from robustprune.dense import ensure_dense

        return ensure_dense(self.model, self.task_data(data), self.finetune, device, store, progress)

    dense_run = run  # a fine-tune is a dense start as it is (``SoupRequest.dense_run``)

    def describe(self) -> str:
        return f"Fine-tuning {self.model} on {self.data.dataset}"

    def to_dict(self) -> dict:
        return {"model": self.model, **self.data.to_dict(), "finetune": changed_fields(self.finetune)}

    @classmethod
    def from_dict(cls, params: dict) -> "FinetuneRequest":
        return cls(params["model"], DataRef.from_params(params), FinetuneConfig(**params.get("finetune", {})))


def soup_fields(config: SoupConfig) -> dict:
    """What a job stores of a soup: its settings that differ from the defaults, its base apart (``"finetune"``)."""
    return {name: value for name, value in changed_fields(config).items() if name != "base"}


def read_soup(params: dict) -> SoupConfig:
    """The soup of a job's parameters: ``params["soup"]`` over ``params["finetune"]`` as its base."""
    return SoupConfig.from_dict({"base": params.get("finetune", {}), **params.get("soup", {})})


@dataclass(frozen=True)
class SoupRequest(RunRequest):
    """The greedy soup of (model, dataset) (``soup.ensure_soup``); its candidates are fine-tune runs."""

    model: str = "minilm"
    data: DataRef = field(default_factory=DataRef)
    soup: SoupConfig = SoupConfig()
    kind = "soup"

    def max_length(self, data) -> int:
        return self.soup.base.max_length or data.max_length

    def run_id(self, data=None) -> str:
        data = data if data is not None else self.data.load()
        return run_id_for("soup", soup_key(self.model, data, self.soup, self.max_length(data)))

    def requires(self, data=None) -> tuple["SoupCandidateRequest", ...]:
        return tuple(SoupCandidateRequest(self.model, self.data, self.soup, index)
                     for index in range(self.soup.candidates))

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        from robustprune.soup import ensure_soup

        return ensure_soup(self.model, self.task_data(data), self.soup, device, store, progress)

    def dense_run(self, store=None, data=None, device="auto", progress=silent):
        """The soup as a pruning run's dense start (a ``FinetuneResult``)."""
        return self.run(store, data, device, progress).as_dense()

    def describe(self) -> str:
        return f"Greedy soup of {self.model} on {self.data.dataset}"

    def to_dict(self) -> dict:
        return {"model": self.model, **self.data.to_dict(), "finetune": changed_fields(self.soup.base),
                "soup": soup_fields(self.soup)}

    @classmethod
    def from_dict(cls, params: dict) -> "SoupRequest":
        return cls(params["model"], DataRef.from_params(params), read_soup(params))


@dataclass(frozen=True)
class SoupCandidateRequest(RunRequest):
    """Candidate ``candidate`` of a soup: an ordinary fine-tune run on the soup's training texts
    (``soup.ensure_candidate``), made before the soup where they can be made side by side (a sweep)."""

    model: str
    data: DataRef
    soup: SoupConfig
    candidate: int
    kind = "soup-candidate"
    run_kind = "finetune"

    def _candidate(self, data):
        from robustprune.soup import candidate_runs

        train_data, candidates = candidate_runs(data, self.soup)
        return train_data, candidates[self.candidate]

    def run_id(self, data=None) -> str:
        train_data, candidate = self._candidate(self.task_data(data))
        return run_id_for("finetune", dense_key(self.model, train_data, candidate))

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        from robustprune.soup import ensure_candidate

        train_data, candidate = self._candidate(self.task_data(data))
        return ensure_candidate(self.model, train_data, candidate, device, store, progress)

    def to_dict(self) -> dict:
        return {**SoupRequest(self.model, self.data, self.soup).to_dict(), "candidate": self.candidate}

    @classmethod
    def from_dict(cls, params: dict) -> "SoupCandidateRequest":
        return cls(params["model"], DataRef.from_params(params), read_soup(params), int(params["candidate"]))


def check_dense_start(start: str) -> None:
    if start not in DENSE_STARTS:
        raise RobustPruneError(f"unknown dense start {start!r}; use one of {', '.join(DENSE_STARTS)}")


def dense_request(start: str, model: str, data: DataRef, finetune: FinetuneConfig,
                  soup: SoupConfig | None = None) -> FinetuneRequest | SoupRequest:
    """The request of a pruning run's dense start: the fine-tune, or the soup (by default of ``finetune``)."""
    check_dense_start(start)
    if start == "soup":
        return SoupRequest(model, data, soup or SoupConfig(base=finetune))
    return FinetuneRequest(model, data, finetune)


__all__ = ["FinetuneRequest", "SoupRequest", "SoupCandidateRequest", "dense_request", "check_dense_start",
           "soup_fields", "read_soup"]
