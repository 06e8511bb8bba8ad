"""Structured magnitude baseline: budget, no-op at c = 0, smallest-norm units go, reload."""

from __future__ import annotations

import pytest
import torch

from robustprune.evaluate import predict_logits
from robustprune.structured import load_structured, model_flops, structured_magnitude
from robustprune.structured.flops import flops_model

MAX_LENGTH = 32


@pytest.mark.parametrize("flops_reduction", [0.25, 0.5, 0.8])
def test_budget_is_met(make_bert, flops_reduction):
    model = make_bert(layers=3)
    flops = flops_model(model, MAX_LENGTH)
    result = structured_magnitude(model, flops_reduction, MAX_LENGTH)
    assert result.flops_after <= (1 - flops_reduction) * result.flops_before + max(flops.head, flops.neuron)
    # the budget is used, up to rounding down one head and one neuron count per layer
    assert result.flops_after >= (1 - flops_reduction) * result.flops_before - 3 * (flops.head + flops.neuron)
    assert result.flops_after == model_flops(model, MAX_LENGTH)
    assert result.params_after < result.params_before
    assert result.method == "structured-magnitude"


def test_zero_reduction_changes_nothing(make_bert, tokenizer, texts):
    model = make_bert(layers=2)
    before = predict_logits(model, tokenizer, texts, MAX_LENGTH)
    result = structured_magnitude(model, 0.0, MAX_LENGTH)
    assert result.heads_kept == [4, 4] and result.neurons_kept == [128, 128]
    assert torch.equal(predict_logits(model, tokenizer, texts, MAX_LENGTH), before)


def test_smallest_units_are_removed(make_bert):
    model = make_bert(layers=1)
    block = model.bert.encoder.layer[0]
    small_head = slice(16, 32)  # head 1
    small_neurons = torch.arange(0, 128, 4)  # 32 neurons
    with torch.no_grad():
        for linear in (block.attention.self.query, block.attention.self.key, block.attention.self.value):
            linear.weight[small_head] *= 1e-3
        block.attention.output.dense.weight[:, small_head] *= 1e-3
        block.intermediate.dense.weight[small_neurons] *= 1e-3
        block.output.dense.weight[:, small_neurons] *= 1e-3
    structured_magnitude(model, 0.5, MAX_LENGTH)
    assert 1 in model.config.pruned_heads[0]
    remaining_rows = model.bert.encoder.layer[0].intermediate.dense.weight.detach()
    assert remaining_rows.shape[0] < 128 - len(small_neurons)
    assert float(remaining_rows.norm(dim=1).min()) > 1e-2  # none of the shrunken neurons is left


def test_pruned_model_reloads_with_identical_logits(make_bert, tokenizer, texts, tmp_path):
    model = make_bert(layers=2)
    structured_magnitude(model, 0.6, MAX_LENGTH)
    model.save_pretrained(tmp_path)
    torch.testing.assert_close(predict_logits(load_structured(tmp_path), tokenizer, texts, MAX_LENGTH),
                               predict_logits(model, tokenizer, texts, MAX_LENGTH), atol=1e-6, rtol=1e-6)
