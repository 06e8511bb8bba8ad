"""Attacks: one attack run's summary, its examples, and one example dense vs sparse, side by side."""

import streamlit as st

from robustprune.dashboard import attack_form, attack_picker, cached, charts, job_widgets, texts_form, widgets
from robustprune.dashboard.link_checks import checked, listed, one_of
from robustprune.figures import attacks, explanation
from robustprune.requests import AttributionRequest

store = widgets.page_frame()
st.title("Attacks")

info = attack_picker.attack_run_picker(store)
# The two forms are built only while their panel is open: closed, they cost a page switch nothing.
launcher = st.expander("Run a new attack", expanded=info is None or "target" in st.query_params,
                       icon=":material/play_arrow:", key="new-attack-open", on_change="rerun")
with launcher:
    if launcher.open:
        attack_form.attack_launcher(store)
own_texts = st.expander("Attack your own sentences", icon=":material/edit_note:", key="own-texts-open",
                        on_change="rerun")
with own_texts:
    if own_texts.open:  # on the model "Run a new attack" is set to while it is open, else on the attacked run shown
        texts_form.texts_attack_panel(store, (st.query_params.get("target") if launcher.open else None,
                                              st.query_params.get("run")))
if info is None or not widgets.cached_run(store, info.run_id):
    st.stop()


@st.fragment
def attack_run_view(info) -> None:
    """The run's summary and its examples. A fragment: a click on another example's row, filter or toggle reruns
    only this part, not the sidebar, the pickers and the launcher above."""
    result = cached.attack_result(store, info.run_id)
    names = attacks.label_names(store, info.dense_run_id)

    left, right = st.columns([1, 2])
    with left:
        st.subheader("Summary")
        st.caption(result.summary.recipe_label)  # the recipe and its parts: a line too long for the table's cells
        st.dataframe(attacks.summary_table(result, with_recipe=False), hide_index=True)
        widgets.report_button(f"report-{info.run_id}.html", attack=info.run_id)
    with right:
        st.subheader("Examples")
        which = checked("filter", lambda: st.segmented_control("Show", attacks.EXAMPLE_FILTERS, default="all",
                                                               key="filter", bind="query-params"),
                        listed(attacks.EXAMPLE_FILTERS), one_of(attacks.EXAMPLE_FILTERS))
        examples = attacks.filter_examples(cached.examples_frame(store, info.run_id, names), which or "all")
        if not widgets.example_table(examples):
            return
    example_view(info, examples, names)


@st.fragment
def example_view(info, examples, names) -> None:
    """One example, dense vs sparse. A fragment of its own: the Previous and Next buttons, the picker and the
    invisible-characters toggle redraw only the example, not the summary and the examples' table (a thousand rows
    in a paper-sized attack)."""
    index = widgets.example_choice(examples)
    example = attacks.find_example(cached.attack_result(store, info.run_id), index)
    heading, toggle = st.columns([3, 1], vertical_alignment="bottom")
    heading.subheader(f"Example {index}: {example.result}, true label {names[example.label]}")
    show_invisible = toggle.toggle("Show invisible characters", key="invisible", bind="query-params",
                                   help="every zero-width, format, unusual-space and look-alike character of both "
                                        "texts, as its code point, changed or not")
    st.html(attacks.example_panel_html(example, names, show_invisible))

    st.subheader("Why: each word's share of the prediction, and where the two models part")
    request = AttributionRequest(info.run_id, index)
    explained = cached.explanation(store, request.run_id())
    if explained is None:
        job_widgets.run_or_progress(request, "Explain this example", "Integrated Gradients for the dense and the "
                                    "sparse model on both texts, and the cosine between their hidden states at every "
                                    "layer, run in the background worker (seconds on a CPU) and are cached.",
                                    key="submit-explain")
        return
    st.html(explanation.attribution_html(explained, example.original_text, example.perturbed_text, names))
    if explained.layers:
        errors = cached.block_errors(store, info.target_run_id)
        charts.show("layer-agreement", cached.run_stamp(store, explained.run_id, info.target_run_id),
                    lambda: explanation.layer_agreement_figure(explained, errors), key="layer-agreement")


attack_run_view(info)
