"""Attacking the user's own sentences from the Attacks page: parsing, the two jobs, the side-by-side result."""

import pytest

from robustprune.dashboard.texts_attack import parse_pasted, side_by_side_requests
from robustprune.errors import RobustPruneError
from tests.dashboard.conftest import open_page, texts

CLASSES = ["negative", "positive"]


def test_pasted_lines_with_and_without_labels():
    labelled = parse_pasted("positive: a fine film\n\n1: it soared\nNEGATIVE: dull: and slow", CLASSES)
    assert labelled.texts == ("a fine film", "it soared", "dull: and slow") and labelled.labels == (
        "positive", "1", "NEGATIVE")
    plain = parse_pasted("note: a colon that is not a label\none more", CLASSES)
    assert plain.labels is None and plain.texts[0] == "note: a colon that is not a label"


@pytest.mark.parametrize("text, message", [
    ("positive: a fine film\nno label here", "line 2 has no label but others do"),
    ("  \n\n", "no sentences"),
])
def test_pasted_text_that_cannot_be_attacked(text, message):
    with pytest.raises(RobustPruneError, match=message):
        parse_pasted(text, CLASSES)


def test_the_same_texts_on_the_dense_parent_and_the_pruned_run(home, workspace):
    from robustprune.store import RunStore

    requests = side_by_side_requests(RunStore(), workspace.krp_run_id, "textbugger",
                                     parse_pasted("a fine film", CLASSES))
    assert requests["dense"].target == workspace.dense_run_id and requests["pruned"].target == workspace.krp_run_id
    assert requests["dense"].to_dict()["texts"] == requests["pruned"].to_dict()["texts"] == {
        "texts": ["a fine film"], "labels": None, "source": "pasted"}
    assert requests["dense"].run_id() != requests["pruned"].run_id()
    with pytest.raises(RobustPruneError, match="is of kind .finetune.; pick a pruning run"):
        side_by_side_requests(RunStore(), workspace.dense_run_id, "textbugger", parse_pasted("x", CLASSES))


def open_own_texts_panel(**link):
    """The Attacks page (of ``link``'s parameters) with "Attack your own sentences" opened (its form is built only
    while it is open)."""
    app = open_page("pages/attacks.py", **link)
    assert not any(element.key == "texts_target" for element in app.selectbox)  # closed: nothing built
    app.session_state["own-texts-open"] = True
    return app.run()


def test_attack_pasted_sentences_on_both_models_from_the_page(home, workspace):
    from robustprune.jobs import JobQueue

    app = open_own_texts_panel()
    app.selectbox(key="texts_target").select(workspace.krp_run_id)
    app.selectbox(key="texts_recipe").select("textbugger")
    app.text_area(key="texts_pasted").input("negative: this movie was dull and the plot dragged").run()
    assert not app.exception and not app.error
    app.button(key="submit-texts-attack").click().run()
    jobs = [job for job in JobQueue().list() if job.kind == "attack"]
    assert sorted(job.params["target"] for job in jobs) == sorted([workspace.dense_run_id, workspace.krp_run_id])
    assert all(job.params["texts"]["labels"] == ["negative"] for job in jobs)

    JobQueue().work(once=True)
    assert all(JobQueue().get(job.job_id).status == "done" for job in jobs), [
        JobQueue().get(job.job_id).error for job in jobs]
    app.run()
    assert not app.exception and not app.error
    shown = texts(app.markdown)
    assert any(line.startswith("**Dense**") for line in shown) and any(line.startswith("**Pruned (krp")
                                                                       for line in shown)


def test_a_label_that_is_not_a_class_is_one_line(home, workspace):
    app = open_own_texts_panel()
    app.selectbox(key="texts_target").select(workspace.krp_run_id)
    app.text_area(key="texts_pasted").input("positive: fine\nno label").run()
    assert not app.exception
    assert any("line 2 has no label" in message for message in texts(app.error))


def test_the_form_starts_on_the_run_the_page_shows(home, workspace):
    """Not on the newest pruning run (the structured one): on the attacked run the page shows."""
    app = open_own_texts_panel(run=workspace.krp_run_id)
    assert not app.exception and not app.error
    assert app.selectbox(key="run").value == workspace.krp_run_id
    assert app.selectbox(key="texts_target").value == workspace.krp_run_id
    app.selectbox(key="texts_target").select(workspace.sparsegpt_run_id).run()  # a choice made in the form holds
    app.text_area(key="texts_pasted").input("a fine film").run()
    assert app.selectbox(key="texts_target").value == workspace.sparsegpt_run_id


def test_the_form_follows_the_model_run_a_new_attack_is_set_to(home, workspace):
    """From the Prune page's "Attack this run" (``target``): the model the page is about, in both forms; and when
    "Run a new attack" is set to another model, the sentences' form follows."""
    app = open_own_texts_panel(target=workspace.sparsegpt_run_id)
    assert not app.exception and not app.error
    assert app.selectbox(key="target").value == workspace.sparsegpt_run_id
    assert app.selectbox(key="texts_target").value == workspace.sparsegpt_run_id
    app.selectbox(key="target").select(workspace.structured_run_id).run()
    assert app.selectbox(key="texts_target").value == workspace.structured_run_id
    app.selectbox(key="target").select(workspace.dense_run_id).run()  # not a pruning run: the attacked run shown
    assert app.selectbox(key="texts_target").value == workspace.krp_run_id
