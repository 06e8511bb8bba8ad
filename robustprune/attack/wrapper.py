"""A TextAttack model wrapper around a robustprune classifier: batched, padded per batch, cached.

TextAttack's ``HuggingFaceModelWrapper`` pads every query to the tokenizer's
``model_max_length`` (512 for BERT) and its goal function remembers results per
``AttackedText`` object, cleared after each example. This wrapper

- pads each batch only to its longest text (sorted by length, so batches are even),
- remembers logits per distinct string for the whole run, so a text reached twice by
  the search, or seen in an earlier example, costs nothing,
- runs on the model's own device, GPU or CPU.

With attention masks, padding does not change a text's logits beyond float rounding,
so an attack takes the same path as with the stock wrapper (checked by
``bench/bench_attack.py``). ``queries_computed`` and ``queries_cached`` count the work,
``compute_seconds`` the time spent in forward passes. Inside a scheduled search
(``batching.py``) the missing texts of all running searches are computed together.
"""

from __future__ import annotations

import time

import torch

from robustprune.attack.batching import merged
from robustprune.attack.resources import import_textattack
from robustprune.evaluate import tokenize

textattack = import_textattack()

import lru  # noqa: E402
from textattack.models.wrappers import ModelWrapper  # noqa: E402


class CachedModelWrapper(ModelWrapper):
    def __init__(self, model, tokenizer, max_length: int = 128, batch_size: int = 64, cache_size: int = 2**18):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self._logits = lru.LRU(cache_size)
        self.queries_requested = 0
        self.queries_computed = 0
        self.compute_seconds = 0.0

    @property
    def queries_cached(self) -> int:
        """Queries answered without a forward pass (the text was computed before, for any search)."""
        return self.queries_requested - self.queries_computed

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def __call__(self, text_input_list, **kwargs):
        texts = list(text_input_list)
        missing = list(dict.fromkeys(text for text in texts if text not in self._logits))
        self.queries_requested += len(texts)
        merged("classifier", missing, self._compute)
        return torch.stack([self._logits[text] for text in texts])

    @torch.inference_mode()
    def _compute(self, texts: list[str]) -> None:
        started = time.perf_counter()
        texts = [text for text in dict.fromkeys(texts) if text not in self._logits]  # merged requests may overlap
        if not texts:
            return
        self.queries_computed += len(texts)
        lengths = [len(ids) for ids in self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]]
        order = sorted(range(len(texts)), key=lambda index: lengths[index])
        for start in range(0, len(order), self.batch_size):
            batch = [texts[index] for index in order[start:start + self.batch_size]]
            logits = self.model(**tokenize(self.tokenizer, batch, self.max_length, self.device)).logits.float().cpu()
            for text, row in zip(batch, logits):
                self._logits[text] = row
        self.compute_seconds += time.perf_counter() - started

    def _tokenize(self, inputs):
        return [self.tokenizer.convert_ids_to_tokens(self.tokenizer([text], truncation=True)["input_ids"][0])
                for text in inputs]
