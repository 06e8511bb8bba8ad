"""Cached attack runs: a recipe against the dense model or a pruned run, kept in the run store.

The attack of a pruned run loads its dense parent too, so every example records dense
and sparse predictions side by side, and the adversarial texts transfer both ways.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from robustprune.attack.records import AttackResult
from robustprune.attack.run import AttackConfig, run_attack
from robustprune.data import TaskData, load_task_data
from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.pipeline import ensure_dense, load_dense, load_pruned, run_lock
from robustprune.progress import Progress, silent
from robustprune.store import RunStore, run_id_for

ATTACK_VERSION = 2  # 2: every example seeded from (seed, index)
DENSE_TARGET = "dense"


@dataclass
class AttackRun:
    run_id: str
    target_run_id: str  # the attacked run: a fine-tune (dense) or a pruning run
    dense_run_id: str
    model: str
    dataset: str
    method: str  # "dense" or the pruning method
    sparsity: float
    result: AttackResult
    cached: bool = False

    def to_dict(self) -> dict:
        """The CLI's JSON: the summary's fields flat, then the examples."""
        summary = self.result.summary
        recorded = self.result.to_dict()  # serialise the (large) result once
        return {"run_id": self.run_id, "target_run_id": self.target_run_id, "dense_run_id": self.dense_run_id,
                "model": self.model, "dataset": self.dataset, "method": self.method, "sparsity": self.sparsity,
                "recipe": summary.recipe, "resources": summary.recipe_label, "n": summary.num_examples,
                "clean_accuracy": summary.clean_accuracy, "accuracy_under_attack": summary.accuracy_under_attack,
                "attack_success_rate": summary.attack_success_rate, "avg_queries": summary.avg_num_queries,
                "avg_perturbed_words": summary.avg_perturbed_word_percent, "seconds": summary.wall_seconds,
                "summary": recorded["summary"], "transfers": recorded["transfers"],
                "examples": [example_record(example) for example in self.result.examples], "cached": self.cached}


def example_record(example) -> dict:
    return {"index": example.index, "original": example.original_text, "perturbed": example.perturbed_text,
            "changed_words": example.changed_word_indices, "label": example.label, "result": example.result,
            "queries": example.num_queries,
            "dense": {"original": [example.dense_label_original, example.dense_confidence_original],
                      "perturbed": [example.dense_label_perturbed, example.dense_confidence_perturbed]},
            "sparse": {"original": [example.sparse_label_original, example.sparse_confidence_original],
                       "perturbed": [example.sparse_label_perturbed, example.sparse_confidence_perturbed]}}


def attack_target_models(target: str, model: str, data: TaskData, store: RunStore, device: str, progress: Progress,
                         finetune_config: FinetuneConfig | None = None):
    """(dense run id, method, sparsity, dense model, sparse model or None, tokenizer) for ``target``."""
    if target == DENSE_TARGET:
        dense = ensure_dense(model, data, finetune_config, device, store, progress)
        dense_model, tokenizer = load_dense(dense.run_id, device, store)
        return dense.run_id, "dense", 0.0, dense_model, None, tokenizer
    record = store.require(target)
    if record.kind == "prune":
        sparse_model, tokenizer = load_pruned(target, device, store)
        sparsity = record.summary["sparsity"]
    elif record.kind == "structured":
        from robustprune.structured.runs import load_structured_run

        sparse_model, tokenizer = load_structured_run(target, device, store)
        sparsity = 1 - record.summary["flops_ratio"]  # the fraction of FLOPs removed
    else:
        raise RobustPruneError(f"run {target!r} is a {record.kind} run; attack --dense or a pruning run")
    dense_model, _ = load_dense(record.parent, device, store)
    return record.parent, record.method, sparsity, dense_model, sparse_model, tokenizer


def run_data(target: str, dataset: str | TaskData, store: RunStore) -> TaskData:
    """The attacked texts: the dataset a pruning run was made on, unless one is given."""
    if isinstance(dataset, TaskData):
        return dataset
    if target != DENSE_TARGET and dataset is None:
        dataset = store.require(target).dataset
        if dataset.startswith("file:"):
            raise RobustPruneError(f"run {target!r} was made on a local file ({dataset}); pass it again with --dataset")
    return load_task_data(dataset or "rotten_tomatoes")


def attack(target: str, config: AttackConfig, model: str = "minilm", dataset: str | TaskData | None = None,
           device: str = "auto", store: RunStore | None = None, progress: Progress = silent,
           finetune_config: FinetuneConfig | None = None) -> AttackRun:
    """Attack the dense model (``target="dense"``) or a cached pruning run; cached by everything that matters."""
    store = store or RunStore()
    if target != DENSE_TARGET:
        store.require(target)
    data = run_data(target, dataset, store)
    config.validate(len(data.test))
    dense_run_id, method, sparsity, dense_model, sparse_model, tokenizer = attack_target_models(
        target, model, data, store, device, progress, finetune_config)
    target_run_id = dense_run_id if target == DENSE_TARGET else target
    key = {"target": target_run_id, "attack": asdict(config), "dataset": data.fingerprint, "version": ATTACK_VERSION}
    run_id = run_id_for("attack", key)
    with run_lock(store, run_id, progress):
        cached = store.get(run_id, verify=True)
        if cached is not None:
            return AttackRun(**{name: cached.summary[name] for name in ("run_id", "target_run_id", "dense_run_id",
                                                                        "model", "dataset", "method", "sparsity")},
                             result=AttackResult.load(cached.directory / "attack"), cached=True)
        result = run_attack(dense_model, tokenizer, data.test["text"], data.test["label"], config,
                            sparse_model=sparse_model, progress=progress)
        model_name = store.require(dense_run_id).model
        run = AttackRun(run_id, target_run_id, dense_run_id, model_name, data.name, method, sparsity, result)
        with store.write("attack", key, model=model_name, dataset=data.name, method=method,
                         parent=target_run_id) as writer:
            result.save(writer.directory / "attack")
            writer.summary.update({name: value for name, value in run.to_dict().items() if name != "examples"})
    return run
