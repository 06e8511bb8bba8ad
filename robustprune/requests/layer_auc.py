"""The request for the per-layer AUC of an attack run (``attack.layer_auc``)."""

from __future__ import annotations

from dataclasses import dataclass

from robustprune.attack.layer_auc import layer_auc_run_id
from robustprune.progress import silent
from robustprune.requests.base import OfAttackRun


@dataclass(frozen=True)
class LayerAUCRequest(OfAttackRun):
    """How well each layer's dense-sparse divergence tells the sparse-only flips of a cached attack run."""

    kind = "layer-auc"

    def run_id(self, data=None) -> str:
        return layer_auc_run_id(self.attack_run_id)

    def describe(self) -> str:
        return f"Per-layer divergence of {self.attack_run_id}"

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        from robustprune.attack.layer_auc import ensure_layer_auc

        return ensure_layer_auc(self.attack_run_id, store, device, progress)


__all__ = ["LayerAUCRequest"]
