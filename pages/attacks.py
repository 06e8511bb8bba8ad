"""Attacks: one attack run's summary, its examples, and one example dense vs sparse, side by side."""

import streamlit as st

from robustprune.dashboard import attacks, cached, widgets

store = widgets.page_frame()
st.title("Attacks")

info = widgets.attack_run_picker(store)
with st.expander("Run a new attack", expanded=info is None or "target" in st.query_params,
                 icon=":material/play_arrow:"):
    widgets.attack_launcher(store)
if info is None or not widgets.cached_run(store, info.run_id):
    st.stop()
result = cached.attack_result(store, info.run_id)
names = attacks.label_names(store, info.dense_run_id)

left, right = st.columns([1, 2])
with left:
    st.subheader("Summary")
    st.dataframe(attacks.summary_table(result), hide_index=True)
with right:
    st.subheader("Examples")
    which = st.segmented_control("Show", attacks.EXAMPLE_FILTERS, default="all", key="filter", bind="query-params")
    examples = attacks.filter_examples(attacks.examples_frame(result, names), which or "all")
    index = widgets.example_picker(examples)
if index is None:
    st.stop()

example = attacks.find_example(result, index)
original_html, perturbed_html = attacks.example_html(example)
st.subheader(f"Example {index}: {example.result}, true label {names[example.label]}")
for column, side, title, text in zip(st.columns(2), ("original", "perturbed"), ("Original", "Adversarial"),
                                     (original_html, perturbed_html)):
    with column:
        st.markdown(f"**{title}**")
        st.markdown(text, unsafe_allow_html=True)
        st.plotly_chart(attacks.prediction_figure(example, side, names), key=f"prediction-{side}")
