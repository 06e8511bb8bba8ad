"""Structured magnitude pruning: drop the heads and neurons with the smallest weights.

The data-free baseline of structured pruning (as in Li et al., "Pruning Filters for
Efficient ConvNets", ICLR 2017, for filters; for heads and neurons e.g. the magnitude
baselines of Kwon et al., NeurIPS 2022). A unit's magnitude is the L2 norm of all the
weights that exist only for it:

    ‖head h‖²   = ‖W_Q[h]‖² + ‖W_K[h]‖² + ‖W_V[h]‖² + ‖W_O[:, h]‖²   (its d_h rows / columns)
    ‖neuron j‖² = ‖W_in[j, :]‖² + ‖W_out[:, j]‖²

Budget, under the same FLOPs model as K-prune (``flops.py``): every layer keeps
⌊(1 − c)·heads⌋ of its heads, and the FLOPs left of the budget go to neurons, the same
fraction in every layer (rounded down). Magnitudes of heads and neurons are not
comparable (different numbers and kinds of weights), so units are ranked within their
own layer, not across the model; no weights are re-fitted.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from robustprune.errors import RobustPruneError
from robustprune.models import adapter
from robustprune.progress import Progress, silent
from robustprune.structured.flops import flops_model, model_cost
from robustprune.structured.results import StructuredResult, structured_result
from robustprune.structured.surgery import record_shapes, remove_heads, remove_neurons, require_structured_support

_ROUNDING = 1e-9  # (1 − 0.3) × 10 is 6.999…; count it as 7 units


def head_magnitudes(model: nn.Module, layer: int) -> torch.Tensor:
    """‖head h‖ for every head the layer has now."""
    linears = adapter.block_linears(model, layer)
    heads = adapter.head_counts(model)[layer]
    squared = sum(linears[name].module.weight.detach().double().pow(2).reshape(heads, -1).sum(1)
                  for name in ("query", "key", "value"))
    output = linears["attention_output"].module.weight.detach().double().pow(2)
    return (squared + output.reshape(output.shape[0], heads, -1).sum((0, 2))).sqrt()


def neuron_magnitudes(model: nn.Module, layer: int) -> torch.Tensor:
    linears = adapter.block_linears(model, layer)
    return (linears["ffn_in"].module.weight.detach().double().pow(2).sum(1)
            + linears["ffn_out"].module.weight.detach().double().pow(2).sum(0)).sqrt()


def largest(magnitudes: torch.Tensor, count: int) -> torch.Tensor:
    """A keep-mask of the ``count`` largest entries."""
    keep = torch.zeros_like(magnitudes, dtype=torch.bool)
    keep[torch.topk(magnitudes, count).indices] = True
    return keep


def units_to_keep(model: nn.Module, flops_reduction: float, seq_len: int) -> tuple[list[int], list[int]]:
    """(heads, neurons) to keep per layer so that the model's FLOPs are ≤ (1 − c) × now."""
    flops = flops_model(model, seq_len)
    heads, neurons = adapter.head_counts(model), adapter.neuron_counts(model)
    budget = (1.0 - flops_reduction) * flops.total(heads, neurons)
    heads_kept = [int((1.0 - flops_reduction) * count + _ROUNDING) for count in heads]
    neuron_flops = flops.total([0] * len(neurons), neurons)
    neuron_fraction = min(1.0, (budget - flops.total(heads_kept, [0])) / neuron_flops) if neuron_flops else 0.0
    return heads_kept, [int(neuron_fraction * count + _ROUNDING) for count in neurons]


@torch.no_grad()
def structured_magnitude(model: nn.Module, flops_reduction: float, max_length: int,
                         progress: Progress = silent) -> StructuredResult:
    """Prune ``model`` in place, removing ``flops_reduction`` of its FLOPs (counted at ``max_length`` tokens)."""
    require_structured_support(model)
    if not 0.0 <= flops_reduction < 1.0:
        raise RobustPruneError(f"FLOPs reduction {flops_reduction!r} is out of range; use a fraction in [0, 1)")
    started = time.perf_counter()
    before = model_cost(model, max_length)
    heads_kept, neurons_kept = units_to_keep(model, flops_reduction, max_length)
    for layer in range(len(heads_kept)):
        remove_heads(model, layer, largest(head_magnitudes(model, layer), heads_kept[layer]))
        remove_neurons(model, layer, largest(neuron_magnitudes(model, layer), neurons_kept[layer]))
        progress("structured-magnitude", layer + 1, len(heads_kept))
    record_shapes(model)
    return structured_result("structured-magnitude", flops_reduction, before, model_cost(model, max_length),
                             time.perf_counter() - started, config={"flops_reduction": flops_reduction})
