"""The FLOPs model of K-prune (Park et al., ICLR 2024, Appendix), and the budgeted threshold.

For one sequence of n tokens, hidden size d and head size d_h, counting a multiply-add
as 2 FLOPs and ignoring activations, normalisation and bias additions:

    f_neuron = 2·2·n·d                                   its row of the first dense layer
                                                         and its column of the second
    f_head   = 3·2·d·d_h·n  +  2·2·n²·d_h  +  2·d_h·n·d  its Q, K, V slices; the scores
                                                         QKᵀ and the weighted sum of V;
                                                         its slice of the output projection

The model's FLOPs are Σ_layers (heads·f_head + neurons·f_neuron); embeddings, pooler and
classifier are not counted. A FLOPs reduction c leaves the budget (1 − c) × that total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from robustprune.models import adapter


@dataclass(frozen=True)
class FlopsModel:
    seq_len: int  # n: the sequence length the FLOPs are counted for
    hidden_size: int  # d
    head_size: int  # d_h

    @property
    def neuron(self) -> int:
        return 2 * 2 * self.seq_len * self.hidden_size

    @property
    def head(self) -> int:
        n, d, d_h = self.seq_len, self.hidden_size, self.head_size
        return 3 * 2 * d * d_h * n + 2 * 2 * n * n * d_h + 2 * d_h * n * d

    def unit(self, kind: str) -> int:
        """FLOPs of one unit of a sub-layer of ``kind`` ("mha": a head, "ffn": a neuron)."""
        return self.head if kind == "mha" else self.neuron

    def total(self, heads: Sequence[int], neurons: Sequence[int]) -> int:
        """FLOPs of a model with ``heads[i]`` heads and ``neurons[i]`` neurons in layer i."""
        return sum(heads) * self.head + sum(neurons) * self.neuron


def flops_model(model: nn.Module, seq_len: int) -> FlopsModel:
    return FlopsModel(seq_len, model.config.hidden_size, adapter.head_size(model))


def model_flops(model: nn.Module, seq_len: int) -> int:
    """FLOPs of ``model`` as it is now (pruned heads and neurons are gone from its shapes)."""
    return flops_model(model, seq_len).total(adapter.head_counts(model), adapter.neuron_counts(model))


@dataclass(frozen=True)
class ModelCost:
    """What structured pruning changes, measured on a model as it is."""

    seq_len: int
    heads: tuple[int, ...]  # per layer
    neurons: tuple[int, ...]  # per layer
    flops: int
    params: int


def model_cost(model: nn.Module, seq_len: int) -> ModelCost:
    heads, neurons = adapter.head_counts(model), adapter.neuron_counts(model)
    return ModelCost(seq_len, tuple(heads), tuple(neurons), flops_model(model, seq_len).total(heads, neurons),
                     sum(parameter.numel() for parameter in model.parameters()))


def budget_threshold(scores: torch.Tensor, unit_flops: torch.Tensor, budget: float) -> float:
    """The smallest τ such that the units with score > τ fit in ``budget`` FLOPs.

    τ = −∞ (keep everything) when all units fit. Otherwise τ is one of the scores; the
    units scoring ≤ τ are the ones to prune. Ties at τ go together.
    """
    if float(unit_flops.sum()) <= budget:
        return float("-inf")
    sorted_scores, order = torch.sort(scores.double())
    flops_from = torch.cat([unit_flops.double()[order].flip(0).cumsum(0).flip(0), unit_flops.new_zeros(1).double()])
    # units kept with τ = sorted_scores[k]: those after the last tie of sorted_scores[k]
    kept_flops = flops_from[torch.searchsorted(sorted_scores, sorted_scores, right=True)]
    first_fitting = int(torch.nonzero(kept_flops <= max(budget, 0.0))[0])
    return float(sorted_scores[first_fitting])
