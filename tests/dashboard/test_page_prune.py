"""The Prune page: cached runs show at once, others become a job with live progress."""

import pytest

from robustprune.jobs import JobQueue
from robustprune.store import RunStore
from tests.dashboard.conftest import open_page, plotly_figures, texts


def prune_page(workspace, **query):
    return open_page("pages/prune.py", **{"model": workspace.model_name, "dataset": workspace.csv_name,
                                          "calibration": "16", **query})


def test_a_cached_run_shows_its_numbers_heatmaps_and_lines(home, workspace):
    from robustprune.pipeline import read_prune_result

    app = prune_page(workspace, method="krp", sparsity="50")
    assert not app.exception and not app.error
    result = read_prune_result(RunStore().require(workspace.krp_run_id))
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["accuracy dense"] == f"{result.accuracy_dense:.1%}"
    assert metrics["accuracy sparse"] == f"{result.accuracy_sparse:.1%}"
    assert metrics["achieved sparsity"] == f"{result.sparsity:.2%}"
    assert workspace.krp_run_id in app.success[0].value

    figures = plotly_figures(app)
    [heatmaps] = [figure for figure in figures if figure["data"][0]["type"] == "heatmap"]
    local, end_to_end = heatmaps["data"]  # side by side, one colour scale
    assert (local["name"], end_to_end["name"]) == ("local", "end-to-end")
    assert local["y"] == ["Q", "K", "V", "O", "FFN in", "FFN out"] and len(local["x"]) == 3  # 3 blocks
    first = next(layer for layer in result.layers if layer.block == 0 and layer.sublayer == "query")
    assert local["z"][0][0] == pytest.approx(first.reconstruction_error_local)
    assert end_to_end["z"][0][0] == pytest.approx(first.reconstruction_error_e2e)
    # krp is compared with the cached sparsegpt run by default: both runs' lines over depth
    assert app.selectbox(key="compare").value.startswith("sparsegpt")
    depth = next(figure for figure in figures if "over depth" in figure["layout"].get("title", {}).get("text", ""))
    assert {trace["legendgroup"] for trace in depth["data"]} == {"krp 50.0%", "sparsegpt 50.0%"}


def test_presets_set_the_slider(home, workspace):
    app = prune_page(workspace, method="krp")
    app.segmented_control(key="preset").set_value(87.5).run()
    assert app.slider(key="sparsity").value == 87.5
    assert any("not cached yet" in message for message in texts(app.info))


def test_the_papers_setup_on_a_small_file_says_what_does_not_fit(home, workspace):
    """The toggle takes the paper's 512 calibration texts; the tiny file has 230 training texts: one clear error.
    (The job it would submit is checked in test_prune_form.py.)"""
    app = prune_page(workspace, method="krp", sparsity="87.5", paper="True", adversarial="32")
    assert not app.exception
    assert any("Paper's setup" in caption for caption in texts(app.caption))
    assert texts(app.error) == ["calibration 512 + held-out 32 texts exceed the 230 training texts of "
                                "file:reviews.csv; choose a smaller calibration size"]


def test_a_collapsed_run_is_said_to_be_one(home, workspace):
    from robustprune.prune.results import collapse_of

    summary = RunStore().require(workspace.krp_run_id).summary
    check = collapse_of(summary["test_prediction_counts"], summary["test_label_counts"], summary["accuracy_sparse"])
    app = prune_page(workspace, method="krp", sparsity="50")
    warnings = [text for text in texts(app.warning) if "collapsed" in text]
    assert (len(warnings) == 1) == check.collapsed  # the tiny random model: whatever its predictions say
    if check.collapsed:
        assert check.reason in warnings[0]


def test_an_uncached_run_becomes_a_job_with_progress_then_shows(home, workspace):
    app = prune_page(workspace, method="magnitude", sparsity="70")
    assert any("not cached yet" in message for message in texts(app.info))
    app.button(key="submit-job").click().run()
    [job] = [job for job in JobQueue().list() if job.kind == "prune"]
    assert job.status == "queued" and job.params["prune"]["sparsity"] == 0.7
    assert "queued" in app.get("progress")[0].proto.text

    second_tab = prune_page(workspace, method="magnitude", sparsity="70")  # sees the same job
    assert "queued" in second_tab.get("progress")[0].proto.text and len(JobQueue().list()) == 1

    JobQueue().work(once=True)
    app.run()
    assert not app.exception and not app.error
    assert {metric.label: metric.value for metric in app.metric}["achieved sparsity"].startswith("70.0")


def test_a_failed_job_shows_its_error_and_can_be_retried(home, workspace, monkeypatch):
    from robustprune.errors import RobustPruneError
    from robustprune.requests import PruneRequest

    def out_of_memory(request, *args, progress, **kwargs):
        progress("prune", 3, 12)
        raise RobustPruneError("out of memory on layer 2")

    monkeypatch.setattr(PruneRequest, "run", out_of_memory)
    app = prune_page(workspace, method="wanda", sparsity="30")
    app.button(key="submit-job").click().run()
    JobQueue().work(once=True)
    app.run()
    assert any("out of memory on layer 2" in message for message in texts(app.error))
    [job] = [job for job in JobQueue().list() if job.kind == "prune"]
    app.button(key=f"retry-{job.job_id}").click().run()
    assert JobQueue().get(job.job_id).status == "queued"


@pytest.mark.parametrize("query, message", [
    ({"model": "/no/such/model"}, "model '/no/such/model' is not one the dashboard opens"),
    ({"dataset": "/no/such/file.csv"}, "dataset '/no/such/file.csv' is not one the dashboard opens"),
    ({"dataset": "missing.csv"}, "no file 'missing.csv' in the data folder"),
    ({"text_column": "review"}, "no column 'review'"),
    ({"calibration": "4000"}, "exceed the"),
])
def test_bad_choices_are_errors(home, workspace, query, message):
    app = prune_page(workspace, **{"method": "krp", "sparsity": "50", **query})
    assert not app.exception
    assert any(message in error for error in texts(app.error)), texts(app.error)
    assert not app.get("plotly_chart")


def test_custom_columns_of_a_local_file(home, tiny_csv, workspace, monkeypatch):
    monkeypatch.setenv("ROBUSTPRUNE_DATA_DIR", str(tiny_csv.parent))  # the folder of the user's files
    app = open_page("pages/prune.py", model=workspace.model_dir, dataset=tiny_csv.name, text_column="review",
                    label_column="sentiment", calibration="16", method="krp", sparsity="50")
    assert not app.exception and not app.error
    assert app.text_input(key="text_column").value == "review"
    assert any("not cached yet" in message for message in texts(app.info))


def test_a_structured_run_shows_heads_and_neurons_kept(home, workspace):
    from robustprune.structured.runs import StructuredRun

    app = prune_page(workspace, method="structured-magnitude", flops="50")
    assert not app.exception and not app.error
    run = StructuredRun.from_summary(RunStore().require(workspace.structured_run_id).summary, cached=True)
    assert workspace.structured_run_id in app.success[0].value
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["accuracy pruned"] == f"{run.accuracy_sparse:.1%}"
    assert metrics["FLOPs kept (target ≤ 50%)"] == f"{run.result.flops_ratio:.1%}"
    [units] = [figure for figure in plotly_figures(app) if "heads kept" in str(figure["layout"])]
    kept = {trace["xaxis"]: trace["y"] for trace in units["data"] if trace["name"] == "kept"}
    assert kept == {"x": run.result.heads_kept, "x2": run.result.neurons_kept}
    assert [slider.key for slider in app.slider] == ["flops"]  # no sparsity slider for a FLOPs budget
    assert app.slider(key="flops").value == 50.0


def test_an_uncached_structured_run_becomes_a_job(home, workspace):
    app = prune_page(workspace, method="structured-magnitude", flops="30")
    assert any("30% of FLOPs removed" in message for message in texts(app.info))
    app.button(key="submit-job").click().run()
    [job] = [job for job in JobQueue().list() if job.kind == "structured"]
    assert job.params["structured"]["config"]["flops_reduction"] == 0.3
    JobQueue().work(once=True)
    app.run()
    assert not app.exception and not app.error
    assert app.success and JobQueue().get(job.job_id).run_id in app.success[0].value


def test_a_link_to_a_run_shows_it_and_sets_the_form_until_the_form_changes(home, workspace):
    # the URL's form says krp 50%, the link names the sparsegpt run: the run is shown, the form follows it
    app = prune_page(workspace, method="krp", sparsity="50", run=workspace.sparsegpt_run_id)
    assert not app.exception and not app.error
    assert workspace.sparsegpt_run_id in app.success[0].value and any("from the link" in c for c in texts(app.caption))
    assert app.selectbox(key="method").value == "sparsegpt" and app.slider(key="sparsity").value == 50.0
    app.slider(key="sparsity").set_value(70.0).run()  # a change of the form drops the link
    assert "run" not in app.query_params
    assert any("sparsegpt at 70.0% sparsity is not cached yet" in message for message in texts(app.info))


def test_a_link_to_a_structured_run_sets_the_structured_form(home, workspace):
    app = open_page("pages/prune.py", run=workspace.structured_run_id)  # a bare link, as the Overview opens it
    assert not app.exception and not app.error
    assert app.selectbox(key="method").value == "structured-magnitude" and app.slider(key="flops").value == 50.0
    assert workspace.structured_run_id in app.success[0].value


def test_a_link_to_an_unknown_run_says_so(home, workspace):
    app = prune_page(workspace, method="krp", sparsity="50", run="prune-000000000000")
    assert any("not a cached pruning run" in message for message in texts(app.warning))
    assert workspace.krp_run_id in app.success[0].value  # the form's own run


def test_a_damaged_run_is_warned_about_and_offered_again(home, workspace):
    weights = RunStore().directory(workspace.krp_run_id) / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    app = prune_page(workspace, method="krp", sparsity="50")
    assert not app.exception and not app.error
    assert any(f"`{workspace.krp_run_id}` is damaged (weights.safetensors has 100 bytes" in message
               for message in texts(app.warning))
    assert any("not cached yet" in message for message in texts(app.info))  # a job computes it again
    runs_page = open_page("pages/runs.py")
    assert any(workspace.krp_run_id in message and "damaged" in message for message in texts(runs_page.warning))
    assert workspace.krp_run_id not in list(runs_page.dataframe[0].value["run"])
    linked = open_page("pages/prune.py", run=workspace.krp_run_id)  # a link to it says damaged, not "not cached"
    assert any(f"The link names run '{workspace.krp_run_id}', which is damaged (weights.safetensors has 100 bytes"
               in message for message in texts(linked.warning)), texts(linked.warning)


def test_a_link_names_the_dense_start_as_the_command_line_does(home, workspace):
    """``?dense=soup`` (PruneForm's links, the CLI's word) chooses the soup; the URL held the label before, and a
    typed ``dense=soup`` was ignored without a word."""
    app = prune_page(workspace, method="krp", sparsity="50", dense="soup")
    assert not app.exception
    assert app.selectbox(key="dense").value == "soup" and app.query_params["dense"] == "soup"


def test_nothing_to_compare_with_says_why_and_offers_the_other_methods(home, workspace):
    """Without another method cached at this sparsity, no select of "none" alone: a line says why, and a button
    per other method sets the form to it (the rest as it is), ready to prune."""
    RunStore().delete(workspace.sparsegpt_run_id)
    app = open_page("pages/prune.py", run=workspace.krp_run_id)
    assert not app.exception and not app.error
    assert "compare" not in [box.key for box in app.selectbox]
    assert any(text.startswith("No other method is cached at 50 % from this dense model") for text in texts(
        app.caption))
    assert [button.key for button in app.button if button.key.startswith("compare-with-")] == [
        "compare-with-sparsegpt", "compare-with-wanda", "compare-with-magnitude"]
    app.button(key="compare-with-sparsegpt").click().run()
    assert not app.exception and not app.error
    assert app.selectbox(key="method").value == "sparsegpt" and app.slider(key="sparsity").value == 50
    assert app.number_input(key="calibration").value == 16  # the run's settings, but the method
    assert "run" not in app.query_params and any("not cached yet" in message for message in texts(app.info))
    app.button(key="submit-job").click().run()
    [job] = [job for job in JobQueue().list() if job.kind == "prune"]
    assert job.params["prune"]["method"] == "sparsegpt" and job.params["prune"]["sparsity"] == 0.5


def test_a_structured_run_without_the_other_method_says_why(home, workspace):
    app = open_page("pages/prune.py", run=workspace.structured_run_id)
    assert not app.exception and not app.error
    assert "compare-structured" not in [box.key for box in app.selectbox]
    assert any(text.startswith("No other structured method is cached at 50 % of FLOPs removed") for text in texts(
        app.caption))
    app.button(key="compare-with-kprune").click().run()
    assert app.selectbox(key="method").value == "kprune" and app.slider(key="flops").value == 50
    assert any("not cached yet" in message for message in texts(app.info))


@pytest.mark.parametrize("page", ["pages/runs.py", "pages/sweep.py", "pages/frontier.py", "pages/overview.py",
                                  "pages/attacks.py", "pages/embeddings.py"])
def test_the_form_survives_a_visit_to_another_page(home, workspace, page):
    """Pages share one session: another page's widgets must not take over the Prune form's keys (the Runs page's
    filters, lists named "model", "dataset", "method", once emptied the form on the way back)."""
    app = prune_page(workspace, method="krp", sparsity="50")
    assert workspace.krp_run_id in app.success[0].value
    app.switch_page(page).run()
    assert not app.exception, app.exception
    app.switch_page("pages/prune.py").run()
    assert not app.exception and not app.error, (app.exception, texts(app.error))
    # the same model (pages that list the stored runs' models name it by the path its runs recorded)
    assert app.selectbox(key="model").value in (workspace.model_name, workspace.model_dir)
    assert app.selectbox(key="method").value == "krp" and workspace.krp_run_id in app.success[0].value
