"""The offline masked-LM head: masking, the measurement, and when it may stand in for BERT."""

from __future__ import annotations

import json
import random
import shutil

import pytest
import torch

from robustprune import hub
from robustprune.attack import masked_lm
from robustprune.errors import RobustPruneError


def test_whole_word_masking_masks_every_piece_of_a_chosen_word(tokenizer):
    fit = masked_lm.HeadFit(mask_fraction=0.5, max_length=32)
    words = [["an", "unwatchable", "film", "with", "ludicrously", "bad", "dialogue"]] * 8
    input_ids, attention_mask, labels = masked_lm.whole_word_mask(tokenizer, words, fit, random.Random(0))
    encoded = tokenizer(words, is_split_into_words=True, truncation=True, max_length=32, padding=True)
    for row in range(len(words)):
        word_ids = encoded.word_ids(row)
        chosen = {word_ids[i] for i in range(len(word_ids)) if labels[row, i] != -100}
        assert len(chosen) == round(0.5 * 7) and None not in chosen
        for i, word in enumerate(word_ids):  # a word is predicted whole or not at all
            assert (labels[row, i] != -100) == (word in chosen)
            if labels[row, i] != -100:
                assert labels[row, i] == encoded["input_ids"][row][i]
    predicted = labels != -100
    assert (input_ids[predicted] == tokenizer.mask_token_id).float().mean() > 0.5  # 80 % become [MASK]
    assert torch.equal(input_ids[~predicted], torch.tensor(encoded["input_ids"])[~predicted])


def test_the_head_is_tied_to_the_encoders_word_embeddings_and_alone_is_fitted():
    model, _ = masked_lm.new_head_model()
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    head = masked_lm.head_parameters(model)
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert trainable == {id(p) for p in head} and len(head) == 5  # dense W, b, LayerNorm gamma, beta, bias c
    assert torch.equal(model.cls.predictions.transform.dense.weight, torch.eye(384))


def test_fill_mask_accuracy_counts_the_masked_word(planted_mlm_dir):
    """The planted masked LM guesses "awful" first everywhere: right exactly where "awful" is the masked word."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    model = AutoModelForMaskedLM.from_pretrained(planted_mlm_dir)
    tokenizer = AutoTokenizer.from_pretrained(planted_mlm_dir)
    awful = masked_lm.fill_mask_accuracy(model, tokenizer, ["the awful", "so awful", "awful"], k=1)
    assert awful["accuracy"] == 1.0 and awful["sentences"] == 3 and awful["examples"][0]["top"] == ["awful"]
    other = masked_lm.fill_mask_accuracy(model, tokenizer, ["the movie", "a film", "it was"], k=1)
    assert other["accuracy"] == 0.0 and other["sentences"] == 2  # "it was": stopwords only, nothing to mask


@pytest.mark.parametrize("accuracy, used", [(0.45, True), (0.05, False)])
def test_the_head_stands_in_for_bert_only_if_it_reaches_the_bar(planted_mlm_dir, monkeypatch, tmp_path, accuracy,
                                                                used):
    folder = tmp_path / "head"  # not the (shared) data folder: a fake head there would serve later tests
    shutil.copytree(planted_mlm_dir, folder)
    monkeypatch.setattr(masked_lm, "head_dir", lambda fit=None: folder)
    (folder / "fit.json").write_text(json.dumps({"fill_mask": {"accuracy": accuracy}}))
    monkeypatch.setattr(masked_lm, "HUB_MLM", "robustprune-tests/no-such-mlm")
    monkeypatch.setattr(hub, "hub_reachable", lambda *args, **kwargs: False)
    if used:
        _, _, name = masked_lm.load_masked_lm(None)
        assert name == masked_lm.NAME
    else:
        with pytest.raises(RobustPruneError, match="does not reach 30% fill-mask accuracy.*mlm_path"):
            masked_lm.load_masked_lm(None)
