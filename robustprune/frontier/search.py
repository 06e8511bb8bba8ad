"""The search for the frontier: the paper's levels first, then bisection where the verdict changes.

For one method and attack, the probes are sparsities with a verdict each (``verdict.py``).
The dense start itself (sparsity 0) counts as kept when the lowest level is lost (the gap
below it is then bisected; an undecided lowest level is left as it is). After the first round (the given
levels, by default the paper's 30 / 50 / 70 / 87.5 %), with

    lost_from  = the lowest lost sparsity
    kept_up_to = the highest kept sparsity below lost_from (0 if none)

each round probes the midpoint of two gaps: between kept_up_to and the next probe above it,
and between lost_from and the next probe below it (the two coincide when nothing between is
undecided). A midpoint lies on a grid of ``resolution`` steps from the gap's lower end; a
gap of at most one step is final. So the search ends with kept_up_to and lost_from each
within the resolution of the undecided sparsities (or of each other), having probed about
log₂(gap / resolution) sparsities per boundary.

``FrontierSearch`` is a small stepper (``wanted`` → evaluate → ``record``) so that several
searches (methods × recipes) can be advanced together, one batch of runs per round;
``search_frontier`` drives one search with any evaluator (sparsities → probe outcomes), which
is how the tests plant a response.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from robustprune.frontier.verdict import KEPT, LOST, UNDECIDED, Verdict, decide
from robustprune.stats import SentenceOutcomes, compare_over_seeds

MAX_ROUNDS = 20  # a safety net: bisection of the widest gap (< 1) at a resolution of 0.001 needs 10


@dataclass(frozen=True)
class ProbeOutcomes:
    """What a probed sparsity gave: per seed, the pruned model's and the dense start's per-sentence outcomes."""

    sparsity: float
    pairs: list[tuple[SentenceOutcomes, SentenceOutcomes]]  # (pruned, dense) per seed
    collapsed: bool = False  # any seed's pruned model collapsed
    run_ids: list[str] = field(default_factory=list)  # the pruned models' attack runs, for people


@dataclass(frozen=True)
class Probe:
    sparsity: float
    attack: Verdict
    clean: Verdict
    run_ids: list[str] = field(default_factory=list)


def judge(outcomes: ProbeOutcomes, margin: float) -> Probe:
    """Both verdicts of a probed sparsity; ``margin`` a fraction."""
    verdicts = {}
    for metric in ("accuracy_under_attack", "clean_accuracy"):
        pooled = compare_over_seeds(outcomes.pairs, metric)
        verdicts[metric] = decide(pooled.difference, pooled.difference_low, pooled.difference_high, pooled.n, margin,
                                  outcomes.collapsed, pooled.p_value)
    return Probe(outcomes.sparsity, verdicts["accuracy_under_attack"], verdicts["clean_accuracy"], outcomes.run_ids)


def grid_midpoint(low: float, high: float, resolution: float) -> float | None:
    """The point halfway between, on the ``resolution`` grid from ``low``; None for a gap of at most one step."""
    steps = math.ceil((high - low) / resolution - 1e-9)
    if steps <= 1:
        return None
    return round(low + (steps // 2) * resolution, 6)


def boundaries(probes: dict[float, Verdict]) -> tuple[float, float | None]:
    """(kept_up_to, lost_from) of verdicts by sparsity (see the module docstring); the dense start is kept at 0."""
    lost = [sparsity for sparsity, verdict in probes.items() if verdict.verdict == LOST]
    lost_from = min(lost) if lost else None
    kept = [sparsity for sparsity, verdict in probes.items() if verdict.verdict == KEPT
            and (lost_from is None or sparsity < lost_from)]
    return max(kept, default=0.0), lost_from


class FrontierSearch:
    """One method's search under one attack (see the module docstring)."""

    def __init__(self, levels: tuple[float, ...], resolution: float, margin: float) -> None:
        self.levels, self.resolution, self.margin = tuple(sorted(levels)), resolution, margin
        self.probes: dict[float, Probe] = {}
        self.rounds = 0

    def verdicts(self, metric: str = "attack") -> dict[float, Verdict]:
        return {sparsity: getattr(probe, metric) for sparsity, probe in self.probes.items()}

    def wanted(self) -> list[float]:
        """The sparsities to probe next; [] once the search is done."""
        if self.rounds >= MAX_ROUNDS:
            return []
        if not self.probes:
            return list(self.levels)
        verdicts = self.verdicts()
        kept_up_to, lost_from = boundaries(verdicts)
        probed = sorted(verdicts)
        gaps = []
        above = [sparsity for sparsity in probed if sparsity > kept_up_to]
        # below the lowest probe only a loss is worth locating: "undecided" down to 0 says only that n is small
        if above and (kept_up_to > 0 or verdicts[above[0]].verdict == LOST):
            gaps.append((kept_up_to, above[0]))
        if lost_from is not None:
            below = [sparsity for sparsity in probed if sparsity < lost_from]
            gaps.append((below[-1] if below else 0.0, lost_from))
        midpoints = {grid_midpoint(low, high, self.resolution) for low, high in gaps}
        return sorted(point for point in midpoints if point is not None and point not in self.probes)

    def record(self, outcomes: dict[float, ProbeOutcomes]) -> None:
        self.rounds += 1
        for sparsity, probe_outcomes in outcomes.items():
            self.probes[sparsity] = judge(probe_outcomes, self.margin)

    @property
    def done(self) -> bool:
        return not self.wanted()


def search_frontier(levels, resolution: float, margin: float,
                    evaluate: Callable[[list[float]], dict[float, ProbeOutcomes]]) -> FrontierSearch:
    """Run one search to the end with ``evaluate`` (sparsities → their outcomes)."""
    search = FrontierSearch(tuple(levels), resolution, margin)
    while wanted := search.wanted():
        search.record(evaluate(wanted))
    return search


__all__ = ["ProbeOutcomes", "Probe", "FrontierSearch", "search_frontier", "judge", "boundaries", "grid_midpoint",
           "KEPT", "LOST", "UNDECIDED"]
