"""Integrated Gradients on a tiny model: completeness, the baseline, tokens to words; two models layer by layer.

The model is the planted bag of words of ``planted.py``: every text is positive unless it holds
"awful" (its embedding is −4u against the head's direction u), so an attribution has a known answer.
"""

import copy

import pytest
import torch
from planted import TRIGGER

from robustprune.attack.attribution import IGSettings, baseline_ids, integrated_gradients, layer_cosines
from robustprune.errors import RobustPruneError

TEXT = f"what an {TRIGGER}, unbelievably long film"


@pytest.fixture
def model(dense_model):
    return dense_model


def probability(model, tokenizer, input_ids, target):
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids)).logits
    return float(torch.softmax(logits, -1)[0, target])


@pytest.mark.parametrize("target", [0, 1])
def test_attributions_sum_to_the_prediction_difference_from_the_baseline(model, tokenizer, target):
    """Completeness: Σ IG_i = F(x) − F(x'), F the target's probability, x' the [PAD] baseline."""
    row = integrated_gradients(model, tokenizer, TEXT, target, 64, IGSettings(steps=64))
    ids = tokenizer(TEXT, return_tensors="pt")["input_ids"]
    on_text = probability(model, tokenizer, ids, target)
    on_baseline = probability(model, tokenizer, baseline_ids(ids, tokenizer), target)
    assert row.probability == pytest.approx(on_text, abs=1e-6)
    assert row.baseline_probability == pytest.approx(on_baseline, abs=1e-6)
    assert sum(row.attributions) == pytest.approx(on_text - on_baseline, abs=2e-3)
    assert abs(row.delta) < 2e-3
    assert abs(on_text - on_baseline) > 0.5  # the identity is not met by zeros on both sides


def test_the_planted_word_carries_the_prediction(model, tokenizer):
    row = integrated_gradients(model, tokenizer, TEXT, 1, 64, IGSettings(steps=32))
    per_word = row.word_attributions()
    trigger = 2  # what an awful unbelievably long film
    assert row.tokens[row.words.index(trigger)] == TRIGGER
    assert per_word[trigger] < -0.5  # it takes the positive class away
    assert all(abs(value) < 0.05 for word, value in per_word.items() if word != trigger)


def test_the_baseline_keeps_cls_and_sep_and_pads_the_words(tokenizer):
    ids = tokenizer(TEXT, return_tensors="pt")["input_ids"]
    baseline = baseline_ids(ids, tokenizer)[0].tolist()
    assert baseline[0] == tokenizer.cls_token_id and baseline[-1] == tokenizer.sep_token_id
    assert set(baseline[1:-1]) == {tokenizer.pad_token_id}


def test_tokens_are_summed_into_the_words_of_the_text(model, tokenizer):
    row = integrated_gradients(model, tokenizer, TEXT, 1, 64, IGSettings(steps=8))
    assert row.tokens[0] == "[CLS]" and row.words[0] == -1 and row.words[-1] == -1
    pieces = row.word_tokens()
    assert len(pieces[3]) > 1  # "unbelievably" is several word pieces, all in word 3
    assert "".join(piece.removeprefix("##") for piece in pieces[3]) == "unbelievably"
    per_word = row.word_attributions()
    assert sorted(per_word) == list(range(6))  # what an awful unbelievably long film: "," is no word
    assert sum(per_word.values()) == pytest.approx(sum(value for value, word in zip(row.attributions, row.words)
                                                       if word >= 0))


def test_bad_settings_are_named():
    with pytest.raises(RobustPruneError, match="steps"):
        IGSettings(steps=1).validate()
    with pytest.raises(RobustPruneError, match="baseline"):
        IGSettings(baseline="zeros").validate()


def test_layer_cosines_of_a_model_and_a_twin_changed_in_its_last_block(model, tokenizer):
    twin = copy.deepcopy(model)
    with torch.no_grad():  # the planted FFN is zero: give the twin's last block one
        torch.manual_seed(0)
        twin.bert.encoder.layer[1].output.dense.weight.normal_(0.0, 1.0)
    same = layer_cosines(model, copy.deepcopy(model), tokenizer, TEXT, 64)
    assert [layer for layer, _, _ in same] == [0, 1, 2]
    assert all(tokens == pytest.approx(1.0, abs=1e-5) and cls == pytest.approx(1.0, abs=1e-5)
               for _, tokens, cls in same)
    changed = layer_cosines(model, twin, tokenizer, TEXT, 64)
    assert changed[0][1] == pytest.approx(1.0, abs=1e-5) and changed[1][1] == pytest.approx(1.0, abs=1e-5)
    assert changed[2][1] < 0.99  # only block 2's output differs
