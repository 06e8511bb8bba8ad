"""95 % intervals for an accuracy and for a difference of two accuracies, and the exact McNemar test.

An accuracy is a proportion p̂ = x / n of sentences. With z = 1.96 (two-sided 95 %):

**Wilson score interval** (Wilson 1927), the p for which |p̂ − p| ≤ z √(p(1 − p)/n):

    (p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)

computed by ``scipy.stats.binomtest(x, n).proportion_ci(method="wilson")``. Unlike the
Wald interval it stays inside [0, 1] and keeps its coverage near 0 and 1 (an accuracy under
attack of 2 % is common here).

**Paired difference** — two models on the same n sentences, a 2×2 table of outcomes
(a: both right, b: only model 1, c: only model 2, d: neither), D = p̂₁ − p̂₂ = (b − c)/n.
Newcombe (1998), "Improved confidence intervals for the difference between binomial
proportions based on paired data", Statistics in Medicine 17:2635–2650, **method 10**: the
"square-and-add" score interval, built from the Wilson limits (without continuity
correction) (l₁, u₁) of p̂₁ and (l₂, u₂) of p̂₂ and the correlation of the pairs

    φ = C / √((a+b)(c+d)(a+c)(b+d))      (0 when a margin is empty), with A = ad − bc and
    C = A − n/2 when A > n/2,  0 when 0 ≤ A ≤ n/2,  A when A < 0
    L = D − √((p̂₁ − l₁)² − 2φ (p̂₁ − l₁)(u₂ − p̂₂) + (u₂ − p̂₂)²)
    U = D + √((u₁ − p̂₁)² − 2φ (u₁ − p̂₁)(p̂₂ − l₂) + (p̂₂ − l₂)²)

The shrinkage of a positive A by n/2 in φ is Newcombe's, as Fagerland, Lydersen & Laake
(Statistical Analysis of Contingency Tables, 2017, ch. 8) and Altman et al. (Statistics with
Confidence, 2000) give method 10; it keeps the interval from narrowing on weak correlation.

**Unpaired difference** — two accuracies on different sentences (n₁ and n₂ of them).
Newcombe (1998), "Interval estimation for the difference between independent proportions:
comparison of eleven methods", Statistics in Medicine 17:873–890, **method 10**, the hybrid
score interval: the paired one with φ = 0 and each proportion's own n.

**Exact McNemar test** of "both models are right equally often" on paired outcomes: under
the null a discordant pair is b-type or c-type with probability ½, so the two-sided p is the
binomial test of b successes in b + c trials (``scipy.stats.binomtest``); 1 without
discordant pairs.
"""

from __future__ import annotations

import math

CONFIDENCE = 0.95


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval for the proportion successes / n; (0, 1) when n is 0 (nothing is known)."""
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest  # here, not at import: scipy.stats takes a second to import

    interval = binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def newcombe_paired_difference(both: int, only_first: int, only_second: int, neither: int,
                               confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(D, L, U) for D = p₁ − p₂ on paired outcomes: Newcombe (1998) method 10 (see the module docstring)."""
    n = both + only_first + only_second + neither
    if n == 0:
        return 0.0, -1.0, 1.0
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    l1, u1 = wilson_interval(both + only_first, n, confidence)
    l2, u2 = wilson_interval(both + only_second, n, confidence)
    margins = (both + only_first) * (only_second + neither) * (both + only_second) * (only_first + neither)
    association = both * neither - only_first * only_second
    if association > n / 2:
        association -= n / 2
    elif association >= 0:
        association = 0
    phi = association / math.sqrt(margins) if margins else 0.0
    difference = p1 - p2
    lower = math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    upper = math.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return difference, max(difference - lower, -1.0), min(difference + upper, 1.0)


def newcombe_unpaired_difference(successes_1: int, n_1: int, successes_2: int, n_2: int,
                                 confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(D, L, U) for D = p₁ − p₂ of independent proportions: Newcombe (1998b) method 10, the hybrid score interval."""
    if not n_1 or not n_2:
        return 0.0, -1.0, 1.0
    p1, p2 = successes_1 / n_1, successes_2 / n_2
    l1, u1 = wilson_interval(successes_1, n_1, confidence)
    l2, u2 = wilson_interval(successes_2, n_2, confidence)
    difference = p1 - p2
    return (difference, difference - math.hypot(p1 - l1, u2 - p2), difference + math.hypot(u1 - p1, p2 - l2))


def mcnemar_exact_p(only_first: int, only_second: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (b, c); 1 when there are none."""
    discordant = only_first + only_second
    if discordant == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(int(only_first), int(discordant), 0.5).pvalue)


__all__ = ["CONFIDENCE", "wilson_interval", "newcombe_paired_difference", "newcombe_unpaired_difference",
           "mcnemar_exact_p"]
