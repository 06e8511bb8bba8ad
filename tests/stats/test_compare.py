"""Comparisons of two models: paired or unpaired as the stored sentences say, pooled over seeds by a bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, fisher_exact

from robustprune.attack.records import AttackExample, AttackResult, AttackSummary
from robustprune.stats import SentenceOutcomes, attack_outcomes, compare, compare_over_seeds
from robustprune.stats.compare import PAIRED_METHOD, UNPAIRED_METHOD
from robustprune.store import RunStore, run_id_for

TEXTS = [f"sentence number {i}" for i in range(60)]


def outcomes(results, texts=TEXTS, labels=None):
    return SentenceOutcomes.from_results(results, texts[:len(results)], labels)


def planted_results(rng, n, robust_rate, clean_rate=0.85):
    """TextAttack result names with about these accuracies (robust ⊂ correct)."""
    draws = rng.random(n)
    return ["failed" if u < robust_rate else "succeeded" if u < clean_rate else "skipped" for u in draws]


def test_paired_comparison_counts_the_discordant_pairs_and_tests_them_with_mcnemar():
    dense = outcomes(["failed"] * 20 + ["succeeded"] * 30 + ["skipped"] * 10)
    sparse = outcomes(["failed"] * 12 + ["succeeded"] * 8 + ["failed"] * 3 + ["succeeded"] * 27 + ["skipped"] * 10)
    result = compare(sparse, dense)
    assert result.paired and result.interval_method == PAIRED_METHOD
    assert (result.only_model, result.only_reference) == (3, 8)
    assert result.accuracy == pytest.approx(15 / 60) and result.reference_accuracy == pytest.approx(20 / 60)
    assert result.difference == pytest.approx(-5 / 60)
    assert result.p_value == pytest.approx(binomtest(3, 11, 0.5).pvalue)
    assert result.difference_low < result.difference < result.difference_high
    clean = compare(sparse, dense, "clean_accuracy")
    assert clean.difference == 0 and clean.p_value == 1.0


def test_different_sentences_are_compared_unpaired_never_with_mcnemar():
    rng = np.random.default_rng(0)
    dense = outcomes(planted_results(rng, 60, 0.3))
    fewer = outcomes(planted_results(rng, 40, 0.2))  # a different -n
    own_texts = SentenceOutcomes.from_results(planted_results(rng, 60, 0.2), [f"my text {i}" for i in range(60)])
    for other in (fewer, own_texts):
        result = compare(other, dense)
        assert not result.paired and result.interval_method == UNPAIRED_METHOD and result.test == "Fisher exact"
        assert result.only_model is None
        x, y = int(other.robust.sum()), int(dense.robust.sum())
        assert result.p_value == pytest.approx(fisher_exact([[x, len(other) - x], [y, len(dense) - y]]).pvalue)


def _store_attack(store: RunStore, name: str, results, texts, labels) -> str:
    """An attack run as ``attack`` stores it (summary and per-example Parquet); its run id."""
    summary = AttackSummary("textbugger", "textbugger", {}, "sparse", len(results), 0, 0, 0, 0.0, 0.0, 0.0, 0.0,
                            0.0, 0.0, 0.0, 0, 0, 0, 64, "cpu")
    examples = [AttackExample(index, label, result, text, text, [], 1, label, 0.9, label, 0.9)
                for index, (result, text, label) in enumerate(zip(results, texts, labels))]
    with store.write("attack", {"name": name}, model="m", dataset="d", method="krp") as writer:
        AttackResult(summary, examples).save(writer.directory / "attack")
    return run_id_for("attack", {"name": name})


def test_pairing_is_recognised_from_the_stored_sentences(tmp_path):
    store = RunStore(tmp_path / "store")
    labels = [i % 2 for i in range(30)]
    rng = np.random.default_rng(1)
    stored = {}
    for name, texts, labels_ in (("dense", TEXTS[:30], labels), ("sparse", TEXTS[:30], labels),
                                 ("first 20 (another -n)", TEXTS[:20], labels[:20]),
                                 ("own texts", [f"mine {i}" for i in range(30)], labels),
                                 ("other labels", TEXTS[:30], [1 - label for label in labels])):
        results = planted_results(rng, len(texts), 0.3)
        run_id = _store_attack(store, name, results, texts, labels_)
        stored[name] = attack_outcomes(store.get(run_id))
        assert list(stored[name].robust) == [result == "failed" for result in results]
        assert list(stored[name].correct) == [result != "skipped" for result in results]
    assert compare(stored["sparse"], stored["dense"]).paired
    for name in ("first 20 (another -n)", "own texts", "other labels"):
        assert not compare(stored[name], stored["dense"]).paired, name


def _brute_force_bootstrap(pairs, samples, rng):
    """Resample the shared sentence positions one replicate at a time, with a plain loop over seeds."""
    n = len(pairs[0][0])
    replicates = []
    for _ in range(samples):
        positions = rng.integers(0, n, size=n)
        replicates.append(np.mean([model[positions].mean() - reference[positions].mean() for model, reference in pairs]))
    return np.quantile(replicates, [0.025, 0.975])


def test_pooled_interval_over_seeds_matches_a_brute_force_bootstrap():
    rng = np.random.default_rng(3)
    dense_results = np.array(planted_results(rng, 60, 0.3))
    pairs = []
    for flip_rate in (0.3, 0.45, 0.2):  # three seeds of a pruned model that loses some of the dense robust sentences
        pruned = dense_results.copy()
        robust = np.flatnonzero(dense_results == "failed")
        pruned[robust[rng.random(len(robust)) < flip_rate]] = "succeeded"
        pairs.append((outcomes(list(pruned)), outcomes(list(dense_results))))
    pooled = compare_over_seeds(pairs, samples=4000, seed=5)
    assert pooled.seeds == 3 and pooled.paired and pooled.p_value is None
    differences = [model.robust.mean() - reference.robust.mean() for model, reference in pairs]
    assert pooled.difference == pytest.approx(np.mean(differences))
    assert (pooled.seed_difference_min, pooled.seed_difference_max) == (pytest.approx(min(differences)),
                                                                        pytest.approx(max(differences)))
    arrays = [(model.robust.astype(float), reference.robust.astype(float)) for model, reference in pairs]
    low, high = _brute_force_bootstrap(arrays, 4000, np.random.default_rng(99))
    assert pooled.difference_low == pytest.approx(low, abs=0.012)
    assert pooled.difference_high == pytest.approx(high, abs=0.012)
    again = compare_over_seeds(pairs, samples=4000, seed=5)
    assert (again.difference_low, again.difference_high) == (pooled.difference_low, pooled.difference_high)


def test_one_seed_pools_to_its_own_newcombe_interval():
    rng = np.random.default_rng(4)
    pair = (outcomes(planted_results(rng, 60, 0.2)), outcomes(planted_results(rng, 60, 0.3)))
    pooled = compare_over_seeds([pair])
    single = compare(*pair)
    assert (pooled.difference, pooled.difference_low, pooled.difference_high, pooled.p_value) == (
        single.difference, single.difference_low, single.difference_high, single.p_value)
    assert pooled.bootstrap_samples == 0


def test_models_that_agree_on_few_sentences_do_not_pool_to_certainty():
    """Identical outcomes on 8 sentences in 2 seeds: the bootstrap alone says [0, 0]; the pooled interval keeps the
    score interval of 16 pairs, so 8 sentences cannot show that nothing changed."""
    results = ["failed", "succeeded", "skipped", "failed", "succeeded", "succeeded", "failed", "skipped"]
    pairs = [(outcomes(results), outcomes(results))] * 2
    pooled = compare_over_seeds(pairs)
    assert pooled.difference == 0 and pooled.difference_low < -0.1 and pooled.difference_high > 0.1
    from robustprune.stats import newcombe_paired_difference

    assert (pooled.difference_low, pooled.difference_high) == pytest.approx(newcombe_paired_difference(6, 0, 0, 10)[1:])
