"""Reading attack runs, and marking the words an attack changed."""

import json

import pytest

from robustprune.figures import attacks
from robustprune.errors import RobustPruneError
from robustprune.store import RunStore
from tests.dashboard.conftest import constructed_attack_result

# textattack.shared.utils.words_from_text on the same strings (textattack 0.3.11)
TEXTATTACK_WORDS = {
    "it's a -great- film, isn't it?": ["it's", "a", "great", "film", "isn't", "it"],
    'the "best" movie @home 10/10 -- co-op *wow* _x_': ["the", "best", "movie", "home", "10", "10", "co-op", "wow",
                                                        "x"],
    "naïve café's crème brûlée": ["naïve", "café's", "crème", "brûlée"],
}


@pytest.mark.parametrize("text", list(TEXTATTACK_WORDS))
def test_words_split_like_textattack(text):
    assert attacks.words(text) == TEXTATTACK_WORDS[text]


def test_changed_words_are_marked_and_the_rest_escaped():
    html = attacks.highlighted_html("a <b>bold</b> & dull film", [2, 4], "#fcc")  # a b bold b dull film
    assert "&lt;b&gt;" in html and "&amp;" in html and "<b>" not in html
    assert html.count("<mark") == 2 and ">bold</mark>" in html and ">dull</mark>" in html


def test_perturbed_side_marks_what_differs():
    assert attacks.perturbed_word_indices("the plot was thin", "the story was very thin") == [1, 3]


def test_unknown_filter():
    with pytest.raises(RobustPruneError, match="unknown filter"):
        attacks.filter_examples(attacks.examples_frame(constructed_attack_result(), ["neg", "pos"]), "odd")


def test_attack_runs_list_and_load(home, workspace):
    store = RunStore()
    [info] = attacks.list_attack_runs(store)
    assert (info.run_id, info.target_run_id, info.recipe) == (workspace.attack_run_id, workspace.krp_run_id,
                                                              "textfooler")
    assert info.model_runs == {"dense": workspace.dense_run_id, "sparse": workspace.krp_run_id}
    loaded = attacks.load_attack_result(store.require(info.run_id))
    assert loaded.examples == constructed_attack_result().examples
    assert attacks.label_names(store, info.dense_run_id) == ["negative", "positive"]


def test_an_unreadable_attack_run_is_left_out_of_the_list():
    store = RunStore()
    with store.write("attack", {"broken": True}) as run:
        (run.directory / "notes.json").write_text(json.dumps({}))
    assert attacks.list_attack_runs(store) == []
