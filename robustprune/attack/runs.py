"""Cached attack runs: a recipe against the dense model or a pruned run, kept in the run store.

The attack of a pruned run loads its dense parent too, so every example records dense
and sparse predictions side by side, and the adversarial texts transfer both ways.

What is attacked: the test split of the run's dataset, or any texts given as
``AttackTexts`` (``attack(..., texts=...)``, CLI ``--texts FILE``), against the chosen
model as it is (nothing is fine-tuned for them); such a run is cached by the texts'
content hash instead of the dataset's fingerprint.

The search can be split into shards of examples (``shard_size``), each cached as an
"attack-shard" run as it finishes, computed here or by other workers (``attack_shard``:
the sweep's Ray tasks), and merged into the one attack run an unsharded request gives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from robustprune.attack.records import AttackResult
from robustprune.attack.reuse import (cached_prefix, merged, read_outcomes, search_fields, search_run,
                                     write_outcomes)
from robustprune.attack.run import AttackConfig, attacked_model_name, finish_attack
from robustprune.attack.search import SearchRun, search_examples
from robustprune.attack.texts import AttackTexts, model_classes, resolve_labels, stored_classes
from robustprune.data import TaskData, load_task_data
from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.dense import ensure_dense, run_lock
from robustprune.loading import load_dense, load_pruned, load_structured_run
from robustprune.progress import Progress, silent
from robustprune.store import DENSE_KINDS, PRUNING_KINDS, RunRecord, RunStore, run_id_for

ATTACK_VERSION = 3  # 2: every example seeded from (seed, index); 3: NLTK's stopwords, a contextual tagger,
                    # counter-fitted candidates and an offline masked LM by default (issue 11)
DENSE_TARGET = "dense"
ATTACKABLE_KINDS = (*DENSE_KINDS, *PRUNING_KINDS)  # a dense model attacked as it is, a pruned one beside its parent
SHARD_KIND = "attack-shard"  # a cached part of an attack run's search, merged into the run when all are done


def texts_attack_key(target_run_id: str, config: AttackConfig, texts: AttackTexts, reads: int | None = None) -> dict:
    """The cache key of an attack on given texts: the texts' hash in place of the dataset fingerprint; ``reads``:
    the tokens the attacked model was fine-tuned on (``dense_max_length``), which the attack reads at least."""
    return {"target": target_run_id, "attack": asdict(config.reading(reads)), "texts": texts.content_hash,
            "version": ATTACK_VERSION}


def dense_max_length(dense_run_id: str, store: RunStore) -> int | None:
    """The tokens a cached dense run (a fine-tune or a soup) was fine-tuned and evaluated on; None if unknown."""
    record = store.get(dense_run_id)
    if record is None:
        return None
    return record.summary.get("max_length") or (record.summary.get("config") or {}).get("max_length")


def dense_of(record: RunRecord) -> str:
    """The dense run of an attacked run: the run itself (a fine-tune or a soup), or a pruning run's parent."""
    return record.run_id if record.kind in DENSE_KINDS else record.parent


def texts_reading(target_run_id: str, store: RunStore) -> int | None:
    """``dense_max_length`` of the attacked run's dense model."""
    record = store.get(target_run_id)
    return None if record is None else dense_max_length(dense_of(record), store)


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
                "recipe": summary.recipe, "resources": summary.recipe_label, "parts": summary.parts,
                "n": summary.num_examples,
                "clean_accuracy": summary.clean_accuracy, "accuracy_under_attack": summary.accuracy_under_attack,
                "attack_success_rate": summary.attack_success_rate, "avg_queries": summary.avg_num_queries,
                "avg_perturbed_words": summary.avg_perturbed_word_percent, "seconds": summary.wall_seconds,
                "summary": recorded["summary"], "transfers": recorded["transfers"],
                "examples": [example_record(example) for example in self.result.examples], "cached": self.cached}


def save_attack_run(store: RunStore, key: dict, run: AttackRun, search: SearchRun | None = None, **summary) -> None:
    """Write ``run`` to ``store`` under ``key``: its result in ``attack/``, the rest of its record (and ``summary``)
    as the run's summary, beside the run it attacked; with ``search``, its outcomes, which a longer attack starts
    from (``attack.reuse``)."""
    with store.write("attack", key, model=run.model, dataset=run.dataset, method=run.method,
                     parent=run.target_run_id) as writer:
        run.result.save(writer.directory / "attack")
        if search is not None:
            write_outcomes(writer.directory, search.outcomes)
            summary["search"] = search_fields(search)
        writer.summary.update({name: value for name, value in run.to_dict().items() if name != "examples"},
                              **summary)


def example_record(example) -> dict:
    return {"index": example.index, "original": example.original_text, "perturbed": example.perturbed_text,
            "changed_words": example.changed_word_indices, "label": example.label, "result": example.result,
            "queries": example.num_queries,
            "dense": {"original": [example.dense_label_original, example.dense_confidence_original],
                      "perturbed": [example.dense_label_perturbed, example.dense_confidence_perturbed]},
            "sparse": {"original": [example.sparse_label_original, example.sparse_confidence_original],
                       "perturbed": [example.sparse_label_perturbed, example.sparse_confidence_perturbed]}}


def target_run_ids(target: str, model: str, data: TaskData, store: RunStore, device: str, progress: Progress,
                   finetune_config: FinetuneConfig | None = None) -> tuple[str, str]:
    """(attacked run id, its dense run id) for ``target``: "dense" (the fine-tuned model, trained if needed), or
    the id of a cached dense run (a fine-tune or a soup) or pruning run; no model is loaded."""
    if target == DENSE_TARGET:
        dense_run_id = ensure_dense(model, data, finetune_config, device, store, progress).run_id
        return dense_run_id, dense_run_id
    record = store.require(target)
    if record.kind not in DENSE_KINDS + PRUNING_KINDS:
        raise RobustPruneError(f"run {target!r} is of kind '{record.kind}'; attack --dense, a dense run or a "
                               "pruning run")
    return target, dense_of(record)


def attack_target_models(target_run_id: str, dense_run_id: str, store: RunStore, device: str):
    """(method, sparsity, dense model, sparse model or None, tokenizer) of an attacked run."""
    if target_run_id == dense_run_id:
        dense_model, tokenizer = load_dense(dense_run_id, device, store)
        return "dense", 0.0, dense_model, None, tokenizer
    record = store.require(target_run_id)
    if record.kind == "prune":
        sparse_model, tokenizer = load_pruned(target_run_id, device, store)
        sparsity = record.summary["sparsity"]
    else:
        sparse_model, tokenizer = load_structured_run(target_run_id, device, store)
        sparsity = 1 - record.summary["flops_ratio"]  # the fraction of FLOPs removed
    dense_model, _ = load_dense(dense_run_id, device, store)
    return record.method, sparsity, dense_model, sparse_model, tokenizer


def run_data(target: str, dataset: str | TaskData, store: RunStore) -> TaskData:
    """The attacked texts: the dataset a pruning run was made on, unless one is given."""
    if isinstance(dataset, TaskData):
        return dataset
    if target != DENSE_TARGET and dataset is None:
        dataset = store.require(target).dataset
        if dataset.startswith("file:"):
            raise RobustPruneError(f"run {target!r} was made on a local file ({dataset}); pass it again with --dataset")
    return load_task_data(dataset or "rotten_tomatoes")


def attack_key(target_run_id: str, config: AttackConfig, data: TaskData) -> dict:
    return {"target": target_run_id, "attack": asdict(config.for_data(data)), "dataset": data.fingerprint,
            "version": ATTACK_VERSION}


def shard_ranges(count: int, shard_size: int | None) -> list[tuple[int, int]]:
    """[start, stop) ranges of the attacked examples: one shard of all of them, or shards of ``shard_size``."""
    if shard_size is None or shard_size >= count:
        return [(0, count)]
    if shard_size < 1:
        raise RobustPruneError(f"shard size must be at least 1 example, got {shard_size}")
    return [(start, min(start + shard_size, count)) for start in range(0, count, shard_size)]


def shard_key(key: dict, start: int, stop: int) -> dict:
    return {**key, "shard": [start, stop]}


def read_shard(record) -> SearchRun:
    """A cached shard: the search's outcomes of examples [start, stop) and what they cost."""
    return search_run(record.summary, read_outcomes(record.directory))


def write_shard(store: RunStore, key: dict, start: int, stop: int, search: SearchRun, parent: str) -> None:
    with store.write(SHARD_KIND, shard_key(key, start, stop), parent=parent) as writer:
        write_outcomes(writer.directory, search.outcomes)
        writer.summary.update({"start": start, "stop": stop, "attack_run_id": run_id_for("attack", key),
                               **search_fields(search)})


def attack(target: str, config: AttackConfig, model: str = "minilm", dataset: str | TaskData | None = None,
           device: str = "auto", store: RunStore | None = None, progress: Progress = silent,
           finetune_config: FinetuneConfig | None = None, texts: AttackTexts | None = None,
           shard_size: int | None = None, shards: list[tuple[int, int]] | None = None,
           concurrency: int | None = None) -> AttackRun | None:
    """Attack the dense model (``target="dense"``, or a dense run's id) or a cached pruning run; cached by
    everything that matters.

    Without ``texts`` the first ``config.num_examples`` test texts of the dataset are attacked; with ``texts``
    those (the first ``config.num_examples`` of them), against the model as it is, cached by their content hash.

    With ``shard_size`` the examples are searched in shards of that many, each cached as it finishes (a
    stopped run resumes from the last finished shard), then merged; ``shards`` limits the work to those
    [start, stop) ranges and returns None once they are cached (a worker's share of a run: ``attack_shard``).
    Either way the finished run is the one an unsharded request gives: same id, same examples.
    """
    store = store or RunStore()
    if target != DENSE_TARGET:
        store.require(target)
    if texts is not None:
        config.validate(len(texts.texts))
        data = run_data(target, dataset, store) if target == DENSE_TARGET else None  # only to find the dense model
        if texts.labels is not None:  # a label the model does not have fails before any model is loaded or trained
            resolve_labels(texts, data.label_names if data is not None else stored_classes(target, store))
        target_run_id, dense_run_id = target_run_ids(target, model, data, store, device, progress, finetune_config)
        config = config.reading(dense_max_length(dense_run_id, store))  # whole reviews: as the model reads them
        key, name, attacked_texts, labels = texts_attack_key(target_run_id, config, texts), texts.name, \
            list(texts.texts), None
    else:
        data = run_data(target, dataset, store)
        config = config.for_data(data)  # read as much of each text as the model does (whole reviews: 256 tokens)
        config.validate(len(data.test))
        target_run_id, dense_run_id = target_run_ids(target, model, data, store, device, progress, finetune_config)
        key, name, attacked_texts, labels = attack_key(target_run_id, config, data), data.name, data.test["text"], \
            data.test["label"]
    run_id = run_id_for("attack", key)
    with run_lock(store, run_id, progress):  # an identical request in another process waits, then reuses it
        cached = store.get(run_id, verify=True)
        if cached is not None:
            return None if shards is not None else load_attack_run(cached)
        method, sparsity, dense_model, sparse_model, tokenizer = attack_target_models(target_run_id, dense_run_id,
                                                                                      store, device)
        if labels is None:
            labels = resolve_labels(texts, model_classes(dense_model),
                                    _predicted(dense_model, tokenizer, texts, config))
        return _search_and_finish(key, run_id, config, store, progress, attacked_texts, labels, name, shard_size,
                                  shards, concurrency, (dense_run_id, target_run_id, method, sparsity, dense_model,
                                                        sparse_model, tokenizer))


def _predicted(dense_model, tokenizer, texts: AttackTexts, config: AttackConfig) -> list[int] | None:
    """The dense model's labels for texts that came without any (an attack then asks: can it be flipped?)."""
    if texts.labels is not None:
        return None
    from robustprune.evaluate import predict_logits

    # only the texts attacked: labelling every line of a large file would take hours on a CPU
    return predict_logits(dense_model, tokenizer, list(texts.texts[:config.num_examples]), config.max_length,
                          config.batch_size).argmax(dim=1).tolist()


def _search_and_finish(key, run_id, config, store, progress, texts, labels, dataset_name, shard_size, shards,
                       concurrency, models) -> AttackRun | None:
    dense_run_id, target_run_id, method, sparsity, dense_model, sparse_model, tokenizer = models
    count = min(config.num_examples, len(texts))
    wanted = shards if shards is not None else shard_ranges(count, shard_size)
    attacked = sparse_model if attacked_model_name(config, sparse_model) == "sparse" else dense_model
    prefix = cached_prefix(store, key, count)
    reused = prefix.count if prefix is not None else 0  # examples [0, reused) were searched by a shorter run
    searches = []
    for start, stop in wanted:
        shard = store.get(run_id_for(SHARD_KIND, shard_key(key, start, stop)))
        if shard is not None:
            searches.append(read_shard(shard))
            continue
        parts = [prefix.part(start, min(stop, reused))] if start < reused else []
        if stop > max(start, reused):
            parts.append(search_examples(attacked, tokenizer, texts, labels, list(range(max(start, reused), stop)),
                                         config, concurrency, progress))
        search = merged(parts)
        if shards is not None or (start, stop) != (0, count):  # an unsharded search is not worth a shard
            write_shard(store, key, start, stop, search, target_run_id)
        searches.append(search)
    if shards is not None:
        return None
    search = merged(searches)
    result = finish_attack(search.outcomes, dense_model, tokenizer, config, sparse_model=sparse_model,
                           recipe=search.recipe, recipe_label=search.recipe_label, substitutions=search.substitutions,
                           wall_seconds=search.wall_seconds, queries_computed=search.queries_computed,
                           queries_cached=search.queries_cached, device=search.device, parts=search.parts,
                           progress=progress)
    model_name = store.require(dense_run_id).model
    run = AttackRun(run_id, target_run_id, dense_run_id, model_name, dataset_name, method, sparsity, result)
    started_from = {"reused_from": prefix.run_id, "reused_examples": reused} if prefix is not None else {}
    save_attack_run(store, key, run, search, shards=len(wanted), **started_from)
    for start, stop in wanted:  # merged into the run: the shards are no longer needed
        shard_id = run_id_for(SHARD_KIND, shard_key(key, start, stop))
        if store.get(shard_id) is not None:
            store.delete(shard_id)
    return run


def attack_shard(target: str, config: AttackConfig, start: int, stop: int, **kwargs) -> None:
    """Search examples [start, stop) of an attack run and cache them as a shard (see ``attack``)."""
    attack(target, config, shards=[(start, stop)], **kwargs)


def load_attack_run(record) -> AttackRun:
    """A cached attack run as ``attack`` returns it."""
    summary = record.summary
    return AttackRun(**{name: summary[name] for name in ("run_id", "target_run_id", "dense_run_id", "model",
                                                         "dataset", "method", "sparsity")},
                     result=AttackResult.load(record.directory / "attack"), cached=True)
