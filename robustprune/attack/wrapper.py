"""A TextAttack model wrapper around a robustprune classifier: batched, padded per batch, cached.

TextAttack's ``HuggingFaceModelWrapper`` pads every query to the tokenizer's
``model_max_length`` (512 for BERT) and its goal function remembers results per
``AttackedText`` object, cleared after each example. This wrapper

- pads each batch only to its longest text (sorted by length, so batches are even),
- remembers logits per distinct input the model reads (the text's token ids, truncated to
  ``max_length``) for the whole run, so a text reached twice by the search, or seen in an
  earlier example, costs nothing, and neither does a text that differs only past what the
  model reads: a review of 1,300 words is read to its first ~200 (256 tokens), and deleting
  or bugging each later word (TextBugger ranks every word by deleting it) leaves the
  model's input as it was,
- runs on the model's own device, GPU or CPU.

With attention masks, padding does not change a text's logits beyond float rounding,
so an attack takes the same path as with the stock wrapper (checked by
``bench/bench_attack.py``); a text whose input is one computed before gets that input's
logits exactly, not a recomputation that differs in the last bit, so an edit past the
truncation is never mistaken for a gain. ``queries_computed`` and ``queries_cached`` count the work,
``compute_seconds`` the time spent in forward passes. Inside a scheduled search
(``batching.py``) the missing texts of all running searches are computed together.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from robustprune.attack.batching import merged
from robustprune.attack.resources import import_textattack

textattack = import_textattack()

import lru  # noqa: E402
from textattack.models.wrappers import ModelWrapper  # noqa: E402


class CachedModelWrapper(ModelWrapper):
    def __init__(self, model, tokenizer, max_length: int = 128, batch_size: int = 64, cache_size: int = 2**18):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self._inputs = lru.LRU(cache_size)  # text -> what the model reads of it (``_read``)
        self._logits = lru.LRU(cache_size)  # what the model reads -> its logits
        self.queries_requested = 0
        self.queries_computed = 0
        self.compute_seconds = 0.0

    @property
    def queries_cached(self) -> int:
        """Queries answered without a forward pass (the model's input was computed before, for any search)."""
        return self.queries_requested - self.queries_computed

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def __call__(self, text_input_list, **kwargs):
        texts = list(text_input_list)
        self.queries_requested += len(texts)
        inputs = self._read(texts)
        missing = list(dict.fromkeys(read for read in inputs if read not in self._logits))
        merged("classifier", missing, self._compute)
        return torch.stack([self._logits[read] for read in inputs])

    def _read(self, texts: list[str]) -> list[bytes]:
        """What the model reads of each text: its token ids, truncated to ``max_length``, as bytes (a key)."""
        new = list(dict.fromkeys(text for text in texts if text not in self._inputs))
        if new:
            ids = self.tokenizer(new, truncation=True, max_length=self.max_length)["input_ids"]
            for text, text_ids in zip(new, ids):
                self._inputs[text] = np.asarray(text_ids, dtype=np.int32).tobytes()
        return [self._inputs[text] for text in texts]

    @torch.inference_mode()
    def _compute(self, inputs: list[bytes]) -> None:
        started = time.perf_counter()
        inputs = [read for read in dict.fromkeys(inputs) if read not in self._logits]  # merged requests may overlap
        if not inputs:
            return
        self.queries_computed += len(inputs)
        inputs = sorted(inputs, key=len)  # batches of even length
        for start in range(0, len(inputs), self.batch_size):
            batch = inputs[start:start + self.batch_size]
            logits = self.model(**self._padded(batch)).logits.float().cpu()
            for read, row in zip(batch, logits):
                self._logits[read] = row
        self.compute_seconds += time.perf_counter() - started

    def _padded(self, batch: list[bytes]) -> dict[str, torch.Tensor]:
        """The batch as the tokenizer pads it (``padding=True``): ids, attention mask, and token types if the
        model takes them; on the model's device."""
        rows = [torch.from_numpy(np.frombuffer(read, dtype=np.int32).astype(np.int64)) for read in batch]
        width = max(len(row) for row in rows)
        input_ids = torch.full((len(rows), width), self.tokenizer.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for index, row in enumerate(rows):
            where = slice(width - len(row), width) if self.tokenizer.padding_side == "left" else slice(0, len(row))
            input_ids[index, where] = row
            attention_mask[index, where] = 1
        padded = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "token_type_ids" in self.tokenizer.model_input_names:
            padded["token_type_ids"] = torch.zeros_like(input_ids)
        return {key: value.to(self.device) for key, value in padded.items()}

    def _tokenize(self, inputs):
        return [self.tokenizer.convert_ids_to_tokens(self.tokenizer([text], truncation=True)["input_ids"][0])
                for text in inputs]
