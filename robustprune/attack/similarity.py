"""How close an input and its adversarial twin stay inside a model, layer by layer.

The argument being tested: a pruned model that retains the dense model's knowledge
keeps x and its adversarial x' close in representation space. For a pair (x, x') and
layer l (0 = embedding output, l = output of encoder block l) with token states
h_l(x) in R^{T x d} and attention mask m:

    mean_l(x) = sum_t m_t h_l(x)_t / sum_t m_t          (padding excluded)
    cosine_mean_l = cos(mean_l(x), mean_l(x'))
    cosine_cls_l  = cos(h_l(x)_0, h_l(x')_0)             ([CLS], what the classifier head reads)

Texts are tokenised separately, so token positions do not align and per-token
comparisons would be meaningless; pooled states and [CLS] do not need alignment.

For a replaced word w -> w': cos(e(w), e(w')) with e the mean of the input word-embedding
rows of the word's sub-word tokens.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from robustprune.evaluate import batched, tokenize
from robustprune.models.adapter import hidden_states, word_embeddings


@torch.inference_mode()
def _pooled_states(model, tokenizer, texts: list[str], max_length: int, batch_size: int):
    """Per layer: (mean-pooled, [CLS]) states of ``texts``, each (N x d), on CPU."""
    model.eval()
    device = next(model.parameters()).device
    means, firsts = [], []
    for batch in batched(texts, batch_size):
        inputs = tokenize(tokenizer, batch, max_length, device)
        mask = inputs["attention_mask"].unsqueeze(-1).float()
        states = hidden_states(model, inputs)
        means.append([((layer.float() * mask).sum(1) / mask.sum(1)).cpu() for layer in states])
        firsts.append([layer[:, 0].float().cpu() for layer in states])
    layers = len(means[0])
    return ([torch.cat([chunk[layer] for chunk in means]) for layer in range(layers)],
            [torch.cat([chunk[layer] for chunk in firsts]) for layer in range(layers)])


def layer_cosines(model, tokenizer, originals: list[str], perturbed: list[str], max_length: int,
                  batch_size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """(cosine_mean, cosine_cls), each (pairs x layers+1), for the pairs (originals[i], perturbed[i])."""
    if not originals:
        return torch.zeros(0, 0), torch.zeros(0, 0)
    mean_a, cls_a = _pooled_states(model, tokenizer, originals, max_length, batch_size)
    mean_b, cls_b = _pooled_states(model, tokenizer, perturbed, max_length, batch_size)
    cosine_mean = torch.stack([F.cosine_similarity(a, b, dim=1) for a, b in zip(mean_a, mean_b)], dim=1)
    cosine_cls = torch.stack([F.cosine_similarity(a, b, dim=1) for a, b in zip(cls_a, cls_b)], dim=1)
    return cosine_mean.clamp(-1.0, 1.0), cosine_cls.clamp(-1.0, 1.0)


@torch.inference_mode()
def word_cosines(model, tokenizer, pairs: list[tuple[str, str]]) -> list[float]:
    """cos(e(w), e(w')) for each (w, w'); 0 for a word that tokenises to nothing."""
    table = word_embeddings(model).weight

    def vector(word: str) -> torch.Tensor | None:
        ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        return table[torch.tensor(ids, device=table.device)].float().mean(0) if ids else None
    cosines = []
    for original, replacement in pairs:
        a, b = vector(original), vector(replacement)
        cosines.append(0.0 if a is None or b is None else float(F.cosine_similarity(a, b, dim=0).clamp(-1, 1)))
    return cosines
