"""One probed sparsity against the dense start: kept, lost or undecided, and the evidence.

With D the difference pruned − dense (accuracy under attack, or clean accuracy, on the same
sentences) and [L, U] its 95 % interval (``robustprune.stats``: Newcombe's paired interval
for one seed, the pooled bootstrap interval over K seeds), and a margin m (points):

- **kept**: L > −m — the drop, if any, is shown to be smaller than the margin — and the
  pruned model is not collapsed (``robustprune.collapse``: a model that answers one class
  cannot be flipped, so its accuracy under attack is no robustness);
- **lost**: U < 0 — a significant drop — or the model collapsed;
- **undecided**: neither.

An undecided probe says roughly how many sentences would decide it: an interval's
half-widths shrink as 1/√n, so with the observed D and half-widths h₋ = D − L, h₊ = U − D
at n sentences, "kept" would follow at n·(h₋ / (D + m))² sentences (if D > −m) and "lost"
at n·(h₊ / −D)² (if D < 0); the smaller is reported. It is a rough guide, assuming D
stays where it is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

KEPT, LOST, UNDECIDED = "kept", "lost", "undecided"


@dataclass(frozen=True)
class Verdict:
    verdict: str  # kept | lost | undecided
    difference: float  # pruned − dense, fraction
    difference_low: float
    difference_high: float
    p_value: float | None  # one seed: the exact McNemar p (paired); pooled seeds: None
    collapsed: bool
    sentences: int  # per seed
    sentences_to_decide: int | None = None  # undecided only: roughly how many would decide it

    def to_dict(self) -> dict:
        return asdict(self)


def sentences_to_decide(difference: float, low: float, high: float, n: int, margin: float) -> int | None:
    """Roughly how many sentences would make an undecided probe kept or lost (module docstring); None when no
    number would at this difference (D = 0 with a margin of 0)."""
    needed = []
    if difference > -margin and difference - low > 0:
        needed.append(n * ((difference - low) / (difference + margin)) ** 2)
    if difference < 0 and high - difference > 0:
        needed.append(n * ((high - difference) / -difference) ** 2)
    return math.ceil(min(needed)) if needed else None


def decide(difference: float, low: float, high: float, n: int, margin: float, collapsed: bool = False,
           p_value: float | None = None) -> Verdict:
    """The verdict of one probe; ``margin`` and the differences as fractions (5 points = 0.05)."""
    if collapsed:
        verdict = LOST
    elif low > -margin:
        verdict = KEPT
    elif high < 0:
        verdict = LOST
    else:
        verdict = UNDECIDED
    to_decide = sentences_to_decide(difference, low, high, n, margin) if verdict == UNDECIDED else None
    return Verdict(verdict, difference, low, high, p_value, collapsed, n, to_decide)


__all__ = ["Verdict", "decide", "sentences_to_decide", "KEPT", "LOST", "UNDECIDED"]
