"""Batched inference: logits, predictions and accuracy of a classifier on texts."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from robustprune.progress import Progress, silent


def batched(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def tokenize(tokenizer, texts: list[str], max_length: int, device: torch.device) -> dict[str, torch.Tensor]:
    encoded = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    return {key: value.to(device) for key, value in encoded.items()}


@torch.no_grad()
def predict_logits(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 64,
                   progress: Progress = silent, stage: str = "evaluate") -> torch.Tensor:
    """Logits (len(texts) × labels) on CPU, in input order."""
    model.eval()
    device = next(model.parameters()).device
    outputs = []
    for batch in batched(list(texts), batch_size):
        outputs.append(model(**tokenize(tokenizer, batch, max_length, device)).logits.float().cpu())
        progress(stage, sum(len(chunk) for chunk in outputs), len(texts))
    return torch.cat(outputs) if outputs else torch.zeros(0, model.config.num_labels)


@dataclass
class Evaluation:
    """Accuracy on labelled texts, and how often each class was predicted and is the true label."""

    accuracy: float
    prediction_counts: list[int]
    label_counts: list[int]


def evaluate(model, tokenizer, texts: list[str], labels: list[int], max_length: int, batch_size: int = 64,
             progress: Progress = silent) -> Evaluation:
    logits = predict_logits(model, tokenizer, texts, max_length, batch_size, progress)
    predictions, truth = logits.argmax(dim=1), torch.tensor(labels)
    classes = max(logits.shape[1], int(truth.max()) + 1 if len(truth) else 0)
    return Evaluation(float((predictions == truth).float().mean()),
                      torch.bincount(predictions, minlength=classes).tolist(),
                      torch.bincount(truth, minlength=classes).tolist())


def accuracy(model, tokenizer, texts: list[str], labels: list[int], max_length: int, batch_size: int = 64,
             progress: Progress = silent) -> float:
    logits = predict_logits(model, tokenizer, texts, max_length, batch_size, progress)
    return float((logits.argmax(dim=1) == torch.tensor(labels)).float().mean())
