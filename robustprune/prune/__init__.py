"""Pruning methods. A new method is one module and one line in ``METHODS``."""

from robustprune.prune.base import LayerPruner, PruneConfig  # noqa: F401
from robustprune.prune.krp import KnowledgeRetentionPruner
from robustprune.prune.magnitude import MagnitudePruner
from robustprune.prune.sparsegpt import SparseGPTPruner
from robustprune.prune.wanda import WandaPruner

METHODS: dict[str, type[LayerPruner]] = {
    MagnitudePruner.name: MagnitudePruner,
    SparseGPTPruner.name: SparseGPTPruner,
    KnowledgeRetentionPruner.name: KnowledgeRetentionPruner,
    WandaPruner.name: WandaPruner,
}
