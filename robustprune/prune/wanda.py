"""Wanda: prune by |weight| × input norm, row by row, without any weight update.

Sun et al., "A Simple and Effective Pruning Approach for Large Language Models", ICLR
2024. The score of weight W_ij is |W_ij| · ‖X_j‖₂, with ‖X_j‖₂ the norm of input feature
j over the calibration tokens (of the sparse model, as the layers below are pruned
first); each output row loses its lowest-scoring weights. The paper prunes exactly
s · in per row; here row counts are shared by cumulative rounding so that the layer
total is exactly round(s · out · in), like every other method.
"""

from __future__ import annotations

import torch

from robustprune.prune.base import LayerPruner, PruneConfig, pruned_count


def row_prune_counts(rows: int, columns: int, sparsity: float) -> list[int]:
    cumulative = [pruned_count(row * columns, sparsity) for row in range(rows + 1)]
    return [after - before for before, after in zip(cumulative, cumulative[1:])]


class WandaPruner(LayerPruner):
    name = "wanda"
    summary = "score |w|·‖x‖₂ per input feature, prune the lowest per output row; no weight update"
    citation = "Sun et al., ICLR 2024"

    def __init__(self, weight: torch.Tensor, config: PruneConfig) -> None:
        super().__init__(weight, config)
        self.squared_input_norms = torch.zeros(weight.shape[1], dtype=torch.float64, device=weight.device)

    def add_batch(self, sparse_inputs: torch.Tensor, dense_inputs: torch.Tensor | None) -> None:
        self.squared_input_norms += (sparse_inputs.double() ** 2).sum(dim=0)

    def prune(self) -> torch.Tensor:
        scores = self.weight.abs() * self.squared_input_norms.sqrt().float().reshape(1, -1)
        pattern = self.config.nm
        if pattern is None:
            order = torch.argsort(scores, dim=1)
            ranks = torch.empty_like(order).scatter_(1, order, torch.arange(scores.shape[1]).expand_as(order))
            counts = torch.tensor(row_prune_counts(*scores.shape, self.config.sparsity)).reshape(-1, 1)
            mask = ranks < counts
        else:
            groups = scores.reshape(scores.shape[0], -1, pattern.m)
            chosen = torch.topk(groups, pattern.n, dim=2, largest=False).indices
            mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(2, chosen, True).reshape(scores.shape)
        return self.weight.masked_fill(mask, 0.0)
