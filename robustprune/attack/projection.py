"""An attack's pairs in two dimensions: PCA of one layer's pooled hidden states, per model.

For an attack run, every attacked example x (succeeded, or failed: its last attempt x')
and its adversarial text x' go through each model the attack compared (the dense model,
and the pruned one for an attack on a pruning run). At every layer l (0 = embedding
output, l = output of encoder block l) a text's states are pooled as the attack's
similarity pooled them — the mean over attended tokens, or the [CLS] token — and PCA,

    Z = (H − mean(H)) V₂,      H = [h_l(x₁) … h_l(x_n), h_l(x'₁) … h_l(x'_n)]ᵀ,

with V₂ the first two right singular vectors of the centred H, is fitted on the originals
and the adversarial texts together, so that the distance between the two points of a pair
is comparable across pairs. It is fitted for every (model, pooling, layer) and for two
sets of pairs: the successful examples, and those with the failed ones.

``attack_projection`` works on models in memory; ``ensure_projection`` caches the result
as a run of kind ``"projection"`` (parent: the attack run), which the worker computes as a
job, so that the Embeddings page only reads coordinates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from robustprune.attack.derived import attack_models, derived_run, require_attack
from robustprune.attack.records import AttackExample, AttackResult
from robustprune.errors import RobustPruneError
from robustprune.evaluate import batched, tokenize
from robustprune.models.adapter import hidden_states
from robustprune.progress import Progress, silent
from robustprune.store import RunStore, run_id_for

PROJECTION_KIND = "projection"
PROJECTION_VERSION = 1
POOLINGS = ("mean", "cls")
POINT_COLUMNS = ["model", "pooling", "include_failed", "layer", "index", "text", "x", "y"]
VARIANCE_COLUMNS = ["model", "pooling", "include_failed", "layer", "explained"]


def projection_examples(result: AttackResult, include_failed: bool = False) -> list[AttackExample]:
    """The pairs to project: successful examples (and failed ones' last attempt, if asked)."""
    wanted = ("succeeded", "failed") if include_failed else ("succeeded",)
    return [example for example in result.examples if example.result in wanted]


@torch.inference_mode()
def pooled_layer_states(model, tokenizer, texts: list[str], max_length: int, poolings: tuple[str, ...] = POOLINGS,
                        batch_size: int = 32) -> dict[str, np.ndarray]:
    """Pooling -> the pooled states of ``texts`` at every layer, (layers + 1) x N x d: the mean over attended tokens
    ("mean") or the first token ("cls"), from one forward pass."""
    unknown = sorted(set(poolings) - set(POOLINGS))
    if unknown:
        raise RobustPruneError(f"unknown pooling {unknown[0]!r}; use one of {', '.join(POOLINGS)}")
    model.eval()
    device = next(model.parameters()).device
    chunks: dict[str, list[np.ndarray]] = {pooling: [] for pooling in poolings}
    for batch in batched(list(texts), batch_size):
        inputs = tokenize(tokenizer, batch, max_length, device)
        mask = inputs["attention_mask"].unsqueeze(-1).float()
        states = hidden_states(model, inputs)
        for pooling in poolings:
            if pooling == "cls":
                pooled = [layer[:, 0].float() for layer in states]
            else:
                pooled = [(layer.float() * mask).sum(1) / mask.sum(1) for layer in states]
            chunks[pooling].append(torch.stack(pooled).cpu().numpy())
    return {pooling: np.concatenate(parts, axis=1) for pooling, parts in chunks.items()}


def layer_states(model, tokenizer, texts: list[str], max_length: int, pooling: str = "mean",
                 batch_size: int = 32) -> np.ndarray:
    """Pooled states of ``texts`` at every layer with one pooling: (layers + 1) x N x d."""
    return pooled_layer_states(model, tokenizer, texts, max_length, (pooling,), batch_size)[pooling]


def pca_2d(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The first two principal components of ``points`` (N x d) and the share of variance they explain.

    Points that coincide (up to float rounding: total variance under 1e-10 of their energy, e.g. the [CLS] state at
    the embedding layer, the same for every text) have no direction: all at the origin, 0 % explained."""
    points = np.asarray(points, dtype=np.float64)
    centred = points - points.mean(axis=0, keepdims=True)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    total = float((singular ** 2).sum())
    if total <= 1e-10 * float((points ** 2).sum()):
        return np.zeros((len(points), 2)), 0.0
    coordinates = centred @ components[:2].T
    if coordinates.shape[1] < 2:
        coordinates = np.pad(coordinates, ((0, 0), (0, 2 - coordinates.shape[1])))
    return coordinates, float((singular[:2] ** 2).sum() / total)


@dataclass
class AttackProjection:
    """Two coordinates per text for every (model, pooling, include_failed, layer), and the variance they explain."""

    attack_run_id: str
    points: pd.DataFrame    # POINT_COLUMNS; text is "original" or "adversarial"
    variance: pd.DataFrame  # VARIANCE_COLUMNS
    seconds: float = 0.0
    run_id: str = ""

    def view(self, model: str, pooling: str, include_failed: bool, layer: int) -> tuple[pd.DataFrame, float]:
        """(rows index, text, x, y of one fit, its explained variance); RobustPruneError for a fit not computed."""
        def chosen(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[(frame["model"] == model) & (frame["pooling"] == pooling)
                         & (frame["include_failed"] == include_failed) & (frame["layer"] == layer)]

        variance = chosen(self.variance)
        if variance.empty:
            raise RobustPruneError(f"no projection of model {model!r}, pooling {pooling!r}, layer {layer} in "
                                   f"{self.run_id or 'this projection'}; models: {', '.join(self.models())}")
        points = chosen(self.points)[["index", "text", "x", "y"]].reset_index(drop=True)
        return points, float(variance["explained"].iloc[0])

    def models(self) -> list[str]:
        return list(dict.fromkeys(self.variance["model"]))

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        self.points.to_parquet(directory / "points.parquet", index=False)
        self.variance.to_parquet(directory / "variance.parquet", index=False)

    @classmethod
    def load(cls, directory: str | Path, attack_run_id: str = "", run_id: str = "") -> "AttackProjection":
        directory = Path(directory)
        return cls(attack_run_id, pd.read_parquet(directory / "points.parquet"),
                   pd.read_parquet(directory / "variance.parquet"), run_id=run_id)


def attack_projection(result: AttackResult, models: dict, tokenizer, max_length: int | None = None,
                      batch_size: int = 32, attack_run_id: str = "", progress: Progress = silent) -> AttackProjection:
    """Every fit of the module docstring, for ``models`` (name -> model, e.g. {"dense": ..., "sparse": ...})."""
    max_length = max_length or result.summary.max_length
    attacked = projection_examples(result, include_failed=True)
    succeeded = np.array([example.result == "succeeded" for example in attacked], dtype=bool)
    points, variance = [], []
    for step, (name, model) in enumerate(models.items() if attacked else ()):  # every example skipped: no pairs
        originals = pooled_layer_states(model, tokenizer, [e.original_text for e in attacked], max_length,
                                        batch_size=batch_size)
        adversarial = pooled_layer_states(model, tokenizer, [e.perturbed_text for e in attacked], max_length,
                                          batch_size=batch_size)
        for pooling in POOLINGS:
            for include_failed in (False, True):
                rows = np.ones(len(attacked), dtype=bool) if include_failed else succeeded
                indices = [example.index for example, keep in zip(attacked, rows) if keep]
                if not indices:
                    continue
                for layer in range(originals[pooling].shape[0]):
                    coordinates, explained = pca_2d(np.concatenate([originals[pooling][layer][rows],
                                                                    adversarial[pooling][layer][rows]]))
                    variance.append((name, pooling, include_failed, layer, explained))
                    for offset, text in ((0, "original"), (len(indices), "adversarial")):
                        points += [(name, pooling, include_failed, layer, index, text,
                                    float(coordinates[offset + row, 0]), float(coordinates[offset + row, 1]))
                                   for row, index in enumerate(indices)]
        progress("projection", step + 1, len(models))
    return AttackProjection(attack_run_id, pd.DataFrame(points, columns=POINT_COLUMNS),
                            pd.DataFrame(variance, columns=VARIANCE_COLUMNS))


def projection_key(attack_run_id: str) -> dict:
    return {"attack": attack_run_id, "version": PROJECTION_VERSION}


def projection_run_id(attack_run_id: str) -> str:
    return run_id_for(PROJECTION_KIND, projection_key(attack_run_id))


def cached_projection(store: RunStore, attack_run_id: str) -> AttackProjection | None:
    record = store.get(projection_run_id(attack_run_id))
    return None if record is None else AttackProjection.load(record.directory, attack_run_id, record.run_id)


def ensure_projection(attack_run_id: str, store: RunStore | None = None, device: str = "auto",
                      progress: Progress = silent) -> AttackProjection:
    """The projection of a cached attack run's pairs: from the cache, or computed now and cached."""
    store = store or RunStore()
    attack = require_attack(store, attack_run_id)
    cached = cached_projection(store, attack_run_id)
    if cached is not None:
        return cached
    started = time.perf_counter()
    progress("projection", 0, 1)
    models, tokenizer = attack_models(store, attack, device)
    result = AttackResult.load(attack.directory / "attack")
    outcome = attack_projection(result, models, tokenizer, attack_run_id=attack_run_id, progress=progress)
    outcome.seconds = time.perf_counter() - started
    key = projection_key(attack_run_id)
    with derived_run(store, PROJECTION_KIND, key, attack) as writer:
        outcome.save(writer.directory)
        writer.summary.update({"attack_run_id": attack_run_id, "models": outcome.models(),
                               "pairs": int(outcome.points["index"].nunique()), "seconds": outcome.seconds})
    outcome.run_id = run_id_for(PROJECTION_KIND, key)
    return outcome


__all__ = ["PROJECTION_KIND", "POOLINGS", "projection_examples", "pooled_layer_states", "layer_states", "pca_2d",
           "AttackProjection", "attack_projection", "projection_run_id", "cached_projection", "ensure_projection"]
