"""Fixtures for the attack tests: the planted models of ``planted.py``."""

from __future__ import annotations

import pytest
import torch
from planted import TRIGGER, planted_classifier, pruned_copy, tiny_config
from transformers import BertForMaskedLM, BertTokenizerFast

from robustprune.models.registry import embedded_model_dir
from tests.conftest import save_model_folder


@pytest.fixture(scope="session")
def tokenizer():
    return BertTokenizerFast.from_pretrained(str(embedded_model_dir()))


@pytest.fixture(scope="session")
def dense_model(tokenizer):
    return planted_classifier(tokenizer)


@pytest.fixture(scope="session")
def sparse_model(dense_model):
    return pruned_copy(dense_model)


@pytest.fixture
def planted_dir(tmp_path, tokenizer):
    """The planted classifier saved as a model folder (config, weights, tokenizer), for the CLI and run tests."""
    return str(save_model_folder(planted_classifier(tokenizer), tokenizer, tmp_path / "planted"))


@pytest.fixture(scope="session")
def planted_mlm_dir(tokenizer, tmp_path_factory):
    """A tiny random masked LM whose output bias makes the trigger its first guess everywhere."""
    torch.manual_seed(1)
    mlm = BertForMaskedLM(tiny_config(tokenizer)).eval()
    with torch.no_grad():
        mlm.cls.predictions.bias[tokenizer.convert_tokens_to_ids(TRIGGER)] = 1e4
    return save_model_folder(mlm, tokenizer, tmp_path_factory.mktemp("tiny_mlm"))
