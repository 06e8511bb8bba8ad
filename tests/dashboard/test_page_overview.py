"""The Overview page: the trade-off curves of the cached runs of a model and dataset."""

import pytest

from robustprune.store import RunStore
from tests.dashboard.conftest import open_page, plotly_figures, texts


def test_curves_have_a_line_per_method_and_a_point_per_run(home, workspace):
    app = open_page(model=workspace.model_dir)
    assert not app.exception and not app.error
    [figure] = plotly_figures(app)
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
