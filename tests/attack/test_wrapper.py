"""The model wrapper: same logits as plain inference, each distinct text computed once."""

from __future__ import annotations

import torch

from robustprune.attack.wrapper import CachedModelWrapper
from robustprune.evaluate import predict_logits
from tests.attack.planted import TRIGGER


def test_batched_cached_logits_match_plain_inference(dense_model, tokenizer):
    texts = ["a terrible movie", "an awful movie and a long title to pad", "a terrible movie", "short"]
    wrapper = CachedModelWrapper(dense_model, tokenizer, max_length=64, batch_size=2)
    logits = wrapper(texts)
    assert torch.allclose(logits, predict_logits(dense_model, tokenizer, texts, 64), atol=1e-5)
    assert (wrapper.queries_computed, wrapper.queries_cached) == (3, 1)
    again = wrapper(texts[:2])
    assert torch.equal(again, logits[:2]) and wrapper.queries_computed == 3 and wrapper.queries_cached == 3


def test_texts_the_model_reads_alike_are_one_input(dense_model, tokenizer):
    """A text that differs from another only past ``max_length`` tokens, or only in case (an uncased model), is the
    same input to the model: computed once, with exactly the first one's logits. A review read to its first 256
    tokens is attacked word by word over all its words; the words past the cut change nothing the model sees."""
    words = ["good"] * 40
    long_text = " ".join(words)
    edited_past_the_cut = " ".join(words[:-1] + [TRIGGER])
    edited_before_the_cut = " ".join([TRIGGER] + words[1:])
    texts = [long_text, edited_past_the_cut, long_text.upper(), edited_before_the_cut]
    wrapper = CachedModelWrapper(dense_model, tokenizer, max_length=16, batch_size=2)
    logits = wrapper(texts)
    assert (wrapper.queries_computed, wrapper.queries_cached) == (2, 2)
    assert torch.equal(logits[0], logits[1]) and torch.equal(logits[0], logits[2])
    assert torch.allclose(logits, predict_logits(dense_model, tokenizer, texts, 16), atol=1e-5)
    assert not torch.allclose(logits[0], logits[3])  # an edit the model reads is another input
    # read past the cut, the edit is another input too
    wide = CachedModelWrapper(dense_model, tokenizer, max_length=128, batch_size=2)
    wide(texts[:2])
    assert wide.queries_computed == 2


def test_the_wrapper_pads_a_batch_as_the_tokenizer_does(tokenizer):
    """Padding from remembered ids is the tokenizer's own ``padding=True`` batch (ids, types, mask), either side."""
    texts = ["a terrible movie", "an awful movie and a long title to pad", "short"]
    for side in ("right", "left"):
        tokenizer.padding_side = side
        try:
            wrapper = CachedModelWrapper(torch.nn.Linear(1, 1), tokenizer, max_length=8)
            padded = wrapper._padded(wrapper._read(texts))
            expected = tokenizer(texts, padding=True, truncation=True, max_length=8, return_tensors="pt")
            assert padded.keys() == expected.keys()
            assert all(torch.equal(padded[key], expected[key]) for key in expected)
        finally:
            tokenizer.padding_side = "right"


def test_the_sentence_encoder_encodes_what_it_reads_once(monkeypatch):
    """The similarity constraint's encoder (MiniLM, 256 tokens) gets a text that differs from one it encoded only past
    its cut as that one, with the same vector; an edit it reads is encoded anew, and matches a fresh encoding."""
    import numpy as np

    from robustprune.attack.encoder import CachedSBERT, MiniLMEncoder

    encoded = []
    encode = MiniLMEncoder.encode
    monkeypatch.setattr(MiniLMEncoder, "encode", lambda self, sentences: encoded.append(list(sentences))
                        or encode(self, sentences))
    encoder = CachedSBERT()
    words = ["good"] * 400  # past MiniLM's 256 tokens
    review = " ".join(words)
    bugged_past_the_cut = " ".join(words[:-1] + ["g00d"])
    bugged_early = " ".join(["g00d"] + words[1:])
    vectors = encoder.encode([review, bugged_past_the_cut, bugged_early, review])
    assert [len(batch) for batch in encoded] == [2]
    assert np.array_equal(vectors[0], vectors[1]) and np.array_equal(vectors[0], vectors[3])
    assert not np.allclose(vectors[0], vectors[2])
    fresh = MiniLMEncoder().encode([bugged_past_the_cut, bugged_early])
    assert np.allclose(vectors[1:3], fresh, atol=1e-5)
    encoder.encode([bugged_past_the_cut, "a short window"])
    assert [len(batch) for batch in encoded] == [2, 2, 1]  # the fresh encoder's two, then only the new window
