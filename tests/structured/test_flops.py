"""The FLOPs model and the budgeted threshold of the mask search."""

from __future__ import annotations

import math

import torch

from robustprune.structured.flops import FlopsModel, budget_threshold, model_flops
from robustprune.structured.surgery import remove_heads, remove_neurons


def test_unit_flops_follow_the_design_note():
    flops = FlopsModel(seq_len=4, hidden_size=8, head_size=2)
    assert flops.neuron == 2 * 2 * 4 * 8  # 128
    # Q, K, V slices 3·2·8·2·4 = 384; scores and weighted sum 2·2·16·2 = 128; output slice 2·2·4·8 = 128
    assert flops.head == 384 + 128 + 128
    assert flops.total([2, 1], [3, 0]) == 3 * 640 + 3 * 128


def test_model_flops_count_the_current_shapes(make_bert):
    model = make_bert(layers=2)
    flops = FlopsModel(seq_len=32, hidden_size=64, head_size=16)
    assert model_flops(model, 32) == 2 * (4 * flops.head + 128 * flops.neuron)
    remove_heads(model, 0, torch.tensor([True, False, True, False]))
    remove_neurons(model, 1, torch.arange(128) < 100)
    assert model_flops(model, 32) == 6 * flops.head + 228 * flops.neuron


def test_threshold_keeps_everything_when_all_fits():
    scores, unit_flops = torch.tensor([3.0, 1.0, 2.0]), torch.tensor([10.0, 10.0, 10.0])
    assert budget_threshold(scores, unit_flops, 30.0) == -math.inf


def test_threshold_is_the_smallest_that_fits():
    scores = torch.tensor([5.0, 1.0, 4.0, 2.0, 3.0])
    unit_flops = torch.tensor([10.0, 10.0, 30.0, 10.0, 10.0])
    # keeping > 1 costs 60, > 2 costs 50, > 3 costs 40: the budget 45 needs τ = 3
    assert budget_threshold(scores, unit_flops, 45.0) == 3.0
    assert budget_threshold(scores, unit_flops, 50.0) == 2.0
    assert budget_threshold(scores, unit_flops, 0.0) == 5.0


def test_tied_scores_are_pruned_together():
    scores, unit_flops = torch.tensor([1.0, 2.0, 2.0, 3.0]), torch.ones(4)
    # keeping two units would split the tie at 2.0: both go, only the 3.0 stays
    assert budget_threshold(scores, unit_flops, 2.0) == 2.0
