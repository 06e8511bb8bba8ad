"""The attack itself: a TextAttack recipe's search on each example, several examples at once.

``search_examples`` attacks the examples at ``indices`` of ``texts``, each from its own
seed (``seeding.py``), up to ``concurrency`` searches side by side with their model calls
merged (``batching.py``): every search gets its own ``Attack`` (TextAttack keeps
per-example state in the goal function and constraint caches), all share one batched,
caching model wrapper and one cache of sentence encodings. What a search found is kept
as a ``SearchOutcome``: plain data, so that shards of a run computed in other processes
or on other machines merge into the run the serial loop would give.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from robustprune.attack.records import SearchOutcome
from robustprune.progress import Progress, silent

# Searches side by side in one process (batching.ExampleScheduler), by device. On a GPU a search step's handful of
# candidates leaves the device idle, and merged batches fill it. On a CPU the forward time grows with the batch, so
# merging gains nothing: measured on this project's 2-core CPU (bench/bench_attack_batching.py), 16 searches side
# by side took 0.86-1.20x the time of one at a time, with identical examples.
DEFAULT_CONCURRENCY = {"cuda": 16, "cpu": 1}


def default_concurrency(model) -> int:
    return DEFAULT_CONCURRENCY.get(next(model.parameters()).device.type, 1)


@dataclass
class SearchRun:
    """The outcomes of a set of examples, and what the search cost."""

    recipe: str
    recipe_label: str
    substitutions: dict[str, str]
    outcomes: list[SearchOutcome]
    wall_seconds: float
    queries_computed: int
    queries_cached: int
    classifier_seconds: float  # time inside the classifier's forward passes (the wrapper's batches)
    device: str
    parts: dict[str, str] = field(default_factory=dict)  # every part of the recipe and where it came from


def status_of(result) -> str:
    name = type(result).__name__
    if name == "SkippedAttackResult":
        return "skipped"
    if name == "FailedAttackResult":
        return "failed"
    return "succeeded"  # SuccessfulAttackResult (MaximizedAttackResult cannot occur: untargeted goal)


def changed_words(result) -> tuple[list[int], list[tuple[str, str]]]:
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


def outcome_of(index: int, label: int, result) -> SearchOutcome:
    """A TextAttack result as plain data, with what TextAttack's metrics read from it."""
    status = status_of(result)
    original = result.original_result.attacked_text
    perturbed = result.perturbed_result.attacked_text
    changed, pairs = ([], []) if status == "skipped" else changed_words(result)
    # TextAttack's WordsPerturbed counts original.all_words_diff(perturbed), successful attacks only
    words_changed = len(original.all_words_diff(perturbed)) if status == "succeeded" else 0
    return SearchOutcome(index=index, label=label, result=status, original_text=original.text,
                         perturbed_text=original.text if status == "skipped" else perturbed.text,
                         changed_word_indices=changed, changed_word_pairs=[list(pair) for pair in pairs],
                         num_queries=int(result.perturbed_result.num_queries), num_words=len(original.words),
                         num_words_changed=words_changed)


def search_examples(model, tokenizer, texts: list[str], labels: list[int], indices: list[int], config,
                    concurrency: int | None = None, progress: Progress = silent) -> SearchRun:
    """Attack ``model`` on ``texts[i]`` for i in ``indices`` (``config``: an ``AttackConfig``)."""
    from robustprune.attack.batching import ExampleScheduler
    from robustprune.attack.recipes import build_recipe
    from robustprune.attack.recipes.parts import RecipeParts
    from robustprune.attack.resources import import_textattack
    from robustprune.attack.seeding import seed_example
    from robustprune.attack.wrapper import CachedModelWrapper

    textattack = import_textattack()
    wrapper = CachedModelWrapper(model, tokenizer, config.max_length, config.batch_size)
    parts = RecipeParts(device=str(wrapper.device), max_length=config.max_length, word_vectors=config.word_vectors,
                        mlm_path=config.mlm_path, encoder_batch_size=config.batch_size)
    slots = max(1, min(concurrency or default_concurrency(model), len(indices)))
    recipes = [build_recipe(config.recipe, wrapper, parts) for _ in range(slots)]
    for recipe in recipes:
        goal = recipe.attack.goal_function
        goal.batch_size = max(goal.batch_size, config.batch_size)
        if config.query_budget is not None:
            goal.query_budget = config.query_budget
    free = [recipe.attack for recipe in recipes]

    def attack_one(index: int) -> SearchOutcome:
        attack = free.pop()  # the baton makes this safe: one search runs at a time
        try:
            seed_example(config.seed, index)
            result = attack.attack(textattack.shared.AttackedText(texts[index]), int(labels[index]))
        finally:
            free.append(attack)
        return outcome_of(index, int(labels[index]), result)

    done = [0]

    def report(position: int, outcome: SearchOutcome) -> None:
        done[0] += 1
        progress("attack", done[0], len(indices))

    started = time.perf_counter()
    outcomes = ExampleScheduler(slots).map(attack_one, indices, on_result=report)
    wall_seconds = time.perf_counter() - started
    recipe = recipes[0]
    return SearchRun(recipe=recipe.name, recipe_label=recipe.label, substitutions=dict(recipe.substitutions),
                     outcomes=outcomes, wall_seconds=wall_seconds, queries_computed=wrapper.queries_computed,
                     queries_cached=wrapper.queries_cached, classifier_seconds=wrapper.compute_seconds,
                     device=str(wrapper.device), parts=dict(recipe.parts))


__all__ = ["SearchRun", "search_examples", "outcome_of", "status_of", "changed_words", "DEFAULT_CONCURRENCY",
           "default_concurrency"]
