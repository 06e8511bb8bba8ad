"""The Overview page: the trade-off curves of the cached runs of a model and dataset."""

import pytest

from robustprune.store import RunStore
from tests.dashboard.conftest import open_page, plotly_figures, texts


def test_curves_have_a_line_per_method_and_a_point_per_run(home, workspace):
    app = open_page(model=workspace.model_dir)
    assert not app.exception and not app.error
    figure = plotly_figures(app)[0]  # unstructured runs; structured ones have their own figure
    store = RunStore()
    krp, sparsegpt = (store.require(run_id).summary for run_id in (workspace.krp_run_id, workspace.sparsegpt_run_id))
    lines = {(trace["legendgroup"], trace["xaxis"]): trace for trace in figure["data"]}
    clean_krp = lines[("krp", "x")]
    assert clean_krp["x"] == pytest.approx([0.0, krp["sparsity"]])  # the dense start, then the run
    assert clean_krp["y"] == pytest.approx([krp["accuracy_dense"], krp["accuracy_sparse"]])
    assert workspace.krp_run_id in [row[0] for row in clean_krp["customdata"]]  # hovering shows the run
    assert lines[("sparsegpt", "x")]["y"][-1] == pytest.approx(sparsegpt["accuracy_sparse"])
    under_attack = lines[("krp", "x2")]  # the constructed attack run on the krp run: 25% under attack
    assert under_attack["x"] == pytest.approx([krp["sparsity"]]) and under_attack["y"] == pytest.approx([0.25])
    assert app.selectbox(key="recipe").value == "textfooler"


def test_no_runs_yet_says_where_to_start(empty_home):
    app = open_page()
    assert not app.exception
    assert any("No pruning runs yet" in message for message in texts(app.info))


def test_structured_runs_have_their_own_curves_over_flops_removed(home, workspace):
    app = open_page(model=workspace.model_dir)
    assert not app.exception and not app.error
    unstructured, structured = plotly_figures(app)
    summary = RunStore().require(workspace.structured_run_id).summary
    [line] = [trace for trace in structured["data"] if trace["legendgroup"] == "structured-magnitude"]
    removed = 1 - summary["flops_after"] / summary["flops_before"]
    assert line["x"] == pytest.approx([0.0, removed]) and line["y"][-1] == pytest.approx(summary["accuracy_sparse"])
    assert structured["layout"]["xaxis"]["title"]["text"] == "FLOPs removed"
    assert "structured-magnitude" not in {trace["legendgroup"] for trace in unstructured["data"]}


def test_a_clicked_point_names_its_run():
    from robustprune.dashboard.overview import clicked_run

    assert clicked_run({"points": [{"x": 0.5, "y": 0.8, "customdata": ["prune-abc", ""]}]}) == "prune-abc"
    assert clicked_run({"points": []}) is None and clicked_run(None) is None


def test_soup_started_runs_are_a_line_of_their_own(home, workspace):
    from robustprune.dashboard.overview import tradeoff_frame
    from robustprune.data import load_task_data
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig
    from robustprune.soup import SoupConfig

    soup = SoupConfig(candidates=2)
    run = prune(PruneConfig("krp", 0.5, calibration=16), workspace.model_dir, load_task_data(workspace.csv), "cpu",
                dense="soup", soup_config=soup)
    frame = tradeoff_frame(RunStore(), workspace.model_dir, run.dataset)
    soup_line = frame[frame["method"] == "krp (soup)"]
    assert list(soup_line["run"]) == [run.dense_run_id, run.run_id]  # starts at the soup, not the fine-tune
    assert soup_line["accuracy"].tolist() == pytest.approx([run.accuracy_dense, run.accuracy_sparse])
    assert workspace.dense_run_id in set(frame[frame["method"] == "krp"]["run"])


def test_a_two_four_run_has_its_own_line_and_label(home, workspace):
    from robustprune.dashboard.runs import list_runs_frame
    from robustprune.data import load_task_data
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig

    two_four = prune(PruneConfig("krp", 0.5, pattern="2:4", calibration=16), workspace.model_dir,
                     load_task_data(workspace.csv), "cpu")
    krp = RunStore().require(workspace.krp_run_id).summary
    app = open_page(model=workspace.model_dir)
    assert not app.exception and not app.error
    lines = {(trace["legendgroup"], trace["xaxis"]): trace for trace in plotly_figures(app)[0]["data"]}
    assert lines[("krp", "x")]["y"] == pytest.approx([krp["accuracy_dense"], krp["accuracy_sparse"]])
    assert lines[("krp 2:4", "x")]["y"] == pytest.approx([krp["accuracy_dense"], two_four.accuracy_sparse])
    assert [row[0] for row in lines[("krp 2:4", "x")]["customdata"]][-1] == two_four.run_id
    assert lines[("krp 2:4", "x")]["line"]["dash"] == "dot" and lines[("krp", "x")]["line"]["dash"] == "solid"
    table = app.dataframe[0].value
    assert {"krp", "krp 2:4"} <= set(table["method"])
    assert set(list_runs_frame()["method"]) >= {"krp", "krp 2:4"}
