"""Pruning methods. A new method is one module and one line in ``METHODS``."""

from robustprune.prune.base import LayerPruner, PruneConfig  # noqa: F401
from robustprune.prune.krp import KnowledgeRetentionPruner
from robustprune.prune.magnitude import MagnitudePruner
from robustprune.prune.obs import OBS_SOLVER_VERSION
from robustprune.prune.sparsegpt import SparseGPTPruner
from robustprune.prune.wanda import WandaPruner

METHODS: dict[str, type[LayerPruner]] = {
    MagnitudePruner.name: MagnitudePruner,
    SparseGPTPruner.name: SparseGPTPruner,
    KnowledgeRetentionPruner.name: KnowledgeRetentionPruner,
    WandaPruner.name: WandaPruner,
}


def solver_key(config: PruneConfig) -> dict:
    """The OBS solve's version, for the runs that use it (SparseGPT, krp, a re-fitted head): recorded in their
    summary (``pipeline.prune``), not in their cache key, so that runs cached before a change of the solve stay
    valid."""
    method = METHODS.get(config.method)
    if (method is not None and issubclass(method, SparseGPTPruner)) or config.refit_head:
        return {"obs_solver": OBS_SOLVER_VERSION}
    return {}
