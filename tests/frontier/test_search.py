"""The frontier's search on a planted response: a stand-in evaluator maps sparsity to per-sentence outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from robustprune.frontier.answer import FrontierAnswer
from robustprune.frontier.search import ProbeOutcomes, grid_midpoint, search_frontier
from robustprune.frontier.verdict import KEPT, LOST, UNDECIDED, decide, sentences_to_decide
from robustprune.stats import SentenceOutcomes

PAPER_LEVELS = (0.3, 0.5, 0.7, 0.875)
N = 400


def planted(frontier: float, collapse_from: float | None = None, n: int = N, clean_frontier: float = 0.95):
    """An evaluator whose pruned models keep every dense outcome below ``frontier`` and lose 40 % of the dense
    model's robust sentences (and half its correct ones past ``clean_frontier``) above it; it counts its work."""
    rng = np.random.default_rng(0)
    dense_results = rng.choice(["failed", "succeeded", "skipped"], size=n, p=[0.3, 0.55, 0.15])
    dense = SentenceOutcomes.from_results(dense_results)
    robust_positions = np.flatnonzero(dense_results == "failed")
    correct_positions = np.flatnonzero(dense_results != "skipped")
    computed: list[float] = []
    cache: dict[float, ProbeOutcomes] = {}

    def outcome(sparsity: float) -> ProbeOutcomes:
        results = dense_results.copy()
        if sparsity > frontier:
            results[robust_positions[: int(0.4 * len(robust_positions))]] = "succeeded"
        if sparsity > clean_frontier:
            results[correct_positions[::2]] = "skipped"
        return ProbeOutcomes(sparsity, [(SentenceOutcomes.from_results(results), dense)],
                             collapsed=collapse_from is not None and sparsity >= collapse_from)

    def evaluate(sparsities):
        answer = {}
        for sparsity in sparsities:
            if sparsity not in cache:  # a cached run is not computed again
                computed.append(sparsity)
                cache[sparsity] = outcome(sparsity)
            answer[sparsity] = cache[sparsity]
        return answer

    return evaluate, computed


@pytest.mark.parametrize("frontier", [0.42, 0.61, 0.77, 0.8, 0.2])
def test_the_search_finds_a_planted_frontier_within_the_resolution(frontier):
    evaluate, computed = planted(frontier)
    search = search_frontier(PAPER_LEVELS, 0.025, 0.05, evaluate)
    answer = FrontierAnswer.of(search, "krp", "krp", "textbugger", N, 1)
    assert answer.attack.kept_up_to <= frontier < answer.attack.lost_from
    assert answer.attack.lost_from - answer.attack.kept_up_to <= 0.025 + 1e-9
    assert not answer.attack.undecided
    assert len(computed) == len(set(computed))  # no sparsity probed twice
    assert set(computed[:4]) == set(PAPER_LEVELS)  # the paper's levels first
    assert len(computed) <= 4 + 2 * 4  # bisection: about log2(0.2 / 0.025) = 3 probes per boundary
    # clean accuracy is kept throughout (its drop is planted above every probed level)
    assert answer.clean.lost_from is None and answer.clean.kept_up_to == max(computed)
    # a second identical request computes nothing: the same probes, all of them cached
    before = list(computed)
    again = search_frontier(PAPER_LEVELS, 0.025, 0.05, evaluate)
    assert computed == before and sorted(again.probes) == sorted(search.probes)


def test_a_collapsed_model_is_never_kept():
    evaluate, _ = planted(0.95, collapse_from=0.7)  # robust everywhere, but collapsed from 70 %
    search = search_frontier(PAPER_LEVELS, 0.025, 0.05, evaluate)
    assert all(probe.attack.verdict == LOST for probe in search.probes.values() if probe.sparsity >= 0.7)
    answer = FrontierAnswer.of(search, "krp", "krp", "textbugger", N, 1)
    assert answer.attack.lost_from == 0.7 and 0.675 <= answer.attack.kept_up_to < 0.7


def test_too_few_sentences_leave_the_boundary_undecided_with_how_many_would_decide():
    evaluate, _ = planted(0.6, n=40)
    search = search_frontier(PAPER_LEVELS, 0.025, 0.05, evaluate)
    answer = FrontierAnswer.of(search, "krp", "krp", "textbugger", 40, 1)
    undecided = [probe for probe in search.probes.values() if probe.attack.verdict == UNDECIDED]
    assert undecided and all(probe.attack.sentences_to_decide > 40 for probe in undecided)
    assert "undecided" in answer.line() and "sentences would decide" in answer.line()
    # the next question: that many sentences, when the test split has them (the first 40 are reused)
    from robustprune.frontier.answer import more_sentences

    needed = answer.attack.sentences_to_decide
    wanted, why = more_sentences([answer], 40, test_size=needed)
    assert wanted == needed and f"only the {needed - 40:,} sentences added" in why
    wanted, why = more_sentences([answer], 40, test_size=needed - 1)
    assert wanted is None and f"more than the test split's {needed - 1:,}" in why
    assert more_sentences([answer], needed, test_size=10_000) == (None, None)


def test_verdicts_follow_the_interval_and_the_margin():
    assert decide(-0.02, -0.045, 0.005, 100, 0.05).verdict == KEPT  # the drop is within 5 points
    assert decide(-0.02, -0.045, 0.005, 100, 0.0).verdict == UNDECIDED  # ... but not shown to be none
    assert decide(-0.08, -0.14, -0.02, 100, 0.05).verdict == LOST  # a significant drop
    assert decide(0.01, -0.03, 0.05, 100, 0.05, collapsed=True).verdict == LOST
    # halving a half-width takes four times the sentences
    assert sentences_to_decide(-0.05, -0.11, 0.01, 100, 0.0) == 144  # lost at 100 · (0.06 / 0.05)²
    assert sentences_to_decide(0.0, -0.06, 0.06, 100, 0.03) == 400  # kept at 100 · (0.06 / 0.03)²
    assert sentences_to_decide(0.0, -0.06, 0.06, 100, 0.0) is None


def test_midpoints_stay_on_the_resolution_grid():
    assert grid_midpoint(0.7, 0.875, 0.025) == 0.775
    assert grid_midpoint(0.7, 0.725, 0.025) is None
    assert grid_midpoint(0.0, 0.3, 0.025) == 0.15
    assert grid_midpoint(0.5, 0.53, 0.025) == 0.525  # a gap just above one step is still split


def test_over_seeds_the_verdict_uses_the_pooled_interval():
    """Three seeds that each lose 40 % of the robust sentences past the frontier: the pooled bootstrap decides."""
    evaluators = [planted(0.6)[0] for _ in range(3)]

    def evaluate(sparsities):
        answers = [evaluator(sparsities) for evaluator in evaluators]
        return {s: ProbeOutcomes(s, [pair for answer in answers for pair in answer[s].pairs]) for s in sparsities}

    search = search_frontier(PAPER_LEVELS, 0.025, 0.05, evaluate)
    answer = FrontierAnswer.of(search, "krp", "krp", "textbugger", N, 3)
    assert answer.attack.kept_up_to <= 0.6 < answer.attack.lost_from <= 0.625
    lost = search.probes[answer.attack.lost_from].attack
    assert lost.p_value is None and lost.difference_high < 0  # pooled: an interval, each seed keeps its own p
    assert ", 3 seeds:" in answer.line()


def test_the_figure_draws_every_probe_with_its_interval_and_the_band_between_kept_and_lost():
    from robustprune.frontier.figure import frontier_figure

    evaluate, _ = planted(0.61)
    search = search_frontier(PAPER_LEVELS, 0.025, 0.05, evaluate)
    answer = FrontierAnswer.of(search, "krp", "krp", "textbugger", N, 1)
    figure = frontier_figure(answer)
    attack = [trace for trace in figure.data if trace.name.startswith("under attack")]
    xs = sorted(x for trace in attack for x in trace.x)
    assert xs == pytest.approx(sorted(s * 100 for s in search.probes))
    for trace in attack:
        for x, y, plus, minus in zip(trace.x, trace.y, trace.error_y.array, trace.error_y.arrayminus):
            verdict = search.probes[round(x / 100, 6)].attack
            assert (y - minus, y + plus) == pytest.approx((verdict.difference_low * 100, verdict.difference_high * 100))
    band = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert len(band) == 1 and (band[0].x0, band[0].x1) == pytest.approx((answer.attack.kept_up_to * 100,
                                                                          answer.attack.lost_from * 100))


def test_robustness_kept_where_clean_accuracy_was_lost_is_said_to_be_no_free_lunch():
    """A model degrading towards one class keeps (or gains) accuracy under attack while losing clean accuracy: the
    answer names those sparsities, and says nothing of the kind where clean accuracy held."""
    rng = np.random.default_rng(1)
    dense_results = rng.choice(["failed", "succeeded", "skipped"], size=N, p=[0.3, 0.55, 0.15])
    dense = SentenceOutcomes.from_results(dense_results)
    flippable = np.flatnonzero(dense_results == "succeeded")

    def evaluate(sparsities):  # above 60 %, half the sentences the attack flipped are now misclassified outright
        found = {}
        for sparsity in sparsities:
            results = dense_results.copy()
            if sparsity > 0.6:
                results[flippable[::2]] = "skipped"
            found[sparsity] = ProbeOutcomes(sparsity, [(SentenceOutcomes.from_results(results), dense)])
        return found

    search = search_frontier(PAPER_LEVELS, 0.025, 0.05, evaluate)
    answer = FrontierAnswer.of(search, "sparsegpt", "sparsegpt", "textbugger", N, 1)
    hollow = answer.kept_but_clean_lost()
    assert hollow and min(hollow) > 0.6 and 0.7 in hollow and 0.5 not in hollow
    assert all(search.probes[s].attack.verdict == KEPT and search.probes[s].clean.verdict == LOST for s in hollow)
    assert "robustness was kept but clean accuracy lost: no free lunch" in answer.line()
    healthy = FrontierAnswer.of(search_frontier(PAPER_LEVELS, 0.025, 0.05, planted(0.61)[0]), "krp", "krp",
                                "textbugger", N, 1)
    assert healthy.kept_but_clean_lost() == [] and "no free lunch" not in healthy.line()


def test_an_undecided_level_above_the_loss_is_named_in_the_line():
    """krp under TextBugger on 400 sentences: lost from 70 % but undecided at 87.5 %; the line says both."""
    from robustprune.frontier.answer import Boundary

    verdicts = {0.3: decide(0.0, -0.02, 0.02, 400, 0.05), 0.7: decide(-0.03, -0.06, -0.001, 400, 0.05),
                0.875: decide(-0.025, -0.058, 0.007, 400, 0.05)}
    assert [verdicts[s].verdict for s in (0.3, 0.7, 0.875)] == [KEPT, LOST, UNDECIDED]
    boundary = Boundary.of(verdicts)
    assert boundary.undecided_beyond == [0.875] and boundary.undecided == []
    assert boundary.describe() == "kept up to 30 %, lost from 70 %; 87.5 % undecided above the loss"


def test_an_answer_stored_before_undecided_beyond_reads_it_off_its_probes():
    evaluate, _ = planted(0.6, n=40)
    answer = FrontierAnswer.of(search_frontier(PAPER_LEVELS, 0.025, 0.05, evaluate), "krp", "krp", "textbugger", 40, 1)
    stored = answer.to_dict()
    for metric in ("attack", "clean"):
        del stored[metric]["undecided_beyond"]
    assert FrontierAnswer.from_dict(stored) == answer
