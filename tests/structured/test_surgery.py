"""Physical removal of heads and neurons equals masking them; saved models reload."""

from __future__ import annotations

import copy

import pytest
import torch
from transformers import AutoModelForSequenceClassification

from robustprune.evaluate import predict_logits
from robustprune.structured.surgery import INTERMEDIATE_SIZES, load_structured, remove_heads, remove_neurons

MAX_LENGTH = 32
HEAD_SIZE = 16


def masked_logits(model, tokenizer, texts, masks: dict) -> torch.Tensor:
    """Logits with the inputs of the given output projections multiplied by 0/1 masks."""
    handles = [module.register_forward_pre_hook(lambda _, args, mask=mask: (args[0] * mask,))
               for module, mask in masks.items()]
    try:
        return predict_logits(model, tokenizer, texts, MAX_LENGTH)
    finally:
        for handle in handles:
            handle.remove()


def test_removal_matches_masking_including_a_layer_without_heads(make_bert, tokenizer, texts):
    dense = make_bert(layers=2)
    pruned = copy.deepcopy(dense)
    heads_layer0 = torch.tensor([True, False, True, False])
    neurons_layer0 = torch.arange(128) % 3 != 0
    remove_heads(pruned, 0, heads_layer0)
    remove_heads(pruned, 1, torch.zeros(4, dtype=torch.bool))  # every head of layer 1
    remove_neurons(pruned, 0, neurons_layer0)
    layers = dense.bert.encoder.layer
    expected = masked_logits(dense, tokenizer, texts, {
        layers[0].attention.output.dense: heads_layer0.repeat_interleave(HEAD_SIZE).float(),
        layers[1].attention.output.dense: torch.zeros(64),
        layers[0].output.dense: neurons_layer0.float()})
    assert pruned.bert.encoder.layer[0].intermediate.dense.out_features == int(neurons_layer0.sum())
    assert pruned.bert.encoder.layer[1].attention.output.dense.in_features == 0
    assert not torch.allclose(expected, predict_logits(dense, tokenizer, texts, MAX_LENGTH), atol=1e-4)
    torch.testing.assert_close(predict_logits(pruned, tokenizer, texts, MAX_LENGTH), expected, atol=1e-5, rtol=1e-5)


def test_positions_refer_to_the_heads_left(make_bert, tokenizer, texts):
    dense = make_bert(layers=1)
    pruned = copy.deepcopy(dense)
    remove_heads(pruned, 0, torch.tensor([False, True, True, True]))  # original head 0
    remove_heads(pruned, 0, torch.tensor([True, True, False]))  # now at position 2: original head 3
    assert sorted(pruned.config.pruned_heads[0]) == [0, 3]
    mask = torch.tensor([0.0, 1.0, 1.0, 0.0]).repeat_interleave(HEAD_SIZE)
    expected = masked_logits(dense, tokenizer, texts, {dense.bert.encoder.layer[0].attention.output.dense: mask})
    torch.testing.assert_close(predict_logits(pruned, tokenizer, texts, MAX_LENGTH), expected, atol=1e-5, rtol=1e-5)


def test_saved_pruned_model_reloads_with_identical_logits(make_bert, tokenizer, texts, tmp_path):
    model = make_bert(layers=2)
    remove_heads(model, 0, torch.tensor([False, True, True, False]))
    remove_heads(model, 1, torch.zeros(4, dtype=torch.bool))
    remove_neurons(model, 1, torch.arange(128) < 37)
    model.save_pretrained(tmp_path)
    reloaded = load_structured(tmp_path)
    assert getattr(reloaded.config, INTERMEDIATE_SIZES) == [128, 37]
    assert sum(p.numel() for p in reloaded.parameters()) == sum(p.numel() for p in model.parameters())
    torch.testing.assert_close(predict_logits(reloaded, tokenizer, texts, MAX_LENGTH),
                               predict_logits(model, tokenizer, texts, MAX_LENGTH), atol=1e-6, rtol=1e-6)
    with pytest.raises(RuntimeError, match="size mismatch"):  # why load_structured exists: per-layer FFN widths
        AutoModelForSequenceClassification.from_pretrained(tmp_path)


def test_an_ordinary_checkpoint_loads_too(make_bert, tokenizer, texts, tmp_path):
    model = make_bert(layers=1)
    model.save_pretrained(tmp_path)
    torch.testing.assert_close(predict_logits(load_structured(tmp_path), tokenizer, texts, MAX_LENGTH),
                               predict_logits(model, tokenizer, texts, MAX_LENGTH))
