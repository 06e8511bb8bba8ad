"""Searches side by side (batching.ExampleScheduler): merged model calls, unchanged per-example results."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from planted import LABELS, TEXTS

from robustprune.attack import AttackConfig, run_attack
from robustprune.attack.batching import ExampleScheduler, merged
from robustprune.attack.search import outcome_of
from robustprune.attack.seeding import example_seed


def draws_around_requests(item: int, store: dict) -> list:
    """A toy search: seeds itself, draws from all three generators, asks for model work twice in between."""
    random.seed(item)
    np.random.seed(item)
    torch.manual_seed(item)
    drawn = [random.random()]
    merged("square", [item, item + 100], lambda xs: store.update({x: x * x for x in xs}))
    drawn += [float(np.random.rand()), store[item]]
    merged("square", [item + 200], lambda xs: store.update({x: x * x for x in xs}))
    drawn += [float(torch.rand(1)), store[item + 200], random.random()]
    return drawn


def test_concurrent_searches_draw_what_they_would_alone_and_share_calls():
    items = list(range(10))
    alone = [draws_around_requests(item, {}) for item in items]
    calls = []
    store: dict = {}

    def counting(item):
        return draws_around_requests(item, store)

    scheduler = ExampleScheduler(concurrency=4)
    original = ExampleScheduler._flush

    def flush(self, slots):
        calls.append({kind: len(items) for kind, (_, items) in self._requests.items()})
        original(self, slots)

    ExampleScheduler._flush = flush
    try:
        together = scheduler.map(counting, items)
    finally:
        ExampleScheduler._flush = original
    assert together == alone
    # 4 searches at a time, 2 requests each: 3 waves x 2 flushes, each flush serving up to 4 searches
    assert len(calls) == 6 and max(call["square"] for call in calls) == 8


def test_an_error_in_one_search_reaches_the_caller_and_the_others_stop():
    def search(item):
        merged("noop", [item], lambda xs: None)
        if item == 2:
            raise ValueError("bad example 2")
        merged("noop", [item], lambda xs: None)
        return item

    with pytest.raises(ValueError, match="bad example 2"):
        ExampleScheduler(concurrency=3).map(search, range(6))


def test_outside_a_scheduler_requests_are_computed_at_once():
    store: dict = {}
    merged("square", [3], lambda xs: store.update({x: x * x for x in xs}))
    assert store == {3: 9}


@pytest.mark.parametrize("recipe", ["textfooler", "textbugger", "bert-attack"])
def test_run_attack_gives_the_same_examples_at_any_concurrency(dense_model, sparse_model, tokenizer, recipe,
                                                               planted_mlm_dir):
    texts, labels = TEXTS * 2, LABELS * 2  # repeats: the run-wide caches are shared across searches
    config = AttackConfig(recipe=recipe, num_examples=len(texts), max_length=64, mlm_path=str(planted_mlm_dir), word_vectors="wordnet",
                          similarity=False)
    serial = run_attack(dense_model, tokenizer, texts, labels, config, sparse_model=sparse_model, concurrency=1)
    together = run_attack(dense_model, tokenizer, texts, labels, config, sparse_model=sparse_model, concurrency=4)

    def rows(result):
        return [(e.index, e.result, e.perturbed_text, e.num_queries, e.changed_word_indices) for e in result.examples]

    assert rows(together) == rows(serial)
    assert together.summary.queries_computed <= serial.summary.queries_computed + len(texts)


def test_summary_from_outcomes_is_textattacks(dense_model, tokenizer):
    """``summarize`` computes TextAttack's own metrics from plain outcomes, formula for formula."""
    from textattack.metrics.attack_metrics import AttackQueries, AttackSuccessRate, WordsPerturbed

    from robustprune.attack.recipes import build_recipe
    from robustprune.attack.recipes.parts import RecipeParts
    from robustprune.attack.resources import import_textattack
    from robustprune.attack.run import summarize
    from robustprune.attack.wrapper import CachedModelWrapper

    textattack = import_textattack()
    wrapper = CachedModelWrapper(dense_model, tokenizer, 64)
    attack = build_recipe("textbugger", wrapper, RecipeParts(max_length=64, word_vectors="wordnet")).attack
    texts, labels = TEXTS + ["an absolutely awful film"], LABELS + [0]
    results = []
    for index, (text, label) in enumerate(zip(texts, labels)):
        textattack.shared.utils.set_seed(example_seed(0, index))
        results.append(attack.attack(textattack.shared.AttackedText(text), label))
    outcomes = [outcome_of(index, label, result) for index, (label, result) in enumerate(zip(labels, results))]
    summary = summarize(outcomes, recipe="textbugger", recipe_label="textbugger", substitutions={},
                        attacked_model="dense", wall_seconds=1.0, queries_computed=0, queries_cached=0, seed=0,
                        max_length=64, device="cpu")
    rates = AttackSuccessRate().calculate(results)
    words = WordsPerturbed().calculate(results)
    # four synonym swaps to "awful", and a character bug that breaks "awful" itself; the planted model gets
    # "what a terrible waste of time" (label 0) wrong, so it is skipped
    assert (summary.successful_attacks, summary.failed_attacks, summary.skipped_attacks) == (5, 0, 1)
    assert (summary.successful_attacks, summary.failed_attacks, summary.skipped_attacks) == (
        rates["successful_attacks"], rates["failed_attacks"], rates["skipped_attacks"])
    assert summary.clean_accuracy == pytest.approx(rates["original_accuracy"] / 100)
    assert summary.accuracy_under_attack == pytest.approx(rates["attack_accuracy_perc"] / 100)
    assert summary.attack_success_rate == pytest.approx(rates["attack_success_rate"] / 100)
    assert summary.avg_perturbed_word_percent == pytest.approx(float(words["avg_word_perturbed_perc"]))
    assert summary.avg_num_words == pytest.approx(float(words["avg_word_perturbed"]))
    assert summary.avg_num_queries == pytest.approx(float(AttackQueries().calculate(results)["avg_num_queries"]))
