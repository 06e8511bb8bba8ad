"""Cached runs: the dense fine-tuned model and the pruned models derived from it.

Each function looks the run up in the store first and computes only what is missing.
The CLI, the dashboard's worker and user code all call these.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict

import pandas as pd
from safetensors.torch import save_file

from robustprune.data import TaskData
# the dense layer below (dense.py, loading.py, soup.py); its names stay importable from here
from robustprune.dense import (FINETUNE_VERSION, dense_key, ensure_dense, model_fingerprint,  # noqa: F401
                               resolve_data, run_lock, with_max_length)
from robustprune.device import describe_device, resolve_device
from robustprune.errors import RobustPruneError
from robustprune.evaluate import evaluate
from robustprune.finetune import FinetuneConfig
from robustprune.loading import load_dense, load_pruned  # noqa: F401
from robustprune.models import adapter
from robustprune.progress import Progress, silent
from robustprune.prune import METHODS, PruneConfig, solver_key
from robustprune.prune.engine import prune_model
from robustprune.prune.results import PruneResult
from robustprune.soup import DENSE_STARTS, dense_start  # noqa: F401
from robustprune.store import RunStore, run_id_for

PRUNE_VERSION = 1  # bump when a change alters results, so that old cached runs are not served as new ones


def calibration_indices(data: TaskData, config: PruneConfig) -> list[int]:
    """Seeded training-split indices: the calibration texts, then the held-out ones."""
    needed = config.calibration + config.heldout
    if needed > len(data.train):
        raise RobustPruneError(
            f"calibration {config.calibration} + held-out {config.heldout} texts exceed the "
            f"{len(data.train)} training texts of {data.name}; ask for fewer")
    return random.Random(config.seed).sample(range(len(data.train)), needed)


def calibration_split(data: TaskData, config: PruneConfig) -> tuple[list[str], list[str]]:
    """Seeded calibration and held-out texts, disjoint, from the training split."""
    texts = data.train.select(calibration_indices(data, config))["text"]
    return texts[:config.calibration], texts[config.calibration:]


def prune_key(dense_run_id: str, config: PruneConfig, max_length: int) -> dict:
    """A pruning run's cache key. The OBS solve's version is not in it (it is in the run's summary, ``obs_solver``):
    the float32 solve (issue 27) minimises the same objective as the float64 one before it, to rounding (weights
    1e-7 to 2e-2 relative, 0.06 % of krp's FFN-out mask), and every run cached by an earlier version stays valid
    (issue 28): a run computed before it has no ``obs_solver`` (version 1, float64 statistics)."""
    return {"dense": dense_run_id, "prune": config.to_dict(), "max_length": max_length, "version": PRUNE_VERSION}


def read_prune_result(record) -> PruneResult:
    layers = pd.read_parquet(record.directory / "layers.parquet").to_dict("records")
    return PruneResult.from_dict({**record.summary, "layers": layers, "cached": True})


def prune(config: PruneConfig, model: str = "minilm", dataset: str | TaskData = "rotten_tomatoes", device: str = "auto",
          finetune_config: FinetuneConfig | None = None, store: RunStore | None = None,
          progress: Progress = silent, dense: str = "finetune", soup_config=None) -> PruneResult:
    """Prune the dense model of (model, dataset) with ``config.method``; cached by everything that matters.

    ``dense`` picks the start: "finetune" (one fine-tuned model) or "soup" (``robustprune.soup``).
    """
    if config.method not in METHODS:
        raise RobustPruneError(f"unknown pruning method {config.method!r}; use one of {', '.join(METHODS)}")
    store = store or RunStore()
    torch_device = resolve_device(device)
    data = resolve_data(dataset)
    dense_run = dense_start(dense, model, data, finetune_config, soup_config, device, store, progress)
    max_length = dense_run.config["max_length"]
    key = prune_key(dense_run.run_id, config, max_length)
    with run_lock(store, run_id_for("prune", key), progress):
        cached = store.get(run_id_for("prune", key), verify=True)
        if cached is not None:
            return read_prune_result(cached)
        calibration_texts, heldout_texts = calibration_split(data, config)
        adversarial = None
        if config.calibration_adversarial:  # robustness-aware calibration: attacks on the dense model first
            from robustprune.adversarial_calibration import adversarial_texts

            adversarial = adversarial_texts(dense_run.run_id, data, config, set(calibration_indices(data, config)),
                                            max_length, device, store, progress)
            calibration_texts = list(calibration_texts) + adversarial.texts
        classifier, tokenizer = load_dense(dense_run.run_id, device, store)
        start = time.perf_counter()
        layers = prune_model(classifier, tokenizer, calibration_texts, heldout_texts, METHODS[config.method],
                             config, max_length, progress)
        prune_seconds = time.perf_counter() - start
        evaluation = evaluate(classifier, tokenizer, data.test["text"], data.test["label"], max_length,
                              progress=progress)
        pruned_weights = {linear.name + ".weight": linear.module.weight.detach().cpu().contiguous()
                          for linear in adapter.prunable_linears(classifier)}
        zeros = sum(int((weight == 0).sum()) for weight in pruned_weights.values())
        total = sum(weight.numel() for weight in pruned_weights.values())
        if config.refit_head:  # the re-fitted (dense) head travels with the pruned weights
            pruned_weights |= {name: tensor.detach().cpu().contiguous()
                               for name, tensor in classifier.state_dict().items()
                               if name.startswith(adapter.head_prefixes(classifier))}
        result = PruneResult(
            run_id=run_id_for("prune", key), model=model, dataset=data.name, method=config.method,
            target_sparsity=config.target_sparsity, sparsity=zeros / total, accuracy_dense=dense_run.accuracy,
            accuracy_sparse=evaluation.accuracy, prune_seconds=prune_seconds, dense_run_id=dense_run.run_id,
            device=describe_device(torch_device), config=config.to_dict(), dense_parts=list(adapter.DENSE_PARTS),
            layers=layers, dense_start=dense, test_prediction_counts=evaluation.prediction_counts,
            test_label_counts=evaluation.label_counts,
            adversarial_calibration_texts=len(adversarial.texts) if adversarial else 0,
            adversarial_calibration_flipped=adversarial.succeeded if adversarial else 0,
            adversarial_attack_run_ids=adversarial.attack_run_ids if adversarial else [])
        with store.write("prune", key, model=model, dataset=data.name, method=config.method,
                         parent=dense_run.run_id) as run:
            save_file(pruned_weights, str(run.directory / "weights.safetensors"),
                      metadata={"dense_run_id": dense_run.run_id, "method": config.method})
            pd.DataFrame([asdict(layer) for layer in layers]).to_parquet(run.directory / "layers.parquet")
            run.summary.update({k: v for k, v in asdict(result).items() if k != "layers"})
            run.summary.update(solver_key(config))  # which OBS solve computed it (none: magnitude, Wanda)
    return result


__all__ = ["ensure_dense", "load_dense", "prune", "load_pruned", "read_prune_result"]
