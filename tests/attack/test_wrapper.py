"""The model wrapper: same logits as plain inference, each distinct text computed once."""

from __future__ import annotations

import torch

from robustprune.attack.wrapper import CachedModelWrapper
from robustprune.evaluate import predict_logits


def test_batched_cached_logits_match_plain_inference(dense_model, tokenizer):
    texts = ["a terrible movie", "an awful movie and a long title to pad", "a terrible movie", "short"]
    wrapper = CachedModelWrapper(dense_model, tokenizer, max_length=64, batch_size=2)
    logits = wrapper(texts)
    assert torch.allclose(logits, predict_logits(dense_model, tokenizer, texts, 64), atol=1e-5)
    assert (wrapper.queries_computed, wrapper.queries_cached) == (3, 1)
    again = wrapper(texts[:2])
    assert torch.equal(again, logits[:2]) and wrapper.queries_computed == 3 and wrapper.queries_cached == 3
