"""Requests for attack runs (``attack.runs.attack``) and for the shards of examples a long one is searched in."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from robustprune.attack.run import AttackConfig
from robustprune.attack.runs import (DENSE_TARGET, SHARD_KIND, attack_key, shard_key, texts_attack_key,
                                     texts_reading)
from robustprune.attack.texts import AttackTexts
from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.progress import silent
from robustprune.requests.base import DataRef, RunRequest, changed_fields
from robustprune.requests.dense import FinetuneRequest
from robustprune.store import RunStore, run_id_for


@dataclass(frozen=True)
class AttackRequest(RunRequest):
    """An attack on a cached run (``target``: its id) or on the fine-tuned dense model of ``model``
    (``target="dense"``), on the test texts of ``data`` or on given ``texts``.

    ``shard_size`` only says how the search is split (each shard cached as it finishes): the run is the same.
    """

    target: str
    config: AttackConfig
    model: str | None = None
    data: DataRef | None = None
    texts: AttackTexts | None = None
    finetune: FinetuneConfig | None = None  # the dense model's, for target "dense"
    shard_size: int | None = None
    kind = "attack"

    def dense(self) -> FinetuneRequest:
        return FinetuneRequest(self.model or "minilm", self.data or DataRef(), self.finetune or FinetuneConfig())

    def requires(self, data=None) -> tuple[RunRequest, ...]:
        return (self.dense(),) if self.target == DENSE_TARGET else ()

    def key(self, data=None, store=None) -> dict:
        """The cache key (``attack.runs``): the attacked run, the settings, and the dataset's fingerprint or the
        given texts' hash. An attack on given texts reads as many tokens as the attacked model was fine-tuned on,
        which for a cached run the store says (``store``; None: the default store)."""
        needs_data = self.texts is None or self.target == DENSE_TARGET
        if needs_data and data is None:
            if self.data is None:
                raise RobustPruneError("the run id of an attack on a dataset's test texts needs that dataset")
            data = self.data.load()
        target = self.dense().run_id(data) if self.target == DENSE_TARGET else self.target
        if self.texts is not None:
            if self.target == DENSE_TARGET:
                reads = self.dense().max_length(data)
            else:
                reads = texts_reading(target, store or RunStore())
            return texts_attack_key(target, self.config, self.texts, reads)
        return attack_key(target, self.config, data)

    def run_id(self, data=None, store=None) -> str:
        return run_id_for("attack", self.key(data, store))

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None, shards=None):
        from robustprune.attack.runs import attack

        if data is None and self.data is not None:
            data = self.data.load()
        return attack(self.target, self.config, self.model or "minilm", data, device, store, progress,
                      finetune_config=self.finetune, texts=self.texts, shard_size=self.shard_size, shards=shards,
                      concurrency=concurrency)

    def describe(self) -> str:
        return f"Attack: {self.config.recipe} on {self.target}"

    def to_dict(self) -> dict:
        params = {"target": self.target, "attack": asdict(self.config)}
        if self.model is not None:
            params["model"] = self.model
        if self.data is not None:
            params.update(self.data.to_dict())
        if self.texts is not None:
            params["texts"] = self.texts.to_dict()
        if self.finetune is not None:
            params["finetune"] = changed_fields(self.finetune)
        if self.shard_size is not None:
            params["shard_size"] = self.shard_size
        return params

    @classmethod
    def from_dict(cls, params: dict) -> "AttackRequest":
        given = params.get("texts")  # the user's own texts (AttackTexts.to_dict()), or none: the test split
        return cls(params["target"], AttackConfig(**params["attack"]), params.get("model"),
                   DataRef.from_params(params) if params.get("dataset") else None,
                   AttackTexts.from_dict(given) if given else None,
                   FinetuneConfig(**params["finetune"]) if "finetune" in params else None, params.get("shard_size"))


@dataclass(frozen=True)
class AttackShardRequest(RunRequest):
    """Examples [start, stop) of an attack run's search, cached as a shard that the run then merges (a sweep's
    Ray tasks compute them side by side)."""

    attack: AttackRequest
    start: int
    stop: int
    kind = SHARD_KIND

    def run_id(self, data=None) -> str:
        return run_id_for(SHARD_KIND, shard_key(self.attack.key(data), self.start, self.stop))

    def requires(self, data=None) -> tuple[RunRequest, ...]:
        return self.attack.requires(data)

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None) -> None:
        self.attack.run(store, data, device, progress, concurrency, shards=[(self.start, self.stop)])

    def to_dict(self) -> dict:
        return {**self.attack.to_dict(), "start": self.start, "stop": self.stop}

    @classmethod
    def from_dict(cls, params: dict) -> "AttackShardRequest":
        return cls(AttackRequest.from_dict(params), int(params["start"]), int(params["stop"]))


__all__ = ["AttackRequest", "AttackShardRequest"]
