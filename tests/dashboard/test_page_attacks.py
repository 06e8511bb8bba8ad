"""The Attacks page: summary, filterable examples, one example side by side."""

import re

import pytest

from tests.dashboard.conftest import open_page, plotly_figures, record_sent_messages, texts


def test_summary_and_example_side_by_side(home, workspace):
    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id, example="1")
    assert not app.exception and not app.error
    summary = dict(zip(app.dataframe[0].value["metric"], app.dataframe[0].value["value"]))
    assert summary["accuracy under attack"] == "25.0%" and summary["attack success rate"] == "66.7%"
    assert summary["transfer sparse → dense"] == "1 of 2 (50.0%)"
    assert "recipe" not in summary and "textfooler (test records)" in texts(app.caption)  # above, where it wraps
    assert list(app.dataframe[1].value["index"]) == [0, 1, 2, 3]

    [panel] = [text for text in texts(app.get("html")) if "<mark" in text]  # one block: both sides, the changes
    original, perturbed = panel.split(">Adversarial<")
    assert ">movie</mark>" in original and ">soared</mark>" in original  # replaced words, original side
    assert ">film</mark>" in perturbed and ">flew</mark>" in perturbed  # their replacements
    assert "<li><code>movie</code> → <code>film</code>: <b>word swap</b></li>" in perturbed  # the list below
    assert "prediction on the original text" in original and "positive 95%" in original and "positive 90%" in original
    # dense then sparse on the adversarial text; label names from the dense model
    assert re.search(r"dense</span>.*width:55.0%.*negative 55%.*sparse</span>.*width:85.0%.*negative 85%", perturbed)


@pytest.mark.parametrize("which, indices", [("succeeded", [0, 1]), ("failed", [2]), ("skipped", [3]),
                                            ("flipped in sparse only", [0]), ("flipped in dense only", [2])])
def test_filters(home, workspace, which, indices):
    app = open_page("pages/attacks.py", filter=which)
    assert not app.exception
    assert list(app.dataframe[1].value["index"]) == indices
    assert app.selectbox(key="example").options == [f"{index}: " for index in indices] or \
        [option.split(":")[0] for option in app.selectbox(key="example").options] == [str(i) for i in indices]


def test_previous_and_next_step_through_the_shown_examples(home, workspace):
    """The buttons beside the picker move through the table's examples (this filter's), wrapping round, and the
    URL follows."""
    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id,
                    filter="succeeded", example="0")
    assert app.selectbox(key="example").value == 0
    app.button(key="example-next").click().run()
    assert app.selectbox(key="example").value == 1 and app.query_params["example"] == "1"
    assert any(text.startswith("Example 1:") for text in texts(app.subheader))
    app.button(key="example-next").click().run()  # past the last succeeded example: back to the first
    assert app.selectbox(key="example").value == 0
    app.button(key="example-previous").click().run()
    assert app.selectbox(key="example").value == 1 and not app.exception


@pytest.fixture
def elements_by_fragment(monkeypatch):
    """The elements each script run sends, as (fragment id, element type, element id): a fragment's id names what
    its rerun redraws."""
    def element(msg):
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            return None
        kind = msg.delta.new_element.WhichOneof("type")
        return msg.delta.fragment_id, kind, getattr(getattr(msg.delta.new_element, kind), "id", "")

    return record_sent_messages(monkeypatch, element)


def test_stepping_through_examples_redraws_the_example_not_the_tables(home, workspace, elements_by_fragment):
    """Previous, Next and the picker were in the fragment of the summary and the examples' table (a thousand rows
    in a paper-sized attack), which each of their clicks sent again."""
    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id, example="0")
    assert not app.exception
    fragment_of = {}
    for fragment, kind, element_id in elements_by_fragment:
        fragment_of.setdefault(kind, set()).add(fragment)
        if "example-next" in element_id:
            fragment_of["next"] = fragment
    tables = fragment_of["dataframe"]
    assert len(tables) == 1 and "" not in tables  # the summary and the examples: one fragment
    assert fragment_of["next"] and fragment_of["next"] not in tables  # the example: a fragment of its own
    in_example = [kind for fragment, kind, _ in elements_by_fragment if fragment == fragment_of["next"]]
    assert "selectbox" in in_example and "dataframe" not in in_example


def test_no_attack_runs_yet(empty_home):
    """Said in a user's words (what to do to get one), not the store's ("kind", "attack" in quotes)."""
    app = open_page("pages/attacks.py")
    assert not app.exception
    [message] = [message for message in texts(app.info) if "No attack runs yet" in message]
    assert "Run a new attack" in message and "kind" not in message and '"attack"' not in message


def test_an_attack_job_from_the_page(home, workspace):
    from robustprune.jobs import JobQueue

    app = open_page("pages/attacks.py", target=workspace.sparsegpt_run_id, attack_dataset=workspace.csv_name,
                    examples="2")
    assert not app.exception and not app.error
    app.button(key="submit-attack").click().run()
    [job] = [job for job in JobQueue().list() if job.kind == "attack"]
    assert job.params["target"] == workspace.sparsegpt_run_id and job.params["attack"]["num_examples"] == 2
    assert "queued" in app.get("progress")[0].proto.text

    JobQueue().work(once=True)
    assert JobQueue().get(job.job_id).status == "done", JobQueue().get(job.job_id).error
    app.run()
    assert not app.exception and not app.error
    assert any("This attack is cached" in message for message in texts(app.success))
    assert any(workspace.sparsegpt_run_id in label for label in app.selectbox(key="run").options)


def test_an_attack_on_a_file_dataset_needs_the_file(home, workspace):
    app = open_page("pages/attacks.py", target=workspace.krp_run_id, attack_dataset="no-such-reviews.csv")
    assert not app.exception
    assert any("no file 'no-such-reviews.csv' in the data folder" in message for message in texts(app.error))
    assert "submit-attack" not in [button.key for button in app.button]


def test_the_examples_table_says_what_kind_of_change(home, workspace):
    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id)
    table = app.dataframe[1].value
    assert dict(zip(table["index"], table["change"])) == {0: "word swap", 1: "word swap", 2: "word swap", 3: ""}
    changes = [text for text in texts(app.get("html")) if "<li>" in text]
    assert changes and "great</code> → <code>okay</code>: <b>word swap</b>" in changes[0]


def test_an_example_is_explained_by_a_job_then_shown_from_the_cache(home, workspace):
    from robustprune.jobs import JobQueue

    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id, example="0")
    assert not app.exception and not app.error
    app.button(key="submit-explain").click().run()
    [job] = [job for job in JobQueue().list() if job.kind == "attribution"]
    assert job.params == {"attack": workspace.attack_run_id, "example": 0, "ig": {"steps": 50, "baseline": "pad",
                                                                                   "method": "gausslegendre"}}
    JobQueue().work(once=True)
    assert JobQueue().get(job.job_id).status == "done", JobQueue().get(job.job_id).error
    app.run()
    assert not app.exception and not app.error
    rows = [text for text in texts(app.get("html")) if "sparse · adversarial" in text]
    assert rows and "dense · original" in rows[0]
    agreement = [figure for figure in plotly_figures(app) if "cosine per layer" in figure["layout"]["title"]["text"]]
    assert agreement and {trace["name"] for trace in agreement[0]["data"]} >= {"original text, tokens",
                                                                                "adversarial text, tokens"}


def test_a_cached_explanation_is_shown_without_loading_a_model(home, workspace, monkeypatch):
    """The page reads the cached attribution run; it never loads a model or computes an attribution."""
    import transformers

    from robustprune.attack import attribution, explain

    explained = explain.explain_example(workspace.attack_run_id, 1, device="cpu")

    def refuse(*args, **kwargs):
        raise AssertionError("the page loaded a model or computed an attribution")

    monkeypatch.setattr(transformers.AutoModelForSequenceClassification, "from_pretrained", refuse)
    monkeypatch.setattr(attribution, "integrated_gradients", refuse)
    monkeypatch.setattr(explain, "attack_models", refuse)
    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id, example="1")
    assert not app.exception and not app.error
    [row_html] = [text for text in texts(app.get("html")) if "sparse · adversarial" in text]
    sparse_adversarial = explained.attribution("sparse", "perturbed")
    assert f"P={sparse_adversarial.probability:.2f}" in row_html
    assert "submit-explain" not in [button.key for button in app.button]


def test_the_invisible_characters_toggle(home, workspace):
    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id, example="0",
                    invisible="true")
    assert not app.exception and app.toggle(key="invisible").value is True


def test_a_new_attack_starts_on_the_run_the_page_shows(home, workspace):
    """Opened while an attack on the krp run is shown, the form attacks that run (with another recipe, say), not
    whichever model happens to be newest."""
    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id)
    app.session_state["new-attack-open"] = True
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="target").value == workspace.krp_run_id


@pytest.mark.parametrize("query, warned", [
    ({"run": "prune-000000000000"},
     "The link's run='prune-000000000000' is not one of the choices of \"Attacked run\""),
    ({"attack": "attack-000000000000"}, "The link's attack='attack-000000000000' is not one of the choices of "
                                        "\"Recipe\""),
    ({"example": "9999"}, "The link's example='9999' is not one of the choices of \"Example\""),
    ({"target": "prune-000000000000"}, "The link's target='prune-000000000000' is not one of the choices of "
                                       "\"Model to attack\""),
])
def test_a_stale_link_says_what_it_shows_instead(home, workspace, query, warned):
    """A link to a deleted run, attack or example shows what there is, and says so once (not silently)."""
    app = open_page("pages/attacks.py", **query)
    assert not app.exception
    [notice] = [text for text in texts(app.toast) if text.startswith("The link's")]
    assert notice.startswith(warned) and "showing" in notice
    app.run()  # the URL now names what is shown: no notice on the next run
    assert not [text for text in texts(app.toast) if text.startswith("The link's")]


def test_a_link_to_a_run_without_attacks_opens_the_form_on_it(home, workspace):
    app = open_page("pages/attacks.py", run=workspace.sparsegpt_run_id)
    assert not app.exception
    assert any(f"No attacks on `{workspace.sparsegpt_run_id}` yet" in text for text in texts(app.info))
    assert app.selectbox(key="target").value == workspace.sparsegpt_run_id  # "Run a new attack", open on it
    assert not [text for text in texts(app.toast) if text.startswith("The link's")]  # said once, not twice
