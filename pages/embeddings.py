"""Embeddings: how close an input and its adversarial twin stay, layer by layer, dense vs sparse."""

import streamlit as st

from robustprune.dashboard import attack_picker, cached, charts, job_widgets, widgets
from robustprune.dashboard.link_checks import checked, listed, number_in, one_of
from robustprune.figures import attacks, embeddings, explanation
from robustprune.requests import LayerAUCRequest, ProjectionRequest

store = widgets.page_frame()
st.title("Embeddings")

info = attack_picker.attack_run_picker(store, attack_picker.EMPTY_EMBEDDINGS, form_below=False)
if info is None:
    st.page_link("pages/attacks.py", label="Attack a model", icon=":material/swords:")
    st.stop()
if not widgets.cached_run(store, info.run_id):
    st.stop()
result = cached.attack_result(store, info.run_id)
pairs = embeddings.projection_examples(result)
if not pairs:
    st.info("This attack run has no successful examples, so there are no (original, adversarial) pairs to compare.")
    st.stop()

left, right = st.columns(2)
with left:
    poolings = list(embeddings.MEASURE_OF_POOLING)
    pooling = checked("pooling", lambda: st.radio(
        "Pooling", poolings, key="pooling", bind="query-params", horizontal=True,
        help="mean: the tokens' states averaged; cls: the first token's state"), listed(poolings), one_of(poolings))
    measure = embeddings.MEASURE_OF_POOLING[pooling]
with right:
    texts = {example.index: example.original_text for example in pairs}
    index = widgets.url_selectbox("Highlighted example", list(texts), key="example",
                                  format_func=lambda number: f"{number}: {texts[number][:100]}")

charts.show("similarity", (*cached.run_stamp(store, info.run_id), measure, index),
            lambda: embeddings.similarity_figure(embeddings.similarity_by_layer(result, measure), measure,
                                                 embeddings.example_similarity(result, index)),
            key="similarity")

if "sparse" in info.model_runs:
    st.subheader("Which layers carry the robustness loss")
    auc_request = LayerAUCRequest(info.run_id)
    auc = cached.layer_auc(store, auc_request.run_id())
    if auc is None:
        job_widgets.run_or_progress(auc_request, "Compute the per-layer AUC", "For every attacked example, the "
                                    "divergence of the dense and the sparse model's hidden states at each layer, and "
                                    "how well it tells the examples that flip the sparse model only from the others "
                                    "(ROC AUC per layer), beside the pruning run's reconstruction error: one pass of "
                                    "both models over the attack's texts in the background worker.",
                                    key="submit-layer-auc")
    else:
        charts.show("layer-auc", cached.run_stamp(store, auc.run_id), lambda: explanation.layer_auc_figure(auc),
                    key="layer-auc")
        st.caption("The band: the 95 % DeLong interval of the AUC on the adversarial texts; a filled marker: a "
                   "Mann–Whitney p-value below 0.05. With few sparse-only flips the interval spans most of [0, 1]: "
                   "read a layer's AUC as a finding only where its interval stays clear of 0.5.")

st.subheader("The pairs in two dimensions (PCA of one layer's pooled states)")
projection_request = ProjectionRequest(info.run_id)
stored = cached.projection(store, projection_request.run_id())
if stored is None:
    model_runs = info.model_runs
    if missing := [run_id for run_id in model_runs.values() if not widgets.cached_run(store, run_id)]:
        st.error(f"The projection needs the attacked models, and run(s) {', '.join(missing)} are no longer cached.")
        st.stop()
    job_widgets.computed_on_view(projection_request, "The attacked texts' hidden states in each model, pooled and "
                                 "projected with PCA at every layer: computed once in the background worker (seconds "
                                 "on a CPU for MiniLM) and cached.")
    st.stop()

layers = int(stored.variance["layer"].max()) if len(stored.variance) else 0  # the projected layers
models = stored.models()
left, middle, right = st.columns([2, 1, 1])
with left:
    layer = checked("layer", lambda: st.slider("Layer", 0, max(layers, 1), layers, key="layer", bind="query-params",
                                               help="0 = embedding output, i = output of encoder block i"),
                    f"a layer from 0 to {max(layers, 1)}", number_in(0, max(layers, 1), whole=True))
with middle:
    space = checked("space", lambda: st.radio("Model", models, index=len(models) - 1, key="space",
                                              bind="query-params", horizontal=True), listed(models), one_of(models))
with right:
    include_failed = st.toggle("Include failed attacks", key="failed", bind="query-params")

names = attacks.label_names(store, info.dense_run_id)


def projection():
    coordinates, explained = stored.view(space, pooling, include_failed, layer)
    frame = embeddings.projection_frame(embeddings.projection_examples(result, include_failed), coordinates, space,
                                        names)
    return embeddings.projection_figure(
        frame, index, f"{space} model, layer {layer}: coloured by its predicted label ({explained:.0%} of variance)",
        names, webgl=charts.webgl(len(frame)))


charts.show("projection", (*cached.run_stamp(store, stored.run_id), layer, pooling, include_failed, space, index,
                           charts.interactive(), *names), projection, key="projection")
