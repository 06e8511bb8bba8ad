"""Attack a dense or pruned classifier with a TextAttack recipe and record what happened.

``run_attack`` attacks the sparse model when one is given (the dense one if the config's
``attack_target`` says so: the reverse direction), else the dense one, on the
first ``num_examples`` texts (an example the model already gets wrong is skipped and
still counts, as in TextAttack's ``Attacker``). It then evaluates every original and
perturbed text on both models (the transfer records), and for each successful example
measures how far apart the two texts are in each model, layer by layer (``similarity``).
``evaluate_transfer`` puts the adversarial texts of a finished run to any further model.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from robustprune.attack.records import (
    AttackExample,
    AttackResult,
    AttackSummary,
    LayerSimilarity,
    TransferExample,
    TransferSummary,
    WordSimilarity,
)
from robustprune.attack.seeding import seed_example
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

    def validate(self, available: int) -> None:
        from robustprune.attack.recipes import recipe_name

        recipe_name(self.recipe)
        if self.num_examples < 1:
            raise RobustPruneError(f"num_examples must be at least 1, got {self.num_examples}")
        if available < 1:
            raise RobustPruneError("no texts to attack; pass a non-empty list of texts and labels")
        if self.max_length < 8 or self.batch_size < 1:
            raise RobustPruneError(f"max_length must be >= 8 and batch_size >= 1 (got {self.max_length}, "
                                   f"{self.batch_size})")
        if self.attack_target not in (DENSE, SPARSE):
            raise RobustPruneError(f"attack_target must be 'dense' or 'sparse', got {self.attack_target!r}")
        if self.query_budget is not None and self.query_budget < 1:
            raise RobustPruneError(f"query_budget must be positive or None, got {self.query_budget}")
        # resource paths are checked before any model is loaded or trained
        if (self.word_vectors is not None and self.word_vectors.strip().lower() != "wordnet"
                and not Path(self.word_vectors).expanduser().exists()):
            raise RobustPruneError(f"word vectors {self.word_vectors!r} do not exist; pass an existing vectors file "
                                   "or folder, 'wordnet' (WordNet synonyms), or leave it out (counter-fitted GloVe)")
        if self.mlm_path is not None and not Path(self.mlm_path).expanduser().is_dir():
            raise RobustPruneError(f"masked LM {self.mlm_path!r} is not a directory; pass a local masked-LM "
                                   "directory (e.g. a saved bert-base-uncased)")


def run_attack(dense_model, tokenizer, texts: list[str], labels: list[int], config: AttackConfig = AttackConfig(),
               *, sparse_model=None, progress: Progress = silent) -> AttackResult:
    """Attack ``sparse_model`` if given (or ``dense_model`` if ``config.attack_target`` says "dense"),
    else ``dense_model``; record summary, examples, transfer to the other model, similarity."""
    if len(texts) != len(labels):
        raise RobustPruneError(f"{len(texts)} texts but {len(labels)} labels; pass one label per text")
    config.validate(len(texts))
    from robustprune.attack.recipes import build_recipe
    from robustprune.attack.recipes.parts import RecipeParts
    from robustprune.attack.resources import import_textattack
    from robustprune.attack.wrapper import CachedModelWrapper

    textattack = import_textattack()
    attacked_name = SPARSE if sparse_model is not None and config.attack_target == SPARSE else DENSE
    attacked_model = sparse_model if attacked_name == SPARSE else dense_model
    wrapper = CachedModelWrapper(attacked_model, tokenizer, config.max_length, config.batch_size)
    parts = RecipeParts(device=str(wrapper.device), max_length=config.max_length, word_vectors=config.word_vectors,
                        mlm_path=config.mlm_path, encoder_batch_size=config.batch_size)
    recipe = build_recipe(config.recipe, wrapper, parts)
    attack = recipe.attack
    attack.goal_function.batch_size = max(attack.goal_function.batch_size, config.batch_size)
    if config.query_budget is not None:
        attack.goal_function.query_budget = config.query_budget

    count = min(config.num_examples, len(texts))
    started = time.perf_counter()
    results = []
    for index in range(count):
        seed_example(config.seed, index)  # per example, not per run: see seeding.py
        results.append(attack.attack(textattack.shared.AttackedText(texts[index]), int(labels[index])))
        progress("attack", index + 1, count)
    wall_seconds = time.perf_counter() - started

    summary = _summary(results, recipe, attacked_name, wall_seconds, wrapper, config)
    examples = [_example(index, result, int(labels[index])) for index, result in enumerate(results)]
    models = {DENSE: dense_model} if sparse_model is None else {DENSE: dense_model, SPARSE: sparse_model}
    for name, model in models.items():
        _fill_predictions(examples, name, model, tokenizer, config, progress)
    outcome = AttackResult(summary=summary, examples=examples)
    if sparse_model is not None:
        other = DENSE if attacked_name == SPARSE else SPARSE
        triples = [(e.label, getattr(e, f"{other}_label_original"), getattr(e, f"{other}_label_perturbed"))
                   for e in examples if e.result == "succeeded"]
        outcome.transfers.append(_transfer_summary(attacked_name, other, triples))
    if config.similarity:
        _similarities(outcome, results, models, tokenizer, config, progress)
    return outcome


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

def _status(result) -> str:
    name = type(result).__name__
    if name == "SkippedAttackResult":
        return "skipped"
    if name == "FailedAttackResult":
        return "failed"
    return "succeeded"  # SuccessfulAttackResult (MaximizedAttackResult cannot occur: untargeted goal)


def _summary(results, recipe, attacked_name, wall_seconds, wrapper, config) -> AttackSummary:
    from textattack.metrics.attack_metrics import AttackQueries, AttackSuccessRate, WordsPerturbed

    rates = AttackSuccessRate().calculate(results)
    attacked = [result for result in results if _status(result) != "skipped"]
    succeeded = [result for result in results if _status(result) == "succeeded"]
    with warnings.catch_warnings():  # the mean of no successful attacks is NaN; reported as 0
        warnings.simplefilter("ignore", RuntimeWarning)
        words = WordsPerturbed().calculate(results)
    perturbed_percent = float(words["avg_word_perturbed_perc"]) if succeeded else 0.0
    queries = float(AttackQueries().calculate(results)["avg_num_queries"]) if attacked else 0.0
    return AttackSummary(
        recipe=recipe.name, recipe_label=recipe.label, substitutions=dict(recipe.substitutions),
        parts=dict(recipe.parts),
        attacked_model=attacked_name, num_examples=len(results),
        successful_attacks=rates["successful_attacks"], failed_attacks=rates["failed_attacks"],
        skipped_attacks=rates["skipped_attacks"],
        clean_accuracy=float(rates["original_accuracy"]) / 100,
        accuracy_under_attack=float(rates["attack_accuracy_perc"]) / 100,
        attack_success_rate=float(rates["attack_success_rate"]) / 100,
        avg_perturbed_word_percent=perturbed_percent, avg_num_words=float(words["avg_word_perturbed"]),
        avg_num_queries=queries, wall_seconds=wall_seconds,
        queries_computed=wrapper.queries_computed, queries_cached=wrapper.queries_cached,
        seed=config.seed, max_length=config.max_length, device=str(wrapper.device))


def _changed_words(result) -> tuple[list[int], list[tuple[str, str]]]:
    """Changed positions in the original's words, and (original word, replacement) pairs.

    TextAttack tracks, per original word, where it went (``original_index_map``, -1 if
    deleted) and which positions of the new text were modified.
    """
    original = result.original_result.attacked_text
    perturbed = result.perturbed_result.attacked_text
    index_map = perturbed.attack_attrs.get("original_index_map", range(len(original.words)))
    modified = perturbed.attack_attrs.get("modified_indices", set())
    changed, pairs = [], []
    for position, new_position in enumerate(index_map):
        new_position = int(new_position)
        if new_position < 0:
            changed.append(position)
        elif new_position in modified:
            changed.append(position)
            pairs.append((original.words[position], perturbed.words[new_position]))
    return changed, pairs


def _example(index: int, result, label: int) -> AttackExample:
    status = _status(result)
    original = result.original_result.attacked_text.text
    perturbed = original if status == "skipped" else result.perturbed_result.attacked_text.text
    changed = [] if status == "skipped" else _changed_words(result)[0]
    return AttackExample(index=index, label=label, result=status, original_text=original, perturbed_text=perturbed,
                         changed_word_indices=changed, num_queries=int(result.perturbed_result.num_queries),
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


def _similarities(outcome: AttackResult, results, models: dict, tokenizer, config, progress) -> None:
    from robustprune.attack.similarity import layer_cosines, word_cosines

    succeeded = [(index, result) for index, result in enumerate(results) if _status(result) == "succeeded"]
    if not succeeded:
        return
    originals = [result.original_result.attacked_text.text for _, result in succeeded]
    perturbed = [result.perturbed_result.attacked_text.text for _, result in succeeded]
    pairs = [(index, pair) for index, result in succeeded for pair in _changed_words(result)[1]]
    for step, (name, model) in enumerate(models.items(), 1):
        cosine_mean, cosine_cls = layer_cosines(model, tokenizer, originals, perturbed, config.max_length,
                                                config.batch_size)
        for row, (index, _) in enumerate(succeeded):
            outcome.layer_similarities.extend(
                LayerSimilarity(index, name, layer, float(cosine_mean[row, layer]), float(cosine_cls[row, layer]))
                for layer in range(cosine_mean.shape[1]))
        cosines = word_cosines(model, tokenizer, [pair for _, pair in pairs])
        outcome.word_similarities.extend(
            WordSimilarity(index, name, original, replacement, cosine)
            for (index, (original, replacement)), cosine in zip(pairs, cosines))
        progress("similarity", step, len(models))
