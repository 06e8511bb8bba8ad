"""Tiny random BERT classifiers and synthetic texts for the structured-pruning tests."""

from __future__ import annotations

import random

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

from robustprune.models.registry import embedded_model_dir

WORDS = ("the movie film plot acting story scene music actor director was is a an very not quite "
         "good bad great terrible boring fun long short slow funny moving dull brilliant awful").split()


@pytest.fixture(autouse=True)
def one_thread_for_tiny_models(request):
    """Tiny models: two threads spend more time synchronising than computing (10x slower on a busy 2-core box)."""
    if request.node.get_closest_marker("slow"):
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tokenizer():
    return BertTokenizerFast.from_pretrained(str(embedded_model_dir()))


@pytest.fixture(scope="session")
def texts() -> list[str]:
    rng = random.Random(0)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 18))) for _ in range(40)]


@pytest.fixture
def make_bert(tokenizer):
    """``make_bert(layers)``: a seeded random BERT classifier, hidden 64, 4 heads, FFN 128.

    A larger initialiser range than BERT's 0.02 so that logits differ visibly across inputs,
    and random biases (HF starts them at zero, which would hide bias-slicing mistakes).
    """

    def make(layers: int = 2, seed: int = 0) -> BertForSequenceClassification:
        torch.manual_seed(seed)
        config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=64, num_hidden_layers=layers,
                            num_attention_heads=4, intermediate_size=128, max_position_embeddings=64,
                            num_labels=2, initializer_range=0.1)
        model = BertForSequenceClassification(config).eval()
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if name.endswith("bias"):
                    parameter.normal_(0.0, 0.1)
        return model

    return make
