"""Attack a dense or pruned classifier with a TextAttack recipe and record what happened.

``run_attack`` attacks the sparse model when one is given (the dense one if the config's
``attack_target`` says so: the reverse direction), else the dense one, on the
first ``num_examples`` texts (an example the model already gets wrong is skipped and
still counts, as in TextAttack's ``Attacker``). It runs in two steps, so that the first
can be split into shards computed elsewhere:

1. the search (``search.py``): each example attacked from its own seed, several at once,
   giving plain ``SearchOutcome`` records;
2. ``finish_attack``: TextAttack's summary from those records, every original and perturbed
   text evaluated on both models (the transfer records), and for each successful example
   how far apart the two texts are in each model, layer by layer (``similarity``).

``evaluate_transfer`` puts the adversarial texts of a finished run to any further model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch

from robustprune.attack.records import (
    AttackExample,
    AttackResult,
    AttackSummary,
    LayerSimilarity,
    SearchOutcome,
    TransferExample,
    TransferSummary,
    WordSimilarity,
)
from robustprune.errors import RobustPruneError
from robustprune.evaluate import predict_logits
from robustprune.progress import Progress, silent

DENSE, SPARSE = "dense", "sparse"


@dataclass(frozen=True)
class AttackConfig:
    recipe: str = "textfooler"        # textfooler | bert-attack | textbugger
    num_examples: int = 100           # the first n texts are attacked
    seed: int = 765                   # TextAttack's default random_seed; example i is seeded from (seed, i)
    max_length: int = 128             # tokens the classifier (and BERT-Attack's masked LM) reads
    batch_size: int = 64              # texts per forward pass
    query_budget: int | None = None   # model queries per example; None = unlimited (TextAttack's default)
    word_vectors: str | None = None   # vectors file/folder or "wordnet"; None = TextAttack cache, else offline
                                      # counter-fitted GloVe (see recipes/parts.py)
    mlm_path: str | None = None       # BERT-Attack's masked LM directory; None = hub bert-base-uncased, else the
                                      # offline MiniLM head
    similarity: bool = True           # record per-layer and per-word similarities
    attack_target: str = SPARSE       # which model to attack when both are given: "sparse" or "dense"

    def for_data(self, data) -> "AttackConfig":
        """The attack as it runs on ``data`` (a TaskData): reading at least the tokens the model was fine-tuned and
        evaluated on (``data.max_length``: 256 for whole reviews), so that a document is attacked as the model
        reads it, not cut to its first 128 tokens. Sentence datasets (64) read 128 as before."""
        return self.reading(data.max_length)

    def reading(self, tokens: int | None) -> "AttackConfig":
        """The attack reading at least ``tokens`` tokens of each text (None: as it is)."""
        return self if tokens is None or tokens <= self.max_length else replace(self, max_length=tokens)

    def validate(self, available: int) -> None:
        from robustprune.attack.recipes import recipe_name

        recipe_name(self.recipe)
        if self.num_examples < 1:
            raise RobustPruneError(f"the number of texts to attack (num_examples; CLI -n) must be at least 1, got "
                                   f"{self.num_examples}")
        if available < 1:
            raise RobustPruneError("no texts to attack; pass a non-empty list of texts and labels")
        if self.max_length < 8 or self.batch_size < 1:
            raise RobustPruneError(f"max_length must be >= 8 and batch_size >= 1 (got {self.max_length}, "
                                   f"{self.batch_size})")
        if self.attack_target not in (DENSE, SPARSE):
            raise RobustPruneError(f"attack_target must be 'dense' or 'sparse', got {self.attack_target!r}")
        if self.query_budget is not None and self.query_budget < 1:
            raise RobustPruneError(f"the query budget (model queries per example; CLI --query-budget) must be at "
                                   f"least 1, or none for no limit; got {self.query_budget}")
        # resource paths are checked before any model is loaded or trained
        if (self.word_vectors is not None and self.word_vectors.strip().lower() != "wordnet"
                and not Path(self.word_vectors).expanduser().exists()):
            raise RobustPruneError(f"word vectors {self.word_vectors!r} do not exist; pass an existing vectors file "
                                   "or folder, 'wordnet' (WordNet synonyms), or leave it out (counter-fitted GloVe)")
        if self.mlm_path is not None and not Path(self.mlm_path).expanduser().is_dir():
            raise RobustPruneError(f"masked LM {self.mlm_path!r} is not a directory; pass a local masked-LM "
                                   "directory (e.g. a saved bert-base-uncased)")


def run_attack(dense_model, tokenizer, texts: list[str], labels: list[int], config: AttackConfig = AttackConfig(),
               *, sparse_model=None, progress: Progress = silent, concurrency: int | None = None) -> AttackResult:
    """Attack ``sparse_model`` if given (or ``dense_model`` if ``config.attack_target`` says "dense"),
    else ``dense_model``, on the first ``config.num_examples`` texts; record summary, examples, transfer to
    the other model, similarity. ``concurrency`` searches run side by side (``search.py``); the result does
    not depend on it."""
    from robustprune.attack.search import search_examples

    check_texts(texts, labels, config)
    attacked_name = attacked_model_name(config, sparse_model)
    attacked_model = sparse_model if attacked_name == SPARSE else dense_model
    count = min(config.num_examples, len(texts))
    search = search_examples(attacked_model, tokenizer, texts, labels, list(range(count)), config,
                             concurrency, progress)
    return finish_attack(search.outcomes, dense_model, tokenizer, config, sparse_model=sparse_model,
                         recipe=search.recipe, recipe_label=search.recipe_label,
                         substitutions=search.substitutions, wall_seconds=search.wall_seconds,
                         queries_computed=search.queries_computed, queries_cached=search.queries_cached,
                         device=search.device, parts=search.parts, progress=progress)


def check_texts(texts: list[str], labels: list[int], config: AttackConfig) -> None:
    if len(texts) != len(labels):
        raise RobustPruneError(f"{len(texts)} texts but {len(labels)} labels; pass one label per text")
    config.validate(len(texts))


def attacked_model_name(config: AttackConfig, sparse_model) -> str:
    """Which model the search attacks: the sparse one when there is one (unless the config says dense)."""
    return SPARSE if sparse_model is not None and config.attack_target == SPARSE else DENSE


def finish_attack(outcomes: list[SearchOutcome], dense_model, tokenizer, config: AttackConfig, *,
                  sparse_model=None, recipe: str, recipe_label: str, substitutions: dict[str, str],
                  wall_seconds: float, queries_computed: int, queries_cached: int, device: str,
                  parts: dict[str, str] | None = None, progress: Progress = silent) -> AttackResult:
    """From the search's outcomes (in example order, one shard or several merged) to the recorded result:
    TextAttack's summary, every example with both models' predictions, transfer, similarity."""
    attacked_name = attacked_model_name(config, sparse_model)
    summary = summarize(outcomes, recipe=recipe, recipe_label=recipe_label, substitutions=substitutions,
                        attacked_model=attacked_name, wall_seconds=wall_seconds, queries_computed=queries_computed,
                        queries_cached=queries_cached, seed=config.seed, max_length=config.max_length, device=device,
                        parts=parts)
    examples = [_example(outcome) for outcome in outcomes]
    models = {DENSE: dense_model} if sparse_model is None else {DENSE: dense_model, SPARSE: sparse_model}
    for name, model in models.items():
        _fill_predictions(examples, name, model, tokenizer, config, progress)
    result = AttackResult(summary=summary, examples=examples)
    if sparse_model is not None:
        other = DENSE if attacked_name == SPARSE else SPARSE
        triples = [(e.label, getattr(e, f"{other}_label_original"), getattr(e, f"{other}_label_perturbed"))
                   for e in examples if e.result == "succeeded"]
        result.transfers.append(_transfer_summary(attacked_name, other, triples))
    if config.similarity:
        _similarities(result, outcomes, models, tokenizer, config, progress)
    return result


def evaluate_transfer(result: AttackResult, model, tokenizer, target: str, max_length: int | None = None,
                      batch_size: int = 64, progress: Progress = silent) -> TransferSummary:
    """Put ``result``'s successful adversarial texts to ``model``; adds rows and a summary to ``result``."""
    adversarial = [example for example in result.examples if example.result == "succeeded"]
    max_length = max_length or result.summary.max_length
    rows = []
    if adversarial:
        original = _labels_confidences(model, tokenizer, [e.original_text for e in adversarial], max_length, batch_size,
                                       progress)
        perturbed = _labels_confidences(model, tokenizer, [e.perturbed_text for e in adversarial], max_length,
                                        batch_size, progress)
        rows = [TransferExample(e.index, target, e.label, *original[k], *perturbed[k])
                for k, e in enumerate(adversarial)]
    summary = _transfer_summary(result.summary.attacked_model, target,
                                [(row.label, row.label_original, row.label_perturbed) for row in rows])
    result.transfer_examples.extend(rows)
    result.transfers.append(summary)
    return summary


# ---------------------------------------------------------------------------- helpers

def _percent(value: float) -> float:
    """TextAttack's metrics round percentages to two decimals; the summary keeps fractions of those."""
    return round(float(value), 2) / 100


def summarize(outcomes: list[SearchOutcome], *, recipe: str, recipe_label: str, substitutions: dict[str, str],
              attacked_model: str, wall_seconds: float, queries_computed: int, queries_cached: int, seed: int,
              max_length: int, device: str, parts: dict[str, str] | None = None) -> AttackSummary:
    """TextAttack's ``AttackSuccessRate``, ``WordsPerturbed`` and ``AttackQueries`` from plain outcomes,
    formula for formula (percentages rounded to two decimals, as TextAttack prints them)."""
    import numpy as np

    total = len(outcomes)
    succeeded = sum(outcome.result == "succeeded" for outcome in outcomes)
    failed = sum(outcome.result == "failed" for outcome in outcomes)
    skipped = total - succeeded - failed
    perturbed = np.array([100.0 * o.num_words_changed / o.num_words for o in outcomes
                          if o.result == "succeeded" and o.num_words > 0 and o.num_words_changed > 0])
    queries = np.array([o.num_queries for o in outcomes if o.result != "skipped"])
    return AttackSummary(
        recipe=recipe, recipe_label=recipe_label, substitutions=dict(substitutions), parts=dict(parts or {}),
        attacked_model=attacked_model,
        num_examples=total, successful_attacks=succeeded, failed_attacks=failed, skipped_attacks=skipped,
        clean_accuracy=_percent((total - skipped) * 100.0 / total) if total else 0.0,
        accuracy_under_attack=_percent(failed * 100.0 / total) if total else 0.0,
        attack_success_rate=_percent(succeeded * 100.0 / (succeeded + failed)) if succeeded + failed else 0.0,
        avg_perturbed_word_percent=round(float(perturbed.mean()), 2) if len(perturbed) else 0.0,
        avg_num_words=round(float(np.mean([o.num_words for o in outcomes])), 2) if total else 0.0,
        avg_num_queries=round(float(queries.mean()), 2) if len(queries) else 0.0,
        wall_seconds=wall_seconds, queries_computed=queries_computed, queries_cached=queries_cached,
        seed=seed, max_length=max_length, device=device)


def _example(outcome: SearchOutcome) -> AttackExample:
    return AttackExample(index=outcome.index, label=outcome.label, result=outcome.result,
                         original_text=outcome.original_text, perturbed_text=outcome.perturbed_text,
                         changed_word_indices=list(outcome.changed_word_indices), num_queries=outcome.num_queries,
                         dense_label_original=-1, dense_confidence_original=0.0,
                         dense_label_perturbed=-1, dense_confidence_perturbed=0.0)


def _labels_confidences(model, tokenizer, texts, max_length, batch_size, progress) -> list[tuple[int, float]]:
    probabilities = torch.softmax(predict_logits(model, tokenizer, texts, max_length, batch_size, progress, "transfer"),
                                  dim=1)
    confidence, label = probabilities.max(dim=1)
    return list(zip(label.tolist(), confidence.tolist()))


def _fill_predictions(examples, name, model, tokenizer, config, progress) -> None:
    texts = [e.original_text for e in examples] + [e.perturbed_text for e in examples]
    predictions = _labels_confidences(model, tokenizer, texts, config.max_length, config.batch_size, progress)
    for k, example in enumerate(examples):
        (label_original, confidence_original), (label_perturbed, confidence_perturbed) = (
            predictions[k], predictions[len(examples) + k])
        setattr(example, f"{name}_label_original", label_original)
        setattr(example, f"{name}_confidence_original", confidence_original)
        setattr(example, f"{name}_label_perturbed", label_perturbed)
        setattr(example, f"{name}_confidence_perturbed", confidence_perturbed)


def _transfer_summary(source: str, target: str, triples: list[tuple[int, int, int]]) -> TransferSummary:
    """From (true label, target's label on the original, target's label on the adversarial text)."""
    correct = [(label, adversarial) for label, original, adversarial in triples if original == label]
    transferred = sum(adversarial != label for label, adversarial in correct)
    return TransferSummary(
        source=source, target=target, num_adversarial=len(triples), target_correct_on_original=len(correct),
        transferred=transferred, transfer_rate=transferred / len(correct) if correct else 0.0,
        target_accuracy_on_adversarial=(sum(adversarial == label for label, _, adversarial in triples) / len(triples)
                                        if triples else 0.0))


def _similarities(outcome: AttackResult, outcomes: list[SearchOutcome], models: dict, tokenizer, config,
                  progress) -> None:
    from robustprune.attack.similarity import layer_cosines, word_cosines

    succeeded = [o for o in outcomes if o.result == "succeeded"]
    if not succeeded:
        return
    originals = [o.original_text for o in succeeded]
    perturbed = [o.perturbed_text for o in succeeded]
    pairs = [(o.index, (original, replacement)) for o in succeeded for original, replacement in o.changed_word_pairs]
    for step, (name, model) in enumerate(models.items(), 1):
        cosine_mean, cosine_cls = layer_cosines(model, tokenizer, originals, perturbed, config.max_length,
                                                config.batch_size)
        for row, o in enumerate(succeeded):
            outcome.layer_similarities.extend(
                LayerSimilarity(o.index, name, layer, float(cosine_mean[row, layer]), float(cosine_cls[row, layer]))
                for layer in range(cosine_mean.shape[1]))
        cosines = word_cosines(model, tokenizer, [pair for _, pair in pairs])
        outcome.word_similarities.extend(
            WordSimilarity(index, name, original, replacement, cosine)
            for (index, (original, replacement)), cosine in zip(pairs, cosines))
        progress("similarity", step, len(models))
