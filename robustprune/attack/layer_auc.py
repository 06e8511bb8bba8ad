"""Which layers carry the robustness loss: where the pruned model's divergence from the dense one tells the
examples that flip the sparse model only from the others.

For an attack run on a pruned model, every attacked example x (succeeded or failed; a
skipped one was never attacked) gets, at every layer l (0 = embedding output, l = output of
encoder block l), the divergence of the two models on the same tokens:

    d_l(x) = 1 − (1/T) Σ_t cos(h_l^dense(x)_t, h_l^sparse(x)_t)      (T attended tokens)

on its perturbed text (the attack's final text) and on its original. With y(x) = 1 when the
sparse model's label changed and the dense model's did not ("flipped in sparse only"), the
per-layer ROC AUC (``sklearn.metrics.roc_auc_score``) is P(d_l(x⁺) > d_l(x⁻)), ties counted
half: 1 when the divergence at layer l ranks every sparse-only flip above every other
example, 0.5 when it carries no information, undefined (NaN) without both kinds. Beside it,
the pruning run's per-layer reconstruction error (``block_errors``), so that one figure shows
where pruning damaged the model and where the attacks get through.

``layer_flip_auc`` works on models in memory; ``ensure_layer_auc`` caches the result as a
run of kind ``"layer-auc"`` (parent: the attack run), which the worker computes as a job.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from robustprune.attack.derived import attack_models, derived_run, require_attack
from robustprune.attack.records import AttackExample, AttackResult
from robustprune.errors import RobustPruneError
from robustprune.evaluate import batched, tokenize
from robustprune.models.adapter import hidden_states
from robustprune.progress import Progress, silent
from robustprune.store import RunStore, run_id_for

LAYER_AUC_KIND = "layer-auc"
LAYER_AUC_VERSION = 1
ATTACKED = ("succeeded", "failed")


@torch.inference_mode()
def layer_divergences(dense_model, sparse_model, tokenizer, texts: list[str], max_length: int,
                      batch_size: int = 32) -> np.ndarray:
    """d_l(x) for every text and layer: (texts × layers + 1), padding excluded from the token mean."""
    rows = []
    for batch in batched(list(texts), batch_size):
        states = []
        for model in (dense_model, sparse_model):
            model.eval()
            inputs = tokenize(tokenizer, batch, max_length, next(model.parameters()).device)
            states.append([layer.float().cpu() for layer in hidden_states(model, inputs)])
        mask = tokenize(tokenizer, batch, max_length, torch.device("cpu"))["attention_mask"].float()
        per_layer = [((F.cosine_similarity(a, b, dim=-1).clamp(-1.0, 1.0) * mask).sum(1) / mask.sum(1))
                     for a, b in zip(*states)]
        rows.append(1.0 - torch.stack(per_layer, dim=1).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, 0))


def flipped_in_sparse_only(example: AttackExample) -> bool:
    return (example.sparse_label_original is not None
            and example.sparse_label_original != example.sparse_label_perturbed
            and example.dense_label_original == example.dense_label_perturbed)


def flip_auc_by_layer(divergence: np.ndarray, flipped: np.ndarray) -> list[float]:
    """ROC AUC of each layer's divergence (column) for the label ``flipped``; NaN without both classes."""
    from sklearn.metrics import roc_auc_score

    flipped = np.asarray(flipped, dtype=bool)
    if divergence.ndim != 2 or len(divergence) != len(flipped):
        raise RobustPruneError(f"divergence must be (examples × layers) with one flag per example; got "
                               f"{divergence.shape} and {len(flipped)} flags")
    if flipped.all() or not flipped.any():
        return [math.nan] * divergence.shape[1]
    return [float(roc_auc_score(flipped, divergence[:, layer])) for layer in range(divergence.shape[1])]


def flip_auc_intervals(divergence: np.ndarray, flipped: np.ndarray, level: float = 0.95
                       ) -> tuple[list[float], list[float]]:
    """Per layer, DeLong's confidence interval for the AUC (DeLong, DeLong & Clarke-Pearson 1988; with midranks as
    in Sun & Xu 2014): the AUC's variance is S10/m + S01/n, where S10 is the sample variance over the m flipped
    examples of the share of other examples each one outranks (ties half), and S01 the same over the n others, of
    the share of flipped examples that outrank it. Normal, clipped to [0, 1]; NaN with fewer than two of either.
    A layer that separates the two perfectly has variance 0: its interval is the point, however few examples."""
    from scipy.stats import norm, rankdata

    flipped = np.asarray(flipped, dtype=bool)
    m, n = int(flipped.sum()), int((~flipped).sum())
    if m < 2 or n < 2:
        return [math.nan] * divergence.shape[1], [math.nan] * divergence.shape[1]
    z = norm.ppf(0.5 + level / 2)
    lows, highs = [], []
    for layer in range(divergence.shape[1]):
        positives, negatives = divergence[flipped, layer], divergence[~flipped, layer]
        overall = rankdata(np.concatenate([positives, negatives]))
        outranked = (overall[:m] - rankdata(positives)) / n         # V10: others below each flipped example
        outranking = 1.0 - (overall[m:] - rankdata(negatives)) / m  # V01: flipped examples above each other one
        auc = float(outranked.mean())
        half_width = z * math.sqrt(outranked.var(ddof=1) / m + outranking.var(ddof=1) / n)
        lows.append(float(max(0.0, auc - half_width)))
        highs.append(float(min(1.0, auc + half_width)))
    return lows, highs


def flip_auc_p_values(divergence: np.ndarray, flipped: np.ndarray) -> list[float]:
    """Per layer, the two-sided p-value of the Mann–Whitney U test, the AUC's own test (U = AUC · m · n): how often
    a layer that carries no information would be as far from 0.5 (exact for small samples without ties). Not
    corrected for the number of layers tested. NaN without both kinds of example."""
    from scipy.stats import mannwhitneyu

    flipped = np.asarray(flipped, dtype=bool)
    if flipped.all() or not flipped.any():
        return [math.nan] * divergence.shape[1]
    return [float(mannwhitneyu(divergence[flipped, layer], divergence[~flipped, layer],
                               alternative="two-sided").pvalue) for layer in range(divergence.shape[1])]


@dataclass
class BlockErrors:
    """A pruning run's reconstruction error per encoder block (block b = layer b + 1), and which error it is."""

    measure: str
    values: dict[int, float]


def block_errors(store: RunStore, run_id: str) -> BlockErrors | None:
    """The error at the output of each block: an unstructured run's end-to-end error of the FFN output Linear,
    a structured run's FFN sub-layer error after tuning; None for a dense run."""
    record = store.get(run_id, verify=True)
    if record is None:
        return None
    if record.kind == "prune":
        import pandas as pd

        layers = pd.read_parquet(record.directory / "layers.parquet")
        last = layers[layers["sublayer"] == "ffn_out"]
        return BlockErrors("end-to-end reconstruction error at the block's output (FFN out)",
                           {int(row.block): float(row.reconstruction_error_e2e) for row in last.itertuples()})
    if record.kind == "structured":
        sublayers = [row for row in record.summary.get("sublayers", []) if row["kind"] == "ffn"]
        return BlockErrors("FFN sub-layer reconstruction error after K-prune's tuning",
                           {int(row["layer"]): float(row["reconstruction_error_tuned"]) for row in sublayers})
    return None


@dataclass
class LayerFlipAUC:
    """Per layer: the AUC of the dense–sparse divergence for the sparse-only flips, on both texts."""

    attack_run_id: str
    target_run_id: str
    layers: list[int]
    auc_perturbed: list[float]
    auc_original: list[float]
    positives: int                     # attacked examples that flipped the sparse model only
    negatives: int                     # the other attacked examples
    examples: list[int] = field(default_factory=list)
    divergence_perturbed: list[list[float]] = field(default_factory=list)  # examples × layers
    divergence_original: list[list[float]] = field(default_factory=list)
    flipped: list[bool] = field(default_factory=list)
    error_measure: str | None = None
    block_error: dict[int, float] = field(default_factory=dict)  # block -> error; layer l is block l - 1
    seconds: float = 0.0
    run_id: str = ""

    def divergence(self, side: str = "perturbed") -> np.ndarray:
        """d_l(x) on the ``side`` ("perturbed" or "original") texts: examples × layers."""
        values = self.divergence_perturbed if side == "perturbed" else self.divergence_original
        return np.asarray(values, dtype=float).reshape(len(self.examples), len(self.layers))

    def layer_rows(self, level: float = 0.95) -> list[dict]:
        """One row per layer: both AUCs, with DeLong's ``level`` interval and the Mann–Whitney p-value of each
        (``flip_auc_intervals``, ``flip_auc_p_values``), the mean divergence of each class on the adversarial
        texts, and the run's error at that layer."""
        flipped = np.asarray(self.flipped, dtype=bool)
        columns = {}
        for side in ("perturbed", "original"):
            divergence = self.divergence(side)
            columns[f"auc_{side}_low"], columns[f"auc_{side}_high"] = flip_auc_intervals(divergence, flipped, level)
            columns[f"p_{side}"] = flip_auc_p_values(divergence, flipped)
        perturbed = self.divergence("perturbed")
        rows = []
        for position, layer in enumerate(self.layers):
            column = perturbed[:, position]
            rows.append({"layer": layer, "auc_perturbed": self.auc_perturbed[position],
                         "auc_original": self.auc_original[position],
                         **{name: values[position] for name, values in columns.items()},
                         "divergence_flipped": float(column[flipped].mean()) if flipped.any() else math.nan,
                         "divergence_others": float(column[~flipped].mean()) if (~flipped).any() else math.nan,
                         "reconstruction_error": self.block_error.get(layer - 1, math.nan)})
        return rows

    def save(self, directory: str | Path) -> None:
        import pandas as pd

        directory = Path(directory)
        head = {name: value for name, value in asdict(self).items()
                if name not in ("divergence_perturbed", "divergence_original", "run_id")}
        head["block_error"] = {str(block): value for block, value in self.block_error.items()}
        (directory / "layer_auc.json").write_text(json.dumps(head, indent=2), encoding="utf-8")
        rows = [{"index": index, "side": side, "layer": layer, "divergence": values[row][position],
                 "flipped_sparse_only": self.flipped[row]}
                for side, values in (("perturbed", self.divergence_perturbed), ("original", self.divergence_original))
                for row, index in enumerate(self.examples) for position, layer in enumerate(self.layers)]
        pd.DataFrame(rows, columns=["index", "side", "layer", "divergence", "flipped_sparse_only"]
                     ).to_parquet(directory / "divergences.parquet")

    @classmethod
    def load(cls, directory: str | Path, run_id: str = "") -> "LayerFlipAUC":
        import pandas as pd

        directory = Path(directory)
        head = json.loads((directory / "layer_auc.json").read_text(encoding="utf-8"))
        head["block_error"] = {int(block): value for block, value in head["block_error"].items()}
        frame = pd.read_parquet(directory / "divergences.parquet")
        matrices = {}
        for side in ("perturbed", "original"):
            part = frame[frame["side"] == side].pivot(index="index", columns="layer", values="divergence")
            matrices[side] = part.reindex(index=head["examples"], columns=head["layers"]).to_numpy().tolist()
        return cls(**head, divergence_perturbed=matrices["perturbed"], divergence_original=matrices["original"],
                   run_id=run_id)


def layer_flip_auc(result: AttackResult, dense_model, sparse_model, tokenizer, max_length: int | None = None,
                   batch_size: int = 32, attack_run_id: str = "", target_run_id: str = "") -> LayerFlipAUC:
    """The per-layer AUC for an attack result and the two models it compared (see the module docstring)."""
    examples = [example for example in result.examples if example.result in ATTACKED]
    if any(example.sparse_label_original is None for example in examples):
        raise RobustPruneError("this attack run has no sparse model's predictions; the per-layer AUC compares a "
                               "pruned model with its dense parent (attack a pruning run)")
    max_length = max_length or result.summary.max_length
    flipped = np.array([flipped_in_sparse_only(example) for example in examples], dtype=bool)
    perturbed = layer_divergences(dense_model, sparse_model, tokenizer, [e.perturbed_text for e in examples],
                                  max_length, batch_size)
    original = layer_divergences(dense_model, sparse_model, tokenizer, [e.original_text for e in examples],
                                 max_length, batch_size)
    layers = list(range(perturbed.shape[1] if len(examples) else 0))
    return LayerFlipAUC(attack_run_id, target_run_id, layers,
                        flip_auc_by_layer(perturbed, flipped) if layers else [],
                        flip_auc_by_layer(original, flipped) if layers else [],
                        int(flipped.sum()), int((~flipped).sum()), [example.index for example in examples],
                        perturbed.tolist(), original.tolist(), flipped.tolist())


def layer_auc_key(attack_run_id: str) -> dict:
    return {"attack": attack_run_id, "version": LAYER_AUC_VERSION}


def layer_auc_run_id(attack_run_id: str) -> str:
    return run_id_for(LAYER_AUC_KIND, layer_auc_key(attack_run_id))


def cached_layer_auc(store: RunStore, attack_run_id: str) -> LayerFlipAUC | None:
    record = store.get(layer_auc_run_id(attack_run_id), verify=True)
    return None if record is None else LayerFlipAUC.load(record.directory, record.run_id)


def ensure_layer_auc(attack_run_id: str, store: RunStore | None = None, device: str = "auto",
                     progress: Progress = silent) -> LayerFlipAUC:
    """The per-layer AUC of a cached attack run on a pruning run: from the cache, or computed now and cached."""
    store = store or RunStore()
    attack = require_attack(store, attack_run_id)
    cached = cached_layer_auc(store, attack_run_id)
    if cached is not None:
        return cached
    target = attack.summary["target_run_id"]
    if target == attack.summary["dense_run_id"]:
        raise RobustPruneError(f"attack run {attack_run_id} attacked the dense model; the per-layer AUC compares a "
                               "pruned model with its dense parent (pick an attack on a pruning run)")
    started = time.perf_counter()
    progress("layer-auc", 0, 2)
    models, tokenizer = attack_models(store, attack, device)
    progress("layer-auc", 1, 2)
    result = AttackResult.load(attack.directory / "attack")
    outcome = layer_flip_auc(result, models["dense"], models["sparse"], tokenizer, attack_run_id=attack_run_id,
                             target_run_id=target)
    errors = block_errors(store, target)
    if errors is not None:
        outcome.error_measure, outcome.block_error = errors.measure, errors.values
    outcome.seconds = time.perf_counter() - started
    key = layer_auc_key(attack_run_id)
    with derived_run(store, LAYER_AUC_KIND, key, attack) as writer:
        outcome.save(writer.directory)
        writer.summary.update({"attack_run_id": attack_run_id, "target_run_id": target,
                               "positives": outcome.positives, "negatives": outcome.negatives,
                               "seconds": outcome.seconds})
    progress("layer-auc", 2, 2)
    outcome.run_id = run_id_for(LAYER_AUC_KIND, key)
    return outcome


__all__ = ["LAYER_AUC_KIND", "layer_divergences", "flipped_in_sparse_only", "flip_auc_by_layer", "flip_auc_intervals",
           "flip_auc_p_values", "BlockErrors",
           "block_errors", "LayerFlipAUC", "layer_flip_auc", "layer_auc_run_id", "cached_layer_auc",
           "ensure_layer_auc"]
