"""Model loading: the embedded default offline, clear errors for what cannot load."""

import pytest
from transformers import GPT2Config

from robustprune.errors import RobustPruneError
from robustprune.models import adapter, load_classifier


def test_embedded_minilm_loads_offline_with_a_new_head():
    model, tokenizer = load_classifier("minilm", 2, ["negative", "positive"])
    assert model.config.model_type == "bert" and model.config.num_hidden_layers == 6
    assert model.classifier.out_features == 2 and model.config.id2label[1] == "positive"
    assert len(adapter.prunable_linears(model)) == 36
    assert tokenizer("a fine film")["input_ids"][0] == tokenizer.cls_token_id


def test_local_directory_loads(tiny_model_dir):
    model, _ = load_classifier(tiny_model_dir)
    assert len(adapter.blocks(model)) == 3


def test_not_an_encoder_classifier(tmp_path):
    GPT2Config(n_layer=1, n_embd=16, n_head=2).save_pretrained(tmp_path)
    with pytest.raises(RobustPruneError, match="'gpt2' model; robustprune prunes encoder classifiers"):
        load_classifier(str(tmp_path))


def test_uncached_hub_name_offline():
    with pytest.raises(RobustPruneError, match="not in the local Hugging Face cache.*minilm"):
        load_classifier("bert-base-uncased")
