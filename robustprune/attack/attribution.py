"""Why a model gives its answer on one text: Integrated Gradients over the input word embeddings.

Integrated Gradients (Sundararajan et al., ICML 2017) attributes F(x) − F(x') to the inputs
along the straight path from a baseline x' to the input x:

    IG_i = (x_i − x'_i) · ∫₀¹ ∂F(x' + α (x − x')) / ∂x_i dα ,    Σ_i IG_i = F(x) − F(x')  (completeness)

summed over the embedding dimensions of token i. Here

* F is the model's softmax probability of one class (the example's true label), so a
  token's attribution is the part of that probability, in [−1, 1], the token accounts for;
* x is the output of the word-embedding table (Captum's ``LayerIntegratedGradients`` on
  ``model.get_input_embeddings()``): positions and token types are added after it and are
  the same at both ends of the path;
* the baseline x' is the embedding of ``[PAD]`` at every position but ``[CLS]`` and ``[SEP]``,
  which stay: the text with its words taken out and its frame kept;
* the integral is Gauss–Legendre quadrature with ``steps`` points; Captum's convergence
  delta Σ IG − (F(x) − F(x')) says how far the quadrature is from completeness.

Sub-word tokens are summed into the words of ``robustprune.attack.changes.word_spans``.
``layer_cosines`` compares two models (dense and pruned) on one text layer by layer: the
same tokenizer gives both the same tokens, so their hidden states can be compared token by token.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from robustprune.attack.changes import word_spans
from robustprune.errors import RobustPruneError
from robustprune.models.adapter import hidden_states, word_embeddings

BASELINES = ("pad",)


@dataclass(frozen=True)
class IGSettings:
    """How attributions are computed; part of the cache key of an explanation."""

    steps: int = 50                # quadrature points of the path integral
    baseline: str = "pad"          # [PAD] at every position but [CLS] / [SEP]
    method: str = "gausslegendre"  # Captum's quadrature rule

    def validate(self) -> None:
        if self.steps < 2 or self.steps > 1000:
            raise RobustPruneError(f"IG steps must be between 2 and 1000, got {self.steps}")
        if self.baseline not in BASELINES:
            raise RobustPruneError(f"unknown IG baseline {self.baseline!r}; use one of {', '.join(BASELINES)}")
        if self.method not in ("gausslegendre", "riemann_trapezoid", "riemann_middle"):
            raise RobustPruneError(f"unknown IG method {self.method!r}; use gausslegendre or riemann_trapezoid")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TextAttribution:
    """Integrated Gradients of one model on one text, per token."""

    model: str                  # "dense" or "sparse"
    side: str                   # "original" or "perturbed"
    text: str
    target: int                 # the class whose probability is attributed
    tokens: list[str]
    words: list[int]            # per token: its word in word_spans(text); -1 for [CLS], [SEP], [PAD]
    attributions: list[float]   # per token, summed over the embedding dimensions
    probability: float          # F(x): the target's probability on the text
    baseline_probability: float  # F(x'): on the baseline
    delta: float                # Σ attributions − (F(x) − F(x')), Captum's convergence delta

    def word_attributions(self) -> dict[int, float]:
        """word position -> the summed attribution of its tokens (words cut off by the length limit are absent)."""
        totals: dict[int, float] = {}
        for word, value in zip(self.words, self.attributions):
            if word >= 0:
                totals[word] = totals.get(word, 0.0) + value
        return totals

    def word_tokens(self) -> dict[int, list[str]]:
        pieces: dict[int, list[str]] = {}
        for word, token in zip(self.words, self.tokens):
            if word >= 0:
                pieces.setdefault(word, []).append(token)
        return pieces


def baseline_ids(input_ids: torch.Tensor, tokenizer) -> torch.Tensor:
    """[PAD] everywhere but at the special tokens ([CLS], [SEP]), which stay."""
    keep = torch.zeros_like(input_ids, dtype=torch.bool)
    for special in (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id):
        if special is not None:
            keep |= input_ids == special
    return torch.where(keep, input_ids, torch.full_like(input_ids, tokenizer.pad_token_id))


def token_words(text: str, offsets: list[tuple[int, int]], special: list[bool]) -> list[int]:
    """The word (position in word_spans(text)) each token starts in; -1 for special tokens and separators."""
    spans = word_spans(text)
    words = []
    for (start, end), is_special in zip(offsets, special):
        word = -1
        if not is_special and end > start:
            word = next((index for index, (a, b) in enumerate(spans) if a <= start < b), -1)
        words.append(word)
    return words


def integrated_gradients(model, tokenizer, text: str, target: int, max_length: int,
                         settings: IGSettings = IGSettings(), model_name: str = "model",
                         side: str = "original") -> TextAttribution:
    """IG of ``model``'s probability of class ``target`` on ``text``, per token (see the module docstring)."""
    from captum.attr import LayerIntegratedGradients

    settings.validate()
    if not getattr(tokenizer, "is_fast", False):
        raise RobustPruneError("attributions need a fast tokenizer (for character offsets); load it with use_fast=True")
    model.eval()
    device = next(model.parameters()).device
    encoded = tokenizer(text, truncation=True, max_length=max_length, return_offsets_mapping=True,
                        return_special_tokens_mask=True, return_tensors="pt")
    input_ids = encoded["input_ids"].to(device)
    attention_mask = encoded["attention_mask"].to(device)
    baseline = baseline_ids(input_ids, tokenizer)

    def probability(ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return torch.softmax(model(input_ids=ids, attention_mask=mask).logits.float(), dim=-1)

    ig = LayerIntegratedGradients(probability, word_embeddings(model))
    attributions, delta = ig.attribute(input_ids, baselines=baseline, target=int(target),
                                       additional_forward_args=(attention_mask,), n_steps=settings.steps,
                                       method=settings.method, return_convergence_delta=True)
    with torch.no_grad():
        on_text = float(probability(input_ids, attention_mask)[0, target])
        on_baseline = float(probability(baseline, attention_mask)[0, target])
    offsets = [tuple(pair) for pair in encoded["offset_mapping"][0].tolist()]
    special = [bool(flag) for flag in encoded["special_tokens_mask"][0].tolist()]
    return TextAttribution(model_name, side, text, int(target), tokenizer.convert_ids_to_tokens(input_ids[0].tolist()),
                           token_words(text, offsets, special), attributions.sum(-1)[0].detach().float().cpu().tolist(),
                           on_text, on_baseline, float(delta.reshape(-1)[0]))


@torch.inference_mode()
def layer_cosines(first_model, second_model, tokenizer, text: str, max_length: int) -> list[tuple[int, float, float]]:
    """(layer, mean over tokens of cos(h¹_t, h²_t), cos of the [CLS] states) for layer 0 (embedding output) to L.

    Both models read the same tokens, so states are compared position by position (padding excluded)."""
    inputs = tokenizer([text], truncation=True, max_length=max_length, return_tensors="pt")
    rows = []
    states = []
    for model in (first_model, second_model):
        model.eval()
        device = next(model.parameters()).device
        states.append(hidden_states(model, {key: value.to(device) for key, value in inputs.items()}))
    for layer, (a, b) in enumerate(zip(*states)):
        a, b = a[0].float().cpu(), b[0].float().cpu()
        per_token = F.cosine_similarity(a, b, dim=-1).clamp(-1.0, 1.0)
        rows.append((layer, float(per_token.mean()), float(per_token[0])))
    return rows


__all__ = ["IGSettings", "TextAttribution", "baseline_ids", "token_words", "integrated_gradients", "layer_cosines"]
