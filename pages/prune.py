"""Prune: choose a model, dataset, method and sparsity; see the cached run at once, or start a job."""

import streamlit as st

from robustprune.dashboard import cached, pruning, widgets
from robustprune.dashboard.choices import pruning_methods
from robustprune.dashboard.requests import PruneRequest
from robustprune.errors import RobustPruneError
from robustprune.prune import PruneConfig

store = widgets.page_frame()
st.title("Prune")

with st.container(border=True):
    left, middle, right = st.columns(3)
    with left:
        model = widgets.model_picker(store)
    with middle:
        data_choice = widgets.dataset_picker()
    with right:
        method = st.selectbox("Method", pruning_methods(), key="method", bind="query-params")
    left, right = st.columns([1, 3])
    with left:
        calibration = st.number_input("Calibration texts", 1, 4096, 128, key="calibration", bind="query-params")
    with right:
        sparsity = widgets.sparsity_picker()

if not widgets.checked_model(model):
    st.stop()
data = widgets.checked_task_data(data_choice)
if data is None:
    st.stop()
try:
    request = PruneRequest(model, data_choice, PruneConfig(method, sparsity, calibration=int(calibration)))
except RobustPruneError as error:
    st.error(str(error))
    st.stop()
if problem := request.problem(data):
    st.error(problem)
    st.stop()

run_id = request.run_id(data, store)
if run_id is None or store.get(run_id) is None:
    widgets.run_or_progress(request, "Prune", f"{method} at {sparsity:.1%} sparsity is not cached yet for "
                            f"{model} on {data.name}. Pruning runs in the background worker (about a minute for "
                            "MiniLM on a CPU; the dense model is fine-tuned first if needed).")
    st.stop()

result = cached.prune_result(store, run_id)
st.success(f"Run `{result.run_id}`: {result.method} on {result.model} / {result.dataset}, on {result.device}.")
for column, (label, value) in zip(st.columns(4), pruning.result_metrics(result).items()):
    column.metric(label, value)

layers = pruning.layer_frame(result)
st.subheader("Reconstruction error per layer and sub-layer")
st.plotly_chart(pruning.error_heatmaps(layers), key="heatmaps")

options = pruning.comparison_runs(store, result)
labels = ["none", *options]
default_label = pruning.default_comparison(options, result.method)
compare = st.selectbox("Compare with another method at this sparsity", labels, key="compare",
                       index=labels.index(default_label) if default_label else 0, bind="query-params")
curves = {pruning.run_label(result): result}
if compare != "none":
    other = cached.prune_result(store, options[compare])
    curves[pruning.run_label(other)] = other
st.plotly_chart(pruning.depth_figure(pruning.depth_frame(curves)), key="depth")

left, right = st.columns([2, 1])
left.plotly_chart(pruning.sparsity_figure(layers, result.target_sparsity), key="sparsity-per-layer")
right.plotly_chart(pruning.accuracy_figure(result), key="accuracy")
