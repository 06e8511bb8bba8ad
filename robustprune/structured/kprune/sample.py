"""The sample data, prepared once per run: seeded texts up to a token budget, their batches,
the uncompressed model's soft labels (Eq. 1's p) and the activation streams for Eq. (6)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from robustprune.evaluate import batched, tokenize
from robustprune.prune.engine import _Batch, encoder_inputs
from robustprune.structured.kprune.config import KPruneConfig

@dataclass
class Sample:
    """The sample data, prepared once: tokenised batches, the uncompressed model's soft
    labels for them (the p of Eq. 1), and the dense and pruned activation streams at the
    current block (for Eq. 6)."""

    texts: list[str]
    batches: list[dict[str, torch.Tensor]]
    soft_labels: list[torch.Tensor]
    streams: list[_Batch]
    tokens: int


def sample_texts(tokenizer, texts: list[str], sample_tokens: int, max_length: int, seed: int) -> list[str]:
    """Seeded random texts until their tokens (padding excluded) reach ``sample_tokens``,
    shortest first so that batches carry little padding."""
    order = random.Random(seed).sample(range(len(texts)), len(texts))
    chosen: list[tuple[int, str]] = []
    tokens = 0
    for chunk in batched(order, 256):  # tokenise only as many texts as needed
        lengths = [len(ids) for ids in tokenizer([texts[i] for i in chunk], truncation=True,
                                                 max_length=max_length)["input_ids"]]
        for index, length in zip(chunk, lengths):
            chosen.append((length, texts[index]))
            tokens += length
            if tokens >= sample_tokens:
                return shortest_first(chosen)
    return shortest_first(chosen)


def shortest_first(texts_with_lengths: list[tuple[int, str]]) -> list[str]:
    return [text for _, text in sorted(texts_with_lengths, key=lambda item: item[0])]


@torch.no_grad()
def soft_labels(model: nn.Module, batches: list[dict[str, torch.Tensor]], temperature: float) -> list[torch.Tensor]:
    """Eq. (1)'s p: the uncompressed model's softmax(z / T), one tensor per batch."""
    return [F.softmax(model(**batch).logits.float() / temperature, dim=-1) for batch in batches]


def prepare_sample(model: nn.Module, tokenizer, texts: list[str], config: KPruneConfig, max_length: int) -> Sample:
    chosen = sample_texts(tokenizer, texts, config.sample_tokens, max_length, config.seed)
    device = next(model.parameters()).device
    batches = [tokenize(tokenizer, chunk, max_length, device) for chunk in batched(chosen, config.batch_size)]
    streams = encoder_inputs(model, tokenizer, chosen, max_length, config.batch_size, calibration=True)
    tokens = sum(int(batch["attention_mask"].sum()) for batch in batches)
    return Sample(chosen, batches, soft_labels(model, batches, config.temperature), streams, tokens)
