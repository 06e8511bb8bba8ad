"""The soup's "attack" criterion (the paper's): candidates ranked by accuracy under attack, not clean accuracy.

Two planted classifiers with the same clean predictions: the stock one, broken by the
planted word, and one whose planted word was defused (its embedding is an ordinary
word's), which no candidate can flip. Clean accuracy cannot tell them apart; accuracy
under attack can, and the greedy soup then starts from the robust one.
"""

import copy

import pytest
import torch
from planted import LABELS, TEXTS, TRIGGER

from robustprune.errors import RobustPruneError
from robustprune.soup import SoupConfig, criterion_for, greedy_soup, state_dict_of


@pytest.fixture(autouse=True)
def wordnet_candidates(monkeypatch):
    """The planted weakness is WordNet's first synonym of "terrible"; TextBugger's 5 nearest counter-fitted
    neighbours (the default candidates) do not include it. Here no vectors can be had, so the recipe takes
    WordNet's synonyms, as it does on a machine without the GloVe wheel."""
    from robustprune.attack import counterfit
    from robustprune.attack.recipes import parts

    def unavailable(folder=None):
        raise RobustPruneError("no word vectors in this test")

    monkeypatch.setattr(counterfit, "load_counterfitted", unavailable)
    monkeypatch.setattr(parts, "textattack_cached_vectors", lambda: None)


@pytest.fixture(scope="module")
def defused_model(dense_model, tokenizer):
    model = copy.deepcopy(dense_model)
    table = model.bert.embeddings.word_embeddings.weight
    with torch.no_grad():
        table[tokenizer.convert_tokens_to_ids(TRIGGER)] = table[tokenizer.convert_tokens_to_ids("film")]
    return model


@pytest.mark.filterwarnings("ignore:no word vectors")
def test_the_attack_criterion_measures_robustness_not_clean_accuracy(dense_model, defused_model, tokenizer):
    clean = criterion_for(SoupConfig())
    under_attack = criterion_for(SoupConfig(criterion="attack", attack_examples=len(TEXTS)))
    assert clean(dense_model, tokenizer, TEXTS, LABELS, 32) == pytest.approx(0.8)
    assert clean(defused_model, tokenizer, TEXTS, LABELS, 32) == pytest.approx(0.8)
    assert under_attack(dense_model, tokenizer, TEXTS, LABELS, 32) == 0.0  # every correct text is broken
    assert under_attack(defused_model, tokenizer, TEXTS, LABELS, 32) == pytest.approx(0.8)  # nothing flips it


@pytest.mark.filterwarnings("ignore:no word vectors")
def test_the_greedy_soup_ranks_by_accuracy_under_attack(dense_model, defused_model, tokenizer):
    probe = copy.deepcopy(dense_model)
    states = [state_dict_of(dense_model), state_dict_of(defused_model)]

    def evaluate_with(config):
        score = criterion_for(config)

        def evaluate(state):
            probe.load_state_dict(state)
            return score(probe, tokenizer, TEXTS, LABELS, 32)
        return evaluate

    by_clean = greedy_soup(states, evaluate_with(SoupConfig()))
    by_attack = greedy_soup(states, evaluate_with(SoupConfig(criterion="attack", attack_examples=len(TEXTS))))
    assert by_clean.order[0] == 0  # a tie: the first candidate leads
    assert by_attack.order[0] == 1 and by_attack.scores == pytest.approx([0.0, 0.8])
    assert by_attack.score >= by_attack.scores[1]  # the soup never scores below its best candidate
