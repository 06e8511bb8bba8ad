"""The Embeddings page: similarity per layer dense vs sparse, and the PCA of one layer's pairs."""

import pytest

from tests.dashboard.conftest import open_page, plotly_figures, texts


def projected(app):
    """The page after its projection job (submitted by the page on the first look) ran in a worker."""
    from robustprune.jobs import JobQueue

    [job] = [job for job in JobQueue().list() if job.kind == "projection"]
    assert not plotly_figures(app)[1:]  # before: the similarity figure only, the job's progress below it
    JobQueue().work(once=True)
    assert JobQueue().get(job.job_id).status == "done", JobQueue().get(job.job_id).error
    app.run()
    assert not app.exception and not app.error
    return app


def test_similarity_per_layer_and_projection(home, workspace):
    from robustprune.jobs import JobQueue

    app = open_page("pages/embeddings.py", example="1", layer="2", space="sparse")
    assert not app.exception and not app.error
    [job] = [job for job in JobQueue().list() if job.kind == "projection"]
    assert job.params == {"attack": workspace.attack_run_id} and job.status == "queued"
    assert any("Projecting the pairs" in progress.proto.text for progress in app.get("progress"))
    similarity, projection = plotly_figures(projected(app))
    means = {trace["name"]: trace for trace in similarity["data"]}
    # constructed records: cosine_mean = 1 - 0.05 * layer (dense), 1 - 0.1 * layer (sparse), same for both examples
    assert means["dense: mean"]["y"] == pytest.approx([1.0, 0.95, 0.9, 0.85])
    assert means["sparse: mean"]["y"] == pytest.approx([1.0, 0.9, 0.8, 0.7])
    assert "sparse: selected" in means

    traces = {trace["name"]: trace for trace in projection["data"]}
    points = sum(len(trace["x"]) for name, trace in traces.items() if name.startswith(("original", "adversarial")))
    assert points == 4  # two successful examples, original and adversarial each
    assert len(traces["example 1"]["x"]) == 2  # the selected pair, highlighted
    assert "layer 2" in projection["layout"]["title"]["text"]


def test_pooling_and_failed_examples(home, workspace):
    app = open_page("pages/embeddings.py", pooling="cls", failed="true")
    assert not app.exception and not app.error
    similarity, projection = plotly_figures(projected(app))
    assert "[CLS]" in similarity["layout"]["title"]["text"]
    points = sum(len(trace["x"]) for trace in projection["data"] if trace["name"].startswith(("original", "advers")))
    assert points == 6  # the failed example's last attempt joins


def test_no_attack_runs_yet(empty_home):
    app = open_page("pages/embeddings.py")
    [message] = [message for message in texts(app.info) if "No attack runs yet" in message]
    assert "Attacks" in message and "kind" not in message and '"attack"' not in message
    assert [link.proto.page for link in app.get("page_link")] == ["attacks"]


def test_the_per_layer_auc_from_a_job(home, workspace):
    from robustprune.jobs import JobQueue

    app = open_page("pages/embeddings.py")
    assert not app.exception and not app.error
    app.button(key="submit-layer-auc").click().run()
    [job] = [job for job in JobQueue().list() if job.kind == "layer-auc"]
    assert job.params == {"attack": workspace.attack_run_id}
    JobQueue().work(once=True)
    assert JobQueue().get(job.job_id).status == "done", JobQueue().get(job.job_id).error
    app.run()
    assert not app.exception and not app.error
    [figure] = [figure for figure in plotly_figures(app) if "sparse-only flips" in figure["layout"]["title"]["text"]]
    traces = {trace["name"]: trace for trace in figure["data"]}
    # the constructed run: example 0 flips the sparse model only; 1 (both flip) and 2 (failed) are the others
    assert "(1)" in figure["layout"]["title"]["text"] and "(2)" in figure["layout"]["title"]["text"]
    assert len(traces["AUC, adversarial texts"]["y"]) == 4  # embeddings + the tiny model's 3 blocks
    assert len(traces["reconstruction error"]["y"]) == 4


def test_a_cached_projection_is_drawn_without_loading_a_model(home, workspace, monkeypatch):
    """The projection is the worker's: once cached, the page only reads coordinates."""
    import transformers

    from robustprune.attack import derived, projection
    from robustprune.jobs import JobQueue

    projection.ensure_projection(workspace.attack_run_id)

    def refuse(*args, **kwargs):
        raise AssertionError("the page loaded a model or computed hidden states")

    monkeypatch.setattr(transformers.AutoModelForSequenceClassification, "from_pretrained", refuse)
    monkeypatch.setattr(derived, "attack_models", refuse)
    monkeypatch.setattr(projection, "pooled_layer_states", refuse)
    app = open_page("pages/embeddings.py", example="1", layer="3", space="dense")
    assert not app.exception and not app.error
    similarity, projected_pairs = plotly_figures(app)
    assert "dense model, layer 3" in projected_pairs["layout"]["title"]["text"]
    assert not [job for job in JobQueue().list() if job.kind == "projection"]  # nothing submitted


def test_a_link_to_a_model_not_attacked_yet_is_said_without_a_form_that_is_not_here(home, workspace):
    """The Attacks page sets its "Run a new attack" form to such a model; this page has no such form: the link's
    run is said to be none of the attacked runs, and the page shows the attacks there are."""
    app = open_page("pages/embeddings.py", run=workspace.sparsegpt_run_id)
    assert not app.exception and not app.error
    assert not any("Run a new attack" in text for text in texts(app.info)) and "target" not in app.query_params
    assert any(text.startswith(f"The link's run='{workspace.sparsegpt_run_id}' is not one of the choices")
               for text in texts(app.toast))
    assert app.selectbox(key="run").value == workspace.krp_run_id
