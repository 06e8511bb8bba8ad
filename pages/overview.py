"""Overview: what the tool does, and the accuracy / sparsity trade-off of every cached run."""

import streamlit as st

from robustprune.dashboard import cached, charts, job_widgets, links, navigation, widgets
from robustprune.dashboard.choices import default_model
from robustprune.figures import overview

store = widgets.page_frame()
job_widgets.refresh_as_runs_finish(store)  # a sweep's runs appear on the curves as they finish
st.title("robustprune")
st.markdown(
    "Prune a fine-tuned transformer text classifier (knowledge-retention pruning, SparseGPT, Wanda, magnitude, "
    "or K-prune's structured pruning) and see what it costs: clean accuracy, and accuracy under adversarial "
    "word-substitution attacks. Every run is cached: select a row of a table below (or, with interactive "
    "charts, click a point) to open it.")
widgets.report_button("robustprune-overview.html", overview=True)

pairs = overview.model_dataset_pairs(store)
if not pairs:
    st.info("No pruning runs yet: open **Prune**, pick a sparsity and start one.")
    st.page_link("pages/prune.py", label="Prune a model", icon=":material/content_cut:")
    st.stop()

models = sorted({model for model, _ in pairs}, key=lambda model: (model != default_model(), model))
left, middle, right = st.columns(3)
with left:
    model = widgets.stored_choice("Model", models, key="model")
with middle:
    dataset = widgets.stored_choice("Dataset", [data for name, data in pairs if name == model], key="dataset")
with right:
    recipe = widgets.stored_choice("Attack recipe", overview.attack_recipes(cached.attack_runs(store)[0]), key="recipe")

curves = cached.tradeoff_key(store, model, dataset, recipe)
for kind in overview.PRUNING_KINDS:
    frame, figure, table = cached.tradeoff(curves, kind)
    if frame.empty:
        continue
    x_title = overview.X_TITLES[kind]
    st.subheader(f"Trade-off: accuracy vs {x_title}" + (" (structured pruning)" if kind == "structured" else ""))
    event = charts.show(f"tradeoff-{kind}", curves, lambda: figure, key=f"tradeoff-{kind}", on_select="rerun",
                        selection_mode="points")
    if event is not None and (clicked := overview.clicked_run(event.selection)) and store.get(clicked) is not None:
        navigation.open_view(*links.run_view(store, clicked))
    if overview.UNDER_ATTACK not in set(frame["metric"]):
        st.caption("No attack runs on these models yet: the accuracy-under-attack curve appears with the first one.")
    st.caption("Clean accuracy is on the whole test split; accuracy under attack, and the faint dotted clean accuracy "
               "beside it, on the attacked test texts (how many: hover a point, with interactive charts). A hollow "
               "marker is a collapsed model: it predicts (nearly) one class, so its accuracy under attack is no "
               "robustness and is left out of the line. Every error bar is the 95 % Wilson interval of the point's "
               "accuracy on its texts; where several seeds meet, a point is their mean and its bar Wilson's interval "
               "on their pooled counts (the seeds' min–max is in the hover). A pruned point under attack hovers its "
               "difference from its dense start under the same attack (points, 95 % interval, p; paired on the same "
               "sentences: Newcombe, exact McNemar). Select a row of the table to open its run.")
    columns = {column: st.column_config.NumberColumn(format="percent") for column in overview.interval_columns()}
    columns["sparsity"] = st.column_config.NumberColumn(x_title, format="percent")
    chosen = st.dataframe(table, hide_index=True, key=f"runs-{kind}", on_select="rerun", selection_mode="single-row",
                          column_config=columns, placeholder="")  # a point not attacked: blank, not "None"
    if (rows := chosen.selection.rows) and store.get(run_id := table.iloc[rows[0]]["run"]) is not None:
        navigation.open_view(*links.run_view(store, run_id))
