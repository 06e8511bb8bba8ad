"""Structured pruning: whole attention heads and FFN neurons, under a FLOPs budget.

Unlike ``robustprune.prune`` (weights zeroed, shapes kept), these methods remove units
physically, so the pruned model is smaller and faster. Save it with ``save_pretrained``
and reload it with ``load_structured`` (the FFN widths differ per layer).
"""

from robustprune.structured.flops import FlopsModel, ModelCost, flops_model, model_cost, model_flops  # noqa: F401
from robustprune.structured.kprune import KPruneConfig, kprune  # noqa: F401
from robustprune.structured.magnitude import structured_magnitude  # noqa: F401
from robustprune.structured.results import StructuredResult, SublayerRecord  # noqa: F401
from robustprune.structured.surgery import load_structured  # noqa: F401

# name -> one-line summary, for the CLI and the dashboard
METHODS = {
    "kprune": "K-prune: knowledge-scored heads and neurons, iterative mask search and least-squares tuning "
              "(Park et al., ICLR 2024)",
    "structured-magnitude": "heads and neurons with the smallest weight norms, same share per layer, no tuning",
}
