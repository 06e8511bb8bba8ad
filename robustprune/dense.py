"""The dense start's lowest layer: fine-tuned dense runs, their cache keys, and the per-run lock.

Everything that makes a run builds on this module (the soup, pruning, structured pruning,
attacks), and it builds on none of them.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path

from robustprune.data import TaskData, load_task_data
from robustprune.device import describe_device, resolve_device
from robustprune.evaluate import evaluate
from robustprune.finetune import FinetuneConfig, FinetuneResult, finetune
from robustprune.hashing import file_sha256
from robustprune.models import MODELS, load_classifier
from robustprune.progress import Progress, silent
from robustprune.store import RunStore, run_id_for

# Bump when a change alters results, so that old cached runs are not served as new ones.
FINETUNE_VERSION = 1


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
        on_test = evaluate(classifier, tokenizer, data.test["text"], data.test["label"], config.max_length,
                           progress=progress)
        with store.write("finetune", key, model=model, dataset=data.name, method="dense") as run:
            classifier.save_pretrained(run.directory / "model", safe_serialization=True)
            tokenizer.save_pretrained(run.directory / "model")
            result = FinetuneResult(run_id="", model=model, dataset=data.name, accuracy=on_test.accuracy,
                                    train_examples=len(data.train), test_examples=len(data.test), seconds=seconds,
                                    device=describe_device(torch_device), config=config.to_dict(),
                                    test_prediction_counts=on_test.prediction_counts,
                                    test_label_counts=on_test.label_counts)
            run.summary.update(asdict(result))
    result.run_id = run_id_for("finetune", key)
    return result


__all__ = ["FINETUNE_VERSION", "model_fingerprint", "run_lock", "dense_key", "with_max_length", "resolve_data",
           "ensure_dense"]
