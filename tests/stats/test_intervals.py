"""The interval formulas against scipy and against their coverage by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest, norm

from robustprune.stats.intervals import (mcnemar_exact_p, newcombe_paired_difference, newcombe_unpaired_difference,
                                         wilson_interval)


@pytest.mark.parametrize("successes, n", [(0, 10), (3, 10), (25, 100), (99, 100), (100, 100), (1, 400)])
def test_wilson_interval_solves_the_score_equation(successes, n):
    """Each limit p solves |p̂ − p| = z √(p(1 − p)/n), the definition of Wilson's interval."""
    low, high = wilson_interval(successes, n)
    z, p_hat = norm.ppf(0.975), successes / n
    for limit in (low, high):
        if limit in (0.0, 1.0) and limit == p_hat:
            continue  # at 0 or n successes one limit is the observation itself
        assert abs(abs(p_hat - limit) - z * math.sqrt(limit * (1 - limit) / n)) < 1e-9
    assert low <= p_hat <= high


@pytest.mark.parametrize("b, c", [(0, 0), (3, 8), (10, 2), (0, 7), (25, 25), (40, 20)])
def test_mcnemar_exact_p_is_the_binomial_test_of_the_discordant_pairs(b, c):
    expected = 1.0 if b + c == 0 else binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_exact_p(b, c) == pytest.approx(expected)
    # by hand: twice the smaller tail of Binomial(b + c, 1/2), capped at 1
    if b + c:
        tail = sum(math.comb(b + c, k) for k in range(min(b, c) + 1)) / 2 ** (b + c)
        assert mcnemar_exact_p(b, c) == pytest.approx(min(1.0, 2 * tail))


def test_paired_interval_without_correlation_is_the_unpaired_one():
    """φ = 0 (an association within n/2 of none) gives Newcombe's hybrid interval with both n equal."""
    both, only_first, only_second, neither = 25, 25, 25, 25  # ad − bc = 0
    paired = newcombe_paired_difference(both, only_first, only_second, neither)
    unpaired = newcombe_unpaired_difference(50, 100, 50, 100)
    assert paired == pytest.approx(unpaired)


def test_a_positive_correlation_narrows_the_paired_interval():
    """Two models that agree on most sentences: the same marginals, a much narrower interval than if unpaired."""
    _, low, high = newcombe_paired_difference(40, 5, 1, 54)  # p1 = .45, p2 = .41
    _, unpaired_low, unpaired_high = newcombe_unpaired_difference(45, 100, 41, 100)
    assert high - low < 0.6 * (unpaired_high - unpaired_low)
    assert low < 0.04 < high


def _simulated_coverage(rng, n, cells, replicates=2000):
    """Share of replicates whose paired interval holds the true difference; ``cells`` (a, b, c, d) probabilities."""
    truth = cells[1] - cells[2]
    tables = rng.multinomial(n, cells, size=replicates)
    hits = 0
    for a, b, c, d in tables:
        _, low, high = newcombe_paired_difference(int(a), int(b), int(c), int(d))
        hits += low <= truth <= high
    return hits / replicates


@pytest.mark.parametrize("n, cells", [
    (100, (0.20, 0.05, 0.08, 0.67)),  # accuracies under attack near the default's: 25 % and 28 %, correlated
    (100, (0.10, 0.10, 0.10, 0.70)),  # weakly correlated
    (200, (0.55, 0.05, 0.15, 0.25)),  # clean accuracies, a real drop
])
def test_paired_difference_interval_covers_the_truth_about_95_percent(n, cells):
    coverage = _simulated_coverage(np.random.default_rng(7), n, cells)
    assert 0.93 <= coverage <= 0.975, coverage


def test_paired_difference_interval_is_conservative_not_anticonservative_near_zero():
    """Near 0 (about 3 discordant pairs expected, as after a heavy prune) the interval errs wide, never narrow:
    Newcombe (1998) reports the same for method 10 with few discordant pairs."""
    coverage = _simulated_coverage(np.random.default_rng(7), 50, (0.02, 0.01, 0.05, 0.92))
    assert coverage >= 0.95, coverage


def test_unpaired_difference_interval_covers_the_truth_about_95_percent():
    rng = np.random.default_rng(11)
    p1, p2, n1, n2 = 0.25, 0.35, 100, 150
    hits = 0
    for x1, x2 in zip(rng.binomial(n1, p1, 2000), rng.binomial(n2, p2, 2000)):
        _, low, high = newcombe_unpaired_difference(int(x1), n1, int(x2), n2)
        hits += low <= p1 - p2 <= high
    assert 0.93 <= hits / 2000 <= 0.975


@pytest.mark.parametrize("x1, n1, x2, n2, low, high", [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090)])
def test_unpaired_interval_reproduces_newcombes_published_examples(x1, n1, x2, n2, low, high):
    """Newcombe (1998b), Table II, method 10: the limits as printed there, to four decimals."""
    difference, lower, upper = newcombe_unpaired_difference(x1, n1, x2, n2)
    assert difference == pytest.approx(x1 / n1 - x2 / n2)
    assert (round(lower, 4), round(upper, 4)) == (low, high)
