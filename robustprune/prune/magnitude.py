"""Magnitude pruning: zero the smallest |w| of each layer, no update of the rest.

The baseline of every pruning paper (Han et al., 2015, "Learning both Weights and
Connections for Efficient Neural Networks"). Needs no calibration data.
"""

from __future__ import annotations

import torch

from robustprune.prune.base import LayerPruner, pruned_count
from robustprune.prune.obs import smallest_mask


class MagnitudePruner(LayerPruner):
    name = "magnitude"
    summary = "zero the smallest |w| per layer; no calibration, no weight update"
    citation = "Han et al., NeurIPS 2015"
    uses_inputs = False

    def prune(self) -> torch.Tensor:
        magnitude = self.weight.abs()
        pattern = self.config.nm
        if pattern is None:
            mask = smallest_mask(magnitude, pruned_count(magnitude.numel(), self.config.sparsity))
        else:  # the N smallest of every M consecutive input weights, row by row
            groups = magnitude.reshape(magnitude.shape[0], -1, pattern.m)
            chosen = torch.topk(groups, pattern.n, dim=2, largest=False).indices
            mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(2, chosen, True).reshape(magnitude.shape)
        return self.weight.masked_fill(mask, 0.0)
