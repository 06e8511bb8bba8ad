"""K-prune on tiny random BERTs: budget, no-op at c = 0, weight tuning, scores, reload."""

from __future__ import annotations

import copy

import pytest
import torch

from robustprune.errors import RobustPruneError
from robustprune.evaluate import predict_logits
from robustprune.structured import KPruneConfig, StructuredResult, kprune, load_structured, model_flops
from robustprune.structured.flops import flops_model
from robustprune.structured.kprune import KnowledgeMeter, Sublayer, prepare_sample

MAX_LENGTH = 32
ALL_TOKENS = 100_000  # more than the synthetic texts have: every text is in the sample


def config(flops_reduction: float, **overrides) -> KPruneConfig:
    return KPruneConfig(flops_reduction, sample_tokens=overrides.pop("sample_tokens", ALL_TOKENS), batch_size=16,
                        **overrides)


def largest_unit_flops(model) -> int:
    flops = flops_model(model, MAX_LENGTH)
    return max(flops.head, flops.neuron)


@pytest.mark.parametrize("flops_reduction", [0.3, 0.6])
def test_budget_is_met_and_units_are_removed(make_bert, tokenizer, texts, flops_reduction):
    model = make_bert(layers=3)
    result = kprune(model, tokenizer, texts, config(flops_reduction), MAX_LENGTH)
    assert result.flops_after <= (1 - flops_reduction) * result.flops_before + largest_unit_flops(model)
    assert result.flops_after < result.flops_before
    assert result.flops_after == model_flops(model, MAX_LENGTH)  # counted on the shapes, not on the masks
    assert result.params_after < result.params_before
    for layer, block in enumerate(model.bert.encoder.layer):
        assert block.attention.output.dense.in_features == 16 * result.heads_kept[layer]
        assert block.intermediate.dense.out_features == result.neurons_kept[layer]
        assert block.output.dense.in_features == result.neurons_kept[layer]
    assert [record.units_kept for record in result.sublayers] == [
        kept for layer in range(3) for kept in (result.heads_kept[layer], result.neurons_kept[layer])]
    assert torch.isfinite(predict_logits(model, tokenizer, texts, MAX_LENGTH)).all()
    assert result.sample_texts == len(texts)


def test_zero_reduction_changes_nothing(make_bert, tokenizer, texts):
    model = make_bert(layers=2)
    before = predict_logits(model, tokenizer, texts, MAX_LENGTH)
    result = kprune(model, tokenizer, texts, config(0.0), MAX_LENGTH)
    assert result.flops_after == result.flops_before
    assert result.heads_kept == [4, 4] and result.neurons_kept == [128, 128]
    assert torch.equal(predict_logits(model, tokenizer, texts, MAX_LENGTH), before)


def sublayer_output_error(model, dense, sublayer: Sublayer, tokenizer, texts) -> float:
    """‖Ŷ − Y‖² / ‖Y‖² of the sub-layer's LayerNorm input (output projection + residual), real tokens only."""
    def norm_input(network):
        block = network.bert.encoder.layer[sublayer.layer]
        norm = block.attention.output.LayerNorm if sublayer.kind == "mha" else block.output.LayerNorm
        captured = []
        handle = norm.register_forward_pre_hook(lambda _, args: captured.append(args[0]))
        try:
            encoded = tokenizer(texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
            with torch.no_grad():
                network(**encoded)
        finally:
            handle.remove()
        return captured[0][encoded["attention_mask"].bool()].double()

    pruned_output, dense_output = norm_input(model), norm_input(dense)
    return float((pruned_output - dense_output).pow(2).sum() / dense_output.pow(2).sum())


def test_weight_tuning_lowers_the_reconstruction_error(make_bert, tokenizer, texts):
    dense = make_bert(layers=2)
    tuned, untuned = copy.deepcopy(dense), copy.deepcopy(dense)
    tuned_result = kprune(tuned, tokenizer, texts, config(0.5), MAX_LENGTH)
    untuned_result = kprune(untuned, tokenizer, texts, config(0.5, tune_weights=False), MAX_LENGTH)
    # the first sub-layer that loses units is decided on the same model in both runs
    first = next(index for index, record in enumerate(tuned_result.sublayers)
                 if record.units_kept < record.units_before)
    assert [r.units_kept for r in tuned_result.sublayers[:first + 1]] == \
        [r.units_kept for r in untuned_result.sublayers[:first + 1]]
    record = tuned_result.sublayers[first]
    target = Sublayer(record.layer, record.kind)
    error_tuned = sublayer_output_error(tuned, dense, target, tokenizer, texts)
    error_untuned = sublayer_output_error(untuned, dense, target, tokenizer, texts)
    assert error_tuned < 0.9 * error_untuned
    # the run's own bookkeeping agrees with the direct measurement
    assert record.reconstruction_error_tuned == pytest.approx(error_tuned, rel=1e-3)
    assert record.reconstruction_error_untuned == pytest.approx(error_untuned, rel=1e-3)
    assert all(r.reconstruction_error_tuned <= r.reconstruction_error_untuned + 1e-12
               for r in tuned_result.sublayers)


def test_units_without_output_weights_are_pruned_first(make_bert, tokenizer, texts):
    model = make_bert(layers=2)
    dead = torch.arange(40)  # neurons of layer 0 whose output column is zero: no knowledge at all
    ffn = model.bert.encoder.layer[0]
    with torch.no_grad():
        ffn.output.dense.weight[:, dead] = 0.0
        marker = ffn.intermediate.dense.weight[dead].clone()
    kprune(model, tokenizer, texts, config(0.5), MAX_LENGTH)
    kept_rows = model.bert.encoder.layer[0].intermediate.dense.weight.detach()
    assert kept_rows.shape[0] < 128
    assert not any(torch.equal(row, dead_row) for row in kept_rows for dead_row in marker)


def test_a_layer_can_lose_every_head(make_bert, tokenizer, texts, tmp_path):
    model = make_bert(layers=2)
    with torch.no_grad():  # heads of layer 1 that add nothing: all score 0, below every neuron
        model.bert.encoder.layer[1].attention.output.dense.weight.zero_()
    result = kprune(model, tokenizer, texts, config(0.5), MAX_LENGTH)
    assert result.heads_kept[1] == 0
    assert result.flops_after <= 0.5 * result.flops_before
    model.save_pretrained(tmp_path)
    torch.testing.assert_close(predict_logits(load_structured(tmp_path), tokenizer, texts, MAX_LENGTH),
                               predict_logits(model, tokenizer, texts, MAX_LENGTH), atol=1e-6, rtol=1e-6)


def test_predictive_knowledge_is_zero_at_the_dense_model_and_not_after_a_change(make_bert, tokenizer, texts):
    model = make_bert(layers=2)
    sample = prepare_sample(model, tokenizer, texts, config(0.5), MAX_LENGTH)
    target = Sublayer(1, "ffn")

    def predictive_knowledge():
        meter = KnowledgeMeter(model, [target], temperature=2.0)
        with meter.attached():
            for batch, probabilities in zip(sample.batches, sample.soft_labels):
                meter.add_batch(batch, probabilities)
        return meter.knowledge(target, head_size=16)[0]

    assert float(predictive_knowledge().max()) < 1e-12  # ∂KL(p‖q)/∂q vanishes at q = p
    with torch.no_grad():
        model.bert.encoder.layer[0].output.dense.weight[:, :64] = 0.0
    assert float(predictive_knowledge().max()) > 1e-8


def test_pruned_model_reloads_with_identical_logits(make_bert, tokenizer, texts, tmp_path):
    model = make_bert(layers=2)
    result = kprune(model, tokenizer, texts, config(0.6), MAX_LENGTH)
    model.save_pretrained(tmp_path)
    reloaded = load_structured(tmp_path)
    torch.testing.assert_close(predict_logits(reloaded, tokenizer, texts, MAX_LENGTH),
                               predict_logits(model, tokenizer, texts, MAX_LENGTH), atol=1e-6, rtol=1e-6)
    assert model_flops(reloaded, MAX_LENGTH) == result.flops_after
    assert StructuredResult.from_dict(result.to_dict()) == result


def test_sample_is_limited_by_tokens(make_bert, tokenizer, texts):
    model = make_bert(layers=1)
    sample = prepare_sample(model, tokenizer, texts, config(0.5, sample_tokens=100), MAX_LENGTH)
    last_text_tokens = max(len(tokenizer(text)["input_ids"]) for text in sample.texts)
    assert 100 <= sample.tokens < 100 + last_text_tokens
    assert len(sample.texts) < len(texts)


@pytest.mark.parametrize("bad", [{"flops_reduction": 1.0}, {"flops_reduction": -0.1},
                                 {"flops_reduction": 0.5, "temperature": 0.0},
                                 {"flops_reduction": 0.5, "sample_tokens": 0}])
def test_bad_settings_are_refused(bad):
    with pytest.raises(RobustPruneError):
        KPruneConfig(**bad)


def test_no_texts_is_refused(make_bert, tokenizer):
    with pytest.raises(RobustPruneError, match="sample texts"):
        kprune(make_bert(layers=1), tokenizer, [], config(0.5), MAX_LENGTH)


def test_unsupported_model_type_is_refused(tokenizer, texts):
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    model = DistilBertForSequenceClassification(DistilBertConfig(
        vocab_size=tokenizer.vocab_size, dim=64, n_layers=1, n_heads=4, hidden_dim=128))
    with pytest.raises(RobustPruneError, match="structured pruning supports"):
        kprune(model, tokenizer, texts, config(0.5), MAX_LENGTH)


@pytest.mark.slow
def test_embedded_minilm_is_pruned_to_budget_and_reloads(tokenizer, texts, tmp_path):
    from robustprune.models.registry import load_classifier

    model, minilm_tokenizer = load_classifier("minilm", 2)
    result = kprune(model, minilm_tokenizer, texts, config(0.5, sample_tokens=200), MAX_LENGTH)
    assert result.flops_after <= 0.5 * result.flops_before + largest_unit_flops(model)
    assert result.params_after < result.params_before
    model.save_pretrained(tmp_path)
    torch.testing.assert_close(predict_logits(load_structured(tmp_path), minilm_tokenizer, texts, MAX_LENGTH),
                               predict_logits(model, minilm_tokenizer, texts, MAX_LENGTH), atol=1e-5, rtol=1e-5)
