"""Runs derived from a cached attack run — an example's explanation, the per-layer AUC, the 2-D projection:
the attack's record (checked to be one), the models it compared, and the derived run written as its child
(deleted with it)."""

from __future__ import annotations

from contextlib import contextmanager

from robustprune.errors import RobustPruneError
from robustprune.store import RunRecord, RunStore


def require_attack(store: RunStore, attack_run_id: str, purpose: str = "pass an attack run") -> RunRecord:
    """The cached attack run ``attack_run_id``; RobustPruneError naming ``purpose`` for a run of another kind."""
    attack = store.require(attack_run_id)
    if attack.kind != "attack":
        raise RobustPruneError(f"run {attack_run_id!r} is of kind '{attack.kind}'; {purpose}")
    return attack


def attack_models(store: RunStore, attack: RunRecord, device: str = "auto"):
    """({"dense": model[, "sparse": model]}, tokenizer) of the models an attack run compared."""
    from robustprune.loading import load_dense, load_pruned, load_structured_run

    summary = attack.summary
    dense_model, tokenizer = load_dense(summary["dense_run_id"], device, store)
    models = {"dense": dense_model}
    target = summary["target_run_id"]
    if target != summary["dense_run_id"]:
        kind = store.require(target).kind
        if kind == "structured":
            models["sparse"] = load_structured_run(target, device, store)[0]
        else:
            models["sparse"] = load_pruned(target, device, store)[0]
    return models, tokenizer


@contextmanager
def derived_run(store: RunStore, kind: str, key: dict, attack: RunRecord):
    """``store.write`` of a run of ``kind`` derived from ``attack``: its model, dataset and method, the attack as
    parent; atomic like every write."""
    with store.write(kind, key, model=attack.model, dataset=attack.dataset, method=attack.method,
                     parent=attack.run_id) as writer:
        yield writer


__all__ = ["require_attack", "attack_models", "derived_run"]
