"""Shared fixtures: tiny random BERTs (fast) and an isolated cache per test."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach for the hub
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

from robustprune.models.registry import embedded_model_dir

ADJECTIVES = ["great", "awful", "fine", "boring", "superb", "dull", "moving", "clumsy"]
ENDINGS = ["worked", "failed", "dragged", "soared", "was thin", "was rich", "surprised me", "fell flat"]
SENTENCES = [f"this movie was {adjective} and the plot {ending}" for adjective in ADJECTIVES for ending in ENDINGS]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own run store; the extracted embedded data is shared across tests."""
    home = tmp_path / "home"
    monkeypatch.setenv("ROBUSTPRUNE_HOME", str(home))
    shared_data = os.environ.get("ROBUSTPRUNE_TEST_DATA") or os.path.expanduser("~/.cache/robustprune-test-data")
    os.makedirs(shared_data, exist_ok=True)
    home.mkdir()
    (home / "data").symlink_to(shared_data, target_is_directory=True)
    return home


@pytest.fixture(scope="session")
def tokenizer():
    return BertTokenizerFast.from_pretrained(str(embedded_model_dir()))


def tiny_bert(tokenizer, layers: int = 3, seed: int = 0, num_labels: int = 2) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=64, num_hidden_layers=layers,
                        num_attention_heads=4, intermediate_size=128, max_position_embeddings=128,
                        num_labels=num_labels)
    return BertForSequenceClassification(config).eval()


def save_model_folder(model, tokenizer, folder: Path, **save) -> Path:
    """``model`` and ``tokenizer`` saved as a model folder (config, weights, tokenizer), as a user would save one;
    ``save``: ``save_pretrained``'s options for the weights (e.g. ``safe_serialization=False``)."""
    model.save_pretrained(folder, **save)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def tiny_model(tokenizer):
    return tiny_bert(tokenizer)


@pytest.fixture
def tiny_model_dir(tmp_path, tokenizer):
    """A tiny random classifier saved like a user's local model directory."""
    return str(save_model_folder(tiny_bert(tokenizer), tokenizer, tmp_path / "tiny-bert"))


@pytest.fixture
def tiny_csv(tmp_path):
    """A small sentiment CSV with non-default column names."""
    import pandas as pd

    positive = {"great", "fine", "superb", "moving"}
    rows = [{"review": sentence, "sentiment": "pos" if sentence.split()[3] in positive else "neg"}
            for sentence in SENTENCES]
    path = tmp_path / "reviews.csv"
    pd.DataFrame(rows * 4).to_csv(path, index=False)
    return path
