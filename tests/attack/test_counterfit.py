"""Counter-fitting (Mrkšić et al., 2016): the objective's terms, what the descent does, WordNet's pairs."""

from __future__ import annotations

import pytest
import torch

from robustprune.attack.counterfit import (CounterFitting, cosine_distance, counter_fit, neighbourhoods, objective,
                                           unit_rows, wordnet_constraints)


def test_the_three_terms_by_hand():
    vectors = unit_rows(torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]]))
    antonyms = torch.tensor([[0, 1]])        # d = 1 - 0.8 = 0.2: repelled by delta - d = 0.8
    synonyms = torch.tensor([[0, 2]])        # d = 1: attracted by d - gamma = 1
    neighbours = torch.tensor([[1, 2], [0, 3]])
    original = torch.tensor([0.5, 2.5])      # d now 0.4 (> 0.5? no: 0) and 2.0 (< 2.5: 0) ... see below
    settings = CounterFitting(k1=0.1, k2=0.2, k3=0.3)
    terms = objective(vectors, antonyms, synonyms, neighbours, original, settings)
    assert cosine_distance(vectors, neighbours).tolist() == pytest.approx([0.4, 2.0])
    assert terms["AR"].item() == pytest.approx(0.8) and terms["SA"].item() == pytest.approx(1.0)
    assert terms["VSP"].item() == pytest.approx(0.0)  # neither neighbour pair moved apart
    assert terms["C"].item() == pytest.approx(0.1 * 0.8 + 0.2 * 1.0)
    moved = objective(vectors, antonyms, synonyms, neighbours, torch.tensor([0.1, 2.5]), settings)
    assert moved["VSP"].item() == pytest.approx(0.3)  # tau(0.4 - 0.1)


def test_descent_repels_antonyms_attracts_synonyms_and_keeps_the_rest():
    torch.manual_seed(0)
    base = torch.randn(40, 16)
    base[1] = base[0] + 0.1 * torch.randn(16)   # an antonym pair that starts close (as good/bad do)
    base[3] = -base[2] + 0.5 * torch.randn(16)  # a synonym pair that starts far apart
    base[5] = base[4] + 0.2 * torch.randn(16)   # neighbours under no constraint
    antonyms, synonyms = torch.tensor([[0, 1]]), torch.tensor([[2, 3]])
    before = unit_rows(base)
    after, history = counter_fit(base, antonyms, synonyms, CounterFitting(iterations=20))
    assert torch.allclose(after.norm(dim=1), torch.ones(40), atol=1e-5)
    assert cosine_distance(after, antonyms) > cosine_distance(before, antonyms) + 0.5
    assert cosine_distance(after, synonyms) < cosine_distance(before, synonyms) - 0.5
    kept = torch.tensor([[4, 5]])
    assert cosine_distance(after, kept).item() <= cosine_distance(before, kept).item() + 0.05
    assert history[-1]["C"] < history[0]["C"]


def test_neighbourhoods_are_the_words_within_rho():
    vectors = unit_rows(torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.95, -0.05]]))
    pairs = {tuple(pair) for pair in neighbourhoods(vectors, rho=0.2, limit=3).tolist()}
    assert pairs == {(0, 1), (1, 0), (0, 3), (3, 0), (1, 3), (3, 1)}
    assert {tuple(p) for p in neighbourhoods(vectors, rho=0.2, limit=1).tolist()} <= pairs


def test_wordnet_pairs_direct_and_indirect_antonyms():
    words = ["good", "bad", "terrible", "awful", "boring", "interesting", "movie", "film", "tedious"]
    index = {word: i for i, word in enumerate(words)}
    synonyms, antonyms = wordnet_constraints(index)
    named = lambda pairs: {frozenset((words[u], words[w])) for u, w in pairs}  # noqa: E731
    assert {frozenset(("good", "bad")), frozenset(("boring", "interesting"))} <= named(antonyms)
    assert frozenset(("tedious", "interesting")) in named(antonyms)  # a satellite of "uninteresting"
    assert {frozenset(("terrible", "awful")), frozenset(("movie", "film"))} <= named(synonyms)
    assert not named(synonyms) & named(antonyms)


def test_the_offline_vectors_push_antonyms_out_of_the_neighbourhood():
    """The vectors the recipes use by default (GloVe 6B 50d counter-fitted on first use, cached): antonyms that
    GloVe has among a word's 50 nearest neighbours are gone from them; synonyms are drawn in."""
    from robustprune.attack import counterfit
    from robustprune.attack.vectors import WordVectors

    after = counterfit.load_counterfitted()
    words, matrix = counterfit.frequent_glove(counterfit.VOCABULARY)
    index = {word: row for row, word in enumerate(words)}
    before = WordVectors(unit_rows(torch.from_numpy(matrix)).numpy(), index, dict(enumerate(words)), None)

    def nearest(vectors, word):
        return {vectors.index2word(i) for i in vectors.nearest_neighbours(index[word], 50)}

    for word, antonym in [("bad", "good"), ("boring", "interesting"), ("good", "hard")]:
        assert antonym in nearest(before, word) and antonym not in nearest(after, word)
    assert after.get_cos_sim("terrible", "dreadful") > before.get_cos_sim("terrible", "dreadful")
