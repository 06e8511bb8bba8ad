"""Cached runs: the dense fine-tuned model and the pruned models derived from it.

Each function looks the run up in the store first and computes only what is missing.
The CLI, the dashboard's worker and user code all call these.
"""

from __future__ import annotations

import hashlib
import random
import time
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd
from safetensors.torch import load_file, save_file

from robustprune.data import TaskData, load_task_data
from robustprune.device import describe_device, resolve_device
from robustprune.errors import RobustPruneError
from robustprune.evaluate import accuracy, evaluate
from robustprune.finetune import FinetuneConfig, FinetuneResult, finetune
from robustprune.hashing import file_sha256
from robustprune.models import MODELS, adapter, load_classifier
from robustprune.progress import Progress, silent
from robustprune.prune import METHODS, PruneConfig, solver_key
from robustprune.prune.engine import prune_model
from robustprune.prune.results import PruneResult
from robustprune.store import RunStore, run_id_for

# Bump when a change alters results, so that old cached runs are not served as new ones.
FINETUNE_VERSION = 1
PRUNE_VERSION = 1


def determines_model(file: Path) -> bool:
    """Whether a file of a model folder can change the model: all but documentation and hidden files."""
    name = file.name
    return file.is_file() and not name.startswith(".") and not name.upper().startswith(("README", "LICENSE")) \
        and file.suffix.lower() != ".md"


def model_fingerprint(name: str) -> str:
    """What a run's key says about its model: a registered name or hub id stands for itself, a local model
    folder for the content of its files.

    Every top-level file of the folder counts (weights in any format: safetensors, .bin, .pt, shards and
    their index; config.json; the tokenizer's files) but documentation and hidden files, by SHA-256 (once per
    file version in a process): replacing the weights or editing the config gives new runs, touching a file
    does not.
    """
    path = Path(name)
    if name not in MODELS and path.is_dir():
        lines = [f"{file.name}:{file_sha256(file)}" for file in sorted(path.iterdir()) if determines_model(file)]
        return f"local-model:{hashlib.sha256(chr(10).join(lines).encode()).hexdigest()}"
    return name


@contextmanager
def run_lock(store: RunStore, run_id: str, progress: Progress = silent):
    """Hold ``run_id``'s lock (``RunStore.lock``) around looking it up, computing and writing it; while another
    process holds it (computing the same run), say so and wait, then find its run in the cache."""
    from filelock import Timeout

    lock = store.lock(run_id)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        progress("waiting for another process computing this run", 0, 1)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def dense_key(model: str, data: TaskData, config: FinetuneConfig) -> dict:
    return {"model": model_fingerprint(model), "dataset": data.fingerprint,
            "finetune": config.to_dict(), "version": FINETUNE_VERSION}


def with_max_length(config: FinetuneConfig, data: TaskData) -> FinetuneConfig:
    return config if config.max_length is not None else replace(config, max_length=data.max_length)


def resolve_data(dataset: str | TaskData) -> TaskData:
    """A dataset name or path is loaded; loaded data (e.g. a file with custom columns) passes through."""
    return dataset if isinstance(dataset, TaskData) else load_task_data(dataset)


def ensure_dense(model: str = "minilm", dataset: str | TaskData = "rotten_tomatoes",
                 config: FinetuneConfig | None = None, device: str = "auto", store: RunStore | None = None,
                 progress: Progress = silent) -> FinetuneResult:
    """The fine-tuned dense model for (model, dataset): from the cache, or trained now."""
    store = store or RunStore()
    data = resolve_data(dataset)
    config = with_max_length(config or FinetuneConfig(), data)
    key = dense_key(model, data, config)
    with run_lock(store, run_id_for("finetune", key), progress):
        cached = store.get(run_id_for("finetune", key), verify=True)
        if cached is not None:
            return FinetuneResult(**{**cached.summary, "cached": True})
        torch_device = resolve_device(device)
        classifier, tokenizer = load_classifier(model, data.num_labels, data.label_names)
        classifier.to(torch_device)
        seconds = finetune(classifier, tokenizer, data.train["text"], data.train["label"], config,
                           config.max_length, progress)
        test_accuracy = accuracy(classifier, tokenizer, data.test["text"], data.test["label"], config.max_length,
                                 progress=progress)
        with store.write("finetune", key, model=model, dataset=data.name, method="dense") as run:
            classifier.save_pretrained(run.directory / "model", safe_serialization=True)
            tokenizer.save_pretrained(run.directory / "model")
            result = FinetuneResult(run_id="", model=model, dataset=data.name, accuracy=test_accuracy,
                                    train_examples=len(data.train), test_examples=len(data.test), seconds=seconds,
                                    device=describe_device(torch_device), config=config.to_dict())
            run.summary.update(asdict(result))
    result.run_id = run_id_for("finetune", key)
    return result


def load_dense(run_id: str, device: str = "auto", store: RunStore | None = None):
    """(model, tokenizer) of a cached fine-tuning run, on ``device``, in eval mode."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    record = (store or RunStore()).require(run_id, verify=True)
    folder = record.directory / "model"
    model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    return model.to(resolve_device(device)).eval(), tokenizer


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
    return {"dense": dense_run_id, "prune": config.to_dict(), "max_length": max_length, "version": PRUNE_VERSION,
            **solver_key(config)}


def read_prune_result(record) -> PruneResult:
    layers = pd.read_parquet(record.directory / "layers.parquet").to_dict("records")
    return PruneResult.from_dict({**record.summary, "layers": layers, "cached": True})


DENSE_STARTS = ("finetune", "soup")


def dense_start(start: str, model: str, data: TaskData, finetune_config: FinetuneConfig | None = None,
                soup_config=None, device: str = "auto", store: RunStore | None = None,
                progress: Progress = silent) -> FinetuneResult:
    """The dense model a pruning run starts from: one fine-tuned model, or the greedy soup of several.

    Without a ``soup_config`` the soup's candidates vary ``finetune_config`` (its base setting).
    """
    if start == "finetune":
        return ensure_dense(model, data, finetune_config, device, store, progress)
    if start == "soup":
        from robustprune.soup import SoupConfig, ensure_soup  # soup builds on this module

        soup_config = soup_config or SoupConfig(base=finetune_config or FinetuneConfig())
        return ensure_soup(model, data, soup_config, device, store, progress).as_dense()
    raise RobustPruneError(f"unknown dense start {start!r}; use one of {', '.join(DENSE_STARTS)}")


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
    return result


def load_pruned(run_id: str, device: str = "auto", store: RunStore | None = None):
    """(model, tokenizer) of a cached pruning run: its dense parent with the pruned weights."""
    store = store or RunStore()
    record = store.require(run_id, verify=True)
    if record.kind != "prune":
        raise RobustPruneError(f"run {run_id!r} is of kind '{record.kind}', not a pruning run")
    model, tokenizer = load_dense(record.parent, device, store)
    weights = load_file(str(record.directory / "weights.safetensors"), device=str(next(model.parameters()).device))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if unexpected:
        raise RobustPruneError(f"run {run_id!r} holds weights its dense model lacks: {unexpected[:3]}")
    return model.eval(), tokenizer


__all__ = ["ensure_dense", "load_dense", "prune", "load_pruned", "read_prune_result"]
