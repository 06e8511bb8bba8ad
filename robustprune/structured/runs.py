"""Cached structured pruning runs (K-prune, structured magnitude) of a dense fine-tuned model.

The pruned model is physically smaller; it is saved with ``save_pretrained`` in the run's
folder and reloaded with ``load_structured_run``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass


from robustprune.data import TaskData
from robustprune.device import describe_device, resolve_device
from robustprune.errors import RobustPruneError
from robustprune.evaluate import evaluate
from robustprune.finetune import FinetuneConfig
from robustprune.dense import resolve_data, run_lock
from robustprune.loading import load_dense, load_structured_run  # noqa: F401  (its home before)
from robustprune.progress import Progress, silent
from robustprune.prune.results import collapse_of
from robustprune.soup import dense_start
from robustprune.store import RunStore, run_id_for
from robustprune.structured import METHODS, KPruneConfig, kprune, structured_magnitude
from robustprune.structured.results import StructuredResult

STRUCTURED_VERSION = 1


@dataclass
class StructuredRun:
    run_id: str
    model: str
    dataset: str
    method: str
    accuracy_dense: float
    accuracy_sparse: float  # of the pruned model; the name matches unstructured runs
    prune_seconds: float
    dense_run_id: str
    device: str
    result: StructuredResult
    cached: bool = False
    dense_start: str = "finetune"  # or "soup"
    test_prediction_counts: list[int] | None = None  # per class, on the test split (None: runs made before)
    test_label_counts: list[int] | None = None

    @property
    def collapse(self):
        return collapse_of(self.test_prediction_counts, self.test_label_counts, self.accuracy_sparse)

    def to_dict(self) -> dict:
        """Flat, like an unstructured run's JSON, plus the structured result's fields and the collapse check."""
        summary = {key: value for key, value in asdict(self).items() if key != "result"}
        check = self.collapse
        return {**self.result.to_dict(), **summary, "flops_ratio": self.result.flops_ratio,
                "collapsed": None if check is None else check.collapsed,
                "collapse_reason": None if check is None else check.reason}

    @classmethod
    def from_summary(cls, summary: dict, cached: bool) -> "StructuredRun":
        fields = {name: summary[name] for name in ("run_id", "model", "dataset", "method", "accuracy_dense",
                                                    "accuracy_sparse", "prune_seconds", "dense_run_id", "device")}
        result_fields = {name: summary[name] for name in StructuredResult.__dataclass_fields__}
        return cls(**fields, result=StructuredResult.from_dict(result_fields), cached=cached,
                   dense_start=summary.get("dense_start", "finetune"),
                   test_prediction_counts=summary.get("test_prediction_counts"),
                   test_label_counts=summary.get("test_label_counts"))


def structured_key(dense_run_id: str, method: str, config: KPruneConfig, max_length: int) -> dict:
    """Everything that determines a structured run (its cache key)."""
    return {"dense": dense_run_id, "method": method, "config": config.to_dict(), "max_length": max_length,
            "version": STRUCTURED_VERSION}


def prune_structured(method: str, config: KPruneConfig, model: str = "minilm",
                     dataset: str | TaskData = "rotten_tomatoes", device: str = "auto",
                     finetune_config: FinetuneConfig | None = None, store: RunStore | None = None,
                     progress: Progress = silent, dense: str = "finetune", soup_config=None) -> StructuredRun:
    """Remove ``config.flops_reduction`` of the dense model's FLOPs with ``method``; cached."""
    if method not in METHODS:
        raise RobustPruneError(f"unknown structured method {method!r}; use one of {', '.join(METHODS)}")
    if method == "structured-magnitude":  # data-free: only the budget matters
        config = KPruneConfig(flops_reduction=config.flops_reduction)
    store = store or RunStore()
    torch_device = resolve_device(device)
    data = resolve_data(dataset)
    dense_run = dense_start(dense, model, data, finetune_config, soup_config, device, store, progress)
    max_length = dense_run.config["max_length"]
    key = structured_key(dense_run.run_id, method, config, max_length)
    with run_lock(store, run_id_for("structured", key), progress):
        cached = store.get(run_id_for("structured", key), verify=True)
        if cached is not None:
            return StructuredRun.from_summary(cached.summary, cached=True)
        classifier, tokenizer = load_dense(dense_run.run_id, device, store)
        start = time.perf_counter()
        if method == "kprune":
            result = kprune(classifier, tokenizer, data.train["text"], config, max_length, progress)
        else:
            result = structured_magnitude(classifier, config.flops_reduction, max_length, progress)
        seconds = time.perf_counter() - start
        evaluation = evaluate(classifier, tokenizer, data.test["text"], data.test["label"], max_length,
                              progress=progress)
        run = StructuredRun(run_id_for("structured", key), model, data.name, method, dense_run.accuracy,
                            evaluation.accuracy, seconds, dense_run.run_id, describe_device(torch_device), result,
                            dense_start=dense, test_prediction_counts=evaluation.prediction_counts,
                            test_label_counts=evaluation.label_counts)
        with store.write("structured", key, model=model, dataset=data.name, method=method,
                         parent=dense_run.run_id) as writer:
            classifier.save_pretrained(writer.directory / "model", safe_serialization=True)
            tokenizer.save_pretrained(writer.directory / "model")
            writer.summary.update(run.to_dict())
    return run


__all__ = ["StructuredRun", "structured_key", "prune_structured", "load_structured_run"]
