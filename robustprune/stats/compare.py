"""A model against a reference (a pruned model against its dense start) on one metric, with its uncertainty.

``compare`` takes two models' per-sentence outcomes (``outcomes.py``) and gives each
accuracy with its Wilson interval and the difference (model − reference) with

- on the same sentences (paired): Newcombe's method-10 interval for paired proportions and
  the exact McNemar p-value;
- on different sentences (unpaired): Newcombe's method-10 hybrid score interval for
  independent proportions and Fisher's exact test (``scipy.stats.fisher_exact``) —
  never a paired test, which would be meaningless there.

``compare_over_seeds`` takes K such pairs (K dense starts or K calibration samples) and keeps
every seed's comparison beside a pooled estimate:

    D̄ = (1/K) Σ_k (p̂_model,k − p̂_reference,k)

whose 95 % interval is a percentile bootstrap over sentences (B = ``BOOTSTRAP_SAMPLES``
resamples, a generator seeded with ``BOOTSTRAP_SEED``, so the same runs give the same
interval). When every seed was measured on the same sentences (the usual case: the first n
test sentences), one resample of sentence positions is applied to every seed and both
models, so that a sentence that is hard for all seeds counts once per resample, as it
should; otherwise each seed's sentences are resampled on their own (and a pair measured on
different sentences has its two models resampled independently). The interval is about the
sentences, given these K seeds; the spread between seeds (min, max, standard deviation of
the per-seed differences) is reported beside it, not folded in. With K = 1 the pooled
estimate is the single comparison, with Newcombe's interval.

A percentile bootstrap shrinks to a point where the two models agree on every sentence (as a
Wald interval does at 0 or n successes), which would let 8 sentences "prove" no difference.
So the pooled interval is never narrower than the score interval that all K·n pairs would
give were they independent sentences (Newcombe's interval on the seeds' summed 2×2 tables,
or his unpaired one on the summed counts): the most precision the data could justify. It
binds where the bootstrap is narrower than that: the models agree on (nearly) every
sentence, or the seeds' outcomes do not depend on the sentence at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from robustprune.stats.intervals import (CONFIDENCE, mcnemar_exact_p, newcombe_paired_difference,
                                         newcombe_unpaired_difference, wilson_interval)
from robustprune.stats.outcomes import SentenceOutcomes

BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 0
PAIRED_METHOD = "Newcombe (1998) method 10, paired"
UNPAIRED_METHOD = "Newcombe (1998b) method 10, hybrid score, unpaired"
BOOTSTRAP_METHOD = f"percentile bootstrap over sentences, B = {BOOTSTRAP_SAMPLES}"


@dataclass(frozen=True)
class Comparison:
    """model − reference on one metric (fractions in [0, 1]); intervals at ``CONFIDENCE``."""

    metric: str
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    reference_accuracy: float
    reference_low: float
    reference_high: float
    difference: float
    difference_low: float
    difference_high: float
    p_value: float
    paired: bool
    interval_method: str
    test: str  # "exact McNemar" (paired) or "Fisher exact" (unpaired)
    n: int
    reference_n: int
    only_model: int | None = None  # discordant pairs (paired only): right for the model alone
    only_reference: int | None = None  # ... and for the reference alone

    def to_dict(self) -> dict:
        return asdict(self)


def wilson_accuracy(outcomes: np.ndarray) -> tuple[float, float, float]:
    """(accuracy, Wilson low, Wilson high) of one model's per-sentence outcomes."""
    successes, n = int(np.sum(outcomes)), len(outcomes)
    low, high = wilson_interval(successes, n)
    return (successes / n if n else float("nan")), low, high


def compare(model: SentenceOutcomes, reference: SentenceOutcomes, metric: str = "accuracy_under_attack") -> Comparison:
    """``model`` against ``reference`` on ``metric``: paired when both saw the same sentences, else unpaired."""
    x, y = model.metric(metric), reference.metric(metric)
    accuracy = wilson_accuracy(x)
    reference_accuracy = wilson_accuracy(y)
    if model.paired_with(reference):
        both, only_model = int(np.sum(x & y)), int(np.sum(x & ~y))
        only_reference, neither = int(np.sum(~x & y)), int(np.sum(~x & ~y))
        difference = newcombe_paired_difference(both, only_model, only_reference, neither)
        return Comparison(metric, *accuracy, *reference_accuracy, *difference,
                          mcnemar_exact_p(only_model, only_reference), True, PAIRED_METHOD, "exact McNemar",
                          len(x), len(y), only_model, only_reference)
    *difference, p_value = unpaired_difference(int(np.sum(x)), len(x), int(np.sum(y)), len(y))
    return Comparison(metric, *accuracy, *reference_accuracy, *difference, p_value, False, UNPAIRED_METHOD,
                      "Fisher exact", len(x), len(y))


def unpaired_difference(successes: int, n: int, reference_successes: int, reference_n: int
                        ) -> tuple[float, float, float, float]:
    """(D, L, U, p) for two independent samples' counts: D = successes / n − reference_successes / reference_n,
    Newcombe's hybrid score interval (``UNPAIRED_METHOD``) and Fisher's exact p."""
    from scipy.stats import fisher_exact

    difference = newcombe_unpaired_difference(successes, n, reference_successes, reference_n)
    p_value = float(fisher_exact([[successes, n - successes],
                                  [reference_successes, reference_n - reference_successes]]).pvalue)
    return (*difference, p_value)


@dataclass(frozen=True)
class PooledComparison:
    """K seeds' comparisons and their pooled difference (see the module docstring)."""

    metric: str
    per_seed: list[Comparison]
    difference: float  # mean over seeds of the per-seed differences
    difference_low: float
    difference_high: float
    interval_method: str
    paired: bool  # every seed's pair on the same sentences
    seed_difference_min: float
    seed_difference_max: float
    seed_difference_std: float  # 0 with one seed
    accuracy: float  # mean over seeds
    reference_accuracy: float
    bootstrap_samples: int = 0
    bootstrap_seed: int | None = None

    @property
    def seeds(self) -> int:
        return len(self.per_seed)

    @property
    def p_value(self) -> float | None:
        """The test's p with one seed; None when pooled (each seed keeps its own p)."""
        return self.per_seed[0].p_value if self.seeds == 1 else None

    @property
    def n(self) -> int:
        return min(comparison.n for comparison in self.per_seed)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(seeds=self.seeds, p_value=self.p_value, n=self.n)
        return data


def compare_over_seeds(pairs: list[tuple[SentenceOutcomes, SentenceOutcomes]], metric: str = "accuracy_under_attack",
                       samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED) -> PooledComparison:
    """Each (model, reference) pair compared, and the pooled difference over the pairs (module docstring)."""
    if not pairs:
        raise ValueError("compare_over_seeds needs at least one (model, reference) pair")
    per_seed = [compare(model, reference, metric) for model, reference in pairs]
    differences = np.array([comparison.difference for comparison in per_seed])
    spread = dict(seed_difference_min=float(differences.min()), seed_difference_max=float(differences.max()),
                  seed_difference_std=float(differences.std(ddof=1)) if len(differences) > 1 else 0.0,
                  accuracy=float(np.mean([comparison.accuracy for comparison in per_seed])),
                  reference_accuracy=float(np.mean([comparison.reference_accuracy for comparison in per_seed])))
    paired = all(comparison.paired for comparison in per_seed)
    if len(pairs) == 1:
        only = per_seed[0]
        return PooledComparison(metric, per_seed, only.difference, only.difference_low, only.difference_high,
                                only.interval_method, paired, **spread)
    same_sentences = paired and len({model.sentences_hash for model, _ in pairs}) == 1
    arrays = [(model.metric(metric).astype(float), reference.metric(metric).astype(float), comparison.paired)
              for (model, reference), comparison in zip(pairs, per_seed)]
    replicates = _bootstrap(arrays, same_sentences, samples, seed)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(replicates, [tail, 1 - tail])
    floor_low, floor_high = _independent_pairs_interval(pairs, metric, paired)
    low, high = min(low, floor_low), max(high, floor_high)
    how = "sentences shared by all seeds" if same_sentences else "sentences within each seed"
    return PooledComparison(metric, per_seed, float(differences.mean()), float(low), float(high),
                            f"percentile bootstrap over {how}, B = {samples}, no narrower than Newcombe's on all "
                            "pairs", paired, **spread,
                            bootstrap_samples=samples, bootstrap_seed=seed)


def _independent_pairs_interval(pairs, metric: str, paired: bool) -> tuple[float, float]:
    """Newcombe's interval on all K·n pairs as if independent: the floor of the pooled interval (module docstring)."""
    if paired:
        both = only_model = only_reference = neither = 0
        for model, reference in pairs:
            x, y = model.metric(metric), reference.metric(metric)
            both, only_model = both + int(np.sum(x & y)), only_model + int(np.sum(x & ~y))
            only_reference, neither = only_reference + int(np.sum(~x & y)), neither + int(np.sum(~x & ~y))
        _, low, high = newcombe_paired_difference(both, only_model, only_reference, neither)
        return low, high
    model_successes = sum(int(np.sum(model.metric(metric))) for model, _ in pairs)
    reference_successes = sum(int(np.sum(reference.metric(metric))) for _, reference in pairs)
    _, low, high = newcombe_unpaired_difference(model_successes, sum(len(model) for model, _ in pairs),
                                                reference_successes, sum(len(reference) for _, reference in pairs))
    return low, high


def _bootstrap(arrays, same_sentences: bool, samples: int, seed: int) -> np.ndarray:
    """Replicates of the pooled difference; ``arrays``: (model, reference, paired) per seed."""
    rng = np.random.default_rng(seed)
    if same_sentences:
        n = len(arrays[0][0])
        positions = rng.integers(0, n, size=(samples, n))  # one resample of sentences for every seed
        return np.mean([model[positions].mean(axis=1) - reference[positions].mean(axis=1)
                        for model, reference, _ in arrays], axis=0)
    replicates = np.zeros(samples)
    for model, reference, paired in arrays:
        if paired:  # its two models resampled together
            positions = rng.integers(0, len(model), size=(samples, len(model)))
            replicates += model[positions].mean(axis=1) - reference[positions].mean(axis=1)
        else:
            replicates += (model[rng.integers(0, len(model), size=(samples, len(model)))].mean(axis=1)
                           - reference[rng.integers(0, len(reference), size=(samples, len(reference)))].mean(axis=1))
    return replicates / len(arrays)


__all__ = ["Comparison", "PooledComparison", "compare", "compare_over_seeds", "unpaired_difference", "wilson_accuracy",
           "BOOTSTRAP_SAMPLES", "BOOTSTRAP_SEED", "PAIRED_METHOD", "UNPAIRED_METHOD"]
