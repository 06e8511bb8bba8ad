"""Wanda: the score is |w|·‖x‖₂, rows lose equal shares, and input scale changes the choice."""

import torch

from robustprune.prune.base import PruneConfig
from robustprune.prune.wanda import WandaPruner, row_prune_counts


def test_row_counts_are_equal_shares_summing_to_the_layer_total():
    counts = row_prune_counts(rows=7, columns=10, sparsity=0.35)
    assert sum(counts) == round(0.35 * 70) and max(counts) - min(counts) <= 1


def test_large_inputs_protect_small_weights():
    weight = torch.tensor([[0.1, 1.0, 0.5, 0.2]])
    inputs = torch.tensor([[100.0, 0.01, 1.0, 1.0]])  # feature 0 is loud, feature 1 nearly silent
    pruner = WandaPruner(weight, PruneConfig("wanda", 0.5))
    pruner.add_batch(inputs, None)
    pruned = pruner.prune()
    # scores: 10, 0.01, 0.5, 0.2 -> features 1 and 3 go, although |w_1| is the largest
    assert torch.equal(pruned, torch.tensor([[0.1, 0.0, 0.5, 0.0]]))


def test_exact_sparsity_and_untouched_survivors():
    weight = torch.randn(12, 40)
    pruner = WandaPruner(weight, PruneConfig("wanda", 0.6))
    pruner.add_batch(torch.randn(64, 40) * torch.rand(40), None)
    pruned = pruner.prune()
    assert int((pruned == 0).sum()) == round(0.6 * weight.numel())
    kept = pruned != 0
    assert torch.equal(pruned[kept], weight[kept])
